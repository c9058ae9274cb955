//! A YAML or JSON input file read into a value, with the spans needed to point at its parts.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use miette::SourceSpan;
use serde_json::Value;

use crate::diagnostics::{Problem, SourceFile};
use crate::source_map::SourceMap;

/// One parsed input file (an OpenAPI document or the manifest).
#[derive(Debug, Clone)]
pub struct Document {
    /// Name and text, for diagnostics.
    pub file: SourceFile,
    /// Spans by JSON pointer, built on first use: only diagnostics need them, and for a large
    /// valid spec building them would cost more than generating (see `docs/corpus.md`).
    map: OnceLock<SourceMap>,
    /// The parsed content.
    pub value: Value,
    /// Maps a pointer into `value` to one into the file, when `value` was converted from another
    /// format (Swagger 2.0) and the two differ.
    translate: Option<fn(&str) -> String>,
    /// Files bundled into `value` from relative `$ref`s: (pointer prefix in `value`, the file), so
    /// problems inside them point into the right file.
    pub bundled: Vec<(String, Document)>,
}

impl Document {
    /// Reads and parses `path`; `name` is how diagnostics call the file.
    pub fn read(path: &Path, name: &str) -> Result<Self, Problem> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            Problem::error("mcpgen::io::read", format!("cannot read {name}: {err}"))
                .with_help("check the path; relative paths are resolved from the current directory")
        })?;
        Self::parse(name, text)
    }

    /// Parses `text` as JSON when it looks like JSON, as YAML otherwise.
    pub fn parse(name: &str, text: String) -> Result<Self, Problem> {
        // Normalise line endings so spans and output do not depend on the platform that wrote the file.
        let text = if text.contains('\r') { text.replace("\r\n", "\n") } else { text };
        let file = SourceFile { name: name.to_owned(), text: Arc::new(text) };
        let parsed = if file.text.trim_start().starts_with('{') {
            serde_json::from_str::<Value>(&file.text).map_err(|err| {
                let offset = offset_of(&file.text, err.line(), err.column());
                (err.to_string(), offset)
            })
        } else {
            // OpenAPI documents are YAML 1.2: `no`, `on`, `yes` are strings there, not booleans.
            let options = serde_saphyr::options! { strict_booleans: true };
            serde_saphyr::from_str_with_options::<Value>(&file.text, options).map_err(|err| {
                let offset =
                    err.location().map_or(0, |loc| offset_of(&file.text, loc.line() as usize, loc.column() as usize));
                (first_line(&err.to_string()), offset)
            })
        };
        match parsed {
            Ok(value) => Ok(Self { map: OnceLock::new(), file, value, translate: None, bundled: Vec::new() }),
            Err((message, offset)) => {
                Err(Problem::error("mcpgen::syntax", format!("{name} is not valid YAML or JSON: {message}"))
                    .with_help("fix the syntax at the marked position")
                    .at(&file, SourceSpan::from((offset, 0)), "here"))
            }
        }
    }

    /// The same file with a converted value; `translate` maps the value's pointers to the file's.
    pub fn converted(self, value: Value, translate: fn(&str) -> String) -> Self {
        Self { value, translate: Some(translate), ..self }
    }

    /// The bundled file holding `pointer`, and the pointer inside that file.
    fn bundled_file<'p>(&self, pointer: &'p str) -> Option<(&'p str, &Document)> {
        self.bundled.iter().find_map(|(prefix, doc)| {
            pointer
                .strip_prefix(prefix.as_str())
                .filter(|rest| rest.is_empty() || rest.starts_with('/'))
                .map(|rest| (rest, doc))
        })
    }

    fn file_pointer(&self, pointer: &str) -> String {
        self.translate.map_or_else(|| pointer.to_owned(), |t| t(pointer))
    }

    fn map(&self) -> &SourceMap {
        self.map.get_or_init(|| SourceMap::build(&self.file.text))
    }

    /// The value at a JSON pointer.
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        crate::source_map::lookup(&self.value, pointer)
    }

    /// Points `problem` at the key that names the node at `pointer`.
    pub fn at_key(&self, pointer: &str, problem: Problem, label: &str) -> Problem {
        self.at(pointer, true, problem, label)
    }

    /// Points `problem` at the value of the node at `pointer`.
    pub fn at_value(&self, pointer: &str, problem: Problem, label: &str) -> Problem {
        self.at(pointer, false, problem, label)
    }

    /// Replaces the text of the values at `pointers` with `*` (byte for byte, so every span stays
    /// valid) in what diagnostics show.
    pub fn mask_values(&mut self, pointers: &[String]) {
        if pointers.is_empty() {
            return;
        }
        let mut bytes = self.file.text.as_bytes().to_vec();
        for pointer in pointers {
            let (offset, len) = self.map().value_span(&self.file_pointer(pointer));
            for byte in bytes.iter_mut().skip(offset).take(len) {
                if !matches!(*byte, b'\n' | b'"' | b'\'') {
                    *byte = b'*';
                }
            }
        }
        // Only whole characters were replaced by ASCII: the text is still UTF-8.
        let text = String::from_utf8(bytes).unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned());
        self.file.text = std::sync::Arc::new(text);
    }

    /// Replaces each occurrence of `part` inside the value at `pointer` with `*` in what
    /// diagnostics show (for a secret embedded in a longer value, such as a URL's password).
    pub fn mask_within(&mut self, pointer: &str, part: &str) {
        let (offset, len) = self.map().value_span(&self.file_pointer(pointer));
        let Some(value) = self.file.text.get(offset..offset + len) else { return };
        if part.is_empty() || !value.contains(part) {
            return;
        }
        let masked = value.replace(part, &"*".repeat(part.len()));
        let mut text = self.file.text.as_str().to_owned();
        text.replace_range(offset..offset + len, &masked);
        self.file.text = std::sync::Arc::new(text);
    }

    /// Locates `pointer` in the file that holds it (a bundled file, or this one after translation).
    fn at(&self, pointer: &str, key: bool, problem: Problem, label: &str) -> Problem {
        if let Some((rest, doc)) = self.bundled_file(pointer) {
            return doc.at(rest, key, problem, label);
        }
        let file_pointer = self.file_pointer(pointer);
        let (offset, len) = if key { self.map().key_span(&file_pointer) } else { self.map().value_span(&file_pointer) };
        problem.at(&self.file, SourceSpan::from((offset, len)), label)
    }
}

/// Byte offset of a 1-based line and column (columns counted in characters).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let rest = &text[line_start.min(text.len())..];
    let col_bytes: usize = rest.chars().take(column.saturating_sub(1)).map(char::len_utf8).sum();
    (line_start + col_bytes).min(text.len())
}

/// The parser's message without its own `error: line L column C:` prefix (the frame shows the
/// position) and without the source excerpt it appends on later lines.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line.strip_prefix("line ").and_then(|rest| rest.split_once(": ")) {
        Some((position, rest)) if position.contains("column") => rest.to_owned(),
        _ => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_syntax_error_points_at_the_line() {
        let err = Document::parse("bad.yaml", "a: 1\nb: [1, 2\nc: 3\n".into()).unwrap_err();
        assert_eq!(err.code, "mcpgen::syntax");
        assert!(err.position().unwrap().starts_with("bad.yaml:"), "{:?}", err.position());
    }

    #[test]
    fn json_syntax_error_points_at_line_and_column() {
        let err = Document::parse("bad.json", "{\n  \"a\": 1,\n  \"b\": ,\n}".into()).unwrap_err();
        assert_eq!(err.position().as_deref(), Some("bad.json:3:8"));
    }

    #[test]
    fn yaml_integer_keys_become_strings() {
        let doc = Document::parse("r.yaml", "responses:\n  200:\n    description: ok\n".into()).unwrap();
        assert_eq!(doc.get("/responses/200/description"), Some(&Value::from("ok")));
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        let doc = Document::parse("b.yaml", "a: no\nb: yes\nc: true\n".into()).unwrap();
        assert_eq!(doc.value, serde_json::json!({"a": "no", "b": "yes", "c": true}));
    }

    #[test]
    fn crlf_is_normalised() {
        let doc = Document::parse("w.yaml", "a: 1\r\nb: two\r\n".into()).unwrap();
        assert!(!doc.file.text.contains('\r'));
        assert_eq!(doc.get("/b"), Some(&Value::from("two")));
    }
}

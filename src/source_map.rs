//! Maps JSON pointers to byte spans of a YAML or JSON file.
//!
//! The spec and the manifest are parsed into plain values (`serde_json::Value`), which forget where
//! things were written. Diagnostics must still say `file:line:col`, so the same text is walked once
//! with the YAML event parser (JSON is a subset of YAML's flow style) and every node's span is
//! recorded under its JSON pointer, e.g. `/paths/~1pets/get/operationId`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;
use serde_saphyr::granit_parser::{Event, Parser, Span};

/// Byte range `[start, end)` in the source text.
type Range = (usize, usize);

#[derive(Debug, Clone, Copy)]
struct Entry {
    key: Option<Range>,
    value: Range,
}

/// Spans of every node of one document, by JSON pointer.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    entries: BTreeMap<String, Entry>,
}

enum Frame {
    Map { pointer: String, key: Option<(String, Range)> },
    Seq { pointer: String, next: usize },
}

/// Escapes one reference token of a JSON pointer (RFC 6901).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Unescapes one reference token of a JSON pointer (RFC 6901), as `Value::pointer` does; a token
/// without `~` (nearly all) is borrowed, not copied: pointers are looked up on every schema.
pub fn unescape_token(token: &str) -> Cow<'_, str> {
    if token.contains('~') { Cow::Owned(token.replace("~1", "/").replace("~0", "~")) } else { Cow::Borrowed(token) }
}

/// `root.pointer(pointer)`, without the two allocations `Value::pointer` makes per token.
pub fn lookup<'v>(root: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        return Some(root);
    }
    let tokens = pointer.strip_prefix('/')?;
    tokens.split('/').try_fold(root, |node, token| match node {
        Value::Object(map) => map.get(unescape_token(token).as_ref()),
        Value::Array(items) => array_index(token).and_then(|i| items.get(i)),
        _ => None,
    })
}

/// The array index a pointer token names, as `Value::pointer` reads one: digits, no sign, no
/// leading zero.
pub fn array_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token != "0") {
        return None;
    }
    token.parse().ok()
}

/// The JSON pointer of the place a deserialisation error happened (`serde_path_to_error`), so
/// structural errors in the spec and the manifest get spans like every other problem.
pub fn pointer_of_error_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .map(|segment| match segment {
            Segment::Seq { index } => format!("/{index}"),
            Segment::Map { key } => format!("/{}", escape_token(key)),
            Segment::Enum { variant } => format!("/{}", escape_token(variant)),
            Segment::Unknown => String::new(),
        })
        .collect()
}

impl SourceMap {
    /// Builds the map for `text`. A text the YAML parser cannot read gives an empty map: the value
    /// parser reports the syntax error itself, and spans then fall back to the file start.
    pub fn build(text: &str) -> Self {
        let offsets = ByteOffsets::new(text);
        let mut map = SourceMap::default();
        let mut stack: Vec<Frame> = Vec::new();
        // (pointer, start) of containers still open, to record their full span when they close.
        let mut open: Vec<(String, Option<Range>, usize)> = Vec::new();
        for item in Parser::new_from_str(text) {
            let Ok((event, span)) = item else { break };
            let range = offsets.range(&span);
            match event {
                Event::Scalar(value, ..) => {
                    if let Some((pointer, key)) = Self::place(&mut stack, Some(&value), range) {
                        map.entries.insert(pointer, Entry { key, value: range });
                    }
                }
                Event::Alias(..) => {
                    if let Some((pointer, key)) = Self::place(&mut stack, None, range) {
                        map.entries.insert(pointer, Entry { key, value: range });
                    }
                }
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    let is_map = matches!(event, Event::MappingStart(..));
                    let (pointer, key) = if stack.is_empty() {
                        (String::new(), None)
                    } else {
                        // A collection used as a mapping key has no pointer; give it a throwaway one.
                        Self::place(&mut stack, None, range).unwrap_or_else(|| ("\u{0}".into(), None))
                    };
                    open.push((pointer.clone(), key, range.0));
                    stack.push(if is_map {
                        Frame::Map { pointer, key: None }
                    } else {
                        Frame::Seq { pointer, next: 0 }
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                    if let Some((pointer, key, start)) = open.pop() {
                        map.entries.insert(pointer, Entry { key, value: (start, range.1.max(start)) });
                    }
                }
                _ => {}
            }
        }
        map
    }

    /// Works out the pointer of the node that starts at `range`, given the open containers.
    /// Returns `None` when the node is a mapping key (the key is remembered for its value).
    fn place(stack: &mut [Frame], scalar: Option<&str>, range: Range) -> Option<(String, Option<Range>)> {
        match stack.last_mut()? {
            Frame::Map { pointer, key } => match key.take() {
                None => {
                    *key = Some((scalar.unwrap_or_default().to_owned(), range));
                    None
                }
                Some((name, key_range)) => Some((format!("{pointer}/{}", escape_token(&name)), Some(key_range))),
            },
            Frame::Seq { pointer, next } => {
                *next += 1;
                Some((format!("{pointer}/{}", *next - 1), None))
            }
        }
    }

    /// Span of the key that names the node at `pointer` (or of the node itself when it has no key),
    /// falling back to the closest ancestor that was found. `(offset, length)`.
    pub fn key_span(&self, pointer: &str) -> (usize, usize) {
        self.lookup(pointer, true)
    }

    /// Span of the value at `pointer`, falling back to the closest ancestor. `(offset, length)`.
    pub fn value_span(&self, pointer: &str) -> (usize, usize) {
        self.lookup(pointer, false)
    }

    fn lookup(&self, pointer: &str, prefer_key: bool) -> (usize, usize) {
        let mut current = pointer;
        loop {
            if let Some(entry) = self.entries.get(current) {
                let (start, end) = if prefer_key { entry.key.unwrap_or(entry.value) } else { entry.value };
                return (start, end.saturating_sub(start));
            }
            match current.rfind('/') {
                Some(cut) => current = &current[..cut],
                None => return (0, 0),
            }
        }
    }
}

/// Converts parser markers (character indices) into byte offsets.
struct ByteOffsets {
    /// Byte offset of every char index; empty for pure-ASCII text, where both are equal.
    table: Vec<usize>,
    len: usize,
}

impl ByteOffsets {
    fn new(text: &str) -> Self {
        let table = if text.is_ascii() { Vec::new() } else { text.char_indices().map(|(byte, _)| byte).collect() };
        Self { table, len: text.len() }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.len)
        } else {
            self.table.get(char_index).copied().unwrap_or(self.len)
        }
    }

    fn range(&self, span: &Span) -> Range {
        let start = span.start.byte_offset().unwrap_or_else(|| self.byte(span.start.index()));
        let end = span.end.byte_offset().unwrap_or_else(|| self.byte(span.end.index()));
        (start, end.max(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_at(text: &str, (offset, len): (usize, usize)) -> &str {
        &text[offset..offset + len]
    }

    #[test]
    fn lookup_finds_what_value_pointer_finds() {
        let root = serde_json::json!({
            "a/b": {"c~d": [10, {"": "empty key"}, 12]},
            "": {"x": 1},
            "list": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
            "01": "a key that looks like an index"
        });
        let pointers = [
            "",
            "/",
            "//x",
            "/a~1b",
            "/a~1b/c~0d",
            "/a~1b/c~0d/1/",
            "/a~1b/c~0d/2",
            "/a~1b/c~0d/3",
            "/list/0",
            "/list/11",
            "/list/01",
            "/list/+1",
            "/list/-1",
            "/list/1.0",
            "/01",
            "/a~1b/c~0d/0/x",
            "no-slash",
            "/missing/x",
            "/a~01b",
            "/~1",
        ];
        for pointer in pointers {
            assert_eq!(lookup(&root, pointer), root.pointer(pointer), "at {pointer:?}");
        }
        assert!(matches!(unescape_token("plain"), Cow::Borrowed("plain")));
        assert_eq!(unescape_token("~01~1"), "~1/");
    }

    #[test]
    fn yaml_pointers_resolve_to_keys_and_values() {
        let text = "openapi: 3.0.3\npaths:\n  /pets/{id}:\n    get:\n      operationId: getPet\n      tags: [a, b]\n";
        let map = SourceMap::build(text);
        assert_eq!(text_at(text, map.value_span("/paths/~1pets~1{id}/get/operationId")), "getPet");
        assert_eq!(text_at(text, map.key_span("/paths/~1pets~1{id}/get/operationId")), "operationId");
        assert_eq!(text_at(text, map.value_span("/paths/~1pets~1{id}/get/tags/1")), "b");
        assert_eq!(text_at(text, map.key_span("/paths/~1pets~1{id}")), "/pets/{id}");
        // Unknown pointers fall back to the closest known ancestor.
        assert_eq!(text_at(text, map.key_span("/paths/~1pets~1{id}/get/nope")), "get");
    }

    #[test]
    fn json_and_non_ascii_text_give_byte_offsets() {
        let text = "{\"info\": {\"title\": \"Café ☕\", \"version\": \"1\"}}";
        let map = SourceMap::build(text);
        assert_eq!(text_at(text, map.value_span("/info/version")), "\"1\"");
        assert_eq!(text_at(text, map.key_span("/info/version")), "\"version\"");
    }

    #[test]
    fn broken_yaml_gives_a_usable_empty_map() {
        let map = SourceMap::build("a: [1, 2\nb: {");
        assert_eq!(map.key_span("/b"), map.key_span(""));
    }
}

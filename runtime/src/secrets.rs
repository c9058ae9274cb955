//! Secrets by reference: `env:NAME` and `file:PATH`, resolved when used, never stored or printed.
//!
//! Values are held as [`SecretString`] (redacted `Debug`, zeroed on drop) from the moment they are
//! read. Files are re-read when their modification time or size changes, so rotating a mounted
//! secret (Kubernetes, Vault agent) takes effect without a restart. Messages name the reference
//! ("environment variable PETSTORE_KEY"), never the value.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

pub use secrecy::{ExposeSecret, SecretString};

use super::definition::SecretRef;

/// Reads environment variables (injected so tests need not touch the process environment).
pub type EnvReader = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Resolves [`SecretRef`]s; shared by every tool call.
pub struct Secrets {
    env: EnvReader,
    files: Mutex<HashMap<PathBuf, CachedFile>>,
}

struct CachedFile {
    modified: Option<SystemTime>,
    len: u64,
    value: SecretString,
}

impl SecretRef {
    /// Where the value comes from, for messages: never the value itself.
    pub fn describe(&self) -> String {
        match self {
            Self::Env(name) => format!("environment variable {name}"),
            Self::File(path) => format!("file {path}"),
            Self::Value(_) => "a value in the manifest".to_owned(),
        }
    }
}

impl Secrets {
    /// Secrets read from `env` and the file system.
    pub fn new(env: EnvReader) -> Self {
        Self { env, files: Mutex::new(HashMap::new()) }
    }

    /// Secrets from the process environment.
    pub fn from_process() -> Self {
        Self::new(Arc::new(|name| std::env::var(name).ok()))
    }

    /// Reads an environment variable that is not a secret (base URL overrides).
    pub fn env_var(&self, name: &str) -> Option<String> {
        (self.env)(name)
    }

    /// The current value of `reference`. An unset or empty variable, or a missing, unreadable or
    /// empty file, is an error naming the reference. One trailing line break of a file is dropped.
    pub fn resolve(&self, reference: &SecretRef) -> Result<SecretString, String> {
        match reference {
            SecretRef::Value(value) => Ok(SecretString::from(value.clone())),
            SecretRef::Env(name) => match (self.env)(name) {
                Some(value) if !value.is_empty() => Ok(SecretString::from(value)),
                Some(_) => Err(format!("environment variable {name} is empty")),
                None => Err(format!("environment variable {name} is not set")),
            },
            SecretRef::File(path) => self.read_file(PathBuf::from(path)),
        }
    }

    fn read_file(&self, path: PathBuf) -> Result<SecretString, String> {
        let shown = path.display().to_string();
        let metadata = std::fs::metadata(&path).map_err(|err| format!("file {shown} cannot be read ({err})"))?;
        let modified = metadata.modified().ok();
        let len = metadata.len();
        let mut files = self.files.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(cached) = files.get(&path)
            && cached.modified == modified
            && cached.len == len
            && modified.is_some()
        {
            return Ok(cached.value.clone());
        }
        let mut text = std::fs::read_to_string(&path).map_err(|err| format!("file {shown} cannot be read ({err})"))?;
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        if text.is_empty() {
            return Err(format!("file {shown} is empty"));
        }
        let value = SecretString::from(text);
        files.insert(path, CachedFile { modified, len, value: value.clone() });
        Ok(value)
    }
}

/// Removes credentials from whatever an upstream sends back, in every spelling a JSON or text
/// body can carry: the literal value, JSON-escaped (`\u0053…`, `\/`, any mix of escaped and plain
/// characters), percent-encoded (either hex case, `+` for spaces) and base64 (standard or URL-safe,
/// padded or not — `Basic dXNlcjpwYXNz` echoes `user:pass`).
///
/// One mechanism for every escaping: the body is decoded into a shadow copy that remembers, for
/// each decoded byte, where it came from; a secret found in the shadow has its original span
/// replaced. Valid or truncated JSON stays well-formed, because `[redacted]` needs no escaping
/// and a span never ends inside an escape.
///
/// Built per call from the secrets its request carried; the derived spellings are secrets too.
pub struct Redactor {
    /// Raw values, found in every decoding.
    values: Vec<SecretString>,
    /// Base64 spellings, found in the JSON decoding (they need no percent-encoding).
    encoded: Vec<SecretString>,
}

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

impl Redactor {
    /// A redactor for `secrets`. Values shorter than 4 bytes are ignored: they would redact
    /// ordinary words, and are not worth hiding anyway.
    pub fn new(secrets: &[SecretString]) -> Self {
        use base64::Engine as _;
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
        let values: Vec<&str> = secrets.iter().map(|s| s.expose_secret()).filter(|v| v.len() >= 4).collect();
        let mut encoded: Vec<String> = values
            .iter()
            .flat_map(|v| [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD].map(|e| e.encode(v)))
            .collect();
        encoded.sort();
        encoded.dedup();
        Self {
            values: values.into_iter().map(SecretString::from).collect(),
            encoded: encoded.into_iter().map(SecretString::from).collect(),
        }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every spelling of every secret replaced by `[redacted]`.
    pub fn text(&self, text: &str) -> String {
        String::from_utf8(self.body(text.as_bytes())).unwrap_or_else(|_| REDACTED.to_owned())
    }

    /// `body` with every spelling of every secret replaced by `[redacted]` (bytes that are not
    /// UTF-8 are compared as they are).
    pub fn body(&self, body: &[u8]) -> Vec<u8> {
        if self.is_empty() {
            return body.to_vec();
        }
        let mut spans = Vec::new();
        let json = Shadow::json_unescaped(body);
        json.find(self.values.iter().chain(&self.encoded), &mut spans);
        Shadow::percent_decoded(body).find(&self.values, &mut spans);
        if spans.is_empty() {
            return body.to_vec();
        }
        spans.sort_unstable();
        let mut out = Vec::with_capacity(body.len());
        let mut done = 0;
        for (start, end) in spans {
            if end <= done {
                continue; // inside a span already replaced
            }
            if start >= done {
                out.extend_from_slice(&body[done..start]);
                out.extend_from_slice(REDACTED.as_bytes());
            }
            done = end;
        }
        out.extend_from_slice(&body[done..]);
        out
    }
}

/// A decoded copy of a body, with the original byte span of each decoded byte.
struct Shadow {
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl Shadow {
    fn push(&mut self, decoded: &[u8], start: usize, end: usize) {
        self.bytes.extend_from_slice(decoded);
        self.spans.extend(std::iter::repeat_n((start, end), decoded.len()));
    }

    /// JSON string escapes decoded (`\"`, `\\`, `\/`, `\b\f\n\r\t`, `\uXXXX` with surrogate
    /// pairs); everything else as it is.
    fn json_unescaped(body: &[u8]) -> Self {
        let mut shadow = Self { bytes: Vec::with_capacity(body.len()), spans: Vec::with_capacity(body.len()) };
        let mut i = 0;
        while i < body.len() {
            match json_escape(&body[i..]) {
                Some((c, width)) => {
                    shadow.push(c.encode_utf8(&mut [0; 4]).as_bytes(), i, i + width);
                    i += width;
                }
                None => {
                    shadow.push(&body[i..i + 1], i, i + 1);
                    i += 1;
                }
            }
        }
        shadow
    }

    /// `%XX` decoded (either case) and `+` read as a space; everything else as it is.
    fn percent_decoded(body: &[u8]) -> Self {
        let mut shadow = Self { bytes: Vec::with_capacity(body.len()), spans: Vec::with_capacity(body.len()) };
        let mut i = 0;
        while i < body.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match body[i] {
                b'%' if i + 2 < body.len() => match (hex(body[i + 1]), hex(body[i + 2])) {
                    (Some(high), Some(low)) => {
                        shadow.push(&[(high * 16 + low) as u8], i, i + 3);
                        i += 3;
                        continue;
                    }
                    _ => shadow.push(b"%", i, i + 1),
                },
                b'+' => shadow.push(b" ", i, i + 1),
                byte => shadow.push(&[byte], i, i + 1),
            }
            i += 1;
        }
        shadow
    }

    /// Adds the original span of every occurrence of each needle.
    fn find<'a>(&self, needles: impl IntoIterator<Item = &'a SecretString>, out: &mut Vec<(usize, usize)>) {
        for needle in needles {
            let needle = needle.expose_secret().as_bytes();
            for at in memchr::memmem::find_iter(&self.bytes, needle) {
                out.push((self.spans[at].0, self.spans[at + needle.len() - 1].1));
            }
        }
    }
}

/// The character a JSON escape at the start of `rest` stands for, and the escape's width;
/// `None` when `rest` does not start with a complete, valid escape (it is then read as it is).
fn json_escape(rest: &[u8]) -> Option<(char, usize)> {
    if rest.first() != Some(&b'\\') {
        return None;
    }
    let simple = match rest.get(1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let unit = |at: usize| {
                let digits = std::str::from_utf8(rest.get(at..at + 4)?).ok()?;
                u32::from_str_radix(digits, 16).ok()
            };
            let high = unit(2)?;
            if (0xD800..0xDC00).contains(&high) && rest.get(6..8) == Some(b"\\u") {
                let low = unit(8)?;
                let c = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low.checked_sub(0xDC00)? & 0x3FF))?;
                return Some((c, 12));
            }
            return Some((char::from_u32(high)?, 6));
        }
        _ => return None,
    };
    Some((simple, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new(&[SecretString::from("SEKRET/key+1 x"), SecretString::from("alice:pw-basic-123")])
    }

    fn json_escaped(text: &str) -> String {
        text.chars().map(|c| format!("\\u{:04x}", c as u32)).collect()
    }

    #[test]
    fn every_spelling_of_a_secret_is_redacted() {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let url_b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let spellings = [
            "SEKRET/key+1 x".to_owned(),
            json_escaped("SEKRET/key+1 x"),
            // Mixed: some characters escaped, `\/` for the slash.
            r"S\u0045KRET\/key+1\u0020x".to_owned(),
            "SEKRET%2Fkey%2B1%20x".to_owned(),
            "SEKRET%2fkey%2b1+x".to_owned(),
            format!("Basic {}", b64("alice:pw-basic-123")),
            url_b64("SEKRET/key+1 x"),
            json_escaped(&b64("alice:pw-basic-123")),
        ];
        for spelling in spellings {
            let body = format!(r#"{{"echo": "{spelling}", "n": 1}}"#);
            let clean = String::from_utf8(redactor().body(body.as_bytes())).unwrap();
            assert!(clean.contains(REDACTED), "{spelling} not redacted: {clean}");
            let value: serde_json::Value = serde_json::from_str(&clean).expect("still JSON");
            assert_eq!(value["n"], 1);
            for leak in ["SEKRET", "pw-basic", "U0VLUkVU", "YWxpY2U6"] {
                assert!(!clean.contains(leak), "{leak} left in {clean}");
            }
        }
    }

    #[test]
    fn text_binary_and_truncated_bodies_are_cleaned_and_clean_ones_untouched() {
        let r = redactor();
        assert_eq!(r.text("credential SEKRET/key+1 x rejected"), "credential [redacted] rejected");
        let cut = format!(r#"{{"a": "{}"#, json_escaped("SEKRET/key+1 x"));
        assert_eq!(r.text(&cut), r#"{"a": "[redacted]"#);
        let mut binary = vec![0xff, 0xfe];
        binary.extend_from_slice(b"SEKRET/key+1 x");
        binary.push(0x80);
        assert_eq!(r.body(&binary), [&[0xff, 0xfe][..], REDACTED.as_bytes(), &[0x80]].concat());
        let clean = br#"{"ok": true, "odd": "\u12 %zz %4"}"#;
        assert_eq!(r.body(clean), clean.to_vec());
        assert!(Redactor::new(&[SecretString::from("abc")]).is_empty(), "too short to hide");
    }
}

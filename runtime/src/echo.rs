//! Bounds on what the server repeats of a client's input in errors, log lines and audit records.
//!
//! A caller controls tool names and arguments; echoed whole, one 1 MB request would become a 1 MB
//! error, a 1 MB log line and a 1 MB audit record. Whatever is longer than its bound is cut and
//! labelled with its length and a digest, so the value stays recognisable (and comparable across
//! records) without being stored.

use std::borrow::Cow;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Characters of a client-supplied name (a tool name) repeated in an error or a log line.
pub const NAME_CHARS: usize = 128;
/// Characters of one argument problem reported back to the caller.
pub const PROBLEM_CHARS: usize = 512;
/// Argument problems reported back to the caller; the rest are counted.
pub const PROBLEMS: usize = 20;
/// Characters of one string argument kept in an audit record.
pub const AUDIT_STRING_CHARS: usize = 256;
/// Bytes of the arguments kept in an audit record (their digest is always kept whole).
pub const AUDIT_ARGUMENTS_BYTES: usize = 8 * 1024;

/// `text` cut to `max` characters, labelled with its full length and digest when cut.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => {
            Cow::Owned(format!("{}… [{} bytes, sha256:{}]", &text[..end], text.len(), short_digest(text)))
        }
    }
}

/// `lines` as reported to a caller: each clipped, at most [`PROBLEMS`] of them, the rest counted.
pub fn problems(lines: &[String]) -> Vec<String> {
    let mut shown: Vec<String> = lines.iter().take(PROBLEMS).map(|l| clip(l, PROBLEM_CHARS).into_owned()).collect();
    if lines.len() > PROBLEMS {
        shown.push(format!("- … and {} more problems", lines.len() - PROBLEMS));
    }
    shown
}

/// Arguments as an audit record keeps them: every string and key clipped to
/// [`AUDIT_STRING_CHARS`]; if still over [`AUDIT_ARGUMENTS_BYTES`], a note of their size instead.
pub fn audit_arguments(arguments: &Value) -> Value {
    let clipped = clip_strings(arguments);
    let size = clipped.to_string().len();
    if size <= AUDIT_ARGUMENTS_BYTES {
        return clipped;
    }
    let total = arguments.to_string().len();
    serde_json::json!({"[truncated]": format!("{total} bytes of arguments, over the {AUDIT_ARGUMENTS_BYTES}-byte audit bound; see argumentsDigest")})
}

fn clip_strings(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(clip(text, AUDIT_STRING_CHARS).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(clip_strings).collect()),
        Value::Object(map) => {
            map.iter().map(|(k, v)| (clip(k, AUDIT_STRING_CHARS).into_owned(), clip_strings(v))).collect()
        }
        other => other.clone(),
    }
}

/// The first 16 hex digits of the SHA-256 of `text`: enough to tell values apart.
fn short_digest(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_input_is_cut_labelled_and_short_input_kept() {
        assert_eq!(clip("short", 10), "short");
        let long = "é".repeat(1000);
        let cut = clip(&long, 10);
        assert!(cut.starts_with(&"é".repeat(10)) && cut.contains("[2000 bytes, sha256:"), "{cut}");
        assert!(cut.len() < 64);
        let lines: Vec<String> = (0..30).map(|i| format!("- {i} {}", "x".repeat(10_000))).collect();
        let shown = problems(&lines);
        assert_eq!(shown.len(), PROBLEMS + 1);
        assert!(shown.iter().all(|l| l.len() < PROBLEM_CHARS + 64));
        assert_eq!(shown[PROBLEMS], "- … and 10 more problems");
    }

    #[test]
    fn audited_arguments_are_bounded() {
        let big = serde_json::json!({"name": "x".repeat(1 << 20), "n": 3});
        let kept = audit_arguments(&big);
        assert_eq!(kept["n"], 3);
        assert!(kept.to_string().len() < 512, "{kept}");
        let many = Value::Array((0..10_000).map(|i| Value::from(format!("item {i}"))).collect());
        let kept = audit_arguments(&many);
        assert!(kept.to_string().len() < 256 && kept.to_string().contains("argumentsDigest"), "{kept}");
    }
}

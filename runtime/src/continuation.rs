//! Continuation handles: where the next page of a list tool starts, as one opaque string that
//! the same tool takes back as an argument.
//!
//! A handle holds the arguments of the next call (the caller's own, with the paging arguments
//! advanced) and how many items of that page were already returned. It never holds anything the
//! caller could not have sent itself: credentials are applied per request and never are
//! arguments, and values taken from upstream `next` links are only ever values of the
//! operation's declared parameters, checked against the server's secrets. So a forged handle
//! gains nothing a direct call would not, and the checksum is about damage (an agent that cuts
//! or retypes a handle), bound to the tool's name so one tool's handle is not run by another.
//! Whatever a handle says, the arguments it yields are validated like any call's.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Handles longer than this are not issued (the note then names the paging argument instead).
pub const MAX_HANDLE_BYTES: usize = 8 * 1024;

/// Format marker, the first part of every handle.
const PREFIX: &str = "c1";

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Continuation {
    /// Arguments of the next call, continuation argument excluded.
    #[serde(rename = "a")]
    pub arguments: Map<String, Value>,
    /// Items of that page already returned (a page cut by the item cap or the budget).
    #[serde(rename = "s", default, skip_serializing_if = "is_zero")]
    pub skip: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Serialize, Deserialize)]
struct Payload {
    /// The tool the handle belongs to.
    t: String,
    #[serde(flatten)]
    next: Continuation,
}

/// The handle of `next` for `tool`; `None` when it would be longer than [`MAX_HANDLE_BYTES`].
pub fn encode(tool: &str, next: &Continuation) -> Option<String> {
    let payload = Payload { t: tool.to_owned(), next: next.clone() };
    let json = serde_json::to_vec(&payload).ok()?;
    let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    let handle = format!("{PREFIX}.{body}.{}", checksum(tool, &body));
    (handle.len() <= MAX_HANDLE_BYTES).then_some(handle)
}

/// Reads a handle given to `tool`. The error says what is wrong and what to do, for the agent.
pub fn decode(tool: &str, handle: &str) -> Result<Continuation, String> {
    let damaged = |why: &str| {
        format!(
            "The continuation handle is not valid ({why}). Pass the `continuation` value of the previous result of `{tool}` exactly as it was given, or call without it to start from the first page."
        )
    };
    let mut parts = handle.trim().split('.');
    let (Some(PREFIX), Some(body), Some(check), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(damaged("it is not a handle this server issued"));
    };
    let json =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body).map_err(|_| damaged("it is cut or altered"))?;
    let payload: Payload = serde_json::from_slice(&json).map_err(|_| damaged("it is cut or altered"))?;
    if payload.t != tool {
        return Err(format!(
            "This continuation handle belongs to the tool `{}`, not `{tool}`. Call `{}` with it, or call `{tool}` without it.",
            super::echo::clip(&payload.t, super::echo::NAME_CHARS),
            super::echo::clip(&payload.t, super::echo::NAME_CHARS)
        ));
    }
    if check != checksum(tool, body) {
        return Err(damaged("its checksum does not match"));
    }
    Ok(payload.next)
}

/// First 12 bytes of SHA-256 over the tool's name and the encoded payload, hex.
fn checksum(tool: &str, body: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"mcpgen continuation v1\0");
    hash.update(tool.as_bytes());
    hash.update(b"\0");
    hash.update(body.as_bytes());
    hash.finalize()[..12].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn next() -> Continuation {
        let Value::Object(arguments) = json!({"org": "acme", "page": 3, "fields": "id,name"}) else { unreachable!() };
        Continuation { arguments, skip: 7 }
    }

    #[test]
    fn a_handle_round_trips_for_its_tool_only() {
        let handle = encode("list_repos", &next()).unwrap();
        assert!(handle.starts_with("c1.") && !handle.contains('='), "{handle}");
        assert_eq!(decode("list_repos", &handle).unwrap(), next());
        let other = decode("list_issues", &handle).unwrap_err();
        assert!(other.contains("belongs to the tool `list_repos`"), "{other}");
    }

    #[test]
    fn damaged_and_altered_handles_are_refused_with_advice() {
        let handle = encode("list_repos", &next()).unwrap();
        for bad in
            ["", "page=2", &handle[..handle.len() - 3], &handle.replacen("c1.", "c2.", 1), &format!("{handle}.x")]
        {
            let why = decode("list_repos", bad).unwrap_err();
            assert!(why.contains("not valid") && why.contains("exactly as it was given"), "{bad}: {why}");
        }
        // The same payload with another skip, re-encoded without the checksum's key material.
        let (_, rest) = handle.split_once('.').unwrap();
        let (body, check) = rest.split_once('.').unwrap();
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body).unwrap();
        let altered = String::from_utf8(json).unwrap().replace("\"s\":7", "\"s\":0");
        let altered = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(altered);
        let why = decode("list_repos", &format!("c1.{altered}.{check}")).unwrap_err();
        assert!(why.contains("checksum"), "{why}");
    }

    #[test]
    fn oversized_handles_are_not_issued() {
        let mut big = next();
        big.arguments.insert("q".into(), Value::String("x".repeat(MAX_HANDLE_BYTES)));
        assert_eq!(encode("list_repos", &big), None);
    }
}

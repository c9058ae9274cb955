//! The audit trail's hash chain, shared by the server (which writes it) and `mcpgen audit verify`
//! (which checks it): each JSONL record ends with `"hash"`, the SHA-256 of the previous record's
//! hash and this record's bytes, so changing, removing or reordering any record breaks the chain
//! from that point on. Self-contained (no `super::`), so the generator can include it.

use sha2::{Digest, Sha256};

/// `prev` of the first record of a trail.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const HASH_SUFFIX_LEN: usize = ",\"hash\":\"\"}".len() + 64;

/// The line for `body` (a compact JSON object whose last member is `"prev"`), chained after
/// `prev`, and its hash.
pub fn seal(prev: &str, body: &str) -> (String, String) {
    let hash = digest(prev, body);
    let open = body.strip_suffix('}').unwrap_or(body);
    (format!("{open},\"hash\":\"{hash}\"}}"), hash)
}

fn digest(prev: &str, body: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    hasher.update(b"\n");
    hasher.update(body.as_bytes());
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a trail does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// 1-based position of the first bad record across all files.
    pub record: usize,
    /// What is wrong there.
    pub reason: String,
}

/// Checks records (JSONL lines, in order, across rotated files); returns how many verified.
pub fn verify<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<usize, Broken> {
    let mut prev: Option<String> = None;
    let mut count = 0;
    for (i, line) in lines.into_iter().enumerate() {
        let record = i + 1;
        let broken = |reason: String| Broken { record, reason };
        if line.len() < HASH_SUFFIX_LEN || !line.ends_with("\"}") {
            return Err(broken("not a sealed record (truncated or edited)".into()));
        }
        let (open, sealed) = line.split_at(line.len() - HASH_SUFFIX_LEN);
        let hash = sealed.strip_prefix(",\"hash\":\"").and_then(|h| h.strip_suffix("\"}")).unwrap_or_default();
        let body = format!("{open}}}");
        let value: serde_json::Value =
            serde_json::from_str(&body).map_err(|_| broken("the record is not valid JSON".into()))?;
        let claimed_prev = value.get("prev").and_then(|p| p.as_str()).unwrap_or_default();
        // The first record given may follow records in rotated files that were deleted: only
        // the links from there on can be checked.
        if let Some(expected) = &prev
            && claimed_prev != expected
        {
            return Err(broken(
                "it does not follow the record before it (a record was removed, inserted or reordered)".into(),
            ));
        }
        if digest(claimed_prev, &body) != hash {
            return Err(broken("its contents do not match its hash (the record was changed)".into()));
        }
        prev = Some(hash.to_owned());
        count += 1;
    }
    Ok(count)
}

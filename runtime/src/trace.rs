//! W3C Trace Context for tool calls: continue the caller's trace (MCP `_meta.traceparent`, SEP-414,
//! or the HTTP `traceparent` header) or start one, and pass it to the upstream, so a call can be
//! followed from the agent through this server to the API in any tracing backend. The trace id is
//! also written in every log line of the call.

/// The trace of one tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// 32 lower-case hex digits.
    pub trace_id: String,
    /// This call's span id, 16 lower-case hex digits (the parent of the upstream request).
    pub span_id: String,
    /// Whether the trace is sampled (`01` flag).
    pub sampled: bool,
    /// The caller's span id, when the trace was continued.
    pub parent_id: Option<String>,
}

impl TraceContext {
    /// Continues the trace in `traceparent` when it is valid, else starts a new sampled one.
    pub fn continue_or_start(traceparent: Option<&str>) -> Self {
        let span_id = random_hex(8);
        match traceparent.and_then(parse) {
            Some((trace_id, parent_id, sampled)) => Self { trace_id, span_id, sampled, parent_id: Some(parent_id) },
            None => Self { trace_id: random_hex(16), span_id, sampled: true, parent_id: None },
        }
    }

    /// The `traceparent` header for a request made inside this call.
    pub fn traceparent(&self) -> String {
        format!("00-{}-{}-{}", self.trace_id, self.span_id, if self.sampled { "01" } else { "00" })
    }
}

/// (trace id, parent id, sampled) of a version-00 `traceparent`; invalid values are ignored, as
/// the spec says.
fn parse(value: &str) -> Option<(String, String, bool)> {
    let parts: Vec<&str> = value.trim().split('-').collect();
    let [version, trace_id, parent_id, flags] = parts.as_slice() else { return None };
    let hex =
        |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let valid = *version == "00"
        && hex(trace_id, 32)
        && hex(parent_id, 16)
        && hex(flags, 2)
        && trace_id.bytes().any(|b| b != b'0')
        && parent_id.bytes().any(|b| b != b'0');
    let flags = u8::from_str_radix(flags, 16).ok()?;
    valid.then(|| ((*trace_id).to_owned(), (*parent_id).to_owned(), flags & 1 == 1))
}

/// `bytes` random bytes as lower-case hex, never all zero (trace, span, request and idempotency ids).
pub fn random_hex(bytes: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    // Three to four ids per call: one buffer each, not one formatted `String` per byte.
    let mut id = String::with_capacity(bytes * 2);
    loop {
        id.clear();
        for _ in 0..bytes {
            let byte = fastrand::u8(..);
            id.push(char::from(DIGITS[usize::from(byte >> 4)]));
            id.push(char::from(DIGITS[usize::from(byte & 0xf)]));
        }
        // All-zero ids are invalid.
        if id.bytes().any(|b| b != b'0') {
            return id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_lower_case_hex_of_the_asked_length_and_continue_as_traceparents() {
        for bytes in [1, 8, 16] {
            let id = random_hex(bytes);
            assert_eq!(id.len(), bytes * 2);
            assert!(id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{id}");
        }
        let trace = TraceContext::continue_or_start(None);
        let next = TraceContext::continue_or_start(Some(&trace.traceparent()));
        assert_eq!((next.trace_id, next.parent_id), (trace.trace_id, Some(trace.span_id)));
    }
}

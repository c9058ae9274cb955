//! Manifest sections about resilience: timeouts, retries, circuit breakers and limits, at the top
//! level (defaults), per API and per operation. See `docs/operations.md`.

use serde::Deserialize;

use super::{Manifest, is_header_token};
use crate::diagnostics::Problem;
use crate::document::Document;
use crate::source_map::escape_token;

/// `resilience:` — every key optional; unset keys inherit (operation → API → top level → defaults).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResilienceSection {
    /// Longest wait for a connection (per API).
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    /// Longest time one attempt may take, body included.
    #[serde(default)]
    pub attempt_timeout_ms: Option<u64>,
    /// Longest time a whole tool call may take, retries included.
    #[serde(default)]
    pub deadline_ms: Option<u64>,
    /// Attempts in all (1 = no retries).
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// First backoff ceiling.
    #[serde(default)]
    pub initial_backoff_ms: Option<u64>,
    /// Largest backoff ceiling.
    #[serde(default)]
    pub max_backoff_ms: Option<u64>,
    /// Largest response body returned.
    #[serde(default)]
    pub max_response_bytes: Option<u64>,
    /// Circuit breaker (per API).
    #[serde(default)]
    pub circuit_breaker: Option<CircuitBreakerSection>,
    /// Token bucket for all calls to the API (per API).
    #[serde(default)]
    pub rate_limit: Option<RateLimitSection>,
    /// Most requests in flight to the API (per API).
    #[serde(default)]
    pub max_concurrency: Option<u32>,
    /// Token bucket per inbound client or tenant (top level only).
    #[serde(default)]
    pub client_rate_limit: Option<RateLimitSection>,
}

/// `circuit_breaker:`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreakerSection {
    /// `false` turns the breaker off.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// `operation` (default): one breaker per tool; `api`: one for the whole API.
    #[serde(default)]
    pub scope: Option<crate::definition::BreakerScope>,
    /// Share of failed calls in the window that opens the circuit.
    #[serde(default)]
    pub failure_rate: Option<f64>,
    /// Sliding window length.
    #[serde(default)]
    pub window_seconds: Option<u64>,
    /// Calls needed in the window before judging.
    #[serde(default)]
    pub minimum_calls: Option<u32>,
    /// Time open before a trial call.
    #[serde(default)]
    pub open_seconds: Option<u64>,
}

/// A token bucket.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSection {
    /// Sustained calls per second.
    pub per_second: u32,
    /// Calls allowed at once (default: `per_second`).
    #[serde(default)]
    pub burst: Option<u32>,
}

/// Where a section sits, which decides the keys it may hold.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    Api,
    Operation,
}

/// Checks every resilience section and idempotency key; adds to `problems`.
pub(super) fn check(doc: &Document, manifest: &Manifest, problems: &mut Vec<Problem>) {
    if let Some(section) = &manifest.resilience {
        check_section(doc, "/resilience", section, Level::Top, problems);
    }
    for (id, api) in &manifest.apis {
        let at = format!("/apis/{}", escape_token(id));
        if let Some(section) = &api.resilience {
            check_section(doc, &format!("{at}/resilience"), section, Level::Api, problems);
        }
        for (key, tool) in &api.tools {
            let tool_at = format!("{at}/tools/{}", escape_token(key));
            if let Some(section) = &tool.resilience {
                check_section(doc, &format!("{tool_at}/resilience"), section, Level::Operation, problems);
            }
            if let Some(header) = &tool.idempotency_key
                && !is_header_token(header)
            {
                problems.push(
                    doc.at_value(
                        &format!("{tool_at}/idempotency_key"),
                        Problem::error(
                            "mcpgen::manifest::resilience",
                            format!("`{header}` is not a valid header name"),
                        )
                        .with_help("use letters, digits and `-`, e.g. `Idempotency-Key`"),
                        "invalid header name",
                    ),
                );
            }
        }
    }
}

fn check_section(doc: &Document, at: &str, s: &ResilienceSection, level: Level, problems: &mut Vec<Problem>) {
    let mut bad = |key: &str, message: String, help: &str| {
        problems.push(doc.at_key(
            &format!("{at}/{key}"),
            Problem::error("mcpgen::manifest::resilience", message).with_help(help.to_owned()),
            "here",
        ));
    };
    let per_api = [
        ("connect_timeout_ms", s.connect_timeout_ms.is_some()),
        ("circuit_breaker", s.circuit_breaker.is_some()),
        ("rate_limit", s.rate_limit.is_some()),
        ("max_concurrency", s.max_concurrency.is_some()),
    ];
    if level == Level::Operation {
        for (key, set) in per_api {
            if set {
                bad(
                    key,
                    format!("`{key}` applies to a whole API, not to one operation"),
                    "set it under `apis.<id>.resilience` (or the top-level `resilience`)",
                );
            }
        }
    }
    if level != Level::Top && s.client_rate_limit.is_some() {
        bad(
            "client_rate_limit",
            "`client_rate_limit` applies to the whole server".into(),
            "set it under the top-level `resilience`",
        );
    }
    for (key, value) in [
        ("connect_timeout_ms", s.connect_timeout_ms),
        ("attempt_timeout_ms", s.attempt_timeout_ms),
        ("deadline_ms", s.deadline_ms),
        ("max_response_bytes", s.max_response_bytes),
        ("max_attempts", s.max_attempts.map(u64::from)),
        ("max_concurrency", s.max_concurrency.map(u64::from)),
    ] {
        if value == Some(0) {
            bad(key, format!("`{key}` must be at least 1"), "use a positive number");
        }
    }
    if let (Some(attempt), Some(deadline)) = (s.attempt_timeout_ms, s.deadline_ms)
        && attempt > deadline
    {
        bad(
            "attempt_timeout_ms",
            format!("an attempt ({attempt} ms) cannot take longer than the whole call ({deadline} ms)"),
            "make `attempt_timeout_ms` at most `deadline_ms`",
        );
    }
    if let Some(breaker) = &s.circuit_breaker
        && let Some(rate) = breaker.failure_rate
        && !(rate > 0.0 && rate <= 1.0)
    {
        bad(
            "circuit_breaker",
            format!("failure_rate {rate} is not in (0, 1]"),
            "write a share such as 0.5 (half of the calls failed)",
        );
    }
    for (key, limit) in [("rate_limit", &s.rate_limit), ("client_rate_limit", &s.client_rate_limit)] {
        if let Some(limit) = limit
            && (limit.per_second == 0 || limit.burst == Some(0))
        {
            bad(key, format!("`{key}` must allow at least one call"), "use positive `per_second` and `burst`");
        }
    }
}

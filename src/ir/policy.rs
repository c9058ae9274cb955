//! Resilience in the IR: each API's and each tool's policy, resolved from the manifest's sections
//! (operation → API → top level → built-in defaults), so the runtime reads finished values.

use crate::definition::{BreakerScope, CircuitBreakerDefinition, RateLimitDefinition, ResilienceDefinition};
use crate::manifest::{RateLimitSection, ResilienceSection};

/// Default concurrency limit per upstream API.
pub(super) const DEFAULT_MAX_CONCURRENCY: u32 = 32;

/// The breaker used unless the manifest changes or disables it.
fn default_breaker() -> CircuitBreakerDefinition {
    CircuitBreakerDefinition {
        scope: BreakerScope::Operation,
        failure_rate: 0.5,
        window_seconds: 30,
        minimum_calls: 10,
        open_seconds: 30,
    }
}

/// `section` over `base`.
pub(super) fn apply(base: &ResilienceDefinition, section: Option<&ResilienceSection>) -> ResilienceDefinition {
    let Some(s) = section else { return base.clone() };
    ResilienceDefinition {
        connect_timeout_ms: s.connect_timeout_ms.unwrap_or(base.connect_timeout_ms),
        attempt_timeout_ms: s.attempt_timeout_ms.unwrap_or(base.attempt_timeout_ms),
        deadline_ms: s.deadline_ms.unwrap_or(base.deadline_ms),
        max_attempts: s.max_attempts.unwrap_or(base.max_attempts),
        initial_backoff_ms: s.initial_backoff_ms.unwrap_or(base.initial_backoff_ms),
        max_backoff_ms: s.max_backoff_ms.unwrap_or(base.max_backoff_ms),
        max_response_bytes: s.max_response_bytes.unwrap_or(base.max_response_bytes),
    }
}

/// The API-wide protections: breaker, rate limit, concurrency (API section over top level).
pub(super) fn api_limits(
    top: Option<&ResilienceSection>,
    api: Option<&ResilienceSection>,
) -> (Option<CircuitBreakerDefinition>, Option<RateLimitDefinition>, Option<u32>) {
    let sections = [api, top];
    let pick = |f: &dyn Fn(&ResilienceSection) -> bool| sections.into_iter().flatten().find(|s| f(s));
    let breaker = match pick(&|s| s.circuit_breaker.is_some()).and_then(|s| s.circuit_breaker.as_ref()) {
        None => Some(default_breaker()),
        Some(b) if b.enabled == Some(false) => None,
        Some(b) => {
            let d = default_breaker();
            Some(CircuitBreakerDefinition {
                scope: b.scope.unwrap_or(d.scope),
                failure_rate: b.failure_rate.unwrap_or(d.failure_rate),
                window_seconds: b.window_seconds.unwrap_or(d.window_seconds),
                minimum_calls: b.minimum_calls.unwrap_or(d.minimum_calls),
                open_seconds: b.open_seconds.unwrap_or(d.open_seconds),
            })
        }
    };
    let rate = pick(&|s| s.rate_limit.is_some()).and_then(|s| s.rate_limit.as_ref()).map(bucket);
    let concurrency =
        pick(&|s| s.max_concurrency.is_some()).and_then(|s| s.max_concurrency).or(Some(DEFAULT_MAX_CONCURRENCY));
    (breaker, rate, concurrency)
}

/// A manifest bucket as the runtime's.
pub(super) fn bucket(section: &RateLimitSection) -> RateLimitDefinition {
    RateLimitDefinition { per_second: section.per_second, burst: section.burst.unwrap_or(section.per_second) }
}

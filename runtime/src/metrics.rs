//! Prometheus metrics of a generated server (`/metrics`): calls by tool and outcome, latency,
//! upstream status codes, retries, circuit states, rate limiting and inbound auth failures. The
//! `outcome` label is `ok` or an error class (`rate_limited`, `upstream_5xx`, …), the same word the
//! agent sees in the result and the engineer sees in the logs.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

/// Every metric of the server.
pub struct Metrics {
    registry: Registry,
    calls: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    upstream: Family<Labels, Counter>,
    retries: Family<Labels, Counter>,
    circuit: Family<Labels, Gauge>,
    rate_limited: Family<Labels, Counter>,
    auth_failures: Family<Labels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 5 ms … ~41 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("mcpgen");
        let calls = Family::<Labels, Counter>::default();
        registry.register("tool_calls", "Tool calls by tool, API and outcome (ok or error class)", calls.clone());
        let latency = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "tool_call_duration_seconds",
            "Tool call latency, retries and waits included",
            latency.clone(),
        );
        let upstream = Family::<Labels, Counter>::default();
        registry.register("upstream_responses", "Upstream HTTP responses by API and status code", upstream.clone());
        let retries = Family::<Labels, Counter>::default();
        registry.register("upstream_retries", "Upstream requests retried, by API and reason", retries.clone());
        let circuit = Family::<Labels, Gauge>::default();
        registry.register(
            "circuit_state",
            "Circuit breaker state by API and circuit (tool, or the API when it has one breaker): 0 closed, 1 open, 2 half-open",
            circuit.clone(),
        );
        let rate_limited = Family::<Labels, Counter>::default();
        registry.register(
            "rate_limited",
            "Calls refused or delayed by a limit, by scope (upstream, client, concurrency)",
            rate_limited.clone(),
        );
        let auth_failures = Family::<Labels, Counter>::default();
        registry.register(
            "auth_failures",
            "Inbound requests refused by the auth gate, by reason",
            auth_failures.clone(),
        );
        Self { registry, calls, latency, upstream, retries, circuit, rate_limited, auth_failures }
    }

    /// One finished tool call.
    pub fn call(&self, tool: &str, api: &str, outcome: &str, seconds: f64) {
        let labels = vec![("tool", tool.to_owned()), ("api", api.to_owned()), ("outcome", outcome.to_owned())];
        self.calls.get_or_create(&labels).inc();
        self.latency.get_or_create(&vec![("tool", tool.to_owned())]).observe(seconds);
    }

    /// One upstream response.
    pub fn upstream_status(&self, api: &str, status: u16) {
        self.upstream.get_or_create(&vec![("api", api.to_owned()), ("status", status.to_string())]).inc();
    }

    /// One retry.
    pub fn retry(&self, api: &str, reason: &str) {
        self.retries.get_or_create(&vec![("api", api.to_owned()), ("reason", reason.to_owned())]).inc();
    }

    /// The state of a circuit of `api` (0 closed, 1 open, 2 half-open): `circuit` is the tool's
    /// name (per-operation breakers) or the API's id (one breaker for the API).
    pub fn circuit_state(&self, api: &str, circuit: &str, state: i64) {
        self.circuit.get_or_create(&vec![("api", api.to_owned()), ("circuit", circuit.to_owned())]).set(state);
    }

    /// A call stopped or delayed by a limit.
    pub fn rate_limited(&self, scope: &str, api: &str) {
        self.rate_limited.get_or_create(&vec![("scope", scope.to_owned()), ("api", api.to_owned())]).inc();
    }

    /// An inbound request refused by the auth gate.
    pub fn auth_failure(&self, reason: &str) {
        self.auth_failures.get_or_create(&vec![("reason", reason.to_owned())]).inc();
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

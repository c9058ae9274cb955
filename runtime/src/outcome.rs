//! Error classes shared by tool results, logs and metrics, and the `isError` results that tell an
//! agent what happened and what to do next.
//!
//! Every failed call carries its class in the result's `_meta` (`io.mcpgen/error`), in the log
//! line of the call and in the `outcome` label of `mcpgen_tool_calls_total`, so one word connects
//! what the agent saw with what the on-call engineer searches for.

use rmcp::model::{CallToolResult, ContentBlock, MetaObject};
use serde_json::json;

/// Why a tool call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The arguments do not match the input schema (fix them).
    InvalidArguments,
    /// The caller or the server could not authenticate (upstream 401, missing credentials).
    Unauthenticated,
    /// Authenticated but not allowed (upstream 403, missing scope, unknown tenant).
    Forbidden,
    /// Too many calls: a local limit or the upstream's 429 (retry later).
    RateLimited,
    /// The upstream's circuit is open after repeated failures (retry later).
    CircuitOpen,
    /// An attempt or the whole call ran out of time.
    Timeout,
    /// The upstream refused the request (4xx other than 401/403/429).
    Upstream4xx,
    /// The upstream failed (5xx).
    Upstream5xx,
    /// A success status whose body breaks the API's contract (invalid JSON, not matching the
    /// output schema, missing): the API and its OpenAPI document disagree, so retrying seldom helps.
    InvalidResponse,
    /// The upstream could not be reached or the connection broke.
    Transport,
    /// The response was larger than the configured cap.
    ResponseTooLarge,
    /// The tool table itself is faulty (a schema its validator cannot compile): only a
    /// regenerated server fixes it.
    ServerFault,
}

impl ErrorClass {
    /// The class as written in results, logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArguments => "invalid_arguments",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::RateLimited => "rate_limited",
            Self::CircuitOpen => "circuit_open",
            Self::Timeout => "timeout",
            Self::Upstream4xx => "upstream_4xx",
            Self::Upstream5xx => "upstream_5xx",
            Self::InvalidResponse => "invalid_response",
            Self::Transport => "transport",
            Self::ResponseTooLarge => "response_too_large",
            Self::ServerFault => "server_fault",
        }
    }

    /// The class of an upstream HTTP status that is not a success.
    pub fn of_status(status: u16) -> Self {
        match status {
            401 => Self::Unauthenticated,
            403 => Self::Forbidden,
            429 => Self::RateLimited,
            500..=599 => Self::Upstream5xx,
            _ => Self::Upstream4xx,
        }
    }
}

/// A failed call, as the agent will see it.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What kind of failure.
    pub class: ErrorClass,
    /// What happened and what to do next, for the agent.
    pub message: String,
    /// When retrying makes sense, after how many seconds.
    pub retry_after_seconds: Option<u64>,
}

impl Failure {
    /// A failure of `class` with `message`.
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        Self { class, message: message.into(), retry_after_seconds: None }
    }

    /// Says when to retry.
    #[must_use]
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_seconds = Some(seconds);
        self
    }

    /// The `isError` result, with the class (and retry delay) in `_meta` for programs.
    pub fn into_result(self, request_id: &str) -> CallToolResult {
        let mut result = CallToolResult::error(vec![ContentBlock::text(self.message)]);
        result.meta = Some(error_meta(self.class, self.retry_after_seconds, request_id));
        result
    }
}

/// `_meta` of a failed call.
pub fn error_meta(class: ErrorClass, retry_after_seconds: Option<u64>, request_id: &str) -> MetaObject {
    let mut error = json!({"class": class.as_str(), "requestId": request_id});
    if let Some(seconds) = retry_after_seconds {
        error["retryAfterSeconds"] = json!(seconds);
    }
    let mut meta = MetaObject::new();
    meta.0.insert("io.mcpgen/error".to_owned(), error);
    meta
}

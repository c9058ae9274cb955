//! Sending one prepared request to an upstream API, resiliently: the API's rate limit and
//! concurrency limit, the call's circuit breaker (the tool's or the API's), a timeout per attempt inside the call's deadline, and
//! retries with exponential backoff and full jitter.
//!
//! Retried: connection failures and connections closed before any response, and HTTP 429, 502,
//! 503, 504 — only when repeating the call is safe (an idempotent method, an operation the
//! manifest marks idempotent, or an `Idempotency-Key` reused by every attempt). `Retry-After` is
//! honoured, but never past the deadline: then the call fails at once and says when to retry.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;

use super::breaker::Circuit;
use super::definition::{ApiDefinition, ResilienceDefinition};
use super::metrics::Metrics;
use super::outcome::{ErrorClass, Failure};
use super::progress::Progress;
use super::request::{Body, PreparedRequest};
use super::response::UpstreamResponse;

/// What protects one upstream API.
pub struct ApiGuard {
    /// API id (metrics labels).
    pub api: String,
    rate: Option<DefaultDirectRateLimiter>,
    concurrency: Option<Arc<Semaphore>>,
}

/// The result of sending, with how many attempts it took.
pub struct Sent {
    /// The response (any status) or why there is none.
    pub response: Result<UpstreamResponse, Failure>,
    /// Requests made.
    pub attempts: u32,
    /// Whether the body was cut at the size cap.
    pub truncated: bool,
    /// The last response's `Retry-After`.
    pub retry_after: Option<Duration>,
}

/// A token bucket of `per_second` with `burst`.
pub fn rate_limiter(per_second: u32, burst: u32) -> DefaultDirectRateLimiter {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    RateLimiter::direct(Quota::per_second(rate).allow_burst(burst))
}

/// How one call's request is sent.
#[derive(Clone, Copy)]
pub struct SendOptions<'a> {
    /// Timeouts, retries, backoff and response cap.
    pub policy: &'a ResilienceDefinition,
    /// Whether repeating the request is safe.
    pub may_retry: bool,
    /// When the whole call must be over.
    pub deadline: Instant,
    /// Where retries, statuses and limits are counted.
    pub metrics: &'a Metrics,
    /// Where waits and retries are reported to the caller.
    pub progress: &'a Progress,
    /// The breaker guarding the call, when one is configured.
    pub circuit: Option<&'a Circuit>,
}

impl ApiGuard {
    /// The guard described by `api`.
    pub fn new(api: &ApiDefinition) -> Self {
        Self {
            api: api.id.clone(),
            rate: api.rate_limit.as_ref().map(|r| rate_limiter(r.per_second, r.burst)),
            concurrency: api.max_concurrency.map(|n| Arc::new(Semaphore::new(n.max(1) as usize))),
        }
    }

    /// Sends `request` with `client` as `how` says.
    pub async fn send(&self, client: &reqwest::Client, request: &PreparedRequest, how: &SendOptions<'_>) -> Sent {
        let SendOptions { policy, may_retry, deadline, metrics, progress, circuit } = *how;
        let mut attempts = 0;
        let mut ceiling = Duration::from_millis(policy.initial_backoff_ms.max(1));
        // The outcome a retry was started to improve on. When the deadline, not the upstream, ends
        // that retry, the caller hears what the upstream last said (a 503 with its attempt count),
        // not a timeout the upstream never caused. The attempt count stays true: the cut retry was
        // sent.
        let mut retried: Option<Outcome> = None;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return match retried {
                    Some(outcome) => self.finish(outcome, attempts, policy),
                    None => self.failed(attempts, timeout_failure(policy)),
                };
            }
            // The API's own limits: wait for a token / a slot, but not past the deadline.
            if let Some(rate) = &self.rate
                && rate.check().is_err()
            {
                metrics.rate_limited("upstream", &self.api);
                progress.report(|| format!("Waiting for the server's rate limit for the {} API.", self.api));
                if tokio::time::timeout(remaining, rate.until_ready()).await.is_err() {
                    let failure = Failure::new(ErrorClass::RateLimited, format!("The server's rate limit for the {} API is exhausted and no slot freed up within the call's deadline. Retry in a few seconds, or make fewer calls.", self.api)).retry_after(1);
                    return self.failed(attempts, failure);
                }
            }
            let slot = match &self.concurrency {
                Some(semaphore) => {
                    if semaphore.available_permits() == 0 {
                        metrics.rate_limited("concurrency", &self.api);
                        progress.report(|| {
                            format!("Waiting for one of the other calls to the {} API in flight to finish.", self.api)
                        });
                    }
                    let remaining = deadline.saturating_duration_since(Instant::now());
                    match tokio::time::timeout(remaining, semaphore.clone().acquire_owned()).await {
                        Ok(Ok(permit)) => Some(permit),
                        _ => {
                            let failure = Failure::new(ErrorClass::RateLimited, format!("Too many calls to the {} API are in flight; none finished within the call's deadline. Retry in a few seconds.", self.api)).retry_after(1);
                            return self.failed(attempts, failure);
                        }
                    }
                }
                None => None,
            };
            let permit = match circuit {
                Some(circuit) => match circuit.breaker.acquire() {
                    Ok(permit) => Some(permit),
                    Err(wait) => {
                        circuit.publish(metrics);
                        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
                        let what = if circuit.api_wide {
                            format!(
                                "The {} API is failing repeatedly, so calls to it are paused (circuit open). Retry in {seconds} s; tools of other APIs keep working.",
                                self.api
                            )
                        } else {
                            format!(
                                "Calls to `{}` are failing repeatedly, so they are paused (circuit open). Retry in {seconds} s; other tools keep working.",
                                circuit.name
                            )
                        };
                        return self.failed(attempts, Failure::new(ErrorClass::CircuitOpen, what).retry_after(seconds));
                    }
                },
                None => None,
            };
            attempts += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let cut_by_deadline = remaining < Duration::from_millis(policy.attempt_timeout_ms);
            let per_attempt = Duration::from_millis(policy.attempt_timeout_ms).min(remaining);
            let outcome = tokio::time::timeout(per_attempt, attempt(client, request, policy.max_response_bytes)).await;
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(_) => Err(Attempt::TimedOut),
            };
            if cut_by_deadline
                && matches!(outcome, Err(Attempt::TimedOut))
                && let Some(earlier) = retried
            {
                return self.finish(earlier, attempts, policy);
            }
            let failed = match &outcome {
                Ok((response, _, _)) => Some(response.status >= 500),
                // Refused by the HTTP stack before anything was sent: the caller's arguments are at
                // fault, not the upstream, so the breaker does not hear of it (an unrecorded permit
                // frees a half-open trial for the next call).
                Err(Attempt::Invalid(_)) => None,
                Err(_) => Some(true),
            };
            if let (Some(permit), Some(failed), Some(circuit)) = (permit, failed, circuit) {
                permit.record(failed);
                circuit.publish(metrics);
            }
            if let Ok((response, _, _)) = &outcome {
                metrics.upstream_status(&self.api, response.status);
            }
            let retry_reason = match &outcome {
                Ok((response, _, _)) if matches!(response.status, 429 | 502 | 503 | 504) => {
                    Some(response.status.to_string())
                }
                Err(Attempt::Connect(_)) => Some("connect".to_owned()),
                Err(Attempt::NoResponse(_)) => Some("connection_closed".to_owned()),
                _ => None,
            };
            let retry_after = match &outcome {
                Ok((_, retry_after, _)) => *retry_after,
                Err(_) => None,
            };
            let can_retry = may_retry && attempts < policy.max_attempts && retry_reason.is_some();
            if can_retry {
                // Full jitter below an exponentially growing ceiling; Retry-After is a floor.
                let jitter = Duration::from_millis(fastrand::u64(0..=ceiling.as_millis() as u64));
                let delay = retry_after.map_or(jitter, |after| after.max(jitter));
                let remaining = deadline.saturating_duration_since(Instant::now());
                if delay < remaining {
                    metrics.retry(&self.api, retry_reason.as_deref().unwrap_or("?"));
                    progress.report(|| {
                        let what = match retry_reason.as_deref() {
                            Some("connect") => "could not be reached".to_owned(),
                            Some("connection_closed") => "closed the connection without answering".to_owned(),
                            Some(status) => format!("answered HTTP {status}"),
                            None => "failed".to_owned(),
                        };
                        format!(
                            "The {} API {what}; retrying in {} ms (attempt {} of {}).",
                            self.api,
                            delay.as_millis(),
                            attempts + 1,
                            policy.max_attempts
                        )
                    });
                    tracing::debug!(api = %self.api, attempt = attempts, delay_ms = delay.as_millis() as u64, reason = ?retry_reason, "retrying");
                    // A call waiting to retry leaves its concurrency slot to others.
                    drop(slot);
                    retried = Some(outcome);
                    tokio::time::sleep(delay).await;
                    ceiling = (ceiling * 2).min(Duration::from_millis(policy.max_backoff_ms.max(1)));
                    continue;
                }
            }
            return self.finish(outcome, attempts, policy);
        }
    }

    /// What the caller hears of an attempt's `outcome`, `attempts` attempts in.
    fn finish(&self, outcome: Outcome, attempts: u32, policy: &ResilienceDefinition) -> Sent {
        match outcome {
            Ok((response, retry_after, truncated)) => Sent { response: Ok(response), attempts, truncated, retry_after },
            Err(Attempt::TimedOut) => self.failed(attempts, timeout_failure(policy)),
            Err(Attempt::Invalid(why)) => self.failed(
                attempts - 1, // nothing was sent
                Failure::new(
                    ErrorClass::InvalidArguments,
                    format!(
                        "The request could not be sent to the {} API: {why}. Fix the arguments and call again.",
                        self.api
                    ),
                ),
            ),
            Err(Attempt::Connect(why) | Attempt::NoResponse(why) | Attempt::Other(why)) => self.failed(
                attempts,
                Failure::new(
                    ErrorClass::Transport,
                    format!(
                        "Could not reach the {} API: {why}. It may be down or unreachable; retrying later may help.",
                        self.api
                    ),
                ),
            ),
        }
    }

    fn failed(&self, attempts: u32, failure: Failure) -> Sent {
        Sent { response: Err(failure), attempts, truncated: false, retry_after: None }
    }
}

fn timeout_failure(policy: &ResilienceDefinition) -> Failure {
    Failure::new(
        ErrorClass::Timeout,
        format!(
            "The upstream API did not answer in time (per attempt {} ms, whole call {} ms). It may be overloaded; retry later, or narrow the request.",
            policy.attempt_timeout_ms, policy.deadline_ms
        ),
    )
}

/// What one attempt came to: the response (with its `Retry-After` and whether its body was cut),
/// or why there was none.
type Outcome = Result<(UpstreamResponse, Option<Duration>, bool), Attempt>;

/// Why an attempt got no response.
enum Attempt {
    /// The connection could not be made.
    Connect(String),
    /// The connection broke before any response arrived.
    NoResponse(String),
    /// The attempt's time ran out.
    TimedOut,
    /// The request was refused locally, before anything was sent (bad method, URL or header).
    Invalid(String),
    /// Anything else (an unreadable response body).
    Other(String),
}

/// One request: the response (body cut at `cap` bytes), its `Retry-After`, and whether it was cut.
async fn attempt(client: &reqwest::Client, prepared: &PreparedRequest, cap: u64) -> Outcome {
    let method =
        reqwest::Method::from_bytes(prepared.method.as_bytes()).map_err(|e| Attempt::Invalid(e.to_string()))?;
    let mut builder = client.request(method, &prepared.url);
    for (name, value) in &prepared.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    match &prepared.body {
        Some(Body::Bytes(bytes)) => builder = builder.body(bytes.clone()),
        Some(Body::Multipart(parts)) => {
            let mut form = reqwest::multipart::Form::new();
            for part in parts {
                let mut piece = reqwest::multipart::Part::bytes(part.data.clone());
                if let Some(filename) = &part.filename {
                    piece = piece.file_name(filename.clone());
                }
                if let Some(content_type) = &part.content_type {
                    piece = piece
                        .mime_str(content_type)
                        .map_err(|e| Attempt::Invalid(format!("invalid part content type: {e}")))?;
                }
                form = form.part(part.name.clone(), piece);
            }
            builder = builder.multipart(form);
        }
        None => {}
    }
    let mut response = builder.send().await.map_err(|err| {
        if err.is_builder() {
            Attempt::Invalid(describe(&err))
        } else if err.is_connect() {
            Attempt::Connect(describe(&err))
        } else if err.is_timeout() {
            Attempt::TimedOut
        } else if err.is_request() {
            Attempt::NoResponse(describe(&err))
        } else {
            Attempt::Other(describe(&err))
        }
    })?;
    let status = response.status().as_u16();
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let retry_after = header(reqwest::header::RETRY_AFTER).and_then(|v| parse_retry_after(&v));
    let links: Vec<&str> =
        response.headers().get_all(reqwest::header::LINK).iter().filter_map(|v| v.to_str().ok()).collect();
    let link = (!links.is_empty()).then(|| links.join(", "));
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await.map_err(|err| Attempt::Other(describe(&err)))? {
        let room = (cap as usize).saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break; // stop reading: memory stays bounded whatever the upstream sends
        }
        body.extend_from_slice(&chunk);
    }
    Ok((UpstreamResponse { status, content_type, body, link }, retry_after, truncated))
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// A transport error without the URL (its query string may hold an API key).
fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "connection failed"
    } else if err.is_body() || err.is_decode() {
        "the response body could not be read"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(err);
    let mut detail = String::new();
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() { kind.to_owned() } else { format!("{kind} ({detail})") }
}

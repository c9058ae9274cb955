//! A circuit breaker per operation or per upstream API (its `scope`): closed → open when the failure rate over a sliding window
//! passes the threshold (after a minimum number of calls) → half-open after the open period, when
//! one trial request decides between closed and open again. An open circuit fails calls at once,
//! saying when to retry, instead of piling more load on a failing upstream.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::definition::CircuitBreakerDefinition;

/// The breaker's state (also exported as the `mcpgen_circuit_state` gauge: 0, 1, 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// Calls flow.
    Closed,
    /// Calls fail fast.
    Open,
    /// One trial call is allowed.
    HalfOpen,
}

impl CircuitState {
    /// Gauge value.
    pub fn as_gauge(self) -> i64 {
        match self {
            Self::Closed => 0,
            Self::Open => 1,
            Self::HalfOpen => 2,
        }
    }
}

/// A breaker with the name it is known by in metrics, `/readyz` and messages: the tool's name
/// (per-operation scope) or the API's id (API scope, shared by all the API's tools).
#[derive(Clone)]
pub struct Circuit {
    /// The tool's name or the API's id.
    pub name: String,
    /// The API the circuit belongs to.
    pub api: String,
    /// Whether the whole API shares it.
    pub api_wide: bool,
    /// The breaker.
    pub breaker: Arc<CircuitBreaker>,
}

impl Circuit {
    /// Publishes the state to the `mcpgen_circuit_state` gauge.
    pub fn publish(&self, metrics: &super::metrics::Metrics) {
        metrics.circuit_state(&self.api, &self.name, self.breaker.state().as_gauge());
    }
}

/// The state of one circuit.
pub struct CircuitBreaker {
    definition: CircuitBreakerDefinition,
    inner: Mutex<Inner>,
}

struct Inner {
    state: CircuitState,
    /// (when, failed) of recent calls, oldest first (closed state only).
    outcomes: VecDeque<(Instant, bool)>,
    /// How many of `outcomes` failed, kept with it: counting the window on every call cost
    /// O(calls in the window) — at 6,000 calls/s and a 30 s window, 180,000 entries scanned per
    /// call, the largest single cost of a call in the profile (issue 13, item 4).
    failures: usize,
    opened_at: Instant,
    trial_in_flight: bool,
}

/// Permission to make one request; report how it went with [`Permit::record`].
pub struct Permit {
    breaker: Arc<CircuitBreaker>,
    trial: bool,
    recorded: bool,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(definition: CircuitBreakerDefinition) -> Arc<Self> {
        let inner = Inner {
            state: CircuitState::Closed,
            outcomes: VecDeque::new(),
            failures: 0,
            opened_at: Instant::now(),
            trial_in_flight: false,
        };
        Arc::new(Self { definition, inner: Mutex::new(inner) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current state (an expired open period reads as half-open).
    pub fn state(&self) -> CircuitState {
        let inner = self.lock();
        match inner.state {
            CircuitState::Open if inner.opened_at.elapsed() >= self.open_period() => CircuitState::HalfOpen,
            state => state,
        }
    }

    fn open_period(&self) -> Duration {
        Duration::from_secs(self.definition.open_seconds)
    }

    /// A permit, or how long until a call may be tried again.
    pub fn acquire(self: &Arc<Self>) -> Result<Permit, Duration> {
        let mut inner = self.lock();
        let trial = match inner.state {
            CircuitState::Closed => false,
            CircuitState::Open => {
                let elapsed = inner.opened_at.elapsed();
                if elapsed < self.open_period() {
                    return Err(self.open_period() - elapsed);
                }
                inner.state = CircuitState::HalfOpen;
                inner.trial_in_flight = true;
                true
            }
            CircuitState::HalfOpen => {
                if inner.trial_in_flight {
                    return Err(Duration::from_secs(1));
                }
                inner.trial_in_flight = true;
                true
            }
        };
        Ok(Permit { breaker: self.clone(), trial, recorded: false })
    }

    fn record(&self, trial: bool, failed: bool) {
        let mut inner = self.lock();
        let now = Instant::now();
        if trial {
            inner.trial_in_flight = false;
            if failed {
                inner.state = CircuitState::Open;
                inner.opened_at = now;
            } else {
                inner.state = CircuitState::Closed;
                inner.clear();
            }
            return;
        }
        if inner.state != CircuitState::Closed {
            return; // a call admitted before the circuit opened
        }
        let window = Duration::from_secs(self.definition.window_seconds);
        inner.outcomes.push_back((now, failed));
        inner.failures += usize::from(failed);
        while let Some(&(at, expired_failure)) = inner.outcomes.front()
            && now.duration_since(at) > window
        {
            inner.outcomes.pop_front();
            inner.failures -= usize::from(expired_failure);
        }
        let (calls, failures) = (inner.outcomes.len(), inner.failures);
        if calls >= self.definition.minimum_calls as usize
            && failures as f64 >= self.definition.failure_rate * calls as f64
            && failures > 0
        {
            inner.state = CircuitState::Open;
            inner.opened_at = now;
            inner.clear();
        }
    }
}

impl Inner {
    /// Forgets the window.
    fn clear(&mut self) {
        self.outcomes.clear();
        self.failures = 0;
    }
}

impl Permit {
    /// Reports the request's outcome (`failed`: 5xx, timeout or transport error).
    pub fn record(mut self, failed: bool) {
        self.recorded = true;
        self.breaker.record(self.trial, failed);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        // A cancelled trial decides nothing: let the next call try.
        if self.trial && !self.recorded {
            self.breaker.lock().trial_in_flight = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(minimum_calls: u32) -> Arc<CircuitBreaker> {
        CircuitBreaker::new(CircuitBreakerDefinition {
            scope: super::super::definition::BreakerScope::Operation,
            failure_rate: 0.5,
            window_seconds: 30,
            minimum_calls,
            open_seconds: 30,
        })
    }

    fn call(breaker: &Arc<CircuitBreaker>, failed: bool) {
        breaker.acquire().expect("closed").record(failed);
    }

    // The kept failure count must open the circuit exactly where counting the window did.
    #[test]
    fn opens_when_the_failure_rate_over_the_window_reaches_the_threshold() {
        let breaker = breaker(10);
        for _ in 0..6 {
            call(&breaker, false);
        }
        for _ in 0..5 {
            call(&breaker, true);
        }
        assert_eq!(breaker.state(), CircuitState::Closed, "5 failures of 11 calls are below 50 %");
        call(&breaker, true);
        assert_eq!(breaker.state(), CircuitState::Open, "6 of 12 are 50 %");
        assert!(breaker.acquire().is_err());
    }

    #[test]
    fn successes_alone_never_open_and_the_count_restarts_after_opening() {
        let breaker = breaker(2);
        for _ in 0..1_000 {
            call(&breaker, false);
        }
        assert_eq!(breaker.state(), CircuitState::Closed);
        let fresh = self::breaker(2);
        call(&fresh, true);
        call(&fresh, true);
        assert_eq!(fresh.state(), CircuitState::Open);
        let mut inner = fresh.lock();
        assert_eq!((inner.outcomes.len(), inner.failures), (0, 0));
        // A closed trial starts from an empty window.
        inner.state = CircuitState::HalfOpen;
        drop(inner);
        let trial = fresh.acquire().expect("half-open trial");
        trial.record(false);
        assert_eq!(fresh.state(), CircuitState::Closed);
        call(&fresh, true);
        assert_eq!(fresh.state(), CircuitState::Closed, "one failure is below the minimum of 2 calls");
        call(&fresh, true);
        assert_eq!(fresh.state(), CircuitState::Open);
    }
}

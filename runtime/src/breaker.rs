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
                inner.outcomes.clear();
            }
            return;
        }
        if inner.state != CircuitState::Closed {
            return; // a call admitted before the circuit opened
        }
        let window = Duration::from_secs(self.definition.window_seconds);
        inner.outcomes.push_back((now, failed));
        while inner.outcomes.front().is_some_and(|(at, _)| now.duration_since(*at) > window) {
            inner.outcomes.pop_front();
        }
        let calls = inner.outcomes.len();
        let failures = inner.outcomes.iter().filter(|(_, failed)| *failed).count();
        if calls >= self.definition.minimum_calls as usize
            && failures as f64 >= self.definition.failure_rate * calls as f64
            && failures > 0
        {
            inner.state = CircuitState::Open;
            inner.opened_at = now;
            inner.outcomes.clear();
        }
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

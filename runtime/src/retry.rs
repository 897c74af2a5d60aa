//! Retry and throttling policy.
//!
//! Pure decision logic (`RetryPolicy::decide`, internal) plus a small async gate
//! ([`ThrottleGate`]) that makes all requests of one client pause together
//! after Microsoft Graph throttles one of them, and then releases them at the
//! rate the service admitted ([`Pacing`]). The HTTP layer drives both:
//!
//! ```text
//! loop {
//!     // Gate closed, or not this request's turn yet: wait, but never longer than this
//!     // request's policy would; else Error::Throttled.
//!     let ticket = gate.acquire(policy.longest_wait(started.elapsed())).await?;
//!     let outcome = send(request).await;            // -> Outcome
//!     if status == 429 { gate.throttled(&ticket, retry_after.min(policy.max_delay())) }
//!     else { gate.admitted(&ticket) }
//!     match policy.decide(&method, &outcome, retries, started.elapsed()) {
//!         Decision::RetryAfter(delay) => {
//!             // With pacing, a 429 waits at the gate only; otherwise sleep.
//!             if !(status == 429 && pacing) { sleep(delay).await }
//!             retries += 1;
//!         }
//!         Decision::GiveUp(_) => return outcome,
//!     }
//! }
//! ```
//!
//! The defaults follow Microsoft's Kiota HTTP libraries, which the official
//! Graph SDKs use: retry `429 Too Many Requests`, `503 Service Unavailable`
//! and `504 Gateway Timeout`, at most 3 times, starting from a 3 second
//! delay, honouring `Retry-After`.
//!
//! # Which methods are retried when
//!
//! | outcome | GET HEAD PUT DELETE OPTIONS TRACE | PATCH | POST and other methods |
//! | --- | --- | --- | --- |
//! | 429 | yes | yes | yes: Graph throttles before doing any work |
//! | 503, 504 | yes | yes (as Kiota does) | only with [`RetryPolicy::with_retry_post_on_server_errors`] |
//! | connection error, timeout | yes | no | no |
//! | any other status | no | no | no |
//!
//! A connection error or timeout gives no evidence of whether the server
//! acted on the request, so only methods that are idempotent by definition
//! (RFC 9110 §9.2.2) are repeated. PATCH is not idempotent in general (a
//! patch may append or increment), so it is not repeated blindly; a 503/504
//! answer, on the other hand, comes from a gateway that refuses work, which
//! is why Kiota retries every method on it and PATCH follows suit here.
//! POST is stricter because a POST can start long-running work (for example
//! a long-running evaluation) that a gateway timeout does not cancel.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use tokio::time::Instant;

/// The largest accepted [`RetryPolicy::max_retries`], as in Kiota.
pub const MAX_RETRIES_LIMIT: u32 = 10;

/// How many times a request is retried by default.
pub const DEFAULT_MAX_RETRIES: u32 = 3;

/// The first backoff delay when the server gives no `Retry-After`.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_secs(3);

/// The longest single pause by default (Kiota's `MaxDelay`).
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(180);

/// The default limit on the time from the first attempt to the start of the
/// last retry.
pub const DEFAULT_TOTAL_BUDGET: Duration = Duration::from_secs(180);

/// When and how often a failed request is tried again.
///
/// Build one with [`RetryPolicy::default`] (Kiota's defaults) or
/// [`RetryPolicy::disabled`] and adjust it with the `with_*` setters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    total_budget: Duration,
    retry_post_on_server_errors: bool,
}

impl Default for RetryPolicy {
    /// Retries 429/503/504 up to 3 times from a 3 s base delay, never pausing
    /// longer than 180 s at once nor retrying later than 180 s after the first
    /// attempt; POST only on 429.
    fn default() -> Self {
        Self {
            max_retries: DEFAULT_MAX_RETRIES,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            total_budget: DEFAULT_TOTAL_BUDGET,
            retry_post_on_server_errors: false,
        }
    }
}

/// What happened to one attempt of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The server answered with `status`. `retry_after` is the parsed
    /// `Retry-After` header (see [`parse_retry_after`]), if there was one.
    Status {
        /// The response status.
        status: StatusCode,
        /// How long the server asked the client to wait.
        retry_after: Option<Duration>,
    },
    /// The connection failed before a response arrived. The request may or
    /// may not have reached the server.
    ConnectError,
    /// No response arrived in time. The server may still be working on it.
    Timeout,
}

impl Outcome {
    /// The outcome of a response with `status` and `headers`, reading
    /// `Retry-After` relative to `now`.
    pub(crate) fn from_response(status: StatusCode, headers: &HeaderMap, now: SystemTime) -> Self {
        Self::Status {
            status,
            retry_after: retry_after(headers, now),
        }
    }
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Wait this long, then send the request again.
    RetryAfter(Duration),
    /// Return the outcome to the caller as it is.
    GiveUp(GiveUpReason),
}

/// Why [`RetryPolicy::decide`] gave up, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum GiveUpReason {
    /// The status is not one that retrying can fix (e.g. 200, 400, 404, 500).
    NotRetryableStatus,
    /// Repeating this method after this outcome could do the work twice
    /// (see the table in the [module documentation](self)).
    UnsafeToRepeat,
    /// `max_retries` retries have been made already (always the case for a
    /// disabled policy).
    RetriesExhausted,
    /// The server's `Retry-After` is longer than the policy's single-delay limit.
    RetryAfterTooLong,
    /// Waiting would go past the policy's total time budget.
    BudgetExhausted,
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn disabled() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Retry at most `max_retries` times (capped at [`MAX_RETRIES_LIMIT`];
    /// zero disables retries).
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries.min(MAX_RETRIES_LIMIT);
        self
    }

    /// The first backoff delay when the server sends no `Retry-After`; it
    /// doubles with each retry before jitter is applied.
    pub fn with_base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// The longest single pause. Backoff is capped at this; a `Retry-After`
    /// asking for more makes the policy give up rather than retry too early.
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// The time from the first attempt after which no retry starts. A delay
    /// that would end past the budget makes the policy give up.
    pub fn with_total_budget(mut self, total_budget: Duration) -> Self {
        self.total_budget = total_budget;
        self
    }

    /// Also retry POST (and other non-idempotent methods except PATCH, which
    /// always is) on 503 and 504. Off by default: the server may have started
    /// the work before the gateway gave up.
    pub fn with_retry_post_on_server_errors(mut self, retry: bool) -> Self {
        self.retry_post_on_server_errors = retry;
        self
    }

    /// The maximum number of retries.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The first backoff delay.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The longest single pause.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The total time budget.
    pub fn total_budget(&self) -> Duration {
        self.total_budget
    }

    /// Whether POST is retried on 503 and 504.
    pub fn retry_post_on_server_errors(&self) -> bool {
        self.retry_post_on_server_errors
    }

    /// Whether this policy ever retries.
    pub fn is_enabled(&self) -> bool {
        self.max_retries > 0
    }

    /// The longest this policy lets a request that started `elapsed` ago wait for the
    /// client-wide [`ThrottleGate`]: zero for a disabled policy, otherwise the smaller of
    /// [`max_delay`](Self::max_delay) and what is left of the
    /// [`total_budget`](Self::total_budget). A longer throttle fails the request at once with
    /// [`crate::Error::Throttled`] instead of holding it.
    pub fn longest_wait(&self, elapsed: Duration) -> Duration {
        if !self.is_enabled() {
            return Duration::ZERO;
        }
        self.max_delay
            .min(self.total_budget.saturating_sub(elapsed))
    }

    /// Decides what to do after an attempt of a `method` request ended with
    /// `outcome`, given that `retries_so_far` retries were already made and
    /// `elapsed` has passed since the first attempt started.
    ///
    /// Without a `Retry-After`, the delay is exponential backoff with full
    /// jitter: uniformly random between zero and
    /// `min(max_delay, base_delay × 2^retries_so_far)`.
    pub(crate) fn decide(
        &self,
        method: &Method,
        outcome: &Outcome,
        retries_so_far: u32,
        elapsed: Duration,
    ) -> Decision {
        self.decide_with_random(method, outcome, retries_so_far, elapsed, fastrand::f64)
    }

    /// [`decide`](Self::decide) with the jitter's random source supplied:
    /// `random_unit` returns a number in `[0, 1]` (values outside, and NaN,
    /// count as 1) that picks the point in the backoff range. It is called
    /// at most once.
    pub(crate) fn decide_with_random(
        &self,
        method: &Method,
        outcome: &Outcome,
        retries_so_far: u32,
        elapsed: Duration,
        random_unit: impl FnOnce() -> f64,
    ) -> Decision {
        let retry_after = match *outcome {
            Outcome::Status {
                status,
                retry_after,
            } => {
                if !is_retryable_status(status) {
                    return Decision::GiveUp(GiveUpReason::NotRetryableStatus);
                }
                if status != StatusCode::TOO_MANY_REQUESTS
                    && !self.may_repeat_after_server_error(method)
                {
                    return Decision::GiveUp(GiveUpReason::UnsafeToRepeat);
                }
                retry_after
            }
            Outcome::ConnectError | Outcome::Timeout => {
                if !is_idempotent(method) {
                    return Decision::GiveUp(GiveUpReason::UnsafeToRepeat);
                }
                None
            }
        };
        if retries_so_far >= self.max_retries {
            return Decision::GiveUp(GiveUpReason::RetriesExhausted);
        }
        let delay = match retry_after {
            Some(requested) if requested > self.max_delay => {
                return Decision::GiveUp(GiveUpReason::RetryAfterTooLong);
            }
            Some(requested) => requested,
            None => self.backoff_delay(retries_so_far, random_unit()),
        };
        // Give up once the budget is spent, even for a zero delay: the
        // budget bounds when the last retry may start.
        let remaining = self.total_budget.saturating_sub(elapsed);
        if remaining.is_zero() || delay > remaining {
            return Decision::GiveUp(GiveUpReason::BudgetExhausted);
        }
        Decision::RetryAfter(delay)
    }

    /// The upper bound of the backoff range before retry number
    /// `retries_so_far + 1`: `min(max_delay, base_delay × 2^retries_so_far)`.
    pub(crate) fn backoff_ceiling(&self, retries_so_far: u32) -> Duration {
        // 2^31 is far beyond any sensible delay; cap the shift so it cannot
        // overflow, and saturate the multiplication.
        let factor = 1u32 << retries_so_far.min(31);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(Duration::MAX)
            .min(self.max_delay)
    }

    fn backoff_delay(&self, retries_so_far: u32, random_unit: f64) -> Duration {
        let ceiling = self.backoff_ceiling(retries_so_far);
        let unit = if (0.0..=1.0).contains(&random_unit) {
            random_unit
        } else {
            1.0
        };
        // `unit` is within [0, 1], so the product is finite, non-negative and
        // no larger than `ceiling`; the fallback is never taken.
        Duration::try_from_secs_f64(ceiling.as_secs_f64() * unit).unwrap_or(ceiling)
    }

    fn may_repeat_after_server_error(&self, method: &Method) -> bool {
        is_idempotent(method) || *method == Method::PATCH || self.retry_post_on_server_errors
    }
}

/// Statuses that ask the client to come back later.
fn is_retryable_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// Methods that RFC 9110 defines as idempotent.
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Parses a `Retry-After` header value: either a number of seconds
/// (`Retry-After: 30`) or an HTTP date (`Retry-After: Wed, 15 Oct 2025
/// 15:54:58 GMT`), which is turned into the time left from `now` (zero for a
/// date in the past). Anything else, including negative or fractional
/// numbers, gives `None`.
pub fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        // More seconds than fit in a u64 is not a real answer; ignore it.
        return text.parse::<u64>().ok().map(Duration::from_secs);
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The first parseable `Retry-After` among `headers`, relative to `now`.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    headers
        .get_all(RETRY_AFTER)
        .iter()
        .find_map(|value| parse_retry_after(value, now))
}

/// How long pacing keeps the learned rate after the gate reopens before it starts to probe
/// for more (see [`Pacing`]).
pub const DEFAULT_PACING_HOLD: Duration = Duration::from_secs(30);

/// How fast the paced rate grows once the hold is over: it doubles this often.
pub const DEFAULT_PACING_DOUBLING: Duration = Duration::from_secs(10);

/// Pacing ends (requests go out unpaced again) once the ramp has grown the rate to this many
/// times the learned one: with the defaults, 60 s after the last 429.
pub const PACING_RAMP_LIMIT: f64 = 8.0;

/// The learned rate is this fraction of what the service admitted, so that scheduling jitter
/// on a loaded machine does not push the client over the limit.
pub const PACING_MARGIN: f64 = 0.97;

/// A 429 while pacing at the learned rate (not while probing above it) lowers the rate to at
/// least this fraction of it (less if the service admitted less).
pub const PACING_DECREASE: f64 = 0.9;

/// The slowest pace: one request per 20 s. A learned rate below it is raised to it (waits
/// stay bounded by each request's policy anyway).
pub const MIN_PACED_RATE: f64 = 0.05;

/// Adaptive, client-wide pacing after a `429` (on by default; [`Pacing::disabled`] turns it off).
///
/// Without pacing, a throttled client waits for the `Retry-After` and then releases every
/// waiting request at once, which overflows the service's window again. With pacing, the
/// [`ThrottleGate`] learns the rate the service admitted (the requests that succeeded since
/// the gate last opened, over the time from then to the end of the new `Retry-After`, times
/// [`PACING_MARGIN`]) and, when it reopens, releases waiting requests one by one at that rate.
/// After [`hold`](Self::hold) without a `429` the rate starts to grow, doubling every
/// [`doubling`](Self::doubling); a `429` while probing returns to the learned rate, a `429` at
/// the learned rate lowers it (to at least [`PACING_DECREASE`] of it). Once the rate has grown
/// [`PACING_RAMP_LIMIT`]-fold, pacing ends.
///
/// The time a request waits for its turn counts against its retry policy exactly like the
/// gate itself ([`RetryPolicy::longest_wait`]): it never waits longer than `max_delay` nor past
/// its `total_budget`, and with retries disabled it is sent only if its turn is now, else it
/// fails at once with [`crate::Error::Throttled`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacing {
    enabled: bool,
    hold: Duration,
    doubling: Duration,
}

impl Default for Pacing {
    /// Enabled, holding the learned rate for [`DEFAULT_PACING_HOLD`] and then doubling it every
    /// [`DEFAULT_PACING_DOUBLING`].
    fn default() -> Self {
        Pacing {
            enabled: true,
            hold: DEFAULT_PACING_HOLD,
            doubling: DEFAULT_PACING_DOUBLING,
        }
    }
}

impl Pacing {
    /// No pacing: after a `429` the gate releases every waiting request at once when it
    /// reopens, and each retried request also sleeps its own delay (the behaviour before
    /// pacing existed).
    pub fn disabled() -> Self {
        Pacing {
            enabled: false,
            ..Self::default()
        }
    }

    /// How long the learned rate is kept after the gate reopens before it grows.
    pub fn with_hold(mut self, hold: Duration) -> Self {
        self.hold = hold;
        self
    }

    /// How often the rate doubles once the hold is over (zero: pacing ends with the hold).
    pub fn with_doubling(mut self, doubling: Duration) -> Self {
        self.doubling = doubling;
        self
    }

    /// Whether pacing is on.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The hold.
    pub fn hold(&self) -> Duration {
        self.hold
    }

    /// The doubling time.
    pub fn doubling(&self) -> Duration {
        self.doubling
    }

    /// The rate `quiet` after the gate reopened, from the learned `base`; `None` once the ramp
    /// has passed [`PACING_RAMP_LIMIT`] (pacing over).
    fn rate_after(&self, base: f64, quiet: Duration) -> Option<f64> {
        let Some(ramping) = quiet.checked_sub(self.hold) else {
            return Some(base);
        };
        if self.doubling.is_zero() {
            return None;
        }
        let factor = (ramping.as_secs_f64() / self.doubling.as_secs_f64()).exp2();
        (factor < PACING_RAMP_LIMIT).then_some(base * factor)
    }
}

/// Proof that a request went through the [`ThrottleGate`]; hand it back with the response
/// ([`ThrottleGate::admitted`] or [`ThrottleGate::throttled`]) so the gate can learn the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket {
    epoch: u64,
}

/// Makes all requests of one client wait while the service is throttling, and then paces them.
///
/// The client's transport drives it: a `429` with a delay closes it (and, with pacing on,
/// teaches it the admitted rate); every request waits for its turn at it before it is
/// sent, so requests started meanwhile do not hit the service (and prolong the throttling)
/// while the first one waits; with [`Pacing`] on, they are then released at the learned rate
/// instead of all at once. Clones share the same state; a client's gate serves its one origin
/// (a client sends nothing to any other).
///
/// Uses `tokio::time`, so it works with `tokio::time::pause()` in tests.
#[derive(Debug, Clone, Default)]
pub struct ThrottleGate {
    state: Arc<Mutex<GateState>>,
    pacing: Pacing,
}

#[derive(Debug, Default)]
struct GateState {
    blocked_until: Option<Instant>,
    /// The current cycle: requests sent since the gate last learned a rate.
    epoch: u64,
    cycle_start: Option<Instant>,
    last_send: Option<Instant>,
    admitted: u64,
    /// The cycle before (its late successes still refine the rate learned from it).
    previous: Option<LearnedCycle>,
    pace: Option<Pace>,
    /// How many schedules (learned rates) there have been.
    schedules: u64,
}

#[derive(Debug, Clone, Copy)]
struct LearnedCycle {
    epoch: u64,
    /// When the gate reopened after it.
    reopen: Instant,
    admitted: u64,
    span: Duration,
    lower: f64,
    upper: f64,
    /// The rate was kept (a failed probe), not measured.
    kept: bool,
}

#[derive(Debug, Clone, Copy)]
struct Pace {
    /// The learned rate, requests per second.
    base: f64,
    /// When the gate reopened after the 429 it was learned from.
    since: Instant,
    /// The earliest time the next request may go.
    next_slot: Instant,
    /// Bumped whenever the schedule restarts, so waiters holding an old slot take a new one.
    schedule: u64,
}

impl LearnedCycle {
    fn rate(&self) -> Option<f64> {
        if self.kept {
            return Some(self.upper);
        }
        let seconds = self.span.as_secs_f64();
        if self.admitted == 0 || seconds <= 0.0 {
            return (self.lower > 0.0).then_some(self.lower);
        }
        let measured = self.admitted as f64 / seconds * PACING_MARGIN;
        Some(measured.clamp(self.lower, self.upper).max(MIN_PACED_RATE))
    }
}

impl ThrottleGate {
    /// An open gate with the default [`Pacing`].
    pub fn new() -> Self {
        Self::default()
    }

    /// An open gate with this pacing.
    pub fn with_pacing(pacing: Pacing) -> Self {
        ThrottleGate {
            state: Arc::default(),
            pacing,
        }
    }

    /// The gate's pacing settings.
    pub fn pacing(&self) -> &Pacing {
        &self.pacing
    }

    /// Keeps the gate closed for `delay` from now, unless it is already
    /// closed for longer (a shorter throttle never shortens a longer one).
    /// Learns nothing; see [`throttled`](Self::throttled).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn throttle_for(&self, delay: Duration) {
        let until = until_after(delay);
        self.throttle_until(until);
    }

    /// Keeps the gate closed until `until`, unless it is already closed for
    /// longer.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn throttle_until(&self, until: Instant) {
        let mut state = self.lock();
        close(&mut state, until);
    }

    /// A request sent with `ticket` was answered `429`, asking to wait `delay` (already capped
    /// by the caller's policy): closes the gate for `delay` like
    /// [`throttle_for`](Self::throttle_for) and, with pacing on, learns the rate the service
    /// admitted. A `429` for a request sent before the gate last learned (an earlier burst
    /// still answering) only keeps the gate closed.
    pub(crate) fn throttled(&self, ticket: &Ticket, delay: Duration) {
        let now = Instant::now();
        let until = until_after(delay);
        let mut state = self.lock();
        close(&mut state, until);
        if !self.pacing.enabled || ticket.epoch != state.epoch {
            return;
        }
        let reopen = state.blocked_until.unwrap_or(until);
        let span = reopen.saturating_duration_since(state.cycle_start.unwrap_or(now));
        let current = state.pace.as_ref().and_then(|pace| {
            let quiet = now.saturating_duration_since(pace.since);
            self.pacing
                .rate_after(pace.base, quiet)
                .map(|rate| (pace.base, rate))
        });
        let cycle = match current {
            None => LearnedCycle {
                epoch: state.epoch,
                reopen,
                admitted: state.admitted,
                span,
                lower: 0.0,
                upper: f64::INFINITY,
                kept: false,
            },
            // Throttled while probing above the learned rate: the learned rate held; keep it.
            Some((base, rate)) if rate > base => LearnedCycle {
                epoch: state.epoch,
                reopen,
                admitted: state.admitted,
                span,
                lower: base,
                upper: base,
                kept: true,
            },
            // Throttled at the learned rate: the service admits less now.
            Some((base, _)) => LearnedCycle {
                epoch: state.epoch,
                reopen,
                admitted: state.admitted,
                span,
                lower: (base * PACING_DECREASE).max(MIN_PACED_RATE),
                upper: base,
                kept: false,
            },
        };
        state.schedules = state.schedules.wrapping_add(1);
        let schedule = state.schedules;
        state.pace = cycle.rate().map(|base| Pace {
            base,
            since: reopen,
            next_slot: reopen,
            schedule,
        });
        state.previous = Some(cycle);
        state.epoch = state.epoch.wrapping_add(1);
        state.cycle_start = None;
        state.admitted = 0;
    }

    /// A request sent with `ticket` got an answer other than `429`: it counts as admitted
    /// when the gate next learns a rate.
    pub(crate) fn admitted(&self, ticket: &Ticket) {
        if !self.pacing.enabled {
            return;
        }
        let mut state = self.lock();
        if ticket.epoch == state.epoch {
            state.admitted = state.admitted.saturating_add(1);
            return;
        }
        // A late answer from the cycle the current rate was learned from refines it.
        let Some(previous) = state.previous.as_mut().filter(|p| p.epoch == ticket.epoch) else {
            return;
        };
        previous.admitted = previous.admitted.saturating_add(1);
        let (reopen, refined) = (previous.reopen, previous.rate());
        let schedule = state.schedules;
        match (state.pace.as_mut(), refined) {
            (Some(pace), Some(rate)) => pace.base = rate,
            // The first 429 came back before any success of its burst: pacing starts with
            // the first late success.
            (None, Some(rate)) => {
                state.pace = Some(Pace {
                    base: rate,
                    since: reopen,
                    next_slot: reopen,
                    schedule,
                });
            }
            _ => {}
        }
    }

    /// The rate (requests per second) at which the gate releases requests now, while pacing.
    pub fn paced_rate(&self) -> Option<f64> {
        let state = self.lock();
        let pace = state.pace?;
        let quiet = Instant::now().saturating_duration_since(pace.since);
        self.pacing.rate_after(pace.base, quiet)
    }

    /// How long the gate stays closed from now; `None` if it is open.
    pub fn remaining(&self) -> Option<Duration> {
        let until = self.lock().blocked_until?;
        until
            .checked_duration_since(Instant::now())
            .filter(|remaining| !remaining.is_zero())
    }

    /// Waits until this request may be sent: until the gate is open and, while pacing, until
    /// its turn at the learned rate. Never longer than `limit`: if the gate is (or, while
    /// waiting, gets) closed until later than `limit` from the call, or the request's turn
    /// comes later than that, returns at once with `Err(time left to wait)` instead (without
    /// taking a turn).
    pub(crate) async fn acquire(&self, limit: Duration) -> Result<Ticket, Duration> {
        let deadline = Instant::now().checked_add(limit);
        loop {
            let now = Instant::now();
            let step = {
                let mut state = self.lock();
                self.next_step(&mut state, now, deadline)
            };
            let (slot, schedule) = match step {
                Step::Go(ticket) => return Ok(ticket),
                Step::Refused(at) => return Err(at.saturating_duration_since(now)),
                Step::Closed(until) => {
                    tokio::time::sleep_until(until).await;
                    continue;
                }
                Step::Turn(slot, schedule) => (slot, schedule),
            };
            tokio::time::sleep_until(slot).await;
            let now = Instant::now();
            let mut state = self.lock();
            let closed = state.blocked_until.is_some_and(|until| until > now);
            let rescheduled = state.pace.is_some_and(|pace| pace.schedule != schedule);
            if !closed && !rescheduled {
                return Ok(self.sent(&mut state, now));
            }
            // Throttled again while waiting for the turn: queue up again behind the new reopen.
        }
    }

    /// Like [`acquire`](Self::acquire), without the ticket.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) async fn wait_at_most(&self, limit: Duration) -> Result<(), Duration> {
        self.acquire(limit).await.map(|_| ())
    }

    /// Returns once the gate is open (and, while pacing, it is this request's turn),
    /// immediately if it is open now. If the gate is closed again for longer while waiting,
    /// waits for that too.
    pub async fn wait(&self) {
        // A limit too far ahead to represent never runs out.
        let _ = self.acquire(Duration::MAX).await;
    }

    /// What a request arriving `now` that may wait until `deadline` (`None`: forever) does
    /// next; a turn it is given is taken (the state stays locked throughout).
    fn next_step(&self, state: &mut GateState, now: Instant, deadline: Option<Instant>) -> Step {
        let beyond = |at: Instant| deadline.is_some_and(|deadline| at > deadline);
        if let Some(until) = state.blocked_until.filter(|until| *until > now) {
            return if beyond(until) {
                Step::Refused(until)
            } else {
                Step::Closed(until)
            };
        }
        let rate = state.pace.and_then(|pace| {
            let quiet = now.saturating_duration_since(pace.since);
            self.pacing.rate_after(pace.base, quiet)
        });
        match (state.pace.as_mut(), rate) {
            (Some(pace), Some(rate)) => {
                let slot = pace.next_slot.max(now);
                if beyond(slot) {
                    return Step::Refused(slot);
                }
                let gap = Duration::try_from_secs_f64(1.0 / rate.max(MIN_PACED_RATE))
                    .unwrap_or(Duration::from_secs(20));
                pace.next_slot = slot.checked_add(gap).unwrap_or(slot);
                if slot > now {
                    Step::Turn(slot, pace.schedule)
                } else {
                    Step::Go(self.sent(state, now))
                }
            }
            (pace, _) => {
                if pace.is_some() {
                    // The ramp is over: no more pacing.
                    state.pace = None;
                }
                Step::Go(self.sent(state, now))
            }
        }
    }

    fn sent(&self, state: &mut GateState, now: Instant) -> Ticket {
        // A client idle for longer than the hold starts a new cycle, so an old quiet stretch
        // does not dilute the next measurement.
        let idle = state
            .last_send
            .is_some_and(|last| now.saturating_duration_since(last) > self.pacing.hold);
        if state.cycle_start.is_none() || idle {
            state.cycle_start = Some(now);
            state.admitted = 0;
        }
        state.last_send = Some(now);
        Ticket { epoch: state.epoch }
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // The state is plain values each updated under the lock in a few assignments that
        // cannot panic; a panic elsewhere cannot leave it inconsistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What [`ThrottleGate::acquire`] does next.
enum Step {
    /// Send now.
    Go(Ticket),
    /// Wait for the gate to reopen at this instant.
    Closed(Instant),
    /// Give up: the gate reopens, or the turn comes, at this instant, past the deadline.
    Refused(Instant),
    /// Wait for this turn of this schedule.
    Turn(Instant, u64),
}

fn close(state: &mut GateState, until: Instant) {
    if state.blocked_until.is_none_or(|current| current < until) {
        state.blocked_until = Some(until);
    }
}

/// `delay` from now, or about 30 years ahead if that cannot be represented (the longest wait
/// we can express rather than ignoring the server).
fn until_after(delay: Duration) -> Instant {
    Instant::now().checked_add(delay).unwrap_or_else(far_future)
}

/// An instant about 30 years ahead, for throttles too long to represent.
fn far_future() -> Instant {
    let now = Instant::now();
    now.checked_add(Duration::from_secs(30 * 365 * 24 * 3600))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn status(code: u16, retry_after: Option<Duration>) -> Outcome {
        Outcome::Status {
            status: StatusCode::from_u16(code).unwrap(),
            retry_after,
        }
    }

    /// Decides with the maximum jitter so the expected delay is the ceiling.
    fn decide(policy: &RetryPolicy, method: Method, outcome: Outcome, retries: u32) -> Decision {
        policy.decide_with_random(&method, &outcome, retries, Duration::ZERO, || 1.0)
    }

    #[test]
    fn defaults_follow_kiota() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.max_retries(), 3);
        assert_eq!(policy.base_delay(), 3 * SECOND);
        assert_eq!(policy.max_delay(), 180 * SECOND);
        assert_eq!(policy.total_budget(), 180 * SECOND);
        assert!(!policy.retry_post_on_server_errors());
        assert!(policy.is_enabled());
    }

    #[test]
    fn setters_apply_and_max_retries_is_capped() {
        let policy = RetryPolicy::default()
            .with_max_retries(50)
            .with_base_delay(SECOND)
            .with_max_delay(10 * SECOND)
            .with_total_budget(60 * SECOND)
            .with_retry_post_on_server_errors(true);
        assert_eq!(policy.max_retries(), MAX_RETRIES_LIMIT);
        assert_eq!(policy.base_delay(), SECOND);
        assert_eq!(policy.max_delay(), 10 * SECOND);
        assert_eq!(policy.total_budget(), 60 * SECOND);
        assert!(policy.retry_post_on_server_errors());
    }

    #[test]
    fn retryable_statuses_are_retried_for_get() {
        let policy = RetryPolicy::default();
        for code in [429, 503, 504] {
            assert_eq!(
                decide(&policy, Method::GET, status(code, None), 0),
                Decision::RetryAfter(3 * SECOND),
                "{code}"
            );
        }
    }

    #[test]
    fn other_statuses_are_not_retried() {
        let policy = RetryPolicy::default();
        for code in [200, 201, 204, 400, 401, 403, 404, 409, 500, 501, 502] {
            assert_eq!(
                decide(&policy, Method::GET, status(code, Some(SECOND)), 0),
                Decision::GiveUp(GiveUpReason::NotRetryableStatus),
                "{code}"
            );
        }
    }

    #[test]
    fn post_on_429_is_retried() {
        let policy = RetryPolicy::default();
        assert_eq!(
            decide(&policy, Method::POST, status(429, Some(2 * SECOND)), 0),
            Decision::RetryAfter(2 * SECOND)
        );
    }

    #[test]
    fn post_on_503_and_504_gives_up_by_default() {
        let policy = RetryPolicy::default();
        for code in [503, 504] {
            assert_eq!(
                decide(&policy, Method::POST, status(code, Some(SECOND)), 0),
                Decision::GiveUp(GiveUpReason::UnsafeToRepeat),
                "{code}"
            );
        }
    }

    #[test]
    fn post_on_503_is_retried_when_opted_in() {
        let policy = RetryPolicy::default().with_retry_post_on_server_errors(true);
        assert_eq!(
            decide(&policy, Method::POST, status(503, Some(SECOND)), 0),
            Decision::RetryAfter(SECOND)
        );
        assert_eq!(
            decide(&policy, Method::POST, status(504, None), 0),
            Decision::RetryAfter(3 * SECOND)
        );
    }

    #[test]
    fn patch_is_retried_on_server_errors_but_not_on_connection_errors() {
        let policy = RetryPolicy::default();
        for code in [429, 503, 504] {
            assert!(
                matches!(
                    decide(&policy, Method::PATCH, status(code, None), 0),
                    Decision::RetryAfter(_)
                ),
                "{code}"
            );
        }
        for outcome in [Outcome::ConnectError, Outcome::Timeout] {
            assert_eq!(
                decide(&policy, Method::PATCH, outcome, 0),
                Decision::GiveUp(GiveUpReason::UnsafeToRepeat)
            );
        }
    }

    #[test]
    fn idempotent_methods_are_retried_on_connection_errors_and_timeouts() {
        let policy = RetryPolicy::default();
        for method in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            Method::TRACE,
        ] {
            for outcome in [Outcome::ConnectError, Outcome::Timeout] {
                assert_eq!(
                    decide(&policy, method.clone(), outcome, 0),
                    Decision::RetryAfter(3 * SECOND),
                    "{method} {outcome:?}"
                );
            }
        }
    }

    #[test]
    fn post_gives_up_on_connection_errors_and_timeouts_even_when_opted_in() {
        for policy in [
            RetryPolicy::default(),
            RetryPolicy::default().with_retry_post_on_server_errors(true),
        ] {
            for outcome in [Outcome::ConnectError, Outcome::Timeout] {
                assert_eq!(
                    decide(&policy, Method::POST, outcome, 0),
                    Decision::GiveUp(GiveUpReason::UnsafeToRepeat)
                );
            }
        }
    }

    #[test]
    fn extension_methods_are_treated_like_post() {
        let policy = RetryPolicy::default();
        let method = Method::from_bytes(b"PURGE").unwrap();
        assert!(matches!(
            decide(&policy, method.clone(), status(429, None), 0),
            Decision::RetryAfter(_)
        ));
        assert_eq!(
            decide(&policy, method.clone(), status(503, None), 0),
            Decision::GiveUp(GiveUpReason::UnsafeToRepeat)
        );
        assert_eq!(
            decide(&policy, method, Outcome::ConnectError, 0),
            Decision::GiveUp(GiveUpReason::UnsafeToRepeat)
        );
    }

    #[test]
    fn retry_after_is_honoured_exactly() {
        let policy = RetryPolicy::default();
        // Jitter must not apply to a server-chosen delay.
        let decision = policy.decide_with_random(
            &Method::GET,
            &status(503, Some(7 * SECOND)),
            2,
            Duration::ZERO,
            || 0.0,
        );
        assert_eq!(decision, Decision::RetryAfter(7 * SECOND));
        // Zero means "retry now".
        assert_eq!(
            decide(&policy, Method::GET, status(429, Some(Duration::ZERO)), 0),
            Decision::RetryAfter(Duration::ZERO)
        );
    }

    #[test]
    fn retry_after_beyond_budget_gives_up() {
        let policy = RetryPolicy::default();
        let outcome = status(429, Some(30 * SECOND));
        assert_eq!(
            policy.decide_with_random(&Method::GET, &outcome, 0, 160 * SECOND, || 1.0),
            Decision::GiveUp(GiveUpReason::BudgetExhausted)
        );
        // Exactly the remaining budget is still allowed.
        assert_eq!(
            policy.decide_with_random(&Method::GET, &outcome, 0, 150 * SECOND, || 1.0),
            Decision::RetryAfter(30 * SECOND)
        );
    }

    #[test]
    fn retry_after_beyond_max_delay_gives_up() {
        let policy = RetryPolicy::default().with_max_delay(10 * SECOND);
        assert_eq!(
            decide(&policy, Method::GET, status(429, Some(11 * SECOND)), 0),
            Decision::GiveUp(GiveUpReason::RetryAfterTooLong)
        );
        assert_eq!(
            decide(&policy, Method::GET, status(429, Some(10 * SECOND)), 0),
            Decision::RetryAfter(10 * SECOND)
        );
    }

    #[test]
    fn backoff_beyond_budget_gives_up() {
        let policy = RetryPolicy::default();
        let decision =
            policy.decide_with_random(&Method::GET, &status(503, None), 0, 179 * SECOND, || 1.0);
        assert_eq!(decision, Decision::GiveUp(GiveUpReason::BudgetExhausted));
        // Once the budget is spent, even an immediate retry is refused.
        for elapsed in [180 * SECOND, 500 * SECOND] {
            for retry_after in [None, Some(Duration::ZERO)] {
                let decision = policy.decide_with_random(
                    &Method::GET,
                    &status(503, retry_after),
                    0,
                    elapsed,
                    || 0.0,
                );
                assert_eq!(decision, Decision::GiveUp(GiveUpReason::BudgetExhausted));
            }
        }
    }

    #[test]
    fn stops_after_max_retries() {
        let policy = RetryPolicy::default();
        for retries in 0..3 {
            assert!(matches!(
                decide(&policy, Method::GET, status(429, Some(SECOND)), retries),
                Decision::RetryAfter(_)
            ));
        }
        assert_eq!(
            decide(&policy, Method::GET, status(429, Some(SECOND)), 3),
            Decision::GiveUp(GiveUpReason::RetriesExhausted)
        );
        let policy = RetryPolicy::default().with_max_retries(5);
        assert!(matches!(
            decide(&policy, Method::GET, Outcome::Timeout, 4),
            Decision::RetryAfter(_)
        ));
        assert_eq!(
            decide(&policy, Method::GET, Outcome::Timeout, 5),
            Decision::GiveUp(GiveUpReason::RetriesExhausted)
        );
    }

    #[test]
    fn disabled_policy_never_retries() {
        let policy = RetryPolicy::disabled();
        assert!(!policy.is_enabled());
        for outcome in [
            status(429, Some(SECOND)),
            status(503, None),
            Outcome::ConnectError,
        ] {
            assert_eq!(
                decide(&policy, Method::GET, outcome, 0),
                Decision::GiveUp(GiveUpReason::RetriesExhausted)
            );
        }
        assert_eq!(
            RetryPolicy::default().with_max_retries(0),
            RetryPolicy::disabled()
        );
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy::default()
            .with_max_retries(10)
            .with_max_delay(20 * SECOND);
        let ceilings: Vec<_> = (0..6).map(|n| policy.backoff_ceiling(n)).collect();
        assert_eq!(
            ceilings,
            [3, 6, 12, 20, 20, 20].map(|s| s * SECOND).to_vec()
        );
        // Absurd retry counts saturate instead of overflowing.
        assert_eq!(policy.backoff_ceiling(u32::MAX), 20 * SECOND);
        let unbounded = RetryPolicy::default().with_max_delay(Duration::MAX);
        assert_eq!(unbounded.backoff_ceiling(40), 3 * SECOND * (1 << 31));
        let huge = unbounded.with_base_delay(Duration::MAX);
        assert_eq!(huge.backoff_ceiling(1), Duration::MAX);
    }

    #[test]
    fn jitter_spans_zero_to_ceiling() {
        let policy = RetryPolicy::default().with_total_budget(Duration::MAX);
        let at = |unit: f64, retries: u32| {
            policy.decide_with_random(
                &Method::GET,
                &Outcome::Timeout,
                retries,
                Duration::ZERO,
                || unit,
            )
        };
        assert_eq!(at(0.0, 0), Decision::RetryAfter(Duration::ZERO));
        assert_eq!(
            at(0.5, 0),
            Decision::RetryAfter(Duration::from_millis(1500))
        );
        assert_eq!(at(1.0, 0), Decision::RetryAfter(3 * SECOND));
        assert_eq!(at(0.25, 2), Decision::RetryAfter(3 * SECOND));
        // Out-of-range and NaN randomness falls back to the ceiling.
        assert_eq!(at(f64::NAN, 1), Decision::RetryAfter(6 * SECOND));
        assert_eq!(at(-1.0, 1), Decision::RetryAfter(6 * SECOND));
        assert_eq!(at(7.0, 1), Decision::RetryAfter(6 * SECOND));
    }

    #[test]
    fn real_jitter_stays_within_bounds() {
        let policy = RetryPolicy::default();
        for retries in 0..3 {
            let ceiling = policy.backoff_ceiling(retries);
            for _ in 0..200 {
                match policy.decide(&Method::GET, &status(503, None), retries, Duration::ZERO) {
                    Decision::RetryAfter(delay) => assert!(delay <= ceiling, "{delay:?}"),
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
    }

    #[test]
    fn random_source_is_not_consulted_with_retry_after() {
        let policy = RetryPolicy::default();
        let decision = policy.decide_with_random(
            &Method::GET,
            &status(429, Some(SECOND)),
            0,
            Duration::ZERO,
            || panic!("random source used"),
        );
        assert_eq!(decision, Decision::RetryAfter(SECOND));
    }

    fn header(text: &str) -> HeaderValue {
        HeaderValue::from_str(text).unwrap()
    }

    #[test]
    fn parse_retry_after_seconds() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after(&header("0"), now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(&header("120"), now), Some(120 * SECOND));
        assert_eq!(parse_retry_after(&header(" 5 "), now), Some(5 * SECOND));
    }

    #[test]
    fn parse_retry_after_http_date() {
        let now = httpdate::parse_http_date("Wed, 15 Oct 2025 15:54:58 GMT").unwrap();
        assert_eq!(
            parse_retry_after(&header("Wed, 15 Oct 2025 15:55:28 GMT"), now),
            Some(30 * SECOND)
        );
        // The obsolete RFC 850 and asctime forms are accepted too.
        assert_eq!(
            parse_retry_after(&header("Wednesday, 15-Oct-25 15:55:28 GMT"), now),
            Some(30 * SECOND)
        );
        assert_eq!(
            parse_retry_after(&header("Wed Oct 15 15:55:28 2025"), now),
            Some(30 * SECOND)
        );
    }

    #[test]
    fn parse_retry_after_past_date_is_zero() {
        let now = httpdate::parse_http_date("Wed, 15 Oct 2025 15:54:58 GMT").unwrap();
        assert_eq!(
            parse_retry_after(&header("Wed, 15 Oct 2025 15:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn parse_retry_after_rejects_garbage() {
        let now = SystemTime::now();
        for text in [
            "",
            "soon",
            "-5",
            "+5",
            "1.5",
            "5s",
            "99999999999999999999999",
            "Wed, 32 Oct 2025 15:54:58 GMT",
        ] {
            assert_eq!(parse_retry_after(&header(text), now), None, "{text:?}");
        }
        let not_utf8 = HeaderValue::from_bytes(b"\xff\xfe").unwrap();
        assert_eq!(parse_retry_after(&not_utf8, now), None);
    }

    #[test]
    fn retry_after_from_headers() {
        let now = SystemTime::now();
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, now), None);
        headers.append(RETRY_AFTER, header("later"));
        headers.append(RETRY_AFTER, header("4"));
        assert_eq!(retry_after(&headers, now), Some(4 * SECOND));

        let outcome = Outcome::from_response(StatusCode::TOO_MANY_REQUESTS, &headers, now);
        assert_eq!(
            outcome,
            Outcome::Status {
                status: StatusCode::TOO_MANY_REQUESTS,
                retry_after: Some(4 * SECOND)
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn wait_at_most_never_holds_longer_than_its_limit() {
        let gate = ThrottleGate::new();
        assert_eq!(gate.wait_at_most(Duration::ZERO).await, Ok(()));
        gate.throttle_for(5 * SECOND);
        // Within the limit: waits for the gate.
        let start = Instant::now();
        assert_eq!(gate.wait_at_most(6 * SECOND).await, Ok(()));
        assert_eq!(start.elapsed(), 5 * SECOND);
        // Beyond it (or with no waiting allowed): fails at once with the time left.
        gate.throttle_for(10 * SECOND);
        let start = Instant::now();
        assert_eq!(gate.wait_at_most(3 * SECOND).await, Err(10 * SECOND));
        assert_eq!(gate.wait_at_most(Duration::ZERO).await, Err(10 * SECOND));
        assert_eq!(start.elapsed(), Duration::ZERO);
        // Closed for longer while waiting: gives up once it would pass the limit.
        let waiter = gate.clone();
        let task = tokio::spawn(async move { waiter.wait_at_most(12 * SECOND).await });
        tokio::time::sleep(SECOND).await;
        gate.throttle_for(60 * SECOND);
        assert_eq!(task.await.unwrap(), Err(51 * SECOND));
    }

    #[test]
    fn longest_wait_follows_the_policy() {
        assert_eq!(
            RetryPolicy::disabled().longest_wait(Duration::ZERO),
            Duration::ZERO
        );
        let policy = RetryPolicy::default();
        assert_eq!(policy.longest_wait(Duration::ZERO), 180 * SECOND);
        assert_eq!(policy.longest_wait(170 * SECOND), 10 * SECOND);
        assert_eq!(policy.longest_wait(500 * SECOND), Duration::ZERO);
        let short = RetryPolicy::default().with_max_delay(2 * SECOND);
        assert_eq!(short.longest_wait(Duration::ZERO), 2 * SECOND);
    }

    #[tokio::test(start_paused = true)]
    async fn open_gate_does_not_wait() {
        let gate = ThrottleGate::new();
        let start = Instant::now();
        gate.wait().await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(gate.remaining(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn gate_delays_a_request_started_after_a_429() {
        let gate = ThrottleGate::new();
        let start = Instant::now();

        // The first request is throttled and closes the gate for 5 s.
        gate.throttle_for(5 * SECOND);
        assert_eq!(gate.remaining(), Some(5 * SECOND));

        // A second request started 1 s later waits for the rest.
        tokio::time::sleep(SECOND).await;
        let second = gate.clone();
        let waited = tokio::spawn(async move {
            second.wait().await;
            Instant::now()
        })
        .await
        .unwrap();
        assert_eq!(waited - start, 5 * SECOND);
        assert_eq!(gate.remaining(), None);

        // Afterwards the gate is open again.
        let again = Instant::now();
        gate.wait().await;
        assert_eq!(again.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_waiters_are_released_together() {
        let gate = ThrottleGate::new();
        let start = Instant::now();
        gate.throttle_for(3 * SECOND);
        let waiters: Vec<_> = (0..10)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    gate.wait().await;
                    Instant::now()
                })
            })
            .collect();
        for waiter in waiters {
            assert_eq!(waiter.await.unwrap() - start, 3 * SECOND);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn shorter_throttle_does_not_shorten_and_longer_one_extends() {
        let gate = ThrottleGate::new();
        let start = Instant::now();
        gate.throttle_for(10 * SECOND);
        gate.throttle_for(2 * SECOND);
        assert_eq!(gate.remaining(), Some(10 * SECOND));

        let waiter = {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.wait().await;
                Instant::now()
            })
        };
        // While the waiter sleeps, another 429 pushes the gate further out.
        tokio::time::sleep(4 * SECOND).await;
        gate.throttle_for(20 * SECOND);
        assert_eq!(waiter.await.unwrap() - start, 24 * SECOND);
    }

    /// Takes `n` tickets now and reports each as admitted.
    async fn admit(gate: &ThrottleGate, n: usize) -> Ticket {
        let mut last = None;
        for _ in 0..n {
            let ticket = gate.acquire(Duration::ZERO).await.unwrap();
            gate.admitted(&ticket);
            last = Some(ticket);
        }
        last.unwrap()
    }

    /// Spawns `n` waiters (in order) and returns when each was released, relative to `start`.
    async fn releases(gate: &ThrottleGate, n: usize, start: Instant) -> Vec<Duration> {
        let mut tasks = Vec::new();
        for _ in 0..n {
            let gate = gate.clone();
            tasks.push(tokio::spawn(async move {
                gate.acquire(Duration::from_secs(600)).await.unwrap();
                Instant::now()
            }));
            // Let the waiter queue up before the next one, so the order is known.
            tokio::task::yield_now().await;
        }
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap() - start);
        }
        times
    }

    fn close_to(actual: Duration, expected_secs: f64) -> bool {
        // Paused tokio time moves in whole milliseconds.
        (actual.as_secs_f64() - expected_secs).abs() <= 0.002
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_429_waiting_requests_are_released_at_the_learned_rate() {
        let gate = ThrottleGate::new();
        let start = Instant::now();
        // 50 requests admitted at once, then a 429 with Retry-After 2 s.
        let first = admit(&gate, 50).await;
        let late = gate.acquire(Duration::ZERO).await.unwrap();
        assert_eq!(first, late, "same cycle");
        gate.throttled(&late, 2 * SECOND);
        // 50 admitted over the 2 s from the first send to the reopen: 25/s, times the margin.
        let rate = gate.paced_rate().unwrap();
        assert!((rate - 25.0 * PACING_MARGIN).abs() < 1e-9, "{rate}");
        let times = releases(&gate, 10, start).await;
        let gap = 1.0 / rate;
        for (k, time) in times.iter().enumerate() {
            assert!(close_to(*time, 2.0 + k as f64 * gap), "{k}: {time:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn without_pacing_waiters_are_released_together_after_a_429() {
        let gate = ThrottleGate::with_pacing(Pacing::disabled());
        let start = Instant::now();
        let ticket = admit(&gate, 50).await;
        gate.throttled(&ticket, 2 * SECOND);
        assert_eq!(gate.paced_rate(), None);
        let times = releases(&gate, 10, start).await;
        assert!(times.iter().all(|t| *t == 2 * SECOND), "{times:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn late_successes_of_the_throttled_cycle_refine_the_rate() {
        let gate = ThrottleGate::new();
        // 60 requests were sent; 20 answers came back before the first 429 ...
        let mut tickets = Vec::new();
        for _ in 0..60 {
            tickets.push(gate.acquire(Duration::ZERO).await.unwrap());
        }
        for ticket in &tickets[..20] {
            gate.admitted(ticket);
        }
        gate.throttled(&tickets[20], 2 * SECOND);
        assert!((gate.paced_rate().unwrap() - 10.0 * PACING_MARGIN).abs() < 1e-9);
        // ... 30 more successes of the same burst arrive afterwards, and 9 more 429s, which
        // only keep the gate closed (they do not learn again).
        for ticket in &tickets[21..51] {
            gate.admitted(ticket);
        }
        for ticket in &tickets[51..] {
            gate.throttled(ticket, 2 * SECOND);
        }
        assert!((gate.paced_rate().unwrap() - 25.0 * PACING_MARGIN).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn pacing_starts_when_the_first_success_comes_back_after_the_first_429() {
        let gate = ThrottleGate::new();
        let start = Instant::now();
        let tickets: Vec<_> = (0..20)
            .map(|_| {
                gate.state
                    .lock()
                    .map(|mut s| gate.sent(&mut s, start))
                    .unwrap()
            })
            .collect();
        gate.throttled(&tickets[0], SECOND);
        assert_eq!(gate.paced_rate(), None, "nothing admitted yet");
        for ticket in &tickets[1..11] {
            gate.admitted(ticket);
        }
        assert!((gate.paced_rate().unwrap() - 10.0 * PACING_MARGIN).abs() < 1e-9);
        let times = releases(&gate, 3, start).await;
        let gap = 1.0 / gate.paced_rate().unwrap();
        for (k, time) in times.iter().enumerate() {
            assert!(close_to(*time, 1.0 + k as f64 * gap), "{k}: {time:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_holds_then_ramps_up_and_pacing_ends() {
        let gate = ThrottleGate::new();
        let ticket = admit(&gate, 20).await;
        gate.throttled(&ticket, SECOND);
        let base = gate.paced_rate().unwrap();
        assert!((base - 20.0 * PACING_MARGIN).abs() < 1e-9);
        // Held for 30 s after the reopen (1 s from now) ...
        tokio::time::sleep(31 * SECOND).await;
        assert!((gate.paced_rate().unwrap() - base).abs() < 1e-9);
        // ... then doubling every 10 s ...
        tokio::time::sleep(10 * SECOND).await;
        assert!((gate.paced_rate().unwrap() - 2.0 * base).abs() < 1e-6);
        tokio::time::sleep(10 * SECOND).await;
        assert!((gate.paced_rate().unwrap() - 4.0 * base).abs() < 1e-6);
        // ... until 8x, where pacing ends: requests go out unpaced again.
        tokio::time::sleep(10 * SECOND).await;
        assert_eq!(gate.paced_rate(), None);
        let now = Instant::now();
        for _ in 0..100 {
            gate.acquire(Duration::ZERO).await.unwrap();
        }
        assert_eq!(now.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_while_probing_returns_to_the_learned_rate_and_one_at_it_lowers_it() {
        let gate = ThrottleGate::new();
        let ticket = admit(&gate, 20).await;
        gate.throttled(&ticket, SECOND);
        let base = gate.paced_rate().unwrap();
        // Probing (5 s into the ramp): a 429 keeps the learned rate.
        tokio::time::sleep(36 * SECOND).await;
        assert!(gate.paced_rate().unwrap() > base);
        let ticket = admit(&gate, 1).await;
        gate.throttled(&ticket, SECOND);
        assert!((gate.paced_rate().unwrap() - base).abs() < 1e-9);
        // A 429 at the learned rate after few admissions: lowered, by at most 10%.
        tokio::time::sleep(SECOND).await;
        let ticket = admit(&gate, 1).await;
        gate.throttled(&ticket, SECOND);
        let lowered = gate.paced_rate().unwrap();
        assert!((lowered - base * PACING_DECREASE).abs() < 1e-9, "{lowered}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_is_never_awaited_beyond_the_limit_and_a_refused_request_takes_no_turn() {
        let gate = ThrottleGate::new();
        let ticket = admit(&gate, 10).await;
        gate.throttled(&ticket, SECOND);
        // 10/s (times the margin) from the reopen in 1 s.
        let gap = 1.0 / gate.paced_rate().unwrap();
        tokio::time::sleep(SECOND).await;
        // The first turn is now, even with no waiting allowed (a disabled policy).
        let start = Instant::now();
        gate.acquire(Duration::ZERO).await.unwrap();
        // The next is `gap` away: refused at once with the wait, for a limit that is shorter.
        let refused = gate.acquire(Duration::from_millis(50)).await.unwrap_err();
        assert!(close_to(refused, gap), "{refused:?}");
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(gate.acquire(Duration::ZERO).await, Err(refused));
        // A request that may wait long enough gets that same turn (nobody took it).
        gate.acquire(SECOND).await.unwrap();
        assert!(close_to(start.elapsed(), gap), "{:?}", start.elapsed());
        // A caller's policy bounds the wait for the gate plus the turn.
        let policy = RetryPolicy::default().with_max_delay(Duration::from_millis(10));
        let refused = gate
            .acquire(policy.longest_wait(Duration::ZERO))
            .await
            .unwrap_err();
        assert!(refused > Duration::from_millis(10));
    }

    #[tokio::test(start_paused = true)]
    async fn clones_share_the_learned_rate_and_the_schedule() {
        let gate = ThrottleGate::new();
        let other = gate.clone();
        let start = Instant::now();
        let ticket = admit(&other, 50).await;
        other.throttled(&ticket, 2 * SECOND);
        assert_eq!(gate.paced_rate(), other.paced_rate());
        // Waiters on either clone share one schedule.
        let mut tasks = Vec::new();
        for i in 0..6 {
            let gate = if i % 2 == 0 {
                gate.clone()
            } else {
                other.clone()
            };
            tasks.push(tokio::spawn(async move {
                gate.acquire(Duration::from_secs(60)).await.unwrap();
                Instant::now() - start
            }));
            tokio::task::yield_now().await;
        }
        let gap = 1.0 / gate.paced_rate().unwrap();
        for (k, task) in tasks.into_iter().enumerate() {
            let time = task.await.unwrap();
            assert!(close_to(time, 2.0 + k as f64 * gap), "{k}: {time:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_while_waiting_for_a_turn_requeues_behind_the_new_reopen() {
        let gate = ThrottleGate::new();
        let ticket = admit(&gate, 10).await;
        gate.throttled(&ticket, SECOND);
        tokio::time::sleep(SECOND).await;
        let start = Instant::now();
        // The first request of the new cycle goes at once; five more queue for their turns.
        let ticket = gate.acquire(Duration::ZERO).await.unwrap();
        let waiters: Vec<_> = (0..5)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    gate.acquire(Duration::from_secs(60)).await.unwrap();
                    Instant::now() - start
                })
            })
            .collect();
        tokio::task::yield_now().await;
        // That first request is throttled for 3 s: nobody goes before the new reopen.
        gate.throttled(&ticket, 3 * SECOND);
        let gap = 1.0 / gate.paced_rate().unwrap();
        let mut times = Vec::new();
        for waiter in waiters {
            times.push(waiter.await.unwrap());
        }
        times.sort();
        for (k, time) in times.iter().enumerate() {
            assert!(close_to(*time, 3.0 + k as f64 * gap), "{k}: {time:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn huge_throttle_does_not_panic() {
        let gate = ThrottleGate::new();
        gate.throttle_for(Duration::MAX);
        assert!(gate.remaining().unwrap() > 365 * 24 * 3600 * SECOND);
    }
}

//! Rate-limit mode: a fixed window per bearer token, as Graph throttles per app.
//!
//! With a [`RateLimit`] of `N` per `W` (`--rate-limit N/W`, [`crate::EmulatorBuilder::rate_limit`]),
//! a token's window starts at its first request after its previous window ended (not on a clock
//! grid) and admits `N` requests; until the window ends, every further request of that token is
//! answered with the same Graph-format `429` as the `429` fault (`activityLimitReached`, inner
//! code `throttledRequest`) and `Retry-After` set to the whole seconds left in the window,
//! rounded up. Requests without a bearer token are not counted (they are answered `401`).
//! [`crate::Emulator::rate_limit_counts`] tells how many requests were admitted and throttled.
//!
//! ```
//! use std::time::Duration;
//! use graph_security_copilot_emulator::RateLimit;
//!
//! let limit: RateLimit = "50/2s".parse().unwrap();
//! assert_eq!(limit, RateLimit::new(50, Duration::from_secs(2)).unwrap());
//! assert!("50".parse::<RateLimit>().is_err());
//! ```

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The most bearer tokens whose windows are tracked at once. When a new token arrives with
/// the table full, windows that have ended are dropped first, then the oldest window: memory
/// stays bounded whatever tokens clients send.
pub const MAX_RATE_LIMITED_TOKENS: usize = 10_000;

/// The longest window accepted: one day.
pub const MAX_RATE_LIMIT_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// `limit` requests per `window`, per bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    limit: u64,
    window: Duration,
}

/// Why a rate limit is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid rate limit '{text}': {reason} (expected N/DURATION, e.g. 50/2s, 10/500ms, 600/1m)"
)]
pub struct RateLimitParseError {
    /// The text given.
    pub text: String,
    /// What is wrong.
    pub reason: String,
}

impl RateLimit {
    /// `limit` requests per `window`: `limit` at least 1, `window` more than zero and at most
    /// [`MAX_RATE_LIMIT_WINDOW`].
    pub fn new(limit: u64, window: Duration) -> Result<Self, RateLimitParseError> {
        let error = |reason: &str| RateLimitParseError {
            text: format!("{limit}/{}ms", window.as_millis()),
            reason: reason.to_string(),
        };
        if limit == 0 {
            return Err(error("the number of requests must be at least 1"));
        }
        if window.is_zero() {
            return Err(error("the window must be longer than zero"));
        }
        if window > MAX_RATE_LIMIT_WINDOW {
            return Err(error("the window must be at most one day"));
        }
        Ok(RateLimit { limit, window })
    }

    /// Requests admitted per window.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}ms", self.limit, self.window.as_millis())
    }
}

impl FromStr for RateLimit {
    type Err = RateLimitParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |reason: &str| RateLimitParseError {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let (count, window) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| error("missing '/' between the count and the window"))?;
        let count = count.trim();
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error("the count must be a whole number of requests"));
        }
        let limit: u64 = count.parse().map_err(|_| error("the count is too large"))?;
        let window = parse_window(window.trim()).ok_or_else(|| {
            error("the window must be a number with a unit: ms, s, m or h (e.g. 2s)")
        })?;
        RateLimit::new(limit, window).map_err(|e| error(&e.reason))
    }
}

fn parse_window(text: &str) -> Option<Duration> {
    let (number, unit_seconds) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = text.strip_suffix('h') {
        (n, 3600.0)
    } else {
        return None;
    };
    let number = number.trim();
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    Duration::try_from_secs_f64(value * unit_seconds).ok()
}

/// How many requests rate-limit mode admitted and throttled since the emulator started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimitCounts {
    /// Requests counted against a window and let through.
    pub admitted: u64,
    /// Requests answered `429` because their token's window was full.
    pub throttled: u64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u64,
}

/// The windows of every token, and the counters.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    windows: Mutex<HashMap<String, Window>>,
    admitted: AtomicU64,
    throttled: AtomicU64,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter {
            limit,
            windows: Mutex::new(HashMap::new()),
            admitted: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
        }
    }

    /// Counts a request of `token` arriving at `now`: `Ok` if admitted, else `Err(time left in
    /// the window)`.
    pub fn check(&self, token: &str, now: Instant) -> Result<(), Duration> {
        let window = self.limit.window;
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if !windows.contains_key(token) && windows.len() >= MAX_RATE_LIMITED_TOKENS {
            windows.retain(|_, w| now.saturating_duration_since(w.start) < window);
            if windows.len() >= MAX_RATE_LIMITED_TOKENS {
                let oldest = windows
                    .iter()
                    .min_by_key(|(_, w)| w.start)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    windows.remove(&oldest);
                }
            }
        }
        let entry = windows.entry(token.to_string()).or_insert(Window {
            start: now,
            count: 0,
        });
        let elapsed = now.saturating_duration_since(entry.start);
        if elapsed >= window {
            // The previous window ended: this request starts a new one.
            *entry = Window {
                start: now,
                count: 0,
            };
        }
        if entry.count < self.limit.limit {
            entry.count += 1;
            self.admitted.fetch_add(1, Ordering::Relaxed);
            Ok(())
        } else {
            self.throttled.fetch_add(1, Ordering::Relaxed);
            Err(window.saturating_sub(now.saturating_duration_since(entry.start)))
        }
    }

    pub fn counts(&self) -> RateLimitCounts {
        RateLimitCounts {
            admitted: self.admitted.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
        }
    }
}

/// `Retry-After` for `left` of the window: whole seconds, rounded up (at least 1).
pub(crate) fn retry_after_seconds(left: Duration) -> u64 {
    let whole = left.as_secs();
    let seconds = if left.subsec_nanos() > 0 {
        whole.saturating_add(1)
    } else {
        whole
    };
    seconds.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn parses_and_rejects() {
        let ok = |text: &str, limit, window| {
            assert_eq!(
                text.parse::<RateLimit>(),
                Ok(RateLimit { limit, window }),
                "{text}"
            )
        };
        ok("50/2s", 50, 2000 * MS);
        ok("10/1s", 10, 1000 * MS);
        ok(" 100 / 500ms ", 100, 500 * MS);
        ok("600/1m", 600, 60_000 * MS);
        ok("1/1.5s", 1, 1500 * MS);
        ok("5/1h", 5, 3_600_000 * MS);
        for bad in [
            "",
            "50",
            "50/",
            "/2s",
            "0/2s",
            "50/0s",
            "-1/2s",
            "1.5/2s",
            "50/2",
            "50/2x",
            "50/-2s",
            "x/2s",
            "50/2s/3",
            "50/25h",
            "99999999999999999999999/1s",
            "50/1e3s",
            "50/ s",
        ] {
            let error = bad.parse::<RateLimit>().unwrap_err();
            assert_eq!(error.text, bad, "{bad}");
            assert!(error.to_string().contains("expected N/DURATION"), "{error}");
        }
        assert!(RateLimit::new(0, Duration::from_secs(1)).is_err());
        assert!(RateLimit::new(1, Duration::ZERO).is_err());
    }

    #[test]
    fn a_fixed_window_per_token_starts_at_the_first_request_after_the_last_one_ended() {
        let limiter = RateLimiter::new(RateLimit::new(2, 2000 * MS).unwrap());
        let t0 = Instant::now();
        assert_eq!(limiter.check("a", t0), Ok(()));
        assert_eq!(limiter.check("a", t0 + 100 * MS), Ok(()));
        assert_eq!(limiter.check("a", t0 + 500 * MS), Err(1500 * MS));
        // Another token has its own window.
        assert_eq!(limiter.check("b", t0 + 600 * MS), Ok(()));
        assert_eq!(limiter.check("a", t0 + 1999 * MS), Err(MS));
        // The window ends at t0 + 2 s; nothing arrives until 3.5 s, which starts the next one
        // (so it ends at 5.5 s, not 4 s or 6 s).
        assert_eq!(limiter.check("a", t0 + 3500 * MS), Ok(()));
        assert_eq!(limiter.check("a", t0 + 5000 * MS), Ok(()));
        assert_eq!(limiter.check("a", t0 + 5400 * MS), Err(100 * MS));
        assert_eq!(limiter.check("a", t0 + 5500 * MS), Ok(()));
        assert_eq!(
            limiter.counts(),
            RateLimitCounts {
                admitted: 6,
                throttled: 3
            }
        );
    }

    #[test]
    fn the_token_table_is_bounded() {
        let limiter = RateLimiter::new(RateLimit::new(1, Duration::from_secs(60)).unwrap());
        let t0 = Instant::now();
        for i in 0..MAX_RATE_LIMITED_TOKENS + 10 {
            assert_eq!(limiter.check(&format!("t{i}"), t0 + i as u32 * MS), Ok(()));
        }
        let windows = limiter.windows.lock().unwrap();
        assert_eq!(windows.len(), MAX_RATE_LIMITED_TOKENS);
        assert!(!windows.contains_key("t0"));
        assert!(windows.contains_key(&format!("t{}", MAX_RATE_LIMITED_TOKENS + 9)));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(MS), 1);
        assert_eq!(retry_after_seconds(1000 * MS), 1);
        assert_eq!(retry_after_seconds(1001 * MS), 2);
        assert_eq!(retry_after_seconds(1999 * MS), 2);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::MAX), u64::MAX);
    }
}

//! Timestamps as Microsoft Graph writes them, and a clock that never repeats itself.
//!
//! Graph serialises `Edm.DateTimeOffset` values from .NET `DateTime`s: UTC with a `Z`, up to
//! seven fractional digits (100 ns ticks) with trailing zeros trimmed
//! (`2025-09-17T01:03:14.07343Z`), and `0001-01-01T00:00:00Z` for a non-nullable time that has
//! not happened yet.

use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

/// What a non-nullable `Edm.DateTimeOffset` holds until it is set.
pub const UNSET: &str = "0001-01-01T00:00:00Z";

/// One .NET tick.
const TICK: TimeDelta = TimeDelta::nanoseconds(100);

/// Formats a time the way Graph does: UTC, `Z`, 7-digit fraction with trailing zeros trimmed
/// (no fraction at all on a whole second).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use graph_security_copilot_emulator::time::format;
///
/// let t = Utc.with_ymd_and_hms(2025, 9, 17, 1, 3, 14).unwrap()
///     + chrono::TimeDelta::nanoseconds(73_430_000);
/// assert_eq!(format(t), "2025-09-17T01:03:14.07343Z");
/// assert_eq!(format(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()), "2025-01-01T00:00:00Z");
/// ```
pub fn format(time: DateTime<Utc>) -> String {
    let whole = time.format("%Y-%m-%dT%H:%M:%S");
    // A leap second shows as nanos >= 1e9; clamp to the last tick of the second.
    let ticks = (time.timestamp_subsec_nanos() / 100).min(9_999_999);
    if ticks == 0 {
        return format!("{whole}Z");
    }
    let fraction = format!("{ticks:07}");
    format!("{whole}.{}Z", fraction.trim_end_matches('0'))
}

/// Parses an RFC 3339 time (any offset) into UTC truncated to ticks, as Graph stores it.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc).trunc_subsecs(7))
}

/// The `date` of an error body's `innerError`, as Graph writes it: UTC without a zone designator
/// or fraction (`2021-11-30T12:17:46`).
pub fn error_date(time: SystemTime) -> String {
    DateTime::<Utc>::from(time)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// A clock whose readings are tick-truncated UTC times that strictly increase, so that two
/// entities never share a `createdDateTime` and an update always moves `lastModifiedDateTime`.
#[derive(Debug, Default)]
pub struct Clock {
    last: Mutex<Option<DateTime<Utc>>>,
}

impl Clock {
    /// A new clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current time, later than every earlier reading by at least one tick.
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now().trunc_subsecs(7);
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let next = match *last {
            Some(previous) if previous >= now => previous + TICK,
            _ => now,
        };
        *last = Some(next);
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_like_graph() {
        let base = Utc.with_ymd_and_hms(2025, 10, 22, 20, 12, 57).unwrap();
        assert_eq!(format(base), "2025-10-22T20:12:57Z");
        assert_eq!(
            format(base + TimeDelta::nanoseconds(866_711_900)),
            "2025-10-22T20:12:57.8667119Z"
        );
        assert_eq!(
            format(base + TimeDelta::nanoseconds(759_634_000)),
            "2025-10-22T20:12:57.759634Z"
        );
        // Sub-tick precision is dropped, not rounded.
        assert_eq!(
            format(base + TimeDelta::nanoseconds(99)),
            "2025-10-22T20:12:57Z"
        );
        assert_eq!(
            format(base + TimeDelta::nanoseconds(100)),
            "2025-10-22T20:12:57.0000001Z"
        );
    }

    #[test]
    fn parses_offsets_into_utc() {
        let t = parse("2024-01-01T10:00:00.123456789+02:00").unwrap();
        assert_eq!(format(t), "2024-01-01T08:00:00.1234567Z");
        assert!(parse("yesterday").is_none());
    }

    #[test]
    fn clock_strictly_increases() {
        let clock = Clock::new();
        let mut previous = clock.now();
        for _ in 0..10_000 {
            let next = clock.now();
            assert!(next > previous);
            assert_eq!(next.timestamp_subsec_nanos() % 100, 0);
            previous = next;
        }
    }

    #[test]
    fn error_dates_have_no_zone() {
        let t = Utc.with_ymd_and_hms(2021, 11, 30, 12, 17, 46).unwrap();
        assert_eq!(error_date(t.into()), "2021-11-30T12:17:46");
    }
}

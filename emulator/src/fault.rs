//! Fault injection: throttling, server errors, latency and dropped connections, decided
//! deterministically from a seed.
//!
//! A [`FaultPlan`] is a list of [`FaultRule`]s. Each request is offered to every rule in order;
//! a rule *matches* a request when its route and method filters (if any) accept it, and then
//! *fires* when the request is among the rule's first `N` matches (if `first` is set) and a
//! draw from the seeded generator falls under its `fraction` (if set). The draw for the n-th
//! match of rule i is a pure function of `(seed, i, n)`, so a run is reproducible whatever the
//! scheduling. Latency from every firing rule adds up; of the other faults, the first firing
//! rule's wins.
//!
//! Rules can be written as text (the binary's `--fault`): `KIND[,OPTION=VALUE]...` with KIND
//! one of `429`, `503`, `504`, `latency=DURATION`, `drop`, `drop-response`, and options
//! `first=N`, `fraction=F`, `route=OPERATION_ID_OR_PATH_TEMPLATE`, `method=METHOD`,
//! `retry-after=SECONDS`, `retry-after=date:SECONDS` (an HTTP-date that many seconds ahead) or
//! `retry-after=none`:
//!
//! ```
//! use graph_security_copilot_emulator::fault::{Fault, FaultRule, RetryAfter};
//!
//! let rule: FaultRule = "429,first=2,retry-after=1".parse().unwrap();
//! assert_eq!(
//!     rule,
//!     FaultRule::new(Fault::TooManyRequests { retry_after: Some(RetryAfter::Seconds(1)) }).first(2)
//! );
//! let rule: FaultRule = "drop,route=create_workspace_session,fraction=0.5".parse().unwrap();
//! assert_eq!(rule.route.as_deref(), Some("create_workspace_session"));
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// The `Retry-After` of a 429 or 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: N` (delay in seconds).
    Seconds(u64),
    /// `Retry-After: <HTTP-date>` this many seconds after the response.
    HttpDate(u64),
}

impl RetryAfter {
    /// The header value for a response sent at `now`.
    pub fn header_value(self, now: SystemTime) -> String {
        match self {
            RetryAfter::Seconds(seconds) => seconds.to_string(),
            RetryAfter::HttpDate(seconds) => {
                httpdate::fmt_http_date(now + Duration::from_secs(seconds))
            }
        }
    }
}

/// What happens to a request a rule fires on.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// `429 Too Many Requests` (Graph code `activityLimitReached`), not handled.
    TooManyRequests {
        /// The `Retry-After` header, if any.
        retry_after: Option<RetryAfter>,
    },
    /// `503 Service Unavailable` (`serviceNotAvailable`), not handled.
    ServiceUnavailable {
        /// The `Retry-After` header, if any.
        retry_after: Option<RetryAfter>,
    },
    /// `504 Gateway Timeout` (`gatewayTimeout`), not handled.
    GatewayTimeout,
    /// Wait this long before handling the request (adds up with other latency).
    Latency(Duration),
    /// Close the connection without a response; the request is not handled.
    DropConnection,
    /// Handle the request (its changes are kept), then close the connection without sending
    /// the response: the client cannot tell whether its write happened.
    DropResponse,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::TooManyRequests { .. } => f.write_str("429"),
            Fault::ServiceUnavailable { .. } => f.write_str("503"),
            Fault::GatewayTimeout => f.write_str("504"),
            Fault::Latency(d) => write!(f, "latency={}ms", d.as_millis()),
            Fault::DropConnection => f.write_str("drop"),
            Fault::DropResponse => f.write_str("drop-response"),
        }
    }
}

/// A fault and the requests it applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// Only the first N matching requests.
    pub first: Option<u64>,
    /// Only this fraction (0.0–1.0) of the matching requests, drawn from the seed.
    pub fraction: Option<f64>,
    /// Only requests to this operation (spec operation id such as `create_session`) or path
    /// template (`/security/securityCopilot/workspaces/{workspace-id}/sessions`).
    pub route: Option<String>,
    /// Only requests with this HTTP method (case-insensitive).
    pub method: Option<String>,
}

impl FaultRule {
    /// A rule that fires on every request.
    pub fn new(fault: Fault) -> Self {
        FaultRule {
            fault,
            first: None,
            fraction: None,
            route: None,
            method: None,
        }
    }

    /// Only the first `n` matching requests.
    pub fn first(mut self, n: u64) -> Self {
        self.first = Some(n);
        self
    }

    /// Only a `fraction` (clamped to 0.0–1.0) of the matching requests.
    pub fn fraction(mut self, fraction: f64) -> Self {
        self.fraction = Some(if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        });
        self
    }

    /// Only requests to this operation id or path template.
    pub fn route(mut self, route: impl Into<String>) -> Self {
        self.route = Some(route.into());
        self
    }

    /// Only requests with this method.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    fn matches(&self, method: &str, template: Option<&str>, operation: Option<&str>) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let route_ok = self
            .route
            .as_deref()
            .is_none_or(|r| Some(r) == operation || Some(r) == template);
        method_ok && route_ok
    }
}

/// Why a fault rule could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault rule '{rule}': {reason}")]
pub struct FaultParseError {
    /// The rule text.
    pub rule: String,
    /// What is wrong.
    pub reason: String,
}

fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Some(ms) = text.strip_suffix("ms") {
        return ms.trim().parse().ok().map(Duration::from_millis);
    }
    if let Some(s) = text.strip_suffix('s') {
        return s
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|s| Duration::try_from_secs_f64(s).ok());
    }
    text.parse().ok().map(Duration::from_millis)
}

impl FromStr for FaultRule {
    type Err = FaultParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |reason: String| FaultParseError {
            rule: text.to_string(),
            reason,
        };
        let mut parts = text.split(',').map(str::trim);
        let kind = parts.next().unwrap_or_default();
        let (name, value) = match kind.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (kind, None),
        };
        let mut retry_after: Option<RetryAfter> = None;
        let mut retry_after_given = false;
        let mut rule = FaultRule::new(Fault::GatewayTimeout);
        for option in parts {
            let (key, value) = option
                .split_once('=')
                .ok_or_else(|| error(format!("option '{option}' is not KEY=VALUE")))?;
            let value = value.trim();
            match key.trim() {
                "first" => {
                    let n = value
                        .parse()
                        .map_err(|_| error(format!("first={value} is not a whole number")))?;
                    rule = rule.first(n);
                }
                "fraction" => {
                    let f: f64 = value
                        .parse()
                        .map_err(|_| error(format!("fraction={value} is not a number")))?;
                    if !(0.0..=1.0).contains(&f) {
                        return Err(error(format!("fraction={value} is not between 0 and 1")));
                    }
                    rule = rule.fraction(f);
                }
                "route" => rule = rule.route(value),
                "method" => rule = rule.method(value.to_ascii_uppercase()),
                "retry-after" => {
                    retry_after_given = true;
                    retry_after = if value == "none" {
                        None
                    } else if let Some(seconds) = value.strip_prefix("date:") {
                        Some(RetryAfter::HttpDate(seconds.parse().map_err(|_| {
                            error(format!("retry-after={value}: expected date:SECONDS"))
                        })?))
                    } else {
                        Some(RetryAfter::Seconds(value.parse().map_err(|_| {
                            error(format!(
                                "retry-after={value}: expected SECONDS, date:SECONDS or none"
                            ))
                        })?))
                    };
                }
                other => return Err(error(format!("unknown option '{other}'"))),
            }
        }
        let no_value = |fault: Fault| match value {
            None => Ok(fault),
            Some(v) => Err(error(format!("'{name}' takes no value (got '{v}')"))),
        };
        rule.fault = match name {
            "429" | "throttle" => no_value(Fault::TooManyRequests {
                // Graph sends Retry-After on throttling; default to one second.
                retry_after: if retry_after_given {
                    retry_after
                } else {
                    Some(RetryAfter::Seconds(1))
                },
            })?,
            "503" | "unavailable" => no_value(Fault::ServiceUnavailable { retry_after })?,
            "504" | "gateway-timeout" => no_value(Fault::GatewayTimeout)?,
            "drop" => no_value(Fault::DropConnection)?,
            "drop-response" => no_value(Fault::DropResponse)?,
            "latency" => {
                let value = value.ok_or_else(|| error("latency needs =DURATION".into()))?;
                Fault::Latency(
                    parse_duration(value)
                        .ok_or_else(|| error(format!("'{value}' is not a duration")))?,
                )
            }
            other => {
                return Err(error(format!(
                    "unknown fault '{other}' (expected 429, 503, 504, latency=DURATION, drop or \
                     drop-response)"
                )))
            }
        };
        if retry_after_given
            && !matches!(
                rule.fault,
                Fault::TooManyRequests { .. } | Fault::ServiceUnavailable { .. }
            )
        {
            return Err(error("retry-after applies to 429 and 503 only".into()));
        }
        Ok(rule)
    }
}

/// The faults of an emulator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    /// The rules, in the order they are offered each request.
    pub rules: Vec<FaultRule>,
}

impl FaultPlan {
    /// No faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a rule.
    pub fn rule(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// SplitMix64: a tiny, well-mixed generator; one output per (seed, rule, n).
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A uniform draw in [0, 1) for the `n`-th match of rule `rule` under `seed`.
pub fn draw(seed: u64, rule: usize, n: u64) -> f64 {
    let mixed = splitmix64(seed ^ splitmix64(rule as u64) ^ splitmix64(n.rotate_left(17)));
    // 53 random bits make an exactly representable fraction.
    (mixed >> 11) as f64 / (1u64 << 53) as f64
}

/// What the plan does to one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decision {
    /// Added latency.
    pub latency: Duration,
    /// The fault that replaces or spoils the response, if any.
    pub fault: Option<Fault>,
}

/// A plan with its per-rule match counters.
#[derive(Debug)]
pub(crate) struct FaultState {
    rules: Vec<(FaultRule, AtomicU64)>,
    seed: u64,
}

impl FaultState {
    pub fn new(plan: FaultPlan, seed: u64) -> Self {
        FaultState {
            rules: plan
                .rules
                .into_iter()
                .map(|r| (r, AtomicU64::new(0)))
                .collect(),
            seed,
        }
    }

    /// Offers a request to every rule.
    pub fn decide(
        &self,
        method: &str,
        template: Option<&str>,
        operation: Option<&str>,
    ) -> Decision {
        let mut decision = Decision::default();
        for (index, (rule, matched)) in self.rules.iter().enumerate() {
            if !rule.matches(method, template, operation) {
                continue;
            }
            let n = matched.fetch_add(1, Ordering::Relaxed);
            let within_first = rule.first.is_none_or(|first| n < first);
            let drawn = rule
                .fraction
                .is_none_or(|fraction| draw(self.seed, index, n) < fraction);
            if !(within_first && drawn) {
                continue;
            }
            match &rule.fault {
                Fault::Latency(extra) => decision.latency = decision.latency.saturating_add(*extra),
                fault if decision.fault.is_none() => decision.fault = Some(fault.clone()),
                _ => {}
            }
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_and_option() {
        let r: FaultRule = "503,fraction=0.25,retry-after=date:3,method=post"
            .parse()
            .unwrap();
        assert_eq!(
            r,
            FaultRule::new(Fault::ServiceUnavailable {
                retry_after: Some(RetryAfter::HttpDate(3))
            })
            .fraction(0.25)
            .method("POST")
        );
        let r: FaultRule = "429".parse().unwrap();
        assert_eq!(
            r.fault,
            Fault::TooManyRequests {
                retry_after: Some(RetryAfter::Seconds(1))
            }
        );
        let r: FaultRule = "429,retry-after=none".parse().unwrap();
        assert_eq!(r.fault, Fault::TooManyRequests { retry_after: None });
        let r: FaultRule = "latency=250ms,route=list_workspace_sessions"
            .parse()
            .unwrap();
        assert_eq!(r.fault, Fault::Latency(Duration::from_millis(250)));
        let r: FaultRule = "latency=1.5s".parse().unwrap();
        assert_eq!(r.fault, Fault::Latency(Duration::from_millis(1500)));
        assert_eq!(
            "504".parse::<FaultRule>().unwrap().fault,
            Fault::GatewayTimeout
        );
        assert_eq!(
            "drop".parse::<FaultRule>().unwrap().fault,
            Fault::DropConnection
        );
        assert_eq!(
            "drop-response".parse::<FaultRule>().unwrap().fault,
            Fault::DropResponse
        );
        for bad in [
            "500",
            "429,first=x",
            "429,fraction=2",
            "504,retry-after=1",
            "latency",
            "drop=3",
            "429,oops",
            "429,colour=red",
        ] {
            assert!(bad.parse::<FaultRule>().is_err(), "{bad}");
        }
    }

    #[test]
    fn first_n_and_routes() {
        let state = FaultState::new(
            FaultPlan::new()
                .rule(
                    FaultRule::new(Fault::GatewayTimeout)
                        .first(2)
                        .route("create_session"),
                )
                .rule(FaultRule::new(Fault::Latency(Duration::from_millis(5))).method("GET")),
            1,
        );
        let other = state.decide("GET", Some("/x"), Some("list_sessions"));
        assert_eq!(other.fault, None);
        assert_eq!(other.latency, Duration::from_millis(5));
        for _ in 0..2 {
            assert_eq!(
                state.decide("POST", None, Some("create_session")).fault,
                Some(Fault::GatewayTimeout)
            );
        }
        assert_eq!(
            state.decide("POST", None, Some("create_session")).fault,
            None
        );
    }

    #[test]
    fn fractions_are_deterministic_and_close() {
        let fired = |seed| {
            let state = FaultState::new(
                FaultPlan::new().rule(FaultRule::new(Fault::DropConnection).fraction(0.3)),
                seed,
            );
            (0..10_000)
                .map(|_| state.decide("GET", None, None).fault.is_some())
                .collect::<Vec<_>>()
        };
        let a = fired(42);
        assert_eq!(a, fired(42));
        assert_ne!(a, fired(43));
        let count = a.iter().filter(|f| **f).count();
        assert!((2_800..3_200).contains(&count), "{count}");
    }

    #[test]
    fn retry_after_values() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_760_000_000);
        assert_eq!(RetryAfter::Seconds(7).header_value(now), "7");
        assert_eq!(
            RetryAfter::HttpDate(2).header_value(now),
            httpdate::fmt_http_date(now + Duration::from_secs(2))
        );
    }
}

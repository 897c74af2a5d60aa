//! Authentication: access tokens, the providers that obtain them, and the
//! [`TokenCache`] the client consults before every request.
//!
//! The pieces fit together like this:
//!
//! * A [`TokenProvider`] knows how to obtain a bearer token for Microsoft Graph
//!   (a fixed [`StaticToken`], any async closure through [`FnTokenProvider`],
//!   or, with the `azure-identity` cargo feature, any Azure identity credential
//!   through `AzureIdentityCredential`).
//! * A [`TokenCache`] wraps one provider, keeps the current token, refreshes it
//!   shortly before it expires and makes sure concurrent requests trigger one
//!   provider call, not one each.
//! * [`may_send_token`] decides whether a URL is safe to receive the token.
//!
//! Token secrets never appear in `Debug` output or error messages; the only
//! way to read one is [`AccessToken::secret`] (or the sensitive header value
//! from [`AccessToken::bearer_header_value`]).

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use futures::future::{FutureExt, Shared};
use reqwest::header::HeaderValue;
use url::{Host, Url};

/// The OAuth 2.0 scope that asks for all the Microsoft Graph permissions the
/// application has been granted (the `.default` scope of the global cloud).
///
/// National clouds use their own Graph host, e.g.
/// `https://graph.microsoft.us/.default`.
pub const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";

/// How long before expiry [`TokenCache`] refreshes a token unless told
/// otherwise: 5 minutes, the margin Azure SDKs use as well.
pub const DEFAULT_REFRESH_SKEW: Duration = Duration::from_secs(5 * 60);

/// The future returned by [`TokenProvider::token`].
///
/// Boxed so that [`TokenProvider`] stays object safe without the
/// `async-trait` crate.
pub type TokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AccessToken, AuthError>> + Send + 'a>>;

/// A bearer access token and the time it stops being valid.
///
/// The secret is held behind an `Arc`, so clones are cheap and do not copy it.
/// It is never printed: `Debug` shows `secret: "<redacted>"`, and the type
/// implements neither `Display` nor `serde::Serialize`.
/// [`AccessToken::secret`] (and [`AccessToken::bearer_header_value`], which
/// builds on it) is the only way to get the token text back out.
#[derive(Clone)]
pub struct AccessToken {
    secret: Arc<str>,
    expires_at: Option<SystemTime>,
}

impl AccessToken {
    /// Wraps a token obtained elsewhere.
    ///
    /// `expires_at` is the moment the token stops being accepted, or `None`
    /// for a token with no known expiry (which is then cached forever).
    pub fn new(secret: impl Into<String>, expires_at: Option<SystemTime>) -> Self {
        Self {
            secret: Arc::from(secret.into()),
            expires_at,
        }
    }

    /// A token that expires `lifetime` from now, for providers that are told
    /// an `expires_in` number of seconds rather than an instant.
    ///
    /// A lifetime too large to represent is treated as "no known expiry".
    pub fn expiring_in(secret: impl Into<String>, lifetime: Duration) -> Self {
        Self::new(secret, SystemTime::now().checked_add(lifetime))
    }

    /// The token text, to be sent as `Authorization: Bearer <secret>`.
    ///
    /// This is the only way to read the secret: `Debug` redacts it and there
    /// is no `Display` or `Serialize` implementation. Avoid logging or
    /// persisting what it returns.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// When the token stops being valid, if known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Whether the token has expired at `now`. A token without a known
    /// expiry never expires.
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|expires_at| expires_at <= now)
    }

    /// The `Authorization` header value `Bearer <secret>`, marked sensitive so
    /// that `http`/`reqwest` and `hyper` never print it.
    ///
    /// Fails with [`AuthError::MalformedToken`] when the secret is empty or
    /// contains characters not allowed in a header (a newline in a token
    /// would otherwise be a header injection).
    pub fn bearer_header_value(&self) -> Result<HeaderValue, AuthError> {
        if self.secret.is_empty() {
            return Err(AuthError::MalformedToken);
        }
        let mut value = HeaderValue::try_from(format!("Bearer {}", self.secret))
            .map_err(|_| AuthError::MalformedToken)?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// Whether `self` and `other` carry the same token text.
    fn same_secret(&self, other: &AccessToken) -> bool {
        Arc::ptr_eq(&self.secret, &other.secret) || self.secret == other.secret
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"<redacted>")
            .field("expires_at", &self.expires_at.map(DebugSystemTime))
            .finish()
    }
}

/// Prints a `SystemTime` as an RFC 3339 UTC timestamp instead of the
/// platform's raw seconds/nanoseconds pair.
struct DebugSystemTime(SystemTime);

impl fmt::Debug for DebugSystemTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match system_time_to_utc(self.0) {
            Some(utc) => fmt::Debug::fmt(&utc, f),
            // Outside chrono's range (hundreds of thousands of years away):
            // fall back to the raw representation rather than panicking.
            None => fmt::Debug::fmt(&self.0, f),
        }
    }
}

fn system_time_to_utc(time: SystemTime) -> Option<DateTime<Utc>> {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => {
            let seconds = i64::try_from(after.as_secs()).ok()?;
            DateTime::from_timestamp(seconds, after.subsec_nanos())
        }
        Err(before) => {
            let before = before.duration();
            let seconds = i64::try_from(before.as_secs()).ok()?;
            let utc = DateTime::from_timestamp(seconds.checked_neg()?, 0)?;
            utc.checked_sub_signed(chrono::Duration::nanoseconds(i64::from(
                before.subsec_nanos(),
            )))
        }
    }
}

/// Why a token could not be obtained or used.
///
/// No variant ever carries token text, so these errors are safe to log.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The token provider failed to produce a token.
    #[error("the token provider failed: {message}")]
    Provider {
        /// What went wrong, as described by the provider. Providers must not
        /// put token material here.
        message: String,
        /// The underlying error, if any. Shared so that [`TokenCache`] can
        /// hand the same error to every task waiting on one refresh.
        #[source]
        source: Option<Arc<dyn StdError + Send + Sync>>,
    },
    /// The token is empty or contains characters that cannot appear in an
    /// HTTP header.
    #[error("the access token is empty or contains characters not allowed in an HTTP header")]
    MalformedToken,
    /// The request would send the token in clear text to a host other than
    /// this machine (see [`may_send_token`]).
    #[error("refusing to send an access token over unencrypted {scheme} to {host}; use https")]
    InsecureTransport {
        /// The URL scheme that was refused.
        scheme: String,
        /// The host the token would have been sent to (empty if the URL has none).
        host: String,
    },
}

impl AuthError {
    /// A provider failure with a message only.
    pub fn provider(message: impl Into<String>) -> Self {
        Self::Provider {
            message: message.into(),
            source: None,
        }
    }

    /// A provider failure caused by `source`.
    ///
    /// Accepts any error type as well as `Box<dyn Error + Send + Sync>` and
    /// plain strings.
    pub fn provider_with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        Self::Provider {
            message: message.into(),
            source: Some(Arc::from(source.into())),
        }
    }
}

/// Something that can obtain an access token for Microsoft Graph.
///
/// The trait is object safe (the client stores an `Arc<dyn TokenProvider>`)
/// and does not need the `async-trait` crate: return a boxed future, e.g.
/// `Box::pin(async move { ... })`.
///
/// Providers do not need to cache: [`TokenCache`] calls [`token`](Self::token)
/// only when it has no usable token, and never concurrently.
///
/// ```
/// use graph_odata_runtime::auth::{AccessToken, AuthError, TokenFuture, TokenProvider};
///
/// struct FromEnvironment;
///
/// impl TokenProvider for FromEnvironment {
///     fn token(&self) -> TokenFuture<'_> {
///         Box::pin(async {
///             let secret = std::env::var("GRAPH_TOKEN")
///                 .map_err(|e| AuthError::provider_with_source("GRAPH_TOKEN is not set", e))?;
///             Ok(AccessToken::new(secret, None))
///         })
///     }
/// }
/// ```
pub trait TokenProvider: Send + Sync + 'static {
    /// Obtains a token. Errors are reported to every request waiting for it
    /// and are not cached: the next request asks again.
    fn token(&self) -> TokenFuture<'_>;
}

/// A fixed token, e.g. one copied from Graph Explorer or handed over by an
/// outer application. It has no known expiry, so it is used until a request
/// fails.
#[derive(Clone, Debug)]
pub struct StaticToken {
    token: AccessToken,
}

impl StaticToken {
    /// A provider that always returns `secret`.
    pub fn new(secret: impl Into<String>) -> Self {
        Self {
            token: AccessToken::new(secret, None),
        }
    }
}

impl From<AccessToken> for StaticToken {
    /// A provider that always returns `token`, keeping its expiry.
    fn from(token: AccessToken) -> Self {
        Self { token }
    }
}

impl TokenProvider for StaticToken {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(std::future::ready(Ok(self.token.clone())))
    }
}

/// A provider backed by a closure that returns a future, e.g.
/// `FnTokenProvider::new(|| async { fetch_token().await })`.
///
/// See also [`from_fn`].
pub struct FnTokenProvider<F> {
    make_token: F,
}

impl<F, Fut> FnTokenProvider<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AccessToken, AuthError>> + Send + 'static,
{
    /// Wraps `make_token`, which is called once per token fetch.
    pub fn new(make_token: F) -> Self {
        Self { make_token }
    }
}

/// Shorthand for [`FnTokenProvider::new`].
///
/// ```
/// use graph_odata_runtime::auth::{from_fn, AccessToken, TokenCache};
/// use std::time::Duration;
///
/// let cache = TokenCache::new(from_fn(|| async {
///     // Ask your identity system here.
///     Ok(AccessToken::expiring_in("eyJ0eXAi...", Duration::from_secs(3600)))
/// }));
/// # drop(cache);
/// ```
pub fn from_fn<F, Fut>(make_token: F) -> FnTokenProvider<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AccessToken, AuthError>> + Send + 'static,
{
    FnTokenProvider::new(make_token)
}

impl<F> fmt::Debug for FnTokenProvider<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The closure may capture credentials; show nothing of it.
        f.debug_struct("FnTokenProvider").finish_non_exhaustive()
    }
}

impl<F, Fut> TokenProvider for FnTokenProvider<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AccessToken, AuthError>> + Send + 'static,
{
    fn token(&self) -> TokenFuture<'_> {
        Box::pin((self.make_token)())
    }
}

#[cfg(feature = "azure-identity")]
mod azure {
    use std::fmt;
    use std::sync::Arc;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use azure_core::credentials::TokenCredential;
    use azure_core::time::OffsetDateTime;

    use super::{AccessToken, AuthError, TokenFuture, TokenProvider, GRAPH_DEFAULT_SCOPE};

    /// Adapts any Azure identity credential (from the `azure_identity` crate:
    /// `DeveloperToolsCredential`, `ManagedIdentityCredential`,
    /// `ClientSecretCredential`, ...) to a [`TokenProvider`].
    ///
    /// Requests the scope [`GRAPH_DEFAULT_SCOPE`] unless told otherwise with
    /// [`with_scopes`](Self::with_scopes). Available with the
    /// `azure-identity` cargo feature.
    #[derive(Clone)]
    pub struct AzureIdentityCredential {
        credential: Arc<dyn TokenCredential>,
        scopes: Vec<String>,
    }

    impl AzureIdentityCredential {
        /// Wraps `credential`, asking it for [`GRAPH_DEFAULT_SCOPE`].
        pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
            Self {
                credential,
                scopes: vec![GRAPH_DEFAULT_SCOPE.to_owned()],
            }
        }

        /// Replaces the requested scopes, e.g. with
        /// `["https://graph.microsoft.us/.default"]` for a national cloud.
        pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.scopes = scopes.into_iter().map(Into::into).collect();
            self
        }

        /// The scopes requested from the credential.
        pub fn scopes(&self) -> &[String] {
            &self.scopes
        }
    }

    impl fmt::Debug for AzureIdentityCredential {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            // The wrapped credential's Debug is its own business (it may be a
            // user type that prints a client secret), so leave it out.
            f.debug_struct("AzureIdentityCredential")
                .field("scopes", &self.scopes)
                .finish_non_exhaustive()
        }
    }

    impl TokenProvider for AzureIdentityCredential {
        fn token(&self) -> TokenFuture<'_> {
            Box::pin(async move {
                let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
                let token = self
                    .credential
                    .get_token(&scopes, None)
                    .await
                    .map_err(|error| {
                        AuthError::provider_with_source(
                            "the Azure identity credential could not get a token",
                            error,
                        )
                    })?;
                Ok(AccessToken::new(
                    token.token.secret(),
                    Some(offset_to_system_time(token.expires_on)),
                ))
            })
        }
    }

    /// Converts without the `time` crate's `From` impl, which can panic on
    /// out-of-range values; anything before 1970 counts as already expired.
    pub(super) fn offset_to_system_time(instant: OffsetDateTime) -> SystemTime {
        let Ok(seconds) = u64::try_from(instant.unix_timestamp()) else {
            return UNIX_EPOCH;
        };
        UNIX_EPOCH
            .checked_add(Duration::new(seconds, instant.nanosecond()))
            .unwrap_or(UNIX_EPOCH)
    }
}

#[cfg(feature = "azure-identity")]
pub use azure::AzureIdentityCredential;

/// The clock the cache reads; replaceable in tests.
type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// A fetch shared by every task that needs a token while it runs.
type SharedFetch = Shared<TokenFuture<'static>>;

/// Caches the token of one [`TokenProvider`] for all requests of a client.
///
/// * A cached token is reused until it is within the refresh skew of its
///   expiry (default [`DEFAULT_REFRESH_SKEW`], 5 minutes). For tokens that
///   live shorter than twice the skew, the cache refreshes halfway through
///   their lifetime instead, so a short-lived token is still reused a while
///   rather than fetched for every request.
/// * Refreshes are single-flight: when many tasks need a token at once,
///   exactly one provider call is made and every task gets its result, token
///   or error. Errors are not cached; the next call asks the provider again.
///   If the task driving a refresh is cancelled, the next waiter carries on
///   with the same provider call.
/// * After a `401 Unauthorized`, call [`invalidate`](Self::invalidate) with the
///   token that was rejected so the next request fetches a new one.
///
/// The cache is `Send + Sync`; share it between requests by reference or in
/// an `Arc`.
pub struct TokenCache {
    provider: Arc<dyn TokenProvider>,
    refresh_skew: Duration,
    clock: Clock,
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    cached: Option<CachedToken>,
    in_flight: Option<InFlight>,
    /// Tells fetches apart so that a finished fetch only clears its own
    /// `in_flight` entry, never a newer one.
    next_fetch_id: u64,
}

struct CachedToken {
    token: AccessToken,
    /// From this instant on the token is refreshed; `None` when it never expires.
    refresh_at: Option<SystemTime>,
}

struct InFlight {
    id: u64,
    started_at: SystemTime,
    fetch: SharedFetch,
}

impl TokenCache {
    /// A cache in front of `provider` with the default refresh skew.
    pub fn new(provider: impl TokenProvider) -> Self {
        Self::from_shared(Arc::new(provider))
    }

    /// A cache in front of a provider that is shared with other code.
    pub fn from_shared(provider: Arc<dyn TokenProvider>) -> Self {
        Self {
            provider,
            refresh_skew: DEFAULT_REFRESH_SKEW,
            clock: Arc::new(SystemTime::now),
            state: Mutex::new(CacheState::default()),
        }
    }

    /// Refreshes tokens this long before they expire (capped at half the
    /// token's lifetime, see the type documentation). Zero means "use the
    /// token until its very last moment".
    pub fn with_refresh_skew(mut self, refresh_skew: Duration) -> Self {
        self.refresh_skew = refresh_skew;
        self
    }

    /// The configured refresh skew.
    pub fn refresh_skew(&self) -> Duration {
        self.refresh_skew
    }

    /// The provider behind this cache.
    pub fn provider(&self) -> &Arc<dyn TokenProvider> {
        &self.provider
    }

    /// Replaces the wall clock; tests use this to move time without sleeping.
    #[cfg(test)]
    fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// A token that is valid for at least the refresh skew (or the freshest
    /// the provider could give), fetching one if needed.
    ///
    /// Concurrent callers share one provider call; if it fails, all of them
    /// get a clone of the same error.
    pub async fn token(&self) -> Result<AccessToken, AuthError> {
        let (fetch_id, fetch) = {
            let mut state = self.lock_state();
            let now = (self.clock)();
            if let Some(cached) = &state.cached {
                if cached.is_fresh_at(now) {
                    return Ok(cached.token.clone());
                }
            }
            match &state.in_flight {
                Some(in_flight) => (in_flight.id, in_flight.fetch.clone()),
                None => {
                    let fetch_id = state.next_fetch_id;
                    state.next_fetch_id = state.next_fetch_id.wrapping_add(1);
                    let provider = Arc::clone(&self.provider);
                    let fetch: TokenFuture<'static> =
                        Box::pin(async move { provider.token().await });
                    let fetch = fetch.shared();
                    state.in_flight = Some(InFlight {
                        id: fetch_id,
                        started_at: now,
                        fetch: fetch.clone(),
                    });
                    (fetch_id, fetch)
                }
            }
        };
        // The lock is released while waiting: other callers queue on the
        // shared future, not on the mutex.
        let result = fetch.await;
        self.finish_fetch(fetch_id, &result);
        result
    }

    /// Records the outcome of fetch `fetch_id`. Every waiter calls this; the
    /// first one does the work and the others find nothing left to do.
    fn finish_fetch(&self, fetch_id: u64, result: &Result<AccessToken, AuthError>) {
        let mut state = self.lock_state();
        let is_current = state
            .in_flight
            .as_ref()
            .is_some_and(|in_flight| in_flight.id == fetch_id);
        if !is_current {
            return;
        }
        let Some(in_flight) = state.in_flight.take() else {
            return;
        };
        if let Ok(token) = result {
            state.cached = Some(CachedToken {
                refresh_at: refresh_instant(token, in_flight.started_at, self.refresh_skew),
                token: token.clone(),
            });
        }
    }

    /// Forgets the cached token if it is still `rejected`, typically after
    /// the server answered `401 Unauthorized` to a request that carried it.
    ///
    /// Comparing first means that a 401 for an old token, arriving after
    /// another task already refreshed, does not throw the fresh token away.
    pub fn invalidate(&self, rejected: &AccessToken) {
        let mut state = self.lock_state();
        if state
            .cached
            .as_ref()
            .is_some_and(|cached| cached.token.same_secret(rejected))
        {
            state.cached = None;
        }
    }

    fn lock_state(&self) -> MutexGuard<'_, CacheState> {
        // Every update of the state is a single assignment, so a panic while
        // the lock was held cannot have left it half-written: recovering the
        // guard from a poisoned mutex is sound.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock_state();
        f.debug_struct("TokenCache")
            .field("refresh_skew", &self.refresh_skew)
            .field("cached", &state.cached.as_ref().map(|cached| &cached.token))
            .field("refreshing", &state.in_flight.is_some())
            .finish_non_exhaustive()
    }
}

impl CachedToken {
    fn is_fresh_at(&self, now: SystemTime) -> bool {
        self.refresh_at.is_none_or(|refresh_at| now < refresh_at)
    }
}

/// When a token fetched at `fetched_at` should be replaced: `skew` before it
/// expires, but no earlier than halfway through its lifetime.
fn refresh_instant(
    token: &AccessToken,
    fetched_at: SystemTime,
    skew: Duration,
) -> Option<SystemTime> {
    let expires_at = token.expires_at?;
    let lifetime = expires_at
        .duration_since(fetched_at)
        .unwrap_or(Duration::ZERO);
    let margin = skew.min(lifetime / 2);
    // `margin` is at most half of `expires_at - fetched_at`, so the
    // subtraction cannot underflow; fall back to the expiry regardless.
    Some(expires_at.checked_sub(margin).unwrap_or(expires_at))
}

/// Whether an access token may be sent to `url`: always over `https`, and
/// over plain `http` only to this machine (`localhost`, `127.0.0.0/8` or
/// `[::1]`), e.g. a local emulator. Every other scheme is refused.
///
/// Names ending in `.localhost` and IPv4-mapped IPv6 addresses are refused
/// too: whether they reach this machine depends on the resolver.
pub fn may_send_token(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(address)) => address.is_loopback(),
            Some(Host::Ipv6(address)) => address.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// [`may_send_token`] as a `Result`, for use with `?` where a request is
/// built.
pub fn check_token_destination(url: &Url) -> Result<(), AuthError> {
    if may_send_token(url) {
        Ok(())
    } else {
        Err(AuthError::InsecureTransport {
            scheme: url.scheme().to_owned(),
            host: url.host_str().unwrap_or_default().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const SECRET: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.super-secret-payload";

    /// A clock the tests move by hand.
    #[derive(Clone)]
    struct ManualClock(Arc<Mutex<SystemTime>>);

    impl ManualClock {
        fn new() -> Self {
            Self(Arc::new(Mutex::new(
                UNIX_EPOCH + Duration::from_secs(1_760_000_000),
            )))
        }
        fn now(&self) -> SystemTime {
            *self.0.lock().unwrap()
        }
        fn advance(&self, by: Duration) {
            *self.0.lock().unwrap() += by;
        }
    }

    /// A provider that counts its calls and hands out `token-1`, `token-2`, ...
    /// each valid for `lifetime` from the manual clock's now.
    fn counting_provider(
        calls: Arc<AtomicUsize>,
        clock: ManualClock,
        lifetime: Duration,
    ) -> impl TokenProvider {
        from_fn(move || {
            let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
            let expires_at = clock.now() + lifetime;
            async move { Ok(AccessToken::new(format!("token-{call}"), Some(expires_at))) }
        })
    }

    fn cache_with_clock(
        lifetime: Duration,
        skew: Duration,
    ) -> (TokenCache, Arc<AtomicUsize>, ManualClock) {
        let calls = Arc::new(AtomicUsize::new(0));
        let clock = ManualClock::new();
        let clock_for_cache = clock.clone();
        let cache = TokenCache::new(counting_provider(calls.clone(), clock.clone(), lifetime))
            .with_refresh_skew(skew)
            .with_clock(move || clock_for_cache.now());
        (cache, calls, clock)
    }

    #[test]
    fn access_token_debug_redacts_secret() {
        let token = AccessToken::new(
            SECRET,
            Some(UNIX_EPOCH + Duration::from_secs(1_760_543_698)),
        );
        let debug = format!("{token:?}");
        assert_eq!(
            debug,
            r#"AccessToken { secret: "<redacted>", expires_at: Some(2025-10-15T15:54:58Z) }"#
        );
        let pretty = format!("{token:#?}");
        assert!(!pretty.contains("super-secret"), "{pretty}");
    }

    #[test]
    fn access_token_debug_without_expiry() {
        let token = AccessToken::new(SECRET, None);
        assert_eq!(
            format!("{token:?}"),
            r#"AccessToken { secret: "<redacted>", expires_at: None }"#
        );
    }

    #[test]
    fn access_token_secret_is_the_way_out() {
        let token = AccessToken::new(SECRET, None);
        assert_eq!(token.secret(), SECRET);
        assert_eq!(token.clone().secret(), SECRET);
    }

    #[test]
    fn access_token_expiry_checks() {
        let now = SystemTime::now();
        let token = AccessToken::new("t", Some(now));
        assert!(token.is_expired_at(now));
        assert!(!token.is_expired_at(now - Duration::from_secs(1)));
        assert!(!AccessToken::new("t", None).is_expired_at(now));
        let later = AccessToken::expiring_in("t", Duration::from_secs(60));
        assert!(later.expires_at().unwrap() > now);
    }

    #[test]
    fn bearer_header_value_is_sensitive_and_well_formed() {
        let value = AccessToken::new("abc.def", None)
            .bearer_header_value()
            .unwrap();
        assert_eq!(value.to_str().unwrap(), "Bearer abc.def");
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("abc.def"));
    }

    #[test]
    fn bearer_header_value_rejects_header_injection_and_empty() {
        for bad in ["abc\r\nX-Evil: 1", "", "tab\u{7f}"] {
            let err = AccessToken::new(bad, None)
                .bearer_header_value()
                .unwrap_err();
            assert!(matches!(err, AuthError::MalformedToken));
            assert!(!err.to_string().contains("Evil"));
        }
    }

    #[test]
    fn providers_debug_redacts() {
        let static_token = StaticToken::new(SECRET);
        let debug = format!("{static_token:?}");
        assert!(!debug.contains("super-secret"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");

        let captured = SECRET.to_owned();
        let closure = from_fn(move || {
            let secret = captured.clone();
            async move { Ok(AccessToken::new(secret, None)) }
        });
        assert_eq!(format!("{closure:?}"), "FnTokenProvider { .. }");

        let cache = TokenCache::new(static_token);
        let debug = format!("{cache:?}");
        assert!(!debug.contains("super-secret"), "{debug}");
    }

    #[tokio::test]
    async fn cache_debug_redacts_cached_token() {
        let cache = TokenCache::new(StaticToken::new(SECRET));
        cache.token().await.unwrap();
        let debug = format!("{cache:?}");
        assert!(debug.contains("<redacted>"), "{debug}");
        assert!(!debug.contains("super-secret"), "{debug}");
    }

    #[test]
    fn auth_error_messages_contain_no_token() {
        let errors = [
            AuthError::provider("login failed"),
            AuthError::provider_with_source("login failed", "invalid_client"),
            AuthError::MalformedToken,
            AuthError::InsecureTransport {
                scheme: "http".into(),
                host: "example.com".into(),
            },
        ];
        for error in errors {
            let text = format!("{error} / {error:?}");
            assert!(!text.contains("super-secret"), "{text}");
        }
        let with_source = AuthError::provider_with_source("login failed", "invalid_client");
        assert_eq!(
            with_source.source().map(ToString::to_string).as_deref(),
            Some("invalid_client")
        );
    }

    #[tokio::test]
    async fn static_token_provider_returns_token() {
        let token = StaticToken::new("fixed").token().await.unwrap();
        assert_eq!(token.secret(), "fixed");
        assert_eq!(token.expires_at(), None);
    }

    #[tokio::test]
    async fn provider_is_usable_as_trait_object() {
        let provider: Arc<dyn TokenProvider> = Arc::new(StaticToken::new("dyn"));
        let cache = TokenCache::from_shared(provider);
        assert_eq!(cache.token().await.unwrap().secret(), "dyn");
    }

    #[tokio::test]
    async fn cache_calls_provider_once_for_many_sequential_calls() {
        let (cache, calls, _clock) =
            cache_with_clock(Duration::from_secs(3600), DEFAULT_REFRESH_SKEW);
        for _ in 0..100 {
            assert_eq!(cache.token().await.unwrap().secret(), "token-1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn token_without_expiry_is_cached_forever() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let clock = ManualClock::new();
        let clock_for_cache = clock.clone();
        let cache = TokenCache::new(from_fn(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Ok(AccessToken::new("forever", None)) }
        }))
        .with_clock(move || clock_for_cache.now());
        cache.token().await.unwrap();
        clock.advance(Duration::from_secs(10 * 365 * 24 * 3600));
        cache.token().await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn cache_refreshes_within_skew_of_expiry() {
        let (cache, calls, clock) =
            cache_with_clock(Duration::from_secs(3600), Duration::from_secs(300));
        assert_eq!(cache.token().await.unwrap().secret(), "token-1");

        // 54 min 59 s in: still more than the 5 min skew left.
        clock.advance(Duration::from_secs(3299));
        assert_eq!(cache.token().await.unwrap().secret(), "token-1");

        // 55 min in: inside the skew, refresh although not yet expired.
        clock.advance(Duration::from_secs(1));
        assert_eq!(cache.token().await.unwrap().secret(), "token-2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn refresh_skew_is_configurable() {
        let (cache, calls, clock) = cache_with_clock(Duration::from_secs(3600), Duration::ZERO);
        assert_eq!(cache.refresh_skew(), Duration::ZERO);
        cache.token().await.unwrap();
        clock.advance(Duration::from_secs(3599));
        assert_eq!(cache.token().await.unwrap().secret(), "token-1");
        clock.advance(Duration::from_secs(1));
        assert_eq!(cache.token().await.unwrap().secret(), "token-2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn short_lived_token_is_reused_for_half_its_lifetime() {
        // A 60 s token with the default 5 min skew would otherwise be
        // refetched on every call.
        let (cache, calls, clock) = cache_with_clock(Duration::from_secs(60), DEFAULT_REFRESH_SKEW);
        cache.token().await.unwrap();
        clock.advance(Duration::from_secs(29));
        assert_eq!(cache.token().await.unwrap().secret(), "token-1");
        clock.advance(Duration::from_secs(1));
        assert_eq!(cache.token().await.unwrap().secret(), "token-2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn already_expired_token_is_returned_but_not_reused() {
        let (cache, calls, _clock) = cache_with_clock(Duration::ZERO, DEFAULT_REFRESH_SKEW);
        assert_eq!(cache.token().await.unwrap().secret(), "token-1");
        assert_eq!(cache.token().await.unwrap().secret(), "token-2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_one_provider_call() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let cache = Arc::new(TokenCache::new(from_fn(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok(AccessToken::expiring_in(
                    "shared",
                    Duration::from_secs(3600),
                ))
            }
        })));

        let barrier = Arc::new(tokio::sync::Barrier::new(50));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let cache = cache.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    cache.token().await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().secret(), "shared");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_all_get_the_error_which_is_not_cached() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let cache = Arc::new(TokenCache::new(from_fn(move || {
            let call = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if call == 0 {
                    Err(AuthError::provider("identity endpoint unavailable"))
                } else {
                    Ok(AccessToken::new("recovered", None))
                }
            }
        })));

        let barrier = Arc::new(tokio::sync::Barrier::new(50));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let cache = cache.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    cache.token().await
                })
            })
            .collect();
        for task in tasks {
            let error = task.await.unwrap().unwrap_err();
            assert!(
                error.to_string().contains("identity endpoint unavailable"),
                "{error}"
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // Not cached: the next call asks again and succeeds.
        assert_eq!(cache.token().await.unwrap().secret(), "recovered");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn cancelled_refresh_is_continued_by_next_caller() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let (release, released) = tokio::sync::watch::channel(false);
        let cache = TokenCache::new(from_fn(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut released = released.clone();
            async move {
                released
                    .wait_for(|&go| go)
                    .await
                    .map_err(|e| AuthError::provider_with_source("test channel closed", e))?;
                Ok(AccessToken::new("late", None))
            }
        }));

        // Start a fetch and abandon it while the provider is still working.
        let abandoned = tokio::time::timeout(Duration::from_millis(10), cache.token()).await;
        assert!(abandoned.is_err());

        release.send(true).unwrap();
        assert_eq!(cache.token().await.unwrap().secret(), "late");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn invalidate_drops_the_rejected_token() {
        let (cache, calls, _clock) =
            cache_with_clock(Duration::from_secs(3600), DEFAULT_REFRESH_SKEW);
        let first = cache.token().await.unwrap();
        cache.invalidate(&first);
        assert_eq!(cache.token().await.unwrap().secret(), "token-2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn invalidate_with_stale_token_keeps_fresh_one() {
        let (cache, calls, _clock) =
            cache_with_clock(Duration::from_secs(3600), DEFAULT_REFRESH_SKEW);
        let old = cache.token().await.unwrap();
        cache.invalidate(&old);
        let fresh = cache.token().await.unwrap();
        assert_eq!(fresh.secret(), "token-2");

        // A late 401 for the old token must not discard the fresh one.
        cache.invalidate(&old);
        assert_eq!(cache.token().await.unwrap().secret(), "token-2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn invalidate_matches_by_token_text() {
        let (cache, calls, _clock) =
            cache_with_clock(Duration::from_secs(3600), DEFAULT_REFRESH_SKEW);
        cache.token().await.unwrap();
        // An equal token built separately is still "the same token".
        cache.invalidate(&AccessToken::new("token-1", None));
        assert_eq!(cache.token().await.unwrap().secret(), "token-2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn invalidate_on_empty_cache_is_harmless() {
        let (cache, calls, _clock) =
            cache_with_clock(Duration::from_secs(3600), DEFAULT_REFRESH_SKEW);
        cache.invalidate(&AccessToken::new("never-cached", None));
        assert_eq!(cache.token().await.unwrap().secret(), "token-1");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn may_send_token_over_https_anywhere() {
        for url in [
            "https://graph.microsoft.com/beta/security/securityCopilot/workspaces",
            "https://localhost:8443/",
            "https://10.0.0.1/",
            "HTTPS://GRAPH.MICROSOFT.COM/",
        ] {
            assert!(may_send_token(&Url::parse(url).unwrap()), "{url}");
        }
    }

    #[test]
    fn may_send_token_over_http_only_to_loopback() {
        for url in [
            "http://localhost/",
            "http://LOCALHOST:3000/beta",
            "http://127.0.0.1:8080/",
            "http://127.1.2.3/",
            "http://[::1]:8080/",
        ] {
            assert!(may_send_token(&Url::parse(url).unwrap()), "{url}");
        }
        for url in [
            "http://graph.microsoft.com/beta",
            "http://localhost.evil.example/",
            "http://evil.localhost/",
            "http://localhost./",
            "http://128.0.0.1/",
            "http://0.0.0.0/",
            "http://10.0.0.1/",
            "http://[::2]/",
            "http://[::ffff:127.0.0.1]/",
            "http://127.0.0.1.nip.io/",
        ] {
            assert!(!may_send_token(&Url::parse(url).unwrap()), "{url}");
        }
    }

    #[test]
    fn may_send_token_refuses_other_schemes() {
        for url in [
            "ftp://localhost/",
            "ws://localhost/",
            "file:///tmp/token",
            "data:,x",
        ] {
            assert!(!may_send_token(&Url::parse(url).unwrap()), "{url}");
        }
    }

    #[test]
    fn check_token_destination_reports_host() {
        assert!(
            check_token_destination(&Url::parse("https://graph.microsoft.com/").unwrap()).is_ok()
        );
        let error =
            check_token_destination(&Url::parse("http://graph.microsoft.com/beta?x=1").unwrap())
                .unwrap_err();
        assert_eq!(
            error.to_string(),
            "refusing to send an access token over unencrypted http to graph.microsoft.com; use https"
        );
    }

    #[cfg(feature = "azure-identity")]
    mod azure_identity {
        use super::super::*;
        use azure_core::credentials::{
            AccessToken as AzureAccessToken, TokenCredential, TokenRequestOptions,
        };
        use azure_core::time::OffsetDateTime;

        /// A credential whose Debug would leak its secret if printed.
        #[derive(Debug)]
        struct LeakyCredential {
            // Only ever read through the derived Debug, which is the point.
            #[allow(dead_code)]
            client_secret: String,
            fail: bool,
        }

        impl TokenCredential for LeakyCredential {
            // What `#[async_trait]` expands to; spelled out to avoid the
            // dev-dependency.
            fn get_token<'life0, 'life1, 'life2, 'life3, 'async_trait>(
                &'life0 self,
                scopes: &'life1 [&'life2 str],
                _options: Option<TokenRequestOptions<'life3>>,
            ) -> Pin<
                Box<
                    dyn Future<Output = azure_core::Result<AzureAccessToken>> + Send + 'async_trait,
                >,
            >
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                'life2: 'async_trait,
                'life3: 'async_trait,
                Self: 'async_trait,
            {
                let scopes = scopes.join(" ");
                Box::pin(async move {
                    if self.fail {
                        return Err(azure_core::Error::with_message(
                            azure_core::error::ErrorKind::Credential,
                            "no credential available",
                        ));
                    }
                    let expires_on = OffsetDateTime::from_unix_timestamp(1_760_543_698)
                        .expect("valid timestamp");
                    Ok(AzureAccessToken::new(
                        format!("token-for {scopes}"),
                        expires_on,
                    ))
                })
            }
        }

        fn adapter(fail: bool) -> AzureIdentityCredential {
            AzureIdentityCredential::new(Arc::new(LeakyCredential {
                client_secret: "client-secret-value".into(),
                fail,
            }))
        }

        #[tokio::test]
        async fn requests_graph_default_scope_and_keeps_expiry() {
            let token = adapter(false).token().await.unwrap();
            assert_eq!(
                token.secret(),
                "token-for https://graph.microsoft.com/.default"
            );
            assert_eq!(
                token.expires_at(),
                Some(UNIX_EPOCH + Duration::from_secs(1_760_543_698))
            );
        }

        #[tokio::test]
        async fn custom_scopes_are_passed_through() {
            let provider = adapter(false).with_scopes(["https://graph.microsoft.us/.default"]);
            assert_eq!(provider.scopes(), ["https://graph.microsoft.us/.default"]);
            let token = provider.token().await.unwrap();
            assert_eq!(
                token.secret(),
                "token-for https://graph.microsoft.us/.default"
            );
        }

        #[tokio::test]
        async fn credential_errors_become_provider_errors() {
            let error = adapter(true).token().await.unwrap_err();
            assert!(matches!(error, AuthError::Provider { .. }));
            assert!(error.source().is_some());
        }

        #[test]
        fn debug_omits_wrapped_credential() {
            let debug = format!("{:?}", adapter(false));
            assert!(!debug.contains("client-secret-value"), "{debug}");
            assert!(debug.contains("graph.microsoft.com"), "{debug}");
        }

        #[test]
        fn pre_epoch_expiry_counts_as_expired() {
            let before = OffsetDateTime::from_unix_timestamp(-5).unwrap();
            assert_eq!(azure::offset_to_system_time(before), UNIX_EPOCH);
        }
    }
}

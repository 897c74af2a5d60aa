//! [`ClientBuilder`]: the settings every generated client is built from, and the macro that
//! defines a generated crate's `Client` on top of the runtime.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use url::Url;

use crate::auth::{TokenCache, TokenProvider};
use crate::retry::{Pacing, RetryPolicy};
use crate::transport::Transport;
use crate::Error;

/// Microsoft Graph's beta endpoint.
pub const GRAPH_BETA: &str = "https://graph.microsoft.com/beta";
/// Microsoft Graph's v1.0 endpoint.
pub const GRAPH_V1: &str = "https://graph.microsoft.com/v1.0";
/// Default time limit for one request, as in Microsoft's SDKs.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(100);
/// Default time limit for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default largest response body the client reads: 32 MiB, far above any Graph page of
/// entities (tens of KiB) and small enough that a hostile or broken server cannot exhaust
/// memory. See [`ClientBuilder::max_response_body_bytes`].
pub const DEFAULT_MAX_RESPONSE_BODY_BYTES: u64 = 32 * 1024 * 1024;

/// What a generated crate's `Client` is made from (implemented by the client macro).
#[doc(hidden)]
pub trait FromTransport: Sized {
    /// Wraps a built transport (and the `reqwest::Client` under it).
    fn from_transport(base_url: &str, http: reqwest::Client, transport: Transport) -> Self;
}

/// Configures a client `C` (a generated crate's `Client`; start from its `Client::builder()`).
pub struct ClientBuilder<C> {
    base_url: String,
    user_agent: &'static str,
    credential: Option<Arc<dyn TokenProvider>>,
    application: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    pacing: Pacing,
    http: Option<reqwest::Client>,
    token_refresh_skew: Option<Duration>,
    max_response_body_bytes: u64,
    max_pages: Option<u64>,
    client: PhantomData<fn() -> C>,
}

impl<C> ClientBuilder<C> {
    /// A builder with Graph's defaults, for the API at `default_base_url`, sending
    /// `user_agent` (`name/version` of the generated crate).
    #[doc(hidden)]
    pub fn new(default_base_url: &str, user_agent: &'static str) -> Self {
        ClientBuilder {
            base_url: default_base_url.to_string(),
            user_agent,
            credential: None,
            application: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            pacing: Pacing::default(),
            http: None,
            token_refresh_skew: None,
            max_response_body_bytes: DEFAULT_MAX_RESPONSE_BODY_BYTES,
            max_pages: None,
            client: PhantomData,
        }
    }
}

impl<C> std::fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field(
                "credential",
                &self.credential.as_ref().map(|_| "<provider>"),
            )
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("pacing", &self.pacing)
            .field("max_response_body_bytes", &self.max_response_body_bytes)
            .field("max_pages", &self.max_pages)
            .finish_non_exhaustive()
    }
}

impl<C: FromTransport> ClientBuilder<C> {
    /// The token provider (see [`crate::auth`]). Without one, requests carry no `Authorization`.
    pub fn credential(mut self, provider: impl TokenProvider) -> Self {
        self.credential = Some(Arc::new(provider));
        self
    }

    /// A shared token provider.
    pub fn shared_credential(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.credential = Some(provider);
        self
    }

    /// The API root (default: the generated crate's, e.g. [`GRAPH_BETA`]; an emulator's URL in
    /// tests).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// An application id appended to the user agent (`graph-security-copilot/0.1.0 my-app/2.0`:
    /// the generated crate's name and version, then this).
    pub fn application(mut self, application: impl Into<String>) -> Self {
        self.application = Some(application.into());
        self
    }

    /// Time limit for one request (default 100 s). Ignored with [`ClientBuilder::http_client`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time limit for connecting (default 30 s). Ignored with [`ClientBuilder::http_client`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The retry policy (default: Kiota's; see [`RetryPolicy`]). [`RetryPolicy::disabled`] turns retries off.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Client-wide pacing after a `429` (default: on, [`Pacing::default`]; [`Pacing::disabled`]
    /// turns it off). After the service throttles, the client learns the rate it admitted and
    /// releases waiting requests at that rate instead of all at once; see [`Pacing`]. Waiting
    /// for a turn counts against each request's [`RetryPolicy`] like the throttle gate itself.
    pub fn pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    /// Refresh tokens this long before they expire (default 5 minutes).
    pub fn token_refresh_skew(mut self, skew: Duration) -> Self {
        self.token_refresh_skew = Some(skew);
        self
    }

    /// The largest response body read, in bytes (default [`DEFAULT_MAX_RESPONSE_BODY_BYTES`],
    /// 32 MiB). A response whose `Content-Length` is larger fails before its body is read; a
    /// body without one fails as soon as it passes the limit. Either way the call fails with
    /// [`Error::ResponseTooLarge`], so memory stays within the limit (plus buffer growth).
    /// The limit applies to the bytes the HTTP client yields, i.e. to the decompressed size if
    /// response compression is ever turned on. Applies with [`ClientBuilder::http_client`] too.
    pub fn max_response_body_bytes(mut self, limit: u64) -> Self {
        self.max_response_body_bytes = limit;
        self
    }

    /// The most pages any listing of this client follows (default: no limit; a link the
    /// listing already followed is always an error, [`Error::NextLinkLoop`]). A listing with
    /// more pages ends with [`Error::PageLimit`] after yielding `limit` pages.
    /// [`crate::request::ListRequest::max_pages`] overrides it for one listing.
    pub fn max_pages(mut self, limit: u64) -> Self {
        self.max_pages = Some(limit);
        self
    }

    /// Use this `reqwest::Client` (its timeouts and proxy settings apply). Keep reqwest's default
    /// redirect policy or a stricter one: it drops `Authorization` on cross-origin redirects.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<C, Error> {
        let trimmed = self.base_url.trim_end_matches('/');
        let base_url = Url::parse(trimmed)
            .map_err(|e| Error::InvalidRequest(format!("invalid base URL {trimmed:?}: {e}")))?;
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err(Error::InvalidRequest(format!(
                "base URL {trimmed:?} is not http(s)"
            )));
        }
        let mut agent = self.user_agent.to_string();
        if let Some(application) = &self.application {
            agent.push(' ');
            agent.push_str(application);
        }
        let user_agent = HeaderValue::from_str(&agent)
            .map_err(|_| Error::InvalidRequest(format!("invalid application id {agent:?}")))?;
        let http = match self.http {
            Some(http) => http,
            None => {
                // reqwest's `rustls-no-provider`: rustls needs a process-wide crypto provider.
                // Install ring's unless the application installed one already (then that one
                // is used, and this returns an error that is not ours to report).
                #[cfg(feature = "rustls")]
                let _ = rustls::crypto::ring::default_provider().install_default();
                let origin = base_url.origin();
                reqwest::Client::builder()
                    .timeout(self.timeout)
                    .connect_timeout(self.connect_timeout)
                    // Follow redirects only within the API origin, so credentials never leave it.
                    .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                        if attempt.previous().len() >= 10 || attempt.url().origin() != origin {
                            attempt.stop()
                        } else {
                            attempt.follow()
                        }
                    }))
                    .build()
                    .map_err(|e| Error::Transport {
                        source: e,
                        client_request_id: None,
                    })?
            }
        };
        let tokens = self.credential.map(|provider| {
            let cache = TokenCache::from_shared(provider);
            match self.token_refresh_skew {
                Some(skew) => cache.with_refresh_skew(skew),
                None => cache,
            }
        });
        let transport = Transport::new(
            http.clone(),
            base_url.clone(),
            tokens,
            self.retry,
            self.pacing,
            user_agent,
            crate::transport::Limits {
                max_response_body_bytes: self.max_response_body_bytes,
                max_pages: self.max_pages,
            },
        );
        Ok(C::from_transport(trimmed, http, transport))
    }
}

/// Defines a generated crate's `Client`: the progenitor client `$raw` (whose inner type is
/// [`Transport`]) behind an `Arc`, its builder, and the progenitor hooks that route every
/// request through the transport (auth, retries, throttling, limits, tracing).
#[doc(hidden)]
#[macro_export]
macro_rules! __define_client {
    (title: $title:literal, default_base_url: $url:expr, raw: $raw:ty $(,)?) => {
        #[doc = concat!("A ", $title, " client: cheap to clone (an `Arc` inside), `Send + Sync`.")]
        ///
        /// Start from [`Client::builder`]; reach resources through handles that read like the
        /// URL. Every request goes through one transport: auth, retries, client-wide
        /// throttling, response limits and tracing.
        #[derive(Clone)]
        pub struct Client {
            raw: ::std::sync::Arc<$raw>,
        }

        /// Configures a [`Client`]: credential, base URL, timeouts, retries, pacing, limits.
        pub type ClientBuilder = $crate::ClientBuilder<Client>;

        impl ::std::fmt::Debug for Client {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct("Client")
                    .field("transport", self.transport())
                    .finish()
            }
        }

        impl Client {
            /// A builder with Graph's defaults.
            pub fn builder() -> ClientBuilder {
                $crate::ClientBuilder::new(
                    $url,
                    concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")),
                )
            }

            /// The generated (progenitor) client, for operations by their raw operation ids.
            /// Requests made through it still go through this client's transport.
            #[doc(hidden)]
            pub fn raw(&self) -> &$raw {
                &self.raw
            }

            #[doc(hidden)]
            pub fn transport(&self) -> &$crate::__private::Transport {
                $crate::__private::progenitor_client::ClientInfo::inner(self.raw.as_ref())
            }

            /// The client-wide throttle gate and its pacing state (shared by every clone),
            /// e.g. [`ThrottleGate::paced_rate`]($crate::retry::ThrottleGate::paced_rate) to
            /// see the rate the client currently sends at after a `429`.
            pub fn throttle_gate(&self) -> &$crate::retry::ThrottleGate {
                self.transport().throttle_gate()
            }

            /// The base URL.
            pub fn base_url(&self) -> &$crate::__private::Url {
                self.transport().base_url()
            }

            /// Resumes a listing from a saved `@odata.nextLink` (see
            /// [`Page::next_link`]($crate::Page::next_link)). The link must be on the client's
            /// origin; the token is never sent anywhere else. Query options in the link are
            /// checked at run time, as the server sent them.
            pub fn resume<T>(
                &self,
                next_link: impl Into<String>,
            ) -> $crate::__private::BoxStream<'static, Result<$crate::Page<T>, $crate::Error>>
            where
                T: $crate::__private::DeserializeOwned + Send + 'static,
            {
                $crate::__private::resume(self.transport(), next_link.into())
            }
        }

        impl $crate::__private::FromTransport for Client {
            fn from_transport(
                base_url: &str,
                http: $crate::__private::reqwest::Client,
                transport: $crate::__private::Transport,
            ) -> Self {
                Client {
                    raw: ::std::sync::Arc::new(<$raw>::new_with_client(base_url, http, transport)),
                }
            }
        }

        impl $crate::__private::progenitor_client::ClientHooks<$crate::__private::Transport>
            for $raw
        {
            async fn pre<E>(
                &self,
                request: &mut $crate::__private::reqwest::Request,
                _info: &$crate::__private::progenitor_client::OperationInfo,
            ) -> Result<(), $crate::__private::progenitor_client::Error<E>> {
                $crate::__private::hook_pre(
                    $crate::__private::progenitor_client::ClientInfo::inner(self),
                    request,
                )
                .await
            }

            async fn exec(
                &self,
                request: $crate::__private::reqwest::Request,
                _info: &$crate::__private::progenitor_client::OperationInfo,
            ) -> $crate::__private::reqwest::Result<$crate::__private::reqwest::Response> {
                $crate::__private::progenitor_client::ClientInfo::inner(self)
                    .execute(request)
                    .await
            }
        }
    };
}

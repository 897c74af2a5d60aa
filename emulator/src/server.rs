//! The builder, the running emulator, and the HTTP/1.1 server loop (axum on hyper).
//!
//! axum routes every request to [`crate::handler`]; the loop around it is hyper's, so that a
//! "dropped connection" fault can close the socket without writing a response, which axum's own
//! `serve` cannot do.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::behaviour::SecurityCopilot;
use crate::fault::{FaultPlan, FaultState};
use crate::profile::{EvaluationTiming, Profile, Seeder};
use crate::rate_limit::{RateLimit, RateLimitCounts, RateLimiter};
use crate::spec::{Spec, SpecError};
use crate::store::Store;
use crate::time::Clock;
use crate::wire::GraphErrorIo;
use crate::RecordedRequest;

/// The default largest request body: Graph's 4 MB limit for JSON payloads.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// How long a request body may take to arrive by default; slower ones get 408.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The default server-driven page size.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// How many requests [`Emulator::requests`] remembers by default.
pub const DEFAULT_REQUEST_LOG: usize = 10_000;
/// How long a shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The spec could not be loaded.
    #[error("cannot load the spec: {0}")]
    Spec(#[from] SpecError),
    /// The profile's seed data (Security Copilot: workspace `default` and its plugins) no
    /// longer fits the spec: the spec changed under it. Start with `seed_data(false)` /
    /// `--empty`, or update the seed.
    #[error("the seed data no longer fits the spec: {0}")]
    Seed(String),
    /// The rate limit is not valid (zero requests, a zero window or one over a day).
    #[error(transparent)]
    RateLimit(#[from] crate::rate_limit::RateLimitParseError),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// Settings that shape responses.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub page_size: Option<usize>,
    pub timing: EvaluationTiming,
    pub token: Option<String>,
    pub max_body_bytes: usize,
    pub body_timeout: Duration,
    pub latency: Duration,
    pub strict_query_options: bool,
    pub request_log: usize,
}

/// Shared state of a running emulator.
#[derive(Debug)]
pub(crate) struct App {
    pub spec: Spec,
    pub profile: Arc<dyn Profile>,
    pub settings: Settings,
    pub store: RwLock<Store>,
    pub clock: Clock,
    pub faults: FaultState,
    pub rate_limiter: Option<RateLimiter>,
    pub local_addr: SocketAddr,
    log: Mutex<VecDeque<RecordedRequest>>,
    total: AtomicU64,
}

impl App {
    /// Notes a finished request.
    pub fn record(&self, request: RecordedRequest) {
        self.total.fetch_add(1, Ordering::Relaxed);
        if self.settings.request_log == 0 {
            return;
        }
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        if log.len() >= self.settings.request_log {
            log.pop_front();
        }
        log.push_back(request);
    }
}

/// Marks a response whose connection is to be closed instead of answered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionDrop;

/// The error a connection ends with when a fault drops it.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// Configures an [`Emulator`]; see [`Emulator::builder`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    spec: Option<Spec>,
    profile: Option<Arc<dyn Profile>>,
    address: SocketAddr,
    settings: Settings,
    faults: FaultPlan,
    rate_limit: Option<(u64, Duration)>,
    seed: u64,
    seed_data: bool,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            spec: None,
            profile: None,
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            settings: Settings {
                page_size: Some(DEFAULT_PAGE_SIZE),
                timing: EvaluationTiming::default(),
                token: None,
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
                body_timeout: DEFAULT_BODY_TIMEOUT,
                latency: Duration::ZERO,
                strict_query_options: false,
                request_log: DEFAULT_REQUEST_LOG,
            },
            faults: FaultPlan::default(),
            rate_limit: None,
            seed: 0,
            seed_data: true,
        }
    }
}

impl EmulatorBuilder {
    /// Serve this spec instead of the bundled one (with the profile set by
    /// [`profile`](Self::profile), by default the Security Copilot one).
    pub fn spec(mut self, spec: Spec) -> Self {
        self.spec = Some(spec);
        self
    }

    /// What the API does beyond its spec (default: [`SecurityCopilot`], the bundled spec's);
    /// [`crate::Generic`] for any other spec.
    ///
    /// ```no_run
    /// # async fn demo(csdl: &str, overlay: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// use graph_security_copilot_emulator::{Emulator, Generic, Spec};
    ///
    /// let spec = Spec::from_csdl(csdl, &[overlay])?;
    /// let emulator = Emulator::builder().spec(spec).profile(Generic).start().await?;
    /// # Ok(()) }
    /// ```
    pub fn profile(mut self, profile: impl Profile) -> Self {
        self.profile = Some(Arc::new(profile));
        self
    }

    /// Listen here instead of `127.0.0.1:0` (a free loopback port).
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Listen on this loopback port (`0`: any free one).
    pub fn port(mut self, port: u16) -> Self {
        self.address = SocketAddr::from(([127, 0, 0, 1], port));
        self
    }

    /// The most items a list returns in one response before `@odata.nextLink` (default 100);
    /// `0` turns server-driven paging off.
    pub fn page_size(mut self, page_size: usize) -> Self {
        self.settings.page_size = (page_size > 0).then_some(page_size);
        self
    }

    /// How long evaluations take: `created` → `running` after `running_after`, then
    /// `completed` after `completed_after` more (defaults 200 ms and 800 ms).
    pub fn evaluation_delays(mut self, running_after: Duration, completed_after: Duration) -> Self {
        self.settings.timing = EvaluationTiming {
            running_after,
            completed_after,
        };
        self
    }

    /// Accept only this bearer token (default: any non-empty bearer token; a bearer token is
    /// always required).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.settings.token = Some(token.into());
        self
    }

    /// Accept any non-empty bearer token (the default).
    pub fn any_token(mut self) -> Self {
        self.settings.token = None;
        self
    }

    /// Inject these faults.
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults = plan;
        self
    }

    /// Add one fault rule.
    pub fn fault(mut self, rule: crate::fault::FaultRule) -> Self {
        self.faults.rules.push(rule);
        self
    }

    /// Rate-limit mode: at most `limit` requests per `window` per bearer token, in a fixed
    /// window that starts at a token's first request after its previous window ended; beyond
    /// it, Graph's `429` with `Retry-After` in whole seconds to the window's end, rounded up
    /// (see [`crate::rate_limit`]). `limit` 0, a zero window or one longer than
    /// [`crate::rate_limit::MAX_RATE_LIMIT_WINDOW`] is refused at [`start`](Self::start) with
    /// [`StartError::RateLimit`]. Off by default.
    pub fn rate_limit(mut self, limit: u64, window: Duration) -> Self {
        self.rate_limit = Some((limit, window));
        self
    }

    /// The seed of fault decisions (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The largest request body in bytes (default 4 MiB); larger ones get 413.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.settings.max_body_bytes = max;
        self
    }

    /// How long a request body may take to arrive (default 30 s); slower ones get 408
    /// `requestTimeout`.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.settings.body_timeout = timeout;
        self
    }

    /// Latency added to every request (default none).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.settings.latency = latency;
        self
    }

    /// Accept only the query options the spec documents for each operation (e.g. no `$orderby`
    /// on sessions) instead of every option the emulator implements (the default).
    pub fn strict_query_options(mut self, strict: bool) -> Self {
        self.settings.strict_query_options = strict;
        self
    }

    /// Start with the profile's seed data (the default; Security Copilot: workspace `default`
    /// and its plugins) or with nothing.
    pub fn seed_data(mut self, seed_data: bool) -> Self {
        self.seed_data = seed_data;
        self
    }

    /// How many recent requests [`Emulator::requests`] keeps (default 10,000; 0 keeps none).
    pub fn request_log(mut self, capacity: usize) -> Self {
        self.settings.request_log = capacity;
        self
    }

    /// Binds the address and starts serving on the current Tokio runtime.
    pub async fn start(self) -> Result<Emulator, StartError> {
        let rate_limiter = match self.rate_limit {
            Some((limit, window)) => Some(RateLimiter::new(RateLimit::new(limit, window)?)),
            None => None,
        };
        let spec = match self.spec {
            Some(spec) => spec,
            None => Spec::bundled()?,
        };
        let listener =
            TcpListener::bind(self.address)
                .await
                .map_err(|source| StartError::Bind {
                    address: self.address,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
            address: self.address,
            source,
        })?;
        let clock = Clock::new();
        let mut store = Store::default();
        let profile: Arc<dyn Profile> = self.profile.unwrap_or_else(|| Arc::new(SecurityCopilot));
        if self.seed_data {
            let mut seeder = Seeder {
                spec: &spec,
                profile: profile.as_ref(),
                store: &mut store,
                clock: &clock,
                timing: self.settings.timing,
            };
            profile.seed(&mut seeder).map_err(StartError::Seed)?;
        }
        let app = Arc::new(App {
            spec,
            profile,
            settings: self.settings,
            store: RwLock::new(store),
            clock,
            faults: FaultState::new(self.faults, self.seed),
            rate_limiter,
            local_addr,
            log: Mutex::new(VecDeque::new()),
            total: AtomicU64::new(0),
        });
        let router = Router::new()
            .fallback(crate::handler::handle)
            .with_state(Arc::clone(&app));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(listener, router, stopped));
        Ok(Emulator {
            base_url: format!("http://{local_addr}/beta"),
            local_addr,
            app,
            stop,
            task: Some(task),
        })
    }
}

/// Accepts connections until told to stop, then shuts down gracefully.
async fn serve(listener: TcpListener, router: Router, mut stopped: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let router = router.clone();
                    async move {
                        let request = request.map(Body::new);
                        let response: Response<Body> = match router.oneshot(request).await {
                            Ok(response) => response,
                            Err(never) => match never {},
                        };
                        if response.extensions().get::<ConnectionDrop>().is_some() {
                            return Err(Dropped);
                        }
                        Ok(response)
                    }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .keep_alive(true)
                    .max_buf_size(crate::wire::MAX_REQUEST_HEAD_BYTES)
                    .max_headers(crate::wire::MAX_REQUEST_HEADERS)
                    .serve_connection(TokioIo::new(GraphErrorIo::new(stream)), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, "connection ended");
                    }
                });
            }
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("connections still open after the shutdown grace period");
        }
    }
}

/// A running emulator. It stops when [`Emulator::shutdown`] is called or when it is dropped.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use graph_security_copilot_emulator::Emulator;
///
/// let emulator = Emulator::builder().page_size(50).start().await?;
/// println!("serving {}", emulator.base_url()); // http://127.0.0.1:PORT/beta
/// emulator.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Emulator {
    base_url: String,
    local_addr: SocketAddr,
    app: Arc<App>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// A builder with the defaults: bundled spec, `127.0.0.1:0`, page size 100, any bearer
    /// token, no faults.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Starts an emulator with the defaults.
    pub async fn start() -> Result<Emulator, StartError> {
        Self::builder().start().await
    }

    /// The API root, `http://127.0.0.1:PORT/beta`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The spec it serves.
    pub fn spec(&self) -> &Spec {
        &self.app.spec
    }

    /// The most recent requests it answered (or dropped), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.app
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// How many requests it has handled since it started.
    pub fn request_count(&self) -> u64 {
        self.app.total.load(Ordering::Relaxed)
    }

    /// How many requests rate-limit mode ([`EmulatorBuilder::rate_limit`]) admitted and
    /// throttled so far; `None` without rate-limit mode.
    pub fn rate_limit_counts(&self) -> Option<RateLimitCounts> {
        self.app.rate_limiter.as_ref().map(RateLimiter::counts)
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.app
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Stops accepting connections, lets requests in flight finish (up to 5 s), and returns
    /// once the server has stopped.
    /// With rate-limit mode on, logs (at `info`) how many requests were admitted and throttled.
    pub async fn shutdown(mut self) {
        if let Some(counts) = self.rate_limit_counts() {
            tracing::info!(
                admitted = counts.admitted,
                throttled = counts.throttled,
                "rate limit: {} requests admitted, {} throttled",
                counts.admitted,
                counts.throttled
            );
        }
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    /// Tells the server to stop; it finishes shutting down in the background.
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

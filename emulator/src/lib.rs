//! An in-memory emulator of the Microsoft Graph **beta** Security Copilot API
//! (`/security/securityCopilot/...`): real HTTP on loopback, driven by the same CSDL and overlay
//! the `graph-security-copilot` client is generated from.
//!
//! ```no_run
//! use graph_security_copilot_emulator::Emulator;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::builder().page_size(25).start().await?;
//! // Point any Graph client at it, with any bearer token:
//! // GET {base}/security/securityCopilot/workspaces/default/sessions
//! println!("{}", emulator.base_url());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! What it does:
//!
//! - **Spec-driven** ([`spec`]): routes, keys, allowed operations (the overlay's Capabilities
//!   restrictions), property names and types come from the parsed CSDL at start-up. A path
//!   outside the CSDL is `404`; a method the overlay does not allow is `405`.
//! - **Like Graph**: `@odata.context`, `value`, `@odata.count`, `@odata.nextLink` with an opaque
//!   `$skiptoken`; `$top`, `$skip`, `$count`, `$select`, `$orderby`, `$filter` ([`odata`]);
//!   `request-id`, `client-request-id` (echoed) and `Date` headers; Graph error bodies with
//!   `innerError`; 400 / 401 / 404 / 405 / 408 / 413 / 414 / 415 / 431, every one with a Graph
//!   error body, including those hyper raises before any handler runs; timestamps as .NET
//!   writes them ([`time`]).
//! - **Bounded**: query strings, option values and `$filter` nesting ([`odata`]), request heads
//!   ([`MAX_REQUEST_HEAD_BYTES`], [`MAX_REQUEST_HEADERS`], [`MAX_URI_BYTES`]), bodies
//!   ([`DEFAULT_MAX_BODY_BYTES`]) and the time a body may take ([`DEFAULT_BODY_TIMEOUT`]).
//! - **Any spec, one profile**: the core is generic; what an API does beyond its spec is a
//!   [`Profile`] ([`profile`]). The default serves the bundled Security Copilot spec with the
//!   Security Copilot profile ([`behaviour`]): evaluations run (`created`, then `running`,
//!   then `completed` with an answer derived from the prompt), and workspace `default` with its
//!   plugins exists from the start. `Emulator::builder().spec(spec).profile(Generic)` serves any
//!   other crate's spec (what `graph-spec new-crate` tests generated crates with).
//! - **Faults** ([`fault`]): 429 with `Retry-After`, 503, 504, latency, dropped connections;
//!   for the first N requests, a fraction, or one route; deterministic from a seed.
//! - **Rate-limit mode** ([`rate_limit`]): a fixed window of N requests per duration per bearer
//!   token, answered with Graph's `429` and `Retry-After` beyond it, with admitted/throttled
//!   counters ([`Emulator::rate_limit_counts`]).
//! - **Safe under load**: state behind a `std` lock that is never held across an `.await`;
//!   bounded request bodies.
#![warn(missing_docs)]

pub mod behaviour;
mod body;
pub mod error;
pub mod fault;
mod handler;
pub mod odata;
pub mod profile;
pub mod rate_limit;
mod server;
pub mod spec;
mod store;
pub mod time;
mod wire;

pub use behaviour::SecurityCopilot;
pub use fault::{Fault, FaultPlan, FaultRule, RetryAfter};
pub use profile::{Generic, Profile};
pub use rate_limit::{RateLimit, RateLimitCounts};
pub use server::{
    Emulator, EmulatorBuilder, StartError, DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_PAGE_SIZE, DEFAULT_REQUEST_LOG,
};
pub use spec::{Spec, SpecError};
pub use wire::{MAX_REQUEST_HEADERS, MAX_REQUEST_HEAD_BYTES, MAX_URI_BYTES};

/// How much of a request's path and of its query string [`RecordedRequest`] keeps, in bytes
/// (longer ones are cut, ending in `…`): with the log's capacity
/// ([`DEFAULT_REQUEST_LOG`] requests), this bounds the log's memory.
pub const RECORDED_TEXT_LIMIT: usize = 4096;

/// One request the emulator answered (or dropped), as [`Emulator::requests`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// The path, as sent (`/beta/security/...`), cut after [`RECORDED_TEXT_LIMIT`] bytes.
    pub path: String,
    /// The raw query string, if any, cut after [`RECORDED_TEXT_LIMIT`] bytes.
    pub query: Option<String>,
    /// The status answered; `None` when the connection was dropped instead.
    pub status: Option<u16>,
    /// The injected fault that answered or spoiled the request, if any (`429`, `503`, `504`,
    /// `drop`, `drop-response`, or `rate-limit` for a `429` of rate-limit mode); added latency
    /// is not listed.
    pub fault: Option<String>,
    /// The `request-id` the emulator assigned.
    pub request_id: String,
    /// The `client-request-id` the client sent, if any.
    pub client_request_id: Option<String>,
    /// The client's `retry-attempt` header, if any.
    pub retry_attempt: Option<u32>,
}

//! The generic runtime under every client the `graph-odata-codegen` generator writes for a
//! Microsoft Graph namespace (one of them: `graph-security-copilot`). It names no namespace.
//!
//! - [`auth`]: token providers and the token cache (secrets never in `Debug`, logs or errors);
//! - the transport (one hook for every request): headers, auth, [`retry`] (pure retry decision,
//!   client-wide throttle gate and pacing), response limits, tracing;
//! - [`request`] and [`paging`]: fluent request builders, `@odata.nextLink` streams, [`Page`];
//! - [`query`] and [`filter`]: OData system query options and a typed `$filter` builder;
//! - [`error`]: typed errors that keep status, request ids and the raw body; [`response`]: the
//!   status and request ids of successes;
//! - [`terminal`]: escaping server-provided text for a terminal.
//!
//! Generated crates reach their internals through the `#[doc(hidden)]` `__private` module; it is
//! not part of the documented API.
#![warn(missing_docs)]

pub mod auth;
mod client;
#[doc(hidden)]
pub mod codec;
#[doc(hidden)]
pub mod dynamic;
pub mod error;
pub mod filter;
pub mod paging;
pub mod query;
pub mod request;
pub mod response;
pub mod retry;
pub mod terminal;
mod transport;

pub use client::{
    ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BODY_BYTES, DEFAULT_TIMEOUT,
    GRAPH_BETA, GRAPH_V1,
};
pub use error::{ApiError, DecodeError, Error};
pub use paging::Page;
/// The HTTP status type of [`ApiError::status`] and [`Error::status`].
pub use reqwest::StatusCode;
pub use response::{Response, ResponseMetadata};

/// What generated crates need from the runtime; not part of the documented API.
#[doc(hidden)]
pub mod __private {
    pub use crate::__define_client as define_client;
    pub use crate::client::FromTransport;
    pub use crate::codec;
    pub use crate::dynamic::{self, Operation, ResponseKind};
    pub use crate::paging::resume;
    pub use crate::request::{boxed, check_id, read_count, Exec};
    pub use crate::transport::{hook_pre, Transport};
    pub use futures::stream::BoxStream;
    pub use progenitor_client;
    pub use reqwest;
    pub use serde::de::DeserializeOwned;
    pub use url::Url;
}

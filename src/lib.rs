//! A typed Rust client for the Microsoft Graph **beta** Security Copilot API
//! (`microsoft.graph.security.securityCopilot`: workspaces, sessions, prompts, evaluations,
//! plugins), generated from Microsoft's CSDL with progenitor.
//!
//! ```no_run
//! use graph_security_copilot::prelude::*;
//!
//! # async fn demo() -> Result<(), Error> {
//! let client = Client::builder().credential(StaticToken::new("<token>")).build()?;
//! let workspace = client.workspace("default");
//! let session = workspace.sessions().create("Who am I").await?;
//! let session = workspace.sessions().handle(&session)?;
//! let prompt = session.prompts().create("who am I").await?;
//! let outcome = session.prompts().handle(&prompt)?.evaluations().create_and_wait(WaitOptions::default()).await?;
//! println!("{outcome}: {}", outcome.answer().unwrap_or_default());
//! let names: Vec<_> = workspace.sessions().list().top(10).select(["displayName"]).try_collect().await?;
//! # Ok(()) }
//! ```
//!
//! Layers, from the bottom: the generic runtime `graph-odata-runtime` (re-exported here:
//! [`auth`], [`retry`], [`filter`], [`query`], [`request`], [`paging`], [`response`],
//! [`error`], [`terminal`]), then what `build.rs` generates from `spec/`: [`models`] and
//! [`resources`] (handles), and the hand-written Security Copilot customizations:
//! [`evaluation`] and the `From<&str>` bodies of sessions and prompts.
//!
//! Request builders only offer the query options the spec allows for their operation:
//! `workspace.sessions().list().top(5)` compiles, `session.get().top(5)` does not.
//!
//! ```compile_fail
//! # async fn demo(session: graph_security_copilot::resources::WorkspaceSessionHandle) {
//! let _ = session.get().top(5).await; // `get_workspace_session` does not accept `$top`
//! # }
//! ```
#![warn(missing_docs)]

mod customizations;
pub mod evaluation;
#[doc(hidden)]
pub mod generated;
pub mod models;
pub mod resources;

/// The operation table generated from the same spec and overlay as the handles: per operation
/// its id, method, path template and parameters, allowed query options, body and response.
/// For tools that follow the spec without hand edits (the `gsc` CLI's `api` commands); send a
/// row with [`send`](__operations::send) or [`pages`](__operations::pages) (through the
/// client's transport). Not part of the documented API.
#[doc(hidden)]
#[allow(clippy::all)]
pub mod __operations {
    include!(concat!(env!("OUT_DIR"), "/operations.rs"));

    pub use graph_odata_runtime::__private::dynamic::{pages, send, Operation, ResponseKind};
}

pub use graph_odata_runtime::{
    auth, error, filter, paging, query, request, response, retry, terminal, ApiError, DecodeError,
    Error, Page, Response, ResponseMetadata, StatusCode, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BODY_BYTES, DEFAULT_TIMEOUT,
};

/// What most programs use: `use graph_security_copilot::prelude::*;`.
///
/// The client and its error, the static-token credential, the evaluation wait, the `$filter`
/// builder's `field!`, and the `futures` stream traits that make listings collectable
/// (`try_collect`, `try_next`; not `StreamExt`, whose `skip` is not `$skip`), imported anonymously so they cannot clash with your names.
pub mod prelude {
    pub use crate::auth::StaticToken;
    pub use crate::evaluation::{EvaluationOutcome, WaitOptions};
    pub use crate::filter::{self, field};
    pub use crate::{Client, Error, Page, StatusCode};
    pub use futures::TryStreamExt as _;
}

/// Microsoft Graph's beta endpoint, the default base URL (global service; Security Copilot is
/// not in national clouds).
pub const DEFAULT_BASE_URL: &str = graph_odata_runtime::GRAPH_BETA;

graph_odata_runtime::__private::define_client! {
    title: "Security Copilot",
    default_base_url: DEFAULT_BASE_URL,
    raw: crate::generated::Client,
}

/// The README's examples, compiled as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

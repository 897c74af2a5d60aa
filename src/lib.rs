//! A typed Rust client for the Microsoft Graph **beta** Security Copilot API
//! (`microsoft.graph.security.securityCopilot`: workspaces, sessions, prompts, evaluations,
//! plugins), generated from Microsoft's CSDL with progenitor.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use graph_security_copilot::{auth::StaticToken, Client};
//!
//! # async fn demo() -> Result<(), graph_security_copilot::Error> {
//! let client = Client::builder().credential(StaticToken::new("<token>")).build()?;
//! let workspace = client.workspace("default");
//! let session = workspace.sessions().create("Who am I").await?;
//! let session = workspace.session(session.id.unwrap_or_default());
//! let prompt = session.prompts().create("who am I").await?;
//! let evaluation = session
//!     .prompt(prompt.id.unwrap_or_default())
//!     .evaluations()
//!     .create_and_wait(Default::default())
//!     .await?;
//! println!("{}", evaluation.answer().unwrap_or_default());
//! let names: Vec<_> = workspace.sessions().list().top(10).select(["displayName"]).try_collect().await?;
//! # Ok(()) }
//! ```
//!
//! Layers, from the bottom: [`generated`] (progenitor's client, from `spec/` at build time),
//! [`models`] (generated model types), [`resources`] (generated handles), and the hand-written
//! rest: [`auth`], [`retry`], [`filter`], [`query`], [`paging`], [`error`], [`evaluation`],
//! [`terminal`] (escaping server-provided text for a terminal).
#![warn(missing_docs)]

pub mod auth;
mod client;
pub mod codec;
mod customizations;
pub mod error;
pub mod evaluation;
pub mod filter;
pub mod generated;
pub mod models;
pub mod paging;
pub mod query;
pub mod request;
pub mod resources;
pub mod retry;
pub mod terminal;
mod transport;

pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RESPONSE_BODY_BYTES, DEFAULT_TIMEOUT,
};
pub use error::{ApiError, DecodeError, Error};
pub use paging::Page;
pub use transport::Transport;

/// The README's examples, compiled as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

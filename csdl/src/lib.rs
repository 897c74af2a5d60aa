//! Microsoft Graph CSDL, read and resolved: the shared base of the code generator and the
//! emulator of the `graph-security-copilot` workspace.
//!
//! - [`read_file`] / [`read_str`] parse one CSDL (OData Common Schema Definition Language, XML)
//!   document; [`Model::build`] merges several (Microsoft's fragment and an overlay), resolves
//!   aliases and type references and checks consistency. Every error names the file, line,
//!   column and element ([`CsdlError`]).
//! - [`capabilities`]: the OData Capabilities restrictions (and the overlay's `Exposed` term)
//!   that decide which operations exist.
//! - [`operations`]: the walk from the entity container along containment to the HTTP
//!   operations of the API.
//! - [`rust_names`]: the one rule that turns wire names into Rust names.
//! - [`query`]: the one vocabulary of OData system query options. It is all this crate is with
//!   `default-features = false` (no XML reader, no dependencies), which is how the runtime uses it.
#![warn(missing_docs)]

pub mod query;

#[cfg(feature = "model")]
pub mod capabilities;
#[cfg(feature = "model")]
mod error;
#[cfg(feature = "model")]
mod model;
#[cfg(feature = "model")]
pub mod operations;
#[cfg(feature = "model")]
mod reader;
#[cfg(feature = "model")]
mod resolve;
#[cfg(feature = "model")]
pub mod rust_names;

#[cfg(feature = "model")]
pub use error::{CsdlError, CsdlErrorKind};
#[cfg(feature = "model")]
pub use model::*;
#[cfg(feature = "model")]
pub use reader::{read_bytes, read_file, read_str, MAX_NESTING_DEPTH};
#[cfg(feature = "model")]
pub use resolve::{qualify_name, qualify_target, Model, TypeKind, EDM_PRIMITIVES};

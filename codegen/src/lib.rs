//! Code generation for `graph-security-copilot`: CSDL → OpenAPI 3.0 → Rust (progenitor).
//!
//! The pipeline, one module a step:
//! - [`csdl`]: read Microsoft's CSDL fragment and our overlay into a checked [`csdl::Model`];
//! - [`capabilities`]: read the OData Capabilities restrictions that decide which operations exist;
//! - [`operations`]: walk containment from the entity container into the list of HTTP operations;
//! - [`openapi`]: emit the OpenAPI 3.0 document progenitor consumes;
//! - [`rust_names`]: the one rule that turns wire names into Rust names;
//! - [`rust_models`]: emit the model types (open enums, kept unknown members, optional fields);
//! - [`rust_handles`]: emit the resource handles (`client.workspace(id).sessions().list()`);
//! - [`rust_operations`]: emit the operation table (`gsc api` reads it);
//! - [`generate`]: drive progenitor and post-process its output; used by the client's `build.rs`;
//! - [`surface`]: the plain-text listing of the generated public surface (golden file).
//!
//! And the tools for the day the spec changes (`graph-spec`), behind the `tools` feature (on
//! by default; build scripts turn it off so consumers compile only the generator):
//! - `refresh`: slice, compare, regenerate, write `spec/`, report (`graph-spec refresh`);
//! - `slice`: cut a namespace out of a full `$metadata` document;
//! - `diff`: the change report with semver-true verdicts;
//! - `overlay`: overlay entries that expose navigations;
//! - `golden`: the golden files and their diffs;
//! - `embed`: a full document around a fragment (tests, benchmarks, trying a refresh);
//! - `new_crate`: a complete, tested client crate for any Graph namespace
//!   (`graph-spec new-crate`).
#![warn(missing_docs)]

pub use graph_odata_csdl as csdl;
pub use graph_odata_csdl::{capabilities, operations};
pub mod config;
#[cfg(feature = "tools")]
pub mod diff;
#[cfg(feature = "tools")]
pub mod embed;
pub mod generate;
#[cfg(feature = "tools")]
pub mod golden;
#[cfg(feature = "tools")]
pub mod new_crate;
pub mod openapi;
#[cfg(feature = "tools")]
pub mod overlay;
#[cfg(feature = "tools")]
pub mod refresh;
pub mod rust_handles;
pub mod rust_models;
pub mod rust_names;
pub mod rust_operations;
#[cfg(feature = "tools")]
pub mod slice;
pub mod surface;

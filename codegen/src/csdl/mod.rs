//! CSDL (OData Common Schema Definition Language, XML) reading and resolution.
//!
//! [`read_file`] / [`read_str`] parse one document; [`Model::build`] merges several (Microsoft's
//! fragment and our overlay), resolves aliases and type references and checks consistency.

mod error;
mod model;
mod reader;
mod resolve;

pub use error::{CsdlError, CsdlErrorKind};
pub use model::*;
pub use reader::{read_bytes, read_file, read_str, MAX_NESTING_DEPTH};
pub use resolve::{qualify_name, qualify_target, Model, TypeKind, EDM_PRIMITIVES};

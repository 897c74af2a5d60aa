//! The emulator's OData query engine.
//!
//! It parses the system query options of a list request
//! ([`QueryOptions::parse`]), validates them against the shape of the entity
//! type ([`EntityShape`]), and runs them over an in-memory list of JSON
//! entities ([`QueryOptions::execute`]):
//!
//! 1. `$filter` (see [`Filter`] for the grammar and null semantics),
//! 2. `$orderby` (stable; nulls first ascending, last descending),
//! 3. `@odata.count` = number of matches, before paging,
//! 4. `$skip` / `$top`,
//! 5. server-driven paging with an opaque, query-bound `$skiptoken`
//!    (format documented on [`QueryOptions::encode_skiptoken`]),
//! 6. `$select` projection.
//!
//! ```
//! use graph_security_copilot_emulator::odata::{EntityShape, PropertyKind, QueryOptions};
//! use serde_json::json;
//!
//! let shape = EntityShape::new("session", "id")
//!     .with_property("id", PropertyKind::String)
//!     .with_property("displayName", PropertyKind::String);
//! let items: Vec<_> = ["a", "b", "c"]
//!     .iter()
//!     .map(|id| json!({"id": id, "displayName": id}).as_object().cloned().unwrap())
//!     .collect();
//! let options = QueryOptions::parse("$filter=displayName+ne+'b'&$count=true", &shape).unwrap();
//! let page = options.execute(&items, Some(1)).unwrap();
//! assert_eq!(page.count, Some(2));
//! assert_eq!(page.items.len(), 1);
//! let token = page.next_skiptoken.unwrap();
//! let next = options.next_link_query(&token);
//! let next_options = QueryOptions::parse(&next, &shape).unwrap();
//! let page2 = next_options.execute(&items, Some(1)).unwrap();
//! assert_eq!(page2.items[0]["id"], "c");
//! assert!(page2.next_skiptoken.is_none());
//! ```

mod error;
mod filter;
mod lexer;
mod paging;
mod query;
mod shape;
#[cfg(test)]
mod test_support;
mod value;

pub use error::ODataError;
pub use filter::{CompareOp, Expr, Filter, Function, Literal, MAX_FILTER_DEPTH};
pub use paging::QueryResult;
pub use query::{OrderBy, QueryOptions, SystemOption, MAX_QUERY_LENGTH, MAX_QUERY_OPTION_LENGTH};
pub use shape::{EntityShape, PropertyKind};

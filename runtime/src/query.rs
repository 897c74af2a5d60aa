//! OData system query options: the values a list or get request carries.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::filter::Filter;

/// A list of property paths for `$select`, `$orderby` or `$expand`, sent comma-joined in the
/// caller's order (`$select=id,displayName`), as OData wants and progenitor would not do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldList(Vec<String>);

impl FieldList {
    /// A list from items in order.
    pub fn new<I, S>(items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        FieldList(items.into_iter().map(Into::into).collect())
    }

    /// The items in order.
    pub fn items(&self) -> &[String] {
        &self.0
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

impl Serialize for FieldList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<S: Into<String>> FromIterator<S> for FieldList {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        FieldList::new(iter)
    }
}

impl<S: Into<String>, const N: usize> From<[S; N]> for FieldList {
    fn from(items: [S; N]) -> Self {
        FieldList::new(items)
    }
}

impl<S: Into<String>> From<Vec<S>> for FieldList {
    fn from(items: Vec<S>) -> Self {
        FieldList::new(items)
    }
}

impl From<&str> for FieldList {
    fn from(item: &str) -> Self {
        FieldList::new([item])
    }
}

pub use graph_odata_csdl::query::QueryOption;

/// The query options one operation accepts, known at compile time.
///
/// Generated crates declare one marker type per operation (`ListWorkspaceSessionsOptions`)
/// that implements this trait and one [`supports`] trait per accepted option, so a request
/// builder offers exactly the options the spec allows for that operation: `.top(5)` on an
/// operation without `$top` does not compile. The same list is checked again at run time
/// ([`Query::check`]) for requests built another way.
pub trait OperationOptions: Send + Sync + 'static {
    /// The operation id (`list_workspace_sessions`), for messages and tracing.
    const OPERATION: &'static str;
    /// The options the operation accepts, as the spec allows them.
    const ALLOWED: &'static [QueryOption];
}

/// One marker trait per OData system query option: an operation's options type implements
/// those its operation accepts (see [`OperationOptions`]).
pub mod supports {
    macro_rules! option_traits {
        ($($(#[$doc:meta])* $name:ident => $message:literal, $label:literal;)*) => {
            $(
                $(#[$doc])*
                #[diagnostic::on_unimplemented(message = $message, label = $label)]
                pub trait $name: super::OperationOptions {}
            )*
        };
    }
    option_traits! {
        /// The operation accepts `$top`.
        Top =>
            "this operation does not accept `$top` (`{Self}` implements what it accepts)",
            "`$top` is not allowed here by the spec";
        /// The operation accepts `$skip`.
        Skip =>
            "this operation does not accept `$skip` (`{Self}` implements what it accepts)",
            "`$skip` is not allowed here by the spec";
        /// The operation accepts `$search`.
        Search =>
            "this operation does not accept `$search` (`{Self}` implements what it accepts)",
            "`$search` is not allowed here by the spec";
        /// The operation accepts `$filter`.
        Filter =>
            "this operation does not accept `$filter` (`{Self}` implements what it accepts)",
            "`$filter` is not allowed here by the spec";
        /// The operation accepts `$count`.
        Count =>
            "this operation does not accept `$count` (`{Self}` implements what it accepts)",
            "`$count` is not allowed here by the spec";
        /// The operation accepts `$orderby`.
        OrderBy =>
            "this operation does not accept `$orderby` (`{Self}` implements what it accepts)",
            "`$orderby` is not allowed here by the spec";
        /// The operation accepts `$select`.
        Select =>
            "this operation does not accept `$select` (`{Self}` implements what it accepts)",
            "`$select` is not allowed here by the spec";
        /// The operation accepts `$expand`.
        Expand =>
            "this operation does not accept `$expand` (`{Self}` implements what it accepts)",
            "`$expand` is not allowed here by the spec";
    }
}

/// The query options of one request. Which ones an operation accepts comes from the spec; a
/// request that sets another fails with [`crate::Error::InvalidRequest`] before anything is sent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    /// `$top`.
    pub top: Option<u64>,
    /// `$skip`.
    pub skip: Option<u64>,
    /// `$search`.
    pub search: Option<String>,
    /// `$filter`.
    pub filter: Option<String>,
    /// `$count`.
    pub count: Option<bool>,
    /// `$orderby`.
    pub orderby: Option<FieldList>,
    /// `$select`.
    pub select: Option<FieldList>,
    /// `$expand`.
    pub expand: Option<FieldList>,
}

impl Query {
    /// The options that are set.
    pub fn used(&self) -> Vec<QueryOption> {
        let mut used = Vec::new();
        let mut note = |set: bool, option| {
            if set {
                used.push(option);
            }
        };
        note(self.top.is_some(), QueryOption::Top);
        note(self.skip.is_some(), QueryOption::Skip);
        note(self.search.is_some(), QueryOption::Search);
        note(self.filter.is_some(), QueryOption::Filter);
        note(self.count.is_some(), QueryOption::Count);
        note(self.orderby.is_some(), QueryOption::OrderBy);
        note(self.select.is_some(), QueryOption::Select);
        note(self.expand.is_some(), QueryOption::Expand);
        used
    }

    /// The options that are set as query parameters (`("$top", "5")`), in
    /// [`QueryOption::ALL`] order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        let mut add = |option: QueryOption, value: Option<String>| {
            if let Some(value) = value {
                pairs.push((option.parameter(), value));
            }
        };
        add(QueryOption::Top, self.top.map(|n| n.to_string()));
        add(QueryOption::Skip, self.skip.map(|n| n.to_string()));
        add(QueryOption::Search, self.search.clone());
        add(QueryOption::Filter, self.filter.clone());
        add(QueryOption::Count, self.count.map(|b| b.to_string()));
        add(
            QueryOption::OrderBy,
            self.orderby.as_ref().map(ToString::to_string),
        );
        add(
            QueryOption::Select,
            self.select.as_ref().map(ToString::to_string),
        );
        add(
            QueryOption::Expand,
            self.expand.as_ref().map(ToString::to_string),
        );
        pairs
    }

    /// Fails if an option is set that the operation does not accept.
    pub fn check(&self, operation: &str, allowed: &[QueryOption]) -> Result<(), crate::Error> {
        match self.used().into_iter().find(|o| !allowed.contains(o)) {
            None => Ok(()),
            Some(option) => Err(crate::Error::InvalidRequest(format!(
                "{operation} does not support {} (it supports: {})",
                option.parameter(),
                if allowed.is_empty() {
                    "no query options".to_string()
                } else {
                    allowed
                        .iter()
                        .map(|o| o.parameter())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ))),
        }
    }
}

/// Something usable as a `$filter`: a typed [`Filter`] or a raw string.
pub trait IntoFilter {
    /// The `$filter` text.
    fn into_filter(self) -> String;
}

impl IntoFilter for Filter {
    fn into_filter(self) -> String {
        self.to_string()
    }
}

impl IntoFilter for &Filter {
    fn into_filter(self) -> String {
        self.to_string()
    }
}

impl IntoFilter for String {
    fn into_filter(self) -> String {
        self
    }
}

impl IntoFilter for &str {
    fn into_filter(self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lists_keep_caller_order_and_join_with_commas() {
        let list = FieldList::from(["displayName", "id", "createdDateTime"]);
        assert_eq!(list.to_string(), "displayName,id,createdDateTime");
        assert_eq!(
            serde_json::to_value(&list).unwrap(),
            serde_json::json!("displayName,id,createdDateTime")
        );
    }

    #[test]
    fn unsupported_options_are_named() {
        let query = Query {
            top: Some(5),
            orderby: Some(FieldList::from("displayName")),
            ..Query::default()
        };
        let error = query
            .check("list_sessions", &[QueryOption::Top, QueryOption::Select])
            .unwrap_err();
        assert!(error
            .to_string()
            .contains("list_sessions does not support $orderby"));
        assert!(query
            .check("x", &[QueryOption::Top, QueryOption::OrderBy])
            .is_ok());
    }
}

//! The one vocabulary of OData system query options, shared by the code generator (which
//! options an operation allows), the runtime (which options a request sets) and the emulator
//! (which options it parses).
//!
//! Dependency-free: the runtime compiles this module alone (`default-features = false`).

use std::fmt;

/// An OData system query option a caller can set on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueryOption {
    /// `$top`: at most this many items.
    Top,
    /// `$skip`: skip this many items.
    Skip,
    /// `$search`: free-text search.
    Search,
    /// `$filter`: a boolean expression items must satisfy.
    Filter,
    /// `$count`: include the total count (`@odata.count`).
    Count,
    /// `$orderby`: sort keys.
    OrderBy,
    /// `$select`: the properties to return.
    Select,
    /// `$expand`: related entities to include inline.
    Expand,
}

/// The server-driven paging token Graph puts in `@odata.nextLink` (never set by callers).
pub const SKIP_TOKEN: &str = "$skiptoken";

impl QueryOption {
    /// All options in the order Microsoft's OpenAPI converter lists them.
    pub const ALL: [QueryOption; 8] = [
        QueryOption::Top,
        QueryOption::Skip,
        QueryOption::Search,
        QueryOption::Filter,
        QueryOption::Count,
        QueryOption::OrderBy,
        QueryOption::Select,
        QueryOption::Expand,
    ];

    /// The query parameter name, e.g. `$top`.
    pub const fn parameter(self) -> &'static str {
        match self {
            QueryOption::Top => "$top",
            QueryOption::Skip => "$skip",
            QueryOption::Search => "$search",
            QueryOption::Filter => "$filter",
            QueryOption::Count => "$count",
            QueryOption::OrderBy => "$orderby",
            QueryOption::Select => "$select",
            QueryOption::Expand => "$expand",
        }
    }

    /// The option a decoded parameter name such as `$top` names, ASCII case-insensitively as
    /// OData 4.01 allows (`$TOP`, `$OrderBy`).
    pub fn from_parameter(name: &str) -> Option<QueryOption> {
        QueryOption::ALL
            .into_iter()
            .find(|option| option.parameter().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for QueryOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.parameter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_round_trip_case_insensitively() {
        for option in QueryOption::ALL {
            assert_eq!(
                QueryOption::from_parameter(option.parameter()),
                Some(option)
            );
            let upper = option.parameter().to_ascii_uppercase();
            assert_eq!(QueryOption::from_parameter(&upper), Some(option));
        }
        assert_eq!(QueryOption::from_parameter("top"), None);
        assert_eq!(QueryOption::from_parameter(SKIP_TOKEN), None);
    }
}

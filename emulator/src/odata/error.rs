//! The error type of the query engine.

use thiserror::Error;

/// Everything that can be wrong with the query options of a request.
///
/// Every variant corresponds to an HTTP 400 response; [`ODataError::code`]
/// gives the Graph error code to put in the error body, and the `Display`
/// text is meant to be used verbatim as the error message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ODataError {
    /// A parameter name or value was not valid UTF-8 once percent-decoded.
    #[error("Query parameter '{parameter}' is not valid UTF-8 after percent-decoding")]
    InvalidEncoding {
        /// The parameter as it appeared in the raw query string.
        parameter: String,
    },
    /// A `$`-prefixed parameter that is not a known system query option.
    #[error("Unknown system query option '{option}'")]
    UnknownOption {
        /// The option name as decoded, e.g. `$foo`.
        option: String,
    },
    /// A system query option was given more than once.
    #[error("Query option '{option}' was specified more than once")]
    DuplicateOption {
        /// The canonical option name, e.g. `$top`.
        option: String,
    },
    /// A known option that the operation does not support (see
    /// [`QueryOptions::ensure_allowed`](super::QueryOptions::ensure_allowed)).
    #[error("Query option '{option}' is not allowed for this request")]
    OptionNotAllowed {
        /// The canonical option name, e.g. `$expand`.
        option: String,
    },
    /// `$top` or `$skip` was not a non-negative integer.
    #[error("Invalid {option} value '{value}': expected a non-negative integer")]
    InvalidInteger {
        /// `$top` or `$skip`.
        option: String,
        /// The value as given.
        value: String,
    },
    /// `$count` was neither `true` nor `false`.
    #[error("Invalid $count value '{value}': expected 'true' or 'false'")]
    InvalidCount {
        /// The value as given.
        value: String,
    },
    /// `$select` was syntactically malformed.
    #[error("Invalid $select value '{value}': {reason}")]
    InvalidSelect {
        /// The whole `$select` value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `$orderby` was syntactically malformed or used a property that cannot be ordered.
    #[error("Invalid $orderby value '{value}': {reason}")]
    InvalidOrderBy {
        /// The whole `$orderby` value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `$select`, `$orderby` or `$filter` named a property the type does not have.
    #[error("Could not find a property named '{property}' on type '{type_name}'")]
    UnknownProperty {
        /// The property name as given.
        property: String,
        /// [`EntityShape::type_name`](super::EntityShape::type_name).
        type_name: String,
    },
    /// `$filter` could not be parsed.
    #[error("Syntax error in $filter at position {position}: {message}")]
    FilterSyntax {
        /// 0-based character offset into the decoded `$filter` value.
        position: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// `$filter` parsed but is not well-typed (e.g. comparing a date with a number).
    #[error("Invalid $filter at position {position}: {message}")]
    FilterType {
        /// 0-based character offset into the decoded `$filter` value.
        position: usize,
        /// What is wrong.
        message: String,
    },
    /// A query option (or the whole query string) is longer, or a `$filter`
    /// nests deeper, than the engine accepts (see
    /// [`MAX_QUERY_OPTION_LENGTH`](super::MAX_QUERY_OPTION_LENGTH),
    /// [`MAX_QUERY_LENGTH`](super::MAX_QUERY_LENGTH) and
    /// [`MAX_FILTER_DEPTH`](super::MAX_FILTER_DEPTH)).
    #[error("The {option} value exceeds the {limit} limit of {max}")]
    LimitExceeded {
        /// The option, e.g. `$filter`, or `query string`.
        option: String,
        /// Which limit: `length` (characters) or `nesting depth`.
        limit: &'static str,
        /// The limit.
        max: usize,
    },
    /// `$skiptoken` was not issued by this engine for this query.
    #[error("Invalid $skiptoken value '{value}': {reason}")]
    InvalidSkipToken {
        /// The token as given.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
}

impl ODataError {
    /// The Graph error code for the response body (`error.code`).
    ///
    /// Graph reports all query-option problems as `BadRequest` (HTTP 400).
    pub fn code(&self) -> &'static str {
        "BadRequest"
    }
}

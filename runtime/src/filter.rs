//! A typed builder for OData `$filter` expressions.
//!
//! Values are always written as OData literals (strings quoted with `'`
//! doubled, dates unquoted, ...) and field names are validated, so no value
//! or name coming from a caller can change the shape of the filter:
//!
//! ```
//! use graph_odata_runtime::filter::{self, Filter};
//!
//! let by_name = filter::field!("displayName").eq("it's");
//! assert_eq!(by_name.to_string(), "displayName eq 'it''s'");
//!
//! let attempt = filter::field!("displayName").eq("x' or 1 eq 1 or 'a");
//! assert_eq!(attempt.to_string(), "displayName eq 'x'' or 1 eq 1 or ''a'");
//!
//! let recent = filter::field!("createdDateTime")
//!     .ge("2025-10-15T15:54:58Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap());
//! let combined = by_name.or(filter::field!("displayName").starts_with("Copilot")).and(recent);
//! assert_eq!(
//!     combined.to_string(),
//!     "(displayName eq 'it''s' or startswith(displayName,'Copilot')) and createdDateTime ge 2025-10-15T15:54:58Z"
//! );
//! ```
//!
//! # Field names
//!
//! A field path is one or more identifiers `[A-Za-z_][A-Za-z0-9_]*` joined by
//! `/` (e.g. `createdBy/user/id`). A [`Field`] can only hold a valid path,
//! so every [`Filter`] is well formed and its `Display` cannot fail. There are
//! two ways to get one:
//!
//! * [`field!`](crate::field) for names written in the source: checked at
//!   compile time, so a typo is a build error and nothing can fail at run time.
//! * [`try_field`] (or [`Field::parse`]) for names chosen at run time: returns
//!   a [`FilterError`] for anything that is not a plain path.
//!
//! ```compile_fail
//! // Does not compile: a space is not allowed in a field path.
//! let f = graph_odata_runtime::filter::field!("display name");
//! ```
//!
//! # Output
//!
//! `Display` (and so `to_string()`) gives the `$filter` value, not yet
//! percent-encoded for a URL; the HTTP layer encodes it as a query parameter.
//! Parentheses are added only where OData precedence (`not` binds tighter
//! than comparisons, which bind tighter than `and`, then `or`) requires them.

use std::borrow::Cow;
use std::fmt;
use std::ops::Not;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

/// A field path checked at compile time: `field!("displayName")`.
///
/// Expands to a constant [`Field`](crate::filter::Field); an invalid path
/// (see the [`filter`](crate::filter) module documentation) is a compile
/// error, so the macro never fails at run time. For names only known at run
/// time use [`try_field`](crate::filter::try_field).
///
/// ```
/// use graph_odata_runtime::filter;
///
/// let status = filter::field!("status");
/// assert_eq!(status.eq("completed").to_string(), "status eq 'completed'");
/// assert_eq!(filter::field!("createdBy/user/id").as_str(), "createdBy/user/id");
/// ```
#[macro_export]
macro_rules! field {
    ($path:literal) => {{
        // Evaluated while compiling the constant: an invalid path stops the
        // build, so this `expect` can never fail at run time.
        const FIELD: $crate::filter::Field = $crate::filter::Field::from_static($path)
            .expect(::std::concat!("invalid OData field path: ", $path));
        FIELD
    }};
}

#[doc(inline)]
pub use crate::field;

/// Why a filter could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// The field path is not one or more OData identifiers joined by `/`.
    #[error("invalid OData field path {path:?}: {reason}")]
    InvalidFieldPath {
        /// The rejected path.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// A validated field (property) path, e.g. `displayName` or
/// `createdBy/user/id`.
///
/// Made by [`field!`](crate::field), [`try_field`], [`Field::parse`] or
/// [`Field::from_static`]; the comparison methods turn it into a [`Filter`].
#[derive(Debug, Clone)]
pub struct Field {
    path: Cow<'static, str>,
}

/// Checks a field path; `None` when valid, otherwise what is wrong.
///
/// `const` so that [`field!`](crate::field) can run it at compile time.
const fn path_problem(path: &str) -> Option<&'static str> {
    let bytes = path.as_bytes();
    if bytes.is_empty() {
        return Some("the path is empty");
    }
    let mut index = 0;
    let mut at_segment_start = true;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'/' {
            if at_segment_start {
                return Some("a path segment is empty");
            }
            at_segment_start = true;
        } else if at_segment_start {
            if !(byte.is_ascii_alphabetic() || byte == b'_') {
                return Some("a segment must start with an ASCII letter or '_'");
            }
            at_segment_start = false;
        } else if !(byte.is_ascii_alphanumeric() || byte == b'_') {
            return Some("only ASCII letters, digits, '_' and '/' are allowed");
        }
        index += 1;
    }
    if at_segment_start {
        return Some("a path segment is empty");
    }
    None
}

impl Field {
    /// Validates a path given at run time.
    pub fn parse(path: &str) -> Result<Self, FilterError> {
        match path_problem(path) {
            None => Ok(Self {
                path: Cow::Owned(path.to_owned()),
            }),
            Some(reason) => Err(FilterError::InvalidFieldPath {
                path: path.to_owned(),
                reason,
            }),
        }
    }

    /// Validates a `'static` path without allocating; `None` if it is
    /// invalid. `const`, which is what [`field!`](crate::field) builds on.
    pub const fn from_static(path: &'static str) -> Option<Self> {
        match path_problem(path) {
            None => Some(Self {
                path: Cow::Borrowed(path),
            }),
            Some(_) => None,
        }
    }

    /// The path as written in the filter.
    pub fn as_str(&self) -> &str {
        &self.path
    }

    fn compare(&self, op: ComparisonOp, value: Literal) -> Filter {
        Filter::from(Expr::Comparison {
            field: self.path.clone(),
            op,
            value,
        })
    }

    fn call(&self, function: StringFunction, text: &str) -> Filter {
        Filter::from(Expr::Call {
            function,
            field: self.path.clone(),
            argument: Literal::string(text),
        })
    }

    /// `field eq value`.
    pub fn eq(&self, value: impl Into<Literal>) -> Filter {
        self.compare(ComparisonOp::Eq, value.into())
    }

    /// `field ne value`.
    pub fn ne(&self, value: impl Into<Literal>) -> Filter {
        self.compare(ComparisonOp::Ne, value.into())
    }

    /// `field gt value`.
    pub fn gt(&self, value: impl Into<Literal>) -> Filter {
        self.compare(ComparisonOp::Gt, value.into())
    }

    /// `field ge value`.
    pub fn ge(&self, value: impl Into<Literal>) -> Filter {
        self.compare(ComparisonOp::Ge, value.into())
    }

    /// `field lt value`.
    pub fn lt(&self, value: impl Into<Literal>) -> Filter {
        self.compare(ComparisonOp::Lt, value.into())
    }

    /// `field le value`.
    pub fn le(&self, value: impl Into<Literal>) -> Filter {
        self.compare(ComparisonOp::Le, value.into())
    }

    /// `field eq null`.
    pub fn is_null(&self) -> Filter {
        self.compare(ComparisonOp::Eq, Literal::null())
    }

    /// `field ne null`.
    pub fn is_not_null(&self) -> Filter {
        self.compare(ComparisonOp::Ne, Literal::null())
    }

    /// `contains(field,'text')`.
    pub fn contains(&self, text: impl AsRef<str>) -> Filter {
        self.call(StringFunction::Contains, text.as_ref())
    }

    /// `startswith(field,'text')`.
    pub fn starts_with(&self, text: impl AsRef<str>) -> Filter {
        self.call(StringFunction::StartsWith, text.as_ref())
    }

    /// `endswith(field,'text')`.
    pub fn ends_with(&self, text: impl AsRef<str>) -> Filter {
        self.call(StringFunction::EndsWith, text.as_ref())
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)
    }
}

/// [`Field::parse`] as a free function: validates a field path chosen at run
/// time.
///
/// ```
/// use graph_odata_runtime::filter;
///
/// let column = "displayName"; // e.g. from user input
/// let filter = filter::try_field(column)?.contains("report");
/// assert_eq!(filter.to_string(), "contains(displayName,'report')");
///
/// assert!(filter::try_field("displayName eq 'x' or true").is_err());
/// # Ok::<(), filter::FilterError>(())
/// ```
pub fn try_field(path: &str) -> Result<Field, FilterError> {
    Field::parse(path)
}

/// One OData literal value, already in its `$filter` spelling.
///
/// Built with `From`/`Into` from strings (quoted, `'` doubled), integers,
/// floats (`NaN`, `INF`, `-INF` for the special values), booleans,
/// `chrono::DateTime<Utc>` / `DateTime<FixedOffset>` (unquoted
/// DateTimeOffset, fractional seconds kept) and `Option<T>` (`None` is
/// `null`); or with [`Literal::string`], [`Literal::enum_member`] and
/// [`Literal::null`]. There is no way to make a `Literal` from unescaped text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    odata: String,
}

impl Literal {
    /// A quoted string literal: `it's` becomes `'it''s'`.
    pub fn string(text: impl AsRef<str>) -> Self {
        let text = text.as_ref();
        let mut odata = String::with_capacity(text.len().saturating_add(2));
        odata.push('\'');
        for character in text.chars() {
            if character == '\'' {
                odata.push('\'');
            }
            odata.push(character);
        }
        odata.push('\'');
        Self { odata }
    }

    /// An enumeration member, written as a quoted string (`'completed'`),
    /// which is how Microsoft Graph accepts enum values in `$filter`.
    ///
    /// Use it with any enum that can give its wire name as `&str`; for an
    /// enum that only implements `Display`, pass `value.to_string()`.
    pub fn enum_member(value: impl AsRef<str>) -> Self {
        Self::string(value)
    }

    /// `null`.
    pub fn null() -> Self {
        Self {
            odata: "null".to_owned(),
        }
    }

    /// The literal as written in the filter.
    pub fn as_str(&self) -> &str {
        &self.odata
    }

    fn from_f64(value: f64) -> Self {
        let odata = if value.is_nan() {
            "NaN".to_owned()
        } else if value == f64::INFINITY {
            "INF".to_owned()
        } else if value == f64::NEG_INFINITY {
            "-INF".to_owned()
        } else {
            // `{:?}` keeps a decimal point or exponent (`1.0`, `1e21`), both
            // valid OData double syntax, and is the shortest exact spelling.
            format!("{value:?}")
        };
        Self { odata }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.odata)
    }
}

impl From<&str> for Literal {
    fn from(value: &str) -> Self {
        Self::string(value)
    }
}

impl From<String> for Literal {
    fn from(value: String) -> Self {
        Self::string(value)
    }
}

impl From<&String> for Literal {
    fn from(value: &String) -> Self {
        Self::string(value)
    }
}

impl From<Cow<'_, str>> for Literal {
    fn from(value: Cow<'_, str>) -> Self {
        Self::string(value)
    }
}

impl From<bool> for Literal {
    fn from(value: bool) -> Self {
        Self {
            odata: if value { "true" } else { "false" }.to_owned(),
        }
    }
}

macro_rules! integer_literals {
    ($($integer:ty),*) => {
        $(
            impl From<$integer> for Literal {
                fn from(value: $integer) -> Self {
                    Self { odata: value.to_string() }
                }
            }
        )*
    };
}

integer_literals!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl From<f64> for Literal {
    fn from(value: f64) -> Self {
        Self::from_f64(value)
    }
}

impl From<f32> for Literal {
    fn from(value: f32) -> Self {
        if value.is_finite() {
            // Format as f32 so that 0.1f32 stays `0.1` rather than the
            // widened `0.10000000149011612`.
            Self {
                odata: format!("{value:?}"),
            }
        } else {
            Self::from_f64(f64::from(value))
        }
    }
}

impl From<DateTime<Utc>> for Literal {
    /// An unquoted DateTimeOffset such as `2025-10-15T15:54:58Z`, keeping
    /// fractional seconds (`…58.123Z`).
    fn from(value: DateTime<Utc>) -> Self {
        Self {
            odata: value.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        }
    }
}

impl From<&DateTime<Utc>> for Literal {
    fn from(value: &DateTime<Utc>) -> Self {
        Self::from(*value)
    }
}

impl From<DateTime<FixedOffset>> for Literal {
    /// An unquoted DateTimeOffset with its offset, such as
    /// `2025-10-15T17:54:58+02:00`.
    fn from(value: DateTime<FixedOffset>) -> Self {
        Self {
            odata: value.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        }
    }
}

impl<T: Into<Literal>> From<Option<T>> for Literal {
    /// `None` is `null`.
    fn from(value: Option<T>) -> Self {
        value.map_or_else(Self::null, Into::into)
    }
}

/// A complete `$filter` expression; `Display` writes it.
///
/// Built from a [`Field`]'s comparison methods and combined with
/// [`and`](Self::and), [`or`](Self::or) and `!` / [`not`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    expr: Expr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    Comparison {
        field: Cow<'static, str>,
        op: ComparisonOp,
        value: Literal,
    },
    Call {
        function: StringFunction,
        field: Cow<'static, str>,
        argument: Literal,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Raw(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ComparisonOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl ComparisonOp {
    fn keyword(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringFunction {
    Contains,
    StartsWith,
    EndsWith,
}

impl StringFunction {
    fn name(self) -> &'static str {
        match self {
            Self::Contains => "contains",
            Self::StartsWith => "startswith",
            Self::EndsWith => "endswith",
        }
    }
}

impl Filter {
    /// Uses `expression` verbatim, for OData syntax the builder does not
    /// cover (lambda operators such as `tags/any(t: t eq 'x')`, `in`, ...).
    ///
    /// **Unchecked**: nothing is validated or escaped, so never build the
    /// text from untrusted input. When combined with other filters it is
    /// wrapped in parentheses, which keeps a well-formed expression intact
    /// but cannot contain a malformed one.
    pub fn raw(expression: impl Into<String>) -> Self {
        Self::from(Expr::Raw(expression.into()))
    }

    /// Both `self` and `other` must hold: `self and other`.
    pub fn and(self, other: Filter) -> Filter {
        Self::from(Expr::And(Box::new(self.expr), Box::new(other.expr)))
    }

    /// Either `self` or `other` must hold: `self or other`.
    pub fn or(self, other: Filter) -> Filter {
        Self::from(Expr::Or(Box::new(self.expr), Box::new(other.expr)))
    }

    /// All filters must hold; `None` for an empty list.
    pub fn all_of(filters: impl IntoIterator<Item = Filter>) -> Option<Filter> {
        filters.into_iter().reduce(Filter::and)
    }

    /// At least one filter must hold; `None` for an empty list.
    pub fn any_of(filters: impl IntoIterator<Item = Filter>) -> Option<Filter> {
        filters.into_iter().reduce(Filter::or)
    }
}

impl From<Expr> for Filter {
    fn from(expr: Expr) -> Self {
        Self { expr }
    }
}

impl Not for Filter {
    type Output = Filter;

    /// `not (self)`.
    fn not(self) -> Filter {
        Self::from(Expr::Not(Box::new(self.expr)))
    }
}

/// Negates a filter: `not (filter)`. Same as `!filter`.
pub fn not(filter: Filter) -> Filter {
    !filter
}

/// Binding strength, loosest first, for deciding where parentheses go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Precedence {
    /// Unknown content: always parenthesised inside another expression.
    Raw,
    Or,
    And,
    Not,
    /// Comparisons and function calls.
    Primary,
}

impl Expr {
    fn precedence(&self) -> Precedence {
        match self {
            Self::Raw(_) => Precedence::Raw,
            Self::Or(..) => Precedence::Or,
            Self::And(..) => Precedence::And,
            Self::Not(_) => Precedence::Not,
            Self::Comparison { .. } | Self::Call { .. } => Precedence::Primary,
        }
    }

    /// Writes `self` as an operand of an operator of strength `context`,
    /// adding parentheses if it binds more loosely.
    fn write_operand(&self, f: &mut fmt::Formatter<'_>, context: Precedence) -> fmt::Result {
        if self.precedence() < context {
            f.write_str("(")?;
            self.write(f)?;
            f.write_str(")")
        } else {
            self.write(f)
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Comparison { field, op, value } => {
                write!(f, "{field} {} {value}", op.keyword())
            }
            Self::Call {
                function,
                field,
                argument,
            } => write!(f, "{}({field},{argument})", function.name()),
            Self::And(left, right) => {
                left.write_operand(f, Precedence::And)?;
                f.write_str(" and ")?;
                right.write_operand(f, Precedence::And)
            }
            Self::Or(left, right) => {
                left.write_operand(f, Precedence::Or)?;
                f.write_str(" or ")?;
                right.write_operand(f, Precedence::Or)
            }
            Self::Not(inner) => {
                f.write_str("not ")?;
                // `not` binds tighter than a comparison (`not a eq 1` would
                // mean `(not a) eq 1`), so only a function call goes bare.
                match **inner {
                    Self::Call { .. } => inner.write(f),
                    _ => {
                        f.write_str("(")?;
                        inner.write(f)?;
                        f.write_str(")")
                    }
                }
            }
            Self::Raw(text) => f.write_str(text),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.write(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn name() -> Field {
        field!("displayName")
    }

    fn text(filter: Filter) -> String {
        filter.to_string()
    }

    #[test]
    fn quotes_are_doubled() {
        assert_eq!(text(name().eq("it's")), "displayName eq 'it''s'");
        assert_eq!(text(name().eq("''")), "displayName eq ''''''");
        assert_eq!(text(name().eq("")), "displayName eq ''");
    }

    #[test]
    fn injection_attempts_stay_one_literal() {
        assert_eq!(
            text(name().eq("x' or 1 eq 1 or 'a")),
            "displayName eq 'x'' or 1 eq 1 or ''a'"
        );
        assert_eq!(
            text(name().contains("') or true or contains(displayName,'")),
            "contains(displayName,''') or true or contains(displayName,''')"
        );
        // Characters that are special elsewhere (URL, JSON) are left for the
        // HTTP layer to encode; they cannot end the literal.
        assert_eq!(
            text(name().eq("a&$top=1#\"\\)")),
            r#"displayName eq 'a&$top=1#"\)'"#
        );
        assert_eq!(
            text(name().eq("línea\nnueva")),
            "displayName eq 'línea\nnueva'"
        );
    }

    #[test]
    fn each_comparison_operator() {
        let size = field!("size");
        assert_eq!(text(size.eq(1)), "size eq 1");
        assert_eq!(text(size.ne(1)), "size ne 1");
        assert_eq!(text(size.gt(1)), "size gt 1");
        assert_eq!(text(size.ge(1)), "size ge 1");
        assert_eq!(text(size.lt(1)), "size lt 1");
        assert_eq!(text(size.le(1)), "size le 1");
    }

    #[test]
    fn string_functions() {
        assert_eq!(text(name().contains("Rep")), "contains(displayName,'Rep')");
        assert_eq!(
            text(name().starts_with("Co")),
            "startswith(displayName,'Co')"
        );
        assert_eq!(text(name().ends_with("'s")), "endswith(displayName,'''s')");
        assert_eq!(
            text(name().contains(String::from("x"))),
            "contains(displayName,'x')"
        );
    }

    #[test]
    fn null_checks() {
        assert_eq!(text(name().is_null()), "displayName eq null");
        assert_eq!(text(name().is_not_null()), "displayName ne null");
        assert_eq!(text(name().eq(None::<&str>)), "displayName eq null");
        assert_eq!(text(name().eq(Some("a"))), "displayName eq 'a'");
        // The text "null" is a string, not the null literal.
        assert_eq!(text(name().eq("null")), "displayName eq 'null'");
    }

    #[test]
    fn string_literal_kinds() {
        let owned = String::from("o");
        assert_eq!(text(name().eq(owned.clone())), "displayName eq 'o'");
        assert_eq!(text(name().eq(&owned)), "displayName eq 'o'");
        assert_eq!(text(name().eq(Cow::Borrowed("c"))), "displayName eq 'c'");
    }

    #[test]
    fn integer_literals() {
        let count = field!("count");
        assert_eq!(text(count.eq(-5i8)), "count eq -5");
        assert_eq!(text(count.eq(300i16)), "count eq 300");
        assert_eq!(text(count.eq(i32::MIN)), "count eq -2147483648");
        assert_eq!(text(count.eq(i64::MAX)), "count eq 9223372036854775807");
        assert_eq!(text(count.eq(7u8)), "count eq 7");
        assert_eq!(text(count.eq(7u16)), "count eq 7");
        assert_eq!(text(count.eq(7u32)), "count eq 7");
        assert_eq!(text(count.eq(7u64)), "count eq 7");
        assert_eq!(text(count.eq(7usize)), "count eq 7");
        assert_eq!(text(count.eq(-7isize)), "count eq -7");
    }

    #[test]
    fn float_literals() {
        let score = field!("score");
        assert_eq!(text(score.gt(0.5)), "score gt 0.5");
        assert_eq!(text(score.gt(1.0)), "score gt 1.0");
        assert_eq!(text(score.gt(-2.25f64)), "score gt -2.25");
        assert_eq!(text(score.gt(1e21)), "score gt 1e21");
        assert_eq!(text(score.gt(1.5e-7)), "score gt 1.5e-7");
        assert_eq!(text(score.gt(0.1f32)), "score gt 0.1");
        assert_eq!(text(score.eq(f64::NAN)), "score eq NaN");
        assert_eq!(text(score.eq(f64::INFINITY)), "score eq INF");
        assert_eq!(text(score.eq(f32::NEG_INFINITY)), "score eq -INF");
    }

    #[test]
    fn boolean_literals() {
        let enabled = field!("isEnabled");
        assert_eq!(text(enabled.eq(true)), "isEnabled eq true");
        assert_eq!(text(enabled.ne(false)), "isEnabled ne false");
    }

    #[test]
    fn datetime_literals_are_unquoted_with_fractions_kept() {
        let created = field!("createdDateTime");
        let whole = Utc.with_ymd_and_hms(2025, 10, 15, 15, 54, 58).unwrap();
        assert_eq!(
            text(created.ge(whole)),
            "createdDateTime ge 2025-10-15T15:54:58Z"
        );
        assert_eq!(
            text(created.ge(Literal::from(&whole))),
            "createdDateTime ge 2025-10-15T15:54:58Z"
        );
        let millis = whole + chrono::Duration::milliseconds(123);
        assert_eq!(
            text(created.lt(millis)),
            "createdDateTime lt 2025-10-15T15:54:58.123Z"
        );
        let nanos: DateTime<Utc> = "2025-10-15T15:54:58.1234567Z".parse().unwrap();
        assert_eq!(
            text(created.lt(nanos)),
            "createdDateTime lt 2025-10-15T15:54:58.123456700Z"
        );
        let offset = DateTime::parse_from_rfc3339("2025-10-15T17:54:58+02:00").unwrap();
        assert_eq!(
            text(created.le(offset)),
            "createdDateTime le 2025-10-15T17:54:58+02:00"
        );
    }

    /// Stands in for a generated string enum.
    enum SessionState {
        Completed,
        InProgress,
    }

    impl AsRef<str> for SessionState {
        fn as_ref(&self) -> &str {
            match self {
                Self::Completed => "completed",
                Self::InProgress => "inProgress",
            }
        }
    }

    #[test]
    fn enum_values_are_quoted_strings() {
        let state = field!("state");
        assert_eq!(
            text(state.eq(Literal::enum_member(SessionState::Completed))),
            "state eq 'completed'"
        );
        assert_eq!(
            text(state.ne(Literal::enum_member(SessionState::InProgress))),
            "state ne 'inProgress'"
        );
    }

    #[test]
    fn literal_accessors() {
        assert_eq!(Literal::string("a'b").as_str(), "'a''b'");
        assert_eq!(Literal::null().to_string(), "null");
        assert_eq!(Literal::from(3).as_str(), "3");
    }

    #[test]
    fn and_or_without_needless_parentheses() {
        let a = || field!("a").eq(1);
        let b = || field!("b").eq(2);
        let c = || field!("c").eq(3);
        assert_eq!(text(a().and(b())), "a eq 1 and b eq 2");
        assert_eq!(text(a().or(b())), "a eq 1 or b eq 2");
        assert_eq!(text(a().and(b()).and(c())), "a eq 1 and b eq 2 and c eq 3");
        assert_eq!(text(a().or(b()).or(c())), "a eq 1 or b eq 2 or c eq 3");
        assert_eq!(text(a().and(b()).or(c())), "a eq 1 and b eq 2 or c eq 3");
        assert_eq!(text(a().or(b().and(c()))), "a eq 1 or b eq 2 and c eq 3");
        // Right-nested chains of the same operator stay flat too.
        assert_eq!(text(a().and(b().and(c()))), "a eq 1 and b eq 2 and c eq 3");
    }

    #[test]
    fn or_inside_and_is_parenthesised() {
        let a = || field!("a").eq(1);
        let b = || field!("b").eq(2);
        let c = || field!("c").eq(3);
        let d = || field!("d").eq(4);
        assert_eq!(text(a().or(b()).and(c())), "(a eq 1 or b eq 2) and c eq 3");
        assert_eq!(text(c().and(a().or(b()))), "c eq 3 and (a eq 1 or b eq 2)");
        assert_eq!(
            text(a().or(b()).and(c().or(d()))),
            "(a eq 1 or b eq 2) and (c eq 3 or d eq 4)"
        );
        assert_eq!(
            text(a().or(b()).and(c()).or(d())),
            "(a eq 1 or b eq 2) and c eq 3 or d eq 4"
        );
    }

    #[test]
    fn not_parenthesises_all_but_function_calls() {
        let a = || field!("a").eq(1);
        let b = || field!("b").eq(2);
        assert_eq!(text(!a()), "not (a eq 1)");
        assert_eq!(text(not(a())), "not (a eq 1)");
        assert_eq!(text(!name().contains("x")), "not contains(displayName,'x')");
        assert_eq!(text(!a().and(b())), "not (a eq 1 and b eq 2)");
        assert_eq!(text(!a().or(b())), "not (a eq 1 or b eq 2)");
        assert_eq!(text(!!a()), "not (not (a eq 1))");
        assert_eq!(text((!a()).and(b())), "not (a eq 1) and b eq 2");
        assert_eq!(text(b().or(!a())), "b eq 2 or not (a eq 1)");
    }

    #[test]
    fn raw_is_verbatim_alone_and_parenthesised_when_combined() {
        let raw = || Filter::raw("tags/any(t: t eq 'x') or y eq 1");
        assert_eq!(text(raw()), "tags/any(t: t eq 'x') or y eq 1");
        assert_eq!(
            text(field!("a").eq(1).and(raw())),
            "a eq 1 and (tags/any(t: t eq 'x') or y eq 1)"
        );
        assert_eq!(
            text(raw().or(field!("a").eq(1))),
            "(tags/any(t: t eq 'x') or y eq 1) or a eq 1"
        );
        assert_eq!(text(!raw()), "not (tags/any(t: t eq 'x') or y eq 1)");
    }

    #[test]
    fn all_of_and_any_of() {
        assert_eq!(Filter::all_of([]), None);
        assert_eq!(Filter::any_of(Vec::new()), None);
        let parts = || vec![field!("a").eq(1), field!("b").eq(2), field!("c").eq(3)];
        assert_eq!(
            Filter::all_of(parts()).map(text).as_deref(),
            Some("a eq 1 and b eq 2 and c eq 3")
        );
        assert_eq!(
            Filter::any_of(parts()).map(text).as_deref(),
            Some("a eq 1 or b eq 2 or c eq 3")
        );
        assert_eq!(
            Filter::all_of([Filter::any_of(parts()).unwrap(), field!("d").eq(4)])
                .map(text)
                .as_deref(),
            Some("(a eq 1 or b eq 2 or c eq 3) and d eq 4")
        );
    }

    #[test]
    fn valid_field_paths() {
        for path in [
            "a",
            "_",
            "displayName",
            "created_by2",
            "createdBy/user/id",
            "A/_b/c9",
        ] {
            assert_eq!(try_field(path).unwrap().as_str(), path);
            assert_eq!(Field::from_static(path).unwrap().as_str(), path);
        }
        assert_eq!(field!("createdBy/user/id").to_string(), "createdBy/user/id");
    }

    #[test]
    fn invalid_field_paths_are_rejected() {
        for path in [
            "",
            "/",
            "a/",
            "/a",
            "a//b",
            "1a",
            "a/1b",
            "display name",
            "displayName eq 'x' or true",
            "a'b",
            "a(b)",
            "a,b",
            "a.b",
            "a-b",
            "nämlich",
            "a\u{0}",
            "a\n",
            " a",
        ] {
            let error = try_field(path).unwrap_err();
            let FilterError::InvalidFieldPath { path: rejected, .. } = &error;
            assert_eq!(rejected, path);
            assert!(Field::from_static(Box::leak(path.to_owned().into_boxed_str())).is_none());
            assert!(
                error.to_string().starts_with("invalid OData field path"),
                "{error}"
            );
        }
    }

    #[test]
    fn field_path_error_messages() {
        let reason = |path: &str| match try_field(path) {
            Err(FilterError::InvalidFieldPath { reason, .. }) => reason,
            Ok(_) => "valid",
        };
        assert_eq!(reason(""), "the path is empty");
        assert_eq!(reason("a//b"), "a path segment is empty");
        assert_eq!(
            reason("9"),
            "a segment must start with an ASCII letter or '_'"
        );
        assert_eq!(
            reason("a b"),
            "only ASCII letters, digits, '_' and '/' are allowed"
        );
    }

    #[test]
    fn field_macro_is_a_constant() {
        const STATE: Field = field!("state");
        assert_eq!(STATE.eq("x").to_string(), "state eq 'x'");
    }

    #[test]
    fn filters_compare_structurally() {
        assert_eq!(name().eq("a"), name().eq("a"));
        assert_ne!(name().eq("a"), name().ne("a"));
        assert_eq!(try_field("displayName").unwrap().eq(1), name().eq(1));
    }
}

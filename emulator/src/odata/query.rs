//! Parsing the system query options of a list request.

use std::fmt;

use graph_odata_csdl::query::{QueryOption, SKIP_TOKEN};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

use super::error::ODataError;
use super::filter::Filter;
use super::shape::{EntityShape, PropertyKind};

/// The longest raw query string (bytes, before decoding) the engine parses.
/// Longer ones are a 400 `BadRequest` naming this limit.
pub const MAX_QUERY_LENGTH: usize = 32 * 1024;

/// The longest decoded value of one system query option (`$filter`,
/// `$select`, `$orderby`, ...), in characters. Longer ones are a 400
/// `BadRequest` naming the option and this limit.
pub const MAX_QUERY_OPTION_LENGTH: usize = 8 * 1024;

/// A system query option the engine recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemOption {
    /// `$top`
    Top,
    /// `$skip`
    Skip,
    /// `$count`
    Count,
    /// `$select`
    Select,
    /// `$orderby`
    OrderBy,
    /// `$filter`
    Filter,
    /// `$skiptoken`
    SkipToken,
    /// `$expand` (recognised, not interpreted)
    Expand,
    /// `$search` (recognised, not interpreted)
    Search,
}

impl SystemOption {
    /// Every recognised option.
    pub const ALL: [SystemOption; 9] = [
        Self::Top,
        Self::Skip,
        Self::Count,
        Self::Select,
        Self::OrderBy,
        Self::Filter,
        Self::SkipToken,
        Self::Expand,
        Self::Search,
    ];

    /// The canonical name including the `$`, e.g. `$orderby`: the shared vocabulary's
    /// ([`QueryOption::parameter`], [`SKIP_TOKEN`]).
    pub fn name(self) -> &'static str {
        match self.query_option() {
            Some(option) => option.parameter(),
            None => SKIP_TOKEN,
        }
    }

    /// The option of the shared vocabulary (what the code generator and the runtime call it);
    /// `None` for `$skiptoken`, which only servers set.
    pub fn query_option(self) -> Option<QueryOption> {
        Some(match self {
            Self::Top => QueryOption::Top,
            Self::Skip => QueryOption::Skip,
            Self::Count => QueryOption::Count,
            Self::Select => QueryOption::Select,
            Self::OrderBy => QueryOption::OrderBy,
            Self::Filter => QueryOption::Filter,
            Self::Expand => QueryOption::Expand,
            Self::Search => QueryOption::Search,
            Self::SkipToken => return None,
        })
    }

    /// Looks up a decoded parameter name such as `$top` (ASCII
    /// case-insensitively, as OData 4.01 allows).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|option| option.name().eq_ignore_ascii_case(name))
    }
}

impl From<QueryOption> for SystemOption {
    fn from(option: QueryOption) -> Self {
        match option {
            QueryOption::Top => Self::Top,
            QueryOption::Skip => Self::Skip,
            QueryOption::Search => Self::Search,
            QueryOption::Filter => Self::Filter,
            QueryOption::Count => Self::Count,
            QueryOption::OrderBy => Self::OrderBy,
            QueryOption::Select => Self::Select,
            QueryOption::Expand => Self::Expand,
        }
    }
}

impl fmt::Display for SystemOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `$orderby` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    /// The property to order by.
    pub property: String,
    /// Its kind (decides how values compare).
    pub kind: PropertyKind,
    /// `desc` was given.
    pub descending: bool,
}

/// The parsed and validated system query options of a request.
///
/// Build it with [`QueryOptions::parse`]; run it with
/// [`QueryOptions::execute`](QueryOptions::execute).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOptions {
    /// `$top`
    pub top: Option<u64>,
    /// `$skip`
    pub skip: Option<u64>,
    /// `$count` (`Some(false)` when `$count=false` was given explicitly).
    pub count: Option<bool>,
    /// `$select` property names in the order given; `None` when `$select` was
    /// absent or contained `*` (all properties).
    pub select: Option<Vec<String>>,
    /// `$orderby` keys, most significant first (empty when absent).
    pub orderby: Vec<OrderBy>,
    /// `$filter`
    pub filter: Option<Filter>,
    /// `$skiptoken` exactly as received (validated when the query is executed).
    pub skiptoken: Option<String>,
    /// `$expand` raw value (recognised only so callers can reject or honour it).
    pub expand: Option<String>,
    /// `$search` raw value (recognised only so callers can reject or honour it).
    pub search: Option<String>,
    /// The options present, in the order they appeared.
    pub(crate) present: Vec<SystemOption>,
    /// Every decoded parameter, in order (used to build next links).
    pub(crate) params: Vec<(String, String)>,
    pub(crate) type_name: String,
    pub(crate) key: String,
}

/// Decodes one `application/x-www-form-urlencoded`-style component:
/// `+` is a space, then `%XX` escapes are decoded.
/// `parameter` (the raw parameter name) is what an error reports.
fn decode_component(raw: &str, parameter: &str) -> Result<String, ODataError> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ODataError::InvalidEncoding {
            parameter: parameter.to_owned(),
        })
}

/// Characters escaped when re-encoding parameters for a next link: controls,
/// space, non-ASCII (always) and the characters that are delimiters in a
/// query string or unsafe in URLs. `$ ' ( ) , : / @ ! *` stay readable.
const QUERY_COMPONENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b';')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Percent-encodes a query-string component (name or value).
pub(crate) fn encode_component(text: &str) -> String {
    utf8_percent_encode(text, QUERY_COMPONENT).to_string()
}

fn parse_non_negative(option: SystemOption, value: &str) -> Result<u64, ODataError> {
    let invalid = || ODataError::InvalidInteger {
        option: option.name().to_owned(),
        value: value.to_owned(),
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    value.parse::<u64>().map_err(|_| invalid())
}

fn parse_count(value: &str) -> Result<bool, ODataError> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(ODataError::InvalidCount {
            value: value.to_owned(),
        })
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn unknown_property(shape: &EntityShape, property: &str) -> ODataError {
    ODataError::UnknownProperty {
        property: property.to_owned(),
        type_name: shape.type_name.clone(),
    }
}

fn parse_select(value: &str, shape: &EntityShape) -> Result<Option<Vec<String>>, ODataError> {
    let invalid = |reason: String| ODataError::InvalidSelect {
        value: value.to_owned(),
        reason,
    };
    let mut names = Vec::new();
    let mut star = false;
    for item in value.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(invalid(
                "expected a comma-separated list of property names but found an empty item"
                    .to_owned(),
            ));
        }
        if item == "*" {
            star = true;
            continue;
        }
        if !is_identifier(item) {
            return Err(invalid(format!(
                "'{item}' is not a property name (paths and expressions are not supported)"
            )));
        }
        if shape.property_kind(item).is_none() {
            return Err(unknown_property(shape, item));
        }
        if !names.iter().any(|n| n == item) {
            names.push(item.to_owned());
        }
    }
    Ok(if star { None } else { Some(names) })
}

fn parse_orderby(value: &str, shape: &EntityShape) -> Result<Vec<OrderBy>, ODataError> {
    let invalid = |reason: String| ODataError::InvalidOrderBy {
        value: value.to_owned(),
        reason,
    };
    let mut keys: Vec<OrderBy> = Vec::new();
    for clause in value.split(',') {
        let words: Vec<&str> = clause.split_whitespace().collect();
        let (property, descending) = match words.as_slice() {
            [] => return Err(invalid(
                "expected a comma-separated list of 'property [asc|desc]' but found an empty item"
                    .to_owned(),
            )),
            [property] => (*property, false),
            [property, direction] => {
                if direction.eq_ignore_ascii_case("asc") {
                    (*property, false)
                } else if direction.eq_ignore_ascii_case("desc") {
                    (*property, true)
                } else {
                    return Err(invalid(format!(
                        "expected 'asc' or 'desc' after '{property}' but found '{direction}'"
                    )));
                }
            }
            [_, _, extra, ..] => {
                return Err(invalid(format!(
                    "unexpected '{extra}' in '{}': expected 'property [asc|desc]'",
                    clause.trim()
                )))
            }
        };
        if !is_identifier(property) {
            return Err(invalid(format!(
                "'{property}' is not a property name (paths and expressions are not supported)"
            )));
        }
        let Some(kind) = shape.property_kind(property) else {
            return Err(unknown_property(shape, property));
        };
        if !kind.is_orderable() {
            return Err(invalid(format!(
                "property '{property}' is of kind {kind} and cannot be used for ordering"
            )));
        }
        if keys.iter().any(|k| k.property == property) {
            return Err(invalid(format!(
                "duplicate property '{property}'; each property may appear only once"
            )));
        }
        keys.push(OrderBy {
            property: property.to_owned(),
            kind,
            descending,
        });
    }
    Ok(keys)
}

impl QueryOptions {
    /// Parses the raw query string of a request (with or without the leading
    /// `?`) and validates it against `shape`.
    ///
    /// * Parameters are split on `&`; names and values are decoded (`+` means
    ///   space, then `%XX`), so `%24top=5` is `$top=5`.
    /// * Option names are matched ASCII case-insensitively; parameters not
    ///   starting with `$` are ignored (but kept for next links).
    /// * Unknown `$` options, repeated options and malformed values are
    ///   errors; the first problem in parameter order is reported.
    /// * `$skiptoken` is only checked when the query is executed.
    /// * Limits: the raw query at most [`MAX_QUERY_LENGTH`] bytes, each
    ///   option value at most [`MAX_QUERY_OPTION_LENGTH`] characters, and
    ///   `$filter` at most [`MAX_FILTER_DEPTH`](super::MAX_FILTER_DEPTH) deep
    ///   ([`ODataError::LimitExceeded`]).
    pub fn parse(raw_query: &str, shape: &EntityShape) -> Result<Self, ODataError> {
        let raw_query = raw_query.strip_prefix('?').unwrap_or(raw_query);
        if raw_query.len() > MAX_QUERY_LENGTH {
            return Err(ODataError::LimitExceeded {
                option: "query string".to_owned(),
                limit: "length",
                max: MAX_QUERY_LENGTH,
            });
        }
        let mut options = QueryOptions {
            top: None,
            skip: None,
            count: None,
            select: None,
            orderby: Vec::new(),
            filter: None,
            skiptoken: None,
            expand: None,
            search: None,
            present: Vec::new(),
            params: Vec::new(),
            type_name: shape.type_name.clone(),
            key: shape.key.clone(),
        };
        for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode_component(raw_name, raw_name)?;
            let value = decode_component(raw_value, &name)?;
            options.params.push((name.clone(), value.clone()));
            if !name.starts_with('$') {
                continue;
            }
            let Some(option) = SystemOption::from_name(&name) else {
                return Err(ODataError::UnknownOption { option: name });
            };
            if options.present.contains(&option) {
                return Err(ODataError::DuplicateOption {
                    option: option.name().to_owned(),
                });
            }
            options.present.push(option);
            if value.chars().count() > MAX_QUERY_OPTION_LENGTH {
                return Err(ODataError::LimitExceeded {
                    option: option.name().to_owned(),
                    limit: "length",
                    max: MAX_QUERY_OPTION_LENGTH,
                });
            }
            match option {
                SystemOption::Top => options.top = Some(parse_non_negative(option, &value)?),
                SystemOption::Skip => options.skip = Some(parse_non_negative(option, &value)?),
                SystemOption::Count => options.count = Some(parse_count(&value)?),
                SystemOption::Select => options.select = parse_select(&value, shape)?,
                SystemOption::OrderBy => options.orderby = parse_orderby(&value, shape)?,
                SystemOption::Filter => options.filter = Some(Filter::parse(&value, shape)?),
                SystemOption::SkipToken => options.skiptoken = Some(value),
                SystemOption::Expand => options.expand = Some(value),
                SystemOption::Search => options.search = Some(value),
            }
        }
        Ok(options)
    }

    /// The system query options present, in the order they appeared.
    pub fn present(&self) -> &[SystemOption] {
        &self.present
    }

    /// Whether `option` was given.
    pub fn has(&self, option: SystemOption) -> bool {
        self.present.contains(&option)
    }

    /// Fails with [`ODataError::OptionNotAllowed`] for the first option
    /// present that is not in `allowed`.
    pub fn ensure_allowed(&self, allowed: &[SystemOption]) -> Result<(), ODataError> {
        match self.present.iter().find(|o| !allowed.contains(o)) {
            Some(option) => Err(ODataError::OptionNotAllowed {
                option: option.name().to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// Whether the response should carry `@odata.count`.
    pub fn wants_count(&self) -> bool {
        self.count == Some(true)
    }

    /// The query string (without `?`) of the next page: every parameter of
    /// this request in its original order, re-encoded, except `$skiptoken`,
    /// followed by `$skiptoken=<token>`.
    pub fn next_link_query(&self, skiptoken: &str) -> String {
        let mut parts: Vec<String> = self
            .params
            .iter()
            .filter(|(name, _)| SystemOption::from_name(name) != Some(SystemOption::SkipToken))
            .map(|(name, value)| format!("{}={}", encode_component(name), encode_component(value)))
            .collect();
        parts.push(format!(
            "{}={}",
            SystemOption::SkipToken.name(),
            encode_component(skiptoken)
        ));
        parts.join("&")
    }

    /// `base_url` (which must not contain a query string) plus `?` plus
    /// [`next_link_query`](Self::next_link_query): the `@odata.nextLink` value.
    pub fn next_link(&self, base_url: &str, skiptoken: &str) -> String {
        format!("{base_url}?{}", self.next_link_query(skiptoken))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odata::test_support::shape;

    fn parse(query: &str) -> QueryOptions {
        QueryOptions::parse(query, &shape()).unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    fn err(query: &str) -> String {
        match QueryOptions::parse(query, &shape()) {
            Ok(o) => panic!("{query} should fail but parsed as {o:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn empty_query() {
        for q in ["", "?", "&&"] {
            let o = parse(q);
            assert!(o.present().is_empty());
            assert_eq!(o.top, None);
            assert_eq!(o.skip, None);
            assert_eq!(o.count, None);
            assert_eq!(o.select, None);
            assert!(o.orderby.is_empty());
            assert!(o.filter.is_none());
            assert!(!o.wants_count());
        }
    }

    #[test]
    fn all_options_parse() {
        let o = parse(
            "?$top=5&$skip=10&$count=true&$select=displayName,size&$orderby=size desc,displayName&$filter=size gt 1&$skiptoken=abc&$expand=prompts&$search=hello",
        );
        assert_eq!(o.top, Some(5));
        assert_eq!(o.skip, Some(10));
        assert_eq!(o.count, Some(true));
        assert!(o.wants_count());
        assert_eq!(
            o.select,
            Some(vec!["displayName".to_owned(), "size".to_owned()])
        );
        assert_eq!(
            o.orderby,
            vec![
                OrderBy {
                    property: "size".into(),
                    kind: PropertyKind::Int32,
                    descending: true
                },
                OrderBy {
                    property: "displayName".into(),
                    kind: PropertyKind::String,
                    descending: false
                },
            ]
        );
        assert_eq!(
            o.filter.as_ref().map(|f| f.text.as_str()),
            Some("size gt 1")
        );
        assert_eq!(o.skiptoken.as_deref(), Some("abc"));
        assert_eq!(o.expand.as_deref(), Some("prompts"));
        assert_eq!(o.search.as_deref(), Some("hello"));
        assert_eq!(o.present(), &SystemOption::ALL[..]);
    }

    #[test]
    fn decoding_plus_percent_and_encoded_keys() {
        let o = parse("$filter=displayName+eq+'Entra'");
        assert_eq!(
            o.filter.map(|f| f.text),
            Some("displayName eq 'Entra'".into())
        );
        let o = parse("%24top=3&%24filter=displayName%20eq%20%27a%2Bb%27");
        assert_eq!(o.top, Some(3));
        assert_eq!(
            o.filter.map(|f| f.text),
            Some("displayName eq 'a+b'".into())
        );
        let o = parse("$filter=displayName eq 'caf%C3%A9 %26 co'");
        assert_eq!(
            o.filter.map(|f| f.text),
            Some("displayName eq 'café & co'".into())
        );
        // Case-insensitive option names.
        let o = parse("$TOP=2&$OrderBy=size");
        assert_eq!(o.top, Some(2));
        assert_eq!(o.orderby.len(), 1);
        assert_eq!(
            err("$filter=displayName eq '%FF'"),
            "Query parameter '$filter' is not valid UTF-8 after percent-decoding"
        );
        assert_eq!(
            err("%24fil%FFter=x"),
            "Query parameter '%24fil%FFter' is not valid UTF-8 after percent-decoding"
        );
    }

    #[test]
    fn non_dollar_parameters_are_ignored() {
        let o = parse("api-version=1&top=abc&foo&$top=1");
        assert_eq!(o.top, Some(1));
        assert_eq!(o.present(), &[SystemOption::Top]);
    }

    #[test]
    fn presence_and_allowed_options() {
        let o = parse("$expand=prompts&$top=1");
        assert_eq!(o.present(), &[SystemOption::Expand, SystemOption::Top]);
        assert!(o.has(SystemOption::Expand));
        assert!(!o.has(SystemOption::Search));
        assert_eq!(
            o.ensure_allowed(&[SystemOption::Top])
                .map_err(|e| e.to_string()),
            Err("Query option '$expand' is not allowed for this request".to_owned())
        );
        assert_eq!(
            o.ensure_allowed(&[SystemOption::Top, SystemOption::Expand]),
            Ok(())
        );
        // $count=false is still "present".
        assert!(parse("$count=false").has(SystemOption::Count));
        assert_eq!(parse("$count=false").count, Some(false));
        assert_eq!(parse("$count=TRUE").count, Some(true));
    }

    #[test]
    fn top_and_skip_values() {
        assert_eq!(parse("$top=0").top, Some(0));
        assert_eq!(parse("$skip=0").skip, Some(0));
        assert_eq!(parse("$top=18446744073709551615").top, Some(u64::MAX));
        assert_eq!(
            err("$top=abc"),
            "Invalid $top value 'abc': expected a non-negative integer"
        );
        assert_eq!(
            err("$top=-1"),
            "Invalid $top value '-1': expected a non-negative integer"
        );
        assert_eq!(
            err("$top=+1"),
            "Invalid $top value ' 1': expected a non-negative integer"
        );
        assert_eq!(
            err("$top=1.5"),
            "Invalid $top value '1.5': expected a non-negative integer"
        );
        assert_eq!(
            err("$top="),
            "Invalid $top value '': expected a non-negative integer"
        );
        assert_eq!(
            err("$top"),
            "Invalid $top value '': expected a non-negative integer"
        );
        assert_eq!(
            err("$top=18446744073709551616"),
            "Invalid $top value '18446744073709551616': expected a non-negative integer"
        );
        assert_eq!(
            err("$skip=x"),
            "Invalid $skip value 'x': expected a non-negative integer"
        );
        assert_eq!(
            err("$skip=-5"),
            "Invalid $skip value '-5': expected a non-negative integer"
        );
    }

    #[test]
    fn count_values() {
        assert_eq!(
            err("$count=maybe"),
            "Invalid $count value 'maybe': expected 'true' or 'false'"
        );
        assert_eq!(
            err("$count="),
            "Invalid $count value '': expected 'true' or 'false'"
        );
        assert_eq!(
            err("$count=1"),
            "Invalid $count value '1': expected 'true' or 'false'"
        );
    }

    #[test]
    fn unknown_and_duplicate_options() {
        assert_eq!(err("$foo=1"), "Unknown system query option '$foo'");
        assert_eq!(
            err("%24format=json"),
            "Unknown system query option '$format'"
        );
        assert_eq!(
            err("$top=1&$top=2"),
            "Query option '$top' was specified more than once"
        );
        assert_eq!(
            err("$filter=isEnabled&$FILTER=isEnabled"),
            "Query option '$filter' was specified more than once"
        );
        // The first problem in parameter order wins.
        assert_eq!(
            err("$top=x&$foo=1"),
            "Invalid $top value 'x': expected a non-negative integer"
        );
    }

    #[test]
    fn select_values() {
        assert_eq!(parse("$select=*").select, None);
        assert_eq!(parse("$select=displayName,*").select, None);
        assert_eq!(
            parse("$select= displayName , size,displayName").select,
            Some(vec!["displayName".to_owned(), "size".to_owned()])
        );
        assert_eq!(
            err("$select=displayName,foo"),
            "Could not find a property named 'foo' on type 'session'"
        );
        assert_eq!(
            err("$select="),
            "Invalid $select value '': expected a comma-separated list of property names but found an empty item"
        );
        assert_eq!(
            err("$select=id,,size"),
            "Invalid $select value 'id,,size': expected a comma-separated list of property names but found an empty item"
        );
        assert_eq!(
            err("$select=authorization/authType"),
            "Invalid $select value 'authorization/authType': 'authorization/authType' is not a property name (paths and expressions are not supported)"
        );
    }

    #[test]
    fn orderby_values() {
        let o = parse("$orderby=size ASC, createdDateTime  desc");
        assert_eq!(o.orderby.len(), 2);
        assert!(!o.orderby[0].descending);
        assert!(o.orderby[1].descending);
        assert_eq!(o.orderby[1].kind, PropertyKind::DateTimeOffset);
        assert_eq!(
            err("$orderby=foo desc"),
            "Could not find a property named 'foo' on type 'session'"
        );
        assert_eq!(
            err("$orderby=size up"),
            "Invalid $orderby value 'size up': expected 'asc' or 'desc' after 'size' but found 'up'"
        );
        assert_eq!(
            err("$orderby=size asc desc"),
            "Invalid $orderby value 'size asc desc': unexpected 'desc' in 'size asc desc': expected 'property [asc|desc]'"
        );
        assert_eq!(
            err("$orderby=size,"),
            "Invalid $orderby value 'size,': expected a comma-separated list of 'property [asc|desc]' but found an empty item"
        );
        assert_eq!(
            err("$orderby="),
            "Invalid $orderby value '': expected a comma-separated list of 'property [asc|desc]' but found an empty item"
        );
        assert_eq!(
            err("$orderby=size,size desc"),
            "Invalid $orderby value 'size,size desc': duplicate property 'size'; each property may appear only once"
        );
        assert_eq!(
            err("$orderby=settings"),
            "Invalid $orderby value 'settings': property 'settings' is of kind collection and cannot be used for ordering"
        );
        assert_eq!(
            err("$orderby=tolower(displayName)"),
            "Invalid $orderby value 'tolower(displayName)': 'tolower(displayName)' is not a property name (paths and expressions are not supported)"
        );
    }

    #[test]
    fn filter_errors_surface_from_parse() {
        assert_eq!(
            err("$filter=foo eq 1"),
            "Could not find a property named 'foo' on type 'session'"
        );
        assert_eq!(
            err("$filter=size+eq"),
            "Syntax error in $filter at position 7: expected an expression but found end of input"
        );
        assert_eq!(
            err("$filter="),
            "Syntax error in $filter at position 0: expected an expression but found end of input"
        );
    }

    #[test]
    fn next_link_preserves_other_options() {
        let o = parse(
            "api-version=2&%24filter=displayName+eq+'a%26b+c%2Bd'&$top=5&$skiptoken=old&$select=id,size&$orderby=size desc",
        );
        let q = o.next_link_query("0100ab");
        assert_eq!(
            q,
            "api-version=2&$filter=displayName%20eq%20'a%26b%20c%2Bd'&$top=5&$select=id,size&$orderby=size%20desc&$skiptoken=0100ab"
        );
        // Re-parsing the next link gives the same options with the new token.
        let again = parse(&q);
        assert_eq!(again.filter, o.filter);
        assert_eq!(again.top, o.top);
        assert_eq!(again.select, o.select);
        assert_eq!(again.orderby, o.orderby);
        assert_eq!(again.skiptoken.as_deref(), Some("0100ab"));
        assert_eq!(
            o.next_link("https://graph.microsoft.com/beta/x", "t"),
            format!(
                "https://graph.microsoft.com/beta/x?{}",
                o.next_link_query("t")
            )
        );
        // Non-ASCII and reserved characters are escaped.
        let o = parse("$filter=displayName eq 'é#?=;'");
        assert_eq!(
            o.next_link_query("t"),
            "$filter=displayName%20eq%20'%C3%A9%23%3F%3D%3B'&$skiptoken=t"
        );
        assert_eq!(parse("").next_link_query("t"), "$skiptoken=t");
    }
}

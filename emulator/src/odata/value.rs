//! Runtime values of `$filter`/`$orderby` evaluation and their comparison rules.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde_json::Value;

use super::shape::PropertyKind;

/// Parses an `Edm.DateTimeOffset` value.
///
/// Accepts RFC 3339 with any number of fractional digits (so .NET's 7-digit
/// `2025-10-15T15:54:58.4862768Z` and `0001-01-01T00:00:00Z` work) and, for
/// data written without an offset (`2025-10-15T15:54:58.123`), assumes UTC.
pub(crate) fn parse_datetime(text: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt);
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc().fixed_offset())
}

/// A value during evaluation. Borrowed from the entity where possible.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val<'a> {
    /// Missing or JSON `null`.
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    Date(DateTime<FixedOffset>),
    /// An object or array (complex/collection values); only equal to itself.
    Json(&'a Value),
}

impl<'a> Val<'a> {
    /// Interprets a property value according to the property's declared kind.
    pub(crate) fn from_property(value: Option<&'a Value>, kind: PropertyKind) -> Self {
        let Some(value) = value else {
            return Val::Null;
        };
        match (kind, value) {
            (_, Value::Null) => Val::Null,
            (
                PropertyKind::Int32 | PropertyKind::Int64 | PropertyKind::Double,
                Value::String(s),
            ) => {
                if let Ok(i) = s.trim().parse::<i64>() {
                    Val::Int(i)
                } else if let Ok(f) = s.trim().parse::<f64>() {
                    Val::Float(f)
                } else {
                    Val::Str(Cow::Borrowed(s))
                }
            }
            (PropertyKind::DateTimeOffset, Value::String(s)) => match parse_datetime(s) {
                Some(dt) => Val::Date(dt),
                None => Val::Str(Cow::Borrowed(s)),
            },
            (PropertyKind::Enum, Value::Number(n)) => Val::Str(Cow::Owned(n.to_string())),
            (_, other) => Self::from_json(other),
        }
    }

    /// Interprets a JSON value without type information.
    pub(crate) fn from_json(value: &'a Value) -> Self {
        match value {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Val::Int(i),
                None => n.as_f64().map_or(Val::Json(value), Val::Float),
            },
            Value::String(s) => Val::Str(Cow::Borrowed(s)),
            Value::Array(_) | Value::Object(_) => Val::Json(value),
        }
    }

    /// Whether this is the null value.
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }
}

/// Orders two non-null values, or `None` when they are not comparable
/// (different types, NaN, unparseable dates, complex values).
pub(crate) fn compare(left: &Val<'_>, right: &Val<'_>) -> Option<Ordering> {
    match (left, right) {
        (Val::Int(a), Val::Int(b)) => Some(a.cmp(b)),
        // Precision loss for huge integers is acceptable when mixing with decimals.
        #[allow(clippy::cast_precision_loss)]
        (Val::Int(a), Val::Float(b)) => (*a as f64).partial_cmp(b),
        #[allow(clippy::cast_precision_loss)]
        (Val::Float(a), Val::Int(b)) => a.partial_cmp(&(*b as f64)),
        (Val::Float(a), Val::Float(b)) => a.partial_cmp(b),
        (Val::Str(a), Val::Str(b)) => Some(a.as_ref().cmp(b.as_ref())),
        (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
        (Val::Date(a), Val::Date(b)) => Some(a.cmp(b)),
        (Val::Date(a), Val::Str(b)) => parse_datetime(b).map(|b| a.cmp(&b)),
        (Val::Str(a), Val::Date(b)) => parse_datetime(a).map(|a| a.cmp(b)),
        _ => None,
    }
}

/// OData `eq`: `null eq null` is true, null equals nothing else.
pub(crate) fn equals(left: &Val<'_>, right: &Val<'_>) -> bool {
    match (left, right) {
        (Val::Null, Val::Null) => true,
        (Val::Null, _) | (_, Val::Null) => false,
        (Val::Json(a), Val::Json(b)) => a == b,
        _ => compare(left, right) == Some(Ordering::Equal),
    }
}

/// The total order used by `$orderby` ascending: null first, incomparable
/// values treated as equal (so the stable sort keeps their input order).
pub(crate) fn order(left: &Val<'_>, right: &Val<'_>) -> Ordering {
    match (left.is_null(), right.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => compare(left, right).unwrap_or(Ordering::Equal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn datetime_parsing() {
        let seven = parse_datetime("2025-10-15T15:54:58.4862768Z").expect("7 digits");
        assert_eq!(seven.timestamp_subsec_nanos(), 486_276_800);
        let min = parse_datetime("0001-01-01T00:00:00Z").expect("year 1");
        assert_eq!(min.timestamp(), -62_135_596_800);
        let offset = parse_datetime("2025-10-15T17:54:58+02:00").expect("offset");
        assert_eq!(offset, parse_datetime("2025-10-15T15:54:58Z").expect("utc"));
        let naive = parse_datetime("2025-10-15T15:54:58.5").expect("no offset");
        assert_eq!(naive.offset().local_minus_utc(), 0);
        assert!(parse_datetime("2025-10-15").is_none());
        assert!(parse_datetime("yesterday").is_none());
    }

    #[test]
    fn property_interpretation() {
        let v = json!("9007199254740993");
        assert_eq!(
            Val::from_property(Some(&v), PropertyKind::Int64),
            Val::Int(9_007_199_254_740_993)
        );
        let v = json!(42);
        assert_eq!(
            Val::from_property(Some(&v), PropertyKind::Int64),
            Val::Int(42)
        );
        let v = json!("1.5");
        assert_eq!(
            Val::from_property(Some(&v), PropertyKind::Double),
            Val::Float(1.5)
        );
        let v = json!(null);
        assert_eq!(
            Val::from_property(Some(&v), PropertyKind::String),
            Val::Null
        );
        assert_eq!(Val::from_property(None, PropertyKind::String), Val::Null);
        let v = json!("2025-10-15T15:54:58Z");
        assert!(matches!(
            Val::from_property(Some(&v), PropertyKind::DateTimeOffset),
            Val::Date(_)
        ));
        assert!(matches!(
            Val::from_property(Some(&v), PropertyKind::String),
            Val::Str(_)
        ));
        let v = json!([1, 2]);
        assert!(matches!(
            Val::from_property(Some(&v), PropertyKind::Collection),
            Val::Json(_)
        ));
    }

    #[test]
    fn comparisons() {
        assert_eq!(
            compare(&Val::Int(2), &Val::Float(2.5)),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(&Val::Float(3.0), &Val::Int(3)),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare(&Val::Bool(false), &Val::Bool(true)),
            Some(Ordering::Less)
        );
        assert_eq!(compare(&Val::Str("1".into()), &Val::Int(1)), None);
        assert!(equals(&Val::Null, &Val::Null));
        assert!(!equals(&Val::Null, &Val::Int(0)));
        assert_eq!(order(&Val::Null, &Val::Int(0)), Ordering::Less);
        assert_eq!(order(&Val::Int(0), &Val::Null), Ordering::Greater);
        assert_eq!(order(&Val::Int(0), &Val::Str("x".into())), Ordering::Equal);
        let a = json!({"a": 1});
        let b = json!({"a": 1});
        assert!(equals(&Val::Json(&a), &Val::Json(&b)));
    }
}

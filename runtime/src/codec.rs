//! Wire codecs the generated models use: OData's spelling of dates, 64-bit integers, nulls,
//! flags enums and path segments.
//!
//! Generated code refers to these by path (`crate::codec::datetime::option`); they are public so
//! callers can reuse them for their own Graph types.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// Percent-encodes one path segment so any id stays one segment: `/ ? # %`, spaces and the rest
/// of the URL syntax are escaped. The ids `.` and `..` cannot be sent as a segment at all (URL
/// parsers resolve them away, encoded or not), so [`crate::request::check_id`] refuses them.
pub fn encode_path_segment(segment: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'(')
        .remove(b')')
        .remove(b'\'')
        .remove(b'@')
        .remove(b':')
        .remove(b'!')
        .remove(b'$')
        .remove(b',')
        .remove(b';')
        .remove(b'=')
        .remove(b'*')
        .remove(b'+');
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

/// Formats a timestamp the way Graph does: UTC, `Z`, fraction trimmed of trailing zeros.
pub fn format_datetime(value: &DateTime<Utc>) -> String {
    let text = value.to_rfc3339_opts(SecondsFormat::Nanos, true);
    // `2025-10-15T15:54:58.486276800Z` → `2025-10-15T15:54:58.4862768Z`; `.000000000Z` → `Z`.
    match text.split_once('.') {
        Some((head, fraction)) => {
            let digits = fraction.trim_end_matches('Z').trim_end_matches('0');
            if digits.is_empty() {
                format!("{head}Z")
            } else {
                format!("{head}.{digits}Z")
            }
        }
        None => text,
    }
}

/// Parses an OData `Edm.DateTimeOffset` (RFC 3339, any fraction length, any offset) as UTC.
pub fn parse_datetime(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|d| d.with_timezone(&Utc))
}

fn deserialize_datetime<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = std::borrow::Cow::<str>::deserialize(d)?;
    parse_datetime(&text)
        .map_err(|e| de::Error::custom(format!("invalid DateTimeOffset {text:?}: {e}")))
}

struct Wrap<T>(T);

impl<'de> Deserialize<'de> for Wrap<DateTime<Utc>> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_datetime(d).map(Wrap)
    }
}

/// `Edm.Int64`: Graph may write large integers as strings (IEEE754Compatible); accept both.
fn deserialize_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrString<'a> {
        Number(i64),
        Text(std::borrow::Cow<'a, str>),
    }
    match NumberOrString::deserialize(d)? {
        NumberOrString::Number(n) => Ok(n),
        NumberOrString::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| de::Error::custom(format!("invalid Int64 {t:?}"))),
    }
}

impl<'de> Deserialize<'de> for Wrap<i64> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_i64(d).map(Wrap)
    }
}

/// `Edm.Double` / `Edm.Decimal`: a number, or the strings `NaN`, `INF`, `-INF` or a numeral.
fn deserialize_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrString<'a> {
        Number(f64),
        Text(std::borrow::Cow<'a, str>),
    }
    match NumberOrString::deserialize(d)? {
        NumberOrString::Number(n) => Ok(n),
        NumberOrString::Text(t) => match t.trim() {
            "NaN" => Ok(f64::NAN),
            "INF" => Ok(f64::INFINITY),
            "-INF" => Ok(f64::NEG_INFINITY),
            other => other
                .parse()
                .map_err(|_| de::Error::custom(format!("invalid number {t:?}"))),
        },
    }
}

impl<'de> Deserialize<'de> for Wrap<f64> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_f64(d).map(Wrap)
    }
}

/// A nullable property: `None` when absent, `Some(None)` when `null`, `Some(Some(v))` otherwise.
pub mod nullable {
    use serde::{Deserialize, Deserializer};

    /// Deserializes a present value (possibly `null`) as `Some(..)`; absence is handled by
    /// `#[serde(default)]`.
    pub fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

macro_rules! wire_module {
    ($name:ident, $ty:ty, $ser:expr, $doc:literal) => {
        #[doc = $doc]
        pub mod $name {
            use super::Wrap;
            use serde::{Deserialize, Deserializer, Serialize, Serializer};

            /// Absent or a value.
            pub mod option {
                use super::*;
                /// Serializes the value.
                pub fn serialize<S: Serializer>(v: &Option<$ty>, s: S) -> Result<S::Ok, S::Error> {
                    let f = $ser;
                    v.as_ref().map(f).serialize(s)
                }
                /// Deserializes the value.
                pub fn deserialize<'de, D: Deserializer<'de>>(
                    d: D,
                ) -> Result<Option<$ty>, D::Error> {
                    Ok(Option::<Wrap<$ty>>::deserialize(d)?.map(|w| w.0))
                }
            }

            /// Absent, `null` or a value.
            pub mod nullable {
                use super::*;
                /// Serializes the value (`Some(None)` as `null`).
                pub fn serialize<S: Serializer>(
                    v: &Option<Option<$ty>>,
                    s: S,
                ) -> Result<S::Ok, S::Error> {
                    let f = $ser;
                    v.as_ref()
                        .and_then(|inner| inner.as_ref().map(f))
                        .serialize(s)
                }
                /// Deserializes the value (`null` as `Some(None)`).
                pub fn deserialize<'de, D: Deserializer<'de>>(
                    d: D,
                ) -> Result<Option<Option<$ty>>, D::Error> {
                    Ok(Some(Option::<Wrap<$ty>>::deserialize(d)?.map(|w| w.0)))
                }
            }

            /// Absent or a collection.
            pub mod list {
                use super::*;
                /// Serializes the values.
                pub fn serialize<S: Serializer>(
                    v: &Option<Vec<$ty>>,
                    s: S,
                ) -> Result<S::Ok, S::Error> {
                    let f = $ser;
                    v.as_ref()
                        .map(|items| items.iter().map(f).collect::<Vec<_>>())
                        .serialize(s)
                }
                /// Deserializes the values.
                pub fn deserialize<'de, D: Deserializer<'de>>(
                    d: D,
                ) -> Result<Option<Vec<$ty>>, D::Error> {
                    Ok(Option::<Vec<Wrap<$ty>>>::deserialize(d)?
                        .map(|items| items.into_iter().map(|w| w.0).collect()))
                }
            }
        }
    };
}

wire_module!(
    datetime,
    chrono::DateTime<chrono::Utc>,
    crate::codec::format_datetime,
    "`Edm.DateTimeOffset` as `chrono::DateTime<Utc>`: reads any RFC 3339 form (7-digit fractions, `0001-01-01T00:00:00Z`), writes Graph's form."
);
wire_module!(
    int64,
    i64,
    |v: &i64| *v,
    "`Edm.Int64`: reads a number or a numeric string, writes a number."
);
wire_module!(
    float,
    f64,
    |v: &f64| *v,
    "`Edm.Double` / `Edm.Decimal`: reads a number or `NaN` / `INF` / a numeric string, writes a number."
);

/// Marker for enum types that can be members of a [`FlagSet`].
pub trait FlagMember: Clone + Ord + fmt::Display + for<'a> From<&'a str> {}

/// An `IsFlags` enum value: a set of members, written comma-separated (`"basic,aad"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FlagSet<T: Ord>(pub BTreeSet<T>);

impl<T: Ord> Default for FlagSet<T> {
    fn default() -> Self {
        FlagSet(BTreeSet::new())
    }
}

impl<T: FlagMember> FlagSet<T> {
    /// Whether the set contains a member.
    pub fn contains(&self, member: &T) -> bool {
        self.0.contains(member)
    }
}

impl<T: FlagMember> FromIterator<T> for FlagSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        FlagSet(iter.into_iter().collect())
    }
}

impl<T: FlagMember> fmt::Display for FlagSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

impl<T: FlagMember> Serialize for FlagSet<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de, T: FlagMember> Deserialize<'de> for FlagSet<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(T::from)
            .collect())
    }
}

#[cfg(feature = "schemars")]
impl<T: FlagMember + schemars::JsonSchema> schemars::JsonSchema for FlagSet<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("FlagSet_{}", T::schema_name()).into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "Comma-separated flag members",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_and_reserved_characters_stay_one_segment() {
        assert_eq!(encode_path_segment("a/b?c#d%e"), "a%2Fb%3Fc%23d%25e");
        assert_eq!(encode_path_segment("de fault/../x"), "de%20fault%2F..%2Fx");
        assert_eq!(encode_path_segment("default"), "default");
    }

    #[test]
    fn datetimes_round_trip_in_graph_form() {
        for text in [
            "2025-10-15T15:54:58.4862768Z",
            "2025-09-17T01:03:14.07343Z",
            "0001-01-01T00:00:00Z",
        ] {
            let parsed = parse_datetime(text).unwrap();
            assert_eq!(format_datetime(&parsed), text);
        }
        let offset = parse_datetime("2025-01-01T02:00:00+02:00").unwrap();
        assert_eq!(format_datetime(&offset), "2025-01-01T00:00:00Z");
    }
}

#[cfg(test)]
mod flag_tests {
    use super::{FlagMember, FlagSet};
    use std::fmt;

    /// An open flags enum as the generator writes them (known members + kept unknowns).
    #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
    enum AuthTypes {
        Basic,
        Aad,
        Unrecognized(String),
    }

    impl From<&str> for AuthTypes {
        fn from(text: &str) -> Self {
            match text {
                "basic" => AuthTypes::Basic,
                "aad" => AuthTypes::Aad,
                other => AuthTypes::Unrecognized(other.to_string()),
            }
        }
    }

    impl fmt::Display for AuthTypes {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self {
                AuthTypes::Basic => "basic",
                AuthTypes::Aad => "aad",
                AuthTypes::Unrecognized(other) => other,
            })
        }
    }

    impl FlagMember for AuthTypes {}

    #[test]
    fn flag_sets_read_and_write_comma_separated_members() {
        let set: FlagSet<AuthTypes> = serde_json::from_str("\"basic, aad,someNewFlag\"").unwrap();
        assert!(set.0.contains(&AuthTypes::Basic));
        assert!(set.0.contains(&AuthTypes::Aad));
        assert!(set
            .0
            .contains(&AuthTypes::Unrecognized("someNewFlag".to_string())));
        assert_eq!(
            serde_json::to_string(&set).unwrap(),
            "\"basic,aad,someNewFlag\""
        );
        let empty: FlagSet<AuthTypes> = serde_json::from_str("\"\"").unwrap();
        assert_eq!(empty, FlagSet::default());
    }
}

//! Running a parsed query over a list of entities: filter, order, count,
//! skip/top, server-driven paging with `$skiptoken`, and `$select`.
//!
//! # Skip tokens
//!
//! A skip token is 34 lowercase hex digits: a version byte (`01`), the
//! 64-bit big-endian offset of the next page within the `$skip`/`$top`
//! window, and a 64-bit big-endian FNV-1a checksum over a fingerprint of the
//! query (entity type, canonical `$filter`, `$orderby`, `$skip`, `$top`)
//! followed by the offset. A token therefore cannot be replayed against a
//! different filter/order/window, and editing the offset invalidates it. It is
//! tamper-evident, not secret: it protects against mistakes, not attackers.

use std::borrow::Borrow;
use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::error::ODataError;
use super::query::QueryOptions;
use super::value::{order, Val};

const TOKEN_VERSION: u8 = 1;
const TOKEN_LEN: usize = 34;

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    /// The entities of this page, already projected by `$select`.
    pub items: Vec<Map<String, Value>>,
    /// `@odata.count`: the number of entities matching `$filter` (before
    /// `$skip`/`$top`/paging), present when `$count=true`.
    pub count: Option<u64>,
    /// The `$skiptoken` of the next page, when more entities remain; pass it
    /// to [`QueryOptions::next_link`] to build `@odata.nextLink`.
    pub next_skiptoken: Option<String>,
}

fn fnv1a(bytes: &[u8], mut hash: u64) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl QueryOptions {
    /// A description of everything that determines the sequence of results.
    fn fingerprint(&self) -> String {
        let filter = self
            .filter
            .as_ref()
            .map(|f| f.expr.to_string())
            .unwrap_or_default();
        let orderby: Vec<String> = self
            .orderby
            .iter()
            .map(|k| {
                format!(
                    "{} {}",
                    k.property,
                    if k.descending { "desc" } else { "asc" }
                )
            })
            .collect();
        format!(
            "{}\n{}\n{}\n{:?}\n{:?}",
            self.type_name,
            filter,
            orderby.join(","),
            self.skip,
            self.top
        )
    }

    fn checksum(&self, offset: u64) -> u64 {
        let hash = fnv1a(self.fingerprint().as_bytes(), FNV_OFFSET_BASIS);
        fnv1a(&offset.to_be_bytes(), hash)
    }

    /// The skip token that resumes this query at `offset`, an index into the
    /// `$skip`/`$top` window of filtered, ordered results.
    ///
    /// Format: 34 lowercase hex digits: version byte `01`, the offset as a
    /// big-endian `u64`, and a big-endian `u64` FNV-1a checksum over the
    /// query's fingerprint (entity type, canonical `$filter`, `$orderby`,
    /// `$skip`, `$top`) followed by the offset. Tokens are bound to the query
    /// (not to `$select`/`$count`, which do not change the sequence) and
    /// tamper-evident, but not secret.
    pub fn encode_skiptoken(&self, offset: u64) -> String {
        format!(
            "{TOKEN_VERSION:02x}{offset:016x}{:016x}",
            self.checksum(offset)
        )
    }

    /// Decodes a skip token issued by [`encode_skiptoken`](Self::encode_skiptoken)
    /// for this same query, returning the offset.
    pub fn decode_skiptoken(&self, token: &str) -> Result<u64, ODataError> {
        let invalid = |reason: &str| ODataError::InvalidSkipToken {
            value: token.to_owned(),
            reason: reason.to_owned(),
        };
        if token.len() != TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid("the token is malformed"));
        }
        // All bytes are ASCII hex digits, so these slices are on char boundaries.
        let field = |range: std::ops::Range<usize>| {
            token
                .get(range)
                .and_then(|s| u64::from_str_radix(s, 16).ok())
                .ok_or_else(|| invalid("the token is malformed"))
        };
        if field(0..2)? != u64::from(TOKEN_VERSION) {
            return Err(invalid("unsupported token version"));
        }
        let offset = field(2..18)?;
        if field(18..34)? != self.checksum(offset) {
            return Err(invalid(
                "the token was issued for a different query ($filter, $orderby, $skip or $top differ)",
            ));
        }
        Ok(offset)
    }

    /// Whether `entity` satisfies `$filter` (always true without a filter).
    pub fn matches(&self, entity: &Map<String, Value>) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(entity))
    }

    /// Orders two entities by `$orderby` (null first ascending, last descending).
    pub fn compare_entities(&self, a: &Map<String, Value>, b: &Map<String, Value>) -> Ordering {
        for key in &self.orderby {
            let ordering = order(
                &Val::from_property(a.get(&key.property), key.kind),
                &Val::from_property(b.get(&key.property), key.kind),
            );
            let ordering = if key.descending {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    }

    /// Applies `$select` to one entity: keeps the selected properties, the key
    /// property, instance annotations (`@odata.*`, any name starting with `@`)
    /// and property annotations of kept properties (`name@odata.type`).
    /// Without `$select` (or with `*`) the entity is returned unchanged.
    pub fn project(&self, entity: &Map<String, Value>) -> Map<String, Value> {
        let Some(select) = &self.select else {
            return entity.clone();
        };
        let keep = |name: &str| name == self.key || select.iter().any(|s| s == name);
        entity
            .iter()
            .filter(|(name, _)| {
                if name.starts_with('@') {
                    return true;
                }
                match name.split_once('@') {
                    Some((prop, _)) => keep(prop),
                    None => keep(name),
                }
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Runs the query over `items` (in storage order): filter, stable sort by
    /// `$orderby`, count, `$skip`/`$top`, then one server-driven page starting
    /// at the offset in `$skiptoken`, then `$select`.
    ///
    /// `page_size` is the server's maximum page size; `None` or `Some(0)`
    /// disables server-driven paging (the whole `$skip`/`$top` window is
    /// returned). The only possible error is an invalid `$skiptoken`.
    pub fn execute<I, T>(
        &self,
        items: I,
        page_size: Option<usize>,
    ) -> Result<QueryResult, ODataError>
    where
        I: IntoIterator<Item = T>,
        T: Borrow<Map<String, Value>>,
    {
        let offset = match &self.skiptoken {
            Some(token) => to_usize(self.decode_skiptoken(token)?),
            None => 0,
        };
        let mut matched: Vec<T> = items
            .into_iter()
            .filter(|item| self.matches(item.borrow()))
            .collect();
        if !self.orderby.is_empty() {
            matched.sort_by(|a, b| self.compare_entities(a.borrow(), b.borrow()));
        }
        let total = matched.len();
        let window_start = self.skip.map_or(0, to_usize).min(total);
        let window_end = match self.top {
            Some(top) => window_start.saturating_add(to_usize(top)).min(total),
            None => total,
        };
        let page_start = window_start.saturating_add(offset).min(window_end);
        let page_end = match page_size {
            Some(size) if size > 0 => page_start.saturating_add(size).min(window_end),
            _ => window_end,
        };
        let next_skiptoken = (page_end < window_end).then(|| {
            let next_offset = u64::try_from(page_end - window_start).unwrap_or(u64::MAX);
            self.encode_skiptoken(next_offset)
        });
        let items = matched
            .get(page_start..page_end)
            .unwrap_or_default()
            .iter()
            .map(|item| self.project(item.borrow()))
            .collect();
        Ok(QueryResult {
            items,
            count: self
                .wants_count()
                .then(|| u64::try_from(total).unwrap_or(u64::MAX)),
            next_skiptoken,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odata::test_support::{entities, obj, shape};
    use serde_json::json;

    fn parse(query: &str) -> QueryOptions {
        QueryOptions::parse(query, &shape()).unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    fn run(query: &str, page_size: Option<usize>) -> QueryResult {
        parse(query)
            .execute(entities(), page_size)
            .unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    fn ids_of(items: &[Map<String, Value>]) -> Vec<String> {
        items
            .iter()
            .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn ids(query: &str) -> Vec<String> {
        ids_of(&run(query, None).items)
    }

    /// Follows next links until exhausted; returns the pages' ids.
    fn all_pages(query: &str, items: &[Map<String, Value>], page_size: usize) -> Vec<Vec<String>> {
        let mut pages = Vec::new();
        let mut query = query.to_owned();
        loop {
            let result = parse(&query)
                .execute(items, Some(page_size))
                .unwrap_or_else(|e| panic!("{query}: {e}"));
            pages.push(ids_of(&result.items));
            match result.next_skiptoken {
                Some(token) => query = parse(&query).next_link_query(&token),
                None => return pages,
            }
            assert!(pages.len() < 1000, "paging does not terminate");
        }
    }

    #[test]
    fn no_options_returns_everything_in_storage_order() {
        let result = run("", None);
        assert_eq!(ids_of(&result.items), ["1", "2", "3", "4", "5"]);
        assert_eq!(result.items, entities());
        assert_eq!(result.count, None);
        assert_eq!(result.next_skiptoken, None);
        // Borrowed items work too.
        let items = entities();
        let result = parse("$filter=isEnabled").execute(items.iter(), None);
        assert_eq!(
            result.map(|r| ids_of(&r.items)),
            Ok(vec!["1".into(), "3".into(), "5".into()])
        );
    }

    #[test]
    fn orderby_two_keys_with_desc_and_nulls() {
        assert_eq!(
            ids("$orderby=size desc,displayName"),
            ["2", "4", "3", "1", "5"]
        );
        assert_eq!(
            ids("$orderby=size,displayName desc"),
            ["5", "1", "3", "4", "2"]
        );
        assert_eq!(ids("$orderby=displayName"), ["3", "4", "1", "5", "2"]);
        assert_eq!(ids("$orderby=displayName desc"), ["2", "5", "1", "4", "3"]);
    }

    #[test]
    fn orderby_each_kind() {
        // Missing score (entity 4) sorts first ascending, last descending.
        assert_eq!(ids("$orderby=score"), ["4", "3", "5", "1", "2"]);
        assert_eq!(ids("$orderby=score desc"), ["2", "1", "5", "3", "4"]);
        // Int64 given as numbers and strings.
        assert_eq!(ids("$orderby=big"), ["5", "3", "2", "4", "1"]);
        // Dates chronologically, honouring offsets and 7-digit fractions.
        assert_eq!(ids("$orderby=createdDateTime"), ["3", "4", "2", "1", "5"]);
        assert_eq!(
            ids("$orderby=createdDateTime desc"),
            ["5", "1", "2", "4", "3"]
        );
        // Enums as strings.
        assert_eq!(ids("$orderby=state"), ["1", "4", "5", "3", "2"]);
        // Stable: ties keep storage order, in both directions.
        assert_eq!(ids("$orderby=isEnabled"), ["2", "4", "1", "3", "5"]);
        assert_eq!(ids("$orderby=isEnabled desc"), ["1", "3", "5", "2", "4"]);
        assert_eq!(ids("$orderby=id desc"), ["5", "4", "3", "2", "1"]);
    }

    #[test]
    fn count_is_taken_after_filter_before_paging() {
        let result = run("$count=true&$filter=isEnabled&$top=2", None);
        assert_eq!(result.count, Some(3));
        assert_eq!(ids_of(&result.items), ["1", "3"]);
        let result = run("$count=true&$skip=4", Some(1));
        assert_eq!(result.count, Some(5));
        assert_eq!(ids_of(&result.items), ["5"]);
        let result = run("$count=true&$top=0", None);
        assert_eq!(result.count, Some(5));
        assert!(result.items.is_empty());
        assert_eq!(run("$count=false", None).count, None);
        let result = run("$count=true&$filter=size gt 100", Some(2));
        assert_eq!(result.count, Some(0));
        assert!(result.items.is_empty());
        assert_eq!(result.next_skiptoken, None);
    }

    #[test]
    fn top_and_skip() {
        assert_eq!(ids("$orderby=id&$skip=1&$top=2"), ["2", "3"]);
        assert_eq!(ids("$top=2"), ["1", "2"]);
        assert_eq!(ids("$skip=3"), ["4", "5"]);
        assert!(ids("$skip=5").is_empty());
        assert!(ids("$skip=18446744073709551615").is_empty());
        assert_eq!(ids("$top=18446744073709551615").len(), 5);
        assert!(ids("$top=0").is_empty());
        // $top within a page does not produce a next link.
        assert_eq!(run("$top=2", Some(10)).next_skiptoken, None);
        assert_eq!(run("$top=5", Some(5)).next_skiptoken, None);
    }

    #[test]
    fn paging_disabled() {
        assert_eq!(run("", Some(0)).items.len(), 5);
        assert_eq!(run("", Some(0)).next_skiptoken, None);
        assert_eq!(run("", Some(5)).next_skiptoken, None);
        assert!(run("", Some(4)).next_skiptoken.is_some());
    }

    #[test]
    fn paging_follows_skiptokens_until_exhausted() {
        let items = entities();
        assert_eq!(
            all_pages("", &items, 2),
            vec![vec!["1", "2"], vec!["3", "4"], vec!["5"]]
        );
        assert_eq!(
            all_pages(
                "$filter=size ge 1&$orderby=size desc&$skip=1&$top=3&$count=true",
                &items,
                2
            ),
            vec![vec!["4", "1"], vec!["3"]]
        );
        // The count is repeated on every page.
        let first = run("$count=true&$filter=isEnabled", Some(1));
        let token = first.next_skiptoken.clone().unwrap_or_default();
        let next = parse("$count=true&$filter=isEnabled").next_link_query(&token);
        let second = parse(&next).execute(entities(), Some(1));
        assert_eq!(second.map(|r| r.count), Ok(Some(3)));
    }

    #[test]
    fn paging_loses_and_duplicates_nothing() {
        let items: Vec<Map<String, Value>> = (0..53)
            .map(|i| {
                obj(json!({"id": format!("{i:02}"), "size": (i * 7) % 10, "displayName": "x"}))
            })
            .collect();
        for (query, expected_len) in [
            ("", 53),
            ("$orderby=size desc,id", 53),
            ("$orderby=size&$skip=3&$top=40", 40),
            ("$filter=size lt 5&$orderby=size", 27),
            ("$filter=size lt 5&$top=100", 27),
        ] {
            let whole = parse(query)
                .execute(&items, None)
                .map(|r| ids_of(&r.items))
                .unwrap_or_default();
            assert_eq!(whole.len(), expected_len, "{query}");
            for page_size in [1, 2, 7, 26, 52, 53, 100] {
                let pages = all_pages(query, &items, page_size);
                assert!(pages.iter().all(|p| p.len() <= page_size));
                assert!(pages
                    .iter()
                    .take(pages.len() - 1)
                    .all(|p| p.len() == page_size));
                let flat: Vec<String> = pages.into_iter().flatten().collect();
                assert_eq!(flat, whole, "{query} with page size {page_size}");
            }
        }
    }

    #[test]
    fn skiptoken_round_trip_and_format() {
        let o = parse("$filter=isEnabled");
        let token = o.encode_skiptoken(42);
        assert_eq!(token.len(), 34);
        assert!(token.starts_with("01000000000000002a"));
        assert_eq!(o.decode_skiptoken(&token), Ok(42));
        // Same query written differently: same canonical fingerprint.
        assert_eq!(
            parse("$filter=(isEnabled)").decode_skiptoken(&token),
            Ok(42)
        );
        // $select and $count do not change the result sequence.
        assert_eq!(
            parse("$filter=isEnabled&$select=id&$count=true").decode_skiptoken(&token),
            Ok(42)
        );
        assert_eq!(o.decode_skiptoken(&token.to_uppercase()), Ok(42));
    }

    #[test]
    fn skiptoken_for_another_query_is_rejected() {
        let token = run("$filter=isEnabled", Some(1))
            .next_skiptoken
            .unwrap_or_default();
        let mismatch = |query: &str| {
            let o = parse(&format!("{query}&$skiptoken={token}"));
            o.execute(entities(), Some(1)).map_err(|e| e.to_string())
        };
        let expected = Err(format!(
            "Invalid $skiptoken value '{token}': the token was issued for a different query ($filter, $orderby, $skip or $top differ)"
        ));
        assert_eq!(mismatch("$filter=not isEnabled"), expected);
        assert_eq!(mismatch("$filter=isEnabled&$orderby=id"), expected);
        assert_eq!(mismatch("$filter=isEnabled&$top=3"), expected);
        assert_eq!(mismatch("$filter=isEnabled&$skip=1"), expected);
        assert_eq!(mismatch("$orderby=id"), expected);
        assert!(mismatch("$filter=isEnabled").is_ok());
        // Another entity type.
        let other = EntityShapeFor::plugin();
        let o = QueryOptions::parse(&format!("$filter=isEnabled&$skiptoken={token}"), &other);
        assert!(matches!(
            o.map(|o| o.execute(entities(), Some(1))),
            Ok(Err(ODataError::InvalidSkipToken { .. }))
        ));
    }

    struct EntityShapeFor;
    impl EntityShapeFor {
        fn plugin() -> crate::odata::EntityShape {
            let mut s = shape();
            s.type_name = "plugin".into();
            s
        }
    }

    #[test]
    fn malformed_skiptokens_are_rejected() {
        let o = parse("");
        let good = o.encode_skiptoken(2);
        let check = |token: &str, reason: &str| {
            assert_eq!(
                o.decode_skiptoken(token).map_err(|e| e.to_string()),
                Err(format!("Invalid $skiptoken value '{token}': {reason}")),
            );
        };
        check("", "the token is malformed");
        check("abc", "the token is malformed");
        check(&format!("{good}0"), "the token is malformed");
        check(&good.replace('0', "g"), "the token is malformed");
        check(&"é".repeat(17), "the token is malformed");
        check(&format!("02{}", &good[2..]), "unsupported token version");
        // Tampering with the offset invalidates the checksum.
        let tampered = format!("{}3{}", &good[..17], &good[18..]);
        check(
            &tampered,
            "the token was issued for a different query ($filter, $orderby, $skip or $top differ)",
        );
        // Through execute.
        let o = parse("$skiptoken=nope");
        assert_eq!(
            o.execute(entities(), Some(2)).map_err(|e| e.to_string()),
            Err("Invalid $skiptoken value 'nope': the token is malformed".to_owned())
        );
    }

    #[test]
    fn skiptoken_beyond_the_end_gives_an_empty_last_page() {
        let o = parse("");
        let token = o.encode_skiptoken(99);
        let result = parse(&format!("$skiptoken={token}")).execute(entities(), Some(2));
        assert_eq!(
            result.map(|r| (r.items.len(), r.next_skiptoken)),
            Ok((0, None))
        );
    }

    #[test]
    fn select_projection() {
        let result = run("$select=displayName&$filter=id eq '1'", None);
        let expected = obj(json!({
            "@odata.type": "#microsoft.graph.security.securityCopilot.session",
            "id": "1",
            "displayName": "Entra"
        }));
        assert_eq!(result.items, vec![expected]);
        // Selected but missing properties are omitted; order follows the entity.
        let result = run("$select=score,size&$filter=id eq '4'", None);
        assert_eq!(result.items, vec![obj(json!({"id": "4", "size": 7}))]);
        // Property annotations follow their property.
        let o = parse("$select=size");
        let entity = obj(json!({
            "id": "9", "size": 1, "size@odata.type": "#Int32",
            "displayName": "d", "displayName@odata.type": "#String", "@odata.etag": "W/1"
        }));
        assert_eq!(
            o.project(&entity),
            obj(json!({"id": "9", "size": 1, "size@odata.type": "#Int32", "@odata.etag": "W/1"}))
        );
        assert_eq!(parse("$select=*").project(&entity), entity);
        assert_eq!(parse("").project(&entity), entity);
    }
}

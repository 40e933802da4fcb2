//! Cursor pagination: lists are ordered by id and resume after the last id seen, so a page boundary
//! never shifts when rows are inserted.

use super::Invalid;

/// What an id cursor looks like, as the OpenAPI document states it: every string it matches is a
/// cursor the list accepts, so the document is exact (a random cursor would need the server to
/// refuse what the document allows).
pub const CURSOR_PATTERN: &str = r"^v1\.[0-9]{1,18}$";
/// What a ranked list's cursor looks like (the enforcement queue, the work queue, sorted shops).
pub const RANK_CURSOR_PATTERN: &str = r"^r1\.-?[0-9]{1,18}\.[0-9]{1,18}$";

/// Default page size when the caller gives none.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size; larger requests are capped to it.
pub const MAX_LIMIT: u32 = 200;

/// A position in a list: the id of the last item of the previous page. Versioned (`v1.`) so the
/// format can change without old cursors being misread; not secret, since it only says where to
/// resume among rows the caller may see anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(i64);

impl Cursor {
    pub fn after(id: i64) -> Self {
        Self(id)
    }

    pub fn last_id(self) -> i64 {
        self.0
    }

    pub fn encode(self) -> String {
        format!("v1.{}", self.0)
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let id = value.strip_prefix("v1.").ok_or_else(not_a_cursor)?;
        number(id, false).map(Self)
    }
}

/// A page size within 1..=MAX_LIMIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u32);

impl Limit {
    /// Missing means the default; above the cap means the cap; zero or less is refused. Any 64-bit
    /// integer is read (the document says `int64`), so a large one is capped, never a parse error.
    pub fn parse(value: Option<i64>) -> Result<Self, Invalid> {
        match value {
            None => Ok(Self(DEFAULT_LIMIT)),
            Some(n) if n < 1 => Err(Invalid::new(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            ))),
            Some(n) => Ok(Self(
                u32::try_from(n).map_or(MAX_LIMIT, |n| n.min(MAX_LIMIT)),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// Cuts rows fetched as `limit + 1` down to one page; answers whether more rows exist (then
    /// the page's last row is where the next one starts).
    pub fn cut<T>(self, rows: &mut Vec<T>) -> bool {
        let more = rows.len() > self.0 as usize;
        rows.truncate(self.0 as usize);
        more
    }
}

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub after: Option<Cursor>,
    pub limit: Limit,
}

impl PageRequest {
    pub fn parse(cursor: Option<&str>, limit: Option<i64>) -> Result<Self, crate::error::ApiError> {
        let after = cursor
            .map(Cursor::parse)
            .transpose()
            .map_err(|e| crate::error::ApiError::field("cursor", e.0))?;
        let limit = Limit::parse(limit).map_err(|e| crate::error::ApiError::field("limit", e.0))?;
        Ok(Self { after, limit })
    }
}

/// One page of results and where the next one starts.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only tells that more exist.
    pub fn from_rows(mut rows: Vec<T>, limit: Limit, id_of: impl Fn(&T) -> i64) -> Self {
        let more = limit.cut(&mut rows);
        let next = rows
            .last()
            .filter(|_| more)
            .map(|r| Cursor::after(id_of(r)));
        Self { items: rows, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// A position in a list ordered by a rank (descending) then id: the enforcement queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankCursor {
    pub rank: i64,
    pub id: i64,
}

impl RankCursor {
    pub fn encode(self) -> String {
        format!("r1.{}.{}", self.rank, self.id)
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let rest = value.strip_prefix("r1.").ok_or_else(not_a_cursor)?;
        let (rank, id) = rest.split_once('.').ok_or_else(not_a_cursor)?;
        Ok(Self {
            rank: number(rank, true)?,
            id: number(id, false)?,
        })
    }
}

fn not_a_cursor() -> Invalid {
    Invalid::new("not a cursor returned by this list")
}

/// 1 to 18 digits (so any of them fits an i64), with a leading `-` only where `signed`: exactly
/// what the patterns above allow.
fn number(text: &str, signed: bool) -> Result<i64, Invalid> {
    let digits = match text.strip_prefix('-') {
        Some(rest) if signed => rest,
        _ => text,
    };
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_a_cursor());
    }
    text.parse().map_err(|_| not_a_cursor())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_what_their_pattern_refuses() {
        let c = Cursor::after(42);
        assert_eq!(Cursor::parse(&c.encode()), Ok(c));
        let r = RankCursor { rank: -7, id: 3 };
        assert_eq!(RankCursor::parse(&r.encode()), Ok(r));
        for bad in [
            "42",
            "!!",
            "v1.",
            "v1.-1",
            "v1.+1",
            "v1.1234567890123456789",
            "r1.1.2",
            "v1. 1",
        ] {
            assert!(Cursor::parse(bad).is_err(), "{bad}");
        }
        for bad in ["v1.1", "r1.1", "r1..1", "r1.1.-1", "r1.1.2.3"] {
            assert!(RankCursor::parse(bad).is_err(), "{bad}");
        }
    }

    /// proptest generates whole strings from a pattern and refuses anchors; the documented patterns
    /// are anchored at both ends, so dropping them changes nothing.
    fn unanchored(pattern: &str) -> &str {
        pattern.trim_start_matches('^').trim_end_matches('$')
    }

    proptest::proptest! {
        // schemathesis sends any string the document's pattern allows: each must be a cursor.
        #[test]
        fn every_cursor_the_documented_pattern_allows_is_read(
            id in proptest::string::string_regex(unanchored(CURSOR_PATTERN)).unwrap(),
            rank in proptest::string::string_regex(unanchored(RANK_CURSOR_PATTERN)).unwrap(),
        ) {
            proptest::prop_assert!(Cursor::parse(&id).is_ok(), "{}", id);
            proptest::prop_assert!(RankCursor::parse(&rank).is_ok(), "{}", rank);
        }
    }

    #[test]
    fn limits_default_cap_and_refuse_zero() {
        assert_eq!(Limit::parse(None).unwrap().get(), DEFAULT_LIMIT);
        assert_eq!(Limit::parse(Some(1000)).unwrap().get(), MAX_LIMIT);
        assert!(Limit::parse(Some(0)).is_err());
    }

    #[test]
    fn a_page_has_a_next_cursor_only_when_more_rows_exist() {
        let limit = Limit::parse(Some(2)).unwrap();
        let page = Page::from_rows(vec![1, 2, 3], limit, |r| *r);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next, Some(Cursor::after(2)));
        let last = Page::from_rows(vec![1, 2], limit, |r| *r);
        assert_eq!(last.next, None);
    }
}

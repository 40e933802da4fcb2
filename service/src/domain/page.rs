//! Cursor pagination: lists are ordered by id and resume after the last id seen, so a page boundary
//! never shifts when rows are inserted.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::Invalid;

/// Default page size when the caller gives none.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size; larger requests are capped to it.
pub const MAX_LIMIT: u32 = 200;

/// An opaque position in a list: the id of the last item of the previous page.
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
        URL_SAFE_NO_PAD.encode(format!("v1:{}", self.0))
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let id = decode(value, "v1:")?;
        id.parse::<i64>().map(Self).map_err(|_| not_a_cursor())
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
        let more = rows.len() > limit.get() as usize;
        rows.truncate(limit.get() as usize);
        let next = if more {
            rows.last().map(|r| Cursor::after(id_of(r)))
        } else {
            None
        };
        Self { items: rows, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let c = Cursor::after(42);
        assert_eq!(Cursor::parse(&c.encode()), Ok(c));
        assert!(Cursor::parse("42").is_err());
        assert!(Cursor::parse("!!").is_err());
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

/// A position in a list ordered by a rank (descending) then id: the enforcement queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankCursor {
    pub rank: i64,
    pub id: i64,
}

impl RankCursor {
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("r1:{}:{}", self.rank, self.id))
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let rest = decode(value, "r1:")?;
        let (rank, id) = rest.split_once(':').ok_or_else(not_a_cursor)?;
        Ok(Self {
            rank: rank.parse().map_err(|_| not_a_cursor())?,
            id: id.parse().map_err(|_| not_a_cursor())?,
        })
    }
}

fn not_a_cursor() -> Invalid {
    Invalid::new("not a cursor returned by this list")
}

/// The text of an opaque cursor after its version prefix (cursors are versioned so their format
/// can change without old ones being misread).
fn decode(value: &str, prefix: &str) -> Result<String, Invalid> {
    let bytes = URL_SAFE_NO_PAD
        .decode(value.trim())
        .map_err(|_| not_a_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| not_a_cursor())?;
    text.strip_prefix(prefix)
        .map(str::to_owned)
        .ok_or_else(not_a_cursor)
}

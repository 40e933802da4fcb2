//! Checks shared by the unit tests.

use std::fmt::Debug;

use serde::{de::DeserializeOwned, Serialize};

/// Whether `s` contains a Han character (CJK ideographs or CJK punctuation and full-width forms).
pub(crate) fn has_han(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c, '\u{3000}'..='\u{303F}' | '\u{3400}'..='\u{9FFF}' | '\u{FF00}'..='\u{FFEF}')
    })
}

/// Whether `s` contains a Latin letter.
pub(crate) fn has_latin(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_alphabetic())
}

/// Every value of an enumerated type is named the same by `as_str` and serde, and parses back
/// from that name; anything else does not parse.
pub(crate) fn assert_stable_names<T>(
    all: &[T],
    as_str: fn(T) -> &'static str,
    parse: fn(&str) -> Option<T>,
) where
    T: Copy + PartialEq + Debug + Serialize + DeserializeOwned,
{
    for &value in all {
        let name = as_str(value);
        let json = format!("\"{name}\"");
        assert_eq!(serde_json::to_string(&value).ok(), Some(json.clone()));
        assert_eq!(serde_json::from_str::<T>(&json).ok(), Some(value));
        assert_eq!(parse(name), Some(value));
        assert_eq!(
            parse(&name.to_uppercase()),
            None,
            "names are case-sensitive"
        );
    }
    assert_eq!(parse("unknown"), None);
}

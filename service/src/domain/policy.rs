//! Names of scoring policy versions.

use super::Invalid;

/// A policy version name: a slug (`[a-z0-9][a-z0-9._-]{0,63}`), so it is safe in a URL path
/// (`/v1/policies/{version}`), a file name and a log line, and cannot be confused with another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion(String);

impl PolicyVersion {
    pub const MAX_LEN: usize = 64;

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let bytes = value.as_bytes();
        let ok = (1..=Self::MAX_LEN).contains(&bytes.len())
            && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
            && bytes.iter().all(|&b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(Invalid::new(
                "a policy version is 1 to 64 lower-case letters, digits, dots, dashes or \
                 underscores, starting with a letter or digit, e.g. district-2026.1",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_accepted() {
        for v in ["expert-2025.1", "v2", "2026_q1", &"a".repeat(64)] {
            assert!(PolicyVersion::parse(v).is_ok(), "{v}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for v in [
            "",
            "bad 4/x",
            "../etc",
            "-lead",
            ".hidden",
            "Upper",
            "版本1",
            &"a".repeat(65),
        ] {
            assert!(PolicyVersion::parse(v).is_err(), "{v:?}");
        }
    }
}

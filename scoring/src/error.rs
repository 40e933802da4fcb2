//! The crate's errors. Each variant names the offending field and carries the offending value.

use thiserror::Error;

/// A policy that cannot be parsed or breaks an invariant the engine relies on.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PolicyError {
    /// The policy text is not valid TOML for the policy schema.
    #[error("policy does not parse: {0}")]
    Parse(String),
    /// The version string is empty or blank.
    #[error("`version` must not be empty")]
    EmptyVersion,
    /// A number that must be strictly positive (and finite) is not.
    #[error("`{field}` must be positive and finite, got {value}")]
    NotPositive {
        /// Dotted path of the field.
        field: String,
        /// The value found.
        value: f64,
    },
    /// Values that must be ordered are not (e.g. deadlines by severity, escalation timers).
    #[error("`{field}` is out of order: {detail}")]
    OutOfOrder {
        /// Dotted path of the field.
        field: String,
        /// What order was expected and what was found.
        detail: String,
    },
    /// A score threshold lies outside 0..=1000 or leaves no room for yellow.
    #[error("`{field}` is invalid: {detail}")]
    Threshold {
        /// Dotted path of the field.
        field: String,
        /// Why.
        detail: String,
    },
    /// A characteristic's bins are malformed.
    #[error("`{field}`: {detail}")]
    Bins {
        /// Dotted path of the field.
        field: String,
        /// Why.
        detail: String,
    },
    /// The same characteristic appears twice in the scorecard.
    #[error("`scorecard.characteristics`: `{id}` appears more than once")]
    DuplicateCharacteristic {
        /// The repeated characteristic.
        id: String,
    },
}

/// A star rating outside 1..=5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("rating must be 1 to 5 stars, got {stars}")]
pub struct RatingError {
    /// The rejected star count.
    pub stars: u8,
}

//! Time as a value. The crate never reads a clock: every function takes the instant it judges at.

use serde::{Deserialize, Serialize};

/// Milliseconds in one hour.
pub const MS_PER_HOUR: i64 = 3_600_000;
/// Milliseconds in one day (24 hours; civil-calendar days are the service's concern).
pub const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// An instant as milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The instant `ms` milliseconds after the Unix epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// This instant moved by `hours` (negative moves back); saturates instead of overflowing.
    pub const fn plus_hours(self, hours: i64) -> Self {
        Self(self.0.saturating_add(hours.saturating_mul(MS_PER_HOUR)))
    }

    /// This instant moved by `days` (negative moves back); saturates instead of overflowing.
    pub const fn plus_days(self, days: i64) -> Self {
        Self(self.0.saturating_add(days.saturating_mul(MS_PER_DAY)))
    }

    /// Fractional days from `earlier` to `self` (negative if `earlier` is later).
    pub fn days_since(self, earlier: Timestamp) -> f64 {
        // i64 → f64 loses precision only beyond ~285,000 years of milliseconds.
        (self.0.saturating_sub(earlier.0)) as f64 / MS_PER_DAY as f64
    }

    /// Days from `earlier` to `self`, counting a started day as a whole one (0 when not later).
    ///
    /// Rounding up means "overdue by 1 day" as soon as a deadline has passed, never "by 0 days".
    pub fn started_days_since(self, earlier: Timestamp) -> i64 {
        let ms = self.0.saturating_sub(earlier.0);
        if ms <= 0 {
            0
        } else {
            (ms - 1) / MS_PER_DAY + 1
        }
    }

    /// Whole (completed) days from `earlier` to `self` (0 when not later).
    pub fn whole_days_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0).max(0) / MS_PER_DAY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_helpers_round_as_documented() {
        let t = Timestamp(1_000);
        assert_eq!(t.plus_days(2).millis(), 1_000 + 2 * MS_PER_DAY);
        assert_eq!(t.plus_hours(-1).millis(), 1_000 - MS_PER_HOUR);
        assert_eq!(t.plus_hours(1).started_days_since(t), 1);
        assert_eq!(t.plus_days(3).started_days_since(t), 3);
        assert_eq!(t.started_days_since(t.plus_days(1)), 0);
        assert_eq!(t.plus_hours(47).whole_days_since(t), 1);
        assert!((t.plus_hours(36).days_since(t) - 1.5).abs() < 1e-12);
    }

    #[test]
    fn far_instants_saturate_instead_of_overflowing() {
        assert_eq!(Timestamp(i64::MAX).plus_days(1), Timestamp(i64::MAX));
        assert_eq!(Timestamp(i64::MIN).plus_hours(-1), Timestamp(i64::MIN));
    }
}

//! The one place the service reads the time. Handlers, jobs and the CLI take "now" from a [`Clock`]
//! they are given: the system clock in production, a settable one in tests, so an end-to-end test
//! moves time forward instead of sleeping.

use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// Shared handle to the application's clock.
pub type SharedClock = Arc<dyn Clock>;

/// The real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

/// Real time shifted by an offset that tests set and advance. It keeps ticking with the real clock,
/// so requests made one after another still get increasing times, while `advance` skips hours or
/// weeks at once.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    offset_ms: AtomicI64,
}

impl ShiftedClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward (or back, with a negative amount).
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }

    /// Sets the clock so that it reads `at_ms` now.
    pub fn set(&self, at_ms: i64) {
        let real = SystemClock.now_ms();
        self.offset_ms.store(at_ms - real, Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now_ms(&self) -> i64 {
        SystemClock.now_ms() + self.offset_ms.load(Ordering::SeqCst)
    }
}

/// Milliseconds since the epoch as an RFC 3339 UTC timestamp (the API's one time format).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_moves_forward_by_what_it_is_advanced() {
        let clock = ShiftedClock::new();
        let before = clock.now_ms();
        clock.advance(chrono::Duration::days(3));
        let after = clock.now_ms();
        assert!(after - before >= 3 * 86_400_000);
        assert!(after - before < 3 * 86_400_000 + 60_000);
    }

    #[test]
    fn a_shifted_clock_can_be_set_to_an_instant() {
        let clock = ShiftedClock::new();
        clock.set(1_000_000_000_000);
        let now = clock.now_ms();
        assert!((1_000_000_000_000..1_000_000_060_000).contains(&now));
    }
}

//! In-memory throttles of one replica, built on the `governor` crate (GCRA, MIT). Limits that must
//! survive a restart and hold across replicas (reviews, tip-offs) are counted in the database
//! instead; these only bound what one replica spends on a noisy client.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::clock::SharedClock;

/// Addresses remembered before stale ones are dropped: a flood from many addresses must not grow
/// the map without bound.
const MAX_TRACKED: usize = 10_000;

/// The application's clock as governor's: tests move it instead of waiting for a throttle to lift.
#[derive(Debug, Clone)]
struct AppClock(SharedClock);

impl GovernorClock for AppClock {
    /// Time since the epoch (the app's clock may be moved, never a monotonic `Instant`).
    type Instant = Duration;

    fn now(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.now_ms()).unwrap_or(0))
    }
}

/// Bearer tokens that matched no live token, per client address: `burst` at once (the setting
/// `bad_token_burst`, 10 by default), then one a minute.
///
/// Only refusals are throttled: a valid token from the same address (an office behind one NAT)
/// keeps working. Tokens are 32 random bytes, so guessing is not the threat; the 429 with
/// `Retry-After` tells a misconfigured client to back off, and the refusals are counted
/// (`auth_failures_total`) so a hostile one can be seen. Each bad token is still looked up (one
/// indexed read): governor has no check that does not spend a cell, so the throttle cannot be
/// asked before the lookup without throttling valid tokens too.
pub struct BadTokenThrottle {
    limiter: RateLimiter<String, DashMapStateStore<String>, AppClock, NoOpMiddleware<Duration>>,
    clock: AppClock,
}

impl BadTokenThrottle {
    pub fn new(clock: SharedClock, burst: NonZeroU32) -> Self {
        let clock = AppClock(clock);
        let quota = Quota::per_minute(NonZeroU32::MIN).allow_burst(burst);
        Self {
            limiter: RateLimiter::dashmap_with_clock(quota, clock.clone()),
            clock,
        }
    }

    /// Records a bad token from `address`: `Ok` while the address is within its allowance, else
    /// the whole seconds until it may try again.
    pub fn record(&self, address: &str) -> Result<(), u64> {
        let verdict = self.limiter.check_key(&address.to_owned());
        if self.limiter.len() > MAX_TRACKED {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        verdict.map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

impl std::fmt::Debug for BadTokenThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BadTokenThrottle")
            .field("addresses", &self.limiter.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ShiftedClock;

    #[test]
    fn ten_bad_tokens_pass_then_one_a_minute() {
        let clock = Arc::new(ShiftedClock::new());
        let throttle = BadTokenThrottle::new(clock.clone(), NonZeroU32::new(10).unwrap());
        for _ in 0..10 {
            assert_eq!(throttle.record("10.0.0.1"), Ok(()));
        }
        let wait = throttle.record("10.0.0.1").unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(throttle.record("10.0.0.2"), Ok(()), "per address");
        clock.advance(chrono::Duration::seconds(61));
        assert_eq!(throttle.record("10.0.0.1"), Ok(()));
        assert!(throttle.record("10.0.0.1").is_err());
    }
}

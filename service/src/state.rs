//! What every handler and background job can reach: the store, the settings, the policy in force and
//! the clock. Kept apart from `startup` so that routes and jobs depend on it, not on each other.

use std::sync::Arc;

use shopcredit_scoring::ValidPolicy;

use crate::assessor::{rescore, PolicyCache};
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::domain::checklist::Checklists;
use crate::domain::review::AbuseRules;
use crate::storage::Store;
use crate::telemetry::Metrics;
use crate::throttle::BadTokenThrottle;

/// The application's shared state.
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub metrics: Metrics,
    /// The scoring policy in force (deadlines by severity, scorecard, timers).
    pub policies: PolicyCache,
    pub checklists: Checklists,
    pub abuse: AbuseRules,
    /// Bad bearer tokens per client address, in this replica's memory.
    pub bad_tokens: BadTokenThrottle,
    pub clock: SharedClock,
}

impl AppState {
    /// The current time in epoch milliseconds, from the application's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The scoring policy in force.
    pub fn policy(&self) -> Arc<ValidPolicy> {
        self.policies.get()
    }

    /// Rescores a shop after its evidence changed. The write has already committed and marked the
    /// shop for rescoring, so a failure here is logged, not answered: the sweep retries it.
    pub async fn rescore_after_write(&self, shop_id: i64) {
        let policy = self.policy();
        if let Err(e) = rescore(&self.store, &policy, shop_id, self.now_ms()).await {
            tracing::error!(shop_id, error = %e, "rescore after write failed; the sweep will retry");
        }
    }

    /// Today's date in the district (expiry dates are local calendar dates).
    pub fn today(&self) -> chrono::NaiveDate {
        let offset = chrono::Duration::minutes(i64::from(self.settings.utc_offset_minutes));
        let now = chrono::DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_default();
        (now + offset).date_naive()
    }
}

//! Background work: the sweep that rescores shops when time passes a deadline, and full rescoring.
//! Safe on several replicas: each rescore locks its shop and only writes when something changed.

use std::time::Duration;

use actix_web::web;
use serde::Serialize;

use crate::assessor::{parse_policy, rescore, AssessError};
use crate::startup::AppState;
use crate::storage::Store;

/// A shop untouched this long is rescored anyway (violations decay, self-checks fall due).
pub const STALE_AFTER_MS: i64 = 24 * 3_600_000;
/// Shops rescored per sweep pass, so one pass never holds the database for long.
const SWEEP_BATCH: i64 = 500;

/// Runs the sweep every `every` until the process ends.
pub fn spawn_sweeper(state: web::Data<AppState>, every: Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match sweep_once(&state).await {
                Ok(n) if n > 0 => tracing::info!(rescored = n, "sweep"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sweep failed; retrying next interval"),
            }
        }
    });
}

/// One sweep pass: picks up a newly adopted policy (another replica may have adopted it), then
/// rescores every shop whose score may have changed with time. Answers how many were rescored.
pub async fn sweep_once(state: &AppState) -> Result<usize, AssessError> {
    refresh_policy(state).await?;
    let policy = state.policy();
    let now = state.now_ms();
    let due = state
        .store
        .shops_due_for_rescore(now, STALE_AFTER_MS, SWEEP_BATCH)
        .await?;
    for &shop_id in &due {
        rescore(&state.store, &policy, shop_id, now).await?;
    }
    Ok(due.len())
}

async fn refresh_policy(state: &AppState) -> Result<(), AssessError> {
    if let Some(record) = state.store.current_policy().await? {
        if record.version != state.policy().version {
            state
                .policies
                .set(parse_policy(&record.version, &record.body)?);
        }
    }
    Ok(())
}

/// Counts per colour after a full rescore.
#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
pub struct RescoreSummary {
    pub shops: usize,
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
    /// Shops whose colour changed.
    pub colour_changes: usize,
}

/// Rescores every shop under `policy`, calling `progress(done, total)` after each.
pub async fn rescore_all(
    store: &Store,
    policy: &shopcredit_scoring::ValidPolicy,
    now: i64,
    mut progress: impl FnMut(usize, usize),
) -> Result<RescoreSummary, AssessError> {
    let ids = store.all_shop_ids().await?;
    let mut summary = RescoreSummary {
        shops: ids.len(),
        ..RescoreSummary::default()
    };
    for (i, &id) in ids.iter().enumerate() {
        let outcome = rescore(store, policy, id, now).await?;
        match outcome.current.colour.as_str() {
            "green" => summary.green += 1,
            "yellow" => summary.yellow += 1,
            _ => summary.red += 1,
        }
        summary.colour_changes += usize::from(outcome.previous_colour.is_some());
        progress(i + 1, ids.len());
    }
    Ok(summary)
}

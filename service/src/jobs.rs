//! Background work: the sweep that rescores shops when time passes a deadline, and full rescoring.
//! Safe on several replicas: each rescore locks its shop and only writes when something changed.

use std::time::Duration;

use actix_web::web;
use serde::Serialize;

use shopcredit_scoring::{due_steps, Timestamp, ValidPolicy};

use crate::assessor::{evidence_from_rows, parse_policy, rescore, AssessError};
use crate::startup::AppState;
use crate::storage::events::Actor;
use crate::storage::feed::NewNotice;
use crate::storage::scores::EvidenceRows;
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
    escalate(&state.store, &policy, now).await?;
    enforce(&state.store, &policy, now).await?;
    Ok(due.len())
}

/// Takes every rung that has fallen due on every overdue hazard. Each rung is keyed by (hazard,
/// step), so a replica that loses the race simply finds it taken.
pub async fn escalate(store: &Store, policy: &ValidPolicy, now: i64) -> Result<usize, AssessError> {
    let mut taken = 0;
    for record in store.hazards_to_escalate(now, SWEEP_BATCH).await? {
        let rows = EvidenceRows {
            hazards: vec![record.clone()],
            ..EvidenceRows::default()
        };
        let evidence = evidence_from_rows(&rows)?;
        let Some(hazard) = evidence.hazards.first() else {
            continue;
        };
        for (step, due_at) in due_steps(hazard, policy, Timestamp(now)) {
            let (zh, en) = step.message(&record.description);
            let notice = NewNotice {
                shop_id: record.shop_id,
                kind: step.as_str(),
                hazard_id: Some(record.id),
                dedupe_key: format!("step:{}:{}", record.id, step.as_str()),
                message_zh: zh,
                message_en: en,
            };
            if store
                .take_step(&record, step.as_str(), due_at.millis(), &notice, now)
                .await?
            {
                taken += 1;
            }
        }
    }
    Ok(taken)
}

/// Opens the cases the rules call for and closes the cases whose causes are fixed.
pub async fn enforce(store: &Store, policy: &ValidPolicy, now: i64) -> Result<(), AssessError> {
    let window_ms = i64::from(policy.enforcement.repeated_red_window_days) * 24 * 3_600_000;
    let count = i64::from(policy.enforcement.repeated_red_count);
    for candidate in store.case_candidates(now - window_ms, count).await? {
        store.open_case(&candidate, now).await?;
    }
    for case_id in store.cases_ready_to_close().await? {
        store
            .close_case(case_id, "fixed", now, &Actor::system())
            .await?;
    }
    Ok(())
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
    policy: &ValidPolicy,
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

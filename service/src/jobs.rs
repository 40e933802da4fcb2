//! Long work outside requests: adopting a policy (every shop is rescored) and back-testing one over
//! the whole district. A request queues a job and answers `202 Accepted`; a worker claims it, writes
//! its progress as it goes and its result at the end (`GET /v1/jobs/{id}`).
//!
//! Safe on several replicas: a job is claimed with a compare-and-set update, and a job whose worker
//! stops beating (its replica died) is taken over by the next sweep of any replica.

use actix_web::web;
use serde::{Deserialize, Serialize};
use shopcredit_scoring::ValidPolicy;
use utoipa::ToSchema;

use crate::assessor::{assess_rows, previous_code, stored_policy, AssessError};
use crate::clock::rfc3339;
use crate::domain::job::JobKind;
use crate::domain::score::Colour;
use crate::state::AppState;
use crate::storage::jobs::JobRecord;
use crate::sweep::{rescore_all, RescoreSummary};

/// A running job whose heartbeat is older than this is taken over.
const STALE_AFTER_MS: i64 = 5 * 60 * 1000;
/// Progress is written after this many shops (and at the end).
const PROGRESS_EVERY: usize = 50;
/// At most this many per-shop changes are listed in a back-test (the counts cover all shops).
const BACKTEST_CHANGES_SHOWN: usize = 200;

/// What a policy job works on.
#[derive(Debug, Serialize, Deserialize)]
pub struct PolicyParams {
    pub version: String,
}

/// The outcome of adopting a policy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Adoption {
    pub version: String,
    pub adopted_at: String,
    pub rescored: RescoreSummary,
}

/// A shop whose colour would change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ColourChange {
    pub shop_id: i64,
    pub from: Colour,
    pub to: Colour,
    pub score_from: i64,
    pub score_to: u16,
}

/// What the district would look like under a policy.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct Backtest {
    pub version: String,
    pub as_of: String,
    pub shops: usize,
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
    /// How many shops would change colour.
    pub colour_changes: usize,
    /// The first 200 of them.
    pub changes: Vec<ColourChange>,
}

/// Why a job failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the job's parameters do not parse")]
    Params(#[from] serde_json::Error),
    #[error("policy {0} is not stored")]
    NoSuchPolicy(String),
    #[error(transparent)]
    Assess(#[from] AssessError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Starts working through the queue on this replica now, without waiting for the next sweep.
pub fn run_soon(state: web::Data<AppState>) {
    actix_web::rt::spawn(async move {
        if let Err(e) = run_queued(&state).await {
            tracing::error!(error = %e, "job queue could not be read; the sweep retries");
        }
    });
}

/// Runs queued jobs (and stale ones) until none is left; answers how many ran.
pub async fn run_queued(state: &AppState) -> Result<usize, sqlx::Error> {
    let mut ran = 0;
    loop {
        let now = state.now_ms();
        let Some(job) = state.store.claim_job(now, now - STALE_AFTER_MS).await? else {
            return Ok(ran);
        };
        ran += 1;
        let outcome = run(state, &job).await;
        let now = state.now_ms();
        match outcome {
            Ok(result) => state.store.finish_job(job.id, Ok(&result), now).await?,
            Err(e) => {
                tracing::error!(job_id = job.id, kind = %job.kind, error = %e, "job failed");
                let message = error_text(&e);
                state.store.finish_job(job.id, Err(&message), now).await?;
            }
        }
    }
}

/// What a failed job tells its caller: its own message, with causes, but nothing internal.
fn error_text(e: &JobError) -> String {
    match e {
        JobError::NoSuchPolicy(_) => e.to_string(),
        _ => "the job failed; see the service log".to_owned(),
    }
}

#[tracing::instrument(skip(state, job), fields(job_id = job.id, kind = %job.kind))]
async fn run(state: &AppState, job: &JobRecord) -> Result<serde_json::Value, JobError> {
    let params: PolicyParams = serde_json::from_str(&job.params)?;
    let policy = stored_policy(&state.store, &params.version)
        .await?
        .ok_or_else(|| JobError::NoSuchPolicy(params.version.clone()))?;
    let result = match job.kind {
        JobKind::AdoptPolicy => serde_json::to_value(adopt(state, job.id, policy).await?)?,
        JobKind::BacktestPolicy => serde_json::to_value(backtest(state, job.id, &policy).await?)?,
    };
    Ok(result)
}

/// Writes progress every [`PROGRESS_EVERY`] shops and at the end.
async fn report(state: &AppState, job_id: i64, done: usize, total: usize) {
    if done.is_multiple_of(PROGRESS_EVERY) || done == total {
        let now = state.now_ms();
        if let Err(e) = state
            .store
            .job_progress(job_id, done as i64, total as i64, now)
            .await
        {
            tracing::warn!(job_id, error = %e, "job progress not written");
        }
    }
}

/// Puts the policy in force from now and rescores every shop under it.
async fn adopt(state: &AppState, job_id: i64, policy: ValidPolicy) -> Result<Adoption, JobError> {
    let now = state.now_ms();
    state
        .store
        .adopt_policy(&policy.version, now)
        .await?
        .ok_or_else(|| JobError::NoSuchPolicy(policy.version.clone()))?;
    state.policies.set(policy.clone());
    let rescored = rescore_all(&state.store, &policy, now, |done, total| {
        report(state, job_id, done, total)
    })
    .await?;
    Ok(Adoption {
        version: policy.version.clone(),
        adopted_at: rfc3339(now),
        rescored,
    })
}

/// The colours every shop would have under `policy` now, from the same evidence and with the same
/// hysteresis input. Nothing is stored.
async fn backtest(
    state: &AppState,
    job_id: i64,
    policy: &ValidPolicy,
) -> Result<Backtest, JobError> {
    let store = &state.store;
    let now = state.now_ms();
    let ids = store.all_shop_ids().await?;
    let mut result = Backtest {
        version: policy.version.clone(),
        as_of: rfc3339(now),
        shops: ids.len(),
        ..Backtest::default()
    };
    for (i, &id) in ids.iter().enumerate() {
        let current = store.current_score(id).await?;
        let previous = current
            .as_ref()
            .map(|c| previous_code(c.colour, c.colour_since));
        let rows = store.evidence_rows(id).await?;
        let a = assess_rows(&rows, policy, now, previous).map_err(AssessError::from)?;
        let to = Colour::from(a.colour);
        match to {
            Colour::Green => result.green += 1,
            Colour::Yellow => result.yellow += 1,
            Colour::Red => result.red += 1,
        }
        if let Some(c) = current.filter(|c| c.colour != to) {
            result.colour_changes += 1;
            if result.changes.len() < BACKTEST_CHANGES_SHOWN {
                result.changes.push(ColourChange {
                    shop_id: id,
                    from: c.colour,
                    to,
                    score_from: c.score,
                    score_to: a.score,
                });
            }
        }
        report(state, job_id, i + 1, ids.len()).await;
    }
    Ok(result)
}

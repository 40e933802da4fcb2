//! The job queue: long work recorded as rows, claimed by one worker with a compare-and-set update,
//! its progress and outcome written back as it goes.

use sqlx::FromRow;

use super::Store;
use crate::domain::job::{JobKind, JobStatus};

/// A job as stored.
#[derive(Debug, Clone, FromRow)]
pub struct JobRecord {
    pub id: i64,
    pub kind: JobKind,
    pub status: JobStatus,
    /// What the job works on, as JSON.
    pub params: String,
    pub progress_done: i64,
    pub progress_total: i64,
    /// The outcome as JSON, once succeeded.
    pub result: Option<String>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub heartbeat_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, status, params, progress_done, progress_total, result, error, \
     created_by, created_at, started_at, heartbeat_at, finished_at";

impl Store {
    /// Queues a job.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn enqueue_job(
        &self,
        kind: JobKind,
        params: &serde_json::Value,
        by: &str,
        now: i64,
    ) -> Result<JobRecord, sqlx::Error> {
        sqlx::query_as(&format!(
            "INSERT INTO jobs (kind, status, params, created_by, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING {COLUMNS}"
        ))
        .bind(kind)
        .bind(JobStatus::Queued)
        .bind(params.to_string())
        .bind(by)
        .bind(now)
        .fetch_one(self.writer())
        .await
    }

    /// One job.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn job(&self, id: i64) -> Result<Option<JobRecord>, sqlx::Error> {
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
    }

    /// Claims the oldest queued job, or a running one whose worker stopped beating before
    /// `stale_before` (its replica died). The status is re-checked in the update itself, so of
    /// several replicas claiming at once exactly one wins.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn claim_job(
        &self,
        now: i64,
        stale_before: i64,
    ) -> Result<Option<JobRecord>, sqlx::Error> {
        let claimable = "(status = $2 OR (status = $3 AND heartbeat_at < $4))";
        sqlx::query_as(&format!(
            "UPDATE jobs SET status = $3, started_at = $1, heartbeat_at = $1 \
             WHERE id = (SELECT id FROM jobs WHERE {claimable} ORDER BY id LIMIT 1) AND {claimable} \
             RETURNING {COLUMNS}"
        ))
        .bind(now)
        .bind(JobStatus::Queued)
        .bind(JobStatus::Running)
        .bind(stale_before)
        .fetch_optional(self.writer())
        .await
    }

    /// Records progress and that the worker is alive.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn job_progress(
        &self,
        id: i64,
        done: i64,
        total: i64,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE jobs SET progress_done = $1, progress_total = $2, heartbeat_at = $3 WHERE id = $4",
        )
        .bind(done)
        .bind(total)
        .bind(now)
        .bind(id)
        .execute(self.writer())
        .await
        .map(|_| ())
    }

    /// Ends a job: succeeded with its result, or failed with its error.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn finish_job(
        &self,
        id: i64,
        outcome: Result<&serde_json::Value, &str>,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let (status, result, error) = match outcome {
            Ok(result) => (JobStatus::Succeeded, Some(result.to_string()), None),
            Err(error) => (JobStatus::Failed, None, Some(error)),
        };
        sqlx::query(
            "UPDATE jobs SET status = $1, result = $2, error = $3, finished_at = $4, heartbeat_at = $4 \
             WHERE id = $5",
        )
        .bind(status)
        .bind(result)
        .bind(error)
        .bind(now)
        .bind(id)
        .execute(self.writer())
        .await
        .map(|_| ())
    }
}

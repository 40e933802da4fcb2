//! Long-running jobs: where they stand and what they produced.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::responses::DistrictOnly;
use super::{rfc3339, stored_json};
use crate::auth::{Authorized, DistrictStaff};
use crate::domain::job::{JobKind, JobStatus};
use crate::error::{ApiError, ErrorEnvelope};
use crate::state::AppState;
use crate::storage::jobs::JobRecord;

/// How far a job has come.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobProgress {
    pub done: i64,
    /// 0 until the job knows how much there is.
    pub total: i64,
}

/// A job: adopting or back-testing a policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: i64,
    pub kind: JobKind,
    pub status: JobStatus,
    /// What the job works on (e.g. `{"version": "..."}`).
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    pub progress: JobProgress,
    /// Once succeeded: an `Adoption` for `adopt_policy`, a `Backtest` for `backtest_policy`.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// Once failed: why.
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl JobView {
    pub fn from_record(j: JobRecord) -> Result<Self, ApiError> {
        let result = j
            .result
            .as_deref()
            .map(|text| stored_json("jobs", j.id, "result", text))
            .transpose()?;
        Ok(Self {
            params: stored_json("jobs", j.id, "params", &j.params)?,
            id: j.id,
            kind: j.kind,
            status: j.status,
            progress: JobProgress {
                done: j.progress_done,
                total: j.progress_total,
            },
            result,
            error: j.error,
            created_by: j.created_by,
            created_at: rfc3339(j.created_at),
            started_at: j.started_at.map(rfc3339),
            finished_at: j.finished_at.map(rfc3339),
        })
    }

    /// `202 Accepted` with the job and where to poll it.
    pub fn accepted(j: JobRecord) -> Result<HttpResponse, ApiError> {
        let location = format!("/v1/jobs/{}", j.id);
        Ok(HttpResponse::Accepted()
            .insert_header((actix_web::http::header::LOCATION, location))
            .json(Self::from_record(j)?))
    }
}

/// A job's status, progress and result (regulators, admins). Poll it after a `202 Accepted`.
#[utoipa::path(
    tag = "policies",
    params(("id" = i64, Path, description = "Job id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 404, description = "No such job", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[get("/v1/jobs/{id}")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_job(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let job = state
        .store
        .job(id.into_inner())
        .await?
        .ok_or(ApiError::NotFound("job"))?;
    Ok(HttpResponse::Ok().json(JobView::from_record(job)?))
}

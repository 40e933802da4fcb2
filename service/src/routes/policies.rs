//! Scoring policies for regulators: the one in force, new versions, back-tests and adoption.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use shopcredit_scoring::{Policy, PolicyError};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::access::actor;
use super::jobs::JobView;
use super::responses::DistrictOnly;
use super::stored_json;
use super::{rfc3339, Paged};
use crate::assessor::stored_policy;
use crate::auth::{Authorized, DistrictStaff};
use crate::domain::job::JobKind;
use crate::domain::page::Limit;
use crate::domain::policy::PolicyVersion;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{json_error_from_actix, refuse_nul, ValidQuery};
use crate::jobs::{run_soon, PolicyParams};
use crate::state::AppState;
use crate::storage::policies::{PolicyRecord, PolicyStoreError};

/// A stored policy version.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub version: String,
    /// RFC 3339; `null` while not adopted.
    pub adopted_at: Option<String>,
    pub created_at: String,
    pub created_by: String,
    /// The policy itself: deadlines, scorecard, colour thresholds, provisional rules, escalation
    /// timers.
    #[schema(value_type = Object)]
    pub policy: serde_json::Value,
}

impl PolicyView {
    fn from_record(r: PolicyRecord) -> Result<Self, ApiError> {
        Ok(Self {
            policy: stored_json("policies", 0, "body", &r.body)?,
            version: r.version,
            adopted_at: r.adopted_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
            created_by: r.created_by,
        })
    }
}

/// A policy version in the list (its body is at `GET /v1/policies/{version}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicySummary {
    pub version: String,
    /// Whether this is the policy in force (the one adopted last).
    pub in_force: bool,
    /// RFC 3339; `null` while never adopted.
    pub adopted_at: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

/// Paging of the policy list: newest first, the cursor is the last version seen (`p1.VERSION`).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PolicyListQuery {
    /// The `next_cursor` of the previous page.
    #[validate(length(max = 67))]
    #[param(max_length = 67, pattern = r"^p1\.[a-z0-9][a-z0-9._-]{0,63}$")]
    pub cursor: Option<String>,
    /// Items per page: 50 by default, at most 200.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<i64>,
}

/// The cursor of the policy list: the last version seen.
fn policy_cursor(version: &str) -> String {
    format!("p1.{version}")
}

/// Any slug is a position: a version that does not exist (any more) ends the list.
fn parse_policy_cursor(cursor: &str) -> Result<String, ApiError> {
    cursor
        .strip_prefix("p1.")
        .and_then(|v| PolicyVersion::parse(v).ok())
        .map(|v| v.as_str().to_owned())
        .ok_or_else(|| ApiError::field("cursor", "not a cursor returned by this list"))
}

/// Every policy version, newest first, paged (regulators, admins).
#[utoipa::path(
    tag = "policies",
    params(PolicyListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of policy versions", body = Paged<PolicySummary>),
        (status = 422, description = "Invalid cursor or limit", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[get("/v1/policies")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_policies(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
    ValidQuery(query): ValidQuery<PolicyListQuery>,
) -> Result<HttpResponse, ApiError> {
    let after = query
        .cursor
        .as_deref()
        .map(parse_policy_cursor)
        .transpose()?;
    let limit = Limit::parse(query.limit).map_err(|e| ApiError::field("limit", e.0))?;
    let current = state.store.current_policy().await?.map(|p| p.version);
    let mut rows = state.store.policies(after.as_deref(), limit.get()).await?;
    let more = limit.cut(&mut rows);
    let next_cursor = rows
        .last()
        .filter(|_| more)
        .map(|r| policy_cursor(&r.version));
    let items = rows
        .into_iter()
        .map(|r| PolicySummary {
            in_force: current.as_deref() == Some(r.version.as_str()),
            adopted_at: r.adopted_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
            created_by: r.created_by,
            version: r.version,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Paged { items, next_cursor }))
}

/// One policy version with its body (regulators, admins).
#[utoipa::path(
    tag = "policies",
    params(("version" = String, Path, description = "Policy version", max_length = 64, pattern = "^[a-z0-9][a-z0-9._-]{0,63}$")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The policy", body = PolicyView),
        (status = 404, description = "No such policy", body = ErrorEnvelope),
        (status = 422, description = "The version is not a slug", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[get("/v1/policies/{version}")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_policy(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
    version: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let version = path_version(&version)?;
    let record = state
        .store
        .policy(version.as_str())
        .await?
        .ok_or(ApiError::NotFound("policy"))?;
    Ok(HttpResponse::Ok().json(PolicyView::from_record(record)?))
}

/// The policy in force (regulators, admins).
#[utoipa::path(
    tag = "policies",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The policy in force", body = PolicyView),
        DistrictOnly,
    )
)]
#[get("/v1/policies/current")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn current_policy(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
) -> Result<HttpResponse, ApiError> {
    let record = state
        .store
        .current_policy()
        .await?
        .ok_or(ApiError::NotFound("policy"))?;
    Ok(HttpResponse::Ok().json(PolicyView::from_record(record)?))
}

/// The `{version}` of a path: a slug, or 422 naming `version` (a path such as `../x` or 5,000
/// characters is refused before it reaches the database or a log line).
fn path_version(raw: &str) -> Result<PolicyVersion, ApiError> {
    PolicyVersion::parse(raw).map_err(|e| ApiError::field("version", e.0))
}

fn policy_error(err: PolicyError) -> ApiError {
    ApiError::field("policy", err.to_string())
}

/// Store a new policy version (regulators, admins). The body is the whole policy, as
/// `GET /v1/policies/current` shows it under `policy`, with a new `version`. It is validated, not
/// adopted.
#[utoipa::path(
    tag = "policies",
    request_body(content = Object, description = "The policy"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored, not adopted", body = PolicyView),
        (status = 409, description = "The version exists", body = ErrorEnvelope),
        (status = 422, description = "The policy is invalid (the message names the field), or its version is not a slug (`[a-z0-9][a-z0-9._-]{0,63}`)", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[post("/v1/policies")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_policy(
    state: web::Data<AppState>,
    staff: Authorized<DistrictStaff>,
    body: Result<web::Json<serde_json::Value>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let value = body.map_err(json_error_from_actix)?.into_inner();
    refuse_nul("policy", &value)?;
    let policy: Policy = serde_path_to_error::deserialize(value)
        .map_err(|e| ApiError::field(format!("policy.{}", e.path()), e.inner().to_string()))?;
    PolicyVersion::parse(&policy.version).map_err(|e| ApiError::field("policy.version", e.0))?;
    let valid = policy.validate().map_err(policy_error)?;
    let text = serde_json::to_string(&valid).map_err(ApiError::internal)?;
    let record = state
        .store
        .insert_policy(&valid.version, &text, state.now_ms(), &actor(&staff.0).name)
        .await
        .map_err(|e| match e {
            PolicyStoreError::VersionExists(_) => ApiError::Conflict(e.to_string()),
            PolicyStoreError::Database(e) => e.into(),
        })?;
    Ok(HttpResponse::Created().json(PolicyView::from_record(record)?))
}

/// Queues a job on a stored policy and starts it on this replica.
async fn queue_policy_job(
    state: web::Data<AppState>,
    staff: &Authorized<DistrictStaff>,
    version: &str,
    kind: JobKind,
) -> Result<HttpResponse, ApiError> {
    stored_policy(&state.store, version)
        .await?
        .ok_or(ApiError::NotFound("policy"))?;
    let params = serde_json::to_value(PolicyParams {
        version: version.to_owned(),
    })
    .map_err(ApiError::internal)?;
    let job = state
        .store
        .enqueue_job(kind, &params, &actor(&staff.0).name, state.now_ms())
        .await?;
    run_soon(state);
    JobView::accepted(job)
}

/// Back-test a policy (regulators, admins): the colours every shop would have under it now, from
/// the same evidence and with the same hysteresis input. Nothing is stored or adopted. Runs as a job:
/// poll `Location` until its `result` holds a `Backtest`.
#[utoipa::path(
    tag = "policies",
    params(("version" = String, Path, description = "Policy version", max_length = 64, pattern = "^[a-z0-9][a-z0-9._-]{0,63}$")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued; the job's result will be a Backtest", body = JobView),
        (status = 404, description = "No such policy to back-test", body = ErrorEnvelope),
        (status = 422, description = "The version is not a slug", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[post("/v1/policies/{version}/backtest")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn backtest_policy(
    state: web::Data<AppState>,
    staff: Authorized<DistrictStaff>,
    version: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let version = path_version(&version)?;
    queue_policy_job(state, &staff, version.as_str(), JobKind::BacktestPolicy).await
}

/// Adopt a policy (regulators, admins): it is in force from when the job starts, and every shop is
/// rescored under it. Runs as a job: poll `Location` until its `result` holds an `Adoption`.
#[utoipa::path(
    tag = "policies",
    params(("version" = String, Path, description = "Policy version", max_length = 64, pattern = "^[a-z0-9][a-z0-9._-]{0,63}$")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued; the job's result will be an Adoption", body = JobView),
        (status = 404, description = "No such policy to adopt", body = ErrorEnvelope),
        (status = 422, description = "The version is not a slug", body = ErrorEnvelope),
        (status = 409, description = "This version is already in force", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[post("/v1/policies/{version}/adopt")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn adopt_policy(
    state: web::Data<AppState>,
    staff: Authorized<DistrictStaff>,
    version: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let version = path_version(&version)?;
    // Checked before queueing: re-adopting the policy in force would rescore every shop for nothing.
    let current = state.store.current_policy().await?;
    if current.is_some_and(|p| p.version == version.as_str()) {
        return Err(ApiError::Conflict(format!(
            "policy {} is already in force",
            version.as_str()
        )));
    }
    queue_policy_job(state, &staff, version.as_str(), JobKind::AdoptPolicy).await
}

//! Scoring policies for regulators: the one in force, new versions, back-tests and adoption.

use actix_web::{get, post, web, HttpResponse};
use serde::Serialize;
use shopcredit_scoring::{Policy, PolicyError, ValidPolicy};
use utoipa::ToSchema;

use super::access::actor;
use super::rfc3339;
use crate::assessor::{assess_rows, colour_name, parse_policy, previous_code, DEFAULT_MEAN_RATING};
use crate::auth::{Authorized, DistrictStaff};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::json_error_from_actix;
use crate::jobs::{rescore_all, RescoreSummary};
use crate::startup::AppState;
use crate::storage::policies::{PolicyRecord, PolicyStoreError};

/// At most this many per-shop changes are listed in a back-test (the counts cover all shops).
const BACKTEST_CHANGES_SHOWN: usize = 200;

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
    fn from_record(r: PolicyRecord) -> Self {
        Self {
            version: r.version,
            adopted_at: r.adopted_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
            created_by: r.created_by,
            policy: serde_json::from_str(&r.body).unwrap_or_default(),
        }
    }
}

/// The policy in force (regulators, admins).
#[utoipa::path(
    tag = "policies",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The policy in force", body = PolicyView),
        (status = 401, description = "No valid token", body = ErrorEnvelope),
        (status = 403, description = "Regulators only", body = ErrorEnvelope),
    )
)]
#[get("/v1/policies/current")]
pub async fn current_policy(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
) -> Result<HttpResponse, ApiError> {
    let record = state
        .store
        .current_policy()
        .await?
        .ok_or(ApiError::NotFound("policy"))?;
    Ok(HttpResponse::Ok().json(PolicyView::from_record(record)))
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
        (status = 401, description = "No valid token", body = ErrorEnvelope),
        (status = 403, description = "Regulators only", body = ErrorEnvelope),
        (status = 409, description = "The version exists", body = ErrorEnvelope),
        (status = 422, description = "The policy is invalid; the message names the field", body = ErrorEnvelope),
    )
)]
#[post("/v1/policies")]
pub async fn create_policy(
    state: web::Data<AppState>,
    staff: Authorized<DistrictStaff>,
    body: Result<web::Json<serde_json::Value>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let value = body.map_err(json_error_from_actix)?.into_inner();
    let policy: Policy = serde_path_to_error::deserialize(value)
        .map_err(|e| ApiError::field(format!("policy.{}", e.path()), e.inner().to_string()))?;
    let valid = policy.validate().map_err(policy_error)?;
    let text = serde_json::to_string(&valid).map_err(|e| ApiError::Internal(e.to_string()))?;
    let record = state
        .store
        .insert_policy(&valid.version, &text, state.now_ms(), &actor(&staff.0).name)
        .await
        .map_err(|e| match e {
            PolicyStoreError::VersionExists(_) => ApiError::Conflict(e.to_string()),
            PolicyStoreError::Database(e) => e.into(),
        })?;
    Ok(HttpResponse::Created().json(PolicyView::from_record(record)))
}

async fn stored_policy(state: &AppState, version: &str) -> Result<ValidPolicy, ApiError> {
    let record = state
        .store
        .policy(version)
        .await?
        .ok_or(ApiError::NotFound("policy"))?;
    Ok(parse_policy(&record.version, &record.body)?)
}

/// A shop whose colour would change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ColourChange {
    pub shop_id: i64,
    pub from: String,
    pub to: String,
    pub score_from: i64,
    pub score_to: u16,
}

/// What the district would look like under a policy.
#[derive(Debug, Serialize, ToSchema)]
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

/// Back-test a policy (regulators, admins): the colours every shop would have under it now, from
/// the same evidence and with the same hysteresis input. Nothing is stored or adopted.
#[utoipa::path(
    tag = "policies",
    params(("version" = String, Path, description = "Policy version")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The district under this policy", body = Backtest),
        (status = 401, description = "No valid token", body = ErrorEnvelope),
        (status = 403, description = "Regulators only", body = ErrorEnvelope),
        (status = 404, description = "No such policy", body = ErrorEnvelope),
    )
)]
#[post("/v1/policies/{version}/backtest")]
pub async fn backtest_policy(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
    version: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let policy = stored_policy(&state, &version).await?;
    let now = state.now_ms();
    let mean = state
        .store
        .district_mean_rating()
        .await?
        .unwrap_or(DEFAULT_MEAN_RATING);
    let ids = state.store.all_shop_ids().await?;
    let mut result = Backtest {
        version: policy.version.clone(),
        as_of: rfc3339(now),
        shops: ids.len(),
        green: 0,
        yellow: 0,
        red: 0,
        colour_changes: 0,
        changes: Vec::new(),
    };
    for id in ids {
        let current = state.store.current_score(id).await?;
        let previous = current
            .as_ref()
            .map(|c| previous_code(&c.colour, c.colour_since))
            .transpose()?;
        let rows = state.store.evidence_rows(id).await?;
        let a = assess_rows(&rows, &policy, mean, now, previous)?;
        let to = colour_name(a.colour);
        match to {
            "green" => result.green += 1,
            "yellow" => result.yellow += 1,
            _ => result.red += 1,
        }
        if let Some(c) = current.filter(|c| c.colour != to) {
            result.colour_changes += 1;
            if result.changes.len() < BACKTEST_CHANGES_SHOWN {
                result.changes.push(ColourChange {
                    shop_id: id,
                    from: c.colour,
                    to: to.to_owned(),
                    score_from: c.score,
                    score_to: a.score,
                });
            }
        }
    }
    Ok(HttpResponse::Ok().json(result))
}

/// The outcome of adopting a policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct Adoption {
    pub version: String,
    pub adopted_at: String,
    pub rescored: RescoreSummary,
}

/// Adopt a policy (regulators, admins): it is in force from now, and every shop is rescored.
#[utoipa::path(
    tag = "policies",
    params(("version" = String, Path, description = "Policy version")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Adopted; every shop rescored", body = Adoption),
        (status = 401, description = "No valid token", body = ErrorEnvelope),
        (status = 403, description = "Regulators only", body = ErrorEnvelope),
        (status = 404, description = "No such policy", body = ErrorEnvelope),
    )
)]
#[post("/v1/policies/{version}/adopt")]
pub async fn adopt_policy(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
    version: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let policy = stored_policy(&state, &version).await?;
    let now = state.now_ms();
    state
        .store
        .adopt_policy(&version, now)
        .await?
        .ok_or(ApiError::NotFound("policy"))?;
    state.policies.set(policy.clone());
    let rescored = rescore_all(&state.store, &policy, now, |_, _| {}).await?;
    Ok(HttpResponse::Ok().json(Adoption {
        version: policy.version.clone(),
        adopted_at: rfc3339(now),
        rescored,
    }))
}

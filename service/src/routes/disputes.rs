//! Disputes: owners contest a finding or a review; regulators resolve them.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::access::{actor, ShopInView, WithRole};
use super::responses::{DistrictOnly, ShopScoped};
use super::{rfc3339, Paged};
use crate::auth::{Authorized, DistrictStaff, ShopOwners};
use crate::domain::dispute::{DisputeOutcome, DisputeStatus, DisputeTarget};
use crate::domain::page::PageRequest;
use crate::domain::vocabulary::{valid_choice, Choice};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{ValidJson, ValidQuery};
use crate::state::AppState;
use crate::storage::disputes::{DisputeError, DisputeRecord};

/// An owner's dispute.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeRequest {
    #[validate(custom(function = "valid_choice"))]
    #[schema(value_type = DisputeTarget)]
    pub target: Choice<DisputeTarget>,
    /// The id of the hazard or review.
    pub target_id: i64,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// A dispute.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeView {
    pub id: i64,
    pub shop_id: i64,
    pub target: DisputeTarget,
    pub target_id: i64,
    /// The owner's words (free text).
    #[schema(max_length = 1000)]
    pub reason: String,
    pub status: DisputeStatus,
    pub note: Option<String>,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

impl From<DisputeRecord> for DisputeView {
    fn from(d: DisputeRecord) -> Self {
        Self {
            id: d.id,
            shop_id: d.shop_id,
            target: d.target_type,
            target_id: d.target_id,
            reason: d.reason,
            status: d.status,
            note: d.note,
            created_at: rfc3339(d.created_at),
            resolved_at: d.resolved_at.map(rfc3339),
        }
    }
}

impl From<DisputeError> for ApiError {
    fn from(err: DisputeError) -> Self {
        match err {
            DisputeError::UnknownTarget(_) | DisputeError::SelfReported => {
                ApiError::field("target_id", err.to_string())
            }
            DisputeError::AlreadyOpen(_) | DisputeError::AlreadyResolved(_) => {
                ApiError::Conflict(err.to_string())
            }
            DisputeError::NotFound => ApiError::NotFound("dispute"),
            DisputeError::Database(e) => e.into(),
        }
    }
}

/// Dispute one of the shop's findings or reviews (the shop's owner).
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Shop id")),
    request_body = DisputeRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Opened", body = DisputeView),
        (status = 403, description = "Only the owner disputes", body = ErrorEnvelope),
        (status = 409, description = "Already disputed", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields, or a target that is not this shop's", body = ErrorEnvelope),
        ShopScoped,
    )
)]
#[post("/v1/shops/{id}/disputes")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn open_dispute(
    state: web::Data<AppState>,
    WithRole(ShopInView { shop, who }, _): WithRole<ShopInView, ShopOwners>,
    ValidJson(body): ValidJson<DisputeRequest>,
) -> Result<HttpResponse, ApiError> {
    let target = body.target.get("target")?;
    let record = state
        .store
        .open_dispute(
            shop.id,
            target,
            body.target_id,
            body.reason.trim(),
            state.now_ms(),
            &actor(&who),
        )
        .await?;
    Ok(HttpResponse::Created().json(DisputeView::from(record)))
}

/// Filters of dispute lists.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DisputeListQuery {
    #[validate(length(max = 128))]
    #[param(max_length = 128, pattern = r"^v1\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    #[validate(custom(function = "valid_choice"))]
    #[param(value_type = Option<DisputeStatus>)]
    pub status: Option<Choice<DisputeStatus>>,
}

fn status_filter(query: &DisputeListQuery) -> Result<Option<DisputeStatus>, ApiError> {
    query.status.as_ref().map(|s| s.get("status")).transpose()
}

/// A shop's disputes.
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Shop id"), DisputeListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of disputes", body = Paged<DisputeView>),
        ShopScoped,
    )
)]
#[get("/v1/shops/{id}/disputes")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_shop_disputes(
    state: web::Data<AppState>,
    ShopInView { shop, who: _ }: ShopInView,
    ValidQuery(query): ValidQuery<DisputeListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::parse(query.cursor.as_deref(), query.limit)?;
    let records = state
        .store
        .list_disputes(Some(shop.id), status_filter(&query)?, page)
        .await?;
    Ok(HttpResponse::Ok().json(Paged::from_page(records, DisputeView::from)))
}

/// The district's disputes (regulators, admins).
#[utoipa::path(
    tag = "moderation",
    params(DisputeListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of disputes", body = Paged<DisputeView>),
        DistrictOnly,
    )
)]
#[get("/v1/disputes")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_disputes(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
    ValidQuery(query): ValidQuery<DisputeListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::parse(query.cursor.as_deref(), query.limit)?;
    let records = state
        .store
        .list_disputes(None, status_filter(&query)?, page)
        .await?;
    Ok(HttpResponse::Ok().json(Paged::from_page(records, DisputeView::from)))
}

/// A regulator's decision on a dispute.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveDisputeRequest {
    /// `upheld`: the finding or review stops counting (kept in history). `rejected`: nothing changes.
    #[validate(custom(function = "valid_choice"))]
    #[schema(value_type = DisputeOutcome)]
    pub outcome: Choice<DisputeOutcome>,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub note: String,
}

/// Resolve an open dispute (regulators, admins).
#[utoipa::path(
    tag = "moderation",
    params(("id" = i64, Path, description = "Dispute id")),
    request_body = ResolveDisputeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Resolved", body = DisputeView),
        (status = 404, description = "No such dispute", body = ErrorEnvelope),
        (status = 409, description = "Already resolved", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[post("/v1/disputes/{id}/resolve")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn resolve_dispute(
    state: web::Data<AppState>,
    staff: Authorized<DistrictStaff>,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<ResolveDisputeRequest>,
) -> Result<HttpResponse, ApiError> {
    let outcome = body.outcome.get("outcome")?;
    let note = body.note.trim();
    let notice =
        shopcredit_scoring::dispute_resolved_notice(outcome == DisputeOutcome::Upheld, note);
    let record = state
        .store
        .resolve_dispute(
            id.into_inner(),
            outcome,
            note,
            notice,
            state.now_ms(),
            &actor(&staff.0),
        )
        .await?;
    state.rescore_after_write(record.shop_id).await;
    Ok(HttpResponse::Ok().json(DisputeView::from(record)))
}

//! The hazard lifecycle: list, rectify (owner), verify (inspector).

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::access::{actor, HazardInView, ShopInView, WithRole, FIELD_STAFF};
use super::hazard_views::{HazardStoryView, HazardView};
use super::responses::{Authenticated, HazardScoped, ShopScoped};
use super::{grid_filter, ranked_page, Paged};
use crate::auth::{FieldStaff, Principal, ShopOwners};
use crate::domain::check;
use crate::domain::hazard::{check_evidence, evidence_json, EvidenceRef, HazardStatus};
use crate::domain::page::{PageRequest, RankCursor};
use crate::domain::shop::GridCode;
use crate::domain::vocabulary::{text_enum, valid_choice, Choice};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{ValidJson, ValidQuery};
use crate::state::AppState;
use crate::storage::hazards::HazardFilter;

fn valid_evidence(v: &[EvidenceRef]) -> Result<(), ValidationError> {
    check(check_evidence(v))
}

/// Filters of a shop's hazard list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HazardListQuery {
    #[validate(length(max = 128))]
    #[param(max_length = 128, pattern = r"^v1\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    /// A lifecycle status, or `overdue` (the same rule as each hazard's `overdue` flag).
    #[validate(custom(function = "valid_choice"))]
    #[param(value_type = Option<HazardListStatus>)]
    pub status: Option<Choice<HazardListStatus>>,
}

/// The storage filter of a status filter.
/// The storage filter a list's `status` asks for, judged as of `now`.
fn status_filter(
    status: Option<Choice<HazardListStatus>>,
    now: i64,
) -> Result<Option<HazardFilter>, ApiError> {
    let Some(status) = status.map(|s| s.get("status")).transpose()? else {
        return Ok(None);
    };
    Ok(Some(match status {
        HazardListStatus::Overdue => HazardFilter::Overdue { now },
        HazardListStatus::Open => HazardFilter::Status(HazardStatus::Open),
        HazardListStatus::AwaitingVerification => {
            HazardFilter::Status(HazardStatus::AwaitingVerification)
        }
        HazardListStatus::Closed => HazardFilter::Status(HazardStatus::Closed),
    }))
}

/// Filters of the hazard work queue.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HazardQueueQuery {
    /// Only hazards of shops in this grid.
    #[validate(custom(function = "valid_grid"))]
    #[param(
        min_length = 1,
        max_length = 16,
        pattern = "^[A-Za-z0-9][A-Za-z0-9-]{0,15}$"
    )]
    pub grid: Option<String>,
    /// A lifecycle status, or `overdue` (the rule of each hazard's `overdue` flag); without it,
    /// every hazard not closed.
    #[validate(custom(function = "valid_choice"))]
    #[param(value_type = Option<HazardListStatus>)]
    pub status: Option<Choice<HazardListStatus>>,
    /// The `next_cursor` of the previous page (keep the same filters).
    #[validate(length(max = 128))]
    #[param(max_length = 128, pattern = r"^r1\.-?[0-9]{1,18}\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<i64>,
}

fn valid_grid(v: &str) -> Result<(), ValidationError> {
    check(GridCode::parse(v))
}

/// The work queue: hazards across the shops the caller covers (inspectors their grids, regulators
/// and admins the district), oldest deadline first (then oldest id), cursor-paged.
#[utoipa::path(
    tag = "evidence",
    params(HazardQueueQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of hazards, oldest deadline first", body = Paged<HazardView>),
        (status = 422, description = "Invalid status, grid, cursor or limit", body = ErrorEnvelope),
        (status = 403, description = "Owners use their shop's hazard list", body = ErrorEnvelope),
        Authenticated,
    )
)]
#[get("/v1/hazards")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn hazard_queue(
    state: web::Data<AppState>,
    who: Principal,
    ValidQuery(query): ValidQuery<HazardQueueQuery>,
) -> Result<HttpResponse, ApiError> {
    who.require(FIELD_STAFF)?;
    let (after, limit) = ranked_page(query.cursor.as_deref(), query.limit)?;
    let grid = grid_filter(query.grid.as_deref())?;
    let now = state.now_ms();
    let filter = status_filter(query.status, now)?;
    let (records, next) = state
        .store
        .hazard_queue(who.visibility(), grid.as_ref(), filter, after, limit.get())
        .await?;
    Ok(HttpResponse::Ok().json(Paged {
        items: HazardView::from_records(records, now)?,
        next_cursor: next.map(RankCursor::encode),
    }))
}

/// A shop's hazards, filtered by status, cursor-paged.
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Shop id"), HazardListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of hazards", body = Paged<HazardView>),
        (status = 422, description = "Invalid filter", body = ErrorEnvelope),
        ShopScoped,
    )
)]
#[get("/v1/shops/{id}/hazards")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_hazards(
    state: web::Data<AppState>,
    ShopInView { shop, who: _ }: ShopInView,
    ValidQuery(query): ValidQuery<HazardListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::parse(query.cursor.as_deref(), query.limit)?;
    let now = state.now_ms();
    let filter = status_filter(query.status, now)?;
    let records = state.store.shop_hazards(shop.id, filter, page).await?;
    Ok(HttpResponse::Ok().json(Paged {
        items: HazardView::from_records(records.items, now)?,
        next_cursor: records.next.map(|c| c.encode()),
    }))
}

/// One hazard.
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Hazard id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The hazard and its whole story", body = HazardStoryView),
        HazardScoped,
    )
)]
#[get("/v1/hazards/{id}")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_hazard(
    state: web::Data<AppState>,
    HazardInView { hazard, .. }: HazardInView,
) -> Result<HttpResponse, ApiError> {
    let events = state.store.subject_events("hazard", hazard.id).await?;
    let view = HazardView::from_record(hazard, state.now_ms())?;
    Ok(HttpResponse::Ok().json(HazardStoryView::new(view, events)?))
}

/// The owner's claim that a hazard is fixed.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectificationRequest {
    /// What was done.
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub note: String,
    #[serde(default)]
    #[validate(custom(function = "valid_evidence"))]
    #[schema(max_items = 10)]
    pub evidence: Vec<EvidenceRef>,
}

/// Submit a rectification (the shop's owner): `open` → `awaiting_verification`.
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Hazard id")),
    request_body = RectificationRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Awaiting verification", body = HazardView),
        (status = 403, description = "Only the owner rectifies", body = ErrorEnvelope),
        (status = 409, description = "The hazard is not open", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
        HazardScoped,
    )
)]
#[post("/v1/hazards/{id}/rectifications")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn submit_rectification(
    state: web::Data<AppState>,
    WithRole(HazardInView { hazard, who }, _): WithRole<HazardInView, ShopOwners>,
    ValidJson(body): ValidJson<RectificationRequest>,
) -> Result<HttpResponse, ApiError> {
    let now = state.now_ms();
    let evidence = evidence_json(&body.evidence);
    let updated = state
        .store
        .submit_rectification(hazard.id, body.note.trim(), &evidence, now, &actor(&who))
        .await?;
    state.rescore_after_write(updated.shop_id).await;
    Ok(HttpResponse::Created().json(HazardView::from_record(updated, now)?))
}

/// An inspector's verdict on a rectification.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationRequest {
    /// `accepted` closes the hazard; `rejected` reopens it with the same deadline.
    #[validate(custom(function = "valid_choice"))]
    #[schema(value_type = VerificationOutcome)]
    pub outcome: Choice<VerificationOutcome>,
    /// Required when rejected: what is still wrong.
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: Option<String>,
}

text_enum!(
    /// Which hazards to list.
    pub enum HazardListStatus("status filter") {
        Open => "open",
        AwaitingVerification => "awaiting_verification",
        Closed => "closed",
        /// Past the deadline and unresolved: the rule of each hazard's `overdue` flag.
        Overdue => "overdue",
    }
);

text_enum!(
    /// An inspector's verdict on a rectification.
    pub enum VerificationOutcome("outcome") {
        /// The fix is verified: the hazard closes.
        Accepted => "accepted",
        /// Still wrong: the hazard reopens with the same deadline.
        Rejected => "rejected",
    }
);

/// Verify a rectification (inspectors of the shop's grid, regulators, admins).
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Hazard id")),
    request_body = VerificationRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Closed or reopened", body = HazardView),
        (status = 403, description = "Owners do not verify", body = ErrorEnvelope),
        (status = 409, description = "The hazard is not awaiting verification", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
        HazardScoped,
    )
)]
#[post("/v1/hazards/{id}/verifications")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn verify_rectification(
    state: web::Data<AppState>,
    WithRole(HazardInView { hazard, who }, _): WithRole<HazardInView, FieldStaff>,
    ValidJson(body): ValidJson<VerificationRequest>,
) -> Result<HttpResponse, ApiError> {
    let accepted = body.outcome.get("outcome")? == VerificationOutcome::Accepted;
    let reason = body
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if !accepted && reason.is_none() {
        return Err(ApiError::field(
            "reason",
            "a rejection needs a reason the owner can act on",
        ));
    }
    let now = state.now_ms();
    let rejected_notice =
        reason.map(|r| shopcredit_scoring::fix_rejected_notice(&hazard.description_text(), r));
    let updated = state
        .store
        .verify_rectification(
            hazard.id,
            accepted,
            reason,
            rejected_notice.filter(|_| !accepted),
            now,
            &actor(&who),
        )
        .await?;
    state.rescore_after_write(updated.shop_id).await;
    Ok(HttpResponse::Created().json(HazardView::from_record(updated, now)?))
}

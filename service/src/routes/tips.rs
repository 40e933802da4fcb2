//! Residents' tip-offs: a lead with a receipt, verified into a finding or dismissed by an inspector.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use shopcredit_scoring::Text;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::access::{actor, client_address, TipInView, FIELD_STAFF};
use super::hazard_views::HazardView;
use super::public::open_shop_by_code;
use super::responses::Authenticated;
use super::{rfc3339, Paged};
use crate::auth::Principal;
use crate::domain::hazard::{Finding, HazardSource, HazardType, Severity};
use crate::domain::page::PageRequest;
use crate::domain::review::client_key;
use crate::domain::review::TipStatus;
use crate::domain::shop::random_code;
use crate::domain::vocabulary::{valid_choice, Choice};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{ValidJson, ValidQuery};
use crate::state::AppState;
use crate::storage::tips::{NewTip, TipError, TipRecord};

/// Length of a tip-off receipt.
const RECEIPT_LEN: usize = 10;

/// A resident's report of a concrete problem.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TipRequest {
    #[validate(custom(function = "valid_choice"))]
    #[schema(value_type = HazardType)]
    pub hazard_type: Choice<HazardType>,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub description: String,
    /// How an inspector may reach the reporter; shown to inspectors only.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub contact: Option<String>,
}

/// What the reporter keeps: a receipt to check the tip's status with.
#[derive(Debug, Serialize, ToSchema)]
pub struct TipReceipt {
    #[schema(example = "K7MPQ2XA3B")]
    pub receipt: String,
    pub status: TipStatus,
}

/// Report a problem at a shop (anyone; ten tip-offs an hour per client, twenty an hour per shop).
#[utoipa::path(
    tag = "public",
    params(("code" = String, Path, description = "The door code", max_length = 8)),
    request_body = TipRequest,
    responses(
        (status = 201, description = "Received", body = TipReceipt),
        (status = 404, description = "No open shop has this code", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
        (status = 429, description = "Too many tip-offs from this client or for this shop", body = ErrorEnvelope),
    )
)]
#[post("/v1/public/shops/{code}/tips")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn post_tip(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    ValidJson(body): ValidJson<TipRequest>,
) -> Result<HttpResponse, ApiError> {
    let shop = open_shop_by_code(&state, &code).await?;
    let client = client_key(&client_address(&req, &state.settings.trusted_proxies));
    let tip = NewTip {
        shop_id: shop.id,
        hazard_type: body.hazard_type.get("hazard_type")?,
        description: body.description.trim(),
        contact: body.contact.as_deref().map(str::trim),
        client_key: &client,
    };
    let record = state
        .store
        .record_tip(&tip, &state.abuse, state.now_ms(), || {
            random_code(&mut rand::thread_rng(), RECEIPT_LEN)
        })
        .await?;
    Ok(HttpResponse::Created().json(TipReceipt {
        receipt: record.receipt,
        status: record.status,
    }))
}

/// A tip-off's status, for its reporter.
#[derive(Debug, Serialize, ToSchema)]
pub struct TipStatusView {
    pub status: TipStatus,
}

/// The status of a tip-off by its receipt (anyone holding the receipt).
#[utoipa::path(
    tag = "public",
    params(("receipt" = String, Path, description = "The receipt given when the tip was sent", max_length = 10)),
    responses(
        (status = 200, description = "The status", body = TipStatusView),
        (status = 404, description = "No tip has this receipt", body = ErrorEnvelope),
    )
)]
#[get("/v1/public/tips/{receipt}")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_tip_status(
    state: web::Data<AppState>,
    receipt: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let receipt = receipt.trim().to_ascii_uppercase();
    // A receipt of another length names no tip: no need to ask the database.
    if receipt.len() != RECEIPT_LEN {
        return Err(ApiError::NotFound("tip"));
    }
    let tip = state
        .store
        .tip_by_receipt(&receipt)
        .await?
        .ok_or(ApiError::NotFound("tip"))?;
    Ok(HttpResponse::Ok().json(TipStatusView { status: tip.status }))
}

/// A tip-off as inspectors see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TipView {
    pub id: i64,
    pub shop_id: i64,
    pub hazard_type: HazardType,
    pub description: String,
    pub contact: Option<String>,
    pub status: TipStatus,
    /// Why it was dismissed (the inspector's words).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
    /// The finding it became.
    pub hazard_id: Option<i64>,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

impl From<TipRecord> for TipView {
    fn from(t: TipRecord) -> Self {
        Self {
            id: t.id,
            shop_id: t.shop_id,
            hazard_type: t.hazard_type,
            description: t.description,
            contact: t.contact,
            status: t.status,
            reason: t.reason,
            hazard_id: t.hazard_id,
            created_at: rfc3339(t.created_at),
            resolved_at: t.resolved_at.map(rfc3339),
        }
    }
}

/// Filters of the tip list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TipListQuery {
    #[validate(length(max = 128))]
    #[param(max_length = 128, pattern = r"^v1\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    #[validate(custom(function = "valid_choice"))]
    #[param(value_type = Option<TipStatus>)]
    pub status: Option<Choice<TipStatus>>,
}

/// Tip-offs for the caller's grids (inspectors) or the district (regulators).
#[utoipa::path(
    tag = "evidence",
    params(TipListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of tip-offs", body = Paged<TipView>),
        (status = 403, description = "Owners do not see tip-offs", body = ErrorEnvelope),
        Authenticated,
    )
)]
#[get("/v1/tips")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_tips(
    state: web::Data<AppState>,
    who: Principal,
    ValidQuery(query): ValidQuery<TipListQuery>,
) -> Result<HttpResponse, ApiError> {
    who.require(FIELD_STAFF)?;
    let page = PageRequest::parse(query.cursor.as_deref(), query.limit)?;
    let status = query.status.map(|s| s.get("status")).transpose()?;
    let records = state
        .store
        .list_tips(who.visibility(), status, page)
        .await?;
    Ok(HttpResponse::Ok().json(Paged::from_page(records, TipView::from)))
}

/// An inspector's confirmation of a tip-off.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyTipRequest {
    #[validate(custom(function = "valid_choice"))]
    #[schema(value_type = Severity)]
    pub severity: Choice<Severity>,
    /// What the inspector found; defaults to the reporter's description.
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub description: Option<String>,
}

/// A verified tip-off and the finding it became.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedTip {
    pub tip: TipView,
    pub hazard: HazardView,
}

impl From<TipError> for ApiError {
    fn from(err: TipError) -> Self {
        match err {
            TipError::NotFound => ApiError::NotFound("tip"),
            TipError::AlreadyResolved(s) => ApiError::Conflict(format!("the tip is already {s}")),
            TipError::Database(e) => e.into(),
        }
    }
}

/// Verify a tip-off (inspectors of the shop's grid, regulators): it becomes a hazard with source
/// `tip_off`, observed now.
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Tip id")),
    request_body = VerifyTipRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Verified into a finding", body = VerifiedTip),
        (status = 403, description = "Owners do not verify tips", body = ErrorEnvelope),
        (status = 404, description = "No such tip visible to the caller", body = ErrorEnvelope),
        (status = 409, description = "Already verified or dismissed", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
        Authenticated,
    )
)]
#[post("/v1/tips/{id}/verify")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn verify_tip(
    state: web::Data<AppState>,
    TipInView { tip, who }: TipInView,
    ValidJson(body): ValidJson<VerifyTipRequest>,
) -> Result<HttpResponse, ApiError> {
    let now = state.now_ms();
    let hazard = Finding {
        source: HazardSource::TipOff,
        severity: body.severity.get("severity")?,
        hazard_type: tip.hazard_type,
        item_id: None,
        description: Text::as_written(body.description.unwrap_or_else(|| tip.description.clone())),
        evidence: Vec::new(),
        observed_at: now,
    }
    .open(&state.policy(), now, state.settings.utc_offset_minutes);
    let (tip, hazard) = state
        .store
        .verify_tip(tip.id, &hazard, now, &actor(&who))
        .await?;
    state.rescore_after_write(tip.shop_id).await;
    Ok(HttpResponse::Created().json(VerifiedTip {
        tip: tip.into(),
        hazard: HazardView::from_record(hazard, now)?,
    }))
}

/// Why a tip-off is dismissed.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissTipRequest {
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Dismiss a tip-off with a reason (inspectors of the shop's grid, regulators).
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Tip id")),
    request_body = DismissTipRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Dismissed", body = TipView),
        (status = 403, description = "Owners do not dismiss tips", body = ErrorEnvelope),
        (status = 404, description = "No such tip visible to the caller", body = ErrorEnvelope),
        (status = 409, description = "Already verified or dismissed", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
        Authenticated,
    )
)]
#[post("/v1/tips/{id}/dismiss")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn dismiss_tip(
    state: web::Data<AppState>,
    TipInView { tip, who }: TipInView,
    ValidJson(body): ValidJson<DismissTipRequest>,
) -> Result<HttpResponse, ApiError> {
    let record = state
        .store
        .dismiss_tip(tip.id, body.reason.trim(), state.now_ms(), &actor(&who))
        .await?;
    Ok(HttpResponse::Ok().json(TipView::from(record)))
}

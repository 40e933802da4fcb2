//! Residents' reviews and their moderation.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::access::{actor, client_address, ShopInView};
use super::public::open_shop_by_code;
use super::responses::{DistrictOnly, ShopScoped};
use super::{rfc3339, Paged};
use crate::auth::{Authorized, DistrictStaff};
use crate::domain::page::PageRequest;
use crate::domain::review::{
    client_key, text_key, HoldReason, ReviewDecision, ReviewStatus, Stars,
};
use crate::domain::vocabulary::{valid_choice, Choice};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{ValidJson, ValidQuery};
use crate::state::AppState;
use crate::storage::reviews::{NewReview, ReviewRecord};

/// A resident's rating of a shop.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// 1 (worst) to 5 (best).
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub text: Option<String>,
}

/// What happened to a review: `counted`, or `held` for moderation (kept, not counted yet).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewReceipt {
    pub status: ReviewStatus,
}

/// Rate a shop (anyone). Limits: a client may rate a shop once a day and ten shops an hour (429
/// with `Retry-After`). Duplicate texts and bursts are kept but held until a regulator clears them.
#[utoipa::path(
    tag = "public",
    params(("code" = String, Path, description = "The door code", max_length = 8)),
    request_body = ReviewRequest,
    responses(
        (status = 201, description = "Recorded", body = ReviewReceipt),
        (status = 404, description = "No open shop has this code", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
        (status = 429, description = "Too many reviews from this client", body = ErrorEnvelope),
    )
)]
#[post("/v1/public/shops/{code}/reviews")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn post_review(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    ValidJson(body): ValidJson<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let shop = open_shop_by_code(&state, &code).await?;
    let stars = Stars::parse(body.rating).map_err(|e| ApiError::field("rating", e.0))?;
    let text = body
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let key = text.and_then(text_key);
    let client = client_key(&client_address(&req, &state.settings.trusted_proxies));
    let review = NewReview {
        shop_id: shop.id,
        rating: stars.get(),
        text,
        text_key: key.as_deref(),
        client_key: &client,
    };
    let record = state
        .store
        .record_review(&review, &state.abuse, state.now_ms())
        .await?;
    state.rescore_after_write(shop.id).await;
    Ok(HttpResponse::Created().json(ReviewReceipt {
        status: record.status,
    }))
}

/// A review as owners, inspectors and regulators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    pub id: i64,
    pub shop_id: i64,
    pub rating: i64,
    pub text: Option<String>,
    pub status: ReviewStatus,
    /// Why it is held.
    pub hold_reason: Option<HoldReason>,
    /// False once a dispute about it was upheld, or while held.
    pub counted: bool,
    pub created_at: String,
    pub cleared_at: Option<String>,
}

impl From<ReviewRecord> for ReviewView {
    fn from(r: ReviewRecord) -> Self {
        Self {
            counted: r.status == ReviewStatus::Counted && !r.excluded,
            id: r.id,
            shop_id: r.shop_id,
            rating: r.rating,
            text: r.text,
            status: r.status,
            hold_reason: r.hold_reason,
            created_at: rfc3339(r.created_at),
            cleared_at: r.cleared_at.map(rfc3339),
        }
    }
}

/// Paging of review lists.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewListQuery {
    #[validate(length(max = 128))]
    #[param(max_length = 128, pattern = r"^v1\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    /// For the district queue: `held` (default) or `counted`.
    #[validate(custom(function = "valid_choice"))]
    #[param(value_type = Option<ReviewStatus>)]
    pub status: Option<Choice<ReviewStatus>>,
}

/// A shop's reviews, held ones included.
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Shop id"), ReviewListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of reviews", body = Paged<ReviewView>),
        ShopScoped,
    )
)]
#[get("/v1/shops/{id}/reviews")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_shop_reviews(
    state: web::Data<AppState>,
    ShopInView { shop, who: _ }: ShopInView,
    ValidQuery(query): ValidQuery<ReviewListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::parse(query.cursor.as_deref(), query.limit)?;
    let records = state.store.shop_reviews(shop.id, page).await?;
    Ok(HttpResponse::Ok().json(Paged::from_page(records, ReviewView::from)))
}

/// The district's review moderation queue (regulators, admins).
#[utoipa::path(
    tag = "moderation",
    params(ReviewListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of reviews", body = Paged<ReviewView>),
        DistrictOnly,
    )
)]
#[get("/v1/reviews")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_reviews(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
    ValidQuery(query): ValidQuery<ReviewListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::parse(query.cursor.as_deref(), query.limit)?;
    let status = query
        .status
        .map(|s| s.get("status"))
        .transpose()?
        .unwrap_or(ReviewStatus::Held);
    let records = state.store.reviews_by_status(status, page).await?;
    Ok(HttpResponse::Ok().json(Paged::from_page(records, ReviewView::from)))
}

/// Clear a held review (regulators, admins): it counts from now on.
#[utoipa::path(
    tag = "moderation",
    params(("id" = i64, Path, description = "Review id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cleared", body = ReviewView),
        (status = 404, description = "No held review with this id", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[post("/v1/reviews/{id}/clear")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn clear_review(
    state: web::Data<AppState>,
    staff: Authorized<DistrictStaff>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let record = state
        .store
        .clear_review(id.into_inner(), state.now_ms(), &actor(&staff.0))
        .await?
        .ok_or(ApiError::NotFound("held review"))?;
    state.rescore_after_write(record.shop_id).await;
    Ok(HttpResponse::Ok().json(ReviewView::from(record)))
}

/// A regulator's decision on several held reviews at once.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecisionRequest {
    /// `clear`: they count from now on. `reject`: they stay in history and never count.
    #[validate(custom(function = "valid_choice"))]
    #[schema(value_type = ReviewDecision)]
    pub decision: Choice<ReviewDecision>,
    /// Ids of held reviews, 1 to 200.
    #[validate(length(min = 1, max = 200, message = "name 1 to 200 review ids"))]
    #[schema(min_items = 1, max_items = 200)]
    pub ids: Vec<i64>,
}

/// What a bulk decision did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDecisionResult {
    pub decision: ReviewDecision,
    /// The reviews decided, as they are now.
    pub decided: Vec<ReviewView>,
    /// Ids that were not held (unknown, or already decided): left as they were.
    pub not_held: Vec<i64>,
}

/// Clear or reject held reviews in bulk (regulators, admins), in one transaction. A rejected review
/// stays in history (status `rejected`) and never counts.
#[utoipa::path(
    tag = "moderation",
    request_body = ReviewDecisionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Decided", body = ReviewDecisionResult),
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[post("/v1/reviews/decisions")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn decide_reviews(
    state: web::Data<AppState>,
    staff: Authorized<DistrictStaff>,
    ValidJson(body): ValidJson<ReviewDecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let decision = body.decision.get("decision")?;
    let mut ids = body.ids;
    ids.sort_unstable();
    ids.dedup();
    let (decided, not_held) = state
        .store
        .decide_held_reviews(&ids, decision, state.now_ms(), &actor(&staff.0))
        .await?;
    let mut shops: Vec<i64> = decided.iter().map(|r| r.shop_id).collect();
    shops.sort_unstable();
    shops.dedup();
    for shop in shops {
        state.rescore_after_write(shop).await;
    }
    Ok(HttpResponse::Ok().json(ReviewDecisionResult {
        decision,
        decided: decided.into_iter().map(ReviewView::from).collect(),
        not_held,
    }))
}

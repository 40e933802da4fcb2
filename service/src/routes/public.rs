//! Anonymous routes for residents: look a shop up by its door code, or search by name or address.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use super::score_views::ScoreView;
use super::shop_views::{PublicReason, PublicShopResponse, PublicStanding};
use super::Paged;
use crate::domain::page::PageRequest;
use crate::domain::shop::{ShopCode, ShopStatus};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::ValidQuery;
use crate::state::AppState;
use crate::storage::shops::ShopRecord;

/// A shop's public view by its door code (any case).
#[utoipa::path(
    tag = "public",
    params(("code" = String, Path, description = "The door code, case-insensitive", max_length = 8)),
    responses(
        (status = 200, description = "The shop's public view", body = PublicShopResponse),
        (status = 404, description = "No shop has this code", body = ErrorEnvelope),
    )
)]
#[get("/v1/public/shops/{code}")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_public_shop(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // A malformed code names no shop: 404, like an unknown one.
    let code = ShopCode::parse(&code).map_err(|_| ApiError::NotFound("shop"))?;
    let record = state
        .store
        .shop_by_code(&code)
        .await?
        .ok_or(ApiError::NotFound("shop"))?;
    let standing = standing(&state, record.id).await?;
    Ok(HttpResponse::Ok().json(PublicShopResponse::from_record(
        record,
        &state.settings.public_base_url,
        standing,
    )?))
}

/// A shop's counted rating, current score and last inspection.
async fn standing(state: &AppState, shop_id: i64) -> Result<PublicStanding, ApiError> {
    let score = state.store.current_score(shop_id).await?;
    let mut reasons = Vec::new();
    if let Some(current) = &score {
        if let Some(snapshot) = state.store.snapshot(current.snapshot_id).await? {
            let assessment = crate::assessor::stored_assessment(&snapshot)?;
            reasons = ScoreView::from_assessment(shop_id, &assessment, None)
                .reasons
                .into_iter()
                .map(|r| PublicReason {
                    code: r.code,
                    message_zh: r.message_zh,
                    message_en: r.message_en,
                })
                .collect();
        }
    }
    Ok(PublicStanding {
        rating: state.store.counted_rating(shop_id).await?,
        score,
        last_patrol_at: state.store.last_patrol_at(shop_id).await?,
        reasons,
    })
}

/// An open shop by its door code, for residents' reviews and tip-offs; unknown, malformed and
/// closed codes are all 404.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn open_shop_by_code(state: &AppState, code: &str) -> Result<ShopRecord, ApiError> {
    let code = ShopCode::parse(code).map_err(|_| ApiError::NotFound("shop"))?;
    state
        .store
        .shop_by_code(&code)
        .await?
        .filter(|s| s.status == ShopStatus::Open)
        .ok_or(ApiError::NotFound("shop"))
}

/// Search of `GET /v1/public/shops`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PublicSearchQuery {
    /// Substring of the name or address.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    #[validate(length(max = 128))]
    #[param(max_length = 128, pattern = r"^v1\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, default 50; larger values are capped at 200.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<i64>,
}

/// Open shops whose name or address contains `q`, cursor-paged. Closed shops are not listed.
#[utoipa::path(
    tag = "public",
    params(PublicSearchQuery),
    responses(
        (status = 200, description = "A page of shops", body = Paged<PublicShopResponse>),
        (status = 422, description = "Invalid query or cursor", body = ErrorEnvelope),
    )
)]
#[get("/v1/public/shops")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search_public_shops(
    state: web::Data<AppState>,
    ValidQuery(query): ValidQuery<PublicSearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::parse(query.cursor.as_deref(), query.limit)?;
    let records = state
        .store
        .search_open_shops(query.q.as_deref(), page)
        .await?;
    let base = &state.settings.public_base_url;
    let mut items = Vec::with_capacity(records.items.len());
    for record in records.items {
        let standing = standing(&state, record.id).await?;
        items.push(PublicShopResponse::from_record(record, base, standing)?);
    }
    Ok(HttpResponse::Ok().json(Paged {
        items,
        next_cursor: records.next.map(|c| c.encode()),
    }))
}

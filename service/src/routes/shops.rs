//! The shops registry for authenticated callers.

use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpResponse};

use super::access::{actor, ShopInView, WithRole};
use super::responses::{Authenticated, ShopScoped};
use super::shop_views::{CreateShopRequest, ShopListQuery, ShopResponse, UpdateShopRequest};
use super::{grid_filter, ranked_page, Paged};
use crate::auth::{Authorized, DistrictStaff, Principal};
use crate::domain::page::RankCursor;
use crate::domain::shop::{Category, ShopCode, ShopOrder};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{ValidJson, ValidQuery};
use crate::state::AppState;
use crate::storage::shops::{ShopFilter, ShopRecord, ShopWriteError};

/// The answer to a refused registration or change.
fn write_error(err: ShopWriteError) -> ApiError {
    match err {
        ShopWriteError::UnknownGrid(grid) => ApiError::field(
            "grid",
            format!("grid {grid} is not registered: see GET /v1/grids"),
        ),
        ShopWriteError::CreditCodeTaken { shop_id } => ApiError::Conflict(format!(
            "credit_code: shop {shop_id} already carries this unified social credit code"
        )),
        ShopWriteError::LikelyDuplicate { shop_id } => ApiError::Conflict(format!(
            "shop {shop_id} has the same name and address; send \"confirm_duplicate\": true to \
             register another shop there anyway"
        )),
        ShopWriteError::Database(e) => e.into(),
    }
}

/// A shop as staff see it, with its current score.
async fn shop_view(state: &AppState, record: ShopRecord) -> Result<ShopResponse, ApiError> {
    let score = state
        .store
        .current_score(record.id)
        .await?
        .map(|s| (s.score, s.colour));
    ShopResponse::from_record(record, score, &state.settings.public_base_url)
}

/// Register a shop (regulators and admins). Answers the shop with its `id` and door `code`.
#[utoipa::path(
    tag = "shops",
    request_body = CreateShopRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = ShopResponse),
        (status = 403, description = "Role may not register shops", body = ErrorEnvelope),
        (status = 409, description = "Another shop carries this `credit_code`, or has the same name and address (the message names its id; send `confirm_duplicate: true` to register anyway)", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields, or a grid that is not registered", body = ErrorEnvelope),
        Authenticated,
    )
)]
#[post("/v1/shops")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_shop(
    state: web::Data<AppState>,
    staff: Authorized<DistrictStaff>,
    ValidJson(body): ValidJson<CreateShopRequest>,
) -> Result<HttpResponse, ApiError> {
    let refuse_duplicates = !body.confirm_duplicate;
    let shop = body.into_domain()?;
    let record = state
        .store
        .create_shop(
            &shop,
            refuse_duplicates,
            state.now_ms(),
            &actor(&staff.0),
            || ShopCode::generate(&mut rand::thread_rng()),
        )
        .await
        .map_err(write_error)?;
    state.rescore_after_write(record.id).await;
    let location = format!("/v1/shops/{}", record.id);
    let view = shop_view(&state, record).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(view))
}

/// One shop. Owners see only their shops and inspectors only their grids' shops; others are 404.
#[utoipa::path(
    tag = "shops",
    params(("id" = i64, Path, description = "Shop id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The shop", body = ShopResponse),
        ShopScoped,
    )
)]
#[get("/v1/shops/{id}")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_shop(
    state: web::Data<AppState>,
    ShopInView { shop, .. }: ShopInView,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(shop_view(&state, shop).await?))
}

/// Change a shop's details, or close it (regulators and admins). Shops are never deleted.
#[utoipa::path(
    tag = "shops",
    params(("id" = i64, Path, description = "Shop id")),
    request_body = UpdateShopRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated shop", body = ShopResponse),
        (status = 403, description = "Role may not change shops", body = ErrorEnvelope),
        (status = 409, description = "Another shop carries this `credit_code`", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields, or a grid that is not registered", body = ErrorEnvelope),
        ShopScoped,
    )
)]
#[patch("/v1/shops/{id}")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_shop(
    state: web::Data<AppState>,
    // Existence first, then permission: a shop the caller may not see is 404, never 403.
    WithRole(ShopInView { shop, who }, _): WithRole<ShopInView, DistrictStaff>,
    ValidJson(body): ValidJson<UpdateShopRequest>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.into_domain()?;
    let record = state
        .store
        .update_shop(
            shop.id,
            who.visibility(),
            &changes,
            state.now_ms(),
            &actor(&who),
        )
        .await
        .map_err(write_error)?
        .ok_or(ApiError::NotFound("shop"))?;
    Ok(HttpResponse::Ok().json(shop_view(&state, record).await?))
}

/// The shops the caller may see with their score and colour, filtered (grid, category, colour,
/// text) and cursor-paged in registration order, by score or by colour.
#[utoipa::path(
    tag = "shops",
    params(ShopListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of shops", body = Paged<ShopResponse>),
        (status = 422, description = "Invalid filter or cursor", body = ErrorEnvelope),
        Authenticated,
    )
)]
#[get("/v1/shops")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_shops(
    state: web::Data<AppState>,
    who: Principal,
    ValidQuery(query): ValidQuery<ShopListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (after, limit) = ranked_page(query.cursor.as_deref(), query.limit)?;
    let filter = ShopFilter {
        grid: grid_filter(query.grid.as_deref())?,
        category: query
            .category
            .as_deref()
            .map(Category::parse)
            .transpose()
            .map_err(|e| ApiError::field("category", e.0))?,
        colour: query.colour.map(|c| c.get("colour")).transpose()?,
        text: query.q,
    };
    let order = query
        .order
        .map(|o| o.get("order"))
        .transpose()?
        .unwrap_or(ShopOrder::Registered);
    let (rows, next) = state
        .store
        .list_shops(who.visibility(), &filter, order, after, limit.get())
        .await?;
    let base = &state.settings.public_base_url;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let score = row.score.zip(row.colour);
        items.push(ShopResponse::from_record(row.shop, score, base)?);
    }
    Ok(HttpResponse::Ok().json(Paged {
        items,
        next_cursor: next.map(RankCursor::encode),
    }))
}

//! The shops registry for authenticated callers.

use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpResponse};

use super::access::{actor, ShopInView};
use super::responses::{Authenticated, ShopScoped};
use super::shop_views::{CreateShopRequest, ShopListQuery, ShopResponse, UpdateShopRequest};
use super::Paged;
use crate::auth::{Authorized, DistrictStaff, Principal};
use crate::domain::page::PageRequest;
use crate::domain::role::Role;
use crate::domain::shop::{Category, GridCode, ShopCode};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{ValidJson, ValidQuery};
use crate::state::AppState;
use crate::storage::shops::ShopFilter;

/// Register a shop (regulators and admins). Answers the shop with its `id` and door `code`.
#[utoipa::path(
    tag = "shops",
    request_body = CreateShopRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = ShopResponse),
        (status = 403, description = "Role may not register shops", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
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
    let shop = body.into_domain()?;
    let record = state
        .store
        .create_shop(&shop, state.now_ms(), &actor(&staff.0), || {
            ShopCode::generate(&mut rand::thread_rng())
        })
        .await?;
    state.rescore_after_write(record.id).await;
    let location = format!("/v1/shops/{}", record.id);
    let view = ShopResponse::from_record(record, &state.settings.public_base_url)?;
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
    let base_url = &state.settings.public_base_url;
    Ok(HttpResponse::Ok().json(ShopResponse::from_record(shop, base_url)?))
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
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
        ShopScoped,
    )
)]
#[patch("/v1/shops/{id}")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_shop(
    state: web::Data<AppState>,
    ShopInView { shop, who }: ShopInView,
    ValidJson(body): ValidJson<UpdateShopRequest>,
) -> Result<HttpResponse, ApiError> {
    // Existence first (ShopInView), then permission: a shop the caller may not see is 404, never 403.
    who.require(&[Role::Regulator, Role::Admin])?;
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
        .await?
        .ok_or(ApiError::NotFound("shop"))?;
    Ok(HttpResponse::Ok().json(ShopResponse::from_record(
        record,
        &state.settings.public_base_url,
    )?))
}

/// The shops the caller may see, filtered and cursor-paged in registration order.
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
    let page = PageRequest::parse(query.cursor.as_deref(), query.limit)?;
    let filter = ShopFilter {
        grid: query
            .grid
            .as_deref()
            .map(GridCode::parse)
            .transpose()
            .map_err(|e| ApiError::field("grid", e.0))?,
        category: query
            .category
            .as_deref()
            .map(Category::parse)
            .transpose()
            .map_err(|e| ApiError::field("category", e.0))?,
        text: query.q,
    };
    let records = state
        .store
        .list_shops(who.visibility(), &filter, page)
        .await?;
    let base = &state.settings.public_base_url;
    let mut items = Vec::with_capacity(records.items.len());
    for record in records.items {
        items.push(ShopResponse::from_record(record, base)?);
    }
    Ok(HttpResponse::Ok().json(Paged {
        items,
        next_cursor: records.next.map(|c| c.encode()),
    }))
}

//! The grids registry: regulators and admins register grids; anyone signed in may list them.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::responses::{Authenticated, DistrictOnly};
use super::{rfc3339, Paged};
use crate::auth::{Authorized, DistrictStaff, Principal};
use crate::domain::check;
use crate::domain::shop::{GridCode, GridName};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::ValidJson;
use crate::state::AppState;
use crate::storage::grids::{GridError, GridRecord};

fn valid_code(v: &str) -> Result<(), ValidationError> {
    check(GridCode::parse(v))
}
fn valid_name(v: &str) -> Result<(), ValidationError> {
    check(GridName::parse(v))
}

/// Registers a grid.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGridRequest {
    /// 1 to 16 letters, digits or dashes; stored upper-case.
    #[validate(custom(function = "valid_code"))]
    #[schema(
        min_length = 1,
        max_length = 16,
        pattern = "^[A-Za-z0-9][A-Za-z0-9-]{0,15}$",
        example = "G01"
    )]
    pub code: String,
    /// The name people know the area by.
    #[validate(custom(function = "valid_name"))]
    #[schema(min_length = 1, max_length = 100, example = "文三社区")]
    pub name: String,
}

/// A registered grid.
#[derive(Debug, Serialize, ToSchema)]
pub struct GridView {
    #[schema(example = "G01")]
    pub code: String,
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
}

impl From<GridRecord> for GridView {
    fn from(r: GridRecord) -> Self {
        Self {
            code: r.code,
            name: r.name,
            created_at: rfc3339(r.created_at),
        }
    }
}

/// Register a grid (regulators, admins). Shops and inspectors' tokens may name it from then on.
#[utoipa::path(
    tag = "shops",
    request_body = CreateGridRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = GridView),
        (status = 409, description = "The grid is already registered", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[post("/v1/grids")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_grid(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
    ValidJson(body): ValidJson<CreateGridRequest>,
) -> Result<HttpResponse, ApiError> {
    let code = GridCode::parse(&body.code).map_err(|e| ApiError::field("code", e.0))?;
    let name = GridName::parse(&body.name).map_err(|e| ApiError::field("name", e.0))?;
    let grid = state
        .store
        .create_grid(&code, &name, state.now_ms())
        .await
        .map_err(|e| match e {
            GridError::Exists(_) => ApiError::Conflict(e.to_string()),
            GridError::Database(e) => e.into(),
        })?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, "/v1/grids"))
        .json(GridView::from(grid)))
}

/// Every registered grid, in code order, on one page (a district has a few dozen grids, so
/// `next_cursor` is always `null`).
#[utoipa::path(
    tag = "shops",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The grids", body = Paged<GridView>),
        Authenticated,
    )
)]
#[get("/v1/grids")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_grids(
    state: web::Data<AppState>,
    _who: Principal,
) -> Result<HttpResponse, ApiError> {
    let grids = state.store.grids().await?;
    Ok(HttpResponse::Ok().json(Paged {
        items: grids.into_iter().map(GridView::from).collect::<Vec<_>>(),
        next_cursor: None,
    }))
}

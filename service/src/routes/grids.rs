//! The grids registry: regulators and admins register grids; anyone signed in may list them.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::responses::{Authenticated, DistrictOnly};
use super::{rfc3339, Paged};
use crate::auth::{Authorized, DistrictStaff, Principal};
use crate::domain::check;
use crate::domain::page::Limit;
use crate::domain::shop::{GridCode, GridName};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{ValidJson, ValidQuery};
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
    #[schema(
        min_length = 1,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 100,
        example = "文三社区"
    )]
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

/// Paging of the grid list: grids are keyed by their code, so the cursor is the last code seen.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GridListQuery {
    /// The `next_cursor` of the previous page.
    #[validate(length(max = 19))]
    #[param(max_length = 19, pattern = r"^g1\.[A-Za-z0-9][A-Za-z0-9-]{0,15}$")]
    pub cursor: Option<String>,
    /// Items per page: 50 by default, at most 200.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<i64>,
}

/// The cursor after `code`.
fn grid_cursor(code: &str) -> String {
    format!("g1.{code}")
}

fn parse_grid_cursor(cursor: &str) -> Result<GridCode, ApiError> {
    cursor
        .strip_prefix("g1.")
        .filter(|code| code.trim() == *code)
        .and_then(|code| GridCode::parse(code).ok())
        .ok_or_else(|| ApiError::field("cursor", "not a cursor returned by this list"))
}

/// The registered grids, in code order.
#[utoipa::path(
    tag = "shops",
    params(GridListQuery),
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
    ValidQuery(query): ValidQuery<GridListQuery>,
) -> Result<HttpResponse, ApiError> {
    let after = query.cursor.as_deref().map(parse_grid_cursor).transpose()?;
    let limit = Limit::parse(query.limit).map_err(|e| ApiError::field("limit", e.0))?;
    let mut grids = state
        .store
        .grids(after.as_ref(), limit.get().saturating_add(1))
        .await?;
    let more = limit.cut(&mut grids);
    let next_cursor = grids.last().filter(|_| more).map(|g| grid_cursor(&g.code));
    Ok(HttpResponse::Ok().json(Paged {
        items: grids.into_iter().map(GridView::from).collect::<Vec<_>>(),
        next_cursor,
    }))
}

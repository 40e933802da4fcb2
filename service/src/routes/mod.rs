//! HTTP routes. Handlers are thin: extract → validate → domain → store → respond.

pub mod access;
pub mod cases;
pub mod disputes;
pub mod enforcement;
pub mod fallback;
pub mod grids;
pub mod guide;
pub mod hazard_views;
pub mod hazards;
pub mod health;
pub mod jobs;
pub mod patrols;
pub mod policies;
pub mod public;
pub mod responses;
pub mod reviews;
pub mod score_views;
pub mod scores;
pub mod selfchecks;
pub mod shop_views;
pub mod shops;
pub mod tips;
pub mod trail;

use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use crate::domain::page::{Limit, Page, PageRequest, RankCursor};
use crate::domain::shop::GridCode;
use crate::error::ApiError;
use crate::storage::CorruptRow;

/// Registers every documented route. Used both by the server and by the OpenAPI generator, so the
/// document cannot miss a route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(shops::create_shop)
        .service(shops::list_shops)
        .service(shops::get_shop)
        .service(shops::update_shop)
        .service(grids::create_grid)
        .service(grids::list_grids)
        .service(selfchecks::get_checklist)
        .service(selfchecks::submit_self_check)
        .service(patrols::record_patrol)
        .service(hazards::list_hazards)
        .service(hazards::hazard_queue)
        .service(hazards::get_hazard)
        .service(hazards::submit_rectification)
        .service(hazards::verify_rectification)
        .service(reviews::list_shop_reviews)
        .service(reviews::list_reviews)
        .service(reviews::clear_review)
        .service(reviews::decide_reviews)
        .service(tips::list_tips)
        .service(tips::verify_tip)
        .service(tips::dismiss_tip)
        .service(disputes::open_dispute)
        .service(disputes::list_shop_disputes)
        .service(disputes::list_disputes)
        .service(disputes::resolve_dispute)
        .service(scores::get_score)
        .service(scores::score_history)
        .service(policies::current_policy)
        .service(policies::list_policies)
        .service(policies::get_policy)
        .service(policies::create_policy)
        .service(policies::backtest_policy)
        .service(policies::adopt_policy)
        .service(jobs::get_job)
        .service(cases::list_cases)
        .service(cases::get_case)
        .service(cases::add_case_action)
        .service(enforcement::list_notices)
        .service(enforcement::event_feed)
        .service(trail::list_events)
        .service(trail::list_alerts)
        .service(guide::get_how_scores_work)
        .service(public::get_public_shop)
        .service(public::search_public_shops)
        .service(reviews::post_review)
        .service(tips::post_tip)
        .service(tips::get_tip_status);
}

/// A page of a list: `{"items": [...], "next_cursor": "..." | null}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Paged<T> {
    /// A page of stored records shown as `T`.
    pub fn from_page<R>(page: Page<R>, view: impl FnMut(R) -> T) -> Self {
        let page = page.map(view);
        Self {
            items: page.items,
            next_cursor: page.next.map(|c| c.encode()),
        }
    }
}

/// Paging of a list with no filters: where to resume and how many.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page.
    // 128 everywhere: the longest cursor handed out (a policy list's, after a 64-character
    // version) is 90 characters.
    #[validate(length(max = 128))]
    #[param(max_length = 128, pattern = r"^v1\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Items per page: 50 by default, at most 200.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<i64>,
}

impl PageQuery {
    /// The page asked for; a bad cursor or limit names its field.
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        PageRequest::parse(self.cursor.as_deref(), self.limit)
    }
}

/// Where a ranked list resumes (`cursor`, a [`RankCursor`]) and how many items it answers.
pub fn ranked_page(
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<(Option<RankCursor>, Limit), ApiError> {
    let after = cursor
        .map(RankCursor::parse)
        .transpose()
        .map_err(|e| ApiError::field("cursor", e.0))?;
    let limit = Limit::parse(limit).map_err(|e| ApiError::field("limit", e.0))?;
    Ok((after, limit))
}

/// An optional `grid` filter of a list.
pub fn grid_filter(grid: Option<&str>) -> Result<Option<GridCode>, ApiError> {
    grid.map(GridCode::parse)
        .transpose()
        .map_err(|e| ApiError::field("grid", e.0))
}

/// Stored JSON text as a value; text that does not parse is an error, never silently empty.
pub fn stored_json(
    table: &'static str,
    id: i64,
    column: &'static str,
    text: &str,
) -> Result<serde_json::Value, CorruptRow> {
    serde_json::from_str(text).map_err(|e| CorruptRow::new(table, id, column, e))
}

pub use crate::clock::rfc3339;

//! The owner's notices and the event feed for other systems (the enforcement queue is in `cases`).

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::access::ShopInView;
use super::responses::{DistrictOnly, ShopScoped};
use super::{rfc3339, stored_json, PageQuery, Paged};
use crate::auth::{Authorized, DistrictStaff};
use crate::domain::enforcement::{FeedKind, NoticeKind};
use crate::domain::page::{Limit, PageRequest};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::ValidQuery;
use crate::state::AppState;
use crate::storage::feed::NoticeRecord;

/// A notice for the owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    pub id: i64,
    pub kind: NoticeKind,
    pub at: String,
    pub hazard_id: Option<i64>,
    pub message_zh: String,
    pub message_en: String,
}

impl From<NoticeRecord> for NoticeView {
    fn from(n: NoticeRecord) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            at: rfc3339(n.at),
            hazard_id: n.hazard_id,
            message_zh: n.message_zh,
            message_en: n.message_en,
        }
    }
}

/// The notices sent to a shop's owner, oldest first.
#[utoipa::path(
    tag = "enforcement",
    params(("id" = i64, Path, description = "Shop id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of notices", body = Paged<NoticeView>),
        ShopScoped,
    )
)]
#[get("/v1/shops/{id}/notices")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_notices(
    state: web::Data<AppState>,
    ShopInView { shop, who: _ }: ShopInView,
    ValidQuery(query): ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let records = state.store.shop_notices(shop.id, query.page()?).await?;
    Ok(HttpResponse::Ok().json(Paged::from_page(records, NoticeView::from)))
}

/// Position in the event feed.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `next_cursor` of the previous page (the last event id seen); absent for the start.
    #[validate(length(max = 20))]
    #[param(max_length = 20)]
    pub after: Option<String>,
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<u32>,
}

/// An entry of the event feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedEvent {
    /// Increasing; entries become visible in this order, so paging by it misses nothing.
    pub id: i64,
    pub at: String,
    #[serde(rename = "type")]
    pub kind: FeedKind,
    pub shop_id: i64,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// The event feed for other systems (regulators' and admins' tokens): colour changes and cases
/// opened and closed, in order, with no gaps. `next_cursor` is always the position to resume from
/// (the last id seen), so a follower polls `?after=NEXT_CURSOR` forever. A position past the end of
/// the feed was never given out (a follower would then skip every new event): it is 422.
#[utoipa::path(
    tag = "enforcement",
    params(FeedQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of events", body = Paged<FeedEvent>),
        (status = 422, description = "Invalid position, or a position past the end of the feed", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[get("/v1/events")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn event_feed(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
    ValidQuery(query): ValidQuery<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let after = match query.after.as_deref() {
        None => None,
        Some(text) => Some(crate::domain::page::Cursor::after(
            text.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::field("after", "after is the id of the last event seen"))?,
        )),
    };
    if let Some(after) = after {
        let end = state.store.feed_end().await?;
        if after.last_id() < 0 || after.last_id() > end {
            return Err(ApiError::field(
                "after",
                format!("the feed ends at {end}: after is the id of the last event seen"),
            ));
        }
    }
    let limit = Limit::parse(query.limit).map_err(|e| ApiError::field("limit", e.0))?;
    let records = state.store.feed(PageRequest { after, limit }).await?;
    // A feed is followed, not finished: the cursor is always where to resume (the last id seen),
    // even on the last page for now.
    let next = records
        .items
        .last()
        .map(|f| f.id)
        .or(after.map(|c| c.last_id()))
        .map(|id| id.to_string());
    let items = records
        .items
        .into_iter()
        .map(|f| -> Result<FeedEvent, ApiError> {
            Ok(FeedEvent {
                id: f.id,
                at: rfc3339(f.at),
                kind: f.kind,
                shop_id: f.shop_id,
                details: stored_json("feed", f.id, "details", &f.details)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Paged {
        items,
        next_cursor: next,
    }))
}

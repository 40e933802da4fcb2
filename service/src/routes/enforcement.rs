//! Regulators' enforcement queue, the owner's notices and the event feed for other systems.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::access::{actor, visible_shop};
use super::hazard_views::HazardView;
use super::{rfc3339, Paged};
use crate::auth::{Authorized, DistrictStaff, Principal};
use crate::domain::page::{Limit, PageRequest, RankCursor};
use crate::domain::shop::GridCode;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{ValidJson, ValidQuery};
use crate::startup::AppState;
use crate::storage::enforcement::{ActionRecord, CaseError, CaseRecord, StepRecord};
use crate::storage::feed::NoticeRecord;

/// Actions a regulator records on a case.
const ACTION_KINDS: &[&str] = &["summons", "summons_held", "fine", "suspension", "close"];

fn valid_action(v: &str) -> Result<(), ValidationError> {
    crate::domain::one_of(v, ACTION_KINDS)
}
fn valid_case_status(v: &str) -> Result<(), ValidationError> {
    crate::domain::one_of(v, &["open", "closed"])
}
fn valid_grid(v: &str) -> Result<(), ValidationError> {
    crate::domain::check(GridCode::parse(v))
}

/// A rung taken on a hazard's escalation ladder.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub hazard_id: i64,
    /// `reminder`, `warning`, `summons` or `referral`.
    pub step: String,
    /// RFC 3339: when the rung fell due.
    pub due_at: String,
    /// RFC 3339: when the service took it.
    pub taken_at: String,
}

impl From<StepRecord> for StepView {
    fn from(s: StepRecord) -> Self {
        Self {
            hazard_id: s.hazard_id,
            step: s.step,
            due_at: rfc3339(s.due_at),
            taken_at: rfc3339(s.taken_at),
        }
    }
}

/// A regulator's action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionView {
    pub id: i64,
    pub kind: String,
    pub note: String,
    /// A summons stays pending until it is held.
    pub pending: bool,
    pub at: String,
    pub actor: String,
}

impl From<ActionRecord> for ActionView {
    fn from(a: ActionRecord) -> Self {
        Self {
            id: a.id,
            kind: a.kind,
            note: a.note,
            pending: a.pending != 0,
            at: rfc3339(a.at),
            actor: a.actor,
        }
    }
}

/// An enforcement case; lists carry the summary, the case route the whole story.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub shop_id: i64,
    /// `open` or `closed`.
    pub status: String,
    pub opened_at: String,
    /// `unfixed_past_referral` or `repeated_red`.
    pub reason: String,
    /// 3 critical, 2 major, 1 minor: the queue's order.
    pub severity_rank: i64,
    pub closed_at: Option<String>,
    pub outcome: Option<String>,
    pub hazards: Vec<HazardView>,
    pub steps: Vec<StepView>,
    pub actions: Vec<ActionView>,
    /// The notices the owner was sent (the first 200).
    pub notices: Vec<NoticeView>,
    /// The shop's score changes (the first 200).
    pub score_history: Vec<ScorePoint>,
}

/// One change of the shop's score.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScorePoint {
    pub at: String,
    pub score: i64,
    pub colour: String,
}

async fn case_view(state: &AppState, case: CaseRecord) -> Result<CaseView, ApiError> {
    let now = state.now_ms();
    let hazards = state.store.case_hazards(case.id).await?;
    let ids: Vec<i64> = hazards.iter().map(|h| h.id).collect();
    let steps = state
        .store
        .steps_of_shop(case.shop_id)
        .await?
        .into_iter()
        .filter(|s| ids.contains(&s.hazard_id))
        .map(StepView::from)
        .collect();
    let actions = state
        .store
        .case_actions(case.id)
        .await?
        .into_iter()
        .map(ActionView::from)
        .collect();
    let first_page = PageRequest::parse(None, Some(crate::domain::page::MAX_LIMIT))?;
    let notices = state
        .store
        .shop_notices(case.shop_id, first_page)
        .await?
        .items;
    let history = state
        .store
        .score_history(case.shop_id, first_page)
        .await?
        .items;
    Ok(CaseView {
        id: case.id,
        shop_id: case.shop_id,
        status: case.status,
        opened_at: rfc3339(case.opened_at),
        reason: case.reason,
        severity_rank: case.severity_rank,
        closed_at: case.closed_at.map(rfc3339),
        outcome: case.outcome,
        hazards: HazardView::from_records(hazards, now)?,
        steps,
        actions,
        notices: notices.into_iter().map(NoticeView::from).collect(),
        score_history: history
            .into_iter()
            .map(|p| ScorePoint {
                at: rfc3339(p.at),
                score: p.score,
                colour: p.colour,
            })
            .collect(),
    })
}

/// Filters of the enforcement queue.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseListQuery {
    /// `open` or `closed`.
    #[validate(custom(function = "valid_case_status"))]
    pub status: Option<String>,
    #[validate(custom(function = "valid_grid"))]
    pub grid: Option<String>,
    pub cursor: Option<String>,
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<u32>,
}

/// The enforcement queue (regulators, admins): worst hazard first, then oldest case.
#[utoipa::path(
    tag = "enforcement",
    params(CaseListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of cases", body = Paged<CaseView>),
        (status = 401, description = "No valid token", body = ErrorEnvelope),
        (status = 403, description = "Regulators only", body = ErrorEnvelope),
        (status = 422, description = "Invalid filter or cursor", body = ErrorEnvelope),
    )
)]
#[get("/v1/enforcement/cases")]
pub async fn list_cases(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
    ValidQuery(query): ValidQuery<CaseListQuery>,
) -> Result<HttpResponse, ApiError> {
    let after = query
        .cursor
        .as_deref()
        .map(RankCursor::parse)
        .transpose()
        .map_err(|e| ApiError::field("cursor", e.0))?;
    let limit = Limit::parse(query.limit).map_err(|e| ApiError::field("limit", e.0))?;
    let grid = query
        .grid
        .as_deref()
        .map(GridCode::parse)
        .transpose()
        .map_err(|e| ApiError::field("grid", e.0))?;
    let (cases, next) = state
        .store
        .list_cases(
            query.status.as_deref(),
            grid.as_ref().map(GridCode::as_str),
            after,
            limit.get(),
        )
        .await?;
    let mut items = Vec::with_capacity(cases.len());
    for case in cases {
        items.push(case_view(&state, case).await?);
    }
    Ok(HttpResponse::Ok().json(Paged {
        items,
        next_cursor: next.map(RankCursor::encode),
    }))
}

/// One case with its whole story: hazards, escalation steps with times, actions (regulators).
#[utoipa::path(
    tag = "enforcement",
    params(("id" = i64, Path, description = "Case id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The case", body = CaseView),
        (status = 401, description = "No valid token", body = ErrorEnvelope),
        (status = 403, description = "Regulators only", body = ErrorEnvelope),
        (status = 404, description = "No such case", body = ErrorEnvelope),
    )
)]
#[get("/v1/enforcement/cases/{id}")]
pub async fn get_case(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let case = state
        .store
        .case(id.into_inner())
        .await?
        .ok_or(ApiError::NotFound("case"))?;
    Ok(HttpResponse::Ok().json(case_view(&state, case).await?))
}

/// A regulator's action on a case.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseActionRequest {
    /// `summons` (pending until `summons_held`), `summons_held`, `fine`, `suspension`, or `close`
    /// (needs an `outcome`).
    #[validate(custom(function = "valid_action"))]
    pub kind: String,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub note: String,
    /// With `close`: how the case ended.
    #[validate(length(min = 1, max = 200))]
    #[schema(max_length = 200)]
    pub outcome: Option<String>,
}

impl From<CaseError> for ApiError {
    fn from(err: CaseError) -> Self {
        match err {
            CaseError::NotFound => ApiError::NotFound("case"),
            CaseError::Closed => ApiError::Conflict("the case is closed".into()),
            CaseError::Database(e) => e.into(),
        }
    }
}

/// Record an action on a case (regulators, admins); `close` closes it with its outcome.
#[utoipa::path(
    tag = "enforcement",
    params(("id" = i64, Path, description = "Case id")),
    request_body = CaseActionRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded; the case as it now stands", body = CaseView),
        (status = 401, description = "No valid token", body = ErrorEnvelope),
        (status = 403, description = "Regulators only", body = ErrorEnvelope),
        (status = 404, description = "No such case", body = ErrorEnvelope),
        (status = 409, description = "The case is closed", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
    )
)]
#[post("/v1/enforcement/cases/{id}/actions")]
pub async fn add_case_action(
    state: web::Data<AppState>,
    staff: Authorized<DistrictStaff>,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<CaseActionRequest>,
) -> Result<HttpResponse, ApiError> {
    let case_id = id.into_inner();
    let outcome = body
        .outcome
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty());
    if body.kind == "close" && outcome.is_none() {
        return Err(ApiError::field(
            "outcome",
            "closing a case needs its outcome",
        ));
    }
    let now = state.now_ms();
    let who = actor(&staff.0);
    state
        .store
        .add_case_action(case_id, &body.kind, body.note.trim(), now, &who)
        .await?;
    if let Some(outcome) = outcome.filter(|_| body.kind == "close") {
        state.store.close_case(case_id, outcome, now, &who).await?;
    }
    let case = state
        .store
        .case(case_id)
        .await?
        .ok_or(ApiError::NotFound("case"))?;
    Ok(HttpResponse::Created().json(case_view(&state, case).await?))
}

/// A notice for the owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    pub id: i64,
    /// `reminder`, `warning`, `summons`, `referral`, `colour_changed`, `case_opened`, `case_closed`.
    pub kind: String,
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

/// Paging of notices.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoticeListQuery {
    pub cursor: Option<String>,
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<u32>,
}

/// The notices sent to a shop's owner, oldest first.
#[utoipa::path(
    tag = "enforcement",
    params(("id" = i64, Path, description = "Shop id"), NoticeListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of notices", body = Paged<NoticeView>),
        (status = 401, description = "No valid token", body = ErrorEnvelope),
        (status = 404, description = "No such shop visible to the caller", body = ErrorEnvelope),
    )
)]
#[get("/v1/shops/{id}/notices")]
pub async fn list_notices(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<i64>,
    ValidQuery(query): ValidQuery<NoticeListQuery>,
) -> Result<HttpResponse, ApiError> {
    let shop = visible_shop(&state, &who, id.into_inner()).await?;
    let page = PageRequest::parse(query.cursor.as_deref(), query.limit)?;
    let records = state.store.shop_notices(shop.id, page).await?;
    Ok(HttpResponse::Ok().json(Paged::from_page(records, NoticeView::from)))
}

/// Position in the event feed.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `next_cursor` of the previous page (the last event id seen); absent for the start.
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
    /// `colour_changed`, `case_opened` or `case_closed`.
    #[serde(rename = "type")]
    pub kind: String,
    pub shop_id: i64,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// The event feed for other systems (regulators' and admins' tokens): colour changes and cases
/// opened and closed, in order, with no gaps. `next_cursor` is always the position to resume from
/// (the last id seen), so a follower polls `?after=NEXT_CURSOR` forever.
#[utoipa::path(
    tag = "enforcement",
    params(FeedQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of events", body = Paged<FeedEvent>),
        (status = 401, description = "No valid token", body = ErrorEnvelope),
        (status = 403, description = "Regulators only", body = ErrorEnvelope),
        (status = 422, description = "Invalid position", body = ErrorEnvelope),
    )
)]
#[get("/v1/events")]
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
        .map(|f| FeedEvent {
            id: f.id,
            at: rfc3339(f.at),
            kind: f.kind,
            shop_id: f.shop_id,
            details: serde_json::from_str(&f.details).unwrap_or_default(),
        })
        .collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(Paged {
        items,
        next_cursor: next,
    }))
}

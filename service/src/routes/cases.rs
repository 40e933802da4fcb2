//! The regulators' enforcement queue: cases, their whole story, and the actions regulators record.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use shopcredit_scoring::{case_notice, Timestamp};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::access::actor;
use super::enforcement::NoticeView;
use super::hazard_views::HazardView;
use super::responses::DistrictOnly;
use super::{grid_filter, ranked_page, rfc3339, Paged};
use crate::auth::{Authorized, DistrictStaff};
use crate::domain::enforcement::{
    summons_pending_flags, CaseActionKind, CaseReason, CaseStatus, EscalationStep,
};
use crate::domain::page::{RankCursor, MAX_LIMIT};
use crate::domain::score::Colour;
use crate::domain::shop::GridCode;
use crate::domain::vocabulary::{valid_choice, Choice};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::{ValidJson, ValidQuery};
use crate::state::AppState;
use crate::storage::cases::CaseDetails;
use crate::storage::enforcement::{ActionRecord, Appointment, CaseError, CaseRecord, NewAction};

fn valid_grid(v: &str) -> Result<(), ValidationError> {
    crate::domain::check(GridCode::parse(v))
}

/// A rung taken on a hazard's escalation ladder.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub hazard_id: i64,
    pub step: EscalationStep,
    /// RFC 3339: when the rung fell due.
    pub due_at: String,
    /// RFC 3339: when the service took it.
    pub taken_at: String,
}

/// A regulator's action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionView {
    pub id: i64,
    pub kind: CaseActionKind,
    pub note: String,
    /// A summons stays pending until it is held.
    pub pending: bool,
    pub at: String,
    pub actor: String,
    /// With a summons, RFC 3339: when the owner is to attend.
    pub scheduled_at: Option<String>,
    /// With a summons: where.
    pub place: Option<String>,
}

/// An enforcement case; lists carry the summary, the case route the whole story.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub shop_id: i64,
    pub status: CaseStatus,
    pub opened_at: String,
    pub reason: CaseReason,
    /// 3 critical, 2 major, 1 minor: the queue's order.
    pub severity_rank: i64,
    pub closed_at: Option<String>,
    /// How the case ended, in the regulator's words (`fixed` when it closed itself).
    #[schema(max_length = 200)]
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
    pub colour: Colour,
}

fn action_views(actions: Vec<&ActionRecord>) -> Vec<ActionView> {
    let kinds: Vec<CaseActionKind> = actions.iter().map(|a| a.kind).collect();
    actions
        .into_iter()
        .zip(summons_pending_flags(&kinds))
        .map(|(a, pending)| ActionView {
            id: a.id,
            kind: a.kind,
            note: a.note.clone(),
            pending,
            at: rfc3339(a.at),
            actor: a.actor.clone(),
            scheduled_at: a.scheduled_at.map(rfc3339),
            place: a.place.clone(),
        })
        .collect()
}

/// The views of a page of cases, from details loaded for the whole page at once.
async fn case_views(state: &AppState, cases: Vec<CaseRecord>) -> Result<Vec<CaseView>, ApiError> {
    let now = state.now_ms();
    let details: CaseDetails = state.store.case_details(&cases, MAX_LIMIT).await?;
    let mut views = Vec::with_capacity(cases.len());
    for case in cases {
        let hazards: Vec<_> = details
            .hazards
            .iter()
            .filter(|(case_id, _)| *case_id == case.id)
            .map(|(_, h)| h.clone())
            .collect();
        let steps = details
            .steps
            .iter()
            .filter(|s| hazards.iter().any(|h| h.id == s.hazard_id))
            .map(|s| StepView {
                hazard_id: s.hazard_id,
                step: s.step,
                due_at: rfc3339(s.due_at),
                taken_at: rfc3339(s.taken_at),
            })
            .collect();
        let actions = action_views(
            details
                .actions
                .iter()
                .filter(|a| a.case_id == case.id)
                .collect(),
        );
        let notices = details
            .notices
            .iter()
            .filter(|n| n.shop_id == case.shop_id)
            .cloned()
            .map(NoticeView::from)
            .collect();
        let score_history = details
            .history
            .iter()
            .filter(|p| p.shop_id == case.shop_id)
            .map(|p| ScorePoint {
                at: rfc3339(p.at),
                score: p.score,
                colour: p.colour,
            })
            .collect();
        views.push(CaseView {
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
            notices,
            score_history,
        });
    }
    Ok(views)
}

async fn case_view(state: &AppState, case: CaseRecord) -> Result<CaseView, ApiError> {
    case_views(state, vec![case])
        .await?
        .pop()
        .ok_or_else(|| ApiError::invariant("a case view went missing"))
}

/// Filters of the enforcement queue.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseListQuery {
    #[validate(length(max = 128))]
    #[param(max_length = 128, pattern = r"^r1\.-?[0-9]{1,18}\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    #[validate(custom(function = "valid_choice"))]
    #[param(value_type = Option<CaseStatus>)]
    pub status: Option<Choice<CaseStatus>>,
    #[validate(custom(function = "valid_grid"))]
    #[param(
        min_length = 1,
        max_length = 16,
        pattern = "^[A-Za-z0-9][A-Za-z0-9-]{0,15}$"
    )]
    pub grid: Option<String>,
}

/// The enforcement queue (regulators, admins): worst hazard first, then oldest case.
#[utoipa::path(
    tag = "enforcement",
    params(CaseListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of cases", body = Paged<CaseView>),
        (status = 422, description = "Invalid filter or cursor", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[get("/v1/enforcement/cases")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_cases(
    state: web::Data<AppState>,
    _staff: Authorized<DistrictStaff>,
    ValidQuery(query): ValidQuery<CaseListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (after, limit) = ranked_page(query.cursor.as_deref(), query.limit)?;
    let grid = grid_filter(query.grid.as_deref())?;
    let status = query.status.map(|s| s.get("status")).transpose()?;
    let (cases, next) = state
        .store
        .list_cases(status, grid.as_ref(), after, limit.get())
        .await?;
    Ok(HttpResponse::Ok().json(Paged {
        items: case_views(&state, cases).await?,
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
        (status = 404, description = "No such case", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[get("/v1/enforcement/cases/{id}")]
#[tracing::instrument(level = "debug", skip_all)]
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
    #[validate(custom(function = "valid_choice"))]
    #[schema(value_type = CaseActionKind)]
    pub kind: Choice<CaseActionKind>,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub note: String,
    /// With `close`: how the case ended.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub outcome: Option<String>,
    /// With `summons` (required there), RFC 3339: when the owner is to attend.
    #[validate(length(max = 40))]
    #[schema(format = DateTime, max_length = 40)]
    pub at: Option<String>,
    /// With `summons` (required there): where the owner is to attend.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub place: Option<String>,
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

/// Record an action on a case (regulators, admins); `close` closes it with its outcome, in the same
/// transaction.
#[utoipa::path(
    tag = "enforcement",
    params(("id" = i64, Path, description = "Case id")),
    request_body = CaseActionRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded; the case as it now stands", body = CaseView),
        (status = 404, description = "No such case", body = ErrorEnvelope),
        (status = 409, description = "The case is closed", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
        DistrictOnly,
    )
)]
#[post("/v1/enforcement/cases/{id}/actions")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_case_action(
    state: web::Data<AppState>,
    staff: Authorized<DistrictStaff>,
    id: web::Path<i64>,
    ValidJson(body): ValidJson<CaseActionRequest>,
) -> Result<HttpResponse, ApiError> {
    let case_id = id.into_inner();
    let kind = body.kind.get("kind")?;
    let outcome = body
        .outcome
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty());
    if kind == CaseActionKind::Close && outcome.is_none() {
        return Err(ApiError::field(
            "outcome",
            "closing a case needs its outcome",
        ));
    }
    let note = body.note.trim();
    let appointment = if kind == CaseActionKind::Summons {
        Some(appointment(&body, note, state.settings.utc_offset_minutes)?)
    } else {
        None
    };
    let action = NewAction {
        kind,
        note,
        outcome: outcome.filter(|_| kind == CaseActionKind::Close),
        closed_notice: case_notice(false),
        appointment,
    };
    state
        .store
        .add_case_action(case_id, &action, state.now_ms(), &actor(&staff.0))
        .await?;
    let case = state
        .store
        .case(case_id)
        .await?
        .ok_or(ApiError::NotFound("case"))?;
    Ok(HttpResponse::Created().json(case_view(&state, case).await?))
}

/// A summons's time and place, both required, and the owner's notice of them.
fn appointment<'a>(
    body: &'a CaseActionRequest,
    note: &str,
    utc_offset_minutes: i32,
) -> Result<Appointment<'a>, ApiError> {
    let at = body
        .at
        .as_deref()
        .ok_or_else(|| ApiError::field("at", "a summons needs the time to attend (RFC 3339)"))?;
    let at = chrono::DateTime::parse_from_rfc3339(at)
        .map_err(|_| ApiError::field("at", "must be an RFC 3339 time"))?
        .timestamp_millis();
    let place = body
        .place
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::field("place", "a summons needs the place to attend"))?;
    let notice = shopcredit_scoring::summons_notice(Timestamp(at), place, note, utc_offset_minutes);
    Ok(Appointment { at, place, notice })
}

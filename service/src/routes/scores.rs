//! A shop's credit score: now, at a past instant (recomputed), and its history.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use super::access::{parse_time, ShopInView};
use super::responses::ShopScoped;
use super::score_views::{ScoreView, SnapshotView};
use super::{rfc3339, Paged};
use crate::assessor::{recompute_at, rescore, stored_assessment, AssessError};
use crate::domain::page::PageRequest;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::ValidQuery;
use crate::state::AppState;

impl From<AssessError> for ApiError {
    fn from(err: AssessError) -> Self {
        match err {
            AssessError::Database(e) => e.into(),
            AssessError::NoScoreYet => ApiError::field("as_of", err.to_string()),
            other => ApiError::internal(other),
        }
    }
}

/// Options of `GET /v1/shops/{id}/score`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScoreQuery {
    /// RFC 3339: recompute the score as it was at this instant, from what was recorded by then.
    #[validate(length(min = 1, max = 40))]
    #[param(value_type = Option<String>, format = DateTime, min_length = 1, max_length = 40)]
    pub as_of: Option<String>,
}

/// The shop's score, colour, breakdown, reasons and path back to green (its owner, its inspectors,
/// regulators). With `as_of`, the score is recomputed for that instant under the policy then in
/// force, from the evidence recorded by then.
#[utoipa::path(
    tag = "scores",
    params(("id" = i64, Path, description = "Shop id"), ScoreQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The score", body = ScoreView),
        (status = 422, description = "as_of is not a time, is in the future, or precedes the first score", body = ErrorEnvelope),
        ShopScoped,
    )
)]
#[get("/v1/shops/{id}/score")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_score(
    state: web::Data<AppState>,
    ShopInView { shop, who: _ }: ShopInView,
    ValidQuery(query): ValidQuery<ScoreQuery>,
) -> Result<HttpResponse, ApiError> {
    let now = state.now_ms();
    let view = match query.as_of.as_deref() {
        None => {
            let current = match state.store.current_score(shop.id).await? {
                Some(current) => current,
                None => {
                    rescore(&state.store, &state.policy(), shop.id, now)
                        .await?
                        .current
                }
            };
            let snapshot = state
                .store
                .snapshot(current.snapshot_id)
                .await?
                .ok_or_else(|| ApiError::invariant("current score without snapshot"))?;
            ScoreView::from_assessment(
                shop.id,
                &stored_assessment(&snapshot)?,
                Some(current.colour_since),
            )
        }
        Some(text) => {
            let as_of = parse_time("as_of", text)?;
            if as_of > now {
                return Err(ApiError::field("as_of", "as_of cannot be in the future"));
            }
            let past = recompute_at(&state.store, shop.id, as_of).await?;
            ScoreView::from_assessment(shop.id, &past.assessment, Some(past.colour_since))
        }
    };
    Ok(HttpResponse::Ok().json(view))
}

/// Paging of the score history.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    #[validate(length(max = 128))]
    #[param(max_length = 128, pattern = r"^v1\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<i64>,
}

/// Every change of the shop's score or colour, oldest first, with the policy version and reasons.
#[utoipa::path(
    tag = "scores",
    params(("id" = i64, Path, description = "Shop id"), HistoryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of snapshots", body = Paged<SnapshotView>),
        ShopScoped,
    )
)]
#[get("/v1/shops/{id}/score/history")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn score_history(
    state: web::Data<AppState>,
    ShopInView { shop, who: _ }: ShopInView,
    ValidQuery(query): ValidQuery<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::parse(query.cursor.as_deref(), query.limit)?;
    let records = state.store.score_history(shop.id, page).await?;
    let mut items = Vec::with_capacity(records.items.len());
    for s in records.items {
        let assessment = stored_assessment(&s)?;
        items.push(SnapshotView {
            reasons: ScoreView::from_assessment(shop.id, &assessment, None)
                .reasons
                .into_iter()
                .map(|r| r.code)
                .collect(),
            id: s.id,
            at: rfc3339(s.at),
            score: s.score,
            colour: s.colour,
            provisional: s.provisional,
            colour_since: rfc3339(s.colour_since),
            policy_version: s.policy_version,
        });
    }
    Ok(HttpResponse::Ok().json(Paged {
        items,
        next_cursor: records.next.map(|c| c.encode()),
    }))
}

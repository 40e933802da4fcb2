//! A shop's audit trail and the owner's warnings.

use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::access::{category_of, visible_shop};
use super::{rfc3339, Paged};
use crate::auth::Principal;
use crate::domain::page::PageRequest;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::ValidQuery;
use crate::startup::AppState;

/// Warn this many days before a tracked item expires.
const EXPIRY_WARNING_DAYS: i64 = 30;
/// Warn this long before a hazard's deadline.
const DEADLINE_WARNING_MS: i64 = 24 * 3_600_000;

/// One entry of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Increasing.
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    /// `token:ID`, `public` or `system`.
    pub actor: String,
    pub role: String,
    /// e.g. `hazard.opened`, `hazard.verification_accepted`.
    pub action: String,
    pub subject_type: String,
    pub subject_id: i64,
    /// What changed.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Paging of the events feed.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventListQuery {
    pub cursor: Option<String>,
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub limit: Option<u32>,
}

/// Everything that happened to a shop, in order (its owner, its inspectors, regulators).
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Shop id"), EventListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of events, oldest first", body = Paged<EventView>),
        (status = 401, description = "No valid token", body = ErrorEnvelope),
        (status = 404, description = "No such shop visible to the caller", body = ErrorEnvelope),
    )
)]
#[get("/v1/shops/{id}/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<i64>,
    ValidQuery(query): ValidQuery<EventListQuery>,
) -> Result<HttpResponse, ApiError> {
    let shop = visible_shop(&state, &who, id.into_inner()).await?;
    let page = PageRequest::parse(query.cursor.as_deref(), query.limit)?;
    let records = state.store.shop_events(shop.id, page).await?;
    let items = records
        .items
        .into_iter()
        .map(|e| EventView {
            id: e.id,
            at: rfc3339(e.at),
            actor: e.actor,
            role: e.role,
            action: e.action,
            subject_type: e.subject_type,
            subject_id: e.subject_id,
            details: serde_json::from_str(&e.details).unwrap_or_default(),
        })
        .collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(Paged {
        items,
        next_cursor: records.next.map(|c| c.encode()),
    }))
}

/// What an alert warns of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A tracked item expires within 30 days.
    Expiring,
    /// A tracked item has expired.
    Expired,
    /// A hazard's deadline is within 24 hours.
    DeadlineSoon,
    /// A hazard is past its deadline.
    Overdue,
}

/// A warning for the owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    pub kind: AlertKind,
    pub message_zh: String,
    pub message_en: String,
    /// The checklist item, for expiry alerts.
    pub item_id: Option<String>,
    /// The hazard, for deadline alerts.
    pub hazard_id: Option<i64>,
    /// When: the expiry date (`YYYY-MM-DD`) or the deadline (RFC 3339).
    pub due: String,
}

/// The owner's warnings, most urgent first: overdue hazards, expired items, deadlines within
/// 24 hours, items expiring within 30 days.
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Shop id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "All current alerts (one page)", body = Paged<AlertView>),
        (status = 401, description = "No valid token", body = ErrorEnvelope),
        (status = 404, description = "No such shop visible to the caller", body = ErrorEnvelope),
    )
)]
#[get("/v1/shops/{id}/alerts")]
pub async fn list_alerts(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let shop = visible_shop(&state, &who, id.into_inner()).await?;
    let category = category_of(&shop)?;
    let now = state.now_ms();
    let today = state.today();
    let horizon = today + chrono::Duration::days(EXPIRY_WARNING_DAYS);
    let mut alerts = Vec::new();
    for hazard in state
        .store
        .hazards_due_before(shop.id, now + DEADLINE_WARNING_MS)
        .await?
    {
        let overdue = hazard.deadline < now;
        let (zh, en) = if overdue {
            ("隐患已逾期未整改", "hazard overdue")
        } else {
            (
                "隐患整改期限将在 24 小时内到期",
                "hazard due within 24 hours",
            )
        };
        alerts.push(AlertView {
            kind: if overdue {
                AlertKind::Overdue
            } else {
                AlertKind::DeadlineSoon
            },
            message_zh: format!("{zh}：{}", hazard.description),
            message_en: format!(
                "{en} ({} {}): {}",
                hazard.severity, hazard.hazard_type, hazard.description
            ),
            item_id: None,
            hazard_id: Some(hazard.id),
            due: rfc3339(hazard.deadline),
        });
    }
    for item in state
        .store
        .expiring_items(shop.id, &horizon.format("%Y-%m-%d").to_string())
        .await?
    {
        let Ok(date) = NaiveDate::parse_from_str(&item.expires_on, "%Y-%m-%d") else {
            continue;
        };
        let (title_zh, title_en) = state
            .checklists
            .item(category, &item.item_id)
            .map(|i| (i.title_zh.clone(), i.title_en.clone()))
            .unwrap_or_else(|| (item.item_id.clone(), item.item_id.clone()));
        let days = (date - today).num_days();
        let (kind, zh, en) = if days < 0 {
            (
                AlertKind::Expired,
                format!("已于 {date} 过期：{title_zh}"),
                format!("expired on {date}: {title_en}"),
            )
        } else {
            (
                AlertKind::Expiring,
                format!("将于 {days} 天后（{date}）到期：{title_zh}"),
                format!("expires in {days} days ({date}): {title_en}"),
            )
        };
        alerts.push(AlertView {
            kind,
            message_zh: zh,
            message_en: en,
            item_id: Some(item.item_id),
            hazard_id: None,
            due: date.format("%Y-%m-%d").to_string(),
        });
    }
    let urgency = |k: AlertKind| match k {
        AlertKind::Overdue => 0,
        AlertKind::Expired => 1,
        AlertKind::DeadlineSoon => 2,
        AlertKind::Expiring => 3,
    };
    alerts.sort_by_key(|a| urgency(a.kind));
    Ok(HttpResponse::Ok().json(Paged {
        items: alerts,
        next_cursor: None,
    }))
}

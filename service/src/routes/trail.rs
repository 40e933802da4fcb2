//! A shop's audit trail and the owner's warnings.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use shopcredit_scoring as scoring;
use shopcredit_scoring::{alerts, AlertDue, AlertHazard, Day, Text, Timestamp, TrackedItem};
use utoipa::ToSchema;

use super::access::{category_of, ShopInView};
use super::responses::ShopScoped;
use super::{rfc3339, stored_json, PageQuery, Paged};
use crate::assessor::hazard_of;
use crate::domain::role::ActorRole;
use crate::domain::vocabulary::mirror_enum;
use crate::error::ApiError;
use crate::extract::ValidQuery;
use crate::state::AppState;
use crate::storage::hazards::HazardRecord;
use crate::storage::CorruptRow;

/// One entry of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Increasing.
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    /// `token:ID`, `public` or `system`.
    pub actor: String,
    pub role: ActorRole,
    /// e.g. `hazard.opened`, `hazard.verification_accepted`.
    pub action: String,
    pub subject_type: String,
    pub subject_id: i64,
    /// What changed.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Everything that happened to a shop, in order (its owner, its inspectors, regulators).
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Shop id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of events, oldest first", body = Paged<EventView>),
        ShopScoped,
    )
)]
#[get("/v1/shops/{id}/events")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_events(
    state: web::Data<AppState>,
    ShopInView { shop, who: _ }: ShopInView,
    ValidQuery(query): ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let records = state.store.shop_events(shop.id, query.page()?).await?;
    let items = records
        .items
        .into_iter()
        .map(|e| {
            Ok(EventView {
                details: stored_json("events", e.id, "details", &e.details)?,
                id: e.id,
                at: rfc3339(e.at),
                actor: e.actor,
                role: e.role,
                action: e.action,
                subject_type: e.subject_type,
                subject_id: e.subject_id,
            })
        })
        .collect::<Result<Vec<_>, CorruptRow>>()?;
    Ok(HttpResponse::Ok().json(Paged {
        items,
        next_cursor: records.next.map(|c| c.encode()),
    }))
}

/// What an alert warns of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A hazard is past its deadline (the same rule as the hazard's `overdue` flag).
    Overdue,
    /// A tracked item has expired.
    Expired,
    /// A hazard's deadline is within the policy's lead time.
    DeadlineSoon,
    /// A tracked item expires within the policy's lead time.
    Expiring,
}

mirror_enum!(
    AlertKind,
    scoring::AlertKind,
    [Overdue, Expired, DeadlineSoon, Expiring]
);

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

/// The owner's warnings, most urgent first: overdue hazards, expired items, deadlines coming up,
/// items expiring soon (lead times from the policy).
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Shop id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "All current alerts (one page)", body = Paged<AlertView>),
        ShopScoped,
    )
)]
#[get("/v1/shops/{id}/alerts")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_alerts(
    state: web::Data<AppState>,
    ShopInView { shop, who: _ }: ShopInView,
) -> Result<HttpResponse, ApiError> {
    let category = category_of(&shop)?;
    let now = state.now_ms();
    let records = state.store.unresolved_hazards(shop.id).await?;
    let hazards: Vec<_> = records.iter().map(hazard_of).collect();
    let descriptions: Vec<_> = records.iter().map(HazardRecord::description_text).collect();
    let hazard_alerts: Vec<AlertHazard> = hazards
        .iter()
        .zip(&descriptions)
        .map(|(hazard, description)| AlertHazard {
            hazard,
            description,
        })
        .collect();
    let expiries = state.store.tracked_expiries(shop.id).await?;
    let mut items = Vec::with_capacity(expiries.len());
    for e in &expiries {
        let expires_on = Day::parse(&e.expires_on).ok_or_else(|| {
            CorruptRow::new(
                "tracked_expiries",
                shop.id,
                "expires_on",
                BadDate(e.expires_on.clone()),
            )
        })?;
        let title = match state.checklists.item(category, &e.item_id) {
            Some(i) => Text::new(i.title_zh.clone(), i.title_en.clone()),
            None => Text::new(e.item_id.clone(), e.item_id.clone()),
        };
        items.push(TrackedItem {
            item_id: &e.item_id,
            title,
            expires_on,
        });
    }
    let today = Day::containing(Timestamp(now), state.settings.utc_offset_minutes);
    let found = alerts(
        &hazard_alerts,
        &items,
        Timestamp(now),
        today,
        &state.policy(),
    );
    let items = found
        .into_iter()
        .map(|a| AlertView {
            kind: a.kind.into(),
            message_zh: a.text.zh,
            message_en: a.text.en,
            item_id: a.item_id,
            hazard_id: a.hazard_id,
            due: match a.due {
                AlertDue::At(t) => rfc3339(t.millis()),
                AlertDue::On(day) => day.to_string(),
            },
        })
        .collect();
    Ok(HttpResponse::Ok().json(Paged {
        items,
        next_cursor: None,
    }))
}

#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a YYYY-MM-DD date")]
struct BadDate(String);

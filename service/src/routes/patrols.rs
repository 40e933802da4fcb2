//! Patrols and professional inspections: clean visits are positive evidence; findings open hazards.

use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use shopcredit_scoring::Text;
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::access::{actor, category_of, parse_time, ShopInView, WithRole};
use super::hazard_views::HazardView;
use super::responses::ShopScoped;
use super::rfc3339;
use crate::auth::FieldStaff;
use crate::domain::check;
use crate::domain::hazard::{
    check_evidence, EvidenceRef, Finding, HazardSource, HazardType, PatrolKind, Severity,
};
use crate::domain::vocabulary::{valid_choice, Choice};
use crate::error::{ApiError, ErrorEnvelope, FieldErrors};
use crate::extract::ValidJson;
use crate::state::AppState;
use crate::storage::inspections::NewPatrol;

/// Clocks in the field drift: a patrol may claim a time this far ahead of ours.
const CLOCK_SKEW_MS: i64 = 2 * 60 * 1000;
/// Nothing observed before this (2000-01-01) is a real patrol of a registered shop.
const EARLIEST_MS: i64 = 946_684_800_000;

fn valid_evidence(v: &[EvidenceRef]) -> Result<(), ValidationError> {
    check(check_evidence(v))
}

/// One hazard found on a patrol.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingRequest {
    #[validate(custom(function = "valid_choice"))]
    #[schema(value_type = HazardType)]
    pub hazard_type: Choice<HazardType>,
    #[validate(custom(function = "valid_choice"))]
    #[schema(value_type = Severity)]
    pub severity: Choice<Severity>,
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// The checklist item this finding is about (it must be on the shop's checklist). A finding on
    /// an item takes that item's hazard type: a `hazard_type` that differs from the item's is
    /// refused with 422 on `findings[i].hazard_type`, naming the item's type.
    #[validate(length(max = 64))]
    #[schema(max_length = 64)]
    pub item_id: Option<String>,
    #[serde(default)]
    #[validate(custom(function = "valid_evidence"))]
    #[schema(max_items = 10)]
    pub evidence: Vec<EvidenceRef>,
}

/// A patrol or professional inspection; no findings means a clean visit.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatrolRequest {
    /// When the visit happened (RFC 3339); may be in the past, never in the future.
    #[validate(length(max = 40))]
    #[schema(format = DateTime, max_length = 40, example = "2026-11-23T09:30:00+08:00")]
    pub observed_at: String,
    #[validate(custom(function = "valid_choice"))]
    #[schema(value_type = PatrolKind)]
    pub kind: Choice<PatrolKind>,
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub findings: Vec<FindingRequest>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// A recorded patrol and the hazards it opened.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatrolView {
    pub id: i64,
    pub shop_id: i64,
    pub kind: PatrolKind,
    /// RFC 3339.
    pub observed_at: String,
    /// RFC 3339: when the service received it.
    pub recorded_at: String,
    /// No findings: positive evidence.
    pub clean: bool,
    pub note: Option<String>,
    pub hazards: Vec<HazardView>,
}

/// Record a patrol (inspectors of the shop's grid, regulators, admins). Each finding opens a hazard
/// whose deadline runs from `observed_at`, so a backdated finding can be overdue on arrival.
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Shop id")),
    request_body = PatrolRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = PatrolView),
        (status = 403, description = "Owners do not record patrols", body = ErrorEnvelope),
        (status = 422, description = "Invalid fields", body = ErrorEnvelope),
        ShopScoped,
    )
)]
#[post("/v1/shops/{id}/patrols")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_patrol(
    state: web::Data<AppState>,
    WithRole(ShopInView { shop, who }, _): WithRole<ShopInView, FieldStaff>,
    ValidJson(body): ValidJson<PatrolRequest>,
) -> Result<HttpResponse, ApiError> {
    let now = state.now_ms();
    let observed_at = parse_time("observed_at", &body.observed_at)?;
    if observed_at > now + CLOCK_SKEW_MS {
        return Err(ApiError::field(
            "observed_at",
            "a patrol cannot be observed in the future",
        ));
    }
    if observed_at < EARLIEST_MS {
        return Err(ApiError::field(
            "observed_at",
            "observed_at is before 2000-01-01",
        ));
    }
    let kind = body.kind.get("kind")?;
    let category = category_of(&shop)?;
    let mut errors = FieldErrors::new();
    let mut findings = Vec::with_capacity(body.findings.len());
    for (i, f) in body.findings.into_iter().enumerate() {
        if let Some(item) = &f.item_id {
            let Some(on_list) = state.checklists.item(category, item) else {
                errors
                    .entry(format!("findings[{i}].item_id"))
                    .or_default()
                    .push(format!("{item:?} is not on this shop's checklist"));
                continue;
            };
            // A finding on an item is about what the item checks: a `gas` finding on an item
            // about exits is a typing mistake, refused rather than guessed.
            if let Ok(given) = f.hazard_type.value() {
                if given != on_list.hazard_type {
                    errors
                        .entry(format!("findings[{i}].hazard_type"))
                        .or_default()
                        .push(format!(
                            "item {item:?} is about {}: a finding on it has that hazard_type",
                            on_list.hazard_type
                        ));
                    continue;
                }
            }
        }
        let finding = Finding {
            source: HazardSource::Patrol,
            severity: f.severity.get("severity")?,
            hazard_type: f.hazard_type.get("hazard_type")?,
            item_id: f.item_id,
            description: Text::as_written(f.description.trim()),
            evidence: f.evidence,
            observed_at,
        };
        findings.push(finding.open(
            &state.policy(),
            state.now_ms(),
            state.settings.utc_offset_minutes,
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let patrol = NewPatrol {
        kind,
        observed_at,
        note: body.note,
        findings,
    };
    let (record, hazards) = state
        .store
        .record_patrol(shop.id, &patrol, now, &actor(&who))
        .await?;
    state.rescore_after_write(shop.id).await;
    Ok(HttpResponse::Created().json(PatrolView {
        id: record.id,
        shop_id: record.shop_id,
        kind,
        observed_at: rfc3339(record.observed_at),
        recorded_at: rfc3339(record.recorded_at),
        clean: record.finding_count == 0,
        note: record.note,
        hazards: HazardView::from_records(hazards, now)?,
    }))
}

//! The owner's safety self-check: the checklist for the shop's category and submissions against it.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::access::{actor, category_of, ShopInView, WithRole};
use super::hazard_views::HazardView;
use super::responses::ShopScoped;
use super::rfc3339;
use crate::auth::ShopOwners;
use crate::domain::checklist::{check_answers, Answer, CheckResult, ChecklistItem};
use crate::domain::hazard::{EvidenceRef, Finding, HazardSource};
use crate::domain::shop::Category;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::ValidJson;
use crate::state::AppState;
use crate::storage::inspections::StoredAnswer;

/// The checklist a shop answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistView {
    /// The checklists' version; submissions record it.
    pub version: String,
    pub category: Category,
    pub items: Vec<ChecklistItem>,
}

/// The self-check checklist for this shop's category.
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Shop id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The checklist", body = ChecklistView),
        ShopScoped,
    )
)]
#[get("/v1/shops/{id}/checklist")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_checklist(
    state: web::Data<AppState>,
    ShopInView { shop, who: _ }: ShopInView,
) -> Result<HttpResponse, ApiError> {
    let category = category_of(&shop)?;
    Ok(HttpResponse::Ok().json(ChecklistView {
        version: state.checklists.version().to_owned(),
        category,
        items: state.checklists.items(category).to_vec(),
    }))
}

/// One answer of a self-check.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    #[validate(length(max = 64))]
    #[schema(max_length = 64)]
    pub item_id: String,
    pub result: CheckResult,
    /// Required when the item fails: what is wrong.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub note: Option<String>,
    /// `YYYY-MM-DD`, within ten years of today; required when an item that tracks an expiry date
    /// passes.
    #[validate(length(max = 10))]
    #[schema(format = Date, max_length = 10)]
    pub expires_on: Option<String>,
    #[serde(default)]
    #[schema(max_items = 10)]
    pub evidence: Vec<EvidenceRef>,
}

/// A self-check submission: an answer for every checklist item.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfCheckRequest {
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub answers: Vec<AnswerRequest>,
}

/// A stored self-check and the hazards its failed items opened.
#[derive(Debug, Serialize, ToSchema)]
pub struct SelfCheckView {
    pub id: i64,
    pub shop_id: i64,
    pub template_version: String,
    /// RFC 3339.
    pub submitted_at: String,
    pub passed: i64,
    pub failed: i64,
    pub not_applicable: i64,
    pub hazards: Vec<HazardView>,
}

/// Submit a self-check (the shop's owner). Every item must be answered; failed items open hazards
/// with source `self_check` and a deadline from the policy.
#[utoipa::path(
    tag = "evidence",
    params(("id" = i64, Path, description = "Shop id")),
    request_body = SelfCheckRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = SelfCheckView),
        (status = 403, description = "Only the owner submits self-checks", body = ErrorEnvelope),
        (status = 422, description = "Missing, unknown or invalid answers, keyed answers[ITEM_ID]", body = ErrorEnvelope),
        ShopScoped,
    )
)]
#[post("/v1/shops/{id}/self-checks")]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn submit_self_check(
    state: web::Data<AppState>,
    WithRole(ShopInView { shop, who }, _): WithRole<ShopInView, ShopOwners>,
    ValidJson(body): ValidJson<SelfCheckRequest>,
) -> Result<HttpResponse, ApiError> {
    let items = state.checklists.items(category_of(&shop)?);
    let answers = body
        .answers
        .into_iter()
        .map(|a| Answer {
            item_id: a.item_id,
            result: a.result,
            note: a.note,
            expires_on: a.expires_on,
            evidence: a.evidence,
        })
        .collect();
    let checked = check_answers(items, answers, state.today()).map_err(ApiError::Validation)?;
    let now = state.now_ms();
    let policy = state.policy();
    let stored: Vec<StoredAnswer> = checked
        .into_iter()
        .map(|a| {
            let hazard = (a.result == CheckResult::Fail).then(|| {
                Finding {
                    source: HazardSource::SelfCheck,
                    severity: a.item.severity,
                    hazard_type: a.item.hazard_type,
                    item_id: Some(a.item.id.clone()),
                    description: a.item.failure_description(a.note.as_deref()),
                    evidence: a.evidence.clone(),
                    observed_at: now,
                }
                .open(&policy, now, state.settings.utc_offset_minutes)
            });
            StoredAnswer {
                item_id: a.item.id,
                result: a.result,
                note: a.note,
                expires_on: a.expires_on.map(|d| d.format("%Y-%m-%d").to_string()),
                evidence: a.evidence,
                hazard,
            }
        })
        .collect();
    let (record, hazards) = state
        .store
        .record_self_check(
            shop.id,
            state.checklists.version(),
            &stored,
            now,
            &actor(&who),
        )
        .await?;
    state.rescore_after_write(shop.id).await;
    Ok(HttpResponse::Created().json(SelfCheckView {
        id: record.id,
        shop_id: record.shop_id,
        template_version: record.template_version,
        submitted_at: rfc3339(record.submitted_at),
        passed: record.passed,
        failed: record.failed,
        not_applicable: record.not_applicable,
        hazards: HazardView::from_records(hazards, now)?,
    }))
}

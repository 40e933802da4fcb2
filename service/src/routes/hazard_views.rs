//! How hazards look in the API.

use serde::Serialize;
use shopcredit_scoring::{is_overdue, Timestamp};
use utoipa::ToSchema;

use super::rfc3339;
use crate::assessor::hazard_of;
use crate::domain::enforcement::EscalationStep;
use crate::domain::hazard::{EvidenceRef, HazardSource, HazardStatus, HazardType, Severity};
use crate::domain::vocabulary::text_enum;
use crate::error::ApiError;
use crate::storage::events::EventRecord;
use crate::storage::hazards::HazardRecord;
use crate::storage::CorruptRow;

/// A hazard: a finding with a deadline and a lifecycle.
#[derive(Debug, Serialize, ToSchema)]
pub struct HazardView {
    pub id: i64,
    pub shop_id: i64,
    pub source: HazardSource,
    pub severity: Severity,
    pub hazard_type: HazardType,
    /// As written by whoever found it; for a failed checklist item or an expired item, the item in
    /// Chinese (with the owner's note).
    pub description: String,
    /// In English: the same as `description` when that is someone's own words.
    pub description_en: String,
    /// The checklist item the hazard is about, if any.
    pub item_id: Option<String>,
    pub evidence: Vec<EvidenceRef>,
    pub status: HazardStatus,
    /// Past its deadline now and not resolved: open, or a fix claimed only after the deadline and
    /// not yet verified. The same rule as the score's reasons, the overdue list and the alerts.
    pub overdue: bool,
    /// False once a dispute about it was upheld (kept in history, no longer counted).
    pub counted: bool,
    /// RFC 3339.
    pub observed_at: String,
    /// RFC 3339: `observed_at` plus the policy's deadline for the severity.
    pub deadline: String,
    pub rectified_at: Option<String>,
    pub closed_at: Option<String>,
}

impl HazardView {
    /// The view of a stored hazard, judged overdue as of `now`.
    pub fn from_record(r: HazardRecord, now: i64) -> Result<Self, ApiError> {
        Ok(Self {
            overdue: is_overdue(&hazard_of(&r), Timestamp(now)),
            counted: !r.excluded,
            evidence: r.evidence_refs()?,
            id: r.id,
            shop_id: r.shop_id,
            source: r.source,
            severity: r.severity,
            hazard_type: r.hazard_type,
            description_en: r
                .description_en
                .clone()
                .unwrap_or_else(|| r.description.clone()),
            description: r.description,
            item_id: r.item_id,
            status: r.status,
            observed_at: rfc3339(r.observed_at),
            deadline: rfc3339(r.deadline),
            rectified_at: r.rectified_at.map(rfc3339),
            closed_at: r.closed_at.map(rfc3339),
        })
    }

    pub fn from_records(records: Vec<HazardRecord>, now: i64) -> Result<Vec<Self>, ApiError> {
        records
            .into_iter()
            .map(|r| Self::from_record(r, now))
            .collect()
    }
}

text_enum!(
    /// What happened to a hazard, in its story.
    pub enum HazardChapterKind("hazard chapter") {
        /// Found and opened, with its deadline.
        Opened => "opened",
        /// The owner claimed a fix, with a note and evidence.
        RectificationSubmitted => "rectification_submitted",
        /// An inspector verified the fix.
        FixAccepted => "fix_accepted",
        /// An inspector rejected the fix, with the reason.
        FixRejected => "fix_rejected",
        /// A rung of the escalation ladder was taken.
        Escalated => "escalated",
    }
);

/// One thing that happened to a hazard: when, who, and what they said or showed.
#[derive(Debug, Serialize, ToSchema)]
pub struct HazardChapter {
    pub kind: HazardChapterKind,
    /// RFC 3339.
    pub at: String,
    /// Who: the token's label (or `token:ID`), or `system`.
    pub actor: String,
    /// The owner's rectification note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The owner's rectification evidence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceRef>,
    /// Why a fix was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The escalation rung taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<EscalationStep>,
}

/// A hazard with its whole story, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct HazardStoryView {
    #[serde(flatten)]
    pub hazard: HazardView,
    pub story: Vec<HazardChapter>,
}

/// The details the story reads from an event; absent fields are empty.
#[derive(Debug, Default, serde::Deserialize)]
struct ChapterDetails {
    note: Option<String>,
    #[serde(default)]
    evidence: Vec<EvidenceRef>,
    reason: Option<String>,
    step: Option<EscalationStep>,
}

impl HazardStoryView {
    /// The hazard and the chapters told by its events (other events are not part of the story).
    pub fn new(hazard: HazardView, events: Vec<EventRecord>) -> Result<Self, ApiError> {
        let mut story = Vec::new();
        for e in events {
            let kind = match e.action.as_str() {
                "hazard.opened" => HazardChapterKind::Opened,
                "hazard.rectification_submitted" => HazardChapterKind::RectificationSubmitted,
                "hazard.verification_accepted" => HazardChapterKind::FixAccepted,
                "hazard.verification_rejected" => HazardChapterKind::FixRejected,
                "hazard.escalated" => HazardChapterKind::Escalated,
                _ => continue,
            };
            let details: ChapterDetails = serde_json::from_str(&e.details)
                .map_err(|err| CorruptRow::new("events", e.id, "details", err))?;
            story.push(HazardChapter {
                kind,
                at: rfc3339(e.at),
                actor: e.actor,
                note: details.note,
                evidence: details.evidence,
                reason: details.reason,
                step: details.step,
            });
        }
        Ok(Self { hazard, story })
    }
}

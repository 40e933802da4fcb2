//! How hazards look in the API.

use serde::Serialize;
use shopcredit_scoring::{is_overdue, Timestamp};
use utoipa::ToSchema;

use super::rfc3339;
use crate::assessor::hazard_of;
use crate::domain::hazard::{EvidenceRef, HazardSource, HazardStatus, HazardType, Severity};
use crate::error::ApiError;
use crate::storage::hazards::HazardRecord;

/// A hazard: a finding with a deadline and a lifecycle.
#[derive(Debug, Serialize, ToSchema)]
pub struct HazardView {
    pub id: i64,
    pub shop_id: i64,
    pub source: HazardSource,
    pub severity: Severity,
    pub hazard_type: HazardType,
    pub description: String,
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

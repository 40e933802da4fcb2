//! How hazards look in the API.

use serde::Serialize;
use utoipa::ToSchema;

use super::rfc3339;
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
    /// Open and past its deadline now.
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
    /// The view of a stored hazard, judged overdue against `now`.
    pub fn from_record(r: HazardRecord, now: i64) -> Result<Self, ApiError> {
        let internal = |e: crate::domain::Invalid| ApiError::Internal(e.0);
        let status = HazardStatus::parse(&r.status).map_err(internal)?;
        let counted = r.excluded == 0;
        Ok(Self {
            overdue: counted && status == HazardStatus::Open && r.deadline < now,
            counted,
            id: r.id,
            shop_id: r.shop_id,
            source: HazardSource::parse(&r.source).map_err(internal)?,
            severity: Severity::parse(&r.severity).map_err(internal)?,
            hazard_type: HazardType::parse(&r.hazard_type).map_err(internal)?,
            description: r.description,
            item_id: r.item_id,
            evidence: serde_json::from_str(&r.evidence).unwrap_or_default(),
            status,
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

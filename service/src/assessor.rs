//! The bridge between stored evidence and the pure scoring engine: maps rows to the engine's
//! evidence, holds the policy in force, rescores shops and recomputes past scores.

use std::sync::{Arc, RwLock};

use shopcredit_scoring::{
    assess, Assessment, Colour, DistrictContext, Evidence, Hazard, HazardSource, HazardStatus,
    Patrol, PatrolKind, Policy, PreviousCode, Rating, Review, SelfCheck, Severity, Timestamp,
    ValidPolicy,
};

use crate::storage::scores::{CurrentScore, EvidenceRows, NewScore, Rescored};
use crate::storage::Store;

/// Used as the rating prior until the district has any counted review.
pub const DEFAULT_MEAN_RATING: f64 = 4.0;

/// The policy in force, shared by all workers and swapped when a new one is adopted.
#[derive(Debug)]
pub struct PolicyCache(RwLock<Arc<ValidPolicy>>);

impl PolicyCache {
    pub fn new(policy: ValidPolicy) -> Self {
        Self(RwLock::new(Arc::new(policy)))
    }

    /// The policy in force now.
    pub fn get(&self) -> Arc<ValidPolicy> {
        match self.0.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn set(&self, policy: ValidPolicy) {
        match self.0.write() {
            Ok(mut guard) => *guard = Arc::new(policy),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(policy),
        }
    }
}

/// Why scoring could not run.
#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    #[error("stored evidence is inconsistent: {0}")]
    BadEvidence(String),
    #[error("stored policy {0} does not parse: {1}")]
    BadPolicy(String, String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Parses a stored policy body (JSON).
pub fn parse_policy(version: &str, body: &str) -> Result<ValidPolicy, AssessError> {
    serde_json::from_str::<ValidPolicy>(body)
        .map_err(|e| AssessError::BadPolicy(version.to_owned(), e.to_string()))
}

/// Seeds the shipped default policy on first start and loads the policy in force.
pub async fn load_current_policy(store: &Store, now: i64) -> Result<ValidPolicy, anyhow::Error> {
    let default = Policy::default_policy()?;
    let body = serde_json::to_string(&default)?;
    store
        .ensure_default_policy(&default.version, &body, now)
        .await?;
    match store.current_policy().await? {
        Some(record) => Ok(parse_policy(&record.version, &record.body)?),
        None => Ok(default),
    }
}

fn parse_colour(text: &str) -> Result<Colour, AssessError> {
    match text {
        "green" => Ok(Colour::Green),
        "yellow" => Ok(Colour::Yellow),
        "red" => Ok(Colour::Red),
        other => Err(AssessError::BadEvidence(format!(
            "unknown colour {other:?}"
        ))),
    }
}

/// The storage name of a colour.
pub fn colour_name(colour: Colour) -> &'static str {
    match colour {
        Colour::Green => "green",
        Colour::Yellow => "yellow",
        Colour::Red => "red",
    }
}

fn bad(what: &str, value: &str) -> AssessError {
    AssessError::BadEvidence(format!("unknown {what} {value:?}"))
}

/// The engine's view of a shop's stored evidence.
pub fn evidence_from_rows(rows: &EvidenceRows) -> Result<Evidence, AssessError> {
    let mut evidence = Evidence::new(Timestamp(rows.registered_at));
    for h in &rows.hazards {
        evidence.hazards.push(Hazard {
            id: h.id,
            source: match h.source.as_str() {
                "self_check" => HazardSource::SelfCheck,
                "patrol" => HazardSource::Patrol,
                "tip_off" => HazardSource::TipOff,
                other => return Err(bad("source", other)),
            },
            severity: match h.severity.as_str() {
                "critical" => Severity::Critical,
                "major" => Severity::Major,
                "minor" => Severity::Minor,
                other => return Err(bad("severity", other)),
            },
            hazard_type: h.hazard_type.clone(),
            item_id: h.item_id.clone(),
            observed_at: Timestamp(h.observed_at),
            deadline: Timestamp(h.deadline),
            status: match h.status.as_str() {
                "open" => HazardStatus::Open,
                "awaiting_verification" => HazardStatus::AwaitingVerification,
                "closed" => HazardStatus::Closed,
                other => return Err(bad("status", other)),
            },
            closed_at: h.closed_at.map(Timestamp),
            rectified_at: h.rectified_at.map(Timestamp),
            excluded: h.excluded != 0,
        });
    }
    for p in &rows.patrols {
        evidence.patrols.push(Patrol {
            id: p.id,
            observed_at: Timestamp(p.observed_at),
            kind: match p.kind.as_str() {
                "grid_patrol" => PatrolKind::GridPatrol,
                "professional_inspection" => PatrolKind::ProfessionalInspection,
                other => return Err(bad("patrol kind", other)),
            },
            finding_count: u32::try_from(p.finding_count).unwrap_or(u32::MAX),
        });
    }
    for (check, passed) in &rows.self_checks {
        evidence.self_checks.push(SelfCheck {
            submitted_at: Timestamp(check.submitted_at),
            passed_item_ids: passed.clone(),
            failed: u32::try_from(check.failed).unwrap_or(0),
            not_applicable: u32::try_from(check.not_applicable).unwrap_or(0),
        });
    }
    for &(rating, at, counted) in &rows.reviews {
        let stars = u8::try_from(rating).map_err(|_| bad("rating", &rating.to_string()))?;
        let rating = Rating::new(stars).map_err(|e| AssessError::BadEvidence(e.to_string()))?;
        evidence.reviews.push(Review {
            rating,
            at: Timestamp(at),
            counted,
        });
    }
    Ok(evidence)
}

/// Only what had been recorded by `at`: a past score is recomputed from what was known then, not
/// from evidence uploaded later with an earlier observation time.
pub fn known_at(rows: &EvidenceRows, at: i64) -> EvidenceRows {
    EvidenceRows {
        registered_at: rows.registered_at,
        hazards: rows
            .hazards
            .iter()
            .filter(|h| h.created_at <= at)
            .cloned()
            .collect(),
        patrols: rows
            .patrols
            .iter()
            .filter(|p| p.recorded_at <= at)
            .cloned()
            .collect(),
        self_checks: rows
            .self_checks
            .iter()
            .filter(|(c, _)| c.submitted_at <= at)
            .cloned()
            .collect(),
        reviews: rows
            .reviews
            .iter()
            .filter(|(_, t, _)| *t <= at)
            .copied()
            .collect(),
    }
}

/// The colour in force before a rescore, as the engine's hysteresis input.
pub fn previous_code(colour: &str, since: i64) -> Result<PreviousCode, AssessError> {
    Ok(PreviousCode {
        colour: parse_colour(colour)?,
        since: Timestamp(since),
    })
}

/// Assesses stored evidence.
pub fn assess_rows(
    rows: &EvidenceRows,
    policy: &ValidPolicy,
    mean_rating: f64,
    as_of: i64,
    previous: Option<PreviousCode>,
) -> Result<Assessment, AssessError> {
    let evidence = evidence_from_rows(rows)?;
    let ctx = DistrictContext { mean_rating };
    Ok(assess(&evidence, &ctx, policy, Timestamp(as_of), previous))
}

/// Rescores one shop under `policy` at `now` and stores the result if it changed.
pub async fn rescore(
    store: &Store,
    policy: &ValidPolicy,
    shop_id: i64,
    now: i64,
) -> Result<Rescored, AssessError> {
    let mean = store
        .district_mean_rating()
        .await?
        .unwrap_or(DEFAULT_MEAN_RATING);
    let outcome = store
        .rescore_shop(shop_id, now, |rows, current: Option<&CurrentScore>| {
            let previous = current
                .map(|c| previous_code(&c.colour, c.colour_since))
                .transpose()?;
            let a = assess_rows(rows, policy, mean, now, previous)?;
            Ok::<_, AssessError>(NewScore {
                score: i64::from(a.score),
                colour: colour_name(a.colour).to_owned(),
                provisional: a.provisional,
                policy_version: a.policy_version.clone(),
                district_mean_rating: mean,
                assessment: serde_json::to_string(&a)
                    .map_err(|e| AssessError::BadEvidence(e.to_string()))?,
            })
        })
        .await?;
    outcome
}

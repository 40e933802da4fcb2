//! The bridge between stored evidence and the pure scoring engine: maps typed rows to the engine's
//! evidence, holds the policy in force, rescores shops and recomputes past scores.

use std::sync::{Arc, RwLock};

use shopcredit_scoring::{
    assess, colour_notice, Assessment, Evidence, Hazard, Patrol, Policy, PreviousCode, Rating,
    Review, SelfCheck, Timestamp, ValidPolicy,
};

use crate::domain::score::Colour;
use crate::storage::hazards::HazardRecord;
use crate::storage::scores::{CurrentScore, EvidenceRows, NewScore, Rescored, SnapshotRecord};
use crate::storage::{CorruptRow, Store};

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
    #[error("stored evidence is inconsistent")]
    BadEvidence(#[from] CorruptRow),
    #[error("stored policy {0} does not parse")]
    BadPolicy(String, #[source] serde_json::Error),
    #[error("policy {0} is not stored")]
    MissingPolicy(String),
    #[error("the shop had no score yet at that time")]
    NoScoreYet,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Parses a stored policy body (JSON).
pub fn parse_policy(version: &str, body: &str) -> Result<ValidPolicy, AssessError> {
    serde_json::from_str::<ValidPolicy>(body)
        .map_err(|e| AssessError::BadPolicy(version.to_owned(), e))
}

/// The stored policy of `version`.
pub async fn stored_policy(
    store: &Store,
    version: &str,
) -> Result<Option<ValidPolicy>, AssessError> {
    match store.policy(version).await? {
        Some(record) => Ok(Some(parse_policy(&record.version, &record.body)?)),
        None => Ok(None),
    }
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

/// The engine's view of a stored hazard.
pub fn hazard_of(h: &HazardRecord) -> Hazard {
    Hazard {
        id: h.id,
        source: h.source.into(),
        severity: h.severity.into(),
        hazard_type: h.hazard_type.as_str().to_owned(),
        item_id: h.item_id.clone(),
        observed_at: Timestamp(h.observed_at),
        deadline: Timestamp(h.deadline),
        status: h.status.into(),
        closed_at: h.closed_at.map(Timestamp),
        rectified_at: h.rectified_at.map(Timestamp),
        excluded: h.excluded,
    }
}

/// The engine's view of a shop's stored evidence.
pub fn evidence_from_rows(rows: &EvidenceRows) -> Result<Evidence, CorruptRow> {
    let mut evidence = Evidence::new(Timestamp(rows.registered_at));
    evidence.hazards = rows.hazards.iter().map(hazard_of).collect();
    evidence.patrols = rows
        .patrols
        .iter()
        .map(|p| Patrol {
            id: p.id,
            observed_at: Timestamp(p.observed_at),
            kind: p.kind.into(),
            finding_count: u32::try_from(p.finding_count).unwrap_or(u32::MAX),
        })
        .collect();
    evidence.self_checks = rows
        .self_checks
        .iter()
        .map(|(check, passed)| SelfCheck {
            submitted_at: Timestamp(check.submitted_at),
            passed_item_ids: passed.clone(),
            failed: u32::try_from(check.failed).unwrap_or(0),
            not_applicable: u32::try_from(check.not_applicable).unwrap_or(0),
        })
        .collect();
    for r in &rows.reviews {
        let rating = u8::try_from(r.rating)
            .ok()
            .and_then(|stars| Rating::new(stars).ok())
            .ok_or_else(|| CorruptRow::new("reviews", r.id, "rating", OutOfRange(r.rating)))?;
        evidence.reviews.push(Review {
            rating,
            at: Timestamp(r.created_at),
            counted: r.counted,
        });
    }
    Ok(evidence)
}

#[derive(Debug, thiserror::Error)]
#[error("{0} is outside 1..=5")]
struct OutOfRange(i64);

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
            .filter(|r| r.created_at <= at)
            .cloned()
            .collect(),
    }
}

/// The colour in force before a rescore, as the engine's hysteresis input.
pub fn previous_code(colour: Colour, since: i64) -> PreviousCode {
    PreviousCode {
        colour: colour.into(),
        since: Timestamp(since),
    }
}

/// Assesses stored evidence.
pub fn assess_rows(
    rows: &EvidenceRows,
    policy: &ValidPolicy,
    as_of: i64,
    previous: Option<PreviousCode>,
) -> Result<Assessment, CorruptRow> {
    let evidence = evidence_from_rows(rows)?;
    Ok(assess(&evidence, policy, Timestamp(as_of), previous))
}

/// The assessment stored with a snapshot; stored text that does not parse is an error.
pub fn stored_assessment(snapshot: &SnapshotRecord) -> Result<Assessment, CorruptRow> {
    serde_json::from_str(&snapshot.assessment)
        .map_err(|e| CorruptRow::new("score_snapshots", snapshot.id, "assessment", e))
}

/// Rescores one shop under `policy` at `now` and stores the result if it changed.
#[tracing::instrument(skip(store, policy), fields(policy = %policy.version))]
pub async fn rescore(
    store: &Store,
    policy: &ValidPolicy,
    shop_id: i64,
    now: i64,
) -> Result<Rescored, AssessError> {
    store
        .rescore_shop(
            shop_id,
            now,
            |rows, current: Option<&CurrentScore>, stored| {
                let previous = current.map(|c| previous_code(c.colour, c.colour_since));
                let a = assess_rows(rows, policy, now, previous)?;
                let colour = Colour::from(a.colour);
                let changed_from = current.map(|c| c.colour).filter(|c| *c != colour);
                Ok::<_, AssessError>(NewScore {
                    score: i64::from(a.score),
                    colour,
                    provisional: a.provisional,
                    policy_version: a.policy_version.clone(),
                    // The rating prior in force (a policy number since issue 9), kept for the record.
                    district_mean_rating: policy.rating_prior_mean,
                    assessment: serde_json::to_string(&a).map_err(|e| {
                        CorruptRow::new("score_snapshots", shop_id, "assessment", e)
                    })?,
                    colour_notice: changed_from.map(|from| colour_notice(from.into(), a.colour)),
                    explanation_holds: stored
                        .and_then(|s| serde_json::from_str::<Assessment>(s).ok())
                        .is_some_and(|old| old.reasons == a.reasons),
                })
            },
        )
        .await?
}

/// A past score recomputed: the policy and district prior of the snapshot in force at `as_of`, the
/// colour in force just before it, and only the evidence recorded by then.
pub struct PastScore {
    pub assessment: Assessment,
    pub colour_since: i64,
}

/// Recomputes the score a shop had at `as_of`.
pub async fn recompute_at(
    store: &Store,
    shop_id: i64,
    as_of: i64,
) -> Result<PastScore, AssessError> {
    let in_force = store
        .snapshot_before(shop_id, as_of, false)
        .await?
        .ok_or(AssessError::NoScoreYet)?;
    let before = if in_force.at < as_of {
        Some(in_force.clone())
    } else {
        store.snapshot_before(shop_id, as_of, true).await?
    };
    let policy = stored_policy(store, &in_force.policy_version)
        .await?
        .ok_or_else(|| AssessError::MissingPolicy(in_force.policy_version.clone()))?;
    let previous = before
        .as_ref()
        .map(|s| previous_code(s.colour, s.colour_since));
    let rows = known_at(&store.evidence_rows(shop_id).await?, as_of);
    let assessment = assess_rows(&rows, &policy, as_of, previous)?;
    let colour_since = match &before {
        Some(s) if s.colour == Colour::from(assessment.colour) => s.colour_since,
        _ => in_force.colour_since,
    };
    Ok(PastScore {
        assessment,
        colour_since,
    })
}

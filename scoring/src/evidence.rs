//! The evidence about one shop: plain data in, judged as of an instant.
//!
//! Everything carries its own time, and anything observed after the instant being judged is ignored,
//! so any past score can be recomputed exactly from today's records.

use serde::{Deserialize, Serialize};

use crate::error::RatingError;
use crate::time::Timestamp;

/// How serious a hazard is; decides its deadline, weight and decay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Immediate danger (blocked exit, gas leak): overdue means red.
    Critical,
    /// Serious but not immediate.
    Major,
    /// Minor non-compliance.
    Minor,
}

impl Severity {
    /// All severities, most serious first (the fixed order used to break ties).
    pub const ALL: [Severity; 3] = [Severity::Critical, Severity::Major, Severity::Minor];
}

/// Who found a hazard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardSource {
    /// The owner reported it in a self-check (honesty, weighed lightly).
    SelfCheck,
    /// A grid patrol or professional inspection found it.
    Patrol,
    /// A resident's tip-off that an inspector verified.
    TipOff,
}

/// A hazard's lifecycle state as recorded now (the engine re-judges it as of the scoring instant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardStatus {
    /// Not fixed, or a rectification claim was rejected.
    Open,
    /// The owner claims a fix; an inspector has not verified it yet.
    AwaitingVerification,
    /// An inspector verified the fix.
    Closed,
}

/// One hazard (a finding) against the shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hazard {
    /// Stable id, quoted back in reasons and the path to green.
    pub id: i64,
    /// Who found it.
    pub source: HazardSource,
    /// How serious it is.
    pub severity: Severity,
    /// Hazard type (fire, gas, electrical, exits, food hygiene, licence, ...).
    pub hazard_type: String,
    /// The checklist item it concerns, if any; links patrol findings to self-check answers.
    pub item_id: Option<String>,
    /// When it was observed (patrols may be recorded later; this is the time that counts).
    pub observed_at: Timestamp,
    /// Rectification deadline (see [`crate::hazard_deadline`]).
    pub deadline: Timestamp,
    /// Current recorded status.
    pub status: HazardStatus,
    /// When an inspector verified the fix.
    pub closed_at: Option<Timestamp>,
    /// When the owner last claimed a fix.
    pub rectified_at: Option<Timestamp>,
    /// A dispute was upheld: the hazard no longer counts at all.
    pub excluded: bool,
}

/// What a hazard was as of an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HazardState {
    /// Not fixed.
    Open,
    /// Fix claimed at `claimed_at`, not yet verified.
    AwaitingVerification {
        /// When the owner claimed the fix.
        claimed_at: Timestamp,
    },
    /// Fix verified at `closed_at`.
    Closed {
        /// When the fix was verified.
        closed_at: Timestamp,
    },
}

impl HazardState {
    /// Open or awaiting verification: an owner's claim alone does not resolve a hazard.
    pub fn is_unresolved(self) -> bool {
        !matches!(self, HazardState::Closed { .. })
    }
}

impl Hazard {
    /// The hazard's state as of `as_of`, or `None` when it does not count then (not yet observed, or
    /// excluded after an upheld dispute).
    pub fn state_at(&self, as_of: Timestamp) -> Option<HazardState> {
        if self.excluded || self.observed_at > as_of {
            return None;
        }
        if let (HazardStatus::Closed, Some(closed_at)) = (self.status, self.closed_at) {
            if closed_at <= as_of {
                return Some(HazardState::Closed { closed_at });
            }
        }
        // A rejected claim sends the hazard back to `Open`; only a claim still standing now (or one
        // that later led to closure) was awaiting verification at `as_of`.
        let claim_stands = matches!(
            self.status,
            HazardStatus::AwaitingVerification | HazardStatus::Closed
        );
        match self.rectified_at {
            Some(claimed_at) if claim_stands && claimed_at <= as_of => {
                Some(HazardState::AwaitingVerification { claimed_at })
            }
            _ => Some(HazardState::Open),
        }
    }

    /// The instant the overdue clock stops as of `as_of`: a standing claim freezes it (the escalation
    /// clock stops while an inspector is due to verify); otherwise it runs until `as_of`.
    fn overdue_clock_end(&self, as_of: Timestamp) -> Option<Timestamp> {
        match self.state_at(as_of)? {
            HazardState::Open => Some(as_of),
            HazardState::AwaitingVerification { claimed_at } => Some(claimed_at),
            HazardState::Closed { .. } => None,
        }
    }

    /// Started days past the deadline as of `as_of`, or `None` when not overdue.
    pub fn days_overdue(&self, as_of: Timestamp) -> Option<i64> {
        let end = self.overdue_clock_end(as_of)?;
        (end > self.deadline).then(|| end.started_days_since(self.deadline))
    }

    /// Whether the fix was in by the deadline: verified by then, or claimed by then and later verified.
    pub fn fixed_on_time(&self, as_of: Timestamp) -> bool {
        match self.state_at(as_of) {
            Some(HazardState::Closed { closed_at }) => {
                closed_at <= self.deadline
                    || self
                        .rectified_at
                        .is_some_and(|c| c <= closed_at && c <= self.deadline)
            }
            _ => false,
        }
    }
}

/// Whether `hazard` counts and is overdue as of `as_of`.
///
/// A hazard awaiting verification whose claim came after the deadline stays overdue (its day count
/// frozen at the claim), so an owner's claim alone never lifts an overdue-critical red.
pub fn is_overdue(hazard: &Hazard, as_of: Timestamp) -> bool {
    hazard.days_overdue(as_of).is_some()
}

/// Kind of visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatrolKind {
    /// A grid worker's routine patrol.
    GridPatrol,
    /// A professional inspection.
    ProfessionalInspection,
}

/// One patrol or inspection visit; its findings are separate [`Hazard`]s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patrol {
    /// Stable id.
    pub id: i64,
    /// When the visit happened.
    pub observed_at: Timestamp,
    /// Kind of visit.
    pub kind: PatrolKind,
    /// Number of findings; 0 is a clean patrol, which is positive evidence.
    pub finding_count: u32,
}

impl Patrol {
    /// A visit with no findings.
    pub fn is_clean(&self) -> bool {
        self.finding_count == 0
    }
}

/// One submitted safety self-check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelfCheck {
    /// When it was submitted.
    pub submitted_at: Timestamp,
    /// Checklist items the owner ticked as passing.
    pub passed_item_ids: Vec<String>,
    /// Items answered as failing (each opens a self-check hazard).
    pub failed: u32,
    /// Items answered as not applicable.
    pub not_applicable: u32,
}

/// A public rating of 1 to 5 stars; cannot hold anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Rating(u8);

impl Rating {
    /// Parses a star count, rejecting anything outside 1..=5.
    pub fn new(stars: u8) -> Result<Self, RatingError> {
        if (1..=5).contains(&stars) {
            Ok(Self(stars))
        } else {
            Err(RatingError { stars })
        }
    }

    /// The star count, 1 to 5.
    pub fn stars(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Rating {
    type Error = RatingError;
    fn try_from(stars: u8) -> Result<Self, Self::Error> {
        Rating::new(stars)
    }
}

impl From<Rating> for u8 {
    fn from(r: Rating) -> u8 {
        r.0
    }
}

/// One public review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// Stars given.
    pub rating: Rating,
    /// When it was left.
    pub at: Timestamp,
    /// False for flagged, duplicate or upheld-dispute reviews, which are ignored.
    pub counted: bool,
}

/// All evidence about one shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// When the shop was registered (its tenure starts here).
    pub registered_at: Timestamp,
    /// Hazards from any source.
    pub hazards: Vec<Hazard>,
    /// Patrols and inspections, clean or not.
    pub patrols: Vec<Patrol>,
    /// Submitted self-checks.
    pub self_checks: Vec<SelfCheck>,
    /// Public reviews.
    pub reviews: Vec<Review>,
}

impl Evidence {
    /// A shop registered at `registered_at` with no evidence yet.
    pub fn new(registered_at: Timestamp) -> Self {
        Self {
            registered_at,
            hazards: Vec::new(),
            patrols: Vec::new(),
            self_checks: Vec::new(),
            reviews: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hazard(status: HazardStatus) -> Hazard {
        Hazard {
            id: 1,
            source: HazardSource::Patrol,
            severity: Severity::Critical,
            hazard_type: "fire".into(),
            item_id: None,
            observed_at: Timestamp(0),
            deadline: Timestamp(0).plus_hours(24),
            status,
            closed_at: None,
            rectified_at: None,
            excluded: false,
        }
    }

    #[test]
    fn hazard_closed_later_is_open_at_an_earlier_instant() {
        let mut h = hazard(HazardStatus::Closed);
        h.closed_at = Some(Timestamp(0).plus_days(5));
        assert_eq!(
            h.state_at(Timestamp(0).plus_days(2)),
            Some(HazardState::Open)
        );
        assert!(is_overdue(&h, Timestamp(0).plus_days(2)));
        assert!(!is_overdue(&h, Timestamp(0).plus_days(5)));
    }

    #[test]
    fn claim_after_deadline_freezes_days_overdue_but_stays_overdue() {
        let mut h = hazard(HazardStatus::AwaitingVerification);
        h.rectified_at = Some(Timestamp(0).plus_days(3));
        assert_eq!(h.days_overdue(Timestamp(0).plus_days(30)), Some(2));
    }

    #[test]
    fn claim_before_deadline_is_never_overdue() {
        let mut h = hazard(HazardStatus::AwaitingVerification);
        h.rectified_at = Some(Timestamp(0).plus_hours(2));
        assert!(!is_overdue(&h, Timestamp(0).plus_days(30)));
        assert!(h
            .state_at(Timestamp(0).plus_days(30))
            .is_some_and(HazardState::is_unresolved));
    }

    #[test]
    fn rejected_claim_counts_as_open() {
        let mut h = hazard(HazardStatus::Open);
        h.rectified_at = Some(Timestamp(0).plus_hours(2));
        assert_eq!(
            h.state_at(Timestamp(0).plus_days(3)),
            Some(HazardState::Open)
        );
    }

    #[test]
    fn excluded_or_future_hazards_do_not_count() {
        let mut h = hazard(HazardStatus::Open);
        assert_eq!(h.state_at(Timestamp(-1)), None);
        h.excluded = true;
        assert_eq!(h.state_at(Timestamp(0).plus_days(3)), None);
    }

    #[test]
    fn ratings_outside_one_to_five_are_rejected() {
        assert!(Rating::new(0).is_err());
        assert!(Rating::new(6).is_err());
        assert_eq!(Rating::new(5).map(Rating::stars), Ok(5));
        assert!(serde_json::from_str::<Rating>("7").is_err());
    }
}

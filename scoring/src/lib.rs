//! Pure scoring engine for shop safety credit: evidence in; score, colour and reasons out.
//! No I/O, no clock, no web, no SQL: time is always a parameter.
//!
//! ```
//! use shopcredit_scoring::*;
//!
//! let policy = Policy::default_policy()?;
//! let t0 = Timestamp::from_millis(1_700_000_000_000);
//! let mut evidence = Evidence::new(t0);
//! evidence.hazards.push(Hazard {
//!     id: 7,
//!     source: HazardSource::Patrol,
//!     severity: Severity::Critical,
//!     hazard_type: "fire".into(),
//!     item_id: Some("extinguisher".into()),
//!     observed_at: t0.plus_days(100),
//!     deadline: hazard_deadline(&policy, Severity::Critical, t0.plus_days(100)),
//!     status: HazardStatus::Open,
//!     closed_at: None,
//!     rectified_at: None,
//!     excluded: false,
//! });
//! let a = assess(&evidence, &policy, t0.plus_days(103), None);
//! assert_eq!(a.colour, Colour::Red);
//! assert_eq!(a.reasons[0].code, ReasonCode::OverdueCriticalHazards);
//! assert_eq!(a.path_to_green[0].action, Action::VerifyFix { hazard_id: 7 });
//! # Ok::<(), PolicyError>(())
//! ```

#![warn(missing_docs)]

mod alerts;
mod assess;
mod calendar;
mod characteristics;
mod colour;
mod decisions;
mod enforcement;
mod error;
mod escalation;
mod evidence;
mod expiry;
mod explain;
mod path;
mod policy;
mod scorecard;
#[cfg(test)]
mod test_support;
mod text;
mod time;

/// How the score is made and what moves it, for owners, in Chinese then English (Markdown); kept
/// consistent with the default policy by a test.
pub const HOW_SCORES_WORK: &str = include_str!("how_scores_work.md");

pub use alerts::{alerts, Alert, AlertDue, AlertHazard, AlertKind, TrackedItem};
pub use assess::{assess, Assessment};
pub use calendar::Day;
pub use characteristics::{characteristics, Characteristics, Overdue};
pub use colour::{
    colour_notice, verified_clean_reinspection, Colour, ColourDecision, ColourRule, PreviousCode,
};
pub use decisions::{
    dispute_resolved_notice, fix_rejected_notice, hazard_opened_notice, local_time_words,
    summons_notice,
};
pub use enforcement::{
    case_closes_itself, case_notice, case_to_open, repeated_red, severity_rank, summons_pending,
    CaseActionKind, CaseFacts, CaseHazard, CaseOpening, CaseReason, CaseStatus, ShopFacts,
};
pub use error::{PolicyError, RatingError};
pub use escalation::{due_steps, step_notice, EscalationStep, LadderSoFar, RUNGS};
pub use evidence::{
    is_overdue, Evidence, Hazard, HazardSource, HazardState, HazardStatus, Patrol, PatrolKind,
    Rating, Review, SelfCheck, Severity,
};
pub use expiry::{expiry_action, ExpiryAction};
pub use explain::{CharacteristicPoints, Reason, ReasonCode, MAX_REASONS};
pub use path::{
    wait_for_green, Action, Step, MAX_PATH_STEPS, SIMULATED_PATROL_ID, WAIT_HORIZON_DAYS,
};
pub use policy::{
    hazard_deadline, AlertRule, BySeverity, ColourThresholds, EnforcementRule, EscalationHours,
    Policy, ProvisionalRule, ValidPolicy, ViolationWeights, DEFAULT_POLICY_TOML,
};
pub use scorecard::{Bin, CharacteristicCard, CharacteristicId, Direction, Scorecard};
pub use text::{days_in_words, duration_words, hazard_type_words, severity_words, Text};
pub use time::{Timestamp, MS_PER_DAY, MS_PER_HOUR};

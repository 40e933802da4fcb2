//! The escalation ladder of an overdue hazard: reminder to the owner, warning, regulator summons,
//! enforcement referral, each due a policy-set number of hours after the deadline.
//!
//! Pure: the service asks which rungs are due at an instant and records each rung once.

use serde::{Deserialize, Serialize};

use crate::evidence::{Hazard, HazardStatus};
use crate::policy::ValidPolicy;
use crate::time::Timestamp;

/// A rung of the ladder, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationStep {
    /// A reminder to the owner when the deadline passes.
    Reminder,
    /// A formal warning.
    Warning,
    /// A summons by the regulator.
    Summons,
    /// Referral for enforcement: the shop may get an enforcement case.
    Referral,
}

impl EscalationStep {
    /// Every rung, lowest first.
    pub const ALL: [EscalationStep; 4] = [
        EscalationStep::Reminder,
        EscalationStep::Warning,
        EscalationStep::Summons,
        EscalationStep::Referral,
    ];

    /// The stable name (storage and API).
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationStep::Reminder => "reminder",
            EscalationStep::Warning => "warning",
            EscalationStep::Summons => "summons",
            EscalationStep::Referral => "referral",
        }
    }

    /// Hours after the deadline at which this rung is due.
    pub fn hours_after_deadline(self, policy: &ValidPolicy) -> u32 {
        let e = policy.escalation_hours;
        match self {
            EscalationStep::Reminder => e.reminder,
            EscalationStep::Warning => e.warning,
            EscalationStep::Summons => e.summons,
            EscalationStep::Referral => e.referral,
        }
    }

    /// The notice the owner gets, in Chinese and English.
    pub fn message(self, hazard_description: &str) -> (String, String) {
        let (zh, en) = match self {
            EscalationStep::Reminder => (
                "整改期限已过，请尽快整改并提交整改材料",
                "The deadline has passed: fix it and submit the rectification",
            ),
            EscalationStep::Warning => (
                "警告：隐患逾期三天仍未整改",
                "Warning: the hazard is still unfixed three days after its deadline",
            ),
            EscalationStep::Summons => (
                "约谈通知：请到市场监管所接受约谈",
                "Summons: the market regulator asks you to attend an interview",
            ),
            EscalationStep::Referral => (
                "已移送执法：隐患逾期两周未整改",
                "Referred for enforcement: the hazard is unfixed two weeks after its deadline",
            ),
        };
        (
            format!("{zh}（{hazard_description}）"),
            format!("{en} ({hazard_description})"),
        )
    }
}

/// The rungs due for `hazard` at `as_of`, with the instant each fell due. None while the hazard is
/// not open: a claimed fix stops the clock, a verified fix or an upheld dispute ends it.
pub fn due_steps(
    hazard: &Hazard,
    policy: &ValidPolicy,
    as_of: Timestamp,
) -> Vec<(EscalationStep, Timestamp)> {
    if hazard.excluded || hazard.status != HazardStatus::Open || hazard.deadline > as_of {
        return Vec::new();
    }
    EscalationStep::ALL
        .into_iter()
        .map(|step| {
            (
                step,
                hazard
                    .deadline
                    .plus_hours(i64::from(step.hours_after_deadline(policy))),
            )
        })
        .filter(|(_, due)| *due <= as_of)
        .collect()
}

/// Whether turning red `red_spells` times within the policy's window calls for a case.
pub fn repeated_red(policy: &ValidPolicy, red_spells: u32) -> bool {
    red_spells >= policy.enforcement.repeated_red_count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{HazardSource, Severity};
    use crate::policy::Policy;

    fn hazard(deadline: Timestamp, status: HazardStatus) -> Hazard {
        Hazard {
            id: 1,
            source: HazardSource::Patrol,
            severity: Severity::Critical,
            hazard_type: "exits".into(),
            item_id: None,
            observed_at: deadline.plus_hours(-24),
            deadline,
            status,
            closed_at: None,
            rectified_at: None,
            excluded: false,
        }
    }

    #[test]
    fn rungs_fall_due_on_the_policy_timers_after_the_deadline() {
        let policy = Policy::default_policy().unwrap();
        let d = Timestamp::from_millis(1_000_000_000_000);
        let open = hazard(d, HazardStatus::Open);
        let names = |t: Timestamp| -> Vec<EscalationStep> {
            due_steps(&open, &policy, t)
                .into_iter()
                .map(|(s, _)| s)
                .collect()
        };
        assert!(names(d.plus_hours(-1)).is_empty());
        assert_eq!(names(d), vec![EscalationStep::Reminder]);
        assert_eq!(names(d.plus_hours(72)).len(), 2);
        assert_eq!(names(d.plus_hours(167)).len(), 2);
        assert_eq!(names(d.plus_hours(168)).len(), 3);
        assert_eq!(names(d.plus_hours(336)), EscalationStep::ALL.to_vec());
        assert_eq!(
            due_steps(&open, &policy, d.plus_hours(400))[3].1,
            d.plus_hours(336)
        );
    }

    #[test]
    fn a_claimed_fixed_or_excluded_hazard_does_not_climb() {
        let policy = Policy::default_policy().unwrap();
        let d = Timestamp::from_millis(1_000_000_000_000);
        let late = d.plus_hours(500);
        assert!(due_steps(
            &hazard(d, HazardStatus::AwaitingVerification),
            &policy,
            late
        )
        .is_empty());
        assert!(due_steps(&hazard(d, HazardStatus::Closed), &policy, late).is_empty());
        let mut excluded = hazard(d, HazardStatus::Open);
        excluded.excluded = true;
        assert!(due_steps(&excluded, &policy, late).is_empty());
    }

    #[test]
    fn three_red_spells_make_a_pattern() {
        let policy = Policy::default_policy().unwrap();
        assert!(!repeated_red(&policy, 2));
        assert!(repeated_red(&policy, 3));
    }
}

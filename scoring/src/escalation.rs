//! The escalation ladder of an overdue hazard: reminder to the owner, warning, regulator summons,
//! enforcement referral, each due a policy-set number of hours after the deadline and never sooner
//! than the policy's gap after the rung below was actually taken.
//!
//! Pure: the service asks which rungs are due at an instant and records each rung once.

use serde::{Deserialize, Serialize};

use crate::evidence::{Hazard, HazardStatus};
use crate::policy::ValidPolicy;
use crate::text::{duration_words, inline_zh, Text};
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

/// How many rungs the ladder has (a hazard whose every rung is taken has finished climbing).
pub const RUNGS: usize = EscalationStep::ALL.len();

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

    /// The rung named `name` (see [`EscalationStep::as_str`]), or `None` for an unknown name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|step| step.as_str() == name)
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
}

/// The notice the owner gets when `step` is taken, worded from the policy's timers so the words
/// always match the clock that fired them.
/// `hazard` describes the hazard in each language (someone's own words are the same in both).
pub fn step_notice(step: EscalationStep, policy: &ValidPolicy, hazard: &Text) -> Text {
    let after = duration_words(step.hours_after_deadline(policy));
    let (zh, en) = match step {
        EscalationStep::Reminder => (
            "整改期限已过，请尽快整改并提交整改材料".to_owned(),
            "The deadline has passed: fix it and submit the rectification".to_owned(),
        ),
        EscalationStep::Warning => (
            format!("警告：隐患逾期{}仍未整改", inline_zh(&after.zh)),
            format!(
                "Warning: the hazard is still unfixed {} after its deadline",
                after.en
            ),
        ),
        EscalationStep::Summons => (
            "约谈通知：请到市场监管所接受约谈".to_owned(),
            "Summons: the market regulator asks you to attend an interview".to_owned(),
        ),
        EscalationStep::Referral => (
            format!("已移送执法：隐患逾期{}未整改", inline_zh(&after.zh)),
            format!(
                "Referred for enforcement: the hazard is unfixed {} after its deadline",
                after.en
            ),
        ),
    };
    Text {
        zh: format!("{zh}（{}）", hazard.zh),
        en: format!("{en} ({})", hazard.en),
    }
}

/// What the ladder of one hazard has done so far: when the hazard was recorded (escalation never
/// starts before the service knew of it, however far back it was observed) and the rungs already
/// taken, with the instant each was actually taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LadderSoFar {
    /// When the hazard was recorded.
    pub recorded_at: Timestamp,
    /// Rungs taken, with when each was taken (any order).
    pub taken: Vec<(EscalationStep, Timestamp)>,
}

impl EscalationStep {
    /// The rung below this one, if any.
    pub fn previous(self) -> Option<Self> {
        let i = Self::ALL.iter().position(|&s| s == self)?;
        i.checked_sub(1).map(|j| Self::ALL[j])
    }

    /// The least time between the rung below being taken and this one: the policy's gap between
    /// their timers (none for the reminder, the first rung).
    pub fn gap_hours(self, policy: &ValidPolicy) -> u32 {
        self.previous().map_or(0, |prev| {
            self.hours_after_deadline(policy)
                .saturating_sub(prev.hours_after_deadline(policy))
        })
    }
}

/// The rungs due for `hazard` at `as_of`, lowest first, with the instant each fell due. None while
/// the hazard is not open: a claimed fix stops the clock, a verified fix or an upheld dispute ends it.
///
/// Service first: a rung falls due at the later of (deadline + its hours) and (the rung below
/// taken + the policy's gap between the two), and the first rung no earlier than the recording of
/// the hazard. A back-dated hazard may thus be overdue at once, but the owner still gets the
/// reminder, then the warning, then the summons, each spaced as the policy says, before a referral.
/// A rung due now is assumed taken now; the policy's timers strictly increase, so one call
/// answers at most one rung.
pub fn due_steps(
    hazard: &Hazard,
    ladder: &LadderSoFar,
    policy: &ValidPolicy,
    as_of: Timestamp,
) -> Vec<(EscalationStep, Timestamp)> {
    if hazard.excluded || hazard.status != HazardStatus::Open || hazard.deadline > as_of {
        return Vec::new();
    }
    let taken_at = |step: EscalationStep| {
        ladder
            .taken
            .iter()
            .find(|(s, _)| *s == step)
            .map(|&(_, at)| at)
    };
    let mut due_now = Vec::new();
    let mut previous_taken = ladder.recorded_at;
    for step in EscalationStep::ALL {
        if let Some(at) = taken_at(step) {
            previous_taken = at;
            continue;
        }
        let on_timer = hazard
            .deadline
            .plus_hours(i64::from(step.hours_after_deadline(policy)));
        let after_previous = previous_taken.plus_hours(i64::from(step.gap_hours(policy)));
        let due = on_timer.max(after_previous);
        if due > as_of {
            break;
        }
        due_now.push((step, due));
        previous_taken = as_of;
    }
    due_now
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{HazardSource, Severity};
    use crate::policy::Policy;
    use crate::test_support::{assert_stable_names, has_han, has_latin};

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
        // A sweep every hour from before the deadline: each rung on its own timer.
        let mut ladder = LadderSoFar {
            recorded_at: d.plus_hours(-24),
            taken: Vec::new(),
        };
        for hour in -1..=400 {
            let now = d.plus_hours(hour);
            for (step, due) in due_steps(&open, &ladder, &policy, now) {
                assert_eq!(due, now, "{step:?} is taken the hour it falls due");
                ladder.taken.push((step, now));
            }
        }
        assert_eq!(
            ladder.taken,
            vec![
                (EscalationStep::Reminder, d),
                (EscalationStep::Warning, d.plus_hours(72)),
                (EscalationStep::Summons, d.plus_hours(168)),
                (EscalationStep::Referral, d.plus_hours(336)),
            ]
        );
    }

    #[test]
    fn a_back_dated_hazard_climbs_one_rung_at_a_time_from_its_recording() {
        let policy = Policy::default_policy().unwrap();
        let recorded = Timestamp::from_millis(1_000_000_000_000);
        // Observed 20 days ago: the deadline passed long before anyone recorded it.
        let d = recorded.plus_days(-19);
        let open = hazard(d, HazardStatus::Open);
        let mut ladder = LadderSoFar {
            recorded_at: recorded,
            taken: Vec::new(),
        };
        let first = due_steps(&open, &ladder, &policy, recorded);
        assert_eq!(first, vec![(EscalationStep::Reminder, recorded)]);
        ladder.taken.push((EscalationStep::Reminder, recorded));
        assert!(due_steps(&open, &ladder, &policy, recorded.plus_hours(71)).is_empty());
        let warned = recorded.plus_hours(72);
        assert_eq!(
            due_steps(&open, &ladder, &policy, warned.plus_hours(5)),
            vec![(EscalationStep::Warning, warned)]
        );
        // The warning was actually taken five hours late: the summons counts from then.
        ladder
            .taken
            .push((EscalationStep::Warning, warned.plus_hours(5)));
        let summons = warned.plus_hours(5 + 96);
        assert!(due_steps(&open, &ladder, &policy, summons.plus_hours(-1)).is_empty());
        assert_eq!(
            due_steps(&open, &ladder, &policy, summons),
            vec![(EscalationStep::Summons, summons)]
        );
        ladder.taken.push((EscalationStep::Summons, summons));
        assert!(due_steps(&open, &ladder, &policy, summons.plus_hours(167)).is_empty());
        assert_eq!(
            due_steps(&open, &ladder, &policy, summons.plus_hours(168)),
            vec![(EscalationStep::Referral, summons.plus_hours(168))]
        );
    }

    #[test]
    fn a_claimed_fixed_or_excluded_hazard_does_not_climb() {
        let policy = Policy::default_policy().unwrap();
        let d = Timestamp::from_millis(1_000_000_000_000);
        let late = d.plus_hours(500);
        let ladder = LadderSoFar {
            recorded_at: d,
            taken: Vec::new(),
        };
        let claimed = hazard(d, HazardStatus::AwaitingVerification);
        assert!(due_steps(&claimed, &ladder, &policy, late).is_empty());
        let closed = hazard(d, HazardStatus::Closed);
        assert!(due_steps(&closed, &ladder, &policy, late).is_empty());
        let mut excluded = hazard(d, HazardStatus::Open);
        excluded.excluded = true;
        assert!(due_steps(&excluded, &ladder, &policy, late).is_empty());
    }

    #[test]
    fn every_rung_keeps_its_stable_name() {
        assert_eq!(RUNGS, 4);
        assert_stable_names(
            &EscalationStep::ALL,
            EscalationStep::as_str,
            EscalationStep::parse,
        );
    }

    #[test]
    fn notices_name_the_policys_timers() {
        let policy = Policy::default_policy().unwrap();
        let warning = step_notice(
            EscalationStep::Warning,
            &policy,
            &Text::as_written("exit blocked"),
        );
        assert_eq!(warning.zh, "警告：隐患逾期 3 天仍未整改（exit blocked）");
        assert_eq!(
            warning.en,
            "Warning: the hazard is still unfixed 3 days after its deadline (exit blocked)"
        );
        let referral = step_notice(
            EscalationStep::Referral,
            &policy,
            &Text::as_written("通道堵塞"),
        );
        assert_eq!(referral.zh, "已移送执法：隐患逾期两周未整改（通道堵塞）");
        assert_eq!(
            referral.en,
            "Referred for enforcement: the hazard is unfixed two weeks after its deadline (通道堵塞)"
        );
    }

    #[test]
    fn changing_the_policys_hours_changes_the_words() {
        let mut plain = Policy::default_policy().unwrap().into_inner();
        plain.escalation_hours.warning = 48;
        plain.escalation_hours.referral = 240;
        let policy = plain.validate().unwrap();
        let warning = step_notice(EscalationStep::Warning, &policy, &Text::as_written("x"));
        assert!(warning.zh.contains("逾期 2 天"), "{}", warning.zh);
        assert!(
            warning.en.contains("unfixed 2 days after"),
            "{}",
            warning.en
        );
        let referral = step_notice(EscalationStep::Referral, &policy, &Text::as_written("x"));
        assert!(referral.zh.contains("逾期 10 天"), "{}", referral.zh);
        assert!(referral.en.contains("10 days after"), "{}", referral.en);
    }

    #[test]
    fn each_notice_is_in_one_language_around_the_quoted_description() {
        let policy = Policy::default_policy().unwrap();
        for step in EscalationStep::ALL {
            let zh = step_notice(step, &policy, &Text::as_written("灭火器过期")).zh;
            let en = step_notice(step, &policy, &Text::as_written("extinguisher expired")).en;
            assert!(!has_latin(&zh), "{zh}");
            assert!(!has_han(&en), "{en}");
            assert!(zh.ends_with("（灭火器过期）") && en.ends_with(" (extinguisher expired)"));
        }
    }
}

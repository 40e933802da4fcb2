//! Enforcement cases: when one opens, when it closes itself, and what the owner is told.
//!
//! Pure rules over plain facts the service reads from storage; the service stores the outcome.

use serde::{Deserialize, Serialize};

use crate::colour::Colour;
use crate::evidence::Severity;
use crate::policy::ValidPolicy;
use crate::text::Text;
use crate::time::Timestamp;

mod kinds;

pub use kinds::{CaseActionKind, CaseReason, CaseStatus};

/// An unresolved hazard of the shop, as the case rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseHazard {
    /// The hazard's id.
    pub id: i64,
    /// How serious it is.
    pub severity: Severity,
    /// Its referral rung has been taken.
    pub referral_taken: bool,
    /// It already belongs to a case (open or closed), so it cannot open another.
    pub in_a_case: bool,
}

/// What the case rules need to know about a shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopFacts {
    /// The shop's current colour.
    pub colour: Colour,
    /// The shop has an open case.
    pub has_open_case: bool,
    /// When the shop's latest case (open or closed) was opened.
    pub last_case_opened_at: Option<Timestamp>,
    /// Counted (not excluded), not closed hazards.
    pub unresolved_hazards: Vec<CaseHazard>,
    /// Instants the shop's colour became red, in any order.
    pub turned_red_at: Vec<Timestamp>,
}

/// A case the rules call for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseOpening {
    /// Why.
    pub reason: CaseReason,
    /// The hazards the case is about, ascending.
    pub hazard_ids: Vec<i64>,
    /// The worst of their severities (minor when there are none); orders the regulators' queue.
    pub severity: Severity,
}

/// The case the rules call for at `now`, if any.
///
/// One case at a time. An unfixed hazard past its referral rung opens one while the shop is red;
/// otherwise a shop that turned red [`repeated_red`] times within the policy's window since its
/// last case opens one whatever its colour now, because the pattern is the problem.
pub fn case_to_open(
    facts: &ShopFacts,
    policy: &ValidPolicy,
    now: Timestamp,
) -> Option<CaseOpening> {
    if facts.has_open_case {
        return None;
    }
    if facts.colour == Colour::Red {
        let referred: Vec<CaseHazard> = facts
            .unresolved_hazards
            .iter()
            .filter(|h| h.referral_taken && !h.in_a_case)
            .copied()
            .collect();
        if !referred.is_empty() {
            return Some(opening(CaseReason::UnfixedPastReferral, &referred));
        }
    }
    let window_start = now.plus_days(-i64::from(policy.enforcement.repeated_red_window_days));
    let spells = facts
        .turned_red_at
        .iter()
        .filter(|&&t| t > window_start && !matches!(facts.last_case_opened_at, Some(o) if t <= o))
        .count();
    repeated_red(policy, u32::try_from(spells).unwrap_or(u32::MAX))
        .then(|| opening(CaseReason::RepeatedRed, &facts.unresolved_hazards))
}

fn opening(reason: CaseReason, hazards: &[CaseHazard]) -> CaseOpening {
    let mut hazard_ids: Vec<i64> = hazards.iter().map(|h| h.id).collect();
    hazard_ids.sort_unstable();
    let severity = hazards
        .iter()
        .map(|h| h.severity)
        .max_by_key(|&s| severity_rank(s))
        .unwrap_or(Severity::Minor);
    CaseOpening {
        reason,
        hazard_ids,
        severity,
    }
}

/// Whether turning red `red_spells` times within the policy's window calls for a case.
pub fn repeated_red(policy: &ValidPolicy, red_spells: u32) -> bool {
    red_spells >= policy.enforcement.repeated_red_count
}

/// The regulators' queue order: critical 3, major 2, minor 1 (higher is handled first).
pub fn severity_rank(severity: Severity) -> i64 {
    match severity {
        Severity::Critical => 3,
        Severity::Major => 2,
        Severity::Minor => 1,
    }
}

/// Whether a summons awaits its interview, given a case's actions in the order recorded: a
/// summons after the last interview held.
pub fn summons_pending(actions: &[CaseActionKind]) -> bool {
    actions
        .iter()
        .rev()
        .find(|&&a| matches!(a, CaseActionKind::Summons | CaseActionKind::SummonsHeld))
        == Some(&CaseActionKind::Summons)
}

/// What decides whether an open case may close itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFacts {
    /// Why the case was opened.
    pub reason: CaseReason,
    /// Every hazard of the case is verified fixed or no longer counted.
    pub hazards_resolved: bool,
    /// A summons awaits its interview (see [`summons_pending`]).
    pub summons_pending: bool,
    /// The shop is red now.
    pub shop_red: bool,
}

/// Whether an open case closes itself: only a case opened for unfixed hazards does, once they are
/// verified fixed and no summons is pending. A repeated-red case is about a pattern, which no fix
/// undoes: it stays open until a regulator closes it with an outcome.
pub fn case_closes_itself(facts: &CaseFacts) -> bool {
    facts.reason == CaseReason::UnfixedPastReferral
        && facts.hazards_resolved
        && !facts.summons_pending
}

/// The notice the owner gets when a case is opened (`true`) or closed (`false`).
pub fn case_notice(opened: bool) -> Text {
    if opened {
        Text::new(
            "您的店铺已被立案查处，请配合执法",
            "An enforcement case has been opened against your shop",
        )
    } else {
        Text::new(
            "您的执法案件已结案",
            "Your shop's enforcement case is closed",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    fn policy() -> ValidPolicy {
        Policy::default_policy().unwrap_or_else(|e| panic!("{e}"))
    }

    fn hazard(id: i64, severity: Severity, referral_taken: bool) -> CaseHazard {
        CaseHazard {
            id,
            severity,
            referral_taken,
            in_a_case: false,
        }
    }

    fn red_shop(hazards: Vec<CaseHazard>) -> ShopFacts {
        ShopFacts {
            colour: Colour::Red,
            has_open_case: false,
            last_case_opened_at: None,
            unresolved_hazards: hazards,
            turned_red_at: Vec::new(),
        }
    }

    /// Three red spells within the default 90-day window, newest first.
    fn three_recent_spells() -> Vec<Timestamp> {
        vec![NOW.plus_days(-1), NOW.plus_days(-40), NOW.plus_days(-80)]
    }

    #[test]
    fn a_red_shop_with_a_referred_hazard_gets_a_case_about_those_hazards() {
        let facts = red_shop(vec![
            hazard(9, Severity::Minor, true),
            hazard(4, Severity::Major, true),
            hazard(6, Severity::Critical, false),
        ]);
        let case = case_to_open(&facts, &policy(), NOW);
        assert_eq!(
            case,
            Some(CaseOpening {
                reason: CaseReason::UnfixedPastReferral,
                hazard_ids: vec![4, 9],
                severity: Severity::Major,
            })
        );
    }

    #[test]
    fn a_referred_hazard_opens_no_case_unless_the_shop_is_red_now() {
        let mut facts = red_shop(vec![hazard(4, Severity::Critical, true)]);
        facts.colour = Colour::Yellow;
        assert_eq!(case_to_open(&facts, &policy(), NOW), None);
    }

    #[test]
    fn no_second_case_while_one_is_open() {
        let mut facts = red_shop(vec![hazard(4, Severity::Critical, true)]);
        facts.turned_red_at = three_recent_spells();
        facts.has_open_case = true;
        assert_eq!(case_to_open(&facts, &policy(), NOW), None);
    }

    #[test]
    fn a_hazard_already_in_a_case_does_not_open_another() {
        let mut referred = hazard(4, Severity::Critical, true);
        referred.in_a_case = true;
        assert_eq!(
            case_to_open(&red_shop(vec![referred]), &policy(), NOW),
            None
        );
    }

    #[test]
    fn repeated_red_opens_a_case_whatever_the_colour_now() {
        let mut facts = red_shop(vec![
            hazard(8, Severity::Minor, false),
            hazard(3, Severity::Major, false),
        ]);
        facts.colour = Colour::Green;
        facts.turned_red_at = three_recent_spells();
        let case = case_to_open(&facts, &policy(), NOW);
        assert_eq!(
            case,
            Some(CaseOpening {
                reason: CaseReason::RepeatedRed,
                hazard_ids: vec![3, 8],
                severity: Severity::Major,
            })
        );
    }

    #[test]
    fn repeated_red_with_nothing_unresolved_is_a_minor_case() {
        let mut facts = red_shop(Vec::new());
        facts.turned_red_at = three_recent_spells();
        let case = case_to_open(&facts, &policy(), NOW);
        assert_eq!(
            case.map(|c| (c.reason, c.severity)),
            Some((CaseReason::RepeatedRed, Severity::Minor))
        );
    }

    #[test]
    fn referral_comes_before_repeated_red() {
        let mut facts = red_shop(vec![
            hazard(5, Severity::Minor, true),
            hazard(2, Severity::Critical, false),
        ]);
        facts.turned_red_at = three_recent_spells();
        let case = case_to_open(&facts, &policy(), NOW);
        assert_eq!(
            case.map(|c| (c.reason, c.hazard_ids)),
            Some((CaseReason::UnfixedPastReferral, vec![5]))
        );
    }

    #[test]
    fn only_red_spells_inside_the_window_and_since_the_last_case_count() {
        let window_start = NOW.plus_days(-90);
        let cases: [(&str, Vec<Timestamp>, Option<Timestamp>, bool); 5] = [
            ("three inside", three_recent_spells(), None, true),
            (
                "two inside",
                vec![NOW.plus_days(-1), NOW.plus_days(-2)],
                None,
                false,
            ),
            (
                "one exactly at the window start",
                vec![NOW, NOW.plus_days(-1), window_start],
                None,
                false,
            ),
            (
                "one before the last case",
                three_recent_spells(),
                Some(NOW.plus_days(-60)),
                false,
            ),
            (
                "one exactly when the last case opened",
                three_recent_spells(),
                Some(NOW.plus_days(-80)),
                false,
            ),
        ];
        for (name, spells, last_case, opens) in cases {
            let mut facts = red_shop(Vec::new());
            facts.turned_red_at = spells;
            facts.last_case_opened_at = last_case;
            assert_eq!(
                case_to_open(&facts, &policy(), NOW).is_some(),
                opens,
                "{name}"
            );
        }
    }

    #[test]
    fn the_policy_sets_how_many_red_spells_make_a_pattern() {
        let policy = policy();
        assert!(!repeated_red(&policy, 2));
        assert!(repeated_red(&policy, 3));
    }

    #[test]
    fn the_queue_puts_the_worst_severity_first() {
        let ranks: Vec<i64> = Severity::ALL.into_iter().map(severity_rank).collect();
        assert_eq!(ranks, vec![3, 2, 1]);
    }

    #[test]
    fn a_summons_is_pending_until_an_interview_is_held_after_it() {
        use CaseActionKind::{Fine, Summons, SummonsHeld};
        let cases: [(&[CaseActionKind], bool); 6] = [
            (&[], false),
            (&[Fine], false),
            (&[Summons], true),
            (&[Summons, Fine], true),
            (&[Summons, SummonsHeld], false),
            (&[Summons, SummonsHeld, Summons], true),
        ];
        for (actions, pending) in cases {
            assert_eq!(summons_pending(actions), pending, "{actions:?}");
        }
    }

    #[test]
    fn only_a_case_about_unfixed_hazards_closes_itself_once_they_are_fixed() {
        use CaseReason::{RepeatedRed, UnfixedPastReferral};
        let cases = [
            (UnfixedPastReferral, true, false, true, true),
            (UnfixedPastReferral, false, false, false, false),
            (UnfixedPastReferral, true, true, false, false),
            (RepeatedRed, true, false, false, false),
            (RepeatedRed, true, false, true, false),
            (RepeatedRed, false, false, false, false),
        ];
        for (reason, hazards_resolved, summons_pending, shop_red, closes) in cases {
            let facts = CaseFacts {
                reason,
                hazards_resolved,
                summons_pending,
                shop_red,
            };
            assert_eq!(case_closes_itself(&facts), closes, "{facts:?}");
        }
    }

    #[test]
    fn owners_are_told_when_a_case_opens_and_closes() {
        assert_eq!(case_notice(true).zh, "您的店铺已被立案查处，请配合执法");
        assert_eq!(
            case_notice(false).en,
            "Your shop's enforcement case is closed"
        );
    }
}

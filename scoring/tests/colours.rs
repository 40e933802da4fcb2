//! Each colour rule, isolated: a flat policy fixes the score so only the rule under test decides.

mod common;

use common::*;
use shopcredit_scoring::*;

const AS_OF: i64 = AS_OF_DAY;

fn shop() -> Evidence {
    good_shop()
}

fn colour_of(e: &Evidence, base: i32, previous: Option<PreviousCode>) -> (Colour, ColourRule) {
    let a = assess(e, &flat_policy(base), day(AS_OF), previous);
    assert_eq!(
        i32::from(a.score),
        base,
        "flat policy keeps the score at its base"
    );
    (a.colour, a.colour_rule)
}

fn was(colour: Colour, since_day: i64) -> Option<PreviousCode> {
    Some(PreviousCode {
        colour,
        since: day(since_day),
    })
}

#[test]
fn score_thresholds_decide_without_hard_facts() {
    let e = shop();
    assert_eq!(
        colour_of(&e, 650, None),
        (Colour::Green, ColourRule::ScoreAtLeastGreen)
    );
    assert_eq!(
        colour_of(&e, 649, None),
        (Colour::Yellow, ColourRule::ScoreBetweenThresholds)
    );
    assert_eq!(
        colour_of(&e, 550, None),
        (Colour::Yellow, ColourRule::ScoreBetweenThresholds)
    );
    assert_eq!(
        colour_of(&e, 549, None),
        (Colour::Red, ColourRule::ScoreBelowRed)
    );
}

#[test]
fn overdue_critical_hazard_is_red_whatever_the_score() {
    let mut e = shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Critical, day(AS_OF - 2)));
    assert_eq!(
        colour_of(&e, 1000, None),
        (Colour::Red, ColourRule::OverdueCriticalHazard)
    );
}

#[test]
fn open_critical_hazard_within_its_deadline_is_not_red_by_rule() {
    let mut e = shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Critical, day_h(AS_OF, -3)));
    assert_eq!(colour_of(&e, 1000, None).0, Colour::Green);
}

#[test]
fn overdue_non_critical_hazard_is_at_least_yellow() {
    let mut e = shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Minor, day(AS_OF - 10)));
    assert_eq!(
        colour_of(&e, 1000, None),
        (Colour::Yellow, ColourRule::OverdueHazard)
    );
    assert_eq!(
        colour_of(&e, 500, None),
        (Colour::Red, ColourRule::ScoreBelowRed)
    );
}

#[test]
fn fix_claimed_after_the_deadline_does_not_lift_red() {
    let mut e = shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Critical, day(AS_OF - 5)).claimed(day(AS_OF - 1)));
    assert_eq!(
        colour_of(&e, 1000, None),
        (Colour::Red, ColourRule::OverdueCriticalHazard)
    );
}

#[test]
fn fix_claimed_before_the_deadline_stops_the_overdue_clock() {
    let mut e = shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Critical, day(AS_OF - 5)).claimed(day_h(AS_OF - 5, 2)));
    assert_eq!(colour_of(&e, 1000, None).0, Colour::Green);
    assert!(!is_overdue(&e.hazards[0], day(AS_OF)));
}

#[test]
fn colour_escalates_at_once() {
    let e = shop();
    assert_eq!(
        colour_of(&e, 600, was(Colour::Green, 100)).0,
        Colour::Yellow
    );
    assert_eq!(colour_of(&e, 500, was(Colour::Yellow, 100)).0, Colour::Red);
    assert_eq!(colour_of(&e, 500, was(Colour::Green, 100)).0, Colour::Red);
}

#[test]
fn red_is_held_until_the_score_clears_the_red_threshold_by_the_margin() {
    let e = shop();
    assert_eq!(
        colour_of(&e, 569, was(Colour::Red, 399)),
        (Colour::Red, ColourRule::HeldByHysteresis)
    );
    assert_eq!(colour_of(&e, 570, was(Colour::Red, 399)).0, Colour::Yellow);
}

#[test]
fn red_goes_to_green_only_past_the_green_margin() {
    let e = shop();
    assert_eq!(
        colour_of(&e, 660, was(Colour::Red, 399)),
        (Colour::Yellow, ColourRule::HeldByHysteresis)
    );
    assert_eq!(
        colour_of(&e, 670, was(Colour::Red, 399)),
        (Colour::Green, ColourRule::ScoreAtLeastGreen)
    );
}

#[test]
fn yellow_is_held_until_the_score_clears_the_green_threshold_by_the_margin() {
    let e = shop();
    assert_eq!(
        colour_of(&e, 669, was(Colour::Yellow, 399)),
        (Colour::Yellow, ColourRule::HeldByHysteresis)
    );
    assert_eq!(
        colour_of(&e, 670, was(Colour::Yellow, 399)).0,
        Colour::Green
    );
}

#[test]
fn clean_reinspection_after_the_last_fix_lifts_red_inside_the_margin() {
    let mut e = shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Critical, day(390)).closed(day(395)));
    e.patrols.push(clean_patrol(7, day(396)));
    assert_eq!(
        colour_of(&e, 560, was(Colour::Red, 391)),
        (Colour::Yellow, ColourRule::CleanReinspection)
    );
    assert_eq!(
        colour_of(&e, 655, was(Colour::Red, 391)),
        (Colour::Green, ColourRule::CleanReinspection)
    );
}

#[test]
fn clean_patrol_before_the_fix_was_verified_counts_once_it_is() {
    // Issue 9: the patrol of a visit is recorded at arrival, the verification during the visit.
    let mut e = shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Critical, day(390)).closed(day(395)));
    e.patrols.push(clean_patrol(7, day(394)));
    assert_eq!(
        colour_of(&e, 560, was(Colour::Red, 391)),
        (Colour::Yellow, ColourRule::CleanReinspection)
    );
}

#[test]
fn patrol_before_a_later_finding_is_no_reinspection() {
    let mut e = shop();
    e.patrols.push(clean_patrol(7, day(392)));
    e.hazards
        .push(patrol_hazard(1, Severity::Critical, day(393)).closed(day(395)));
    assert_eq!(colour_of(&e, 560, was(Colour::Red, 391)).0, Colour::Red);
}

#[test]
fn patrol_before_the_colour_changed_is_no_reinspection() {
    let e = shop(); // clean patrols on days 200 and 350 only
    assert_eq!(colour_of(&e, 560, was(Colour::Red, 360)).0, Colour::Red);
}

#[test]
fn patrol_while_an_older_hazard_is_unresolved_is_no_reinspection() {
    let mut e = shop();
    e.hazards.push(patrol_hazard(1, Severity::Minor, day(398)));
    e.patrols.push(clean_patrol(7, day(399)));
    assert_eq!(colour_of(&e, 560, was(Colour::Red, 391)).0, Colour::Red);
}

#[test]
fn new_shop_is_provisional_until_evidence_or_time_accrues() {
    let mut e = Evidence::new(day(0));
    assert!(assess_at(&e, day(30)).provisional);
    assert!(!assess_at(&e, day(90)).provisional, "tenure alone ends it");
    e.self_checks = vec![self_check(day(1), &[]), self_check(day(2), &[])];
    e.patrols = vec![clean_patrol(1, day(3))];
    assert!(
        !assess_at(&e, day(30)).provisional,
        "enough evidence ends it"
    );
}

#[test]
fn shop_goes_red_and_back_to_green_only_after_verified_fix_and_reinspection() {
    let p = policy();
    let mut e = Evidence::new(day(0));
    let green = assess(&e, &p, day(10), None);
    assert_eq!(green.colour, Colour::Green);

    e.hazards
        .push(patrol_hazard(5, Severity::Critical, day(11)));
    let red = assess(&e, &p, day(13), was(Colour::Green, 0));
    assert_eq!(
        (red.colour, red.colour_rule),
        (Colour::Red, ColourRule::OverdueCriticalHazard)
    );
    assert_eq!(red.reasons[0].hazard_ids, vec![5]);
    let actions: Vec<&Action> = red.path_to_green.iter().map(|s| &s.action).collect();
    assert_eq!(actions.first(), Some(&&Action::VerifyFix { hazard_id: 5 }));
    assert_eq!(
        actions.len(),
        2,
        "fixing alone leaves the score inside the margin"
    );
    let promised: Vec<(u16, Colour)> = red
        .path_to_green
        .iter()
        .map(|s| (s.score_after, s.colour_after))
        .collect();
    assert_eq!(
        promised.last().map(|p| p.1),
        Some(Colour::Green),
        "{:?}",
        red.path_to_green
    );

    e.hazards[0] = e.hazards[0].clone().claimed(day(13));
    let claimed = assess(&e, &p, day(13), was(Colour::Red, 12));
    assert_eq!(claimed.colour, Colour::Red, "a claim alone changes nothing");

    e.hazards[0] = e.hazards[0].clone().closed(day(14));
    let verified = assess(&e, &p, day(14), was(Colour::Red, 12));
    assert_eq!(
        (verified.colour, verified.colour_rule),
        (Colour::Red, ColourRule::HeldByHysteresis),
        "the shipped policy keeps red until a re-inspection"
    );

    e.patrols.push(clean_patrol(9, day(15)));
    let reinspected = assess(&e, &p, day(15), was(Colour::Red, 12));
    assert_eq!(reinspected.colour, Colour::Green);
}

#[test]
fn following_the_path_to_green_reaches_green_with_the_promised_scores() {
    let mut e = good_shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Critical, day(AS_OF - 3)));
    e.hazards
        .push(patrol_hazard(2, Severity::Minor, day(AS_OF - 1)));
    e.self_checks.retain(|s| s.submitted_at < day(330));
    let as_of = day(AS_OF);
    let a = assess_at(&e, as_of);
    assert_eq!(a.colour, Colour::Red);
    assert!(!a.path_to_green.is_empty());
    let mut previous = PreviousCode {
        colour: a.colour,
        since: as_of,
    };
    for step in &a.path_to_green {
        match &step.action {
            Action::VerifyFix { hazard_id } => {
                for h in e.hazards.iter_mut().filter(|h| h.id == *hazard_id) {
                    *h = h.clone().closed(as_of);
                }
            }
            Action::SubmitSelfCheck => e.self_checks.push(self_check(as_of, &[])),
            Action::CleanReinspection => e.patrols.push(clean_patrol(99, as_of)),
            Action::Wait { .. } => panic!("fixing is enough here: {step:?}"),
        }
        let now = assess(&e, &policy(), as_of, Some(previous));
        assert_eq!(
            (now.score, now.colour),
            (step.score_after, step.colour_after),
            "{step:?}"
        );
        if now.colour != previous.colour {
            previous = PreviousCode {
                colour: now.colour,
                since: as_of,
            };
        }
    }
    assert_eq!(previous.colour, Colour::Green);
}

#[test]
fn fixing_the_only_overdue_hazard_is_the_whole_path_when_it_clears_the_margin() {
    let mut e = good_shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Minor, day(AS_OF - 10)));
    let a = assess_at(&e, day(AS_OF));
    assert_eq!(a.colour, Colour::Yellow);
    let actions: Vec<&Action> = a.path_to_green.iter().map(|s| &s.action).collect();
    assert_eq!(actions, vec![&Action::VerifyFix { hazard_id: 1 }]);
}

#[test]
fn policy_can_require_a_reinspection_to_leave_red() {
    let mut p = flat_policy(900).into_inner();
    p.colours.red_exit_requires_reinspection = true;
    let p = p.validate().unwrap_or_else(|e| panic!("{e}"));
    let mut e = shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Critical, day(390)).closed(day(395)));
    let held = assess(&e, &p, day(AS_OF), was(Colour::Red, 391));
    assert_eq!(
        (held.colour, held.colour_rule),
        (Colour::Red, ColourRule::HeldByHysteresis)
    );
    e.patrols.push(clean_patrol(7, day(396)));
    let lifted = assess(&e, &p, day(AS_OF), was(Colour::Red, 391));
    assert_eq!(
        (lifted.colour, lifted.colour_rule),
        (Colour::Green, ColourRule::CleanReinspection)
    );
}

#[test]
fn verified_fix_of_a_high_scoring_shop_clears_red_without_reinspection_when_the_policy_allows_it() {
    let mut e = shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Critical, day(390)).closed(day(395)));
    assert_eq!(colour_of(&e, 900, was(Colour::Red, 391)).0, Colour::Green);
}

//! Honesty is never punished (issue 9, point 5): each fact is counted once, a problem the owner
//! reports costs less than the same problem found by a patrol, and a false pass costs more than both.

mod common;

use common::*;
use proptest::prelude::*;
use shopcredit_scoring::*;

const AS_OF: i64 = AS_OF_DAY;

fn points(a: &Assessment, id: CharacteristicId) -> i32 {
    a.characteristics
        .iter()
        .find(|c| c.id == id)
        .map_or(0, |c| c.points)
}

/// A shop with no hazards and no patrols: only the self-checks and reviews of a good shop.
fn quiet_shop() -> Evidence {
    let mut e = good_shop();
    e.patrols.clear();
    e
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The same problem, reported by the owner or found by a patrol, on the same day and fixed (or
    /// not) at the same time: at any later instant the owner's report costs strictly less while it
    /// is open or in recent history, and never more.
    #[test]
    fn a_problem_the_owner_reports_never_costs_more_than_the_same_problem_found_by_a_patrol(
        severity in prop::sample::select(Severity::ALL.to_vec()),
        fixed_after_hours in prop::option::of(1i64..400),
        found_days_ago in 1i64..300,
        judged_days_later in 0i64..200,
    ) {
        let observed = day(AS_OF - found_days_ago);
        let as_of = day(AS_OF - found_days_ago).plus_days(judged_days_later).plus_hours(1);
        let make = |source| {
            let mut e = quiet_shop();
            let mut h = hazard(1, severity, source, observed);
            if let Some(after) = fixed_after_hours {
                h = h.claimed(observed.plus_hours(after)).closed(observed.plus_hours(after));
            }
            // Only the hazard's source differs: the visit's other effects (a patrol that confirms
            // earlier self-checks) are separate evidence, tested on their own below.
            e.hazards.push(h);
            assess_at(&e, as_of).score
        };
        let reported = make(HazardSource::SelfCheck);
        let found = make(HazardSource::Patrol);
        prop_assert!(reported >= found, "reported {reported} < found {found}");
        let fresh = judged_days_later < 30;
        if fresh {
            prop_assert!(reported > found, "reported {reported} == found {found} while fresh");
        }
    }
}

#[test]
fn a_new_hazard_is_counted_once() {
    let mut e = quiet_shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Critical, day(AS_OF - 1)));
    let before = assess_at(&quiet_shop(), day(AS_OF));
    let after = assess_at(&e, day(AS_OF));
    let moved: Vec<CharacteristicId> = CharacteristicId::ALL
        .into_iter()
        .filter(|&id| points(&before, id) != points(&after, id))
        .collect();
    assert_eq!(moved, vec![CharacteristicId::PastViolations]);
    assert_eq!(i32::from(before.score) - i32::from(after.score), 30);
}

#[test]
fn a_verified_tip_off_costs_what_the_same_patrol_finding_costs() {
    let with = |source| {
        let mut e = quiet_shop();
        e.hazards
            .push(hazard(1, Severity::Major, source, day(AS_OF - 1)));
        assess_at(&e, day(AS_OF)).score
    };
    assert_eq!(with(HazardSource::TipOff), with(HazardSource::Patrol));
    assert_eq!(
        assess_at(&quiet_shop(), day(AS_OF)).score - with(HazardSource::TipOff),
        20
    );
}

#[test]
fn ticking_every_item_pass_earns_nothing_until_a_patrol_checks_it() {
    let mut passes = quiet_shop();
    passes
        .self_checks
        .push(self_check(day(AS_OF - 1), &["exit", "gas"]));
    let a = assess_at(&passes, day(AS_OF));
    assert_eq!(points(&a, CharacteristicId::SelfCheckHonesty), 0);
    passes.patrols.push(clean_patrol(1, day(AS_OF)));
    let confirmed = assess_at(&passes, day(AS_OF));
    assert_eq!(points(&confirmed, CharacteristicId::SelfCheckHonesty), 10);
}

#[test]
fn a_false_pass_found_by_a_patrol_costs_more_than_reporting_the_problem_honestly() {
    let p = policy();
    let checked = day(AS_OF - 10);
    let patrol_day = day(AS_OF - 3);
    // Honest: the owner fails "exit" and "gas", fixes both on time; the patrol then finds nothing.
    let mut honest = quiet_shop();
    honest.self_checks.push(self_check(checked, &[]));
    for (id, item) in [(1, "exit"), (2, "gas")] {
        let h = hazard(id, Severity::Major, HazardSource::SelfCheck, checked)
            .item(item)
            .claimed(checked.plus_hours(24))
            .closed(checked.plus_hours(30));
        honest.hazards.push(h);
    }
    honest.patrols.push(clean_patrol(1, patrol_day));
    // Dishonest: the owner ticks both "pass"; the patrol finds both and they are fixed on time.
    let mut dishonest = quiet_shop();
    dishonest
        .self_checks
        .push(self_check(checked, &["exit", "gas"]));
    for (id, item) in [(1, "exit"), (2, "gas")] {
        let h = patrol_hazard(id, Severity::Major, patrol_day)
            .item(item)
            .claimed(patrol_day.plus_hours(24))
            .closed(patrol_day.plus_hours(30));
        dishonest.hazards.push(h);
    }
    dishonest.patrols.push(Patrol {
        finding_count: 2,
        ..clean_patrol(1, patrol_day)
    });
    let honest = assess(&honest, &p, day(AS_OF), None);
    let dishonest = assess(&dishonest, &p, day(AS_OF), None);
    assert_eq!(points(&dishonest, CharacteristicId::SelfCheckHonesty), -120);
    assert!(
        honest.score >= dishonest.score + 120,
        "honest {} vs dishonest {}",
        honest.score,
        dishonest.score
    );
    // At the moment of the self-check, before any patrol, honesty costs only the reported load.
    let mut at_check = quiet_shop();
    at_check.self_checks.push(self_check(checked, &[]));
    for (id, item) in [(1, "exit"), (2, "gas")] {
        at_check
            .hazards
            .push(hazard(id, Severity::Major, HazardSource::SelfCheck, checked).item(item));
    }
    let mut ticked = quiet_shop();
    ticked
        .self_checks
        .push(self_check(checked, &["exit", "gas"]));
    let cost = i32::from(assess_at(&ticked, checked).score)
        - i32::from(assess_at(&at_check, checked).score);
    assert_eq!(cost, 20, "two self-reported majors weigh 2.0: one bin");
}

#[test]
fn the_owners_explanation_quotes_the_default_policys_numbers() {
    let p = policy();
    let c = p.colours;
    for number in [
        p.scorecard.base_points.to_string(),
        c.green_at_least.to_string(),
        c.red_below.to_string(),
        c.hysteresis_margin.to_string(),
        p.self_check_cadence_days.to_string(),
        p.honesty_window_days.to_string(),
    ] {
        assert!(
            HOW_SCORES_WORK.matches(number.as_str()).count() >= 2,
            "{number} in both languages"
        );
    }
    let honesty = p
        .scorecard
        .card(CharacteristicId::SelfCheckHonesty)
        .map(|c| {
            c.bins
                .iter()
                .map(|b| -b.points)
                .filter(|p| *p > 0)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    for lost in honesty {
        assert!(HOW_SCORES_WORK.contains(&lost.to_string()), "{lost}");
    }
}

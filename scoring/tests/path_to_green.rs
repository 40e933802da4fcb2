//! The path back to green keeps its promise: for any shop that is not green, doing exactly what the
//! path says, in its order, gives after each step the score and colour the step promised, and the
//! path ends at green. Hysteresis and the re-inspection rule are the engine's own, not re-stated here.

mod common;

use common::*;
use proptest::prelude::*;
use shopcredit_scoring::*;

const AS_OF: i64 = AS_OF_DAY;
const ITEMS: [&str; 3] = ["exit", "gas", "extinguisher"];

fn hour() -> impl Strategy<Value = i64> {
    (AS_OF - 400) * 24..AS_OF * 24
}

prop_compose! {
    fn any_hazard()(
        source in prop::sample::select(vec![HazardSource::SelfCheck, HazardSource::Patrol, HazardSource::TipOff]),
        severity in prop::sample::select(Severity::ALL.to_vec()),
        item in prop::option::of(prop::sample::select(ITEMS.to_vec())),
        observed in hour(),
        status in 0u8..3,
        claim_after in 0i64..200,
        close_after in 0i64..200,
    ) -> Hazard {
        let observed_at = T0.plus_hours(observed);
        let mut h = hazard(0, severity, source, observed_at);
        h.item_id = item.map(str::to_owned);
        let claimed_at = observed_at.plus_hours(claim_after);
        let closed_at = claimed_at.plus_hours(close_after);
        match status {
            1 if claimed_at <= day(AS_OF) => h = h.claimed(claimed_at),
            2 if closed_at <= day(AS_OF) => h = h.claimed(claimed_at).closed(closed_at),
            _ => {}
        }
        h
    }
}

prop_compose! {
    fn any_shop()(
        registered in 0i64..AS_OF,
        hazards in prop::collection::vec(any_hazard(), 0..8),
        patrols in prop::collection::vec((hour(), 0u32..3), 0..5),
        checks in prop::collection::vec((hour(), prop::sample::subsequence(ITEMS.to_vec(), 0..=3)), 0..6),
        reviews in prop::collection::vec((hour(), 1u8..=5), 0..12),
        previous in prop::option::of((prop::sample::select(Colour::ALL.to_vec()), 1i64..60)),
    ) -> (Evidence, Option<PreviousCode>) {
        let registered = day(registered);
        let after = |t: Timestamp| t.max(registered);
        let mut e = Evidence::new(registered);
        e.hazards = hazards
            .into_iter()
            .enumerate()
            .filter(|(_, h)| h.observed_at >= registered)
            .map(|(i, h)| Hazard { id: i as i64 + 1, ..h })
            .collect();
        e.patrols = patrols
            .into_iter()
            .enumerate()
            .map(|(i, (t, findings))| Patrol {
                finding_count: findings,
                ..clean_patrol(i as i64 + 1, after(T0.plus_hours(t)))
            })
            .collect();
        e.self_checks = checks
            .into_iter()
            .map(|(t, passed)| self_check(after(T0.plus_hours(t)), &passed))
            .collect();
        e.reviews = reviews
            .into_iter()
            .map(|(t, stars)| review(stars, after(T0.plus_hours(t))))
            .collect();
        let previous = previous.map(|(colour, days_ago)| PreviousCode {
            colour,
            since: day(AS_OF - days_ago).max(registered),
        });
        (e, previous)
    }
}

/// The colour the service stores after a rescore: an unchanged colour keeps its start time.
fn carry(previous: PreviousCode, colour: Colour, at: Timestamp) -> PreviousCode {
    if previous.colour == colour {
        previous
    } else {
        PreviousCode { colour, since: at }
    }
}

/// Does what the path says, as the service would record it, and checks each promise.
fn follow(e: Evidence, previous: Option<PreviousCode>) -> Result<(), TestCaseError> {
    follow_under(&policy(), e, previous)
}

fn follow_under(
    p: &ValidPolicy,
    mut e: Evidence,
    previous: Option<PreviousCode>,
) -> Result<(), TestCaseError> {
    let p = p.clone();
    let as_of = day(AS_OF);
    let start = assess(&e, &p, as_of, previous);
    let mut code = match previous {
        Some(prev) => carry(prev, start.colour, as_of),
        None => PreviousCode {
            colour: start.colour,
            since: as_of,
        },
    };
    if start.colour == Colour::Green {
        prop_assert!(start.path_to_green.is_empty());
        return Ok(());
    }
    prop_assert!(!start.path_to_green.is_empty(), "{start:?}");
    let last = start.path_to_green.len() - 1;
    // Steps after a wait are done on the day it ends.
    let mut now = as_of;
    for (i, step) in start.path_to_green.iter().enumerate() {
        let (score, colour) = match &step.action {
            Action::Wait { until } => {
                let reinspection_follows =
                    i + 1 == last && start.path_to_green[last].action == Action::CleanReinspection;
                prop_assert!(
                    i == last || reinspection_follows,
                    "waiting is the last step, or only the re-inspection it waits for follows"
                );
                // Keep up a self-check every cadence; the sweep rescores every day.
                let cadence = i64::from(p.self_check_cadence_days);
                let days = until.whole_days_since(as_of);
                let mut score = 0;
                for d in 1..=days {
                    let t = as_of.plus_days(d);
                    if d % cadence == 0 {
                        e.self_checks.push(self_check(t, &[]));
                    }
                    let a = assess(&e, &p, t, Some(code));
                    code = carry(code, a.colour, t);
                    score = a.score;
                }
                now = *until;
                (score, code.colour)
            }
            action => {
                match action {
                    Action::VerifyFix { hazard_id } => {
                        for h in e.hazards.iter_mut().filter(|h| h.id == *hazard_id) {
                            if h.status != HazardStatus::AwaitingVerification {
                                *h = h.clone().claimed(now);
                            }
                            *h = h.clone().closed(now);
                        }
                    }
                    Action::SubmitSelfCheck => e.self_checks.push(self_check(now, &[])),
                    Action::CleanReinspection => e.patrols.push(clean_patrol(99, now)),
                    Action::Wait { .. } => unreachable!(),
                }
                let a = assess(&e, &p, now, Some(code));
                code = carry(code, a.colour, now);
                (a.score, a.colour)
            }
        };
        prop_assert_eq!(
            (score, colour),
            (step.score_after, step.colour_after),
            "step {} of {:?}",
            i,
            start.path_to_green
        );
    }
    prop_assert_eq!(
        code.colour,
        Colour::Green,
        "the path ends at green: {:?}",
        start.path_to_green
    );
    Ok(())
}

proptest! {
    // A fixed seed: CI on shared machines must not fail at random. Random runs of 30,000 cases
    // (three of them, after the wait-then-re-inspect fix) found nothing more; the one counterexample
    // they had found is pinned below and in the regressions file.
    #![proptest_config(ProptestConfig {
        cases: 1000,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20261124),
        ..ProptestConfig::default()
    })]

    #[test]
    fn doing_what_the_path_says_gives_what_it_promised_and_ends_at_green((e, previous) in any_shop()) {
        follow(e, previous)?;
    }
}

#[test]
fn a_clean_patrol_recorded_on_arrival_and_a_fix_verified_later_in_the_same_visit_lift_red() {
    let p = policy();
    let was_red = Some(PreviousCode {
        colour: Colour::Red,
        since: day(AS_OF - 2),
    });
    for patrol_first in [true, false] {
        let mut e = good_shop();
        e.hazards
            .push(patrol_hazard(1, Severity::Critical, day(AS_OF - 3)).claimed(day(AS_OF - 1)));
        let red = assess(&e, &p, day(AS_OF), was_red);
        assert_eq!(red.colour, Colour::Red);
        // Arrival at 10:00; the fix is verified at 10:30, or the other way round.
        let (patrol_at, verified_at) = if patrol_first {
            (day_h(AS_OF, 10), day_h(AS_OF, 10).plus_hours(1))
        } else {
            (day_h(AS_OF, 11), day_h(AS_OF, 10))
        };
        e.patrols.push(clean_patrol(9, patrol_at));
        e.hazards[0] = e.hazards[0].clone().closed(verified_at);
        let after = assess(&e, &p, day_h(AS_OF, 12), was_red);
        assert_eq!(
            (after.colour, after.colour_rule),
            (Colour::Green, ColourRule::CleanReinspection),
            "patrol first: {patrol_first}"
        );
    }
}

#[test]
fn a_patrol_before_a_later_finding_is_no_reinspection() {
    let mut e = good_shop();
    e.patrols.push(clean_patrol(9, day(AS_OF - 2)));
    e.hazards
        .push(patrol_hazard(1, Severity::Critical, day(AS_OF - 1)).closed(day(AS_OF)));
    assert!(!verified_clean_reinspection(&e, day(AS_OF), day(AS_OF - 3)));
}

#[test]
fn a_shop_only_time_can_heal_is_told_how_long_to_wait() {
    let mut e = good_shop();
    for id in 1..=6 {
        e.hazards
            .push(patrol_hazard(id, Severity::Critical, day(AS_OF - 20)).closed(day(AS_OF - 19)));
    }
    // Every action already pays in full; only the fading of six recent criticals is left. A district
    // that sets green higher than the default (690: the default's best score is 685 with a heavy
    // history) leaves such a shop waiting. (The public rating no longer decides colours.)
    e.patrols.push(clean_patrol(8, day(AS_OF - 5)));
    let mut stricter = policy().into_inner();
    stricter.colours.green_at_least = 690;
    let p = stricter.validate().unwrap_or_else(|e| panic!("{e}"));
    let previous = Some(PreviousCode {
        colour: Colour::Yellow,
        since: day(AS_OF - 20),
    });
    let a = assess(&e, &p, day(AS_OF), previous);
    assert_eq!(a.colour, Colour::Yellow, "{a:?}");
    let last = a.path_to_green.last().cloned();
    assert!(
        matches!(last.as_ref().map(|s| &s.action), Some(Action::Wait { .. })),
        "{a:?}"
    );
    assert_eq!(last.map(|s| s.colour_after), Some(Colour::Green));
    follow_under(&p, e, previous).unwrap_or_else(|err| panic!("{err}"));
}

#[test]
fn a_shop_that_waiting_would_drop_back_into_red_is_told_to_wait_and_then_ask_for_a_re_inspection() {
    // Found by the property above: five long-overdue criticals. Fixing them all and a clean
    // re-inspection give yellow 560; the next day the only other clean patrol leaves the look-back
    // year, the score falls below red and the colour is red again, which only a clean re-inspection
    // after it began can lift. Waiting alone never turns such a shop green.
    let mut e = Evidence::new(T0);
    for (id, source, observed_ms, item) in [
        (1, HazardSource::Patrol, 0, None),
        (2, HazardSource::SelfCheck, 0, None),
        (3, HazardSource::Patrol, 0, None),
        (4, HazardSource::Patrol, 25_707_600_000, None),
        (5, HazardSource::Patrol, 22_158_000_000, Some("exit")),
    ] {
        let mut h = hazard(
            id,
            Severity::Critical,
            source,
            Timestamp(T0.0 + observed_ms),
        );
        h.item_id = item.map(str::to_owned);
        e.hazards.push(h);
    }
    // A pass on the exit a patrol later failed, and the only clean patrol, 365 days before day 400.
    e.patrols
        .push(clean_patrol(1, Timestamp(T0.0 + 3_027_600_000)));
    e.self_checks
        .push(self_check(Timestamp(T0.0 + 19_566_000_000), &["exit"]));
    let a = assess(&e, &policy(), day(AS_OF), None);
    let tail: Vec<_> = a
        .path_to_green
        .iter()
        .rev()
        .take(2)
        .map(|s| &s.action)
        .collect();
    assert!(
        matches!(
            tail.as_slice(),
            [Action::CleanReinspection, Action::Wait { .. }]
        ),
        "{:?}",
        a.path_to_green
    );
    follow(e, None).unwrap_or_else(|err| panic!("{err}"));
}

//! Properties that must hold for any evidence: determinism, bounds, additivity, monotonicity,
//! hysteresis without flapping, and blindness to the future.

mod common;

use common::*;
use proptest::prelude::*;
use shopcredit_scoring::*;

const AS_OF: i64 = AS_OF_DAY;
const ITEMS: [&str; 3] = ["exit", "gas", "extinguisher"];

fn severity() -> impl Strategy<Value = Severity> {
    prop::sample::select(Severity::ALL.to_vec())
}

fn source() -> impl Strategy<Value = HazardSource> {
    prop::sample::select(vec![
        HazardSource::SelfCheck,
        HazardSource::Patrol,
        HazardSource::TipOff,
    ])
}

fn item() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::sample::select(ITEMS.to_vec()).prop_map(str::to_owned))
}

/// Hours after day 0, reaching a little past the judged instant so the future is exercised too.
fn hour() -> impl Strategy<Value = i64> {
    0..(AS_OF + 10) * 24
}

prop_compose! {
    fn any_hazard()(
        source in source(),
        severity in severity(),
        item_id in item(),
        observed in hour(),
        status in 0u8..3,
        claim_after in 0i64..400,
        close_after in 0i64..400,
        excluded in prop::bool::weighted(0.1),
    ) -> Hazard {
        let observed_at = T0.plus_hours(observed);
        let mut h = hazard(0, severity, source, observed_at);
        h.item_id = item_id;
        h.excluded = excluded;
        match status {
            0 => {}
            1 => h = h.claimed(observed_at.plus_hours(claim_after)),
            _ => {
                h = h.claimed(observed_at.plus_hours(claim_after));
                h = h.closed(observed_at.plus_hours(claim_after + close_after));
            }
        }
        h
    }
}

prop_compose! {
    fn any_evidence()(
        registered in 0i64..(AS_OF + 5),
        hazards in prop::collection::vec(any_hazard(), 0..12),
        patrols in prop::collection::vec((hour(), 0u32..3), 0..6),
        checks in prop::collection::vec((hour(), prop::sample::subsequence(ITEMS.to_vec(), 0..=3)), 0..8),
        reviews in prop::collection::vec((hour(), 1u8..=5, prop::bool::weighted(0.8)), 0..15),
    ) -> Evidence {
        let mut e = Evidence::new(day(registered));
        e.hazards = hazards
            .into_iter()
            .enumerate()
            .map(|(i, h)| Hazard { id: i as i64 + 1, ..h })
            .collect();
        e.patrols = patrols
            .into_iter()
            .enumerate()
            .map(|(i, (t, findings))| Patrol { finding_count: findings, ..clean_patrol(i as i64 + 1, T0.plus_hours(t)) })
            .collect();
        e.self_checks = checks.into_iter().map(|(t, passed)| self_check(T0.plus_hours(t), &passed)).collect();
        e.reviews = reviews
            .into_iter()
            .map(|(t, stars, counted)| Review { counted, ..review(stars, T0.plus_hours(t)) })
            .collect();
        e
    }
}

fn any_previous() -> impl Strategy<Value = Option<PreviousCode>> {
    prop::option::of(
        (
            prop::sample::select(vec![Colour::Red, Colour::Yellow, Colour::Green]),
            0i64..=AS_OF,
        )
            .prop_map(|(colour, d)| PreviousCode {
                colour,
                since: day(d),
            }),
    )
}

fn score(e: &Evidence) -> u16 {
    assess_at(e, day(AS_OF)).score
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn same_inputs_give_the_same_assessment(e in any_evidence(), prev in any_previous()) {
        let p = policy();
        let first = assess(&e, &p, day(AS_OF), prev);
        let again = assess(&e.clone(), &p, day(AS_OF), prev);
        prop_assert_eq!(first, again);
    }

    #[test]
    fn score_stays_within_0_to_1000_and_green_needs_no_path(e in any_evidence(), prev in any_previous()) {
        let a = assess(&e, &policy(), day(AS_OF), prev);
        prop_assert!(a.score <= 1000);
        if a.colour == Colour::Green {
            prop_assert!(a.path_to_green.is_empty());
        }
        prop_assert!(a.reasons.len() <= MAX_REASONS);
    }

    #[test]
    fn unclamped_score_is_base_plus_characteristic_points(e in any_evidence()) {
        let a = assess_at(&e, day(AS_OF));
        let total = policy().scorecard.base_points + a.characteristics.iter().map(|c| c.points).sum::<i32>();
        if (0..=1000).contains(&total) {
            prop_assert_eq!(i32::from(a.score), total);
        } else {
            prop_assert_eq!(a.score, if total < 0 { 0 } else { 1000 });
        }
    }

    #[test]
    fn an_extra_overdue_hazard_never_raises_the_score(
        e in any_evidence(),
        severity in severity(),
        source in source(),
        item_id in item(),
        days_ago in 8i64..300,
    ) {
        let mut worse = e.clone();
        let mut h = hazard(999, severity, source, day(AS_OF - days_ago));
        h.item_id = item_id;
        prop_assert!(is_overdue(&h, day(AS_OF)));
        worse.hazards.push(h);
        prop_assert!(score(&worse) <= score(&e));
    }

    #[test]
    fn closing_a_hazard_never_lowers_the_score(e in any_evidence(), pick in any::<prop::sample::Index>()) {
        prop_assume!(!e.hazards.is_empty());
        let i = pick.index(e.hazards.len());
        let as_of = day(AS_OF);
        prop_assume!(e.hazards[i].state_at(as_of).is_some_and(HazardState::is_unresolved));
        let mut fixed = e.clone();
        fixed.hazards[i] = fixed.hazards[i].clone().closed(as_of);
        prop_assert!(score(&fixed) >= score(&e));
    }

    #[test]
    fn a_better_rating_never_lowers_the_score(e in any_evidence(), pick in any::<prop::sample::Index>()) {
        prop_assume!(!e.reviews.is_empty());
        let i = pick.index(e.reviews.len());
        let stars = e.reviews[i].rating.stars();
        prop_assume!(stars < 5);
        let mut better = e.clone();
        better.reviews[i].rating = Rating::new(stars + 1).unwrap_or_else(|err| panic!("{err}"));
        prop_assert!(score(&better) >= score(&e));
    }

    #[test]
    fn evidence_after_as_of_is_ignored(e in any_evidence(), prev in any_previous()) {
        let as_of = day(AS_OF);
        let mut past = e.clone();
        past.hazards.retain(|h| h.observed_at <= as_of);
        past.patrols.retain(|p| p.observed_at <= as_of);
        past.self_checks.retain(|s| s.submitted_at <= as_of);
        past.reviews.retain(|r| r.at <= as_of);
        let p = policy();
        prop_assert_eq!(assess(&e, &p, as_of, prev), assess(&past, &p, as_of, prev));
    }

    #[test]
    fn small_alternating_changes_inside_the_band_change_the_colour_at_most_once(
        around_green in any::<bool>(),
        offsets in prop::collection::vec(0i32..40, 2..20),
    ) {
        // Scores within [threshold - margin, threshold + margin - 1]: down-moves may escalate once,
        // but nothing inside the band may bring the colour back.
        let colours = policy().colours;
        let margin = i32::from(colours.hysteresis_margin);
        let threshold = i32::from(if around_green { colours.green_at_least } else { colours.red_below });
        let e = good_shop(); // no hard facts; its clean patrols predate every `since` below
        let mut previous: Option<PreviousCode> = None;
        let mut changes = 0;
        for (k, off) in offsets.iter().enumerate() {
            let base = threshold - margin + off % (2 * margin);
            let as_of = day(AS_OF + k as i64);
            let a = assess(&e, &flat_policy(base), as_of, previous);
            if let Some(prev) = previous {
                if prev.colour != a.colour {
                    changes += 1;
                }
            }
            previous = Some(match previous {
                Some(p) if p.colour == a.colour => p,
                _ => PreviousCode { colour: a.colour, since: as_of },
            });
        }
        prop_assert!(changes <= 1, "{changes} colour changes");
    }
}

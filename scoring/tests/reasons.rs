//! Each reason code appears when, and because, its characteristic costs points.

mod common;

use common::*;
use shopcredit_scoring::*;

const AS_OF: i64 = AS_OF_DAY;

#[test]
fn good_shop_is_green_with_a_short_explanation() {
    let a = assess_at(&good_shop(), day(AS_OF));
    assert_eq!(a.colour, Colour::Green);
    assert!(!a.provisional);
    assert!(a.path_to_green.is_empty());
    assert!(a.reasons.len() <= MAX_REASONS);
    assert_eq!(a.policy_version, policy().version);
}

#[test]
fn overdue_critical_hazard_is_the_first_reason_naming_the_hazard_and_days() {
    let mut e = good_shop();
    e.hazards
        .push(patrol_hazard(41, Severity::Critical, day(AS_OF - 4)));
    let a = assess_at(&e, day(AS_OF));
    let r = &a.reasons[0];
    assert_eq!(r.code, ReasonCode::OverdueCriticalHazards);
    assert_eq!(r.points_lost, 200);
    assert_eq!(r.hazard_ids, vec![41]);
    assert_eq!(
        r.en,
        "1 critical hazard overdue; the oldest is in day 3 past its deadline"
    );
    assert_eq!(r.zh, "1 项严重隐患逾期，最久的已逾期至第 3 天");
}

#[test]
fn overdue_major_hazard_is_a_reason() {
    let mut e = good_shop();
    e.hazards
        .push(patrol_hazard(42, Severity::Major, day(AS_OF - 10)));
    let r = reason(&assess_at(&e, day(AS_OF)), ReasonCode::OverdueMajorHazards);
    assert_eq!((r.points_lost, r.hazard_ids), (80, vec![42]));
}

#[test]
fn overdue_minor_hazard_and_its_days_overdue_are_reasons() {
    let mut e = good_shop();
    e.hazards
        .push(patrol_hazard(43, Severity::Minor, day(AS_OF - 20)));
    let a = assess_at(&e, day(AS_OF));
    assert_eq!(
        reason(&a, ReasonCode::OverdueMinorHazards).hazard_ids,
        vec![43]
    );
    let days = reason(&a, ReasonCode::DaysOverdue);
    assert_eq!(days.en, "A hazard is in day 13 past its deadline");
    assert_eq!(days.points_lost, 30);
}

#[test]
fn open_hazard_not_yet_due_is_a_reason_once_as_a_violation_on_record() {
    // Issue 9: a new hazard is one fact, counted once (the default card does not score open ones).
    let mut e = good_shop();
    e.hazards
        .push(patrol_hazard(44, Severity::Critical, day_h(AS_OF, -6)));
    let a = assess_at(&e, day(AS_OF));
    assert!(!codes(&a).contains(&ReasonCode::OpenHazards));
    let r = reason(&a, ReasonCode::PastViolations);
    assert_eq!(r.points_lost, 30);
    assert!(r.en.starts_with("1 violation on record"), "{}", r.en);
    assert_eq!(
        a.path_to_green.first().map(|s| &s.action),
        None,
        "one critical found today leaves a good shop green"
    );
}

#[test]
fn past_violation_is_a_reason_even_when_fixed_on_time() {
    let mut e = good_shop();
    e.hazards
        .push(patrol_hazard(45, Severity::Major, day(300)).closed(day(301)));
    let a = assess_at(&e, day(AS_OF));
    assert_eq!(reason(&a, ReasonCode::PastViolations).points_lost, 20);
}

#[test]
fn self_check_pass_contradicted_by_patrol_is_a_reason() {
    let mut e = good_shop();
    e.self_checks.push(self_check(day(390), &["exit"]));
    e.hazards.push(
        patrol_hazard(46, Severity::Minor, day(395))
            .item("exit")
            .closed(day(396)),
    );
    let a = assess_at(&e, day(AS_OF));
    let r = reason(&a, ReasonCode::SelfCheckHonesty);
    assert_eq!((r.points_lost, r.hazard_ids), (70, vec![46]));
}

#[test]
fn patrol_finding_outside_the_honesty_window_is_no_contradiction() {
    let mut e = good_shop();
    e.self_checks.retain(|s| s.submitted_at < day(340));
    e.hazards.push(
        patrol_hazard(46, Severity::Minor, day(395))
            .item("exit")
            .closed(day(396)),
    );
    let a = assess_at(&e, day(AS_OF));
    assert!(!codes(&a).contains(&ReasonCode::SelfCheckHonesty));
}

#[test]
fn verified_tip_off_is_a_violation_on_record_like_a_patrol_finding() {
    let mut e = good_shop();
    let h = hazard(47, Severity::Minor, HazardSource::TipOff, day(350)).closed(day(351));
    e.hazards.push(h);
    let a = assess_at(&e, day(AS_OF));
    assert!(!codes(&a).contains(&ReasonCode::VerifiedTipOffs));
    assert_eq!(reason(&a, ReasonCode::PastViolations).points_lost, 10);
}

#[test]
fn late_rectification_is_a_reason() {
    let mut e = good_shop();
    e.hazards
        .push(patrol_hazard(48, Severity::Major, day(300)).closed(day(310)));
    let r = reason(
        &assess_at(&e, day(AS_OF)),
        ReasonCode::RectificationTimeliness,
    );
    assert_eq!(r.hazard_ids, vec![48]);
    assert!(r.en.starts_with("1 of 1 due hazards"), "{}", r.en);
}

#[test]
fn fix_claimed_on_time_counts_as_on_time_when_verified_later() {
    let mut e = good_shop();
    let h = patrol_hazard(48, Severity::Major, day(300)).claimed(day(301));
    e.hazards.push(h.closed(day(310)));
    let a = assess_at(&e, day(AS_OF));
    assert!(!codes(&a).contains(&ReasonCode::RectificationTimeliness));
}

#[test]
fn missed_self_checks_are_a_reason() {
    let mut e = good_shop();
    e.self_checks.retain(|s| s.submitted_at <= day(310));
    let r = reason(&assess_at(&e, day(AS_OF)), ReasonCode::SelfCheckDiligence);
    assert_eq!(r.points_lost, 70);
    assert!(r.en.contains("90 days ago"), "{}", r.en);
}

#[test]
fn low_public_rating_is_a_reason() {
    let mut e = good_shop();
    e.reviews = (0..20).map(|k| review(1, day(300 + k))).collect();
    let r = reason(&assess_at(&e, day(AS_OF)), ReasonCode::PublicRating);
    assert_eq!(r.points_lost, 85);
}

#[test]
fn uncounted_reviews_are_ignored() {
    let mut e = good_shop();
    e.reviews.extend((0..50).map(|k| Review {
        counted: false,
        ..review(1, day(300 + k))
    }));
    assert_eq!(
        assess_at(&e, day(AS_OF)).score,
        assess_at(&good_shop(), day(AS_OF)).score
    );
}

#[test]
fn no_clean_patrols_is_a_reason() {
    let mut e = good_shop();
    e.patrols.clear();
    let r = reason(&assess_at(&e, day(AS_OF)), ReasonCode::CleanPatrols);
    assert_eq!(r.points_lost, 40);
}

#[test]
fn short_tenure_is_a_reason_when_the_card_scores_it() {
    let mut p = policy().into_inner();
    let tenure = p
        .scorecard
        .characteristics
        .iter_mut()
        .find(|c| c.id == CharacteristicId::Tenure)
        .unwrap_or_else(|| panic!("tenure card"));
    tenure.bins = vec![
        Bin {
            upto: Some(365.0),
            points: -10,
        },
        Bin {
            upto: None,
            points: 0,
        },
    ];
    let p = p.validate().unwrap_or_else(|e| panic!("{e}"));
    let mut e = good_shop();
    e.registered_at = day(200);
    let a = assess(&e, &p, day(AS_OF), None);
    assert_eq!(reason(&a, ReasonCode::Tenure).points_lost, 10);
}

#[test]
fn new_shop_starts_neutral_and_is_told_it_is_provisional() {
    let e = Evidence::new(day(0));
    let a = assess_at(&e, day(10));
    assert!(a.provisional);
    assert_eq!(a.score, 700);
    assert_eq!(a.colour, Colour::Green);
    assert_eq!(
        a.reasons.last().map(|r| r.code),
        Some(ReasonCode::ProvisionalLittleEvidence)
    );
    assert!(
        a.characteristics.iter().all(|c| c.points >= 0),
        "no history is never punished"
    );
}

#[test]
fn reasons_are_capped_and_ordered_by_points_lost_with_fixed_tie_break() {
    let mut e = good_shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Critical, day(AS_OF - 4)));
    e.hazards
        .push(patrol_hazard(2, Severity::Major, day(AS_OF - 10)));
    e.hazards
        .push(patrol_hazard(3, Severity::Minor, day(AS_OF - 20)));
    e.hazards.push(hazard(
        4,
        Severity::Minor,
        HazardSource::TipOff,
        day(AS_OF - 20),
    ));
    let a = assess_at(&e, day(AS_OF));
    assert_eq!(a.reasons.len(), MAX_REASONS);
    let lost: Vec<u32> = a.reasons.iter().map(|r| r.points_lost).collect();
    assert!(lost.windows(2).all(|w| w[0] >= w[1]), "{lost:?}");
    assert_eq!(a.reasons[0].code, ReasonCode::OverdueCriticalHazards);
}

#[test]
fn evidence_after_as_of_is_ignored() {
    let mut e = good_shop();
    let before = assess_at(&e, day(AS_OF));
    e.hazards
        .push(patrol_hazard(9, Severity::Critical, day(AS_OF + 1)));
    e.reviews.push(review(1, day(AS_OF + 1)));
    e.patrols.push(clean_patrol(9, day(AS_OF + 2)));
    assert_eq!(assess_at(&e, day(AS_OF)), before);
}

#[test]
fn excluded_hazard_does_not_count() {
    let mut e = good_shop();
    let mut h = patrol_hazard(9, Severity::Critical, day(AS_OF - 5));
    h.excluded = true;
    e.hazards.push(h);
    assert_eq!(
        assess_at(&e, day(AS_OF)).score,
        assess_at(&good_shop(), day(AS_OF)).score
    );
}

#[test]
fn self_reported_hazard_fixed_on_time_weighs_less_than_a_patrol_finding() {
    let mut by_owner = good_shop();
    by_owner
        .hazards
        .push(hazard(9, Severity::Major, HazardSource::SelfCheck, day(390)).closed(day(391)));
    let mut by_patrol = good_shop();
    by_patrol
        .hazards
        .push(patrol_hazard(9, Severity::Major, day(390)).closed(day(391)));
    let owner = characteristics(&by_owner, &policy(), day(AS_OF));
    let patrol = characteristics(&by_patrol, &policy(), day(AS_OF));
    assert!(owner.past_violation_load < patrol.past_violation_load);
    assert!(assess_at(&by_owner, day(AS_OF)).score > assess_at(&by_patrol, day(AS_OF)).score);
}

#[test]
fn score_is_base_plus_points_reported_per_characteristic() {
    let mut e = good_shop();
    e.hazards
        .push(patrol_hazard(1, Severity::Major, day(AS_OF - 10)));
    let a = assess_at(&e, day(AS_OF));
    let sum: i32 = a.characteristics.iter().map(|c| c.points).sum();
    assert_eq!(i32::from(a.score), policy().scorecard.base_points + sum);
    assert!(a.characteristics.iter().all(|c| c.points <= c.best_points));
}

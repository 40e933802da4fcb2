//! Builders for test evidence. Times are days after a fixed epoch so scenarios read like a diary.
#![allow(dead_code)] // each test binary uses a different subset

use shopcredit_scoring::*;

/// Day 0 of every scenario.
pub const T0: Timestamp = Timestamp(1_700_000_000_000);

/// The instant `n` days after day 0 (fractions allowed through hours).
pub fn day(n: i64) -> Timestamp {
    T0.plus_days(n)
}

/// The instant `n` days and `h` hours after day 0.
pub fn day_h(n: i64, h: i64) -> Timestamp {
    T0.plus_days(n).plus_hours(h)
}

/// The shipped policy.
pub fn policy() -> ValidPolicy {
    Policy::default_policy().unwrap_or_else(|e| panic!("default policy: {e}"))
}

/// A policy whose score is always `base` (no characteristics), to isolate the colour rules. It lets
/// a shop leave red on the score margin alone, so the margin rules can be tested by themselves.
pub fn flat_policy(base: i32) -> ValidPolicy {
    let mut p = policy().into_inner();
    p.scorecard.base_points = base;
    p.scorecard.characteristics.clear();
    p.colours.red_exit_requires_reinspection = false;
    p.validate().unwrap_or_else(|e| panic!("flat policy: {e}"))
}

/// A district whose mean rating is 4.0.
/// An open hazard with the policy deadline.
pub fn hazard(id: i64, severity: Severity, source: HazardSource, observed_at: Timestamp) -> Hazard {
    Hazard {
        id,
        source,
        severity,
        hazard_type: "fire".into(),
        item_id: None,
        observed_at,
        deadline: hazard_deadline(&policy(), severity, observed_at),
        status: HazardStatus::Open,
        closed_at: None,
        rectified_at: None,
        excluded: false,
    }
}

/// An open hazard found by a patrol.
pub fn patrol_hazard(id: i64, severity: Severity, observed_at: Timestamp) -> Hazard {
    hazard(id, severity, HazardSource::Patrol, observed_at)
}

/// Fluent edits of a hazard.
pub trait HazardExt: Sized {
    /// Verified closed at `at`.
    fn closed(self, at: Timestamp) -> Self;
    /// Fix claimed at `at`, awaiting verification.
    fn claimed(self, at: Timestamp) -> Self;
    /// Concerns checklist item `item`.
    fn item(self, item: &str) -> Self;
}

impl HazardExt for Hazard {
    fn closed(mut self, at: Timestamp) -> Self {
        self.status = HazardStatus::Closed;
        self.closed_at = Some(at);
        self
    }
    fn claimed(mut self, at: Timestamp) -> Self {
        self.status = HazardStatus::AwaitingVerification;
        self.rectified_at = Some(at);
        self
    }
    fn item(mut self, item: &str) -> Self {
        self.item_id = Some(item.into());
        self
    }
}

/// A clean patrol.
pub fn clean_patrol(id: i64, at: Timestamp) -> Patrol {
    Patrol {
        id,
        observed_at: at,
        kind: PatrolKind::GridPatrol,
        finding_count: 0,
    }
}

/// A self-check passing `passed`.
pub fn self_check(at: Timestamp, passed: &[&str]) -> SelfCheck {
    SelfCheck {
        submitted_at: at,
        passed_item_ids: passed.iter().map(|s| (*s).to_owned()).collect(),
        failed: 0,
        not_applicable: 0,
    }
}

/// A counted review.
pub fn review(stars: u8, at: Timestamp) -> Review {
    Review {
        rating: Rating::new(stars).unwrap_or_else(|e| panic!("{e}")),
        at,
        counted: true,
    }
}

/// The day established shops are judged on.
pub const AS_OF_DAY: i64 = 400;

/// A well-run shop registered on day 0, judged on day 400: monthly self-checks, two clean patrols
/// this year, ten five-star reviews. Green with room to spare.
pub fn good_shop() -> Evidence {
    let mut e = Evidence::new(day(0));
    e.self_checks = (0..13)
        .map(|k| self_check(day(10 + 30 * k), &["exit", "extinguisher"]))
        .collect();
    e.patrols = vec![clean_patrol(1, day(200)), clean_patrol(2, day(350))];
    e.reviews = (0..10).map(|k| review(5, day(100 + k))).collect();
    e
}

/// Assess with the default policy and district, no previous colour.
pub fn assess_at(e: &Evidence, as_of: Timestamp) -> Assessment {
    assess(e, &policy(), as_of, None)
}

/// The reason codes of an assessment, in order.
pub fn codes(a: &Assessment) -> Vec<ReasonCode> {
    a.reasons.iter().map(|r| r.code).collect()
}

/// The reason with `code`, or a panic naming what was there.
pub fn reason(a: &Assessment, code: ReasonCode) -> Reason {
    a.reasons
        .iter()
        .find(|r| r.code == code)
        .cloned()
        .unwrap_or_else(|| panic!("no {code:?} among {:?}", codes(a)))
}

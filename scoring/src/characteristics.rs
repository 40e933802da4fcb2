//! Characteristics (features) of a shop as of an instant, computed from its evidence.
//!
//! Every count here ignores evidence observed after `as_of` and judges hazard status as of `as_of`,
//! which is what makes a past score exactly recomputable.

use serde::{Deserialize, Serialize};

use crate::evidence::{Evidence, Hazard, HazardSource, HazardState, Severity};
use crate::policy::ValidPolicy;
use crate::scorecard::CharacteristicId;
use crate::time::Timestamp;

/// Overdue hazards of one severity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overdue {
    /// How many.
    pub count: u32,
    /// Started days the oldest one is past its deadline (0 when none).
    pub oldest_days: i64,
    /// Their ids, in input order.
    pub hazard_ids: Vec<i64>,
}

/// Everything the scorecard and the explanations need, as of one instant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Characteristics {
    /// Overdue critical hazards.
    pub overdue_critical: Overdue,
    /// Overdue major hazards.
    pub overdue_major: Overdue,
    /// Overdue minor hazards.
    pub overdue_minor: Overdue,
    /// Started days the longest-overdue hazard is late (0 when none).
    pub max_days_overdue: i64,
    /// Open (incl. awaiting verification) hazards not yet overdue, by severity: critical, major, minor.
    pub open_counts: [u32; 3],
    /// Their severity- and source-weighted sum (self-reported ones weigh `self_reported`).
    pub open_load: f64,
    /// Their ids.
    pub open_hazard_ids: Vec<i64>,
    /// Decayed load of all counted hazards, open or closed.
    pub past_violation_load: f64,
    /// Number of counted hazards behind that load.
    pub past_violation_count: u32,
    /// Whole days since the most recent counted hazard.
    pub days_since_last_violation: Option<i64>,
    /// Whole days since the last self-check, if any.
    pub days_since_self_check: Option<i64>,
    /// Days since the last self-check (or registration) ÷ cadence; `None` while the first is not due.
    pub diligence_ratio: Option<f64>,
    /// Contradicted self-check passes in the look-back window; `None` while no patrol has checked a
    /// self-check there (nothing to judge honesty by).
    pub honesty_contradictions: Option<u32>,
    /// The patrol hazards that contradicted a pass.
    pub contradicting_hazard_ids: Vec<i64>,
    /// Share of due-or-closed hazards fixed on time; `None` when none came due.
    pub timeliness: Option<f64>,
    /// How many hazards that share is over.
    pub due_or_closed: u32,
    /// The late ones.
    pub late_hazard_ids: Vec<i64>,
    /// Clean patrols in the look-back window.
    pub clean_patrols: u32,
    /// Verified tip-offs in the look-back window.
    pub tip_offs: u32,
    /// Their hazard ids.
    pub tip_off_hazard_ids: Vec<i64>,
    /// Counted reviews up to `as_of`.
    pub counted_reviews: u32,
    /// Shrunk rating (v·R̄ + m·C)/(v + m); `None` with no counted reviews.
    pub shrunk_rating: Option<f64>,
    /// The prior C used (the policy's `rating_prior_mean`).
    pub prior_rating: f64,
    /// Whole days since registration.
    pub tenure_days: i64,
    /// Patrols, self-checks and counted hazards up to `as_of`.
    pub evidence_count: u32,
}

impl Characteristics {
    /// The value binned for `id`; `None` selects the characteristic's no-history bin.
    pub fn value(&self, id: CharacteristicId) -> Option<f64> {
        use CharacteristicId as C;
        match id {
            C::OverdueCriticalHazards => Some(f64::from(self.overdue_critical.count)),
            C::OverdueMajorHazards => Some(f64::from(self.overdue_major.count)),
            C::OverdueMinorHazards => Some(f64::from(self.overdue_minor.count)),
            C::DaysOverdue => Some(self.max_days_overdue as f64),
            C::OpenHazards => Some(self.open_load),
            C::PastViolations => Some(self.past_violation_load),
            C::SelfCheckHonesty => self.honesty_contradictions.map(f64::from),
            C::VerifiedTipOffs => Some(f64::from(self.tip_offs)),
            C::RectificationTimeliness => self.timeliness,
            C::SelfCheckDiligence => self.diligence_ratio,
            C::PublicRating => self.shrunk_rating,
            C::CleanPatrols => Some(f64::from(self.clean_patrols)),
            C::Tenure => Some(self.tenure_days as f64),
        }
    }

    /// Overdue hazards of `severity`.
    pub fn overdue(&self, severity: Severity) -> &Overdue {
        match severity {
            Severity::Critical => &self.overdue_critical,
            Severity::Major => &self.overdue_major,
            Severity::Minor => &self.overdue_minor,
        }
    }

    /// Total overdue hazards of any severity.
    pub fn overdue_total(&self) -> u32 {
        self.overdue_critical.count + self.overdue_major.count + self.overdue_minor.count
    }
}

/// Computes the characteristics of the shop described by `evidence` as of `as_of`.
pub fn characteristics(
    evidence: &Evidence,
    policy: &ValidPolicy,
    as_of: Timestamp,
) -> Characteristics {
    let window_start = as_of.plus_days(-i64::from(policy.lookback_days));
    let in_window = |t: Timestamp| t > window_start && t <= as_of;
    let mut c = Characteristics {
        tenure_days: as_of.whole_days_since(evidence.registered_at),
        prior_rating: policy.rating_prior_mean,
        ..Characteristics::default()
    };
    let (mut on_time, mut late) = (0u32, 0u32);
    let mut latest_violation: Option<Timestamp> = None;
    for h in &evidence.hazards {
        let Some(state) = h.state_at(as_of) else {
            continue;
        };
        c.evidence_count += 1;
        latest_violation = latest_violation.max(Some(h.observed_at));
        c.past_violation_count += 1;
        c.past_violation_load += violation_weight(h, policy, as_of);
        let days_overdue = h.days_overdue(as_of);
        if let Some(days) = days_overdue {
            let o = overdue_mut(&mut c, h.severity);
            o.count += 1;
            o.oldest_days = o.oldest_days.max(days);
            o.hazard_ids.push(h.id);
            c.max_days_overdue = c.max_days_overdue.max(days);
        } else if state.is_unresolved() {
            c.open_counts[severity_index(h.severity)] += 1;
            c.open_load +=
                policy.open_hazard_weights.get(h.severity) * open_source_weight(h, policy);
            c.open_hazard_ids.push(h.id);
        }
        if in_window(h.observed_at) {
            // Late means closed late or still unresolved past the deadline, so closing a hazard can
            // never lower the share (a share over closed hazards only would punish closing late ones).
            if h.fixed_on_time(as_of) {
                on_time += 1;
            } else if matches!(state, HazardState::Closed { .. }) || days_overdue.is_some() {
                late += 1;
                c.late_hazard_ids.push(h.id);
            }
            if h.source == HazardSource::TipOff {
                c.tip_offs += 1;
                c.tip_off_hazard_ids.push(h.id);
            }
        }
    }
    c.days_since_last_violation = latest_violation.map(|t| as_of.whole_days_since(t));
    c.due_or_closed = on_time + late;
    c.timeliness = (c.due_or_closed > 0).then(|| f64::from(on_time) / f64::from(c.due_or_closed));

    for p in evidence.patrols.iter().filter(|p| p.observed_at <= as_of) {
        c.evidence_count += 1;
        if p.is_clean() && in_window(p.observed_at) {
            c.clean_patrols += 1;
        }
    }

    self_check_characteristics(&mut c, evidence, policy, as_of, window_start);
    rating_characteristics(&mut c, evidence, policy, as_of);
    c
}

fn self_check_characteristics(
    c: &mut Characteristics,
    evidence: &Evidence,
    policy: &ValidPolicy,
    as_of: Timestamp,
    window_start: Timestamp,
) {
    let cadence = f64::from(policy.self_check_cadence_days);
    let submitted = || {
        evidence
            .self_checks
            .iter()
            .filter(move |s| s.submitted_at <= as_of)
    };
    c.evidence_count += u32::try_from(submitted().count()).unwrap_or(u32::MAX);
    let last = submitted().map(|s| s.submitted_at).max();
    c.days_since_self_check = last.map(|t| as_of.whole_days_since(t));
    let since_registration = as_of.days_since(evidence.registered_at).max(0.0);
    c.diligence_ratio = match last {
        Some(t) => Some(as_of.days_since(t).max(0.0) / cadence),
        // The first self-check is not yet due: no history, not a failure.
        None if since_registration < cadence => None,
        None => Some(since_registration / cadence),
    };

    let recent: Vec<_> = submitted()
        .filter(|s| s.submitted_at > window_start)
        .collect();
    if recent.is_empty() {
        return;
    }
    let window = i64::from(policy.honesty_window_days);
    let mut contradictions = 0u32;
    for h in &evidence.hazards {
        let (HazardSource::Patrol, Some(item), Some(_)) = (h.source, &h.item_id, h.state_at(as_of))
        else {
            continue;
        };
        let contradicts = recent.iter().any(|s| {
            s.submitted_at <= h.observed_at
                && h.observed_at <= s.submitted_at.plus_days(window)
                && s.passed_item_ids.iter().any(|p| p == item)
        });
        if contradicts {
            contradictions += 1;
            c.contradicting_hazard_ids.push(h.id);
        }
    }
    // Honesty is judged only once a patrol has checked a self-check within the window: before
    // that there is nothing to confirm, and ticking every item "pass" must earn nothing by itself.
    let confirmed = recent.iter().any(|s| {
        evidence.patrols.iter().any(|p| {
            p.observed_at <= as_of
                && s.submitted_at <= p.observed_at
                && p.observed_at <= s.submitted_at.plus_days(window)
        })
    });
    c.honesty_contradictions = (confirmed || contradictions > 0).then_some(contradictions);
}

fn rating_characteristics(
    c: &mut Characteristics,
    evidence: &Evidence,
    policy: &ValidPolicy,
    as_of: Timestamp,
) {
    // A review counts once it has settled: by then the burst rules have judged it.
    let settled_by = as_of.plus_hours(-i64::from(policy.review_settle_hours));
    let (mut count, mut sum) = (0u32, 0.0f64);
    for r in evidence
        .reviews
        .iter()
        .filter(|r| r.counted && r.at <= settled_by)
    {
        count += 1;
        sum += f64::from(r.rating.stars());
    }
    c.counted_reviews = count;
    let m = policy.rating_prior_weight;
    c.shrunk_rating = (count > 0).then(|| (sum + m * c.prior_rating) / (f64::from(count) + m));
}

/// An open hazard the owner reported weighs less than the same hazard found by an inspector: the
/// owner told us, so reporting must never cost more than hiding it until a patrol finds it.
fn open_source_weight(h: &Hazard, policy: &ValidPolicy) -> f64 {
    match h.source {
        HazardSource::SelfCheck => policy.violation_weights.self_reported,
        HazardSource::Patrol | HazardSource::TipOff => policy.violation_weights.found_by_inspection,
    }
}

fn violation_weight(h: &Hazard, policy: &ValidPolicy, as_of: Timestamp) -> f64 {
    let w = &policy.violation_weights;
    let source = match h.source {
        HazardSource::Patrol | HazardSource::TipOff => w.found_by_inspection,
        HazardSource::SelfCheck if h.fixed_on_time(as_of) => w.self_reported_fixed_on_time,
        HazardSource::SelfCheck => w.self_reported,
    };
    let age_days = as_of.days_since(h.observed_at).max(0.0);
    let decay = (-age_days / policy.half_life_days.get(h.severity)).exp2();
    w.severity.get(h.severity) * source * decay
}

fn overdue_mut(c: &mut Characteristics, severity: Severity) -> &mut Overdue {
    match severity {
        Severity::Critical => &mut c.overdue_critical,
        Severity::Major => &mut c.overdue_major,
        Severity::Minor => &mut c.overdue_minor,
    }
}

/// Index into `open_counts`: critical, major, minor.
pub(crate) fn severity_index(severity: Severity) -> usize {
    match severity {
        Severity::Critical => 0,
        Severity::Major => 1,
        Severity::Minor => 2,
    }
}

//! Policy as data: every number the engine uses, versioned, parsed from TOML and checked once.
//!
//! Following linfa's `Params` → `ValidParams` split, a [`Policy`] is whatever was read and a
//! [`ValidPolicy`] is one that passed [`Policy::validate`]; scoring accepts only the latter, so it
//! never re-checks invariants.

use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::error::PolicyError;
use crate::evidence::Severity;
use crate::scorecard::Scorecard;
use crate::time::Timestamp;

/// The default policy as shipped, with a rationale comment beside each number.
pub const DEFAULT_POLICY_TOML: &str = include_str!("default_policy.toml");

/// One value per severity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BySeverity<T> {
    /// For critical hazards.
    pub critical: T,
    /// For major hazards.
    pub major: T,
    /// For minor hazards.
    pub minor: T,
}

impl<T: Copy> BySeverity<T> {
    /// The value for `severity`.
    pub fn get(&self, severity: Severity) -> T {
        match severity {
            Severity::Critical => self.critical,
            Severity::Major => self.major,
            Severity::Minor => self.minor,
        }
    }
}

/// How much one past violation weighs before time decay.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViolationWeights {
    /// Weight by severity.
    pub severity: BySeverity<f64>,
    /// Multiplier for hazards a patrol or a verified tip-off found.
    pub found_by_inspection: f64,
    /// Multiplier for self-reported hazards not (yet) fixed on time.
    pub self_reported: f64,
    /// Multiplier for self-reported hazards fixed by their deadline: reporting is honesty, not failure.
    pub self_reported_fixed_on_time: f64,
}

/// Score thresholds for the colours and the hysteresis margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColourThresholds {
    /// Green needs at least this score.
    pub green_at_least: u16,
    /// Red below this score.
    pub red_below: u16,
    /// Points a score must clear a threshold by before the colour improves.
    pub hysteresis_margin: u16,
    /// Leave red only after a verified clean re-inspection, whatever the score (stricter than the
    /// default, where clearing the red threshold by the margin also suffices).
    #[serde(default)]
    pub red_exit_requires_reinspection: bool,
}

/// When a shop's code is marked provisional: both conditions must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionalRule {
    /// Registered for fewer than this many days ...
    pub max_days_registered: u32,
    /// ... and fewer than this many pieces of evidence (patrols, self-checks, hazards).
    pub min_evidence: u32,
}

/// Escalation ladder for an overdue hazard, in hours after its deadline (used by enforcement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationHours {
    /// Reminder to the owner.
    pub reminder: u32,
    /// Formal warning.
    pub warning: u32,
    /// Regulator summons.
    pub summons: u32,
    /// Enforcement referral.
    pub referral: u32,
}

/// When a shop gets an enforcement case besides an unfixed hazard past its referral point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnforcementRule {
    /// Turning red this many times ...
    pub repeated_red_count: u32,
    /// ... within this many days opens a case.
    pub repeated_red_window_days: u32,
}

impl Default for EnforcementRule {
    fn default() -> Self {
        Self {
            repeated_red_count: 3,
            repeated_red_window_days: 90,
        }
    }
}

/// How far ahead an owner is warned (the owner's alerts; not used by scoring).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// Warn of a tracked item (extinguisher, licence, certificate) this many days before it expires.
    pub expiry_lead_days: u32,
    /// Warn of a hazard's deadline this many hours before it.
    pub deadline_lead_hours: u32,
}

impl Default for AlertRule {
    fn default() -> Self {
        Self {
            expiry_lead_days: 30,
            deadline_lead_hours: 24,
        }
    }
}

/// Every number the scoring engine uses, as data. Not yet checked; see [`Policy::validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Version label, stored with every score so it can be recomputed.
    pub version: String,
    /// Rectification deadline after observation, in hours.
    pub deadline_hours: BySeverity<u32>,
    /// Half-life of a past violation's weight, in days.
    pub half_life_days: BySeverity<f64>,
    /// Weights of past violations.
    pub violation_weights: ViolationWeights,
    /// Weight of each open, not yet overdue hazard in the open-hazard load.
    pub open_hazard_weights: BySeverity<f64>,
    /// A self-check is expected at least this often, in days.
    pub self_check_cadence_days: u32,
    /// A patrol finding this many days after a self-check passed the same item contradicts it.
    pub honesty_window_days: u32,
    /// Look-back window for clean patrols, tip-offs, honesty and timeliness, in days.
    pub lookback_days: u32,
    /// Prior weight m in the shrunk rating (v·R̄ + m·C)/(v + m): reviews needed to move halfway.
    pub rating_prior_weight: f64,
    /// The prior C the rating is shrunk towards (1–5 stars): a number of the policy, so one shop's
    /// reviews never move another shop's score. Policies stored before it existed use 4.0, the value
    /// their district mean fell back to.
    #[serde(default = "default_rating_prior_mean")]
    pub rating_prior_mean: f64,
    /// A review counts only this many hours after it was left: by then the burst rules have judged it,
    /// so a review later held for a burst never moved the score or the colour.
    #[serde(default = "default_review_settle_hours")]
    pub review_settle_hours: u32,
    /// The scorecard: base points and binned characteristics.
    pub scorecard: Scorecard,
    /// Colour thresholds and hysteresis margin.
    pub colours: ColourThresholds,
    /// When a code is provisional.
    pub provisional: ProvisionalRule,
    /// Escalation timers (not used by scoring; part of the policy so they are versioned with it).
    pub escalation_hours: EscalationHours,
    /// The repeated-red rule for enforcement cases (defaulted for policies stored before it existed).
    #[serde(default)]
    pub enforcement: EnforcementRule,
    /// How far ahead owners are warned (defaulted for policies stored before it existed).
    #[serde(default)]
    pub alerts: AlertRule,
}

impl Policy {
    /// Parses a policy from TOML without checking it.
    pub fn from_toml_str(text: &str) -> Result<Policy, PolicyError> {
        toml::from_str(text).map_err(|e| PolicyError::Parse(e.to_string()))
    }

    /// The shipped default policy, parsed and validated.
    pub fn default_policy() -> Result<ValidPolicy, PolicyError> {
        Policy::from_toml_str(DEFAULT_POLICY_TOML)?.validate()
    }

    /// Checks every invariant the engine relies on; the error names the offending field.
    pub fn validate(self) -> Result<ValidPolicy, PolicyError> {
        if self.version.trim().is_empty() {
            return Err(PolicyError::EmptyVersion);
        }
        let d = self.deadline_hours;
        for (name, v) in [
            ("critical", d.critical),
            ("major", d.major),
            ("minor", d.minor),
        ] {
            positive(&format!("deadline_hours.{name}"), f64::from(v))?;
        }
        ordered(
            "deadline_hours",
            "critical <= major <= minor",
            d.critical <= d.major && d.major <= d.minor,
        )?;
        each_positive("half_life_days", self.half_life_days)?;
        let w = self.violation_weights;
        each_positive("violation_weights.severity", w.severity)?;
        positive(
            "violation_weights.found_by_inspection",
            w.found_by_inspection,
        )?;
        positive("violation_weights.self_reported", w.self_reported)?;
        positive(
            "violation_weights.self_reported_fixed_on_time",
            w.self_reported_fixed_on_time,
        )?;
        // Fixing on time must never weigh more, or closing a hazard could lower the score.
        ordered(
            "violation_weights",
            "found_by_inspection >= self_reported >= self_reported_fixed_on_time",
            w.found_by_inspection >= w.self_reported
                && w.self_reported >= w.self_reported_fixed_on_time,
        )?;
        each_positive("open_hazard_weights", self.open_hazard_weights)?;
        positive(
            "self_check_cadence_days",
            f64::from(self.self_check_cadence_days),
        )?;
        positive("honesty_window_days", f64::from(self.honesty_window_days))?;
        positive("lookback_days", f64::from(self.lookback_days))?;
        positive("rating_prior_weight", self.rating_prior_weight)?;
        ordered(
            "rating_prior_mean",
            "1.0 <= rating_prior_mean <= 5.0",
            (1.0..=5.0).contains(&self.rating_prior_mean),
        )?;
        self.validate_colours()?;
        let e = self.escalation_hours;
        ordered(
            "escalation_hours",
            "reminder < warning < summons < referral",
            e.reminder < e.warning && e.warning < e.summons && e.summons < e.referral,
        )?;
        // One red spell is no pattern: a repeated-red rule needs at least two.
        positive(
            "enforcement.repeated_red_count",
            f64::from(self.enforcement.repeated_red_count.saturating_sub(1)),
        )?;
        positive(
            "enforcement.repeated_red_window_days",
            f64::from(self.enforcement.repeated_red_window_days),
        )?;
        // A zero lead would warn only once it is too late to act.
        positive(
            "alerts.expiry_lead_days",
            f64::from(self.alerts.expiry_lead_days),
        )?;
        positive(
            "alerts.deadline_lead_hours",
            f64::from(self.alerts.deadline_lead_hours),
        )?;
        self.scorecard.validate()?;
        Ok(ValidPolicy(self))
    }

    fn validate_colours(&self) -> Result<(), PolicyError> {
        let c = self.colours;
        let threshold = |field: &str, detail: String| PolicyError::Threshold {
            field: format!("colours.{field}"),
            detail,
        };
        if c.red_below >= c.green_at_least {
            return Err(threshold(
                "red_below",
                format!(
                    "{} must be below green_at_least {}",
                    c.red_below, c.green_at_least
                ),
            ));
        }
        if u32::from(c.green_at_least) + u32::from(c.hysteresis_margin) > 1000 {
            return Err(threshold(
                "hysteresis_margin",
                format!(
                    "green_at_least {} + margin {} exceeds 1000: green could never be regained",
                    c.green_at_least, c.hysteresis_margin
                ),
            ));
        }
        Ok(())
    }
}

fn default_rating_prior_mean() -> f64 {
    4.0
}

fn default_review_settle_hours() -> u32 {
    1
}

fn positive(field: &str, value: f64) -> Result<(), PolicyError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(PolicyError::NotPositive {
            field: field.to_owned(),
            value,
        })
    }
}

fn each_positive(field: &str, v: BySeverity<f64>) -> Result<(), PolicyError> {
    positive(&format!("{field}.critical"), v.critical)?;
    positive(&format!("{field}.major"), v.major)?;
    positive(&format!("{field}.minor"), v.minor)
}

fn ordered(field: &str, expected: &str, holds: bool) -> Result<(), PolicyError> {
    if holds {
        Ok(())
    } else {
        Err(PolicyError::OutOfOrder {
            field: field.to_owned(),
            detail: format!("expected {expected}"),
        })
    }
}

/// A policy that passed [`Policy::validate`]; the only kind scoring accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Policy", into = "Policy")]
pub struct ValidPolicy(Policy);

impl ValidPolicy {
    /// Parses and validates a policy from TOML.
    pub fn from_toml_str(text: &str) -> Result<ValidPolicy, PolicyError> {
        Policy::from_toml_str(text)?.validate()
    }

    /// The checked policy.
    pub fn policy(&self) -> &Policy {
        &self.0
    }

    /// Gives back the plain policy (e.g. to edit it and validate again).
    pub fn into_inner(self) -> Policy {
        self.0
    }
}

impl Deref for ValidPolicy {
    type Target = Policy;
    fn deref(&self) -> &Policy {
        &self.0
    }
}

impl TryFrom<Policy> for ValidPolicy {
    type Error = PolicyError;
    fn try_from(policy: Policy) -> Result<Self, Self::Error> {
        policy.validate()
    }
}

impl From<ValidPolicy> for Policy {
    fn from(valid: ValidPolicy) -> Policy {
        valid.0
    }
}

/// The rectification deadline for a hazard of `severity` observed at `observed_at`.
pub fn hazard_deadline(
    policy: &ValidPolicy,
    severity: Severity,
    observed_at: Timestamp,
) -> Timestamp {
    observed_at.plus_hours(i64::from(policy.deadline_hours.get(severity)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_plain() -> Policy {
        Policy::from_toml_str(DEFAULT_POLICY_TOML).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn default_policy_parses_and_validates() {
        let p = Policy::default_policy().unwrap_or_else(|e| panic!("{e}"));
        assert!(!p.version.is_empty());
        assert_eq!(p.deadline_hours.get(Severity::Critical), 24);
        assert_eq!(p.escalation_hours.referral, 336);
    }

    #[test]
    fn deadline_is_observation_plus_policy_hours() {
        let p = Policy::default_policy().unwrap_or_else(|e| panic!("{e}"));
        let t = Timestamp(0);
        assert_eq!(hazard_deadline(&p, Severity::Critical, t), t.plus_hours(24));
        assert_eq!(hazard_deadline(&p, Severity::Major, t), t.plus_hours(72));
        assert_eq!(hazard_deadline(&p, Severity::Minor, t), t.plus_hours(168));
    }

    #[test]
    fn valid_policy_round_trips_through_json() {
        let p = Policy::default_policy().unwrap_or_else(|e| panic!("{e}"));
        let json = serde_json::to_string(&p).unwrap_or_else(|e| panic!("{e}"));
        let back: ValidPolicy = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, p);
    }

    #[test]
    fn invalid_policies_are_rejected_naming_the_field() {
        type Edit = fn(&mut Policy);
        let cases: [(&str, Edit); 10] = [
            ("version", |p| p.version = " ".into()),
            ("half_life_days.major", |p| p.half_life_days.major = 0.0),
            ("deadline_hours", |p| p.deadline_hours.critical = 500),
            ("violation_weights", |p| {
                p.violation_weights.self_reported_fixed_on_time = 5.0
            }),
            ("rating_prior_weight", |p| p.rating_prior_weight = f64::NAN),
            ("colours.red_below", |p| p.colours.red_below = 900),
            ("escalation_hours", |p| p.escalation_hours.warning = 0),
            ("alerts.expiry_lead_days", |p| p.alerts.expiry_lead_days = 0),
            ("alerts.deadline_lead_hours", |p| {
                p.alerts.deadline_lead_hours = 0
            }),
            ("scorecard.characteristics", |p| {
                let first = p.scorecard.characteristics[0].clone();
                p.scorecard.characteristics.push(first);
            }),
        ];
        for (field, edit) in cases {
            let mut p = default_plain();
            edit(&mut p);
            let err = p
                .validate()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                err.contains(field) || (field == "version" && err.contains("version")),
                "{field}: got {err:?}"
            );
        }
    }

    #[test]
    fn default_policy_warns_a_month_and_a_day_ahead() {
        let p = Policy::default_policy().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.alerts, AlertRule::default());
        assert_eq!(
            (p.alerts.expiry_lead_days, p.alerts.deadline_lead_hours),
            (30, 24)
        );
    }

    #[test]
    fn a_policy_stored_before_alerts_existed_gets_the_default_leads() {
        let start = DEFAULT_POLICY_TOML.find("[alerts]").unwrap_or(0);
        let end = DEFAULT_POLICY_TOML[start..]
            .find("\n\n")
            .map_or(start, |n| start + n);
        let older = format!(
            "{}{}",
            &DEFAULT_POLICY_TOML[..start],
            &DEFAULT_POLICY_TOML[end..]
        );
        assert!(start > 0 && !older.contains("[alerts]"));
        let p = ValidPolicy::from_toml_str(&older).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.alerts, AlertRule::default());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let text = format!("{DEFAULT_POLICY_TOML}\nsurprise = 1\n");
        assert!(matches!(
            Policy::from_toml_str(&text),
            Err(PolicyError::Parse(_))
        ));
    }
}

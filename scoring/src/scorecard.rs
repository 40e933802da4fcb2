//! The scorecard: each characteristic cut into bins, each bin worth integer points.
//!
//! The same structure holds an expert-set card (the default policy) or one fitted from history
//! (weight-of-evidence bins scaled to points), so a fitted card replaces the expert one as data.

use serde::{Deserialize, Serialize};

use crate::error::PolicyError;

/// Calls the macro `$then` with every characteristic in tie-break order, as `/// doc` then
/// `Variant = "stable_name",`, so the enums keyed by characteristic ([`CharacteristicId`],
/// [`crate::ReasonCode`]) are declared from this one list and cannot drift apart.
macro_rules! with_characteristics {
    ($then:ident) => {
        $then! {
            /// Number of overdue critical hazards.
            OverdueCriticalHazards = "overdue_critical_hazards",
            /// Number of overdue major hazards.
            OverdueMajorHazards = "overdue_major_hazards",
            /// Number of overdue minor hazards.
            OverdueMinorHazards = "overdue_minor_hazards",
            /// Started days the longest-overdue hazard is past its deadline.
            DaysOverdue = "days_overdue",
            /// Severity-weighted count of open hazards not yet overdue (awaiting verification included).
            OpenHazards = "open_hazards",
            /// Decayed, severity- and source-weighted load of past violations.
            PastViolations = "past_violations",
            /// Self-check passes contradicted by a patrol within the honesty window.
            SelfCheckHonesty = "self_check_honesty",
            /// Verified tip-offs within the look-back window.
            VerifiedTipOffs = "verified_tip_offs",
            /// Share of due or closed hazards fixed by their deadline.
            RectificationTimeliness = "rectification_timeliness",
            /// Days since the last self-check divided by the expected cadence.
            SelfCheckDiligence = "self_check_diligence",
            /// Public rating shrunk towards the district prior.
            PublicRating = "public_rating",
            /// Clean patrols within the look-back window.
            CleanPatrols = "clean_patrols",
            /// Days since registration.
            Tenure = "tenure",
        }
    };
}
pub(crate) use with_characteristics;

macro_rules! declare_characteristic_id {
    ($($(#[$doc:meta])* $name:ident = $text:literal,)*) => {
        /// A characteristic the engine can compute. The declaration order is the fixed tie-break
        /// order for reasons: hard safety facts first, reputation last.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum CharacteristicId {
            $($(#[$doc])* #[serde(rename = $text)] $name,)*
        }

        impl CharacteristicId {
            /// Every characteristic, in tie-break order.
            pub const ALL: [CharacteristicId; 13] = [$(Self::$name,)*];

            /// The snake_case name used in policies and outputs.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$name => $text,)*
                }
            }
        }
    };
}
with_characteristics!(declare_characteristic_id);

/// Which way a characteristic's value is good; bin points must follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Larger values are better: points never fall as the value rises.
    HigherIsBetter,
    /// Larger values are worse: points never rise as the value rises.
    HigherIsWorse,
}

impl CharacteristicId {
    /// The declared direction; checked against bin points so the score is monotone in the evidence.
    pub fn direction(self) -> Direction {
        match self {
            Self::RectificationTimeliness
            | Self::PublicRating
            | Self::CleanPatrols
            | Self::Tenure => Direction::HigherIsBetter,
            _ => Direction::HigherIsWorse,
        }
    }
}

/// One bin: values up to and including `upto` (the first bin that fits wins).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bin {
    /// Inclusive upper bound; `None` (omitted) only on the last bin, which is open-ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upto: Option<f64>,
    /// Points for a value in this bin.
    pub points: i32,
}

/// The bins of one characteristic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharacteristicCard {
    /// Which characteristic.
    pub id: CharacteristicId,
    /// Points when there is no history to judge by; should be the population average (WoE 0),
    /// so a new shop starts neutral.
    pub no_history_points: i32,
    /// Bins in ascending order of `upto`.
    pub bins: Vec<Bin>,
}

impl CharacteristicCard {
    /// Points for `value`; `None` means no history.
    pub fn points_for(&self, value: Option<f64>) -> i32 {
        let Some(v) = value else {
            return self.no_history_points;
        };
        self.bins
            .iter()
            .find(|b| !matches!(b.upto, Some(u) if v > u))
            .map_or(self.no_history_points, |b| b.points)
    }

    /// The most points any value can earn here.
    pub fn best_points(&self) -> i32 {
        self.bins
            .iter()
            .map(|b| b.points)
            .fold(self.no_history_points, i32::max)
    }

    fn validate(&self) -> Result<(), PolicyError> {
        let field =
            |suffix: &str| format!("scorecard.characteristics[{}]{suffix}", self.id.as_str());
        let bins_error = |suffix: &str, detail: String| PolicyError::Bins {
            field: field(suffix),
            detail,
        };
        let last = self
            .bins
            .len()
            .checked_sub(1)
            .ok_or_else(|| bins_error(".bins", "needs at least one bin".to_owned()))?;
        let mut previous: Option<f64> = None;
        for (i, bin) in self.bins.iter().enumerate() {
            match (bin.upto, i == last) {
                (None, true) => {}
                (Some(_), true) => {
                    return Err(bins_error(
                        &format!(".bins[{i}].upto"),
                        "the last bin must be open-ended (omit `upto`)".to_owned(),
                    ))
                }
                (None, false) => {
                    return Err(bins_error(
                        &format!(".bins[{i}].upto"),
                        "only the last bin may omit `upto`".to_owned(),
                    ))
                }
                (Some(u), false) => {
                    if !u.is_finite() || previous.is_some_and(|p| u <= p) {
                        return Err(bins_error(
                            &format!(".bins[{i}].upto"),
                            format!("{u} must be finite and above the previous bound"),
                        ));
                    }
                    previous = Some(u);
                }
            }
        }
        for (i, pair) in self.bins.windows(2).enumerate() {
            let ok = match self.id.direction() {
                Direction::HigherIsBetter => pair[0].points <= pair[1].points,
                Direction::HigherIsWorse => pair[0].points >= pair[1].points,
            };
            if !ok {
                return Err(bins_error(
                    &format!(".bins[{}].points", i + 1),
                    format!(
                        "points {} then {} go against the declared direction {:?}",
                        pair[0].points,
                        pair[1].points,
                        self.id.direction()
                    ),
                ));
            }
        }
        let lo = self.bins.iter().map(|b| b.points).min().unwrap_or(0);
        let hi = self.bins.iter().map(|b| b.points).max().unwrap_or(0);
        if !(lo..=hi).contains(&self.no_history_points) {
            return Err(bins_error(
                ".no_history_points",
                format!(
                    "{} must lie within the bins' points {lo}..={hi}: no history is neutral",
                    self.no_history_points
                ),
            ));
        }
        Ok(())
    }
}

/// Base points plus one card per scored characteristic. A characteristic without a card scores 0
/// (a fitted card may drop characteristics with too little information value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scorecard {
    /// Points every shop starts from.
    pub base_points: i32,
    /// Cards, at most one per characteristic.
    pub characteristics: Vec<CharacteristicCard>,
}

impl Scorecard {
    /// The card for `id`, if it is scored.
    pub fn card(&self, id: CharacteristicId) -> Option<&CharacteristicCard> {
        self.characteristics.iter().find(|c| c.id == id)
    }

    pub(crate) fn validate(&self) -> Result<(), PolicyError> {
        if !(0..=1000).contains(&self.base_points) {
            return Err(PolicyError::Threshold {
                field: "scorecard.base_points".to_owned(),
                detail: format!("{} must lie within 0..=1000", self.base_points),
            });
        }
        for (i, card) in self.characteristics.iter().enumerate() {
            if self.characteristics[..i].iter().any(|c| c.id == card.id) {
                return Err(PolicyError::DuplicateCharacteristic {
                    id: card.id.as_str().to_owned(),
                });
            }
            card.validate()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(id: CharacteristicId, bins: &[(Option<f64>, i32)]) -> CharacteristicCard {
        CharacteristicCard {
            id,
            no_history_points: 0,
            bins: bins
                .iter()
                .map(|&(upto, points)| Bin { upto, points })
                .collect(),
        }
    }

    #[test]
    fn value_lands_in_first_bin_whose_bound_it_does_not_exceed() {
        let c = card(
            CharacteristicId::OpenHazards,
            &[(Some(0.0), 0), (Some(2.0), -10), (None, -30)],
        );
        assert_eq!(c.points_for(Some(0.0)), 0);
        assert_eq!(c.points_for(Some(2.0)), -10);
        assert_eq!(c.points_for(Some(2.5)), -30);
        assert_eq!(c.points_for(None), 0);
        assert_eq!(c.best_points(), 0);
    }

    #[test]
    fn malformed_bins_are_rejected_naming_the_bin() {
        let cases = [
            (card(CharacteristicId::OpenHazards, &[]), ".bins"),
            (
                card(
                    CharacteristicId::OpenHazards,
                    &[(Some(1.0), 0), (Some(0.5), -1), (None, -2)],
                ),
                ".bins[1].upto",
            ),
            (
                card(
                    CharacteristicId::OpenHazards,
                    &[(Some(1.0), 0), (Some(2.0), -1)],
                ),
                ".bins[1].upto",
            ),
            (
                card(CharacteristicId::OpenHazards, &[(None, 0), (None, -1)]),
                ".bins[0].upto",
            ),
            (
                card(CharacteristicId::OpenHazards, &[(Some(1.0), -5), (None, 3)]),
                ".bins[1].points",
            ),
            (
                card(
                    CharacteristicId::CleanPatrols,
                    &[(Some(1.0), 5), (None, -3)],
                ),
                ".bins[1].points",
            ),
            (
                card(
                    CharacteristicId::CleanPatrols,
                    &[(Some(1.0), 5), (None, 10)],
                ),
                ".no_history_points",
            ),
        ];
        for (c, suffix) in cases {
            let err = c
                .validate()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(suffix), "expected {suffix}, got {err:?}");
        }
    }
}

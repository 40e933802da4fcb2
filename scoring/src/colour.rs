//! The red / yellow / green code: rules over the score and hard facts, with hysteresis.
//!
//! The previous colour is an input, so the engine stays pure: escalation is immediate, while an
//! improvement needs the causes gone and either a score clear of the threshold by the margin or a
//! verified clean re-inspection.

use serde::{Deserialize, Serialize};

use crate::characteristics::Characteristics;
use crate::evidence::{Evidence, HazardState};
use crate::policy::ValidPolicy;
use crate::text::Text;
use crate::time::Timestamp;

/// The code on the shop's door. Ordered worst first, so `max` is the better colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// Serious or unfixed problems.
    Red,
    /// Needs attention.
    Yellow,
    /// In good standing.
    Green,
}

impl Colour {
    /// Every colour, worst first.
    pub const ALL: [Colour; 3] = [Colour::Red, Colour::Yellow, Colour::Green];

    /// The stable name (storage and API).
    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Red => "red",
            Colour::Yellow => "yellow",
            Colour::Green => "green",
        }
    }

    /// The colour named `name` (see [`Colour::as_str`]), or `None` for an unknown name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The code's name as an owner reads it.
    fn words(self) -> Text {
        let zh = match self {
            Colour::Red => "红码",
            Colour::Yellow => "黄码",
            Colour::Green => "绿码",
        };
        Text::new(zh, self.as_str())
    }
}

/// The notice an owner gets when the shop's code changes colour. Back to green, there is no way
/// back to point to: it says so and thanks the owner.
pub fn colour_notice(from: Colour, to: Colour) -> Text {
    let (from_words, to_words) = (from.words(), to.words());
    if to == Colour::Green {
        return Text {
            zh: format!(
                "恭喜！您的店铺码已由{}恢复为绿码，感谢您的配合",
                from_words.zh
            ),
            en: format!(
                "Congratulations: your shop's code is green again (it was {}). Thank you",
                from_words.en
            ),
        };
    }
    let (from, to) = (from_words, to_words);
    Text {
        zh: format!("您的店铺码由{}变为{}，请查看原因和整改建议", from.zh, to.zh),
        en: format!(
            "Your shop's code changed from {} to {}: see the reasons and the way back to green",
            from.en, to.en
        ),
    }
}

/// The colour in force just before the instant being scored, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousCode {
    /// The colour in force.
    pub colour: Colour,
    /// When that colour started; only a re-inspection after it can lift it.
    pub since: Timestamp,
}

/// The rule that decided the colour (a reason code for the colour itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColourRule {
    /// Score at or above the green threshold and no hard fact against it.
    ScoreAtLeastGreen,
    /// Score between the red and green thresholds.
    ScoreBetweenThresholds,
    /// Score below the red threshold.
    ScoreBelowRed,
    /// An overdue critical hazard: red whatever the score.
    OverdueCriticalHazard,
    /// An overdue hazard: at least yellow whatever the score.
    OverdueHazard,
    /// The previous, worse colour is kept: the score has not cleared the threshold by the margin and
    /// there has been no verified clean re-inspection.
    HeldByHysteresis,
    /// A verified clean re-inspection lifted the previous, worse colour.
    CleanReinspection,
}

/// A colour and the rule that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColourDecision {
    /// The colour.
    pub colour: Colour,
    /// Why.
    pub rule: ColourRule,
}

/// The colour the score and hard facts call for, ignoring history.
fn colour_without_history(score: u16, c: &Characteristics, policy: &ValidPolicy) -> ColourDecision {
    let t = policy.colours;
    let (colour, rule) = if c.overdue_critical.count > 0 {
        (Colour::Red, ColourRule::OverdueCriticalHazard)
    } else if score < t.red_below {
        (Colour::Red, ColourRule::ScoreBelowRed)
    } else if c.overdue_total() > 0 {
        (Colour::Yellow, ColourRule::OverdueHazard)
    } else if score < t.green_at_least {
        (Colour::Yellow, ColourRule::ScoreBetweenThresholds)
    } else {
        (Colour::Green, ColourRule::ScoreAtLeastGreen)
    };
    ColourDecision { colour, rule }
}

/// Decides the colour, applying hysteresis against `previous`.
pub(crate) fn decide_colour(
    score: u16,
    c: &Characteristics,
    evidence: &Evidence,
    policy: &ValidPolicy,
    as_of: Timestamp,
    previous: Option<PreviousCode>,
) -> ColourDecision {
    let raw = colour_without_history(score, c, policy);
    let Some(prev) = previous else {
        return raw;
    };
    if raw.colour <= prev.colour {
        // Escalate at once; staying put needs no justification.
        return raw;
    }
    if verified_clean_reinspection(evidence, as_of, prev.since) {
        return ColourDecision {
            colour: raw.colour,
            rule: ColourRule::CleanReinspection,
        };
    }
    let t = policy.colours;
    if prev.colour == Colour::Red && t.red_exit_requires_reinspection {
        return ColourDecision {
            colour: Colour::Red,
            rule: ColourRule::HeldByHysteresis,
        };
    }
    let cleared =
        if u32::from(score) >= u32::from(t.green_at_least) + u32::from(t.hysteresis_margin) {
            Colour::Green
        } else if u32::from(score) >= u32::from(t.red_below) + u32::from(t.hysteresis_margin) {
            Colour::Yellow
        } else {
            Colour::Red
        };
    let colour = raw.colour.min(prev.colour.max(cleared));
    if colour == raw.colour {
        raw
    } else {
        ColourDecision {
            colour,
            rule: ColourRule::HeldByHysteresis,
        }
    }
}

/// A clean patrol no earlier than `since`, after every hazard on record was observed, with every one
/// of them verified closed by `as_of`: an inspector has seen the shop clean since things went wrong.
///
/// The order of a visit's records does not matter: an inspector who records the clean patrol observed
/// at arrival and verifies a fix during the same visit (so the verification comes after the patrol)
/// gives a re-inspection, exactly as when the verification is recorded first. A hazard observed after
/// the patrol means the patrol does not show the shop as it is now.
pub fn verified_clean_reinspection(
    evidence: &Evidence,
    as_of: Timestamp,
    since: Timestamp,
) -> bool {
    let mut last_observed: Option<Timestamp> = None;
    for h in &evidence.hazards {
        match h.state_at(as_of) {
            Some(HazardState::Closed { .. }) => {
                last_observed = last_observed.max(Some(h.observed_at))
            }
            Some(_) => return false,
            None => {}
        }
    }
    evidence.patrols.iter().any(|p| {
        p.is_clean()
            && p.observed_at <= as_of
            && p.observed_at >= since
            && !matches!(last_observed, Some(t) if p.observed_at < t)
    })
}

/// Provisional while the shop is new and the evidence is thin.
pub(crate) fn is_provisional(c: &Characteristics, policy: &ValidPolicy) -> bool {
    c.tenure_days < i64::from(policy.provisional.max_days_registered)
        && c.evidence_count < policy.provisional.min_evidence
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_stable_names;

    #[test]
    fn every_colour_keeps_its_stable_name() {
        assert_stable_names(&Colour::ALL, Colour::as_str, Colour::parse);
    }

    #[test]
    fn a_colour_change_is_announced_in_both_languages() {
        let notice = colour_notice(Colour::Green, Colour::Red);
        assert_eq!(notice.zh, "您的店铺码由绿码变为红码，请查看原因和整改建议");
        assert_eq!(
            notice.en,
            "Your shop's code changed from green to red: see the reasons and the way back to green"
        );
    }

    #[test]
    fn a_return_to_green_congratulates_instead_of_pointing_the_way_back() {
        for from in [Colour::Red, Colour::Yellow] {
            let notice = colour_notice(from, Colour::Green);
            assert!(
                notice.zh.starts_with("恭喜") && notice.zh.contains("绿码"),
                "{}",
                notice.zh
            );
            assert!(notice.en.contains("green again"), "{}", notice.en);
            assert!(
                !notice.en.contains("way back") && !notice.zh.contains("整改"),
                "{notice:?}"
            );
        }
    }
}

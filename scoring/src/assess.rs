//! The one entry point: evidence as of an instant in; score, colour, reasons and path to green out.

use serde::{Deserialize, Serialize};

use crate::characteristics::{characteristics, Characteristics};
use crate::colour::{
    decide_colour, is_provisional, Colour, ColourDecision, ColourRule, PreviousCode,
};
use crate::evidence::Evidence;
use crate::explain::{reasons, CharacteristicPoints, Reason};
use crate::path::{path_to_green, Step};
use crate::policy::ValidPolicy;
use crate::scorecard::CharacteristicId;
use crate::time::Timestamp;

/// Everything the engine says about one shop at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Credit score, 0 to 1000, higher is better.
    pub score: u16,
    /// The code.
    pub colour: Colour,
    /// The rule that decided the colour.
    pub colour_rule: ColourRule,
    /// Evidence is too thin for a firm code.
    pub provisional: bool,
    /// Points per scored characteristic, in [`CharacteristicId`] order.
    pub characteristics: Vec<CharacteristicPoints>,
    /// At most four reasons the score is not higher.
    pub reasons: Vec<Reason>,
    /// Actions that bring the shop back to green, each with the score and colour after it; empty
    /// when already green.
    pub path_to_green: Vec<Step>,
    /// Version of the policy used.
    pub policy_version: String,
    /// The instant judged.
    pub as_of: Timestamp,
}

/// The score and colour alone, without explanations (what the path search re-runs).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scored {
    pub characteristics: Characteristics,
    pub points: Vec<CharacteristicPoints>,
    pub score: u16,
    pub colour: ColourDecision,
    pub provisional: bool,
}

/// Scores without explaining: characteristics → points → clamped score → colour.
pub(crate) fn score_only(
    evidence: &Evidence,
    policy: &ValidPolicy,
    as_of: Timestamp,
    previous: Option<PreviousCode>,
) -> Scored {
    let c = characteristics(evidence, policy, as_of);
    let card = &policy.scorecard;
    let points: Vec<CharacteristicPoints> = CharacteristicId::ALL
        .iter()
        .filter_map(|&id| {
            let card = card.card(id)?;
            let value = c.value(id);
            Some(CharacteristicPoints {
                id,
                value,
                points: card.points_for(value),
                best_points: card.best_points(),
            })
        })
        .collect();
    let total: i64 =
        i64::from(card.base_points) + points.iter().map(|p| i64::from(p.points)).sum::<i64>();
    let score = u16::try_from(total.clamp(0, 1000)).unwrap_or(0);
    let colour = decide_colour(
        evidence_score(total, &points, policy),
        &c,
        evidence,
        policy,
        as_of,
        previous,
    );
    let provisional = is_provisional(&c, policy);
    Scored {
        characteristics: c,
        points,
        score,
        colour,
        provisional,
    }
}

/// The score the colour is judged on: the total with the public rating at its neutral points.
/// Reviews move the score a little, but never a colour by themselves: a colour change needs
/// verified evidence (a patrol, an inspection, a self-check, a verified tip-off) behind it.
fn evidence_score(total: i64, points: &[CharacteristicPoints], policy: &ValidPolicy) -> u16 {
    let rating = points
        .iter()
        .find(|p| p.id == CharacteristicId::PublicRating);
    let neutral = policy
        .scorecard
        .card(CharacteristicId::PublicRating)
        .map_or(0, |card| card.no_history_points);
    let without = total - rating.map_or(0, |p| i64::from(p.points)) + i64::from(neutral);
    u16::try_from(without.clamp(0, 1000)).unwrap_or(0)
}

/// Assesses one shop as of `as_of`.
///
/// Pure and deterministic: evidence observed after `as_of` is ignored, hazard status is judged as of
/// `as_of`, and `previous` (the colour in force just before `as_of`) supplies the hysteresis, so any
/// past assessment can be recomputed exactly.
pub fn assess(
    evidence: &Evidence,
    policy: &ValidPolicy,
    as_of: Timestamp,
    previous: Option<PreviousCode>,
) -> Assessment {
    let scored = score_only(evidence, policy, as_of, previous);
    let reasons = reasons(
        &scored.points,
        &scored.characteristics,
        policy,
        scored.provisional,
    );
    let path = path_to_green(evidence, policy, as_of, previous, &scored);
    Assessment {
        score: scored.score,
        colour: scored.colour.colour,
        colour_rule: scored.colour.rule,
        provisional: scored.provisional,
        characteristics: scored.points,
        reasons,
        path_to_green: path,
        policy_version: policy.version.clone(),
        as_of,
    }
}

//! How assessments look in the API.

use serde::Serialize;
use shopcredit_scoring::{Action, Assessment};
use utoipa::ToSchema;

use super::rfc3339;
use crate::domain::score::{CharacteristicId, Colour, ColourRule, PathAction, ReasonCode};

/// A reason the score is not higher.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonView {
    pub code: ReasonCode,
    pub points_lost: u32,
    pub message_zh: String,
    pub message_en: String,
    /// The hazards behind it.
    pub hazard_ids: Vec<i64>,
}

/// One step back to green, with the score and colour it brings.
#[derive(Debug, Serialize, ToSchema)]
// Named apart from the escalation rungs' `StepView`, which would otherwise overwrite it.
#[schema(as = PathStepView)]
pub struct StepView {
    pub action: PathAction,
    /// For `verify_fix`: the hazard to fix.
    pub hazard_id: Option<i64>,
    /// For `wait`: RFC 3339, the day the shop is green if it keeps up its self-checks and nothing
    /// new is found, or, when a `clean_reinspection` step follows, the day from which one gives green.
    pub until: Option<String>,
    pub message_zh: String,
    pub message_en: String,
    pub score_after: u16,
    pub colour_after: Colour,
    pub points_gained: i32,
}

/// Points one characteristic earned.
#[derive(Debug, Serialize, ToSchema)]
pub struct CharacteristicView {
    pub id: CharacteristicId,
    /// The measured value; `null` means no history (a neutral bin).
    pub value: Option<f64>,
    pub points: i32,
    pub best_points: i32,
}

/// A shop's score, colour and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreView {
    pub shop_id: i64,
    /// 0–1000, higher is better.
    pub score: u16,
    pub colour: Colour,
    /// Too little evidence for a firm code yet.
    pub provisional: bool,
    /// The rule that decided the colour.
    pub colour_rule: ColourRule,
    /// RFC 3339: when the shop took this colour.
    pub colour_since: Option<String>,
    pub policy_version: String,
    /// RFC 3339: the instant judged.
    pub as_of: String,
    /// Points per characteristic; with `base_points` they sum to the score (before clamping).
    pub characteristics: Vec<CharacteristicView>,
    /// At most four, most points lost first.
    pub reasons: Vec<ReasonView>,
    /// Shortest list of actions back to green; empty when green.
    pub path_to_green: Vec<StepView>,
}

impl ScoreView {
    pub fn from_assessment(shop_id: i64, a: &Assessment, colour_since: Option<i64>) -> Self {
        Self {
            shop_id,
            score: a.score,
            colour: a.colour.into(),
            provisional: a.provisional,
            colour_rule: a.colour_rule.into(),
            colour_since: colour_since.map(rfc3339),
            policy_version: a.policy_version.clone(),
            as_of: rfc3339(a.as_of.millis()),
            characteristics: a
                .characteristics
                .iter()
                .map(|c| CharacteristicView {
                    id: c.id.into(),
                    value: c.value,
                    points: c.points,
                    best_points: c.best_points,
                })
                .collect(),
            reasons: a
                .reasons
                .iter()
                .map(|r| ReasonView {
                    code: r.code.into(),
                    points_lost: r.points_lost,
                    message_zh: r.zh.clone(),
                    message_en: r.en.clone(),
                    hazard_ids: r.hazard_ids.clone(),
                })
                .collect(),
            path_to_green: a
                .path_to_green
                .iter()
                .map(|s| StepView {
                    action: (&s.action).into(),
                    hazard_id: match s.action {
                        Action::VerifyFix { hazard_id } => Some(hazard_id),
                        _ => None,
                    },
                    until: match s.action {
                        Action::Wait { until } => Some(rfc3339(until.millis())),
                        _ => None,
                    },
                    message_zh: s.zh.clone(),
                    message_en: s.en.clone(),
                    score_after: s.score_after,
                    colour_after: s.colour_after.into(),
                    points_gained: s.points_gained,
                })
                .collect(),
        }
    }
}

/// One entry of a shop's score history.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotView {
    pub id: i64,
    /// RFC 3339: when the score changed.
    pub at: String,
    pub score: i64,
    pub colour: Colour,
    pub provisional: bool,
    pub colour_since: String,
    pub policy_version: String,
    /// Reason codes at that time.
    pub reasons: Vec<ReasonCode>,
}

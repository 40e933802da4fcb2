//! The code on the door, as the API and the database name it.

use shopcredit_scoring as scoring;

use super::vocabulary::{mirror_enum, text_enum};

text_enum!(
    /// The code on the shop's door.
    pub enum Colour("colour") {
        /// In good standing.
        Green => "green",
        /// Needs attention.
        Yellow => "yellow",
        /// Serious or unfixed problems.
        Red => "red",
    }
);

mirror_enum!(Colour, scoring::Colour, [Green, Yellow, Red]);

/// Calls `$then!` with the scorecard's characteristics, each `Variant => "stable_name",`, so the
/// two vocabularies built on them (characteristics and reason codes) list them once.
macro_rules! with_characteristics {
    ($then:ident) => {
        $then! {
            OverdueCriticalHazards => "overdue_critical_hazards",
            OverdueMajorHazards => "overdue_major_hazards",
            OverdueMinorHazards => "overdue_minor_hazards",
            DaysOverdue => "days_overdue",
            OpenHazards => "open_hazards",
            PastViolations => "past_violations",
            SelfCheckHonesty => "self_check_honesty",
            VerifiedTipOffs => "verified_tip_offs",
            RectificationTimeliness => "rectification_timeliness",
            SelfCheckDiligence => "self_check_diligence",
            PublicRating => "public_rating",
            CleanPatrols => "clean_patrols",
            Tenure => "tenure",
        }
    };
}

macro_rules! characteristic_ids {
    ($($variant:ident => $text:literal,)+) => {
        text_enum!(
            /// A characteristic of the scorecard.
            pub enum CharacteristicId("characteristic") { $($variant => $text,)+ }
        );
        mirror_enum!(CharacteristicId, scoring::CharacteristicId, [$($variant),+]);
    };
}
with_characteristics!(characteristic_ids);

macro_rules! reason_codes {
    ($($variant:ident => $text:literal,)+) => {
        text_enum!(
            /// Why a score is not higher: one code per characteristic, plus the provisional notice
            /// (`provisional_little_evidence`: a new shop with little evidence).
            pub enum ReasonCode("reason code") {
                $($variant => $text,)+
                ProvisionalLittleEvidence => "provisional_little_evidence",
            }
        );
        mirror_enum!(
            ReasonCode,
            scoring::ReasonCode,
            [$($variant,)+ ProvisionalLittleEvidence]
        );
    };
}
with_characteristics!(reason_codes);

text_enum!(
    /// The rule that decided a colour.
    pub enum ColourRule("colour rule") {
        ScoreAtLeastGreen => "score_at_least_green",
        ScoreBetweenThresholds => "score_between_thresholds",
        ScoreBelowRed => "score_below_red",
        /// An overdue critical hazard: red whatever the score.
        OverdueCriticalHazard => "overdue_critical_hazard",
        /// An overdue hazard: at least yellow whatever the score.
        OverdueHazard => "overdue_hazard",
        /// The previous, worse colour is kept.
        HeldByHysteresis => "held_by_hysteresis",
        /// A verified clean re-inspection lifted the previous, worse colour.
        CleanReinspection => "clean_reinspection",
    }
);

mirror_enum!(
    ColourRule,
    scoring::ColourRule,
    [
        ScoreAtLeastGreen,
        ScoreBetweenThresholds,
        ScoreBelowRed,
        OverdueCriticalHazard,
        OverdueHazard,
        HeldByHysteresis,
        CleanReinspection,
    ]
);

text_enum!(
    /// One kind of step on the path back to green.
    pub enum PathAction("action") {
        /// Fix a hazard and have the fix verified.
        VerifyFix => "verify_fix",
        SubmitSelfCheck => "submit_self_check",
        /// A patrol that finds nothing.
        CleanReinspection => "clean_reinspection",
        /// Keep up the self-checks until old history has decayed (always the last step).
        Wait => "wait",
    }
);

impl From<&scoring::Action> for PathAction {
    fn from(a: &scoring::Action) -> Self {
        match a {
            scoring::Action::VerifyFix { .. } => PathAction::VerifyFix,
            scoring::Action::SubmitSelfCheck => PathAction::SubmitSelfCheck,
            scoring::Action::CleanReinspection => PathAction::CleanReinspection,
            scoring::Action::Wait { .. } => PathAction::Wait,
        }
    }
}

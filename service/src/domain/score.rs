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

text_enum!(
    /// A characteristic of the scorecard.
    pub enum CharacteristicId("characteristic") {
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
);

mirror_enum!(
    CharacteristicId,
    scoring::CharacteristicId,
    [
        OverdueCriticalHazards,
        OverdueMajorHazards,
        OverdueMinorHazards,
        DaysOverdue,
        OpenHazards,
        PastViolations,
        SelfCheckHonesty,
        VerifiedTipOffs,
        RectificationTimeliness,
        SelfCheckDiligence,
        PublicRating,
        CleanPatrols,
        Tenure,
    ]
);

text_enum!(
    /// Why a score is not higher: one code per characteristic, plus the provisional notice.
    pub enum ReasonCode("reason code") {
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
        /// A new shop with little evidence: the code is provisional.
        ProvisionalLittleEvidence => "provisional_little_evidence",
    }
);

mirror_enum!(
    ReasonCode,
    scoring::ReasonCode,
    [
        OverdueCriticalHazards,
        OverdueMajorHazards,
        OverdueMinorHazards,
        DaysOverdue,
        OpenHazards,
        PastViolations,
        SelfCheckHonesty,
        VerifiedTipOffs,
        RectificationTimeliness,
        SelfCheckDiligence,
        PublicRating,
        CleanPatrols,
        Tenure,
        ProvisionalLittleEvidence,
    ]
);

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
    }
);

impl From<&scoring::Action> for PathAction {
    fn from(a: &scoring::Action) -> Self {
        match a {
            scoring::Action::VerifyFix { .. } => PathAction::VerifyFix,
            scoring::Action::SubmitSelfCheck => PathAction::SubmitSelfCheck,
            scoring::Action::CleanReinspection => PathAction::CleanReinspection,
        }
    }
}

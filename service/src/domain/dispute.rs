//! Disputes: what an owner contests and how a regulator decides.

use super::vocabulary::text_enum;

text_enum!(
    /// What a dispute is about.
    pub enum DisputeTarget("dispute target") {
        Hazard => "hazard",
        Review => "review",
    }
);

impl DisputeTarget {
    /// The table the target lives in.
    pub fn table(self) -> &'static str {
        match self {
            DisputeTarget::Hazard => "hazards",
            DisputeTarget::Review => "reviews",
        }
    }
}

text_enum!(
    /// Where a dispute stands.
    pub enum DisputeStatus("dispute status") {
        Open => "open",
        /// The target stops counting (it stays in history).
        Upheld => "upheld",
        Rejected => "rejected",
    }
);

text_enum!(
    /// A regulator's decision on a dispute.
    pub enum DisputeOutcome("outcome") {
        Upheld => "upheld",
        Rejected => "rejected",
    }
);

impl From<DisputeOutcome> for DisputeStatus {
    fn from(o: DisputeOutcome) -> Self {
        match o {
            DisputeOutcome::Upheld => DisputeStatus::Upheld,
            DisputeOutcome::Rejected => DisputeStatus::Rejected,
        }
    }
}

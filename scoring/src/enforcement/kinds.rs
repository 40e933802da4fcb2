//! The enumerated values of a case, as the strings storage and the API carry.

use serde::{Deserialize, Serialize};

/// Why a case was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseReason {
    /// A hazard is still unfixed after its referral rung and the shop is red.
    UnfixedPastReferral,
    /// The shop keeps turning red (see [`crate::EnforcementRule`]).
    RepeatedRed,
}

impl CaseReason {
    /// Every reason.
    pub const ALL: [CaseReason; 2] = [CaseReason::UnfixedPastReferral, CaseReason::RepeatedRed];

    /// The stable name (storage and API).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseReason::UnfixedPastReferral => "unfixed_past_referral",
            CaseReason::RepeatedRed => "repeated_red",
        }
    }

    /// The reason named `name`, or `None` for an unknown name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// Whether a case is still being worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Being worked.
    Open,
    /// Closed, by a regulator or by itself.
    Closed,
}

impl CaseStatus {
    /// Every status.
    pub const ALL: [CaseStatus; 2] = [CaseStatus::Open, CaseStatus::Closed];

    /// The stable name (storage and API).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Closed => "closed",
        }
    }

    /// The status named `name`, or `None` for an unknown name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// Something a regulator recorded on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseActionKind {
    /// The owner is summoned; pending until a [`CaseActionKind::SummonsHeld`].
    Summons,
    /// The summons interview took place.
    SummonsHeld,
    /// A fine was imposed.
    Fine,
    /// Trading was suspended.
    Suspension,
    /// A regulator closed the case.
    Close,
}

impl CaseActionKind {
    /// Every kind of action.
    pub const ALL: [CaseActionKind; 5] = [
        CaseActionKind::Summons,
        CaseActionKind::SummonsHeld,
        CaseActionKind::Fine,
        CaseActionKind::Suspension,
        CaseActionKind::Close,
    ];

    /// The stable name (storage and API).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseActionKind::Summons => "summons",
            CaseActionKind::SummonsHeld => "summons_held",
            CaseActionKind::Fine => "fine",
            CaseActionKind::Suspension => "suspension",
            CaseActionKind::Close => "close",
        }
    }

    /// The kind named `name`, or `None` for an unknown name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_stable_names;

    #[test]
    fn every_case_value_keeps_its_stable_name() {
        assert_stable_names(&CaseReason::ALL, CaseReason::as_str, CaseReason::parse);
        assert_stable_names(&CaseStatus::ALL, CaseStatus::as_str, CaseStatus::parse);
        assert_stable_names(
            &CaseActionKind::ALL,
            CaseActionKind::as_str,
            CaseActionKind::parse,
        );
    }
}

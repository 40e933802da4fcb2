//! The vocabulary of escalation and enforcement: ladder rungs, cases, regulators' actions, owner
//! notices and the event feed.

use shopcredit_scoring as scoring;

use super::vocabulary::{mirror_enum, text_enum};

text_enum!(
    /// A rung of an overdue hazard's escalation ladder, lowest first.
    pub enum EscalationStep("escalation step") {
        /// A reminder to the owner when the deadline passes.
        Reminder => "reminder",
        /// A formal warning.
        Warning => "warning",
        /// A summons by the regulator.
        Summons => "summons",
        /// Referral for enforcement.
        Referral => "referral",
    }
);

mirror_enum!(
    EscalationStep,
    scoring::EscalationStep,
    [Reminder, Warning, Summons, Referral]
);

text_enum!(
    /// Whether a case is still in the regulators' queue.
    pub enum CaseStatus("case status") {
        Open => "open",
        Closed => "closed",
    }
);

text_enum!(
    /// Why a case was opened.
    pub enum CaseReason("case reason") {
        /// A hazard is unfixed past its referral rung while the shop is red.
        UnfixedPastReferral => "unfixed_past_referral",
        /// The shop turned red again and again within the policy's window.
        RepeatedRed => "repeated_red",
    }
);

text_enum!(
    /// An action a regulator records on a case.
    pub enum CaseActionKind("action kind") {
        /// A summons; pending until it is held.
        Summons => "summons",
        /// The summons took place.
        SummonsHeld => "summons_held",
        Fine => "fine",
        Suspension => "suspension",
        /// Closes the case with an outcome.
        Close => "close",
    }
);

text_enum!(
    /// What a notice to the owner is about.
    pub enum NoticeKind("notice kind") {
        Reminder => "reminder",
        Warning => "warning",
        Summons => "summons",
        Referral => "referral",
        ColourChanged => "colour_changed",
        CaseOpened => "case_opened",
        CaseClosed => "case_closed",
        /// A hazard was opened, with its deadline.
        HazardOpened => "hazard_opened",
        /// An inspector rejected a claimed fix, with the reason.
        FixRejected => "fix_rejected",
        /// A dispute was upheld or rejected, with the note.
        DisputeResolved => "dispute_resolved",
        /// A regulator summoned the owner, with a time and a place.
        SummonsScheduled => "summons_scheduled",
        /// A tracked item (extinguisher, licence, ...) expires soon.
        ExpiryComing => "expiry_coming",
    }
);

impl From<EscalationStep> for NoticeKind {
    fn from(step: EscalationStep) -> Self {
        match step {
            EscalationStep::Reminder => NoticeKind::Reminder,
            EscalationStep::Warning => NoticeKind::Warning,
            EscalationStep::Summons => NoticeKind::Summons,
            EscalationStep::Referral => NoticeKind::Referral,
        }
    }
}

text_enum!(
    /// What an entry of the event feed reports.
    pub enum FeedKind("feed event type") {
        ColourChanged => "colour_changed",
        CaseOpened => "case_opened",
        CaseClosed => "case_closed",
    }
);

mirror_enum!(CaseStatus, scoring::CaseStatus, [Open, Closed]);
mirror_enum!(
    CaseReason,
    scoring::CaseReason,
    [UnfixedPastReferral, RepeatedRed]
);
mirror_enum!(
    CaseActionKind,
    scoring::CaseActionKind,
    [Summons, SummonsHeld, Fine, Suspension, Close]
);

/// For each action, whether it is a summons still pending: the scoring rule applied to that summons
/// and the holdings recorded after it.
pub fn summons_pending_flags(kinds: &[CaseActionKind]) -> Vec<bool> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, &kind)| {
            let held_later = kinds[i + 1..]
                .iter()
                .copied()
                .filter(|&k| k == CaseActionKind::SummonsHeld);
            let relevant: Vec<scoring::CaseActionKind> = std::iter::once(kind)
                .chain(held_later)
                .map(Into::into)
                .collect();
            kind == CaseActionKind::Summons && scoring::summons_pending(&relevant)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseActionKind::*;

    #[test]
    fn a_summons_is_pending_until_a_holding_is_recorded_after_it() {
        assert_eq!(
            summons_pending_flags(&[Summons, Fine, SummonsHeld, Summons]),
            vec![false, false, false, true]
        );
        assert_eq!(summons_pending_flags(&[Summons]), vec![true]);
        assert!(summons_pending_flags(&[]).is_empty());
    }
}

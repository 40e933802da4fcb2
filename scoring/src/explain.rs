//! Reasons: the characteristics that cost the most points, each with the evidence behind it in
//! English and Chinese.

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};

use crate::characteristics::Characteristics;
use crate::evidence::Severity;
use crate::policy::ValidPolicy;
use crate::scorecard::{with_characteristics, CharacteristicId};
use crate::text::severity_zh;

/// At most this many reasons are given: more would not be read.
pub const MAX_REASONS: usize = 4;

macro_rules! declare_reason_code {
    ($($(#[$doc:meta])* $name:ident = $text:literal,)*) => {
        /// Stable reason code: one per characteristic, plus the provisional notice.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ReasonCode {
            $(
                #[doc = concat!("See [`CharacteristicId::", stringify!($name), "`].")]
                #[serde(rename = $text)]
                $name,
            )*
            /// A new shop with little evidence: the score starts neutral and the code is provisional.
            #[serde(rename = "provisional_little_evidence")]
            ProvisionalLittleEvidence,
        }

        impl From<CharacteristicId> for ReasonCode {
            fn from(id: CharacteristicId) -> Self {
                match id {
                    $(CharacteristicId::$name => Self::$name,)*
                }
            }
        }
    };
}
with_characteristics!(declare_reason_code);

/// Points one characteristic earned against the most it could have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CharacteristicPoints {
    /// Which characteristic.
    pub id: CharacteristicId,
    /// The binned value; `None` is the no-history bin.
    pub value: Option<f64>,
    /// Points earned.
    pub points: i32,
    /// Best points possible for this characteristic.
    pub best_points: i32,
}

impl CharacteristicPoints {
    /// Points below the best bin (never negative).
    pub fn points_lost(&self) -> u32 {
        u32::try_from(self.best_points.saturating_sub(self.points)).unwrap_or(0)
    }
}

/// One reason the score is not higher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable code.
    pub code: ReasonCode,
    /// Points below the characteristic's best bin.
    pub points_lost: u32,
    /// The evidence, in English.
    pub en: String,
    /// The evidence, in Chinese.
    pub zh: String,
    /// Hazards involved, if any.
    pub hazard_ids: Vec<i64>,
}

/// The top reasons: most points lost first, ties in [`CharacteristicId`] order. A provisional shop
/// is also told so, in the last place kept for it: it explains why the evidence is thin.
pub(crate) fn reasons(
    points: &[CharacteristicPoints],
    c: &Characteristics,
    policy: &ValidPolicy,
    provisional: bool,
) -> Vec<Reason> {
    let mut out = Vec::with_capacity(MAX_REASONS);
    let mut losing: Vec<&CharacteristicPoints> =
        points.iter().filter(|p| p.points_lost() > 0).collect();
    // `points` is in CharacteristicId order and the sort is stable, so ties keep that fixed order.
    losing.sort_by_key(|p| Reverse(p.points_lost()));
    let room = MAX_REASONS - usize::from(provisional);
    for p in losing.into_iter().take(room) {
        let (en, zh, hazard_ids) = evidence_text(p.id, c, policy);
        out.push(Reason {
            code: p.id.into(),
            points_lost: p.points_lost(),
            en,
            zh,
            hazard_ids,
        });
    }
    if provisional {
        out.push(Reason {
            code: ReasonCode::ProvisionalLittleEvidence,
            points_lost: 0,
            en: format!(
                "New shop ({} days, {} pieces of evidence): the score starts neutral and is provisional",
                c.tenure_days, c.evidence_count
            ),
            zh: format!(
                "新店（注册 {} 天，证据 {} 条）：评分从中性起步，为暂定结果",
                c.tenure_days, c.evidence_count
            ),
            hazard_ids: Vec::new(),
        });
    }
    out
}

/// English and Chinese names of a severity (the Chinese one as [`severity_zh`] words it).
pub(crate) fn severity_names(s: Severity) -> (&'static str, &'static str) {
    let en = match s {
        Severity::Critical => "critical",
        Severity::Major => "major",
        Severity::Minor => "minor",
    };
    (en, severity_zh(s))
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn evidence_text(
    id: CharacteristicId,
    c: &Characteristics,
    policy: &ValidPolicy,
) -> (String, String, Vec<i64>) {
    use CharacteristicId as C;
    let lookback = policy.lookback_days;
    match id {
        C::OverdueCriticalHazards | C::OverdueMajorHazards | C::OverdueMinorHazards => {
            let severity = match id {
                C::OverdueCriticalHazards => Severity::Critical,
                C::OverdueMajorHazards => Severity::Major,
                _ => Severity::Minor,
            };
            let o = c.overdue(severity);
            let (en_sev, zh_sev) = severity_names(severity);
            (
                format!(
                    // Started days: three seconds late is "day 1", never "1 day late".
                    "{} overdue; the oldest is in day {} past its deadline",
                    plural(
                        o.count,
                        &format!("{en_sev} hazard"),
                        &format!("{en_sev} hazards")
                    ),
                    o.oldest_days
                ),
                format!(
                    "{} 项{zh_sev}隐患逾期，最久的已逾期至第 {} 天",
                    o.count, o.oldest_days
                ),
                o.hazard_ids.clone(),
            )
        }
        C::DaysOverdue => {
            let ids = [&c.overdue_critical, &c.overdue_major, &c.overdue_minor]
                .into_iter()
                .flat_map(|o| o.hazard_ids.iter().copied())
                .collect();
            (
                format!(
                    "A hazard is in day {} past its deadline",
                    c.max_days_overdue
                ),
                format!("有隐患已逾期至第 {} 天", c.max_days_overdue),
                ids,
            )
        }
        C::OpenHazards => {
            let [cr, ma, mi] = c.open_counts;
            let n = cr + ma + mi;
            (
                format!(
                    "{} open, not yet due ({cr} critical, {ma} major, {mi} minor)",
                    plural(n, "hazard", "hazards")
                ),
                format!(
                    "{n} 项隐患待整改（未到期）：{} {cr} 项，{} {ma} 项，{} {mi} 项",
                    severity_zh(Severity::Critical),
                    severity_zh(Severity::Major),
                    severity_zh(Severity::Minor)
                ),
                c.open_hazard_ids.clone(),
            )
        }
        C::PastViolations => {
            let days = c.days_since_last_violation.unwrap_or(0);
            (
                format!(
                    "{} on record (weight {:.1} after decay), latest {days} days ago",
                    plural(c.past_violation_count, "violation", "violations"),
                    c.past_violation_load
                ),
                format!(
                    "历史违规 {} 项（衰减后权重 {:.1}），最近一次在 {days} 天前",
                    c.past_violation_count, c.past_violation_load
                ),
                Vec::new(),
            )
        }
        C::SelfCheckHonesty => {
            let n = c.honesty_contradictions.unwrap_or(0);
            let window = policy.honesty_window_days;
            if c.honesty_contradictions.is_none() {
                (
                    format!("No self-check in the last {lookback} days to confirm"),
                    format!("近 {lookback} 天没有可核对的自查"),
                    Vec::new(),
                )
            } else {
                (
                    format!(
                        "{} ticked as passing in a self-check failed a patrol within {window} days",
                        plural(n, "item", "items")
                    ),
                    format!("{n} 项自查合格的项目在 {window} 天内被巡查发现不合格"),
                    c.contradicting_hazard_ids.clone(),
                )
            }
        }
        C::VerifiedTipOffs => (
            format!(
                "{} in the last {lookback} days",
                plural(c.tip_offs, "verified tip-off", "verified tip-offs")
            ),
            format!("近 {lookback} 天经核实的举报 {} 起", c.tip_offs),
            c.tip_off_hazard_ids.clone(),
        ),
        C::RectificationTimeliness => match c.timeliness {
            Some(share) => {
                let late = u32::try_from(c.late_hazard_ids.len()).unwrap_or(u32::MAX);
                let pct = (share * 100.0).round();
                (
                    format!(
                        "{late} of {} due hazards not fixed by the deadline ({pct}% on time)",
                        c.due_or_closed
                    ),
                    format!(
                        "{} 项到期隐患中 {late} 项未按期整改（按期率 {pct}%）",
                        c.due_or_closed
                    ),
                    c.late_hazard_ids.clone(),
                )
            }
            None => (
                "No hazard has come due yet: fixing on time earns points".to_owned(),
                "尚无到期隐患：按期整改可加分".to_owned(),
                Vec::new(),
            ),
        },
        C::SelfCheckDiligence => {
            let cadence = policy.self_check_cadence_days;
            match c.days_since_self_check {
                Some(days) => (
                    format!("Last self-check {days} days ago; one is expected every {cadence} days"),
                    format!("上次自查在 {days} 天前，应每 {cadence} 天自查一次"),
                    Vec::new(),
                ),
                None => (
                    format!(
                        "No self-check since registration {} days ago; one is expected every {cadence} days",
                        c.tenure_days
                    ),
                    format!("注册 {} 天以来未自查，应每 {cadence} 天自查一次", c.tenure_days),
                    Vec::new(),
                ),
            }
        }
        C::PublicRating => match c.shrunk_rating {
            Some(r) => (
                format!(
                    "Public rating {r:.1} ({}, shrunk towards the policy's prior of {:.1} stars)",
                    plural(c.counted_reviews, "review", "reviews"),
                    c.prior_rating
                ),
                format!(
                    "公众评分 {r:.1}（{} 条评价，已向政策设定的基准 {:.1} 星收缩）",
                    c.counted_reviews, c.prior_rating
                ),
                Vec::new(),
            ),
            None => (
                "No counted public reviews yet (neutral)".to_owned(),
                "暂无计入的公众评价（按中性计）".to_owned(),
                Vec::new(),
            ),
        },
        C::CleanPatrols => (
            format!(
                "{} in the last {lookback} days",
                plural(c.clean_patrols, "clean patrol", "clean patrols")
            ),
            format!("近 {lookback} 天无问题巡查 {} 次", c.clean_patrols),
            Vec::new(),
        ),
        C::Tenure => (
            format!("Registered {} days ago", c.tenure_days),
            format!("注册 {} 天", c.tenure_days),
            Vec::new(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_characteristics_reason_code_keeps_its_stable_name() {
        for id in CharacteristicId::ALL {
            let name = format!("\"{}\"", id.as_str());
            let code = ReasonCode::from(id);
            assert_eq!(serde_json::to_string(&id).ok(), Some(name.clone()));
            assert_eq!(serde_json::to_string(&code).ok(), Some(name.clone()));
            assert_eq!(serde_json::from_str::<ReasonCode>(&name).ok(), Some(code));
        }
        assert_eq!(
            serde_json::to_string(&ReasonCode::ProvisionalLittleEvidence).ok(),
            Some("\"provisional_little_evidence\"".to_owned())
        );
        assert_eq!(
            serde_json::to_string(&ReasonCode::VerifiedTipOffs).ok(),
            Some("\"verified_tip_offs\"".to_owned())
        );
    }
}

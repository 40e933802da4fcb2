//! The owner's warnings: hazards overdue or due soon, tracked items expired or expiring.
//!
//! "Overdue" is [`is_overdue`], the crate's one definition, so the warnings, the score and the
//! colour never disagree about a hazard.

use serde::{Deserialize, Serialize};

use crate::calendar::Day;
use crate::evidence::{is_overdue, Hazard, HazardState};
use crate::policy::ValidPolicy;
use crate::text::{days_in_words, duration_words, inline_zh, Text};
use crate::time::Timestamp;

/// What an alert warns of. Ordered most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A hazard is past its deadline (see [`is_overdue`]).
    Overdue,
    /// A tracked item has expired.
    Expired,
    /// An open hazard's deadline falls within the policy's lead.
    DeadlineSoon,
    /// A tracked item expires within the policy's lead.
    Expiring,
}

impl AlertKind {
    /// Every kind, most urgent first.
    pub const ALL: [AlertKind; 4] = [
        AlertKind::Overdue,
        AlertKind::Expired,
        AlertKind::DeadlineSoon,
        AlertKind::Expiring,
    ];

    /// The stable name (API).
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Overdue => "overdue",
            AlertKind::Expired => "expired",
            AlertKind::DeadlineSoon => "deadline_soon",
            AlertKind::Expiring => "expiring",
        }
    }

    /// The kind named `name`, or `None` for an unknown name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// When the thing warned of falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertDue {
    /// A hazard's deadline, an instant.
    At(Timestamp),
    /// An item's expiry, a calendar day in the district.
    On(Day),
}

/// A hazard and how the owner knows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertHazard<'a> {
    /// The hazard.
    pub hazard: &'a Hazard,
    /// Its description in each language, quoted in the alert.
    pub description: &'a Text,
}

/// A checklist item whose expiry date the shop tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedItem<'a> {
    /// The checklist item's id.
    pub item_id: &'a str,
    /// The item's title in both languages.
    pub title: Text,
    /// The last day it is valid.
    pub expires_on: Day,
}

/// One warning for the owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// What it warns of.
    pub kind: AlertKind,
    /// The hazard, for hazard alerts.
    pub hazard_id: Option<i64>,
    /// The checklist item, for expiry alerts.
    pub item_id: Option<String>,
    /// When it falls due.
    pub due: AlertDue,
    /// The warning.
    pub text: Text,
}

/// Every warning for the owner at `now` (`today` is the district's calendar day at `now`), most
/// urgent first: overdue hazards, expired items, deadlines within the policy's lead, items
/// expiring within it; within a kind by due date, then id.
///
/// A hazard whose fix is claimed but not yet verified still warns while it is overdue (the claim
/// came too late), but not of a deadline to come: the owner has done their part.
pub fn alerts(
    hazards: &[AlertHazard<'_>],
    items: &[TrackedItem<'_>],
    now: Timestamp,
    today: Day,
    policy: &ValidPolicy,
) -> Vec<Alert> {
    let mut out: Vec<Alert> = hazards
        .iter()
        .filter_map(|h| hazard_alert(h, now, policy.alerts.deadline_lead_hours))
        .chain(
            items
                .iter()
                .filter_map(|item| item_alert(item, today, policy.alerts.expiry_lead_days)),
        )
        .collect();
    out.sort_by(|a, b| {
        (a.kind, a.due, a.hazard_id, &a.item_id).cmp(&(b.kind, b.due, b.hazard_id, &b.item_id))
    });
    out
}

fn hazard_alert(h: &AlertHazard<'_>, now: Timestamp, lead_hours: u32) -> Option<Alert> {
    let hazard = h.hazard;
    let kind = if is_overdue(hazard, now) {
        AlertKind::Overdue
    } else if hazard.state_at(now) == Some(HazardState::Open)
        && hazard.deadline <= now.plus_hours(i64::from(lead_hours))
    {
        AlertKind::DeadlineSoon
    } else {
        return None;
    };
    Some(Alert {
        kind,
        hazard_id: Some(hazard.id),
        item_id: None,
        due: AlertDue::At(hazard.deadline),
        text: hazard_text(kind, lead_hours, h.description),
    })
}

fn item_alert(item: &TrackedItem<'_>, today: Day, lead_days: u32) -> Option<Alert> {
    let days = today.days_until(item.expires_on);
    let kind = match days {
        d if d < 0 => AlertKind::Expired,
        d if d <= i64::from(lead_days) => AlertKind::Expiring,
        _ => return None,
    };
    Some(Alert {
        kind,
        hazard_id: None,
        item_id: Some(item.item_id.to_owned()),
        due: AlertDue::On(item.expires_on),
        text: expiry_text(days, &item.title, item.expires_on),
    })
}

fn hazard_text(kind: AlertKind, lead_hours: u32, description: &Text) -> Text {
    if kind == AlertKind::Overdue {
        return Text {
            zh: format!("隐患已逾期未整改：{}", description.zh),
            en: format!("Hazard overdue: {}", description.en),
        };
    }
    let within = duration_words(lead_hours);
    Text {
        zh: format!(
            "隐患整改期限将在{}内到期：{}",
            inline_zh(&within.zh),
            description.zh
        ),
        en: format!("Hazard due within {}: {}", within.en, description.en),
    }
}

fn expiry_text(days: i64, title: &Text, expires_on: Day) -> Text {
    if days < 0 {
        return Text {
            zh: format!("已于 {expires_on} 过期：{}", title.zh),
            en: format!("{} expired on {expires_on}", title.en),
        };
    }
    let when = days_in_words(days);
    Text {
        zh: format!(
            "{}将于{}（{expires_on}）到期",
            title.zh,
            inline_zh(&when.zh)
        ),
        en: format!("{} expires {} ({expires_on})", title.en, when.en),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{HazardSource, HazardStatus, Severity};
    use crate::policy::Policy;
    use crate::test_support::{assert_stable_names, has_han, has_latin};

    /// 2026-11-24T04:00Z, noon in China; the district's day is 2026-11-24.
    const NOW: Timestamp = Timestamp(1_795_492_800_000);

    fn today() -> Day {
        Day::containing(NOW, 480)
    }

    fn policy() -> ValidPolicy {
        Policy::default_policy().unwrap_or_else(|e| panic!("{e}"))
    }

    fn hazard(id: i64, deadline: Timestamp) -> Hazard {
        Hazard {
            id,
            source: HazardSource::Patrol,
            severity: Severity::Major,
            hazard_type: "fire".into(),
            item_id: None,
            observed_at: deadline.plus_days(-3),
            deadline,
            status: HazardStatus::Open,
            closed_at: None,
            rectified_at: None,
            excluded: false,
        }
    }

    fn claimed(mut h: Hazard, at: Timestamp) -> Hazard {
        h.status = HazardStatus::AwaitingVerification;
        h.rectified_at = Some(at);
        h
    }

    fn item(id: &'static str, expires_on: Day) -> TrackedItem<'static> {
        TrackedItem {
            item_id: id,
            title: Text::new("灭火器", "Fire extinguisher"),
            expires_on,
        }
    }

    fn described<'a>(hazards: &'a [Hazard], description: &'a Text) -> Vec<AlertHazard<'a>> {
        hazards
            .iter()
            .map(|hazard| AlertHazard {
                hazard,
                description,
            })
            .collect()
    }

    fn hazard_alerts(hazards: &[Hazard], policy: &ValidPolicy) -> Vec<Alert> {
        alerts(
            &described(hazards, &Text::as_written("exit blocked")),
            &[],
            NOW,
            today(),
            policy,
        )
    }

    fn kind_of(alerts: &[Alert], id: i64) -> Option<AlertKind> {
        alerts
            .iter()
            .find(|a| a.hazard_id == Some(id))
            .map(|a| a.kind)
    }

    #[test]
    fn overdue_alerts_are_exactly_the_hazards_is_overdue_calls_overdue() {
        let past = NOW.plus_hours(-48);
        let ahead = NOW.plus_hours(12);
        let mut closed = hazard(5, past);
        closed.status = HazardStatus::Closed;
        closed.closed_at = Some(NOW.plus_hours(-1));
        let mut excluded = hazard(6, past);
        excluded.excluded = true;
        let mut rejected_claim = hazard(7, past);
        rejected_claim.rectified_at = Some(past.plus_hours(-1));
        let cases = [
            ("open before its deadline", hazard(1, ahead), false),
            ("open after its deadline", hazard(2, past), true),
            (
                "claimed before its deadline",
                claimed(hazard(3, past), past.plus_hours(-1)),
                false,
            ),
            (
                "claimed after its deadline",
                claimed(hazard(4, past), past.plus_hours(1)),
                true,
            ),
            ("closed", closed, false),
            ("excluded", excluded, false),
            ("claim rejected", rejected_claim, true),
        ];
        let hazards: Vec<Hazard> = cases.iter().map(|(_, h, _)| h.clone()).collect();
        let out = hazard_alerts(&hazards, &policy());
        for (name, h, overdue) in &cases {
            assert_eq!(is_overdue(h, NOW), *overdue, "{name}: is_overdue");
            let alerted = kind_of(&out, h.id) == Some(AlertKind::Overdue);
            assert_eq!(alerted, *overdue, "{name}: alert");
        }
    }

    #[test]
    fn an_open_hazard_warns_within_the_lead_and_not_before() {
        let lead = NOW.plus_hours(24);
        let hazards = [
            hazard(1, lead),
            hazard(2, lead.plus_hours(1)),
            hazard(3, NOW),
            claimed(hazard(4, NOW.plus_hours(2)), NOW.plus_hours(-1)),
        ];
        let out = hazard_alerts(&hazards, &policy());
        assert_eq!(kind_of(&out, 1), Some(AlertKind::DeadlineSoon));
        assert_eq!(kind_of(&out, 2), None);
        assert_eq!(
            kind_of(&out, 3),
            Some(AlertKind::DeadlineSoon),
            "due this instant"
        );
        assert_eq!(kind_of(&out, 4), None, "the owner has claimed the fix");
    }

    #[test]
    fn the_deadline_lead_and_its_words_come_from_the_policy() {
        let mut plain = policy().into_inner();
        plain.alerts.deadline_lead_hours = 48;
        let policy = plain.validate().unwrap_or_else(|e| panic!("{e}"));
        let out = hazard_alerts(&[hazard(1, NOW.plus_hours(40))], &policy);
        assert_eq!(out[0].kind, AlertKind::DeadlineSoon);
        assert_eq!(out[0].text.zh, "隐患整改期限将在 2 天内到期：exit blocked");
        assert_eq!(out[0].text.en, "Hazard due within 2 days: exit blocked");
    }

    #[test]
    fn items_warn_from_the_lead_until_they_expire_and_after() {
        let t = today();
        let items = [
            item("a", t.plus_days(-1)),
            item("b", t),
            item("c", t.plus_days(1)),
            item("d", t.plus_days(30)),
            item("e", t.plus_days(31)),
        ];
        let out = alerts(&[], &items, NOW, t, &policy());
        let kinds: Vec<(&str, AlertKind)> = out
            .iter()
            .map(|a| (a.item_id.as_deref().unwrap_or(""), a.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("a", AlertKind::Expired),
                ("b", AlertKind::Expiring),
                ("c", AlertKind::Expiring),
                ("d", AlertKind::Expiring),
            ]
        );
    }

    #[test]
    fn expiry_is_worded_in_calendar_words_with_the_date() {
        let t = today();
        let items = [
            item("x", t.plus_days(1)),
            item("y", t.plus_days(-2)),
            item("z", t.plus_days(3)),
        ];
        let out = alerts(&[], &items, NOW, t, &policy());
        let text = |id: &str| {
            out.iter()
                .find(|a| a.item_id.as_deref() == Some(id))
                .map(|a| a.text.clone())
        };
        assert_eq!(
            text("x"),
            Some(Text::new(
                "灭火器将于明天（2026-11-25）到期",
                "Fire extinguisher expires tomorrow (2026-11-25)"
            ))
        );
        assert_eq!(
            text("y"),
            Some(Text::new(
                "已于 2026-11-22 过期：灭火器",
                "Fire extinguisher expired on 2026-11-22"
            ))
        );
        assert_eq!(
            text("z").map(|t| t.zh),
            Some("灭火器将于 3 天后（2026-11-27）到期".to_owned())
        );
    }

    #[test]
    fn alerts_come_most_urgent_first_then_by_due_then_id() {
        let t = today();
        let hazards = [
            hazard(9, NOW.plus_hours(-1)),
            hazard(8, NOW.plus_hours(5)),
            hazard(7, NOW.plus_hours(-1)),
            hazard(2, NOW.plus_hours(-30)),
        ];
        let inputs_text = Text::as_written("d");
        let inputs = described(&hazards, &inputs_text);
        let items = [
            item("late", t.plus_days(9)),
            item("gone", t.plus_days(-3)),
            item("early", t.plus_days(2)),
        ];
        let out = alerts(&inputs, &items, NOW, t, &policy());
        let order: Vec<String> = out
            .iter()
            .map(|a| match (&a.item_id, a.hazard_id) {
                (Some(item), _) => format!("{}:{item}", a.kind.as_str()),
                (None, id) => format!("{}:{}", a.kind.as_str(), id.unwrap_or(0)),
            })
            .collect();
        assert_eq!(
            order,
            [
                "overdue:2",
                "overdue:7",
                "overdue:9",
                "expired:gone",
                "deadline_soon:8",
                "expiring:early",
                "expiring:late"
            ]
        );
    }

    #[test]
    fn each_alert_is_in_one_language_around_the_quoted_text() {
        let t = today();
        let hazards = [hazard(1, NOW.plus_hours(-1)), hazard(2, NOW.plus_hours(1))];
        let items = [item("a", t.plus_days(-1)), item("b", t.plus_days(5))];
        let policy = policy();
        let zh_hazards_text = Text::as_written("通道堵塞");
        let zh_hazards = described(&hazards, &zh_hazards_text);
        let zh_items: Vec<TrackedItem<'_>> = items
            .iter()
            .map(|i| TrackedItem {
                title: Text::new("灭火器", "灭火器"),
                ..i.clone()
            })
            .collect();
        for a in alerts(&zh_hazards, &zh_items, NOW, t, &policy) {
            assert!(!has_latin(&a.text.zh), "{}", a.text.zh);
        }
        let en_hazards_text = Text::as_written("exit blocked");
        let en_hazards = described(&hazards, &en_hazards_text);
        for a in alerts(&en_hazards, &items, NOW, t, &policy) {
            assert!(!has_han(&a.text.en), "{}", a.text.en);
        }
    }

    #[test]
    fn alert_kinds_keep_their_stable_names_in_urgency_order() {
        assert_stable_names(&AlertKind::ALL, AlertKind::as_str, AlertKind::parse);
        let mut sorted = AlertKind::ALL;
        sorted.sort();
        assert_eq!(sorted, AlertKind::ALL);
    }
}

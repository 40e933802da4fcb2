//! What a tracked expiry date (extinguisher, licence, health certificate) calls for: a notice to
//! the owner within the policy's lead before it, and a hazard once it has passed. Pure: the sweep
//! applies the answer, once per item and expiry date.

use crate::alerts::TrackedItem;
use crate::calendar::Day;
use crate::policy::ValidPolicy;
use crate::text::{days_in_words, inline_zh, Text};

/// What an expiry date calls for today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpiryAction {
    /// Tell the owner it expires soon.
    Notify(Text),
    /// It has expired: open a hazard with this description.
    OpenHazard(Text),
}

/// What `item` calls for on `today`: nothing while its expiry is further off than the policy's
/// lead; a notice from the lead until its last valid day (inclusive); a hazard from the day after.
pub fn expiry_action(
    item: &TrackedItem<'_>,
    today: Day,
    policy: &ValidPolicy,
) -> Option<ExpiryAction> {
    let days = today.days_until(item.expires_on);
    if days < 0 {
        return Some(ExpiryAction::OpenHazard(Text::new(
            format!("{}（已于 {} 过期）", item.title.zh, item.expires_on),
            format!("{} (expired on {})", item.title.en, item.expires_on),
        )));
    }
    if days > i64::from(policy.alerts.expiry_lead_days) {
        return None;
    }
    let when = days_in_words(days);
    Some(ExpiryAction::Notify(Text::new(
        format!(
            "{}将于{}（{}）到期，请及时更换或续期",
            item.title.zh,
            inline_zh(&when.zh),
            item.expires_on
        ),
        format!(
            "{} expires {} ({}): replace or renew it in time",
            item.title.en, when.en, item.expires_on
        ),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use crate::test_support::{has_han, has_latin};

    fn item(expires_on: Day) -> TrackedItem<'static> {
        TrackedItem {
            item_id: "fire.extinguisher_in_date",
            title: Text::new("灭火器", "Fire extinguisher"),
            expires_on,
        }
    }

    #[test]
    fn an_expiry_is_announced_within_the_lead_and_becomes_a_hazard_once_past() {
        let policy = Policy::default_policy().unwrap();
        let lead = i64::from(policy.alerts.expiry_lead_days);
        let today = Day::from_ymd(2026, 11, 24).unwrap();
        assert_eq!(
            expiry_action(&item(today.plus_days(lead + 1)), today, &policy),
            None
        );
        let Some(ExpiryAction::Notify(soon)) =
            expiry_action(&item(today.plus_days(lead)), today, &policy)
        else {
            panic!("a notice at the lead");
        };
        assert!(soon.en.contains(&format!("in {lead} days")), "{}", soon.en);
        let Some(ExpiryAction::Notify(last)) = expiry_action(&item(today), today, &policy) else {
            panic!("a notice on the last valid day");
        };
        assert_eq!(
            last.zh,
            "灭火器将于今天（2026-11-24）到期，请及时更换或续期"
        );
        assert!(!has_latin(&last.zh), "{}", last.zh);
        assert!(!has_han(&last.en), "{}", last.en);
        assert_eq!(
            expiry_action(&item(today.plus_days(-1)), today, &policy),
            Some(ExpiryAction::OpenHazard(Text::new(
                "灭火器（已于 2026-11-23 过期）",
                "Fire extinguisher (expired on 2026-11-23)"
            )))
        );
    }

    #[test]
    fn tomorrow_is_said_as_a_calendar_reader_says_it() {
        let policy = Policy::default_policy().unwrap();
        let today = Day::from_ymd(2026, 11, 24).unwrap();
        let Some(ExpiryAction::Notify(text)) =
            expiry_action(&item(today.plus_days(1)), today, &policy)
        else {
            panic!("a notice");
        };
        assert!(
            text.zh.contains("明天") && text.en.contains("tomorrow"),
            "{text:?}"
        );
    }
}

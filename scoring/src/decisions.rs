//! What the owner is told about each decision taken about them: a hazard opened (with its
//! deadline), a fix rejected (with the reason), a dispute resolved (with the outcome), a summons
//! (with its time and place). Worded from the policy and the calendar, one language per wording;
//! the text the owner or an official typed is quoted as it is.

use crate::calendar::Day;
use crate::evidence::Severity;
use crate::text::{days_in_words, severity_words, Text};
use crate::time::Timestamp;

/// An instant as the district's clock shows it: `2026-11-25 09:30`.
pub fn local_time_words(instant: Timestamp, utc_offset_minutes: i32) -> String {
    let day = Day::containing(instant, utc_offset_minutes);
    let local_minutes = instant
        .millis()
        .saturating_add(i64::from(utc_offset_minutes) * 60_000)
        .div_euclid(60_000)
        .rem_euclid(24 * 60);
    format!("{day} {:02}:{:02}", local_minutes / 60, local_minutes % 60)
}

/// The notice the owner gets when a hazard is opened at `now`, whatever its source: what was
/// found, how serious, and the deadline in calendar words. A back-dated finding may already be
/// past its deadline: then the notice says so instead of counting days.
pub fn hazard_opened_notice(
    severity: Severity,
    description: &Text,
    deadline: Timestamp,
    now: Timestamp,
    utc_offset_minutes: i32,
) -> Text {
    let what = severity_words(severity);
    let when = local_time_words(deadline, utc_offset_minutes);
    if deadline <= now {
        return Text::new(
            format!(
                "发现{}（{}），整改期限 {when} 已过，请立即整改",
                what.zh, description.zh
            ),
            format!(
                "A {} was found ({}); its deadline, {when}, has passed: fix it now",
                what.en, description.en
            ),
        );
    }
    let days = Day::containing(now, utc_offset_minutes)
        .days_until(Day::containing(deadline, utc_offset_minutes));
    let relative = days_in_words(days);
    Text::new(
        format!(
            "发现{}（{}），请于 {when}（{}）前整改",
            what.zh, description.zh, relative.zh
        ),
        format!(
            "A {} was found ({}): fix it by {when} ({})",
            what.en, description.en, relative.en
        ),
    )
}

/// The notice the owner gets when an inspector rejects a claimed fix, with the inspector's reason.
pub fn fix_rejected_notice(description: &Text, reason: &str) -> Text {
    Text::new(
        format!(
            "整改未通过核查（{}）：{reason}。请重新整改后再提交",
            description.zh
        ),
        format!(
            "Your fix was not accepted ({}): {reason}. Fix it and submit it again",
            description.en
        ),
    )
}

/// The notice the owner gets when a dispute is resolved: upheld (the finding or review no longer
/// counts) or rejected, with the regulator's note.
pub fn dispute_resolved_notice(upheld: bool, note: &str) -> Text {
    if upheld {
        Text::new(
            format!("您的申诉已成立，相关记录不再计分：{note}"),
            format!("Your dispute was upheld; the record no longer counts: {note}"),
        )
    } else {
        Text::new(
            format!("您的申诉未被采纳：{note}"),
            format!("Your dispute was rejected: {note}"),
        )
    }
}

/// The notice the owner gets when a regulator summons them: when, where, and the regulator's note.
pub fn summons_notice(at: Timestamp, place: &str, note: &str, utc_offset_minutes: i32) -> Text {
    let when = local_time_words(at, utc_offset_minutes);
    Text::new(
        format!("约谈通知：请于 {when} 到 {place} 接受约谈（{note}）"),
        format!("Summons: please attend an interview at {place} on {when} ({note})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{has_han, has_latin};

    /// 2026-11-24 02:00 UTC, 10:00 in China.
    const NOW: Timestamp = Timestamp(1_795_485_600_000);
    const CHINA: i32 = 480;

    #[test]
    fn instants_are_shown_on_the_districts_clock() {
        assert_eq!(local_time_words(NOW, CHINA), "2026-11-24 10:00");
        assert_eq!(local_time_words(NOW, 0), "2026-11-24 02:00");
        assert_eq!(
            local_time_words(NOW.plus_hours(-3), CHINA),
            "2026-11-24 07:00"
        );
    }

    #[test]
    fn an_opened_hazard_names_its_deadline_in_calendar_words() {
        let tomorrow = hazard_opened_notice(
            Severity::Critical,
            &Text::as_written("安全出口上锁"),
            NOW.plus_hours(24),
            NOW,
            CHINA,
        );
        assert_eq!(
            tomorrow.zh,
            "发现严重隐患（安全出口上锁），请于 2026-11-25 10:00（明天）前整改"
        );
        let later = hazard_opened_notice(
            Severity::Minor,
            &Text::as_written("exit sign dark"),
            NOW.plus_days(7),
            NOW,
            CHINA,
        );
        assert_eq!(
            later.en,
            "A minor hazard was found (exit sign dark): fix it by 2026-12-01 10:00 (in 7 days)"
        );
        let today = hazard_opened_notice(
            Severity::Major,
            &Text::as_written("x"),
            NOW.plus_hours(4),
            NOW,
            CHINA,
        );
        assert!(today.zh.contains("（今天）"), "{}", today.zh);
        assert!(today.zh.contains("较大隐患"), "{}", today.zh);
    }

    #[test]
    fn a_back_dated_hazard_past_its_deadline_is_called_overdue_not_counted_in_days() {
        let late = hazard_opened_notice(
            Severity::Critical,
            &Text::as_written("exit locked"),
            NOW.plus_days(-19),
            NOW,
            CHINA,
        );
        assert!(late.zh.contains("已过，请立即整改"), "{}", late.zh);
        assert!(!late.zh.contains("天前"), "{}", late.zh);
        assert!(late.en.contains("has passed: fix it now"), "{}", late.en);
    }

    #[test]
    fn severities_are_worded_as_a_patrol_would() {
        for severity in Severity::ALL {
            let text = hazard_opened_notice(
                severity,
                &Text::as_written("x"),
                NOW.plus_days(1),
                NOW,
                CHINA,
            );
            assert!(!text.zh.contains("重大"), "{}", text.zh);
        }
    }

    #[test]
    fn decisions_quote_the_officials_words_in_each_language() {
        let rejected = fix_rejected_notice(&Text::as_written("灭火器过期"), "照片看不清");
        assert_eq!(
            rejected.zh,
            "整改未通过核查（灭火器过期）：照片看不清。请重新整改后再提交"
        );
        let upheld = dispute_resolved_notice(true, "核实为误报");
        assert!(upheld.en.starts_with("Your dispute was upheld"));
        let rejected = dispute_resolved_notice(false, "证据充分");
        assert!(rejected.zh.starts_with("您的申诉未被采纳"));
        let summons = summons_notice(NOW.plus_days(3), "文三路市场监管所", "带上营业执照", CHINA);
        assert_eq!(
            summons.zh,
            "约谈通知：请于 2026-11-27 10:00 到 文三路市场监管所 接受约谈（带上营业执照）"
        );
    }

    #[test]
    fn each_wording_is_in_one_language_around_quoted_text() {
        let texts = [
            hazard_opened_notice(
                Severity::Major,
                &Text::as_written(""),
                NOW.plus_days(2),
                NOW,
                CHINA,
            ),
            hazard_opened_notice(
                Severity::Major,
                &Text::as_written(""),
                NOW.plus_days(-2),
                NOW,
                CHINA,
            ),
            fix_rejected_notice(&Text::as_written(""), ""),
            dispute_resolved_notice(true, ""),
            dispute_resolved_notice(false, ""),
            summons_notice(NOW, "", "", CHINA),
        ];
        for text in texts {
            assert!(!has_latin(&text.zh), "{}", text.zh);
            assert!(!has_han(&text.en), "{}", text.en);
        }
    }
}

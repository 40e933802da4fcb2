//! Owner-facing wording: every sentence in Chinese and English, built from the policy's numbers so
//! a notice can never disagree with the timer behind it.

use serde::{Deserialize, Serialize};

use crate::evidence::Severity;

/// One sentence for the owner, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Text {
    /// In Chinese.
    pub zh: String,
    /// In English.
    pub en: String,
}

impl Text {
    /// A sentence from its two wordings.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// Someone's own words (an inspector's finding, an owner's note): quoted as written, the same
    /// in both languages.
    pub fn as_written(text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            zh: text.clone(),
            en: text,
        }
    }
}

/// A number of hours as a reader would say it: whole days as days, one and two weeks by name,
/// anything else in hours; 0 is "immediately".
pub fn duration_words(hours: u32) -> Text {
    match hours {
        0 => Text::new("立即", "immediately"),
        168 => Text::new("一周", "one week"),
        336 => Text::new("两周", "two weeks"),
        h if h % 24 == 0 => counted(h / 24, "天", "day", "days"),
        h => counted(h, "小时", "hour", "hours"),
    }
}

/// Days from today to a calendar date as a reader would say them: today, tomorrow, yesterday,
/// in n days, n days ago.
pub fn days_in_words(days: i64) -> Text {
    match days {
        0 => Text::new("今天", "today"),
        1 => Text::new("明天", "tomorrow"),
        -1 => Text::new("昨天", "yesterday"),
        n if n > 1 => Text::new(format!("{n} 天后"), format!("in {n} days")),
        n => {
            let n = n.unsigned_abs();
            Text::new(format!("{n} 天前"), format!("{n} days ago"))
        }
    }
}

/// A hazard type in words (the API's names are codes such as `food_hygiene`).
pub fn hazard_type_words(code: &str) -> Text {
    let (zh, en) = match code {
        "fire" => ("消防", "fire"),
        "gas" => ("燃气", "gas"),
        "electrical" => ("用电", "electrical"),
        "exits" => ("安全出口", "exits"),
        "food_hygiene" => ("食品卫生", "food hygiene"),
        "licence" => ("证照", "licence"),
        "other" => ("其他", "other"),
        unknown => (unknown, unknown),
    };
    Text::new(zh, en)
}

/// A severity worded as a patrol would say it to an owner.
pub fn severity_words(severity: Severity) -> Text {
    let en = match severity {
        Severity::Critical => "serious hazard",
        Severity::Major => "significant hazard",
        Severity::Minor => "minor hazard",
    };
    Text::new(format!("{}隐患", severity_zh(severity)), en)
}

/// The Chinese adjective for a severity. Never "重大": 重大隐患 is a formal determination under
/// fire-safety law that a score cannot make.
pub(crate) fn severity_zh(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "严重",
        Severity::Major => "较大",
        Severity::Minor => "一般",
    }
}

/// `words` set inside a Chinese sentence: Chinese typesetting puts a space between a Han character
/// and an Arabic numeral, so "逾期 3 天" but "逾期一周".
pub(crate) fn inline_zh(words: &str) -> String {
    if words.starts_with(|c: char| c.is_ascii_digit()) {
        format!(" {words}")
    } else {
        words.to_owned()
    }
}

fn counted(n: u32, zh_unit: &str, one: &str, many: &str) -> Text {
    Text::new(
        format!("{n} {zh_unit}"),
        format!("{n} {}", if n == 1 { one } else { many }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{has_han, has_latin};

    #[test]
    fn durations_are_worded_in_the_largest_whole_unit() {
        let cases = [
            (0, "立即", "immediately"),
            (1, "1 小时", "1 hour"),
            (5, "5 小时", "5 hours"),
            (24, "1 天", "1 day"),
            (48, "2 天", "2 days"),
            (72, "3 天", "3 days"),
            (168, "一周", "one week"),
            (336, "两周", "two weeks"),
            (504, "21 天", "21 days"),
            (170, "170 小时", "170 hours"),
        ];
        for (hours, zh, en) in cases {
            assert_eq!(duration_words(hours), Text::new(zh, en), "{hours} hours");
        }
    }

    #[test]
    fn days_from_today_are_worded_as_a_calendar_reader_says_them() {
        let cases = [
            (0, "今天", "today"),
            (1, "明天", "tomorrow"),
            (-1, "昨天", "yesterday"),
            (3, "3 天后", "in 3 days"),
            (-3, "3 天前", "3 days ago"),
        ];
        for (days, zh, en) in cases {
            assert_eq!(days_in_words(days), Text::new(zh, en), "{days} days");
        }
    }

    #[test]
    fn severities_are_worded_without_the_legal_term() {
        for s in Severity::ALL {
            let words = severity_words(s);
            assert!(!words.zh.contains("重大"), "{words:?}");
            assert!(words.zh.ends_with("隐患") && !has_latin(&words.zh));
            assert!(words.en.ends_with("hazard") && !has_han(&words.en));
        }
        assert_eq!(severity_words(Severity::Critical).en, "serious hazard");
    }

    #[test]
    fn numbers_inside_chinese_are_set_off_by_a_space() {
        assert_eq!(inline_zh("3 天"), " 3 天");
        assert_eq!(inline_zh("一周"), "一周");
    }

    #[test]
    fn no_wording_mixes_the_languages() {
        let words = (0..400)
            .map(duration_words)
            .chain((-40..40).map(days_in_words));
        for t in words {
            assert!(!has_han(&t.en) && !has_latin(&t.zh), "{t:?}");
        }
    }
}

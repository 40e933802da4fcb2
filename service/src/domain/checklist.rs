//! Self-check checklists: one template per shop category, versioned, shipped as data
//! (`service/checklists/default.toml`), and the rules a submission must follow.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::hazard::{check_evidence, EvidenceRef, HazardType, Severity};
use super::shop::Category;
use super::vocabulary::text_enum;
use super::Invalid;
use crate::error::FieldErrors;

const DEFAULT_CHECKLISTS: &str = include_str!("../../checklists/default.toml");

/// Longest note on an answer, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// One item of a checklist.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    #[schema(example = "fire.extinguisher_in_date")]
    pub id: String,
    pub title_zh: String,
    pub title_en: String,
    pub severity: Severity,
    pub hazard_type: HazardType,
    /// The owner enters the date this item expires (extinguisher, licence, health certificates).
    #[serde(default)]
    pub tracks_expiry: bool,
}

impl ChecklistItem {
    /// How a hazard opened by failing this item is described: the item's title in each language,
    /// then the owner's note (their own words, quoted as written) when they wrote one.
    pub fn failure_description(&self, note: Option<&str>) -> shopcredit_scoring::Text {
        match note.map(str::trim).filter(|n| !n.is_empty()) {
            Some(note) => shopcredit_scoring::Text::new(
                format!("{}：{note}", self.title_zh),
                format!("{}: {note}", self.title_en),
            ),
            None => shopcredit_scoring::Text::new(self.title_zh.as_str(), self.title_en.as_str()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    category: Category,
    items: Vec<ChecklistItem>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChecklistsFile {
    version: String,
    templates: Vec<TemplateFile>,
}

/// All checklists of one version, by category.
#[derive(Debug, Clone)]
pub struct Checklists {
    version: String,
    templates: HashMap<Category, Vec<ChecklistItem>>,
}

impl Checklists {
    /// The checklists shipped with the service.
    pub fn builtin() -> Result<Self, Invalid> {
        Self::from_toml(DEFAULT_CHECKLISTS)
    }

    /// Parses and checks a checklists file: every category present, ids unique, at least one item.
    pub fn from_toml(text: &str) -> Result<Self, Invalid> {
        let file: ChecklistsFile =
            toml::from_str(text).map_err(|e| Invalid::new(format!("checklists: {e}")))?;
        let mut templates = HashMap::new();
        for template in file.templates {
            let mut seen = HashSet::new();
            for item in &template.items {
                if !seen.insert(item.id.as_str()) {
                    return Err(Invalid::new(format!(
                        "checklists: duplicate item {}",
                        item.id
                    )));
                }
            }
            if template.items.is_empty() {
                return Err(Invalid::new(format!(
                    "checklists: {} is empty",
                    template.category.as_str()
                )));
            }
            templates.insert(template.category, template.items);
        }
        if let Some(missing) = Category::ALL.iter().find(|c| !templates.contains_key(c)) {
            return Err(Invalid::new(format!(
                "checklists: no template for {}",
                missing.as_str()
            )));
        }
        Ok(Self {
            version: file.version,
            templates,
        })
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// The items a shop of `category` answers.
    pub fn items(&self, category: Category) -> &[ChecklistItem] {
        self.templates
            .get(&category)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Finds an item of a category's checklist.
    pub fn item(&self, category: Category, item_id: &str) -> Option<&ChecklistItem> {
        self.items(category).iter().find(|i| i.id == item_id)
    }
}

text_enum!(
    /// An owner's answer to one item.
    pub enum CheckResult("result") {
        Pass => "pass",
        Fail => "fail",
        NotApplicable => "not_applicable",
    }
);

/// An answer as submitted.
#[derive(Debug, Clone)]
pub struct Answer {
    pub item_id: String,
    pub result: CheckResult,
    pub note: Option<String>,
    pub expires_on: Option<String>,
    pub evidence: Vec<EvidenceRef>,
}

/// An answer that passed every rule, tied to its checklist item.
#[derive(Debug, Clone)]
pub struct CheckedAnswer {
    pub item: ChecklistItem,
    pub result: CheckResult,
    pub note: Option<String>,
    pub expires_on: Option<NaiveDate>,
    pub evidence: Vec<EvidenceRef>,
}

/// Checks a whole submission against a checklist as of the district's `today`: every item answered
/// exactly once, no unknown item, a note on every failure, an expiry date where the item tracks
/// one (and a "pass" whose date is already past is a contradiction). Errors are keyed
/// `answers[ITEM_ID]`, so the owner sees exactly which items to fix.
pub fn check_answers(
    items: &[ChecklistItem],
    answers: Vec<Answer>,
    today: NaiveDate,
) -> Result<Vec<CheckedAnswer>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut by_id: BTreeMap<String, Answer> = BTreeMap::new();
    let mut add = |id: &str, message: String| {
        errors
            .entry(format!("answers[{id}]"))
            .or_default()
            .push(message);
    };
    for answer in answers {
        if items.iter().all(|i| i.id != answer.item_id) {
            add(
                &answer.item_id,
                "not an item of this shop's checklist".to_owned(),
            );
        } else if by_id.contains_key(&answer.item_id) {
            add(&answer.item_id, "answered more than once".to_owned());
        } else {
            by_id.insert(answer.item_id.clone(), answer);
        }
    }
    let mut checked = Vec::with_capacity(items.len());
    for item in items {
        let Some(answer) = by_id.remove(&item.id) else {
            add(
                &item.id,
                "missing: every item needs an answer (pass, fail or not_applicable)".to_owned(),
            );
            continue;
        };
        match check_one(item, answer, today) {
            Ok(ok) => checked.push(ok),
            Err(problems) => problems.into_iter().for_each(|p| add(&item.id, p)),
        }
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    }
}

/// How far from today an expiry date may lie, either way. Licences, health certificates and
/// extinguisher services run a few years at most (a food business licence, the longest, five), so a
/// date further ahead is a typo or a way to silence the expiry reminders for ever; one further back
/// says nothing about the shop today.
pub const EXPIRY_HORIZON_YEARS: u32 = 10;

/// Why `date` is not a plausible expiry date as of `today`, if it is not.
fn implausible_expiry(date: NaiveDate, today: NaiveDate) -> Option<String> {
    let horizon = Months::new(12 * EXPIRY_HORIZON_YEARS);
    let latest = today.checked_add_months(horizon).unwrap_or(NaiveDate::MAX);
    let earliest = today.checked_sub_months(horizon).unwrap_or(NaiveDate::MIN);
    if date > latest {
        Some(format!(
            "expires_on {date} is more than {EXPIRY_HORIZON_YEARS} years ahead: enter the date \
             printed on the licence or certificate"
        ))
    } else if date < earliest {
        Some(format!(
            "expires_on {date} is more than {EXPIRY_HORIZON_YEARS} years ago"
        ))
    } else {
        None
    }
}

fn check_one(
    item: &ChecklistItem,
    answer: Answer,
    today: NaiveDate,
) -> Result<CheckedAnswer, Vec<String>> {
    let mut problems = Vec::new();
    let note = answer
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if answer.result == CheckResult::Fail && note.is_none() {
        problems.push("a failed item needs a note saying what is wrong".to_owned());
    }
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        problems.push(format!("note must be at most {MAX_NOTE_CHARS} characters"));
    }
    let expires_on = match answer.expires_on.as_deref() {
        None => None,
        Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                problems.push(format!("expires_on {text:?} is not a date (YYYY-MM-DD)"));
                None
            }
        },
    };
    if !item.tracks_expiry && answer.expires_on.is_some() {
        problems.push("this item tracks no expiry date".to_owned());
    }
    let passes = answer.result == CheckResult::Pass;
    if item.tracks_expiry && passes && answer.expires_on.is_none() {
        problems.push("expires_on (YYYY-MM-DD) is required when this item passes".to_owned());
    }
    match expires_on {
        Some(date) if item.tracks_expiry && passes && date < today => problems.push(format!(
            "expired on {date}: answer fail, or enter the new expiry date"
        )),
        Some(date) => problems.extend(implausible_expiry(date, today)),
        None => {}
    }
    if let Err(e) = check_evidence(&answer.evidence) {
        problems.push(e.0);
    }
    if problems.is_empty() {
        Ok(CheckedAnswer {
            item: item.clone(),
            result: answer.result,
            note,
            expires_on,
            evidence: answer.evidence,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn answer(id: &str, result: CheckResult) -> Answer {
        Answer {
            item_id: id.to_owned(),
            result,
            note: None,
            expires_on: None,
            evidence: vec![],
        }
    }

    #[test]
    fn a_failed_item_is_described_in_each_language_with_the_note_as_written() {
        let item = ChecklistItem {
            id: "exits.clear".to_owned(),
            title_zh: "安全出口畅通".to_owned(),
            title_en: "Exits clear".to_owned(),
            severity: Severity::Critical,
            hazard_type: HazardType::Exits,
            tracks_expiry: false,
        };
        let with_note = item.failure_description(Some(" 后门堆货 "));
        assert_eq!(with_note.zh, "安全出口畅通：后门堆货");
        assert_eq!(with_note.en, "Exits clear: 后门堆货");
        for note in [None, Some("  ")] {
            let bare = item.failure_description(note);
            assert_eq!(
                (bare.zh.as_str(), bare.en.as_str()),
                ("安全出口畅通", "Exits clear")
            );
        }
    }

    fn passing(items: &[ChecklistItem]) -> Vec<Answer> {
        items
            .iter()
            .map(|i| Answer {
                expires_on: i.tracks_expiry.then(|| "2027-06-30".to_owned()),
                ..answer(&i.id, CheckResult::Pass)
            })
            .collect()
    }

    #[test]
    fn builtin_checklists_cover_every_category_with_at_least_twelve_items() {
        let lists = Checklists::builtin().unwrap();
        for category in Category::ALL {
            let items = lists.items(*category);
            assert!(items.len() >= 12, "{category:?} has {}", items.len());
            assert!(
                items.iter().any(|i| i.tracks_expiry),
                "{category:?} tracks no expiry"
            );
            assert!(
                items.iter().any(|i| i.severity == Severity::Critical),
                "{category:?}"
            );
        }
    }

    #[test]
    fn a_complete_passing_submission_is_accepted() {
        let lists = Checklists::builtin().unwrap();
        let items = lists.items(Category::Restaurant);
        let checked = check_answers(items, passing(items), today()).unwrap();
        assert_eq!(checked.len(), items.len());
    }

    #[test]
    fn missing_unknown_and_duplicate_items_are_named() {
        let lists = Checklists::builtin().unwrap();
        let items = lists.items(Category::Retail);
        let mut answers = passing(items);
        let dropped = answers.remove(0).item_id;
        answers.push(answer("made.up", CheckResult::Pass));
        answers.push(answers[0].clone());
        let errors = check_answers(items, answers, today()).unwrap_err();
        assert!(errors.contains_key(&format!("answers[{dropped}]")));
        assert!(errors.contains_key("answers[made.up]"));
        assert!(errors.contains_key(&format!("answers[{}]", items[1].id)));
    }

    #[test]
    fn expiry_dates_lie_within_ten_years_of_today() {
        let lists = Checklists::builtin().unwrap();
        let items = lists.items(Category::Restaurant);
        let tracked = items.iter().find(|i| i.tracks_expiry).unwrap();
        let with = |result: CheckResult, date: &str| {
            let mut answers: Vec<Answer> = passing(items)
                .into_iter()
                .filter(|a| a.item_id != tracked.id)
                .collect();
            answers.push(Answer {
                expires_on: Some(date.to_owned()),
                note: Some("过期 expired".to_owned()),
                ..answer(&tracked.id, result)
            });
            check_answers(items, answers, today())
        };
        // today() is 2026-11-23.
        for ok in ["2036-11-23", "2026-11-23"] {
            assert!(with(CheckResult::Pass, ok).is_ok(), "{ok}");
        }
        for ok in ["2016-11-23", "2036-11-23"] {
            assert!(with(CheckResult::Fail, ok).is_ok(), "{ok}");
        }
        for (result, bad) in [
            (CheckResult::Pass, "2036-11-24"),
            (CheckResult::Pass, "9999-12-31"),
            (CheckResult::Pass, "+10000-01-01"),
            (CheckResult::Fail, "2016-11-22"),
            (CheckResult::Fail, "2040-01-01"),
        ] {
            let errors = with(result, bad).unwrap_err();
            let key = format!("answers[{}]", tracked.id);
            assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
            assert_eq!(errors[&key].len(), 1, "{bad}: {errors:?}");
        }
    }

    #[test]
    fn failures_need_a_note_and_tracked_passes_need_a_date_in_the_future() {
        let lists = Checklists::builtin().unwrap();
        let items = lists.items(Category::Restaurant);
        let tracked = items.iter().find(|i| i.tracks_expiry).unwrap();
        let plain = items.iter().find(|i| !i.tracks_expiry).unwrap();
        let cases: Vec<(Answer, &ChecklistItem)> = vec![
            (answer(&plain.id, CheckResult::Fail), plain),
            (answer(&tracked.id, CheckResult::Pass), tracked),
            (
                Answer {
                    expires_on: Some("2026-11-22".into()),
                    ..answer(&tracked.id, CheckResult::Pass)
                },
                tracked,
            ),
            (
                Answer {
                    expires_on: Some("2027-13-01".into()),
                    ..answer(&tracked.id, CheckResult::Pass)
                },
                tracked,
            ),
            (
                Answer {
                    expires_on: Some("2027-01-01".into()),
                    ..answer(&plain.id, CheckResult::Pass)
                },
                plain,
            ),
        ];
        for (bad, item) in cases {
            let mut answers: Vec<Answer> = passing(items)
                .into_iter()
                .filter(|a| a.item_id != item.id)
                .collect();
            answers.push(bad.clone());
            let errors = check_answers(items, answers, today()).unwrap_err();
            assert_eq!(errors.len(), 1, "{bad:?}: {errors:?}");
            assert!(
                errors.contains_key(&format!("answers[{}]", item.id)),
                "{bad:?}"
            );
        }
    }
}

//! "Overdue" has one definition, and every place that shows it agrees: a counted hazard (no upheld
//! dispute) that is open past its deadline, or awaiting verification of a fix claimed after the
//! deadline. A claim made in time is not overdue; a closed hazard never is.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, TestApp};
use shopcredit_service::domain::role::Role;

/// The default policy's deadlines, in hours after observation.
const CRITICAL_HOURS: i64 = 24;
const MAJOR_HOURS: i64 = 72;
const MINOR_HOURS: i64 = 168;

/// One hazard of the shop and whether it must be called overdue: the truth the service is judged
/// against.
struct Expected {
    state: &'static str,
    id: i64,
    severity: &'static str,
    overdue: bool,
}

struct Actors {
    shop_id: i64,
    owner: String,
    inspector: String,
    regulator: String,
}

/// Records a patrol finding one hazard observed at `observed_at`; answers the hazard's id.
async fn finding(
    app: &TestApp,
    who: &Actors,
    observed_at: DateTime<Utc>,
    hazard_type: &str,
    severity: &str,
) -> i64 {
    let finding = json!([{"hazard_type": hazard_type, "severity": severity, "description": format!("{hazard_type} 隐患")}]);
    let patrol = app
        .patrol(&who.inspector, who.shop_id, observed_at, finding)
        .await;
    patrol.body["hazards"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a hazard in {}", patrol.text))
}

async fn claim(app: &TestApp, who: &Actors, hazard: i64) {
    app.claim_fix(&who.owner, hazard).await;
}

async fn verify(app: &TestApp, who: &Actors, hazard: i64) {
    app.verify_fix(&who.inspector, hazard).await;
}

/// The owner disputes the finding and a regulator upholds it: the hazard stops counting.
async fn uphold_dispute(app: &TestApp, who: &Actors, hazard: i64) {
    let opened = app
        .post(
            &format!("/v1/shops/{}/disputes", who.shop_id),
            Some(&who.owner),
            &json!({"target": "hazard", "target_id": hazard, "reason": "当天已当场整改"}),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
    let upheld = app
        .post(
            &format!("/v1/disputes/{}/resolve", opened.body["id"]),
            Some(&who.regulator),
            &json!({"outcome": "upheld", "note": "照片为证"}),
        )
        .await;
    assert_eq!(upheld.status, StatusCode::OK, "{}", upheld.text);
}

fn items(answer: &Value) -> &Vec<Value> {
    answer["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {answer}"))
}

fn ids(values: &Value) -> BTreeSet<i64> {
    values
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

async fn the_definitions_of_overdue_agree(app: TestApp) {
    let admin = app.admin().await;
    let (shop, owner) = app.shop_with_owner(&admin, "六种隐患的店", "G01").await;
    let who = Actors {
        shop_id: shop["id"].as_i64().unwrap(),
        owner,
        inspector: app.token(Role::Inspector, &[], &["G01"]).await,
        regulator: app.token(Role::Regulator, &[], &[]).await,
    };
    let start = app.now();
    let past_deadline = |hours: i64| start - Duration::hours(hours) - Duration::days(1);

    // Arrange: one hazard in every state. The clock moves two hours between the in-time claim and
    // the rest, so that claim ends up before a deadline that has since passed.
    let open_in_time = finding(&app, &who, start - Duration::hours(1), "gas", "critical").await;
    let open_late = finding(
        &app,
        &who,
        past_deadline(MAJOR_HOURS),
        "electrical",
        "major",
    )
    .await;
    let claimed_in_time = finding(
        &app,
        &who,
        start - Duration::hours(CRITICAL_HOURS - 1),
        "fire",
        "critical",
    )
    .await;
    let claimed_late = finding(
        &app,
        &who,
        past_deadline(CRITICAL_HOURS),
        "exits",
        "critical",
    )
    .await;
    let closed = finding(&app, &who, past_deadline(MINOR_HOURS), "licence", "minor").await;
    let excluded = finding(
        &app,
        &who,
        past_deadline(CRITICAL_HOURS),
        "other",
        "critical",
    )
    .await;
    claim(&app, &who, claimed_in_time).await;
    app.advance(Duration::hours(2));
    claim(&app, &who, claimed_late).await;
    claim(&app, &who, closed).await;
    verify(&app, &who, closed).await;
    uphold_dispute(&app, &who, excluded).await;
    app.sweep().await;

    let table = [
        Expected {
            state: "open, deadline ahead",
            id: open_in_time,
            severity: "critical",
            overdue: false,
        },
        Expected {
            state: "open past its deadline",
            id: open_late,
            severity: "major",
            overdue: true,
        },
        Expected {
            state: "claimed before its deadline, awaiting verification after it",
            id: claimed_in_time,
            severity: "critical",
            overdue: false,
        },
        Expected {
            state: "claimed after its deadline, awaiting verification",
            id: claimed_late,
            severity: "critical",
            overdue: true,
        },
        Expected {
            state: "closed (claimed late, verified)",
            id: closed,
            severity: "minor",
            overdue: false,
        },
        Expected {
            state: "past its deadline but excluded by an upheld dispute",
            id: excluded,
            severity: "critical",
            overdue: false,
        },
    ];

    // Act: every place that says what is overdue.
    let listed = app
        .get(
            &format!("/v1/shops/{}/hazards?status=overdue&limit=200", who.shop_id),
            Some(&who.owner),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let listed: BTreeSet<i64> = items(&listed.body)
        .iter()
        .filter_map(|h| h["id"].as_i64())
        .collect();
    let alerts = app
        .get(
            &format!("/v1/shops/{}/alerts", who.shop_id),
            Some(&who.owner),
        )
        .await;
    assert_eq!(alerts.status, StatusCode::OK, "{}", alerts.text);
    let alerted: BTreeSet<i64> = items(&alerts.body)
        .iter()
        .filter(|a| a["kind"] == "overdue")
        .filter_map(|a| a["hazard_id"].as_i64())
        .collect();
    let score = app.score(&who.owner, who.shop_id).await;
    let reasons = score["reasons"]
        .as_array()
        .unwrap_or_else(|| panic!("reasons in {score}"));

    // Assert: each view against the table, every disagreement reported at once.
    let mut wrong = Vec::new();
    for h in &table {
        let view = app
            .get(&format!("/v1/hazards/{}", h.id), Some(&who.owner))
            .await;
        assert_eq!(view.status, StatusCode::OK, "{}", view.text);
        let answers = [
            ("its overdue flag", view.body["overdue"] == h.overdue),
            ("?status=overdue", listed.contains(&h.id) == h.overdue),
            ("an overdue alert", alerted.contains(&h.id) == h.overdue),
        ];
        for (place, agrees) in answers {
            if !agrees {
                wrong.push(format!(
                    "hazard {} ({}): {place} does not say overdue = {} (hazard view: {})",
                    h.id, h.state, h.overdue, view.text
                ));
            }
        }
    }
    for severity in ["critical", "major", "minor"] {
        let expected: BTreeSet<i64> = table
            .iter()
            .filter(|h| h.overdue && h.severity == severity)
            .map(|h| h.id)
            .collect();
        let code = format!("overdue_{severity}_hazards");
        let counted = score["characteristics"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["id"] == code.as_str()))
            .and_then(|c| c["value"].as_f64());
        if counted != Some(expected.len() as f64) {
            wrong.push(format!(
                "score breakdown: {code} is {counted:?}, expected {}",
                expected.len()
            ));
        }
        // Reasons are the four biggest losses, so a reason may be missing; one that is shown
        // names exactly the overdue hazards of its severity.
        if let Some(reason) = reasons.iter().find(|r| r["code"] == code.as_str()) {
            let named = ids(&reason["hazard_ids"]);
            if named != expected {
                wrong.push(format!(
                    "score reason {code} names {named:?}, expected {expected:?}"
                ));
            }
        }
    }
    let all_overdue: BTreeSet<i64> = table.iter().filter(|h| h.overdue).map(|h| h.id).collect();
    if let Some(reason) = reasons.iter().find(|r| r["code"] == "days_overdue") {
        let named = ids(&reason["hazard_ids"]);
        if !named.is_subset(&all_overdue) {
            wrong.push(format!(
                "score reason days_overdue names {named:?}, not all overdue ({all_overdue:?})"
            ));
        }
    }
    if !reasons
        .iter()
        .any(|r| r["code"] == "overdue_critical_hazards")
    {
        wrong.push(format!(
            "the score's reasons name the overdue critical hazard: {reasons:?}"
        ));
    }
    assert!(
        wrong.is_empty(),
        "the definitions of overdue disagree:\n  {}\nscore: {score}",
        wrong.join("\n  ")
    );
}

on_both_backends!(the_definitions_of_overdue_agree);

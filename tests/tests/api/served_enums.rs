//! The enumerated values the API sends are the ones its OpenAPI document lists: a client generated
//! from the document accepts every real answer.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, Answer, TestApp};
use shopcredit_service::domain::role::Role;

/// Follows `$ref`s to the schema they name.
fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/components/schemas/");
        schema = &doc["components"]["schemas"][name];
    }
    schema
}

/// A value the API sent where the document lists other values.
struct Unlisted {
    at: String,
    sent: String,
    listed: String,
}

/// Records every value under `value` that its schema declares enumerated but does not list.
fn unlisted(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<Unlisted>) {
    let schema = resolve(doc, schema);
    if value.is_null() {
        return;
    }
    if let Some(listed) = schema.get("enum").and_then(Value::as_array) {
        if !listed.contains(value) {
            out.push(Unlisted {
                at: at.to_owned(),
                sent: value.to_string(),
                listed: Value::from(listed.clone()).to_string(),
            });
        }
        return;
    }
    for key in ["oneOf", "anyOf"] {
        let branches = schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        let tries: Vec<Vec<Unlisted>> = branches
            .filter(|b| b.get("type") != Some(&json!("null")))
            .map(|branch| {
                let mut found = Vec::new();
                unlisted(doc, branch, value, at, &mut found);
                found
            })
            .collect();
        // The value fits the union when it fits one of its branches.
        if !tries.iter().any(Vec::is_empty) {
            out.extend(tries.into_iter().next().unwrap_or_default());
        }
    }
    for branch in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        unlisted(doc, branch, value, at, out);
    }
    match value {
        Value::Object(fields) => {
            for (name, field) in fields {
                if let Some(property) = schema.get("properties").and_then(|p| p.get(name)) {
                    unlisted(doc, property, field, &format!("{at}.{name}"), out);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for v in items {
                    unlisted(doc, item, v, &format!("{at}[]"), out);
                }
            }
        }
        _ => {}
    }
}

/// Checks answers against the document and gathers what disagrees.
struct Checker {
    doc: Value,
    /// Answers that could not be checked (not a success, or not documented).
    unchecked: Vec<String>,
    /// Per place in an answer: the values sent there that the document does not list, and what
    /// it lists.
    unlisted: BTreeMap<String, (BTreeSet<String>, String)>,
}

impl Checker {
    fn new() -> Self {
        let text = shopcredit_service::openapi::document_json();
        Self {
            doc: serde_json::from_str(&text).expect("the document is JSON"),
            unchecked: Vec::new(),
            unlisted: BTreeMap::new(),
        }
    }

    /// Checks `answer` to `method template` against the documented schema of its status.
    fn check(&mut self, method: &str, template: &str, answer: &Answer) {
        let what = format!(
            "{} {template} {}",
            method.to_uppercase(),
            answer.status.as_u16()
        );
        if !answer.status.is_success() {
            self.unchecked.push(format!("{what}: {}", answer.text));
            return;
        }
        let schema = &self.doc["paths"][template][method]["responses"][answer.status.as_str()]
            ["content"]["application/json"]["schema"];
        if schema.is_null() {
            self.unchecked
                .push(format!("{what}: not a documented answer"));
            return;
        }
        let mut found = Vec::new();
        unlisted(&self.doc, schema, &answer.body, &what, &mut found);
        for u in found {
            let entry = self
                .unlisted
                .entry(u.at)
                .or_insert_with(|| (BTreeSet::new(), u.listed));
            entry.0.insert(u.sent);
        }
    }

    /// Panics with every disagreement, one line per place.
    fn assert_agrees(self) {
        let mut lines = self.unchecked;
        lines.extend(self.unlisted.into_iter().map(|(at, (sent, listed))| {
            let sent: Vec<String> = sent.into_iter().collect();
            format!(
                "{at}: sent {}; the document lists {listed}",
                sent.join(", ")
            )
        }));
        assert!(
            lines.is_empty(),
            "{} places where the API and its document disagree on enumerated values:\n  {}",
            lines.len(),
            lines.join("\n  ")
        );
    }
}

async fn every_enumerated_value_the_api_sends_is_listed_in_the_document(app: TestApp) {
    let mut checker = Checker::new();
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let (shop, owner) = app.shop_with_owner(&admin, "样板店", "G01").await;
    let id = shop["id"].as_i64().unwrap();
    let code = shop["code"].as_str().unwrap().to_owned();

    // Arrange: evidence of every kind, a sweep, and a job, checking each answer on the way.
    let answers = app
        .answers(id, &owner, &["exits.evacuation_routes_clear"])
        .await;
    let self_check = app
        .post(
            &format!("/v1/shops/{id}/self-checks"),
            Some(&owner),
            &json!({"answers": answers}),
        )
        .await;
    checker.check("post", "/v1/shops/{id}/self-checks", &self_check);
    let critical =
        json!([{"hazard_type": "exits", "severity": "critical", "description": "安全出口上锁"}]);
    let patrol = app
        .patrol(&inspector, id, app.now() - Duration::days(16), critical)
        .await;
    checker.check("post", "/v1/shops/{id}/patrols", &patrol);
    let patrol_hazard = patrol.body["hazards"][0]["id"].as_i64().unwrap();
    let review = app
        .post_as_client(
            &format!("/v1/public/shops/{code}/reviews"),
            "10.9.9.9",
            &json!({"rating": 2, "text": "门口堆满杂物"}),
        )
        .await;
    checker.check("post", "/v1/public/shops/{code}/reviews", &review);
    let tip = app
        .post_as_client(
            &format!("/v1/public/shops/{code}/tips"),
            "10.9.9.8",
            &json!({"hazard_type": "gas", "description": "闻到煤气味"}),
        )
        .await;
    checker.check("post", "/v1/public/shops/{code}/tips", &tip);
    let dispute = app
        .post(
            &format!("/v1/shops/{id}/disputes"),
            Some(&owner),
            &json!({"target": "hazard", "target_id": patrol_hazard, "reason": "已当场整改"}),
        )
        .await;
    checker.check("post", "/v1/shops/{id}/disputes", &dispute);
    let hazards = app
        .get(&format!("/v1/shops/{id}/hazards"), Some(&owner))
        .await;
    let other_hazard = hazards.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["id"].as_i64())
        .find(|&h| h != patrol_hazard);
    if let Some(hazard) = other_hazard {
        let claimed = app
            .post(
                &format!("/v1/hazards/{hazard}/rectifications"),
                Some(&owner),
                &json!({"note": "已清理"}),
            )
            .await;
        checker.check("post", "/v1/hazards/{id}/rectifications", &claimed);
    }
    // The ladder climbs one rung per policy gap (at most 168 h): four passes reach a case.
    for _ in 0..4 {
        app.sweep().await;
        app.advance(Duration::hours(200));
    }
    let cases = app.get("/v1/enforcement/cases", Some(&regulator)).await;
    checker.check("get", "/v1/enforcement/cases", &cases);
    let case = cases.body["items"][0]["id"].as_i64();
    if let Some(case) = case {
        let action = app
            .post(
                &format!("/v1/enforcement/cases/{case}/actions"),
                Some(&regulator),
                &json!({"kind": "summons", "note": "约谈", "at": "2030-01-02T02:00:00Z", "place": "市场监管所"}),
            )
            .await;
        checker.check("post", "/v1/enforcement/cases/{id}/actions", &action);
        let story = app
            .get(&format!("/v1/enforcement/cases/{case}"), Some(&regulator))
            .await;
        checker.check("get", "/v1/enforcement/cases/{id}", &story);
    } else {
        checker
            .unchecked
            .push(format!("no case after the sweep: {}", cases.text));
    }
    let policy = app.get("/v1/policies/current", Some(&regulator)).await;
    let version = policy.body["version"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let queued = app
        .post(
            &format!("/v1/policies/{version}/backtest"),
            Some(&regulator),
            &json!({}),
        )
        .await;
    checker.check("post", "/v1/policies/{version}/backtest", &queued);
    if queued.status == StatusCode::ACCEPTED {
        app.job(queued.location(), &regulator).await;
        let job = app.get(queued.location(), Some(&regulator)).await;
        checker.check("get", "/v1/jobs/{id}", &job);
    }

    // Act and assert: every read route, as someone allowed to read it.
    let receipt = tip.body["receipt"].as_str().unwrap_or_default().to_owned();
    let reads = [
        (
            "/v1/hazards/{id}",
            format!("/v1/hazards/{patrol_hazard}"),
            &owner,
        ),
        ("/v1/shops/{id}", format!("/v1/shops/{id}"), &owner),
        (
            "/v1/shops/{id}/hazards",
            format!("/v1/shops/{id}/hazards"),
            &owner,
        ),
        (
            "/v1/shops/{id}/score",
            format!("/v1/shops/{id}/score"),
            &owner,
        ),
        (
            "/v1/shops/{id}/score/history",
            format!("/v1/shops/{id}/score/history"),
            &owner,
        ),
        (
            "/v1/shops/{id}/alerts",
            format!("/v1/shops/{id}/alerts"),
            &owner,
        ),
        (
            "/v1/shops/{id}/notices",
            format!("/v1/shops/{id}/notices"),
            &owner,
        ),
        (
            "/v1/shops/{id}/events",
            format!("/v1/shops/{id}/events"),
            &owner,
        ),
        (
            "/v1/shops/{id}/disputes",
            format!("/v1/shops/{id}/disputes"),
            &owner,
        ),
        (
            "/v1/shops/{id}/reviews",
            format!("/v1/shops/{id}/reviews"),
            &owner,
        ),
        (
            "/v1/shops/{id}/checklist",
            format!("/v1/shops/{id}/checklist"),
            &owner,
        ),
        ("/v1/shops", "/v1/shops".to_owned(), &regulator),
        ("/v1/events", "/v1/events".to_owned(), &regulator),
        ("/v1/disputes", "/v1/disputes".to_owned(), &regulator),
        (
            "/v1/reviews",
            "/v1/reviews?status=counted".to_owned(),
            &regulator,
        ),
        ("/v1/tips", "/v1/tips".to_owned(), &regulator),
        (
            "/v1/public/shops",
            "/v1/public/shops".to_owned(),
            &regulator,
        ),
        (
            "/v1/public/shops/{code}",
            format!("/v1/public/shops/{code}"),
            &regulator,
        ),
        (
            "/v1/public/tips/{receipt}",
            format!("/v1/public/tips/{receipt}"),
            &regulator,
        ),
        ("/healthz", "/healthz".to_owned(), &regulator),
        ("/readyz", "/readyz".to_owned(), &regulator),
    ];
    for (template, path, token) in reads {
        let answer = app.get(&path, Some(token)).await;
        checker.check("get", template, &answer);
    }
    checker.assert_agrees();
}

on_both_backends!(every_enumerated_value_the_api_sends_is_listed_in_the_document);

//! Scores and colours through the API: the evidence loop moves the code, the path to green keeps
//! its promises, the sweep catches deadlines nobody asked about, and past scores recompute exactly.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, Backend, TestApp};
use shopcredit_service::domain::role::Role;
use shopcredit_service::domain::score::Colour;

struct Shop {
    id: i64,
    owner: String,
    inspector: String,
}

/// A shop with enough evidence not to be provisional (the default policy wants three patrols,
/// self-checks or hazards): a passing self-check, two clean patrols and a good review.
async fn established_shop(app: &TestApp, admin: &str) -> Shop {
    let (shop, owner) = app.shop_with_owner(admin, "老街面馆", "G01").await;
    let id = shop["id"].as_i64().unwrap();
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let answers = app.answers(id, &owner, &[]).await;
    let check = app
        .post(
            &format!("/v1/shops/{id}/self-checks"),
            Some(&owner),
            &json!({"answers": answers}),
        )
        .await;
    assert_eq!(check.status, StatusCode::CREATED, "{}", check.text);
    app.patrol(&inspector, id, app.now() - Duration::days(20), json!([]))
        .await;
    app.patrol(&inspector, id, app.now() - Duration::days(1), json!([]))
        .await;
    let code = shop["code"].as_str().unwrap();
    app.post_as_client(
        &format!("/v1/public/shops/{code}/reviews"),
        "10.7.7.7",
        &json!({"rating": 5}),
    )
    .await;
    Shop {
        id,
        owner,
        inspector,
    }
}

fn critical_exit() -> Value {
    json!([{"hazard_type": "exits", "severity": "critical", "description": "安全出口被锁 exit locked"}])
}

async fn fix(app: &TestApp, shop: &Shop, hazard: i64) {
    app.fix_hazard(&shop.owner, &shop.inspector, hazard).await;
}

async fn the_loop_turns_a_shop_red_and_only_a_verified_fix_and_reinspection_bring_it_back(
    app: TestApp,
) {
    let admin = app.admin().await;
    let shop = established_shop(&app, &admin).await;
    let before = app.score(&shop.owner, shop.id).await;

    assert_eq!(before["colour"], "green", "{before}");
    assert_eq!(before["provisional"], false, "{before}");

    let patrol = app
        .patrol(
            &shop.inspector,
            shop.id,
            app.now() - Duration::days(3),
            critical_exit(),
        )
        .await;
    let hazard = patrol.body["hazards"][0]["id"].as_i64().unwrap();
    let red = app.score(&shop.owner, shop.id).await;
    assert_eq!(red["colour"], "red");
    assert_eq!(red["colour_rule"], "overdue_critical_hazard");
    assert_eq!(red["reasons"][0]["code"], "overdue_critical_hazards");
    assert_eq!(red["reasons"][0]["hazard_ids"], json!([hazard]));
    assert!(red["score"].as_i64().unwrap() < before["score"].as_i64().unwrap());

    let claimed = app
        .post(
            &format!("/v1/hazards/{hazard}/rectifications"),
            Some(&shop.owner),
            &json!({"note": "已打开"}),
        )
        .await;
    assert_eq!(claimed.body["status"], "awaiting_verification");
    assert_eq!(
        app.score(&shop.owner, shop.id).await["colour"],
        "red",
        "an owner's claim alone changes nothing"
    );

    let verified = app
        .post(
            &format!("/v1/hazards/{hazard}/verifications"),
            Some(&shop.inspector),
            &json!({"outcome": "accepted"}),
        )
        .await;
    assert_eq!(verified.body["status"], "closed");
    assert_ne!(
        app.score(&shop.owner, shop.id).await["colour"],
        "green",
        "not green before a re-inspection"
    );

    app.patrol(&shop.inspector, shop.id, app.now(), json!([]))
        .await;
    let back = app.score(&shop.owner, shop.id).await;
    assert_eq!(back["colour"], "green", "{back}");

    let history = app
        .get(
            &format!("/v1/shops/{}/score/history", shop.id),
            Some(&shop.owner),
        )
        .await;
    let colours: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["colour"].as_str().unwrap())
        .collect();
    assert!(
        colours.contains(&"red") && colours.last() == Some(&"green"),
        "{colours:?}"
    );
    let events = app
        .get(
            &format!("/v1/shops/{}/events?limit=200", shop.id),
            Some(&shop.owner),
        )
        .await;
    let changes: Vec<&Value> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "code.changed")
        .collect();
    assert!(changes
        .iter()
        .any(|e| e["details"]["to"] == "red" && e["role"] == "system"));
}

async fn following_the_path_to_green_ends_green_with_the_promised_scores(app: TestApp) {
    let admin = app.admin().await;
    let shop = established_shop(&app, &admin).await;
    app.patrol(
        &shop.inspector,
        shop.id,
        app.now() - Duration::days(4),
        critical_exit(),
    )
    .await;
    app.patrol(
        &shop.inspector,
        shop.id,
        app.now() - Duration::days(5),
        json!([{"hazard_type": "electrical", "severity": "major", "description": "电线裸露"}]),
    )
    .await;
    let start = app.score(&shop.owner, shop.id).await;
    assert_eq!(start["colour"], "red");
    let path = start["path_to_green"].as_array().unwrap().clone();
    assert!(!path.is_empty(), "{start}");
    assert_eq!(
        path.last().unwrap()["colour_after"],
        "green",
        "the path reaches green: {start}"
    );
    for step in &path {
        match step["action"].as_str().unwrap() {
            "verify_fix" => fix(&app, &shop, step["hazard_id"].as_i64().unwrap()).await,
            "clean_reinspection" => {
                app.patrol(&shop.inspector, shop.id, app.now(), json!([]))
                    .await;
            }
            "submit_self_check" => {
                let answers = app.answers(shop.id, &shop.owner, &[]).await;
                app.post(
                    &format!("/v1/shops/{}/self-checks", shop.id),
                    Some(&shop.owner),
                    &json!({"answers": answers}),
                )
                .await;
            }
            other => panic!("unknown action {other}"),
        }
        let now = app.score(&shop.owner, shop.id).await;
        assert_eq!(now["score"], step["score_after"], "after {step}");
        assert_eq!(now["colour"], step["colour_after"], "after {step}");
    }
    let end = app.score(&shop.owner, shop.id).await;
    assert_eq!(end["colour"], "green");
    assert!(end["path_to_green"].as_array().unwrap().is_empty());
}

async fn a_past_score_recomputes_to_exactly_the_snapshot_stored_then(app: TestApp) {
    let admin = app.admin().await;
    let shop = established_shop(&app, &admin).await;
    app.patrol(
        &shop.inspector,
        shop.id,
        app.now() - Duration::days(2),
        critical_exit(),
    )
    .await;
    let history = app
        .get(
            &format!("/v1/shops/{}/score/history", shop.id),
            Some(&shop.owner),
        )
        .await;
    let snapshots = history.body["items"].as_array().unwrap().clone();
    assert!(snapshots.len() >= 2, "{}", history.text);
    // Evidence uploaded later with an earlier observation time does not rewrite the past.
    app.patrol(
        &shop.inspector,
        shop.id,
        app.now() - Duration::days(10),
        json!([{"hazard_type": "gas", "severity": "critical", "description": "软管老化"}]),
    )
    .await;
    for snapshot in &snapshots {
        let at = snapshot["at"].as_str().unwrap();
        let path = format!(
            "/v1/shops/{}/score?as_of={}",
            shop.id,
            at.replace('+', "%2B")
        );
        let then = app.get(&path, Some(&shop.owner)).await;
        assert_eq!(then.status, StatusCode::OK, "{}", then.text);
        assert_eq!(then.body["score"], snapshot["score"], "at {at}");
        assert_eq!(then.body["colour"], snapshot["colour"], "at {at}");
        assert_eq!(then.body["provisional"], snapshot["provisional"], "at {at}");
        let codes: Vec<&Value> = then.body["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["code"])
            .collect();
        let stored: Vec<&Value> = snapshot["reasons"].as_array().unwrap().iter().collect();
        assert_eq!(codes, stored, "at {at}");
    }
    let future = app
        .get(
            &format!("/v1/shops/{}/score?as_of=2999-01-01T00:00:00Z", shop.id),
            Some(&shop.owner),
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(future.error_fields(), vec!["as_of"]);
}

async fn a_policy_is_validated_backtested_and_adopted_by_regulators_only(app: TestApp) {
    let admin = app.admin().await;
    let shop = established_shop(&app, &admin).await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    assert_eq!(
        app.get("/v1/policies/current", Some(&shop.owner))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let current = app.get("/v1/policies/current", Some(&regulator)).await;
    assert_eq!(current.status, StatusCode::OK, "{}", current.text);
    let mut strict = current.body["policy"].clone();
    strict["version"] = json!("strict-1");
    strict["colours"]["green_at_least"] = json!(900);
    let created = app.post("/v1/policies", Some(&regulator), &strict).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert!(created.body["adopted_at"].is_null());
    assert_eq!(
        app.post("/v1/policies", Some(&regulator), &strict)
            .await
            .status,
        StatusCode::CONFLICT
    );
    let mut broken = strict.clone();
    broken["version"] = json!("broken-1");
    broken["colours"]["red_below"] = json!(995);
    let refused = app.post("/v1/policies", Some(&regulator), &broken).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("colours"),
        "the message names the field: {}",
        refused.text
    );

    let queued = app
        .post(
            "/v1/policies/strict-1/backtest",
            Some(&regulator),
            &json!({}),
        )
        .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.text);
    let backtest = app.job(queued.location(), &regulator).await;
    assert_eq!(backtest["status"], "succeeded", "{backtest}");
    assert_eq!(backtest["kind"], "backtest_policy");
    let result = &backtest["result"];
    assert_eq!(result["shops"], 1);
    assert_eq!(result["green"], 0, "nobody reaches 990: {backtest}");
    assert_eq!(result["colour_changes"], 1);
    assert_eq!(
        app.score(&shop.owner, shop.id).await["colour"],
        "green",
        "a back-test adopts nothing"
    );

    let queued = app
        .post("/v1/policies/strict-1/adopt", Some(&regulator), &json!({}))
        .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.text);
    let adopted = app.job(queued.location(), &regulator).await;
    assert_eq!(adopted["status"], "succeeded", "{adopted}");
    assert_eq!(adopted["kind"], "adopt_policy");
    assert_eq!(adopted["result"]["rescored"]["shops"], 1);
    let after = app.score(&shop.owner, shop.id).await;
    assert_eq!(after["policy_version"], "strict-1");
    assert_ne!(after["colour"], "green");
    assert_eq!(
        app.get("/v1/policies/current", Some(&regulator)).await.body["version"],
        "strict-1"
    );
    assert_eq!(
        app.post("/v1/policies/nope/adopt", Some(&regulator), &json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn the_public_view_shows_colour_score_and_last_inspection(app: TestApp) {
    let admin = app.admin().await;
    let (shop, _owner) = app.shop_with_owner(&admin, "新开小店", "G01").await;
    let code = shop["code"].as_str().unwrap();
    let fresh = app.get(&format!("/v1/public/shops/{code}"), None).await;
    assert_eq!(
        fresh.body["provisional"], true,
        "a new shop has too little evidence: {}",
        fresh.text
    );
    assert!(fresh.body["score"].is_i64());
    assert!(fresh.body["last_inspection_at"].is_null());
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let observed = app.now() - Duration::days(2);
    app.patrol(
        &inspector,
        shop["id"].as_i64().unwrap(),
        observed,
        critical_exit(),
    )
    .await;
    let after = app.get(&format!("/v1/public/shops/{code}"), None).await;
    assert_eq!(after.body["colour"], "red");
    let reason = &after.body["reasons"][0];
    assert_eq!(reason["code"], "overdue_critical_hazards");
    assert!(
        reason.get("hazard_ids").is_none(),
        "no internal ids in public: {reason}"
    );
    assert!(after.body["last_inspection_at"].is_string());
}

on_both_backends!(
    the_loop_turns_a_shop_red_and_only_a_verified_fix_and_reinspection_bring_it_back,
    following_the_path_to_green_ends_green_with_the_promised_scores,
    a_past_score_recomputes_to_exactly_the_snapshot_stored_then,
    a_policy_is_validated_backtested_and_adopted_by_regulators_only,
    the_public_view_shows_colour_score_and_last_inspection,
);

/// A finding whose deadline passes while nobody calls the API turns the stored colour red within one
/// sweep interval.
async fn deadline_passing_unobserved(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let admin = app.admin().await;
    let shop = established_shop(&app, &admin).await;
    // Critical deadline is 24 h after observation: observed 24 h minus 3 s ago, it falls due in 3 s.
    let observed = app.now() - Duration::hours(24) + Duration::seconds(3);
    let patrol = app
        .patrol(&shop.inspector, shop.id, observed, critical_exit())
        .await;
    assert_eq!(patrol.body["hazards"][0]["overdue"], false);
    let stored = app.store.current_score(shop.id).await.unwrap().unwrap();
    assert_ne!(stored.colour, Colour::Red);
    // The deadline passes, then one sweep interval.
    app.advance(Duration::seconds(3) + Duration::seconds(60));
    app.sweep().await;
    let stored = app.store.current_score(shop.id).await.unwrap().unwrap();
    assert_eq!(stored.colour, Colour::Red, "red after one sweep");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_deadline_passing_unobserved_turns_the_stored_colour_red_within_one_sweep() {
    deadline_passing_unobserved(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_deadline_passing_unobserved_turns_the_stored_colour_red_within_one_sweep() {
    deadline_passing_unobserved(Backend::Postgres).await;
}

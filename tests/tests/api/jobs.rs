//! Long work runs as a job: adopting a policy answers `202 Accepted` at once and a job rescores every
//! shop, which regulators follow at `GET /v1/jobs/{id}`.

use reqwest::StatusCode;
use serde_json::json;
use shopcredit_e2e::{on_both_backends, TestApp};
use shopcredit_service::domain::role::Role;

const SHOPS: usize = 4;

async fn adopting_a_policy_answers_202_with_a_job_that_rescores_every_shop(app: TestApp) {
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let mut shops = Vec::new();
    for i in 0..SHOPS {
        let (shop, owner) = app
            .shop_with_owner(&admin, &format!("调整政策店{i}"), "G01")
            .await;
        shops.push((shop["id"].as_i64().unwrap(), owner));
    }
    let current = app.get("/v1/policies/current", Some(&regulator)).await;
    assert_eq!(current.status, StatusCode::OK, "{}", current.text);
    let mut strict = current.body["policy"].clone();
    strict["version"] = json!("strict-jobs-1");
    strict["colours"]["green_at_least"] = json!(900);
    let created = app.post("/v1/policies", Some(&regulator), &strict).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);

    let accepted = app
        .post(
            "/v1/policies/strict-jobs-1/adopt",
            Some(&regulator),
            &json!({}),
        )
        .await;

    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.text);
    let location = accepted.location().to_owned();
    assert_eq!(location, format!("/v1/jobs/{}", accepted.body["id"]));
    assert_eq!(accepted.body["kind"], "adopt_policy");
    assert_eq!(accepted.body["params"]["version"], "strict-jobs-1");
    let job = app.job(&location, &regulator).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(job["error"].is_null(), "{job}");
    assert!(job["finished_at"].is_string(), "{job}");
    assert_eq!(job["result"]["version"], "strict-jobs-1", "{job}");
    assert_eq!(job["result"]["rescored"]["shops"], SHOPS, "{job}");
    assert_eq!(job["result"]["rescored"]["failed"], 0, "{job}");
    assert_eq!(job["progress"], json!({"done": SHOPS, "total": SHOPS}));
    for (id, owner) in &shops {
        let score = app.score(owner, *id).await;
        assert_eq!(
            score["policy_version"], "strict-jobs-1",
            "shop {id}: {score}"
        );
    }
    assert_eq!(
        app.get("/v1/policies/current", Some(&regulator)).await.body["version"],
        "strict-jobs-1"
    );

    let unknown = app.get("/v1/jobs/999999", Some(&regulator)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
    assert_eq!(unknown.error_code(), Some("not_found"), "{}", unknown.text);
    let (_, owner) = &shops[0];
    let refused = app.get(&location, Some(owner)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(refused.error_code(), Some("forbidden"), "{}", refused.text);
}

/// A job whose replica died while running it (its heartbeat stopped) is taken over and finished by
/// the next worker; a job still beating is left to its worker.
async fn a_job_abandoned_by_a_dead_replica_is_finished_by_another(app: TestApp) {
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let admin = app.admin().await;
    app.create_shop(&admin, "接手的店", "G01").await;
    let now = app.now().timestamp_millis();
    let abandoned = now - 10 * 60 * 1000;
    let params = r#"{"version": "expert-2026.1"}"#;
    app.execute_sql(&[
        format!(
            "INSERT INTO jobs (kind, status, params, created_by, created_at, started_at, heartbeat_at) \
             VALUES ('backtest_policy', 'running', '{params}', 'token:1', {abandoned}, {abandoned}, {abandoned})"
        ),
        format!(
            "INSERT INTO jobs (kind, status, params, created_by, created_at, started_at, heartbeat_at) \
             VALUES ('backtest_policy', 'running', '{params}', 'token:1', {now}, {now}, {now})"
        ),
    ])
    .await;
    let ran = shopcredit_service::jobs::run_queued(&app.state)
        .await
        .expect("the queue is readable");
    assert_eq!(ran, 1, "only the abandoned job is taken over");
    let taken = app.get("/v1/jobs/1", Some(&regulator)).await;
    assert_eq!(taken.body["status"], "succeeded", "{}", taken.text);
    assert_eq!(taken.body["result"]["shops"], 1, "{}", taken.text);
    let alive = app.get("/v1/jobs/2", Some(&regulator)).await;
    assert_eq!(alive.body["status"], "running", "{}", alive.text);
}

on_both_backends!(
    adopting_a_policy_answers_202_with_a_job_that_rescores_every_shop,
    a_job_abandoned_by_a_dead_replica_is_finished_by_another,
);

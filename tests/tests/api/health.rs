use reqwest::StatusCode;
use serde_json::json;
use shopcredit_e2e::{on_both_backends, TestApp};

async fn healthz_and_readyz_answer_ok(app: TestApp) {
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["status"], "ok");
}

async fn metrics_count_requests_per_route_pattern_and_status(app: TestApp) {
    app.get("/v1/public/shops/ABCDEFGH", None).await;
    let metrics = app.get("/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    let line = metrics
        .text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total") && l.contains("route=\"/v1/public/shops/{code}\"")
        })
        .unwrap_or_else(|| panic!("no counter for the route pattern in:\n{}", metrics.text));
    assert!(line.contains("status=\"404\""), "{line}");
    assert!(metrics
        .text
        .contains("http_request_duration_seconds_bucket"));
}

async fn a_lost_database_answers_503_without_internals(app: TestApp) {
    let admin = app.admin().await;
    app.store.close().await;
    let ready = app.get("/readyz", None).await;
    ready.assert_unavailable();
    let list = app.get("/v1/shops", Some(&admin)).await;
    list.assert_unavailable();
    let message = list.body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        !message.to_lowercase().contains("pool"),
        "internals leaked: {message}"
    );
    assert!(
        !message.contains("sqlite") && !message.contains("postgres"),
        "{message}"
    );
}

/// Every answer names its request, so a user's report can be found in the logs: the client's id
/// when it is a sane token, a fresh one otherwise.
async fn every_answer_carries_a_request_id(app: TestApp) {
    let made = app.get("/healthz", None).await;
    let id = made.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 16, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    let again = app.get("/healthz", None).await;
    assert_ne!(again.headers["x-request-id"], made.headers["x-request-id"]);

    let send = |value: String| {
        let request = app
            .client
            .get(format!("{}/v1/nowhere", app.base_url))
            .header("x-request-id", value);
        async move { TestApp::answer(request.send().await.unwrap()).await }
    };
    let kept = send("field-app.7f3a_01".to_owned()).await;
    assert_eq!(kept.status, StatusCode::NOT_FOUND);
    assert_eq!(kept.headers["x-request-id"], "field-app.7f3a_01");
    for bad in [
        "has space".to_owned(),
        "x".repeat(129),
        "<script>".to_owned(),
    ] {
        let replaced = send(bad.clone()).await;
        let id = replaced.headers["x-request-id"].to_str().unwrap();
        assert_ne!(id, bad);
        assert_eq!(id.len(), 16, "{bad:?} was replaced by {id}");
    }
}

/// Stored data that cannot be read is an error in the envelope, never silently shown as empty.
async fn stored_data_that_cannot_be_read_is_a_500_not_an_empty_answer(app: TestApp) {
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "数据坏了的店", "G01").await;
    let id = shop["id"].as_i64().unwrap();
    let findings =
        json!([{"hazard_type": "fire", "severity": "minor", "description": "灭火器过期"}]);
    let patrol = app.patrol(&admin, id, app.now(), findings).await;
    let hazard = patrol.body["hazards"][0]["id"].as_i64().unwrap();
    app.execute_sql(&[
        format!("UPDATE events SET details = 'not json' WHERE shop_id = {id}"),
        format!("UPDATE hazards SET evidence = '{{broken' WHERE id = {hazard}"),
    ])
    .await;
    for path in [
        format!("/v1/shops/{id}/events"),
        format!("/v1/hazards/{hazard}"),
    ] {
        let answer = app.get(&path, Some(&admin)).await;
        assert_eq!(
            answer.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}: {}",
            answer.text
        );
        assert_eq!(answer.error_code(), Some("internal"), "{path}");
        assert!(
            !answer.text.contains("broken"),
            "no internals: {}",
            answer.text
        );
    }
}

/// Metric labels come from a closed set: a client inventing methods adds no series.
async fn invented_methods_do_not_grow_the_metrics(app: TestApp) {
    for i in 0..40 {
        let method = reqwest::Method::from_bytes(format!("M{i}").as_bytes()).unwrap();
        app.call(method, "/v1/shops", None, None).await;
    }
    let metrics = app.get("/metrics", None).await;
    let series = |name: &str| metrics.text.lines().filter(|l| l.starts_with(name)).count();
    assert!(
        !metrics.text.contains("method=\"M1"),
        "invented methods became labels:\n{}",
        metrics.text
    );
    assert!(
        metrics.text.contains("method=\"other\""),
        "{}",
        metrics.text
    );
    assert!(series("http_requests_total{") <= 3, "{}", metrics.text);
}

on_both_backends!(
    invented_methods_do_not_grow_the_metrics,
    healthz_and_readyz_answer_ok,
    metrics_count_requests_per_route_pattern_and_status,
    a_lost_database_answers_503_without_internals,
    every_answer_carries_a_request_id,
    stored_data_that_cannot_be_read_is_a_500_not_an_empty_answer,
);

use reqwest::StatusCode;
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
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.error_code(), Some("unavailable"));
    let list = app.get("/v1/shops", Some(&admin)).await;
    assert!(list.status.is_server_error(), "{}", list.status);
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

on_both_backends!(
    healthz_and_readyz_answer_ok,
    metrics_count_requests_per_route_pattern_and_status,
    a_lost_database_answers_503_without_internals,
);

//! `Idempotency-Key` (issue 10): a field app or a resident retrying a POST on a bad network gets the
//! first answer back and nothing is written twice; the same key for another request is refused.

use chrono::Duration;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, Answer, TestApp};
use shopcredit_service::domain::role::Role;

/// POSTs `body` to `path` with `key`, as `token` or anonymously from `client_ip`.
async fn post_with_key(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    client_ip: &str,
    key: &str,
    body: &Value,
) -> Answer {
    let mut request = app
        .client
        .post(format!("{}{path}", app.base_url))
        .header("idempotency-key", key)
        .header("x-forwarded-for", client_ip)
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    TestApp::answer(request.send().await.expect("request sent")).await
}

fn finding(app: &TestApp, description: &str) -> Value {
    json!({
        "kind": "grid_patrol",
        "observed_at": app.now().to_rfc3339(),
        "findings": [{"hazard_type": "exits", "severity": "major", "description": description}]
    })
}

async fn hazard_count(app: &TestApp, token: &str, shop_id: i64) -> usize {
    let page = app
        .get(&format!("/v1/shops/{shop_id}/hazards"), Some(token))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    page.body["items"].as_array().map_or(0, Vec::len)
}

async fn a_retried_patrol_is_recorded_once_and_answered_as_the_first_time(app: TestApp) {
    let admin = app.admin().await;
    let (shop, _) = app.shop_with_owner(&admin, "重试巡查的店", "G01").await;
    let id = shop["id"].as_i64().unwrap();
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let path = format!("/v1/shops/{id}/patrols");
    let body = finding(&app, "后门堆放杂物");
    let key = "7d0f5a52-3c1e-4d7b-9a51-2f6f3f0c9e11";

    let first = post_with_key(&app, &path, Some(&inspector), "10.0.0.1", key, &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let retry = post_with_key(&app, &path, Some(&inspector), "10.0.0.1", key, &body).await;
    assert_eq!(retry.status, StatusCode::CREATED, "{}", retry.text);
    assert_eq!(retry.body, first.body, "the first answer, again");
    assert_eq!(
        retry
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert!(first.headers.get("idempotent-replayed").is_none());
    assert_eq!(hazard_count(&app, &admin, id).await, 1, "written once");

    let other = post_with_key(
        &app,
        &path,
        Some(&inspector),
        "10.0.0.1",
        key,
        &finding(&app, "另一处"),
    )
    .await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.text
    );
    assert!(
        other.body["error"]["fields"]["Idempotency-Key"].is_array(),
        "{}",
        other.text
    );
    assert_eq!(
        hazard_count(&app, &admin, id).await,
        1,
        "nothing more written"
    );

    // Another caller's key of the same name is its own.
    let colleague = app.token(Role::Inspector, &[], &["G01"]).await;
    let theirs = post_with_key(&app, &path, Some(&colleague), "10.0.0.2", key, &body).await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.text);
    assert!(theirs.headers.get("idempotent-replayed").is_none());
    assert_eq!(hazard_count(&app, &admin, id).await, 2);

    // Keys are kept for a day, then forgotten by the sweep: the same key is then a new request.
    app.advance(Duration::hours(25));
    app.sweep().await;
    let later = post_with_key(
        &app,
        &path,
        Some(&inspector),
        "10.0.0.1",
        key,
        &finding(&app, "第二天"),
    )
    .await;
    assert_eq!(later.status, StatusCode::CREATED, "{}", later.text);
    assert_eq!(hazard_count(&app, &admin, id).await, 3);
}

async fn concurrent_retries_of_a_review_write_it_once(app: TestApp) {
    let admin = app.admin().await;
    let (shop, _) = app.shop_with_owner(&admin, "并发重试评价的店", "G01").await;
    let code = shop["code"].as_str().unwrap().to_owned();
    let path = format!("/v1/public/shops/{code}/reviews");
    let body = json!({"rating": 5, "text": "干净卫生"});
    let answers = join_all(
        (0..10).map(|_| post_with_key(&app, &path, None, "10.9.9.9", "review-once", &body)),
    )
    .await;
    let mut created = 0;
    for a in &answers {
        match a.status {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => assert!(
                a.headers.contains_key("retry-after"),
                "a retry while the first runs is told when to try again: {}",
                a.text
            ),
            other => panic!("unexpected {other}: {}", a.text),
        }
    }
    assert!(created >= 1);
    let stored = app
        .get(&format!("/v1/shops/{}/reviews", shop["id"]), Some(&admin))
        .await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.text);
    assert_eq!(
        stored.body["items"].as_array().map(Vec::len),
        Some(1),
        "one review whatever the retries: {}",
        stored.text
    );
}

async fn a_refused_request_lets_go_of_its_key_so_the_fixed_request_can_use_it(app: TestApp) {
    let admin = app.admin().await;
    let (shop, _) = app.shop_with_owner(&admin, "先错后对的店", "G01").await;
    let id = shop["id"].as_i64().unwrap();
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let path = format!("/v1/shops/{id}/patrols");
    let key = "fix-and-retry";
    let mut wrong = finding(&app, "后门堆放杂物");
    wrong["findings"][0]["severity"] = json!("catastrophic");
    let refused = post_with_key(&app, &path, Some(&inspector), "10.0.0.5", key, &wrong).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let fixed = finding(&app, "后门堆放杂物");
    let accepted = post_with_key(&app, &path, Some(&inspector), "10.0.0.5", key, &fixed).await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.text);
    assert!(accepted.headers.get("idempotent-replayed").is_none());
    assert_eq!(hazard_count(&app, &admin, id).await, 1);

    // The same key sent to another route is another key.
    let code = shop["code"].as_str().unwrap();
    let review = post_with_key(
        &app,
        &format!("/v1/public/shops/{code}/reviews"),
        Some(&inspector),
        "10.0.0.5",
        key,
        &json!({"rating": 5}),
    )
    .await;
    assert_eq!(review.status, StatusCode::CREATED, "{}", review.text);
}

async fn a_bad_key_is_refused_before_anything_is_written(app: TestApp) {
    let admin = app.admin().await;
    let (shop, _) = app.shop_with_owner(&admin, "钥匙不对的店", "G01").await;
    let code = shop["code"].as_str().unwrap().to_owned();
    let path = format!("/v1/public/shops/{code}/reviews");
    let long = "k".repeat(256);
    for key in ["", long.as_str(), "有中文"] {
        let refused =
            post_with_key(&app, &path, None, "10.8.8.8", key, &json!({"rating": 4})).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{key:?}: {}",
            refused.text
        );
    }
    let stored = app
        .get(&format!("/v1/shops/{}/reviews", shop["id"]), Some(&admin))
        .await;
    assert_eq!(stored.body["items"].as_array().map(Vec::len), Some(0));
}

on_both_backends!(
    a_retried_patrol_is_recorded_once_and_answered_as_the_first_time,
    concurrent_retries_of_a_review_write_it_once,
    a_refused_request_lets_go_of_its_key_so_the_fixed_request_can_use_it,
    a_bad_key_is_refused_before_anything_is_written,
);

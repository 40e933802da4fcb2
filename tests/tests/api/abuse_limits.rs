//! Abuse limits hold under concurrency, on both databases: requests fired at once are counted
//! against the limit exactly as if they had come one after another.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, Answer, TestApp};

/// Sends every `(path, client address, body)` at once and answers in the same order.
async fn all_at_once(app: &TestApp, sends: &[(String, String, Value)]) -> Vec<Answer> {
    join_all(
        sends
            .iter()
            .map(|(path, ip, body)| app.post_as_client(path, ip, body)),
    )
    .await
}

/// How many answers were `201 Created`; every other one must be a `429` in the envelope with a
/// `Retry-After`.
fn accepted(answers: &[Answer]) -> usize {
    let mut created = 0;
    for answer in answers {
        if answer.status == StatusCode::CREATED {
            created += 1;
            continue;
        }
        assert_eq!(
            answer.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            answer.text
        );
        assert_eq!(answer.error_code(), Some("rate_limited"), "{}", answer.text);
        assert!(
            answer.headers.contains_key("retry-after"),
            "{}",
            answer.text
        );
    }
    created
}

async fn shop_codes(app: &TestApp, n: usize) -> Vec<String> {
    let admin = app.admin().await;
    let mut codes = Vec::with_capacity(n);
    for i in 0..n {
        let shop = app.create_shop(&admin, &format!("限流店{i}"), "G01").await;
        codes.push(shop["code"].as_str().unwrap().to_owned());
    }
    codes
}

async fn fifty_concurrent_reviews_of_one_shop_from_one_address_count_once(app: TestApp) {
    let codes = shop_codes(&app, 1).await;
    let path = format!("/v1/public/shops/{}/reviews", codes[0]);
    let sends: Vec<_> = (0..50)
        .map(|_| (path.clone(), "10.20.0.1".to_owned(), json!({"rating": 1})))
        .collect();
    let answers = all_at_once(&app, &sends).await;
    assert_eq!(
        accepted(&answers),
        1,
        "one review per client per shop a day"
    );
}

async fn fifty_concurrent_reviews_of_many_shops_from_one_address_stop_at_ten(app: TestApp) {
    let codes = shop_codes(&app, 50).await;
    let sends: Vec<_> = codes
        .iter()
        .map(|code| {
            (
                format!("/v1/public/shops/{code}/reviews"),
                "10.20.0.2".to_owned(),
                json!({"rating": 2}),
            )
        })
        .collect();
    let answers = all_at_once(&app, &sends).await;
    assert_eq!(accepted(&answers), 10, "ten reviews per client an hour");
}

async fn fifty_concurrent_tip_offs_from_one_address_stop_at_ten(app: TestApp) {
    let codes = shop_codes(&app, 5).await;
    let sends: Vec<_> = (0..50)
        .map(|i| {
            (
                format!("/v1/public/shops/{}/tips", codes[i % codes.len()]),
                "10.20.0.3".to_owned(),
                json!({"hazard_type": "fire", "description": format!("杂物 {i}")}),
            )
        })
        .collect();
    let answers = all_at_once(&app, &sends).await;
    assert_eq!(accepted(&answers), 10, "ten tip-offs per client an hour");
}

async fn fifty_concurrent_tip_offs_on_one_shop_from_fifty_addresses_stop_at_the_shop_cap(
    app: TestApp,
) {
    let codes = shop_codes(&app, 2).await;
    let path = format!("/v1/public/shops/{}/tips", codes[0]);
    let sends: Vec<_> = (0..50)
        .map(|i| {
            (
                path.clone(),
                format!("10.21.0.{}", i + 1),
                json!({"hazard_type": "fire", "description": format!("楼道堵塞 {i}")}),
            )
        })
        .collect();
    let answers = all_at_once(&app, &sends).await;
    assert_eq!(accepted(&answers), 20, "twenty tip-offs per shop an hour");
    let retry: u64 = answers
        .iter()
        .find(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .map(|a| a.headers["retry-after"].to_str().unwrap().parse().unwrap())
        .unwrap();
    assert!(retry > 0 && retry <= 3600, "retry within the hour: {retry}");

    let other_shop = format!("/v1/public/shops/{}/tips", codes[1]);
    let elsewhere = app
        .post_as_client(
            &other_shop,
            "10.21.0.1",
            &json!({"hazard_type": "fire", "description": "别家的杂物"}),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::CREATED, "the cap is per shop");

    app.advance(chrono::Duration::minutes(61));
    let next_hour = app
        .post_as_client(
            &path,
            "10.21.1.1",
            &json!({"hazard_type": "fire", "description": "一小时后"}),
        )
        .await;
    assert_eq!(next_hour.status, StatusCode::CREATED, "{}", next_hour.text);
}

on_both_backends!(
    fifty_concurrent_reviews_of_one_shop_from_one_address_count_once,
    fifty_concurrent_reviews_of_many_shops_from_one_address_stop_at_ten,
    fifty_concurrent_tip_offs_from_one_address_stop_at_ten,
    fifty_concurrent_tip_offs_on_one_shop_from_fifty_addresses_stop_at_the_shop_cap,
);

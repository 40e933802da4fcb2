//! Repeated bad bearer tokens from one address are throttled (per replica, in memory) and counted.

use futures_util::future::join_all;
use reqwest::StatusCode;
use shopcredit_e2e::{on_both_backends, Answer, TestApp};

const BAD: &str = "sc_not-a-token-anyone-was-given";

fn retry_after(answer: &Answer) -> u64 {
    answer.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn ten_bad_tokens_from_one_address_are_refused_and_the_next_is_throttled(app: TestApp) {
    for _ in 0..10 {
        let answer = app.get_as_client("/v1/shops", "10.40.0.1", Some(BAD)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.text);
    }
    let throttled = app.get_as_client("/v1/shops", "10.40.0.1", Some(BAD)).await;
    assert_eq!(
        throttled.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        throttled.text
    );
    assert_eq!(throttled.error_code(), Some("rate_limited"));
    let retry = retry_after(&throttled);
    assert!((1..=60).contains(&retry), "one more try a minute: {retry}");

    let elsewhere = app.get_as_client("/v1/shops", "10.40.0.2", Some(BAD)).await;
    assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED, "per address");
    let admin = app.admin().await;
    let colleague = app
        .get_as_client("/v1/shops", "10.40.0.1", Some(&admin))
        .await;
    assert_eq!(
        colleague.status,
        StatusCode::OK,
        "a valid token behind the same address still works: {}",
        colleague.text
    );
    let anonymous = app
        .get_as_client("/v1/public/shops", "10.40.0.1", None)
        .await;
    assert_eq!(
        anonymous.status,
        StatusCode::OK,
        "public routes are not throttled"
    );

    app.advance(chrono::Duration::seconds(61));
    let later = app.get_as_client("/v1/shops", "10.40.0.1", Some(BAD)).await;
    assert_eq!(later.status, StatusCode::UNAUTHORIZED, "{}", later.text);
    let again = app.get_as_client("/v1/shops", "10.40.0.1", Some(BAD)).await;
    assert_eq!(
        again.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        again.text
    );

    assert_eq!(
        app.counter("auth_failures_total", "outcome=\"rejected\"")
            .await,
        12
    );
    assert_eq!(
        app.counter("auth_failures_total", "outcome=\"throttled\"")
            .await,
        2
    );
}

async fn fifty_concurrent_bad_tokens_from_one_address_get_ten_answers_and_forty_refusals(
    app: TestApp,
) {
    let answers =
        join_all((0..50).map(|_| app.get_as_client("/v1/shops", "10.41.0.1", Some(BAD)))).await;
    let refused = answers
        .iter()
        .filter(|a| a.status == StatusCode::UNAUTHORIZED)
        .count();
    let throttled: Vec<_> = answers
        .iter()
        .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(refused, 10);
    assert_eq!(throttled.len(), 40);
    assert!(throttled
        .iter()
        .all(|a| a.error_code() == Some("rate_limited") && retry_after(a) >= 1));
}

on_both_backends!(
    ten_bad_tokens_from_one_address_are_refused_and_the_next_is_throttled,
    fifty_concurrent_bad_tokens_from_one_address_get_ten_answers_and_forty_refusals,
);

//! Reviews: a flood must not move a shop's rating by itself.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use shopcredit_e2e::{on_both_backends, TestApp};
use shopcredit_service::domain::role::Role;

async fn a_burst_of_reviews_is_recorded_held_and_left_out_until_cleared(app: TestApp) {
    let admin = app.admin().await;
    let (shop, owner) = app.shop_with_owner(&admin, "被刷评的店", "G01").await;
    let code = shop["code"].as_str().unwrap();
    let path = format!("/v1/public/shops/{code}/reviews");
    let sends = (0..200).map(|i| {
        let (app, path) = (&app, &path);
        async move {
            let ip = format!("10.{}.{}.{}", i / 250, (i / 10) % 25, i % 250 + 1);
            app.post_as_client(
                path,
                &ip,
                &json!({"rating": 1, "text": format!("差评 number {i}")}),
            )
            .await
        }
    });
    let answers = join_all(sends).await;
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    }
    let mut listed = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(
                &format!("/v1/shops/{}/reviews?limit=200{cursor}", shop["id"]),
                Some(&owner),
            )
            .await;
        listed.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(listed.len(), 200, "every review is recorded");
    assert!(
        listed
            .iter()
            .all(|r| r["status"] == "held" && r["hold_reason"] == "burst"),
        "every review of the burst is held, the first ones included"
    );
    let public = app.get(&format!("/v1/public/shops/{code}"), None).await;
    assert_eq!(public.body["rating"], json!({"average": null, "count": 0}));

    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let queue = app
        .get("/v1/reviews?status=held&limit=1", Some(&regulator))
        .await;
    let first = queue.body["items"][0]["id"].as_i64().unwrap();
    let cleared = app
        .post(
            &format!("/v1/reviews/{first}/clear"),
            Some(&regulator),
            &json!({}),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text);
    assert_eq!(cleared.body["status"], "counted");
    let public = app.get(&format!("/v1/public/shops/{code}"), None).await;
    assert_eq!(public.body["rating"], json!({"average": 1.0, "count": 1}));
}

async fn ordinary_reviews_count_at_once(app: TestApp) {
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "好评小馆", "G01").await;
    let path = format!(
        "/v1/public/shops/{}/reviews",
        shop["code"].as_str().unwrap()
    );
    for (ip, rating) in [("10.0.0.1", 5), ("10.0.0.2", 4)] {
        let answer = app
            .post_as_client(&path, ip, &json!({"rating": rating}))
            .await;
        assert_eq!(answer.body["status"], "counted", "{}", answer.text);
    }
    let public = app
        .get(
            &format!("/v1/public/shops/{}", shop["code"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(public.body["rating"], json!({"average": 4.5, "count": 2}));
}

async fn a_client_may_review_a_shop_once_a_day_and_ten_shops_an_hour(app: TestApp) {
    let admin = app.admin().await;
    let mut codes = Vec::new();
    for i in 0..11 {
        let shop = app.create_shop(&admin, &format!("店{i}"), "G01").await;
        codes.push(shop["code"].as_str().unwrap().to_owned());
    }
    let review = |code: &str| format!("/v1/public/shops/{code}/reviews");
    let first = app
        .post_as_client(&review(&codes[0]), "10.1.1.1", &json!({"rating": 5}))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = app
        .post_as_client(&review(&codes[0]), "10.1.1.1", &json!({"rating": 1}))
        .await;
    assert_eq!(
        again.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        again.text
    );
    assert_eq!(again.error_code(), Some("rate_limited"));
    let retry: u64 = again.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        retry > 3600 && retry <= 86_400,
        "retry after the day is over: {retry}"
    );
    for code in &codes[1..10] {
        let answer = app
            .post_as_client(&review(code), "10.1.1.1", &json!({"rating": 4}))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    }
    let eleventh = app
        .post_as_client(&review(&codes[10]), "10.1.1.1", &json!({"rating": 4}))
        .await;
    assert_eq!(eleventh.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = eleventh.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 3600, "{retry}");
    let someone_else = app
        .post_as_client(&review(&codes[10]), "10.2.2.2", &json!({"rating": 4}))
        .await;
    assert_eq!(
        someone_else.status,
        StatusCode::CREATED,
        "limits are per client"
    );
}

async fn a_client_cannot_dodge_limits_with_a_forged_forwarded_for(app: TestApp) {
    // Only a configured proxy's X-Forwarded-For is believed; this request comes straight from the
    // test client on 127.0.0.1 (a trusted proxy in tests), so forge the chain through an untrusted hop.
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "防刷店", "G01").await;
    let path = format!(
        "/v1/public/shops/{}/reviews",
        shop["code"].as_str().unwrap()
    );
    let first = app
        .post_as_client(&path, "10.3.3.3, 10.4.4.4", &json!({"rating": 5}))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let forged = app
        .post_as_client(&path, "10.9.9.9, 10.4.4.4", &json!({"rating": 5}))
        .await;
    assert_eq!(
        forged.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the nearest untrusted hop is the client"
    );
}

async fn duplicate_texts_are_held(app: TestApp) {
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "复制粘贴店", "G01").await;
    let code = shop["code"].as_str().unwrap();
    let path = format!("/v1/public/shops/{code}/reviews");
    let first = app
        .post_as_client(
            &path,
            "10.5.5.1",
            &json!({"rating": 1, "text": "Terrible, avoid!"}),
        )
        .await;
    assert_eq!(first.body["status"], "counted");
    let copy = app
        .post_as_client(
            &path,
            "10.5.5.2",
            &json!({"rating": 1, "text": "terrible avoid"}),
        )
        .await;
    assert_eq!(copy.status, StatusCode::CREATED);
    assert_eq!(copy.body["status"], "held");
    let public = app.get(&format!("/v1/public/shops/{code}"), None).await;
    assert_eq!(public.body["rating"]["count"], 1);
}

async fn tip_offs_are_limited_per_client(app: TestApp) {
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "举报店", "G01").await;
    let path = format!("/v1/public/shops/{}/tips", shop["code"].as_str().unwrap());
    let tip = json!({"hazard_type": "fire", "description": "楼道堆放杂物"});
    for _ in 0..10 {
        assert_eq!(
            app.post_as_client(&path, "10.6.6.6", &tip).await.status,
            StatusCode::CREATED
        );
    }
    let limited = app.post_as_client(&path, "10.6.6.6", &tip).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key("retry-after"));
}

on_both_backends!(
    a_burst_of_reviews_is_recorded_held_and_left_out_until_cleared,
    ordinary_reviews_count_at_once,
    a_client_may_review_a_shop_once_a_day_and_ten_shops_an_hour,
    a_client_cannot_dodge_limits_with_a_forged_forwarded_for,
    duplicate_texts_are_held,
    tip_offs_are_limited_per_client,
);

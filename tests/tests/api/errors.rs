//! Bad input of every kind is answered in the one error envelope.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, shop_body, Answer, TestApp};
use shopcredit_service::domain::role::Role;

fn with(field: &str, value: Value) -> Value {
    let mut body = shop_body("好味餐厅", "G01");
    body[field] = value;
    body
}

fn without(field: &str) -> Value {
    let mut body = shop_body("好味餐厅", "G01");
    body.as_object_mut().unwrap().remove(field);
    body
}

async fn invalid_shop_registrations_name_the_offending_field(app: TestApp) {
    let admin = app.admin().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("missing name", without("name"), "name"),
        ("missing grid", without("grid"), "grid"),
        ("blank name", with("name", json!("   ")), "name"),
        (
            "name too long",
            with("name", json!("店".repeat(101))),
            "name",
        ),
        ("name of wrong type", with("name", json!(5)), "name"),
        (
            "unknown category",
            with("category", json!("bakery")),
            "category",
        ),
        ("grid with spaces", with("grid", json!("G 01")), "grid"),
        ("latitude out of range", with("lat", json!(91.0)), "lat"),
        ("longitude out of range", with("lon", json!(-181)), "lon"),
        ("latitude without longitude", without("lon"), "lon"),
        (
            "phone with letters",
            with("owner_phone", json!("138-abc")),
            "owner_phone",
        ),
        (
            "unknown field",
            with("owner_id_card", json!("x")),
            "owner_id_card",
        ),
    ];
    for (what, body, field) in cases {
        let answer = app.post("/v1/shops", Some(&admin), &body).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            answer.text
        );
        assert_eq!(answer.error_code(), Some("validation_failed"), "{what}");
        assert_eq!(
            answer.error_fields(),
            vec![field.to_owned()],
            "{what}: {}",
            answer.text
        );
    }
    let listed = app.get("/v1/shops", Some(&admin)).await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        0,
        "nothing was stored"
    );
}

async fn every_invalid_field_is_reported_at_once(app: TestApp) {
    let admin = app.admin().await;
    let body = json!({
        "name": "", "address": "文三路 1 号", "category": "cafe", "grid": "G 1",
        "owner_name": "王芳", "owner_phone": "x"
    });
    let answer = app.post("/v1/shops", Some(&admin), &body).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        answer.error_fields(),
        vec!["category", "grid", "name", "owner_phone"]
    );
}

async fn invalid_shop_changes_name_the_offending_field(app: TestApp) {
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "好味餐厅", "G01").await;
    let path = format!("/v1/shops/{}", shop["id"]);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"name": ""}), "name"),
        (json!({"status": "deleted"}), "status"),
        (json!({"lat": 10.0}), "lat"),
        (json!({"id": 7}), "id"),
        (json!({"code": "AAAAAAAA"}), "code"),
    ];
    for (body, field) in cases {
        let answer = app.patch(&path, Some(&admin), &body).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            answer.text
        );
        assert_eq!(answer.error_fields(), vec![field.to_owned()], "{body}");
    }
}

async fn send_raw(app: &TestApp, token: &str, content_type: &str, body: Vec<u8>) -> Answer {
    let response = app
        .client
        .post(format!("{}/v1/shops", app.base_url))
        .bearer_auth(token)
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    TestApp::answer(response).await
}

async fn malformed_json_is_a_400_in_the_envelope(app: TestApp) {
    let admin = app.admin().await;
    let answer = send_raw(&app, &admin, "application/json", b"{\"name\": ".to_vec()).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.error_code(), Some("malformed_json"));
}

async fn a_body_that_is_not_json_is_a_415(app: TestApp) {
    let admin = app.admin().await;
    let answer = send_raw(&app, &admin, "text/plain", b"name=x".to_vec()).await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(answer.error_code(), Some("unsupported_media_type"));
}

async fn an_oversized_body_is_a_413(app: TestApp) {
    let admin = app.admin().await;
    let huge = serde_json::to_vec(&with("address", json!("x".repeat(200_000)))).unwrap();
    let answer = send_raw(&app, &admin, "application/json", huge).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.error_code(), Some("payload_too_large"));
}

async fn unknown_routes_and_methods_use_the_envelope(app: TestApp) {
    let unknown = app.get("/v1/nothing-here", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.error_code(), Some("unknown_route"));

    let wrong_method = app.call(Method::DELETE, "/v1/shops/1", None, None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.error_code(), Some("method_not_allowed"));
    assert_eq!(wrong_method.headers["allow"], "GET, HEAD, PATCH");

    let admin = app.admin().await;
    let not_a_number = app.get("/v1/shops/abc", Some(&admin)).await;
    assert_eq!(not_a_number.status, StatusCode::NOT_FOUND);
    assert_eq!(not_a_number.error_code(), Some("not_found"));
}

async fn bad_query_parameters_are_named(app: TestApp) {
    let admin = app.admin().await;
    let cases = [
        ("/v1/shops?limit=abc", "limit"),
        ("/v1/shops?limit=0", "limit"),
        ("/v1/shops?cursor=bogus", "cursor"),
        ("/v1/shops?category=bakery", "category"),
        ("/v1/shops?sort=name", "sort"),
        ("/v1/public/shops?limit=-1", "limit"),
    ];
    for (path, field) in cases {
        let answer = app.get(path, Some(&admin)).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            answer.text
        );
        assert_eq!(answer.error_fields(), vec![field.to_owned()], "{path}");
    }
}

async fn strings_longer_than_their_documented_bound_are_refused(app: TestApp) {
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let shop = app.create_shop(&admin, "甲店", "G01").await;
    let id = shop["id"].as_i64().unwrap();
    let long = |n: usize| "1".repeat(n);
    let reads = [
        (format!("/v1/shops?cursor={}", long(129)), "cursor"),
        (format!("/v1/events?after={}", long(21)), "after"),
        (format!("/v1/shops/{id}/score?as_of={}", long(41)), "as_of"),
    ];
    for (path, field) in reads {
        let answer = app.get(&path, Some(&regulator)).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            answer.text
        );
        assert_eq!(answer.error_fields(), vec![field.to_owned()], "{field}");
    }
    let patrol = |observed_at: String, item_id: String| {
        json!({"observed_at": observed_at, "kind": "grid_patrol", "findings": [{
            "hazard_type": "fire", "severity": "minor", "description": "x", "item_id": item_id}]})
    };
    let now = app.now().to_rfc3339();
    let writes = [
        (
            patrol(long(41), "fire.extinguisher_in_date".to_owned()),
            "observed_at",
        ),
        (patrol(now, "x".repeat(65)), "findings[0].item_id"),
    ];
    for (body, field) in writes {
        let path = format!("/v1/shops/{id}/patrols");
        let answer = app.post(&path, Some(&regulator), &body).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            answer.text
        );
        assert_eq!(answer.error_fields(), vec![field.to_owned()], "{field}");
    }
}

on_both_backends!(
    invalid_shop_registrations_name_the_offending_field,
    every_invalid_field_is_reported_at_once,
    invalid_shop_changes_name_the_offending_field,
    malformed_json_is_a_400_in_the_envelope,
    a_body_that_is_not_json_is_a_415,
    an_oversized_body_is_a_413,
    unknown_routes_and_methods_use_the_envelope,
    bad_query_parameters_are_named,
    strings_longer_than_their_documented_bound_are_refused,
);

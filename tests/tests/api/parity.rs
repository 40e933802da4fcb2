//! SQLite and PostgreSQL answer the same: nullable values on a reused connection, and text the
//! databases store differently.

use reqwest::StatusCode;
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, TestApp};
use shopcredit_service::domain::role::Role;

/// A shop registration without a location, as in the README.
fn shop_without_location(name: &str) -> Value {
    json!({
        "name": name,
        "address": format!("{name} 文三路 2 号"),
        "category": "restaurant",
        "grid": "G01",
        "owner_name": "王芳",
        "owner_phone": "13800138000"
    })
}

async fn a_shop_with_a_location_is_stored_on_a_reused_connection(app: TestApp) {
    let app = app.single_connection().await;
    let admin = app.admin().await;
    let bare = app
        .post(
            "/v1/shops",
            Some(&admin),
            &shop_without_location("无坐标小馆"),
        )
        .await;
    assert_eq!(bare.status, StatusCode::CREATED, "{}", bare.text);
    assert_eq!(bare.body["lat"], Value::Null);

    let mut located = shop_without_location("有坐标小馆");
    located["lat"] = json!(30.25);
    located["lon"] = json!(120.1);
    let placed = app.post("/v1/shops", Some(&admin), &located).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    assert_eq!(placed.body["lat"], json!(30.25));
    assert_eq!(placed.body["lon"], json!(120.1));
}

async fn a_location_can_be_cleared_and_set_again_on_a_reused_connection(app: TestApp) {
    let app = app.single_connection().await;
    let admin = app.admin().await;
    let shop = app
        .post(
            "/v1/shops",
            Some(&admin),
            &shop_without_location("搬家小馆"),
        )
        .await;
    let path = format!("/v1/shops/{}", shop.body["id"]);
    let cleared = app
        .patch(&path, Some(&admin), &json!({"lat": null, "lon": null}))
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text);
    let set = app
        .patch(&path, Some(&admin), &json!({"lat": 30.3, "lon": 120.2}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.body["lat"], json!(30.3));
    assert_eq!(set.body["lon"], json!(120.2));
}

/// Every other nullable value a resident or an inspector may leave out, left out first and then
/// given, on one connection: the first statement must not fix a parameter type the second breaks.
async fn optional_fields_left_out_then_given_are_stored_on_a_reused_connection(app: TestApp) {
    let app = app.single_connection().await;
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "可选字段小馆", "G01").await;
    let code = shop["code"].as_str().unwrap();
    let reviews = format!("/v1/public/shops/{code}/reviews");
    let tips = format!("/v1/public/shops/{code}/tips");
    let sends = [
        (&reviews, "10.1.0.1", json!({"rating": 4})),
        (
            &reviews,
            "10.1.0.2",
            json!({"rating": 5, "text": "干净 clean"}),
        ),
        (
            &tips,
            "10.1.0.3",
            json!({"hazard_type": "fire", "description": "灭火器过期"}),
        ),
        (
            &tips,
            "10.1.0.4",
            json!({"hazard_type": "fire", "description": "通道堵塞", "contact": "138"}),
        ),
    ];
    for (path, ip, body) in sends {
        let answer = app.post_as_client(path, ip, &body).await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{path} {body}: {}",
            answer.text
        );
    }
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let id = shop["id"].as_i64().unwrap();
    app.patrol(
        &inspector,
        id,
        app.now(),
        json!([{"hazard_type": "fire", "severity": "minor", "description": "杂物"}]),
    )
    .await;
    app.patrol(
        &inspector,
        id,
        app.now(),
        json!([{"hazard_type": "exits", "severity": "minor", "description": "杂物",
                "item_id": "exits.evacuation_routes_clear"}]),
    )
    .await;
}

/// Asserts a 422 in the envelope that names `field`.
fn assert_refused(answer: &shopcredit_e2e::Answer, field: &str, what: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        answer.text
    );
    assert_eq!(answer.error_code(), Some("validation_failed"), "{what}");
    assert_eq!(answer.error_fields(), vec![field.to_owned()], "{what}");
}

async fn a_nul_byte_in_free_text_from_residents_is_refused_on_both_databases(app: TestApp) {
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "空字符小馆", "G01").await;
    let code = shop["code"].as_str().unwrap();
    let reviews = format!("/v1/public/shops/{code}/reviews");
    let tips = format!("/v1/public/shops/{code}/tips");
    let cases = [
        (&reviews, json!({"rating": 3, "text": "好\u{0}吃"}), "text"),
        (
            &tips,
            json!({"hazard_type": "fire", "description": "A\u{0}B"}),
            "description",
        ),
        (
            &tips,
            json!({"hazard_type": "fire", "description": "杂物", "contact": "\u{0}"}),
            "contact",
        ),
    ];
    for (path, body, field) in cases {
        let answer = app.post_as_client(path, "10.30.0.1", &body).await;
        assert_refused(&answer, field, &body.to_string());
    }
    let search = app.get("/v1/public/shops?q=%00", None).await;
    assert_refused(&search, "q", "a search for NUL");
    let search = app.get("/v1/public/shops?q=%E5%B0%8F%00", None).await;
    assert_refused(&search, "q", "a search with NUL inside");

    for path in ["/v1/public/tips/A%00B", "/v1/public/shops/AB%00CDEFG"] {
        let answer = app.get(path, None).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            answer.text
        );
        assert_eq!(answer.error_code(), Some("not_found"), "{path}");
    }
}

async fn a_nul_byte_in_free_text_from_staff_is_refused_on_both_databases(app: TestApp) {
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "空字符登记", "G01").await;
    let id = shop["id"].as_i64().unwrap();
    let mut registration = shop_without_location("正常名字");
    registration["name"] = json!("名字\u{0}");
    let created = app.post("/v1/shops", Some(&admin), &registration).await;
    assert_refused(&created, "name", "a shop name with NUL");
    registration["name"] = json!("正常名字");
    registration["address"] = json!("文三路\u{0}");
    let created = app.post("/v1/shops", Some(&admin), &registration).await;
    assert_refused(&created, "address", "an address with NUL");

    let renamed = app
        .patch(
            &format!("/v1/shops/{id}"),
            Some(&admin),
            &json!({"name": "\u{0}"}),
        )
        .await;
    assert_refused(&renamed, "name", "a PATCH with NUL");

    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let patrol = json!({"observed_at": app.now().to_rfc3339(), "kind": "grid_patrol", "findings": [
        {"hazard_type": "fire", "severity": "minor", "description": "杂\u{0}物"}]});
    let answer = app
        .post(
            &format!("/v1/shops/{id}/patrols"),
            Some(&inspector),
            &patrol,
        )
        .await;
    assert_refused(&answer, "findings[0].description", "a finding with NUL");

    let listed = app.get("/v1/shops?q=%00", Some(&admin)).await;
    assert_refused(&listed, "q", "a shop list search for NUL");
}

on_both_backends!(
    a_shop_with_a_location_is_stored_on_a_reused_connection,
    a_location_can_be_cleared_and_set_again_on_a_reused_connection,
    optional_fields_left_out_then_given_are_stored_on_a_reused_connection,
    a_nul_byte_in_free_text_from_residents_is_refused_on_both_databases,
    a_nul_byte_in_free_text_from_staff_is_refused_on_both_databases,
);

//! What residents see: public fields only.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;
use shopcredit_e2e::{on_both_backends, TestApp};

/// Exactly these fields may be shown to anyone: no owner contact, no internal id, no token.
const PUBLIC_FIELDS: &[&str] = &[
    "address",
    "category",
    "code",
    "colour",
    "last_inspection_at",
    "lat",
    "lon",
    "name",
    "provisional",
    "public_url",
    "rating",
    "reasons",
    "score",
    "status",
];

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn assert_public_only(v: &Value, owner_phone: &str) {
    let expected: BTreeSet<String> = PUBLIC_FIELDS.iter().map(|s| s.to_string()).collect();
    assert_eq!(keys(v), expected);
    let text = v.to_string();
    assert!(!text.contains(owner_phone), "owner phone leaked: {text}");
    assert!(!text.contains("王芳"), "owner name leaked: {text}");
    assert!(!text.contains("sc_"), "token leaked: {text}");
}

async fn the_public_view_carries_no_private_field(app: TestApp) {
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "公开小馆", "G01").await;
    let code = shop["code"].as_str().unwrap();
    let phone = shop["owner_phone"].as_str().unwrap();

    let by_code = app.get(&format!("/v1/public/shops/{code}"), None).await;
    assert_eq!(by_code.status, StatusCode::OK);
    assert_public_only(&by_code.body, phone);
    assert_eq!(by_code.body["name"], "公开小馆");

    let search = app.get("/v1/public/shops?q=公开", None).await;
    let items = search.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_public_only(&items[0], phone);
}

async fn door_codes_are_looked_up_case_insensitively(app: TestApp) {
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "小写也行", "G01").await;
    let code = shop["code"].as_str().unwrap().to_lowercase();
    let answer = app.get(&format!("/v1/public/shops/{code}"), None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["code"], shop["code"]);
}

async fn unknown_and_malformed_codes_are_404(app: TestApp) {
    for code in ["ABCDEFGH", "0000", "x"] {
        let answer = app.get(&format!("/v1/public/shops/{code}"), None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{code}");
        assert_eq!(answer.error_code(), Some("not_found"));
    }
}

on_both_backends!(
    the_public_view_carries_no_private_field,
    door_codes_are_looked_up_case_insensitively,
    unknown_and_malformed_codes_are_404,
);

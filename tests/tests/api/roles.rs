//! What each role sees of the shops (the full table of who may call what is
//! authorization_matrix.rs).

use reqwest::StatusCode;
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, TestApp};
use shopcredit_service::domain::role::Role;

struct Callers {
    owner_a: String,
    owner_b: String,
    inspector_g01: String,
    inspector_g02: String,
    regulator: String,
    admin: String,
}

async fn setup(app: &TestApp) -> (Value, Value, Callers) {
    let admin = app.admin().await;
    let a = app.create_shop(&admin, "甲餐馆", "G01").await;
    let b = app.create_shop(&admin, "乙超市", "G02").await;
    let id = |s: &Value| s["id"].as_i64().unwrap();
    let callers = Callers {
        owner_a: app.token(Role::Owner, &[id(&a)], &[]).await,
        owner_b: app.token(Role::Owner, &[id(&b)], &[]).await,
        inspector_g01: app.token(Role::Inspector, &[], &["G01"]).await,
        inspector_g02: app.token(Role::Inspector, &[], &["G02"]).await,
        regulator: app.token(Role::Regulator, &[], &[]).await,
        admin,
    };
    (a, b, callers)
}

fn ids(answer: &shopcredit_e2e::Answer) -> Vec<i64> {
    answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect()
}

async fn each_role_lists_only_the_shops_it_may_see(app: TestApp) {
    let (a, b, c) = setup(&app).await;
    let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let list = |t: String| {
        let app = &app;
        async move { ids(&app.get("/v1/shops", Some(&t)).await) }
    };
    assert_eq!(list(c.owner_a.clone()).await, vec![a]);
    assert_eq!(list(c.owner_b.clone()).await, vec![b]);
    assert_eq!(list(c.inspector_g01.clone()).await, vec![a]);
    assert_eq!(list(c.inspector_g02.clone()).await, vec![b]);
    assert_eq!(list(c.regulator.clone()).await, vec![a, b]);
    assert_eq!(list(c.admin.clone()).await, vec![a, b]);
}

async fn an_owner_cannot_read_or_change_another_owners_shop(app: TestApp) {
    let (a, _b, c) = setup(&app).await;
    let path = format!("/v1/shops/{}", a["id"]);
    let read = app.get(&path, Some(&c.owner_b)).await;
    assert_eq!(read.status, StatusCode::NOT_FOUND);
    assert_eq!(read.error_code(), Some("not_found"));
    let change = app
        .patch(&path, Some(&c.owner_b), &json!({"name": "被改了"}))
        .await;
    assert_eq!(change.status, StatusCode::NOT_FOUND);
    let unchanged = app.get(&path, Some(&c.admin)).await;
    assert_eq!(unchanged.body["name"], "甲餐馆");
    // A shop that does not exist looks the same as one the owner may not see.
    let missing = app.get("/v1/shops/999999", Some(&c.owner_b)).await;
    assert_eq!(missing.status, read.status);
    assert_eq!(missing.body, read.body);
}

async fn a_revoked_token_is_refused(app: TestApp) {
    let admin = app.admin().await;
    assert_eq!(
        app.get("/v1/shops", Some(&admin)).await.status,
        StatusCode::OK
    );
    let prefix: String = admin.chars().take(11).collect();
    assert_eq!(app.store.revoke_token(&prefix, 1).await.unwrap(), 1);
    let refused = app.get("/v1/shops", Some(&admin)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.error_code(), Some("unauthenticated"));
    assert_eq!(refused.headers["www-authenticate"], "Bearer");
}

on_both_backends!(
    each_role_lists_only_the_shops_it_may_see,
    an_owner_cannot_read_or_change_another_owners_shop,
    a_revoked_token_is_refused,
);

//! Every role against every shop route, as a table of expected statuses.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, shop_body, TestApp};
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

/// (method, path, body, caller, expected status)
type Case<'a> = (
    Method,
    &'a str,
    Option<&'a Value>,
    Option<&'a str>,
    StatusCode,
);

async fn every_role_gets_the_expected_status_on_every_shop_route(app: TestApp) {
    let (a, _b, c) = setup(&app).await;
    let shop_a = format!("/v1/shops/{}", a["id"]);
    let public_a = format!("/v1/public/shops/{}", a["code"].as_str().unwrap());
    // Posted twice below (by a regulator, then an admin): the second is the same shop again, so it
    // says so, or it would be refused as a likely duplicate.
    let mut new_shop = shop_body("新店", "G03");
    new_shop["confirm_duplicate"] = serde_json::json!(true);
    let change = json!({"address": "文三路 2 号"});
    let bad = "sc_not-a-real-token";
    use StatusCode as S;
    let table: Vec<Case> = vec![
        (
            Method::POST,
            "/v1/shops",
            Some(&new_shop),
            None,
            S::UNAUTHORIZED,
        ),
        (
            Method::POST,
            "/v1/shops",
            Some(&new_shop),
            Some(bad),
            S::UNAUTHORIZED,
        ),
        (
            Method::POST,
            "/v1/shops",
            Some(&new_shop),
            Some(&c.owner_a),
            S::FORBIDDEN,
        ),
        (
            Method::POST,
            "/v1/shops",
            Some(&new_shop),
            Some(&c.inspector_g01),
            S::FORBIDDEN,
        ),
        (
            Method::POST,
            "/v1/shops",
            Some(&new_shop),
            Some(&c.regulator),
            S::CREATED,
        ),
        (
            Method::POST,
            "/v1/shops",
            Some(&new_shop),
            Some(&c.admin),
            S::CREATED,
        ),
        (Method::GET, &shop_a, None, None, S::UNAUTHORIZED),
        (Method::GET, &shop_a, None, Some(bad), S::UNAUTHORIZED),
        (Method::GET, &shop_a, None, Some(&c.owner_a), S::OK),
        (Method::GET, &shop_a, None, Some(&c.owner_b), S::NOT_FOUND),
        (Method::GET, &shop_a, None, Some(&c.inspector_g01), S::OK),
        (
            Method::GET,
            &shop_a,
            None,
            Some(&c.inspector_g02),
            S::NOT_FOUND,
        ),
        (Method::GET, &shop_a, None, Some(&c.regulator), S::OK),
        (Method::GET, &shop_a, None, Some(&c.admin), S::OK),
        (Method::PATCH, &shop_a, Some(&change), None, S::UNAUTHORIZED),
        (
            Method::PATCH,
            &shop_a,
            Some(&change),
            Some(bad),
            S::UNAUTHORIZED,
        ),
        (
            Method::PATCH,
            &shop_a,
            Some(&change),
            Some(&c.owner_a),
            S::FORBIDDEN,
        ),
        (
            Method::PATCH,
            &shop_a,
            Some(&change),
            Some(&c.owner_b),
            S::NOT_FOUND,
        ),
        (
            Method::PATCH,
            &shop_a,
            Some(&change),
            Some(&c.inspector_g01),
            S::FORBIDDEN,
        ),
        (
            Method::PATCH,
            &shop_a,
            Some(&change),
            Some(&c.inspector_g02),
            S::NOT_FOUND,
        ),
        (
            Method::PATCH,
            &shop_a,
            Some(&change),
            Some(&c.regulator),
            S::OK,
        ),
        (Method::PATCH, &shop_a, Some(&change), Some(&c.admin), S::OK),
        (Method::GET, "/v1/shops", None, None, S::UNAUTHORIZED),
        (Method::GET, "/v1/shops", None, Some(bad), S::UNAUTHORIZED),
        (Method::GET, "/v1/shops", None, Some(&c.owner_a), S::OK),
        (
            Method::GET,
            "/v1/shops",
            None,
            Some(&c.inspector_g01),
            S::OK,
        ),
        (Method::GET, "/v1/shops", None, Some(&c.regulator), S::OK),
        (Method::GET, "/v1/shops", None, Some(&c.admin), S::OK),
        (Method::GET, &public_a, None, None, S::OK),
        (Method::GET, &public_a, None, Some(&c.owner_b), S::OK),
        (Method::GET, "/v1/public/shops?q=餐", None, None, S::OK),
    ];
    for (method, path, body, caller, expected) in table {
        let answer = app.call(method.clone(), path, caller, body).await;
        assert_eq!(
            answer.status, expected,
            "{method} {path} as {caller:?}: {}",
            answer.text
        );
        if !answer.status.is_success() {
            assert!(
                answer.error_code().is_some(),
                "no envelope: {}",
                answer.text
            );
        }
    }
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
    every_role_gets_the_expected_status_on_every_shop_route,
    each_role_lists_only_the_shops_it_may_see,
    an_owner_cannot_read_or_change_another_owners_shop,
    a_revoked_token_is_refused,
);

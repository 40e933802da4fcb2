//! Access is decided before a body or query is looked at: a caller who may not see a shop gets the
//! same 404 whatever it sends (no oracle of existence or of validation rules), and a caller without
//! the role gets 401 or 403, never a validation error about a request it may not make anyway.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, Answer, TestApp};
use shopcredit_service::domain::role::Role;

/// What a caller sends: a JSON body, raw bytes that are not JSON, or nothing (a GET with a query).
enum Sent {
    Json(Value),
    Raw(&'static str),
    Nothing,
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    sent: &Sent,
) -> Answer {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.base_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request = match sent {
        Sent::Json(body) => request.json(body),
        Sent::Raw(text) => request
            .header("content-type", "application/json")
            .body(*text),
        Sent::Nothing => request,
    };
    TestApp::answer(request.send().await.expect("request sent")).await
}

/// Bodies and queries that fail validation (or parsing) on any of the routes below.
fn invalid_bodies() -> Vec<(&'static str, Sent)> {
    vec![
        ("an empty object", Sent::Json(json!({}))),
        (
            "fields of the wrong type",
            Sent::Json(json!({"answers": "x", "note": 5, "outcome": []})),
        ),
        ("an unknown field", Sent::Json(json!({"sneaky": true}))),
        ("malformed JSON", Sent::Raw("{\"answers\": [")),
    ]
}

async fn a_caller_who_may_not_see_the_shop_gets_404_whatever_the_body(app: TestApp) {
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let (_mine, owner_a) = app.shop_with_owner(&admin, "甲店", "G01").await;
    let (theirs, _owner_b) = app.shop_with_owner(&admin, "乙店", "G02").await;
    let inspector_g01 = app.token(Role::Inspector, &[], &["G01"]).await;
    let b = theirs["id"].as_i64().unwrap();
    let finding =
        json!([{"hazard_type": "fire", "severity": "major", "description": "灭火器过期"}]);
    let patrol = app.patrol(&regulator, b, app.now(), finding).await;
    let hazard = patrol.body["hazards"][0]["id"].as_i64().unwrap();
    let routes = [
        format!("/v1/shops/{b}/self-checks"),
        format!("/v1/shops/{b}/patrols"),
        format!("/v1/shops/{b}/disputes"),
        format!("/v1/hazards/{hazard}/rectifications"),
        format!("/v1/hazards/{hazard}/verifications"),
    ];
    let nothing_there = |path: &str| {
        path.replace(&format!("/{b}/"), "/999999/")
            .replace(&format!("/{hazard}/"), "/999999/")
    };
    for caller in [&owner_a, &inspector_g01] {
        for path in &routes {
            // What a caller sees for a shop or hazard that does not exist at all.
            let missing = send(
                &app,
                Method::POST,
                &nothing_there(path),
                Some(caller),
                &Sent::Json(json!({})),
            )
            .await;
            assert_eq!(
                missing.status,
                StatusCode::NOT_FOUND,
                "{path}: {}",
                missing.text
            );
            for (what, body) in invalid_bodies() {
                let answer = send(&app, Method::POST, path, Some(caller), &body).await;
                assert_eq!(
                    answer.status,
                    StatusCode::NOT_FOUND,
                    "POST {path} with {what}: {}",
                    answer.text
                );
                assert_eq!(answer.body, missing.body, "POST {path} with {what}");
            }
        }
    }
}

async fn a_caller_who_may_not_see_the_shop_gets_404_whatever_the_query(app: TestApp) {
    let admin = app.admin().await;
    let (_mine, owner_a) = app.shop_with_owner(&admin, "甲店", "G01").await;
    let (theirs, _owner_b) = app.shop_with_owner(&admin, "乙店", "G02").await;
    let b = theirs["id"].as_i64().unwrap();
    let queries = [
        format!("/v1/shops/{b}/hazards?limit=0"),
        format!("/v1/shops/{b}/score?as_of=yesterday"),
        format!("/v1/shops/{b}/reviews?bogus=1"),
        format!("/v1/shops/{b}/notices?cursor=%%%"),
    ];
    let missing = app.get("/v1/shops/999999", Some(&owner_a)).await;
    for path in &queries {
        let answer = send(&app, Method::GET, path, Some(&owner_a), &Sent::Nothing).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "GET {path}: {}",
            answer.text
        );
        assert_eq!(answer.body, missing.body, "GET {path}");
    }
}

async fn a_caller_without_the_role_gets_401_or_403_whatever_the_body(app: TestApp) {
    let admin = app.admin().await;
    let (_shop, owner) = app.shop_with_owner(&admin, "甲店", "G01").await;
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let routes = [
        "/v1/shops",
        "/v1/grids",
        "/v1/reviews/decisions",
        "/v1/enforcement/cases/1/actions",
        "/v1/disputes/1/resolve",
    ];
    let callers = [
        (Some(owner.as_str()), StatusCode::FORBIDDEN),
        (Some(inspector.as_str()), StatusCode::FORBIDDEN),
        (Some("sc_not-a-real-token"), StatusCode::UNAUTHORIZED),
        (None, StatusCode::UNAUTHORIZED),
    ];
    for path in routes {
        for (caller, expected) in callers {
            for (what, body) in invalid_bodies() {
                let answer = send(&app, Method::POST, path, caller, &body).await;
                assert_eq!(
                    answer.status, expected,
                    "POST {path} as {caller:?} with {what}: {}",
                    answer.text
                );
            }
        }
    }
    let listing = send(
        &app,
        Method::GET,
        "/v1/reviews?limit=0",
        Some(&owner),
        &Sent::Nothing,
    )
    .await;
    assert_eq!(listing.status, StatusCode::FORBIDDEN, "{}", listing.text);
}

on_both_backends!(
    a_caller_who_may_not_see_the_shop_gets_404_whatever_the_body,
    a_caller_who_may_not_see_the_shop_gets_404_whatever_the_query,
    a_caller_without_the_role_gets_401_or_403_whatever_the_body,
);

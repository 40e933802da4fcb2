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

/// Each request comes from its own address, so the bad-token throttle (ten per address) never
/// answers before the access rules under test do.
fn next_address() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("10.77.{}.{}", (n >> 8) & 0xff, n & 0xff)
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
        .request(method, format!("{}{path}", app.base_url))
        .header("x-forwarded-for", next_address());
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

/// Shop A (G01) and shop B (G02) with their owners, an inspector of each grid, a regulator, and on
/// each shop a hazard and a tip-off.
struct World {
    owner_a: String,
    inspector_g01: String,
    regulator: String,
    a: i64,
    b: i64,
    hazard_a: i64,
    hazard_b: i64,
    tip_a: i64,
    tip_b: i64,
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let (shop_a, owner_a) = app.shop_with_owner(&admin, "甲店", "G01").await;
    let (shop_b, _owner_b) = app.shop_with_owner(&admin, "乙店", "G02").await;
    let mut hazards = Vec::new();
    let mut tips = Vec::new();
    for (i, shop) in [&shop_a, &shop_b].into_iter().enumerate() {
        let id = shop["id"].as_i64().unwrap();
        let finding =
            json!([{"hazard_type": "fire", "severity": "major", "description": "灭火器过期"}]);
        let patrol = app.patrol(&regulator, id, app.now(), finding).await;
        hazards.push(patrol.body["hazards"][0]["id"].as_i64().unwrap());
        let code = shop["code"].as_str().unwrap();
        let tip = json!({"hazard_type": "gas", "description": "煤气味"});
        let path = format!("/v1/public/shops/{code}/tips");
        let sent = app
            .post_as_client(&path, &format!("10.7.7.{i}"), &tip)
            .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
        let listed = app.get("/v1/tips", Some(&regulator)).await;
        let tip_id = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["shop_id"] == id)
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        tips.push(tip_id);
    }
    World {
        owner_a,
        inspector_g01: app.token(Role::Inspector, &[], &["G01"]).await,
        regulator,
        a: shop_a["id"].as_i64().unwrap(),
        b: shop_b["id"].as_i64().unwrap(),
        hazard_a: hazards[0],
        hazard_b: hazards[1],
        tip_a: tips[0],
        tip_b: tips[1],
    }
}

async fn a_caller_who_may_not_see_the_shop_gets_404_whatever_the_body(app: TestApp) {
    let w = world(&app).await;
    // Each route on shop B's records, and the same route on a record that does not exist.
    let routes = |id: i64, hazard: i64, tip: i64| {
        vec![
            (Method::POST, format!("/v1/shops/{id}/self-checks")),
            (Method::POST, format!("/v1/shops/{id}/patrols")),
            (Method::POST, format!("/v1/shops/{id}/disputes")),
            (Method::PATCH, format!("/v1/shops/{id}")),
            (Method::POST, format!("/v1/hazards/{hazard}/rectifications")),
            (Method::POST, format!("/v1/hazards/{hazard}/verifications")),
            (Method::POST, format!("/v1/tips/{tip}/verify")),
            (Method::POST, format!("/v1/tips/{tip}/dismiss")),
        ]
    };
    let theirs = routes(w.b, w.hazard_b, w.tip_b);
    let nowhere = routes(999_999, 999_999, 999_999);
    for caller in [&w.owner_a, &w.inspector_g01] {
        for ((method, path), (_, missing_path)) in theirs.iter().zip(&nowhere) {
            // What this caller gets for a record that does not exist at all: 404, or 403 where
            // its role may not use the route on any record (an owner verifying a tip).
            let empty = Sent::Json(json!({}));
            let missing = send(&app, method.clone(), missing_path, Some(caller), &empty).await;
            assert!(
                [StatusCode::NOT_FOUND, StatusCode::FORBIDDEN].contains(&missing.status),
                "{method} {missing_path}: {}",
                missing.text
            );
            for (what, body) in invalid_bodies() {
                let answer = send(&app, method.clone(), path, Some(caller), &body).await;
                assert_eq!(
                    answer.status, missing.status,
                    "{method} {path} with {what}: {}",
                    answer.text
                );
                assert_eq!(answer.body, missing.body, "{method} {path} with {what}");
            }
        }
    }
}

async fn a_caller_who_sees_the_shop_but_lacks_the_role_gets_403_whatever_the_body(app: TestApp) {
    let w = world(&app).await;
    let (a, hazard, tip) = (w.a, w.hazard_a, w.tip_a);
    let cases = [
        (&w.owner_a, Method::POST, format!("/v1/shops/{a}/patrols")),
        (&w.owner_a, Method::PATCH, format!("/v1/shops/{a}")),
        (
            &w.owner_a,
            Method::POST,
            format!("/v1/hazards/{hazard}/verifications"),
        ),
        (&w.owner_a, Method::POST, format!("/v1/tips/{tip}/verify")),
        (&w.owner_a, Method::POST, format!("/v1/tips/{tip}/dismiss")),
        (
            &w.inspector_g01,
            Method::POST,
            format!("/v1/shops/{a}/self-checks"),
        ),
        (
            &w.inspector_g01,
            Method::POST,
            format!("/v1/shops/{a}/disputes"),
        ),
        (&w.inspector_g01, Method::PATCH, format!("/v1/shops/{a}")),
        (
            &w.inspector_g01,
            Method::POST,
            format!("/v1/hazards/{hazard}/rectifications"),
        ),
        (
            &w.regulator,
            Method::POST,
            format!("/v1/shops/{a}/self-checks"),
        ),
        (
            &w.regulator,
            Method::POST,
            format!("/v1/shops/{a}/disputes"),
        ),
        (
            &w.regulator,
            Method::POST,
            format!("/v1/hazards/{hazard}/rectifications"),
        ),
    ];
    for (caller, method, path) in cases {
        for (what, body) in invalid_bodies() {
            let answer = send(&app, method.clone(), &path, Some(caller), &body).await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{method} {path} with {what}: {}",
                answer.text
            );
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
    a_caller_who_sees_the_shop_but_lacks_the_role_gets_403_whatever_the_body,
    a_caller_who_may_not_see_the_shop_gets_404_whatever_the_query,
    a_caller_without_the_role_gets_401_or_403_whatever_the_body,
);

//! The authorization matrix: every operation of the served OpenAPI document, called by every kind
//! of caller, answers what the matrix says — allowed, 401, 403 or 404. An operation the document
//! has and the matrix does not (a new route) fails the test, and so does a stale entry.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, shop_body, Answer, TestApp};
use shopcredit_service::domain::role::Role;

/// Who calls.
#[derive(Debug, Clone, Copy)]
enum Caller {
    Anonymous,
    /// A bearer token that was never issued.
    BadToken,
    /// The owner of shop A, the shop the operation is about.
    OwnerOfShop,
    OwnerOfAnotherShop,
    /// An inspector of G01, shop A's grid.
    InspectorOfGrid,
    InspectorOfAnotherGrid,
    Regulator,
    Admin,
}

/// The columns of [`MATRIX`], in order.
const CALLERS: [Caller; 8] = [
    Caller::Anonymous,
    Caller::BadToken,
    Caller::OwnerOfShop,
    Caller::OwnerOfAnotherShop,
    Caller::InspectorOfGrid,
    Caller::InspectorOfAnotherGrid,
    Caller::Regulator,
    Caller::Admin,
];

/// What a caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Allowed: a 2xx (each call that changes a record gets a fresh one, so none conflicts).
    A,
    /// 401: no valid token.
    U,
    /// 403: the caller may see the record but its role may not use the route.
    F,
    /// 404: the caller may not see the record, which is answered as if it did not exist.
    N,
}
use Outcome::{A, F, N, U};

/// District staff only (regulators and admins).
const DISTRICT: [Outcome; 8] = [U, U, F, F, F, F, A, A];
/// Anyone, token or not: the public and operational routes.
const ANYONE: [Outcome; 8] = [A; 8];
/// Any valid token.
const SIGNED_IN: [Outcome; 8] = [U, U, A, A, A, A, A, A];
/// Reading shop A or its records: whoever may see the shop.
const SEES_SHOP: [Outcome; 8] = [U, U, A, N, A, N, A, A];
/// Writing as shop A's owner (self-checks, disputes, rectifications).
const OWNER_WRITES: [Outcome; 8] = [U, U, A, N, F, N, F, F];
/// Writing as field staff on shop A (patrols, verifications).
const FIELD_WRITES: [Outcome; 8] = [U, U, F, N, A, N, A, A];
/// Lists for field staff, scoped to their grids (hazard queue, tip-offs).
const FIELD_LISTS: [Outcome; 8] = [U, U, F, F, A, A, A, A];
/// Acting on a tip-off about shop A: field staff who see the shop; owners never handle tips.
const TIP_WRITES: [Outcome; 8] = [U, U, F, F, A, N, A, A];

/// Every operation (`METHOD /path` as the document spells it) and what each caller gets, in the
/// order of [`CALLERS`].
const MATRIX: &[(&str, [Outcome; 8])] = &[
    ("GET /healthz", ANYONE),
    ("GET /readyz", ANYONE),
    ("GET /metrics", ANYONE),
    ("GET /v1/public/how-scores-work", ANYONE),
    ("GET /v1/public/shops", ANYONE),
    ("GET /v1/public/shops/{code}", ANYONE),
    ("POST /v1/public/shops/{code}/reviews", ANYONE),
    ("POST /v1/public/shops/{code}/tips", ANYONE),
    ("GET /v1/public/tips/{receipt}", ANYONE),
    ("GET /v1/grids", SIGNED_IN),
    ("POST /v1/grids", DISTRICT),
    ("GET /v1/shops", SIGNED_IN),
    ("POST /v1/shops", DISTRICT),
    ("GET /v1/shops/{id}", SEES_SHOP),
    ("PATCH /v1/shops/{id}", [U, U, F, N, F, N, A, A]),
    ("GET /v1/shops/{id}/alerts", SEES_SHOP),
    ("GET /v1/shops/{id}/checklist", SEES_SHOP),
    ("GET /v1/shops/{id}/disputes", SEES_SHOP),
    ("POST /v1/shops/{id}/disputes", OWNER_WRITES),
    ("GET /v1/shops/{id}/events", SEES_SHOP),
    ("GET /v1/shops/{id}/hazards", SEES_SHOP),
    ("GET /v1/shops/{id}/notices", SEES_SHOP),
    ("POST /v1/shops/{id}/patrols", FIELD_WRITES),
    ("GET /v1/shops/{id}/reviews", SEES_SHOP),
    ("GET /v1/shops/{id}/score", SEES_SHOP),
    ("GET /v1/shops/{id}/score/history", SEES_SHOP),
    ("POST /v1/shops/{id}/self-checks", OWNER_WRITES),
    ("GET /v1/hazards", FIELD_LISTS),
    ("GET /v1/hazards/{id}", SEES_SHOP),
    ("POST /v1/hazards/{id}/rectifications", OWNER_WRITES),
    ("POST /v1/hazards/{id}/verifications", FIELD_WRITES),
    ("GET /v1/tips", FIELD_LISTS),
    ("POST /v1/tips/{id}/verify", TIP_WRITES),
    ("POST /v1/tips/{id}/dismiss", TIP_WRITES),
    ("GET /v1/reviews", DISTRICT),
    ("POST /v1/reviews/decisions", DISTRICT),
    ("POST /v1/reviews/{id}/clear", DISTRICT),
    ("GET /v1/disputes", DISTRICT),
    ("POST /v1/disputes/{id}/resolve", DISTRICT),
    ("GET /v1/policies", DISTRICT),
    ("POST /v1/policies", DISTRICT),
    ("GET /v1/policies/current", DISTRICT),
    ("GET /v1/policies/{version}", DISTRICT),
    ("POST /v1/policies/{version}/backtest", DISTRICT),
    ("POST /v1/policies/{version}/adopt", DISTRICT),
    ("GET /v1/jobs/{id}", DISTRICT),
    ("GET /v1/enforcement/cases", DISTRICT),
    ("GET /v1/enforcement/cases/{id}", DISTRICT),
    ("POST /v1/enforcement/cases/{id}/actions", DISTRICT),
    ("GET /v1/events", DISTRICT),
];

/// The callers' tokens, shop A (G01) and the records every call can share.
struct World {
    owner_a: String,
    owner_b: String,
    inspector_g01: String,
    inspector_g02: String,
    regulator: String,
    admin: String,
    a: i64,
    code_a: String,
    hazard_a: i64,
    answers_a: Vec<Value>,
    case: i64,
    policy: Value,
    job: String,
    receipt: String,
    /// Numbers fresh names and client addresses, so no call trips a duplicate check or a per-client
    /// limit meant for people.
    counter: AtomicU32,
}

impl World {
    fn token(&self, caller: Caller) -> Option<&str> {
        match caller {
            Caller::Anonymous => None,
            Caller::BadToken => Some("sc_never-issued-to-anyone"),
            Caller::OwnerOfShop => Some(&self.owner_a),
            Caller::OwnerOfAnotherShop => Some(&self.owner_b),
            Caller::InspectorOfGrid => Some(&self.inspector_g01),
            Caller::InspectorOfAnotherGrid => Some(&self.inspector_g02),
            Caller::Regulator => Some(&self.regulator),
            Caller::Admin => Some(&self.admin),
        }
    }

    fn next(&self) -> u32 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A client address of its own for one call.
    fn client(&self) -> String {
        let n = self.next();
        format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
    }
}

fn critical() -> Value {
    json!([{"hazard_type": "exits", "severity": "critical", "description": "安全出口上锁"}])
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    // An enforcement case, on a shop of its own: a critical hazard climbs the ladder (as in
    // enforcement.rs), which moves the clock two weeks on before anything else is made.
    let (shop_c, _) = app.shop_with_owner(&admin, "案件店", "G03").await;
    let c = shop_c["id"].as_i64().unwrap();
    app.patrol(&regulator, c, app.now() - Duration::days(16), critical())
        .await;
    for gap in [0, 72, 96, 168] {
        app.advance(Duration::hours(gap));
        app.sweep().await;
    }
    let cases = app.get("/v1/enforcement/cases", Some(&regulator)).await;
    let case = cases.body["items"][0]["id"].as_i64().expect("a case");

    let (shop_a, owner_a) = app.shop_with_owner(&admin, "甲店", "G01").await;
    let (_shop_b, owner_b) = app.shop_with_owner(&admin, "乙店", "G02").await;
    let a = shop_a["id"].as_i64().unwrap();
    let code_a = shop_a["code"].as_str().unwrap().to_owned();
    let hazard_a = app.patrol(&regulator, a, app.now(), critical()).await.body["hazards"][0]["id"]
        .as_i64()
        .unwrap();
    let answers_a = app.answers(a, &owner_a, &[]).await;

    let current = app.get("/v1/policies/current", Some(&regulator)).await;
    let mut policy = current.body["policy"].clone();
    policy["version"] = json!("matrix-1");
    let created = app.post("/v1/policies", Some(&regulator), &policy).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let backtest = app
        .post(
            "/v1/policies/matrix-1/backtest",
            Some(&regulator),
            &json!({}),
        )
        .await;
    assert_eq!(backtest.status, StatusCode::ACCEPTED, "{}", backtest.text);
    let job = backtest
        .location()
        .trim_start_matches(&app.base_url)
        .to_owned();

    let tip = json!({"hazard_type": "gas", "description": "煤气味"});
    let sent = app
        .post_as_client(
            &format!("/v1/public/shops/{code_a}/tips"),
            "10.200.0.1",
            &tip,
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    // The original of the text every held review (see `held_review`) repeats.
    let review = json!({"rating": 1, "text": "Terrible, avoid!"});
    let path = format!("/v1/public/shops/{code_a}/reviews");
    let first = app.post_as_client(&path, "10.200.0.2", &review).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);

    World {
        inspector_g01: app.token(Role::Inspector, &[], &["G01"]).await,
        inspector_g02: app.token(Role::Inspector, &[], &["G02"]).await,
        owner_a,
        owner_b,
        regulator,
        admin,
        a,
        code_a,
        hazard_a,
        answers_a,
        case,
        policy,
        job,
        receipt: sent.body["receipt"].as_str().unwrap().to_owned(),
        counter: AtomicU32::new(0),
    }
}

/// A new open hazard on shop A.
async fn fresh_hazard(app: &TestApp, w: &World) -> i64 {
    let patrol = app.patrol(&w.regulator, w.a, app.now(), critical()).await;
    patrol.body["hazards"][0]["id"].as_i64().unwrap()
}

/// A new dispute by shop A's owner.
async fn fresh_dispute(app: &TestApp, w: &World) -> i64 {
    let hazard = fresh_hazard(app, w).await;
    let body = json!({"target": "hazard", "target_id": hazard, "reason": "不是我们的"});
    let path = format!("/v1/shops/{}/disputes", w.a);
    let opened = app.post(&path, Some(&w.owner_a), &body).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
    opened.body["id"].as_i64().unwrap()
}

/// A new review of shop A, held as a duplicate of the world's first.
async fn held_review(app: &TestApp, w: &World) -> i64 {
    let path = format!("/v1/public/shops/{}/reviews", w.code_a);
    let copy = json!({"rating": 1, "text": "terrible... AVOID"});
    let sent = app.post_as_client(&path, &w.client(), &copy).await;
    assert_eq!(sent.body["status"], "held", "{}", sent.text);
    newest(app, w, "/v1/reviews?status=held&limit=200", |_| true).await
}

/// A new shop in G01 (its id and code), to be the subject of one tip-off: no per-shop limit on
/// tip-offs is ever reached.
async fn fresh_shop(app: &TestApp, w: &World) -> (i64, String) {
    let mut body = shop_body(&format!("举报店{}", w.next()), "G01");
    body["confirm_duplicate"] = json!(true);
    let created = app.post("/v1/shops", Some(&w.admin), &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let code = created.body["code"].as_str().unwrap().to_owned();
    (created.body["id"].as_i64().unwrap(), code)
}

/// A new tip-off about a new shop in G01.
async fn fresh_tip(app: &TestApp, w: &World) -> i64 {
    let (id, code) = fresh_shop(app, w).await;
    let tip = json!({"hazard_type": "gas", "description": "煤气味"});
    let path = format!("/v1/public/shops/{code}/tips");
    let sent = app.post_as_client(&path, &w.client(), &tip).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    newest(app, w, "/v1/tips?limit=200", |t| t["shop_id"] == id).await
}

/// The largest id among the items of a list (as the regulator sees it) that `keep` keeps.
async fn newest(app: &TestApp, w: &World, list: &str, keep: impl Fn(&Value) -> bool) -> i64 {
    let page = app.get(list, Some(&w.regulator)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| keep(item))
        .filter_map(|item| item["id"].as_i64())
        .max()
        .unwrap_or_else(|| panic!("nothing in {list}: {}", page.text))
}

/// The path and body of one call of `operation`, making the records it changes fresh.
async fn request(app: &TestApp, w: &World, operation: &str) -> (String, Option<Value>) {
    let (a, case, hazard) = (w.a, w.case, w.hazard_a);
    let code = &w.code_a;
    let n = w.next();
    let path_only = |path: String| (path, None);
    match operation {
        "POST /v1/public/shops/{code}/reviews" => (
            format!("/v1/public/shops/{code}/reviews"),
            Some(json!({"rating": 4, "text": format!("味道不错 {n}")})),
        ),
        "POST /v1/public/shops/{code}/tips" => {
            let (_, code) = fresh_shop(app, w).await;
            (
                format!("/v1/public/shops/{code}/tips"),
                Some(json!({"hazard_type": "fire", "description": "灭火器过期"})),
            )
        }
        "GET /v1/public/tips/{receipt}" => path_only(format!("/v1/public/tips/{}", w.receipt)),
        "GET /v1/public/shops/{code}" => path_only(format!("/v1/public/shops/{code}")),
        "GET /v1/public/shops" => path_only("/v1/public/shops?q=甲".to_owned()),
        "POST /v1/grids" => (
            "/v1/grids".to_owned(),
            Some(json!({"code": format!("M{n}"), "name": format!("矩阵网格 {n}")})),
        ),
        "POST /v1/shops" => {
            let mut body = shop_body(&format!("矩阵新店{n}"), "G03");
            body["confirm_duplicate"] = json!(true);
            ("/v1/shops".to_owned(), Some(body))
        }
        "PATCH /v1/shops/{id}" => (
            format!("/v1/shops/{a}"),
            Some(json!({"address": format!("文三路 {n} 号")})),
        ),
        "POST /v1/shops/{id}/disputes" => {
            let target = fresh_hazard(app, w).await;
            let body = json!({"target": "hazard", "target_id": target, "reason": "不是我们的"});
            (format!("/v1/shops/{a}/disputes"), Some(body))
        }
        "POST /v1/shops/{id}/patrols" => (
            format!("/v1/shops/{a}/patrols"),
            Some(
                json!({"observed_at": app.now().to_rfc3339(), "kind": "grid_patrol", "findings": []}),
            ),
        ),
        "POST /v1/shops/{id}/self-checks" => (
            format!("/v1/shops/{a}/self-checks"),
            Some(json!({"answers": w.answers_a})),
        ),
        "GET /v1/hazards/{id}" => path_only(format!("/v1/hazards/{hazard}")),
        "POST /v1/hazards/{id}/rectifications" => {
            let fresh = fresh_hazard(app, w).await;
            let path = format!("/v1/hazards/{fresh}/rectifications");
            (path, Some(json!({"note": "已整改 fixed"})))
        }
        "POST /v1/hazards/{id}/verifications" => {
            let fresh = fresh_hazard(app, w).await;
            app.claim_fix(&w.owner_a, fresh).await;
            let path = format!("/v1/hazards/{fresh}/verifications");
            (path, Some(json!({"outcome": "accepted"})))
        }
        "POST /v1/tips/{id}/verify" => {
            let tip = fresh_tip(app, w).await;
            let body = json!({"severity": "minor"});
            (format!("/v1/tips/{tip}/verify"), Some(body))
        }
        "POST /v1/tips/{id}/dismiss" => {
            let tip = fresh_tip(app, w).await;
            let body = json!({"reason": "重复举报"});
            (format!("/v1/tips/{tip}/dismiss"), Some(body))
        }
        "POST /v1/reviews/decisions" => {
            let held = held_review(app, w).await;
            let body = json!({"decision": "clear", "ids": [held]});
            ("/v1/reviews/decisions".to_owned(), Some(body))
        }
        "POST /v1/reviews/{id}/clear" => {
            let held = held_review(app, w).await;
            (format!("/v1/reviews/{held}/clear"), Some(json!({})))
        }
        "POST /v1/disputes/{id}/resolve" => {
            let dispute = fresh_dispute(app, w).await;
            let body = json!({"outcome": "rejected", "note": "证据充分"});
            (format!("/v1/disputes/{dispute}/resolve"), Some(body))
        }
        "POST /v1/policies" => {
            let mut policy = w.policy.clone();
            policy["version"] = json!(format!("matrix-{n}-b"));
            ("/v1/policies".to_owned(), Some(policy))
        }
        "GET /v1/policies/{version}" => path_only("/v1/policies/matrix-1".to_owned()),
        "POST /v1/policies/{version}/backtest" => {
            ("/v1/policies/matrix-1/backtest".to_owned(), Some(json!({})))
        }
        "POST /v1/policies/{version}/adopt" => {
            // A version of its own: adopting the one in force again would be a conflict.
            let mut policy = w.policy.clone();
            let version = format!("matrix-{n}-adopt");
            policy["version"] = json!(version);
            let created = app.post("/v1/policies", Some(&w.regulator), &policy).await;
            assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
            (format!("/v1/policies/{version}/adopt"), Some(json!({})))
        }
        "GET /v1/jobs/{id}" => path_only(w.job.clone()),
        "GET /v1/enforcement/cases/{id}" => path_only(format!("/v1/enforcement/cases/{case}")),
        "POST /v1/enforcement/cases/{id}/actions" => (
            format!("/v1/enforcement/cases/{case}/actions"),
            Some(json!({"kind": "fine", "note": format!("罚款 {n}")})),
        ),
        other => {
            // Reads: the path with shop A's id.
            let (method, path) = other.split_once(' ').unwrap_or(("GET", other));
            assert_eq!(method, "GET", "no request written for {other}");
            path_only(path.replace("{id}", &a.to_string()))
        }
    }
}

/// Sends one call as `caller`, from a client address of its own.
async fn call(
    app: &TestApp,
    w: &World,
    caller: Caller,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Answer {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.base_url))
        .header("x-forwarded-for", w.client());
    if let Some(token) = w.token(caller) {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    TestApp::answer(request.send().await.expect("request sent")).await
}

fn matches(outcome: Outcome, status: StatusCode) -> bool {
    match outcome {
        A => status.is_success(),
        U => status == StatusCode::UNAUTHORIZED,
        F => status == StatusCode::FORBIDDEN,
        N => status == StatusCode::NOT_FOUND,
    }
}

/// Every `METHOD /path` of the served document.
async fn served_operations(app: &TestApp) -> BTreeSet<String> {
    let doc = app.get("/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let mut operations = BTreeSet::new();
    for (path, item) in doc.body["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ]
            .contains(&method.as_str())
            {
                operations.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    operations
}

async fn every_operation_answers_every_caller_as_the_matrix_says(app: TestApp) {
    let served = served_operations(&app).await;
    let listed: BTreeSet<String> = MATRIX.iter().map(|(op, _)| (*op).to_owned()).collect();
    assert_eq!(listed.len(), MATRIX.len(), "an operation is listed twice");
    let missing: Vec<&String> = served.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "operations of the OpenAPI document with no entry in the authorization matrix (add one, \
         and a request for it): {missing:?}"
    );
    let stale: Vec<&String> = listed.difference(&served).collect();
    assert!(
        stale.is_empty(),
        "matrix entries the document no longer has: {stale:?}"
    );

    let w = world(&app).await;
    let mut wrong = Vec::new();
    for (operation, outcomes) in MATRIX {
        let (method, _) = operation.split_once(' ').unwrap();
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        for (caller, expected) in CALLERS.into_iter().zip(outcomes) {
            let (path, body) = request(&app, &w, operation).await;
            let answer = call(&app, &w, caller, method.clone(), &path, body.as_ref()).await;
            if !matches(*expected, answer.status) {
                let text: String = answer.text.chars().take(200).collect();
                wrong.push(format!(
                    "{operation} as {caller:?}: expected {expected:?}, got {} {text}",
                    answer.status
                ));
            } else if !answer.status.is_success() && answer.error_code().is_none() {
                wrong.push(format!(
                    "{operation} as {caller:?}: no envelope in {}",
                    answer.text
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} calls answered otherwise than the matrix says:\n  {}",
        wrong.len(),
        wrong.join("\n  ")
    );
}

on_both_backends!(every_operation_answers_every_caller_as_the_matrix_says);

//! Every evidence write endpoint against bad input: each case answered in the one envelope with the
//! expected status (and, for validation, the field named), and nothing stored.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, TestApp};
use shopcredit_service::domain::role::Role;

struct World {
    shop_id: i64,
    code: String,
    owner: String,
    other_owner: String,
    inspector: String,
    far_inspector: String,
    regulator: String,
    /// A patrol hazard awaiting verification.
    hazard: i64,
    /// An open hazard of another shop.
    foreign_hazard: i64,
    /// A hazard opened by the owner's own self-check.
    self_hazard: i64,
    tip: i64,
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin().await;
    let (shop, owner) = app.shop_with_owner(&admin, "甲店", "G01").await;
    let (other, other_owner) = app.shop_with_owner(&admin, "乙店", "G02").await;
    let shop_id = shop["id"].as_i64().unwrap();
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let far_inspector = app.token(Role::Inspector, &[], &["G09"]).await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let finding = json!({"observed_at": app.now().to_rfc3339(), "kind": "grid_patrol",
        "findings": [{"hazard_type": "fire", "severity": "major", "description": "灭火器过期"}]});
    let patrol = app
        .post(
            &format!("/v1/shops/{shop_id}/patrols"),
            Some(&regulator),
            &finding,
        )
        .await;
    let hazard = patrol.body["hazards"][0]["id"].as_i64().unwrap();
    let fix = json!({"note": "已更换"});
    let claimed = app
        .post(
            &format!("/v1/hazards/{hazard}/rectifications"),
            Some(&owner),
            &fix,
        )
        .await;
    assert_eq!(claimed.status, StatusCode::CREATED, "{}", claimed.text);
    let foreign = app
        .post(
            &format!("/v1/shops/{}/patrols", other["id"]),
            Some(&regulator),
            &finding,
        )
        .await;
    let answers = app
        .answers(shop_id, &owner, &["gas.leak_alarm_working"])
        .await;
    let check = app
        .post(
            &format!("/v1/shops/{shop_id}/self-checks"),
            Some(&owner),
            &json!({"answers": answers}),
        )
        .await;
    let code = shop["code"].as_str().unwrap().to_owned();
    let tip = app
        .post_as_client(
            &format!("/v1/public/shops/{code}/tips"),
            "10.9.9.9",
            &json!({"hazard_type": "gas", "description": "煤气味"}),
        )
        .await;
    assert_eq!(tip.status, StatusCode::CREATED, "{}", tip.text);
    let tips = app.get("/v1/tips", Some(&regulator)).await;
    World {
        shop_id,
        code,
        owner,
        other_owner,
        inspector,
        far_inspector,
        regulator,
        hazard,
        foreign_hazard: foreign.body["hazards"][0]["id"].as_i64().unwrap(),
        self_hazard: check.body["hazards"][0]["id"].as_i64().unwrap(),
        tip: tips.body["items"][0]["id"].as_i64().unwrap(),
    }
}

/// (what, path, caller, body, expected status, field named when 422)
type Case<'a> = (
    &'a str,
    String,
    Option<&'a str>,
    Value,
    StatusCode,
    Option<&'a str>,
);

async fn run(app: &TestApp, cases: Vec<Case<'_>>) {
    for (what, path, caller, body, status, field) in cases {
        let answer = app.post(&path, caller, &body).await;
        assert_eq!(answer.status, status, "{what}: {}", answer.text);
        assert!(
            answer.error_code().is_some(),
            "{what}: no envelope in {}",
            answer.text
        );
        if let Some(field) = field {
            assert!(
                answer.error_fields().iter().any(|f| f == field),
                "{what}: expected field {field} in {}",
                answer.text
            );
        }
    }
}

async fn invalid_self_checks_are_refused_naming_the_items(app: TestApp) {
    let w = world(&app).await;
    let path = format!("/v1/shops/{}/self-checks", w.shop_id);
    let good = app.answers(w.shop_id, &w.owner, &[]).await;
    let without_first: Vec<Value> = good[1..].to_vec();
    let first_id = good[0]["item_id"].as_str().unwrap().to_owned();
    let mut unknown = good.clone();
    unknown.push(json!({"item_id": "made.up", "result": "pass"}));
    let mut fail_without_note = good.clone();
    fail_without_note[1] = json!({"item_id": good[1]["item_id"], "result": "fail"});
    let mut bad_result = good.clone();
    bad_result[1]["result"] = json!("maybe");
    let first_key = format!("answers[{first_id}]");
    // A date that silences reminders for ever: years ahead of any licence or certificate.
    let tracked = good
        .iter()
        .position(|a| a.get("expires_on").is_some())
        .unwrap();
    let tracked_key = format!("answers[{}]", good[tracked]["item_id"].as_str().unwrap());
    let expiring = |date: &str| {
        let mut answers = good.clone();
        answers[tracked]["expires_on"] = json!(date);
        answers.swap(0, tracked);
        json!({"answers": answers})
    };
    let eleven_years = (app.now() + Duration::days(11 * 366))
        .format("%Y-%m-%d")
        .to_string();

    let second_key = format!("answers[{}]", good[1]["item_id"].as_str().unwrap());
    use StatusCode as S;
    let cases: Vec<Case> = vec![
        (
            "missing item",
            path.clone(),
            Some(&w.owner),
            json!({"answers": without_first}),
            S::UNPROCESSABLE_ENTITY,
            Some(&first_key),
        ),
        (
            "unknown item",
            path.clone(),
            Some(&w.owner),
            json!({"answers": unknown}),
            S::UNPROCESSABLE_ENTITY,
            Some("answers[made.up]"),
        ),
        (
            "fail without note",
            path.clone(),
            Some(&w.owner),
            json!({"answers": fail_without_note}),
            S::UNPROCESSABLE_ENTITY,
            Some(&second_key),
        ),
        (
            "expiry in 9999",
            path.clone(),
            Some(&w.owner),
            expiring("9999-12-31"),
            S::UNPROCESSABLE_ENTITY,
            Some(&tracked_key),
        ),
        (
            "expiry more than ten years ahead",
            path.clone(),
            Some(&w.owner),
            expiring(&eleven_years),
            S::UNPROCESSABLE_ENTITY,
            Some(&tracked_key),
        ),
        (
            "expiry a century ago on a failed item",
            path.clone(),
            Some(&w.owner),
            {
                let mut body = expiring("1926-01-01");
                body["answers"][0]["result"] = json!("fail");
                body["answers"][0]["note"] = json!("过期了 expired");
                body
            },
            S::UNPROCESSABLE_ENTITY,
            Some(&tracked_key),
        ),
        (
            "expiry in a five-digit year",
            path.clone(),
            Some(&w.owner),
            expiring("+10000-01-01"),
            S::UNPROCESSABLE_ENTITY,
            Some("answers[0].expires_on"),
        ),
        (
            "unknown result",
            path.clone(),
            Some(&w.owner),
            json!({"answers": bad_result}),
            S::UNPROCESSABLE_ENTITY,
            Some("answers[1].result"),
        ),
        (
            "answers of wrong type",
            path.clone(),
            Some(&w.owner),
            json!({"answers": "all good"}),
            S::UNPROCESSABLE_ENTITY,
            Some("answers"),
        ),
        (
            "missing answers",
            path.clone(),
            Some(&w.owner),
            json!({}),
            S::UNPROCESSABLE_ENTITY,
            Some("answers"),
        ),
        (
            "unknown field",
            path.clone(),
            Some(&w.owner),
            json!({"answers": good, "signed_by": "x"}),
            S::UNPROCESSABLE_ENTITY,
            Some("signed_by"),
        ),
        (
            "another owner's shop",
            path.clone(),
            Some(&w.other_owner),
            json!({"answers": good}),
            S::NOT_FOUND,
            None,
        ),
        (
            "inspector",
            path.clone(),
            Some(&w.inspector),
            json!({"answers": good}),
            S::FORBIDDEN,
            None,
        ),
        (
            "anonymous",
            path.clone(),
            None,
            json!({"answers": good}),
            S::UNAUTHORIZED,
            None,
        ),
    ];
    run(&app, cases).await;
    let (checks, _) = app.store.inspection_counts(w.shop_id).await.unwrap();
    assert_eq!(checks, 1, "only the world's own self-check is stored");
}

async fn invalid_patrols_are_refused(app: TestApp) {
    let w = world(&app).await;
    let path = format!("/v1/shops/{}/patrols", w.shop_id);
    let now = app.now().to_rfc3339();
    let patrol = |f: Value| json!({"observed_at": now, "kind": "grid_patrol", "findings": [f]});
    let finding = json!({"hazard_type": "fire", "severity": "major", "description": "x"});
    let with = |k: &str, v: Value| {
        let mut f = finding.clone();
        f[k] = v;
        patrol(f)
    };
    use StatusCode as S;
    let cases: Vec<Case> = vec![
        (
            "future observed_at",
            path.clone(),
            Some(&w.inspector),
            json!({"observed_at": (app.now() + Duration::hours(1)).to_rfc3339(), "kind": "grid_patrol", "findings": []}),
            S::UNPROCESSABLE_ENTITY,
            Some("observed_at"),
        ),
        (
            "observed_at not a time",
            path.clone(),
            Some(&w.inspector),
            json!({"observed_at": "yesterday", "kind": "grid_patrol", "findings": []}),
            S::UNPROCESSABLE_ENTITY,
            Some("observed_at"),
        ),
        (
            "unknown kind",
            path.clone(),
            Some(&w.inspector),
            json!({"observed_at": now, "kind": "drive_by", "findings": []}),
            S::UNPROCESSABLE_ENTITY,
            Some("kind"),
        ),
        (
            "missing findings",
            path.clone(),
            Some(&w.inspector),
            json!({"observed_at": now, "kind": "grid_patrol"}),
            S::UNPROCESSABLE_ENTITY,
            Some("findings"),
        ),
        (
            "unknown severity",
            path.clone(),
            Some(&w.inspector),
            with("severity", json!("huge")),
            S::UNPROCESSABLE_ENTITY,
            Some("findings[0].severity"),
        ),
        (
            "unknown hazard type",
            path.clone(),
            Some(&w.inspector),
            with("hazard_type", json!("noise")),
            S::UNPROCESSABLE_ENTITY,
            Some("findings[0].hazard_type"),
        ),
        (
            "empty description",
            path.clone(),
            Some(&w.inspector),
            with("description", json!("")),
            S::UNPROCESSABLE_ENTITY,
            Some("findings[0].description"),
        ),
        (
            "item not on checklist",
            path.clone(),
            Some(&w.inspector),
            with("item_id", json!("made.up")),
            S::UNPROCESSABLE_ENTITY,
            Some("findings[0].item_id"),
        ),
        (
            "evidence without locator",
            path.clone(),
            Some(&w.inspector),
            with("evidence", json!([{"media_type": "image/jpeg"}])),
            S::UNPROCESSABLE_ENTITY,
            Some("findings[0].evidence"),
        ),
        (
            "evidence of unknown media",
            path.clone(),
            Some(&w.inspector),
            with(
                "evidence",
                json!([{"url": "https://x/y", "media_type": "text/html"}]),
            ),
            S::UNPROCESSABLE_ENTITY,
            Some("findings[0].evidence"),
        ),
        (
            "unknown finding field",
            path.clone(),
            Some(&w.inspector),
            with("fine", json!(500)),
            S::UNPROCESSABLE_ENTITY,
            Some("findings[0].fine"),
        ),
        (
            "owner",
            path.clone(),
            Some(&w.owner),
            patrol(finding.clone()),
            S::FORBIDDEN,
            None,
        ),
        (
            "inspector of another grid",
            path.clone(),
            Some(&w.far_inspector),
            patrol(finding.clone()),
            S::NOT_FOUND,
            None,
        ),
    ];
    run(&app, cases).await;
    let (_, patrols) = app.store.inspection_counts(w.shop_id).await.unwrap();
    assert_eq!(patrols, 1, "only the world's own patrol is stored");
}

async fn invalid_hazard_steps_are_refused(app: TestApp) {
    let w = world(&app).await;
    let rect = |h: i64| format!("/v1/hazards/{h}/rectifications");
    let verify = |h: i64| format!("/v1/hazards/{h}/verifications");
    let note = json!({"note": "fixed"});
    use StatusCode as S;
    let cases: Vec<Case> = vec![
        (
            "empty note",
            rect(w.self_hazard),
            Some(&w.owner),
            json!({"note": ""}),
            S::UNPROCESSABLE_ENTITY,
            Some("note"),
        ),
        (
            "unknown field",
            rect(w.self_hazard),
            Some(&w.owner),
            json!({"note": "x", "done": true}),
            S::UNPROCESSABLE_ENTITY,
            Some("done"),
        ),
        (
            "bad evidence",
            rect(w.self_hazard),
            Some(&w.owner),
            json!({"note": "x", "evidence": [{"sha256": "nope", "media_type": "image/png"}]}),
            S::UNPROCESSABLE_ENTITY,
            Some("evidence"),
        ),
        (
            "another owner's hazard",
            rect(w.foreign_hazard),
            Some(&w.owner),
            note.clone(),
            S::NOT_FOUND,
            None,
        ),
        (
            "inspector rectifying",
            rect(w.self_hazard),
            Some(&w.inspector),
            note.clone(),
            S::FORBIDDEN,
            None,
        ),
        (
            "already awaiting verification",
            rect(w.hazard),
            Some(&w.owner),
            note.clone(),
            S::CONFLICT,
            None,
        ),
        (
            "no such hazard",
            rect(999_999),
            Some(&w.owner),
            note.clone(),
            S::NOT_FOUND,
            None,
        ),
        (
            "unknown outcome",
            verify(w.hazard),
            Some(&w.inspector),
            json!({"outcome": "maybe"}),
            S::UNPROCESSABLE_ENTITY,
            Some("outcome"),
        ),
        (
            "rejection without reason",
            verify(w.hazard),
            Some(&w.inspector),
            json!({"outcome": "rejected"}),
            S::UNPROCESSABLE_ENTITY,
            Some("reason"),
        ),
        (
            "owner verifying",
            verify(w.hazard),
            Some(&w.owner),
            json!({"outcome": "accepted"}),
            S::FORBIDDEN,
            None,
        ),
        (
            "inspector of another grid",
            verify(w.hazard),
            Some(&w.far_inspector),
            json!({"outcome": "accepted"}),
            S::NOT_FOUND,
            None,
        ),
        (
            "nothing to verify",
            verify(w.self_hazard),
            Some(&w.inspector),
            json!({"outcome": "accepted"}),
            S::CONFLICT,
            None,
        ),
    ];
    run(&app, cases).await;
    let hazard = app
        .get(&format!("/v1/hazards/{}", w.hazard), Some(&w.owner))
        .await;
    assert_eq!(
        hazard.body["status"], "awaiting_verification",
        "refused steps changed nothing"
    );
}

async fn invalid_reviews_tips_and_disputes_are_refused(app: TestApp) {
    let w = world(&app).await;
    let reviews = format!("/v1/public/shops/{}/reviews", w.code);
    let tips = format!("/v1/public/shops/{}/tips", w.code);
    let verify = format!("/v1/tips/{}/verify", w.tip);
    let dismiss = format!("/v1/tips/{}/dismiss", w.tip);
    let disputes = format!("/v1/shops/{}/disputes", w.shop_id);
    use StatusCode as S;
    let cases: Vec<Case> = vec![
        (
            "rating 0",
            reviews.clone(),
            None,
            json!({"rating": 0}),
            S::UNPROCESSABLE_ENTITY,
            Some("rating"),
        ),
        (
            "rating 6",
            reviews.clone(),
            None,
            json!({"rating": 6}),
            S::UNPROCESSABLE_ENTITY,
            Some("rating"),
        ),
        (
            "rating 4.5",
            reviews.clone(),
            None,
            json!({"rating": 4.5}),
            S::UNPROCESSABLE_ENTITY,
            Some("rating"),
        ),
        (
            "rating as text",
            reviews.clone(),
            None,
            json!({"rating": "5"}),
            S::UNPROCESSABLE_ENTITY,
            Some("rating"),
        ),
        (
            "text too long",
            reviews.clone(),
            None,
            json!({"rating": 5, "text": "好".repeat(501)}),
            S::UNPROCESSABLE_ENTITY,
            Some("text"),
        ),
        (
            "unknown review field",
            reviews.clone(),
            None,
            json!({"rating": 5, "stars": 5}),
            S::UNPROCESSABLE_ENTITY,
            Some("stars"),
        ),
        (
            "unknown shop code",
            "/v1/public/shops/ZZZZZZZZ/reviews".into(),
            None,
            json!({"rating": 5}),
            S::NOT_FOUND,
            None,
        ),
        (
            "tip of unknown type",
            tips.clone(),
            None,
            json!({"hazard_type": "noise", "description": "x"}),
            S::UNPROCESSABLE_ENTITY,
            Some("hazard_type"),
        ),
        (
            "tip without description",
            tips.clone(),
            None,
            json!({"hazard_type": "gas", "description": ""}),
            S::UNPROCESSABLE_ENTITY,
            Some("description"),
        ),
        (
            "tip contact too long",
            tips.clone(),
            None,
            json!({"hazard_type": "gas", "description": "x", "contact": "1".repeat(101)}),
            S::UNPROCESSABLE_ENTITY,
            Some("contact"),
        ),
        (
            "verify with unknown severity",
            verify.clone(),
            Some(&w.inspector),
            json!({"severity": "huge"}),
            S::UNPROCESSABLE_ENTITY,
            Some("severity"),
        ),
        (
            "owner verifying a tip",
            verify.clone(),
            Some(&w.owner),
            json!({"severity": "major"}),
            S::FORBIDDEN,
            None,
        ),
        (
            "inspector of another grid",
            verify.clone(),
            Some(&w.far_inspector),
            json!({"severity": "major"}),
            S::NOT_FOUND,
            None,
        ),
        (
            "dismiss without reason",
            dismiss.clone(),
            Some(&w.inspector),
            json!({}),
            S::UNPROCESSABLE_ENTITY,
            Some("reason"),
        ),
        (
            "dispute of unknown kind",
            disputes.clone(),
            Some(&w.owner),
            json!({"target": "patrol", "target_id": 1, "reason": "x"}),
            S::UNPROCESSABLE_ENTITY,
            Some("target"),
        ),
        (
            "dispute of another shop's hazard",
            disputes.clone(),
            Some(&w.owner),
            json!({"target": "hazard", "target_id": w.foreign_hazard, "reason": "x"}),
            S::UNPROCESSABLE_ENTITY,
            Some("target_id"),
        ),
        (
            "dispute of a self-reported hazard",
            disputes.clone(),
            Some(&w.owner),
            json!({"target": "hazard", "target_id": w.self_hazard, "reason": "x"}),
            S::UNPROCESSABLE_ENTITY,
            Some("target_id"),
        ),
        (
            "regulator opening a dispute",
            disputes.clone(),
            Some(&w.regulator),
            json!({"target": "hazard", "target_id": w.hazard, "reason": "x"}),
            S::FORBIDDEN,
            None,
        ),
        (
            "another owner's shop",
            disputes.clone(),
            Some(&w.other_owner),
            json!({"target": "hazard", "target_id": w.hazard, "reason": "x"}),
            S::NOT_FOUND,
            None,
        ),
        (
            "owner resolving",
            "/v1/disputes/1/resolve".into(),
            Some(&w.owner),
            json!({"outcome": "upheld", "note": "x"}),
            S::FORBIDDEN,
            None,
        ),
        (
            "no such dispute",
            "/v1/disputes/999/resolve".into(),
            Some(&w.regulator),
            json!({"outcome": "upheld", "note": "x"}),
            S::NOT_FOUND,
            None,
        ),
        (
            "resolve with unknown outcome",
            "/v1/disputes/999/resolve".into(),
            Some(&w.regulator),
            json!({"outcome": "maybe", "note": "x"}),
            S::UNPROCESSABLE_ENTITY,
            Some("outcome"),
        ),
    ];
    run(&app, cases).await;
    let tip = app.get("/v1/tips?status=pending", Some(&w.inspector)).await;
    assert_eq!(
        tip.body["items"].as_array().unwrap().len(),
        1,
        "the tip is still pending"
    );
    let count = app.store.counted_rating(w.shop_id).await.unwrap();
    assert_eq!(count.count, 0, "no invalid review was stored");
}

async fn a_tip_is_resolved_once_and_a_finding_disputed_once(app: TestApp) {
    let w = world(&app).await;
    let dismissed = app
        .post(
            &format!("/v1/tips/{}/dismiss", w.tip),
            Some(&w.inspector),
            &json!({"reason": "重复"}),
        )
        .await;
    assert_eq!(dismissed.status, StatusCode::OK);
    let again = app
        .post(
            &format!("/v1/tips/{}/verify", w.tip),
            Some(&w.inspector),
            &json!({"severity": "major"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let body = json!({"target": "hazard", "target_id": w.hazard, "reason": "不认同"});
    let first = app
        .post(
            &format!("/v1/shops/{}/disputes", w.shop_id),
            Some(&w.owner),
            &body,
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let second = app
        .post(
            &format!("/v1/shops/{}/disputes", w.shop_id),
            Some(&w.owner),
            &body,
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    let resolve = format!("/v1/disputes/{}/resolve", first.body["id"]);
    let rejected = app
        .post(
            &resolve,
            Some(&w.regulator),
            &json!({"outcome": "rejected", "note": "证据充分"}),
        )
        .await;
    assert_eq!(rejected.body["status"], "rejected");
    let hazard = app
        .get(&format!("/v1/hazards/{}", w.hazard), Some(&w.owner))
        .await;
    assert_eq!(
        hazard.body["counted"], true,
        "a rejected dispute changes nothing"
    );
    let twice = app
        .post(
            &resolve,
            Some(&w.regulator),
            &json!({"outcome": "upheld", "note": "x"}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
}

on_both_backends!(
    invalid_self_checks_are_refused_naming_the_items,
    invalid_patrols_are_refused,
    invalid_hazard_steps_are_refused,
    invalid_reviews_tips_and_disputes_are_refused,
    a_tip_is_resolved_once_and_a_finding_disputed_once,
);

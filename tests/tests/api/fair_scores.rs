//! Scores that are fair to owners (issue 9): each fact counts once, honesty is never punished, and
//! the path back to green holds when an inspector does what it says, in whatever order a visit is
//! recorded.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, TestApp};
use shopcredit_service::domain::role::Role;

struct Shop {
    id: i64,
    code: String,
    owner: String,
    inspector: String,
}

/// A green, non-provisional shop: an all-pass self-check now, two clean patrols before it (so no
/// patrol has checked that self-check yet) and one good review.
async fn established_shop(app: &TestApp, admin: &str, name: &str) -> Shop {
    let (shop, owner) = app.shop_with_owner(admin, name, "G01").await;
    let id = shop["id"].as_i64().unwrap();
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    app.patrol(&inspector, id, app.now() - Duration::days(20), json!([]))
        .await;
    app.patrol(&inspector, id, app.now() - Duration::days(10), json!([]))
        .await;
    let code = shop["code"].as_str().unwrap().to_owned();
    app.post_as_client(
        &format!("/v1/public/shops/{code}/reviews"),
        "10.7.7.7",
        &json!({"rating": 5}),
    )
    .await;
    // Past the burst window, so the review has settled; the sweep counts it from here on.
    app.advance(Duration::hours(2));
    app.sweep().await;
    submit_self_check(app, id, &owner, &[]).await;
    Shop {
        id,
        code,
        owner,
        inspector,
    }
}

async fn submit_self_check(app: &TestApp, shop_id: i64, owner: &str, failing: &[&str]) -> Value {
    let answers = app.answers(shop_id, owner, failing).await;
    let check = app
        .post(
            &format!("/v1/shops/{shop_id}/self-checks"),
            Some(owner),
            &json!({"answers": answers}),
        )
        .await;
    assert_eq!(check.status, StatusCode::CREATED, "{}", check.text);
    check.body
}

/// Two checklist items of major severity (ids and hazard types).
async fn two_major_items(app: &TestApp, shop: &Shop) -> Vec<(String, String)> {
    let checklist = app
        .get(
            &format!("/v1/shops/{}/checklist", shop.id),
            Some(&shop.owner),
        )
        .await;
    let majors: Vec<(String, String)> = checklist.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["severity"] == "major" && i["tracks_expiry"] != true)
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_owned(),
                i["hazard_type"].as_str().unwrap().to_owned(),
            )
        })
        .take(2)
        .collect();
    assert_eq!(majors.len(), 2, "{}", checklist.body);
    majors
}

fn score_of(score: &Value) -> i64 {
    score["score"].as_i64().unwrap()
}

fn points(score: &Value, id: &str) -> i64 {
    score["characteristics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .map_or(0, |c| c["points"].as_i64().unwrap())
}

/// The characteristics whose points differ between two scores of one shop.
fn moved(before: &Value, after: &Value) -> Vec<String> {
    let ids: Vec<String> = after["characteristics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    ids.into_iter()
        .filter(|id| points(before, id) != points(after, id))
        .collect()
}

async fn fix(app: &TestApp, shop: &Shop, hazard: i64) {
    claim(app, shop, hazard).await;
    verify(app, shop, hazard).await;
}

async fn claim(app: &TestApp, shop: &Shop, hazard: i64) {
    app.claim_fix(&shop.owner, hazard).await;
}

async fn verify(app: &TestApp, shop: &Shop, hazard: i64) {
    app.verify_fix(&shop.inspector, hazard).await;
}

fn critical_exit() -> Value {
    json!([{"hazard_type": "exits", "severity": "critical", "description": "安全出口被锁 exit locked"}])
}

// Point 5: each fact is counted once.

async fn a_new_patrol_finding_is_counted_once(app: TestApp) {
    let admin = app.admin().await;
    let shop = established_shop(&app, &admin, "老街面馆").await;
    let before = app.score(&shop.owner, shop.id).await;
    // Observed an hour before the self-check was submitted: this visit checks no self-check.
    app.patrol(
        &shop.inspector,
        shop.id,
        app.now() - Duration::hours(1),
        critical_exit(),
    )
    .await;
    let after = app.score(&shop.owner, shop.id).await;
    assert_eq!(
        moved(&before, &after),
        vec!["past_violations".to_owned()],
        "before {before}\nafter {after}"
    );
    assert_eq!(score_of(&before) - score_of(&after), 30, "{after}");
    assert_eq!(
        after["colour"], "green",
        "one critical found and not yet due: {after}"
    );
}

async fn a_verified_tip_off_costs_what_the_same_patrol_finding_costs(app: TestApp) {
    let admin = app.admin().await;
    let tipped = established_shop(&app, &admin, "巷口烧烤").await;
    let patrolled = established_shop(&app, &admin, "河边茶馆").await;
    let tipped_before = score_of(&app.score(&tipped.owner, tipped.id).await);
    let patrolled_before = score_of(&app.score(&patrolled.owner, patrolled.id).await);

    let tip = app
        .post_as_client(
            &format!("/v1/public/shops/{}/tips", tipped.code),
            "10.8.8.8",
            &json!({"hazard_type": "gas", "description": "闻到煤气味 smells of gas"}),
        )
        .await;
    assert_eq!(tip.status, StatusCode::CREATED, "{}", tip.text);
    let pending = app
        .get("/v1/tips?status=pending", Some(&tipped.inspector))
        .await;
    let tip_id = pending.body["items"][0]["id"].as_i64().unwrap();
    let verified = app
        .post(
            &format!("/v1/tips/{tip_id}/verify"),
            Some(&tipped.inspector),
            &json!({"severity": "critical"}),
        )
        .await;
    assert_eq!(verified.status, StatusCode::CREATED, "{}", verified.text);
    app.patrol(
        &patrolled.inspector,
        patrolled.id,
        app.now() - Duration::hours(1),
        json!([{"hazard_type": "gas", "severity": "critical", "description": "煤气管漏气 gas leak"}]),
    )
    .await;

    let tipped_after = app.score(&tipped.owner, tipped.id).await;
    let patrolled_after = app.score(&patrolled.owner, patrolled.id).await;
    assert_eq!(
        points(&tipped_after, "verified_tip_offs"),
        0,
        "{tipped_after}"
    );
    assert_eq!(
        tipped_before - score_of(&tipped_after),
        patrolled_before - score_of(&patrolled_after),
        "tip-off {tipped_after}\npatrol {patrolled_after}"
    );
    assert_eq!(tipped_before - score_of(&tipped_after), 30);
}

async fn an_honest_self_check_costs_little_and_a_false_pass_costs_more(app: TestApp) {
    let admin = app.admin().await;
    let honest = established_shop(&app, &admin, "实在小吃").await;
    let liar = established_shop(&app, &admin, "全优小吃").await;
    let items = two_major_items(&app, &honest).await;
    let failing: Vec<&str> = items.iter().map(|(id, _)| id.as_str()).collect();

    // Ticking every item "pass" earns nothing until a patrol has checked it.
    let ticked = app.score(&liar.owner, liar.id).await;
    assert_eq!(points(&ticked, "self_check_honesty"), 0, "{ticked}");

    // The honest owner reports two major problems: they weigh half a patrol finding each.
    let before = score_of(&app.score(&honest.owner, honest.id).await);
    let check = submit_self_check(&app, honest.id, &honest.owner, &failing).await;
    let reported = app.score(&honest.owner, honest.id).await;
    assert_eq!(before - score_of(&reported), 20, "{reported}");
    assert_eq!(reported["colour"], "green");

    // Fixed by the deadline: what is left is the decayed history the policy documents.
    let hazard_ids: Vec<i64> = check["hazards"]
        .as_array()
        .map(|hs| hs.iter().map(|h| h["id"].as_i64().unwrap()).collect())
        .unwrap_or_default();
    assert_eq!(hazard_ids.len(), 2, "{check}");
    app.advance(Duration::hours(2));
    for id in &hazard_ids {
        fix(&app, &honest, *id).await;
    }
    let fixed = app.score(&honest.owner, honest.id).await;
    assert!(score_of(&fixed) >= score_of(&reported), "{fixed}");

    // The owner who ticked "pass" is found out by a patrol on both items.
    let findings: Vec<Value> = items
        .iter()
        .map(|(id, kind)| json!({"item_id": id, "hazard_type": kind, "severity": "major", "description": "不合格 failing"}))
        .collect();
    app.patrol(&liar.inspector, liar.id, app.now(), json!(findings))
        .await;
    let caught = app.score(&liar.owner, liar.id).await;
    assert_eq!(points(&caught, "self_check_honesty"), -120, "{caught}");
    assert!(
        score_of(&caught) + 120 <= score_of(&fixed),
        "honest {fixed}\nfound out {caught}"
    );
}

// Point 3: the path to green holds, whatever the order of a visit's records.

async fn a_verified_fix_and_the_clean_patrol_of_the_same_visit_lift_red_in_either_order(
    app: TestApp,
) {
    let admin = app.admin().await;
    for (name, patrol_first) in [("东门面馆", true), ("西门面馆", false)] {
        let shop = established_shop(&app, &admin, name).await;
        let found = app
            .patrol(
                &shop.inspector,
                shop.id,
                app.now() - Duration::days(3),
                critical_exit(),
            )
            .await;
        let hazard = found.body["hazards"][0]["id"].as_i64().unwrap();
        let red = app.score(&shop.owner, shop.id).await;
        assert_eq!(red["colour"], "red", "{red}");
        let path = red["path_to_green"].as_array().unwrap().clone();
        let actions: Vec<&str> = path.iter().map(|s| s["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["verify_fix", "clean_reinspection"], "{red}");
        let promised = path.last().unwrap().clone();
        assert_eq!(promised["colour_after"], "green");

        app.advance(Duration::hours(1));
        claim(&app, &shop, hazard).await;
        // The inspector arrives, records the patrol as observed on arrival, verifies during the visit.
        let arrival = app.now();
        app.advance(Duration::minutes(30));
        if patrol_first {
            app.patrol(&shop.inspector, shop.id, arrival, json!([]))
                .await;
            verify(&app, &shop, hazard).await;
        } else {
            verify(&app, &shop, hazard).await;
            app.patrol(&shop.inspector, shop.id, arrival, json!([]))
                .await;
        }
        let after = app.score(&shop.owner, shop.id).await;
        assert_eq!(
            (&after["colour"], &after["colour_rule"]),
            (&json!("green"), &json!("clean_reinspection")),
            "patrol first: {patrol_first}: {after}"
        );
        assert_eq!(after["score"], promised["score_after"], "{after}");
    }
}

async fn every_non_green_path_ends_at_green(app: TestApp) {
    let admin = app.admin().await;
    let shop = established_shop(&app, &admin, "南街小炒").await;
    app.patrol(
        &shop.inspector,
        shop.id,
        app.now() - Duration::days(40),
        json!([
            {"hazard_type": "exits", "severity": "critical", "description": "安全出口被锁"},
            {"hazard_type": "gas", "severity": "critical", "description": "煤气管老化"},
            {"hazard_type": "electrical", "severity": "major", "description": "电线裸露"}
        ]),
    )
    .await;
    let red = app.score(&shop.owner, shop.id).await;
    assert_eq!(red["colour"], "red");
    let path = red["path_to_green"].as_array().unwrap();
    assert_eq!(path.last().unwrap()["colour_after"], "green", "{red}");
    if let Some(wait) = path.iter().find(|s| s["action"] == "wait") {
        assert!(wait["until"].is_string(), "{wait}");
    }
}

/// Posts a review of `stars` on the shop with door code `code` from the resident at `ip`.
async fn rate(app: &TestApp, code: &str, ip: &str, stars: i64) -> Value {
    let answer = app
        .post_as_client(
            &format!("/v1/public/shops/{code}/reviews"),
            ip,
            &json!({"rating": stars}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    answer.body
}

/// Lets every review settle (the burst window) and runs the sweep that counts them.
async fn settle(app: &TestApp) {
    app.advance(Duration::hours(2));
    app.sweep().await;
}

async fn colour_notices(app: &TestApp, shop: &Shop) -> usize {
    let notices = app
        .get(&format!("/v1/shops/{}/notices", shop.id), Some(&shop.owner))
        .await;
    notices.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "colour_changed")
        .count()
}

/// Issue 9, point 1: the rating prior is the policy's, so nine 1-star reviews on one shop leave
/// another shop's score exactly where it was.
async fn one_shops_reviews_never_move_another_shops_score(app: TestApp) {
    let admin = app.admin().await;
    let praised = established_shop(&app, &admin, "好评店").await;
    let panned = established_shop(&app, &admin, "差评店").await;
    settle(&app).await;
    let before = app.score(&praised.owner, praised.id).await;
    for i in 0..9 {
        rate(&app, &panned.code, &format!("10.9.0.{i}"), 1).await;
        app.advance(Duration::hours(2));
    }
    settle(&app).await;
    let after = app.score(&praised.owner, praised.id).await;
    assert_eq!(after["score"], before["score"], "{after}");
    assert_eq!(after["reasons"], before["reasons"], "{after}");
    let panned_now = app.score(&panned.owner, panned.id).await;
    assert!(
        panned_now["score"].as_i64() < before["score"].as_i64(),
        "the panned shop's own score moves: {panned_now}"
    );
}

/// Issue 9, point 1: reviews move the score, but never a colour by themselves.
async fn reviews_alone_never_change_a_colour(app: TestApp) {
    let admin = app.admin().await;
    let shop = established_shop(&app, &admin, "被刷差评的店").await;
    // Two fresh findings (not yet due) bring the shop close to the green threshold.
    let findings = json!([
        {"hazard_type": "exits", "severity": "critical", "description": "安全出口堆放杂物"},
        {"hazard_type": "electrical", "severity": "major", "description": "插线板串接"}
    ]);
    app.patrol(&shop.inspector, shop.id, app.now(), findings)
        .await;
    let before = app.score(&shop.owner, shop.id).await;
    assert_eq!(before["colour"], "green", "{before}");
    // Thirty 1-star reviews from thirty residents, five an hour: no burst, all counted.
    for i in 0..30 {
        let review = rate(&app, &shop.code, &format!("10.8.1.{i}"), 1).await;
        assert_eq!(review["status"], "counted", "{review}");
        app.advance(Duration::minutes(12));
    }
    settle(&app).await;
    let after = app.score(&shop.owner, shop.id).await;
    let green_at_least = app.get("/v1/policies/current", Some(&admin)).await.body["policy"]
        ["colours"]["green_at_least"]
        .as_i64()
        .unwrap();
    assert!(
        after["score"].as_i64().unwrap() < green_at_least,
        "the reviews move the score below green ({green_at_least}): {after}"
    );
    assert_eq!(after["colour"], "green", "but not the colour: {after}");
    assert_eq!(colour_notices(&app, &shop).await, 0);
}

/// Issue 9, point 1: a review counts only once the burst rules can judge it, so the reviews of a
/// burst, held once it is seen, never moved the score or the colour, and nobody was told they did.
async fn a_review_counts_only_once_the_burst_rules_can_judge_it(app: TestApp) {
    let admin = app.admin().await;
    let shop = established_shop(&app, &admin, "遭遇刷评的店").await;
    settle(&app).await;
    let before = app.score(&shop.owner, shop.id).await;
    for i in 0..12 {
        rate(&app, &shop.code, &format!("10.6.2.{i}"), 1).await;
        let now = app.score(&shop.owner, shop.id).await;
        assert_eq!(
            now["score"], before["score"],
            "review {i} moved the score: {now}"
        );
    }
    let reviews = app
        .get(
            &format!("/v1/shops/{}/reviews?limit=50", shop.id),
            Some(&shop.owner),
        )
        .await;
    let statuses: Vec<&str> = reviews.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rating"] == 1)
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 12, "{}", reviews.text);
    assert!(
        statuses.iter().all(|s| *s == "held"),
        "the whole burst is held: {statuses:?}"
    );
    settle(&app).await;
    let after = app.score(&shop.owner, shop.id).await;
    assert_eq!(after["score"], before["score"], "{after}");
    assert_eq!(after["colour"], before["colour"]);
    assert_eq!(colour_notices(&app, &shop).await, 0);

    // A review that is no burst counts once it has settled.
    let calm = established_shop(&app, &admin, "平静的店").await;
    settle(&app).await;
    let calm_before = app.score(&calm.owner, calm.id).await;
    rate(&app, &calm.code, "10.6.3.1", 1).await;
    assert_eq!(
        app.score(&calm.owner, calm.id).await["score"],
        calm_before["score"]
    );
    settle(&app).await;
    let calm_after = app.score(&calm.owner, calm.id).await;
    assert!(
        calm_after["score"].as_i64() < calm_before["score"].as_i64(),
        "{calm_after}"
    );
}

on_both_backends!(
    a_new_patrol_finding_is_counted_once,
    a_verified_tip_off_costs_what_the_same_patrol_finding_costs,
    an_honest_self_check_costs_little_and_a_false_pass_costs_more,
    a_verified_fix_and_the_clean_patrol_of_the_same_visit_lift_red_in_either_order,
    every_non_green_path_ends_at_green,
    one_shops_reviews_never_move_another_shops_score,
    reviews_alone_never_change_a_colour,
    a_review_counts_only_once_the_burst_rules_can_judge_it,
);

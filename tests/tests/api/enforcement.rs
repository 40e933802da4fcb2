//! Enforcement: the escalation ladder, cases opened and closed by the rules, owner notices, the event
//! feed, and two replicas sweeping one database without doubling anything.
//!
//! No test waits for the background sweep: each records its evidence, then runs sweep passes itself.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shopcredit_e2e::{Backend, TestApp};
use shopcredit_service::domain::role::Role;

struct Shop {
    id: i64,
    owner: String,
    inspector: String,
}

async fn shop(app: &TestApp, admin: &str, name: &str) -> Shop {
    let (shop, owner) = app.shop_with_owner(admin, name, "G01").await;
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    Shop {
        id: shop["id"].as_i64().unwrap(),
        owner,
        inspector,
    }
}

fn critical() -> Value {
    json!([{"hazard_type": "exits", "severity": "critical", "description": "安全出口上锁"}])
}

async fn fix(app: &TestApp, s: &Shop, hazard: i64) {
    app.fix_hazard(&s.owner, &s.inspector, hazard).await;
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

async fn cases_of(app: &TestApp, regulator: &str, shop_id: i64) -> Vec<Value> {
    let page = app
        .get("/v1/enforcement/cases?limit=200", Some(regulator))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["shop_id"] == shop_id)
        .cloned()
        .collect()
}

async fn a_hazard_climbs_every_rung_into_a_case_that_closes_itself_once_fixed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let s = shop(&app, &admin, "屡教不改的店").await;
    let patrol = app
        .patrol(
            &s.inspector,
            s.id,
            app.now() - Duration::days(16),
            critical(),
        )
        .await;
    let hazard = patrol.body["hazards"][0].clone();
    let hazard_id = hazard["id"].as_i64().unwrap();
    let recorded = app.now();

    // One rung per pass, each the policy's gap after the one before (72, 96, 168 hours).
    for gap in [0, 72, 96, 168] {
        app.advance(Duration::hours(gap));
        assert!(cases_of(&app, &regulator, s.id).await.is_empty());
        assert_eq!(app.sweep().await.steps_taken, 1, "one rung after {gap} h");
    }
    let case = cases_of(&app, &regulator, s.id)
        .await
        .into_iter()
        .next()
        .expect("a case is opened");
    assert_eq!(case["status"], "open");
    assert_eq!(case["reason"], "unfixed_past_referral");
    assert_eq!(case["severity_rank"], 3);
    let story = app
        .get(
            &format!("/v1/enforcement/cases/{}", case["id"]),
            Some(&regulator),
        )
        .await;
    assert_eq!(story.status, StatusCode::OK);
    assert_eq!(story.body["hazards"][0]["id"], hazard_id);
    let steps: Vec<(String, DateTime<Utc>)> = story.body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| (st["step"].as_str().unwrap().to_owned(), time(&st["due_at"])))
        .collect();
    assert!(time(&hazard["deadline"]) < recorded, "recorded overdue");
    let due = |hours: i64| recorded + Duration::hours(hours);
    let names: Vec<&str> = steps.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(names, ["reminder", "warning", "summons", "referral"]);
    for ((_, at), expected) in steps.iter().zip([due(0), due(72), due(168), due(336)]) {
        assert!(
            (*at - expected).num_seconds().abs() < 5,
            "{steps:?}: each rung due the policy's gap after the one before"
        );
    }
    let colours: Vec<&str> = story.body["score_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["colour"].as_str().unwrap())
        .collect();
    assert_eq!(
        colours.last(),
        Some(&"red"),
        "the case shows the score history: {colours:?}"
    );
    assert!(story.body["notices"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["kind"] == "referral"));
    let notices = app
        .get(&format!("/v1/shops/{}/notices", s.id), Some(&s.owner))
        .await;
    let kinds: Vec<&str> = notices.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "hazard_opened",
        "colour_changed",
        "reminder",
        "warning",
        "summons",
        "referral",
        "case_opened",
    ] {
        assert_eq!(
            kinds.iter().filter(|k| **k == kind).count(),
            1,
            "one {kind} notice in {kinds:?}"
        );
    }

    // A pending summons keeps the case open even after the fix; holding it lets the case close.
    let summons = app
        .post(
            &format!("/v1/enforcement/cases/{}/actions", case["id"]),
            Some(&regulator),
            &json!({"kind": "summons", "note": "约谈定于周五", "at": (app.now() + Duration::days(3)).to_rfc3339(), "place": "文三路市场监管所"}),
        )
        .await;
    assert_eq!(summons.status, StatusCode::CREATED, "{}", summons.text);
    assert_eq!(summons.body["actions"][0]["pending"], true);
    fix(&app, &s, hazard_id).await;
    app.sweep().await;
    assert_eq!(
        cases_of(&app, &regulator, s.id).await[0]["status"],
        "open",
        "a summons is pending"
    );
    app.post(
        &format!("/v1/enforcement/cases/{}/actions", case["id"]),
        Some(&regulator),
        &json!({"kind": "summons_held", "note": "已约谈"}),
    )
    .await;
    app.sweep().await;
    let closed = cases_of(&app, &regulator, s.id)
        .await
        .into_iter()
        .find(|c| c["status"] == "closed")
        .expect("the case closes by itself");
    assert_eq!(closed["outcome"], "fixed");
    let feed = app.get("/v1/events?limit=200", Some(&regulator)).await;
    let types: Vec<&str> = feed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["shop_id"] == s.id)
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"case_opened") && types.contains(&"case_closed"),
        "{types:?}"
    );
    let action = app
        .post(
            &format!("/v1/enforcement/cases/{}/actions", case["id"]),
            Some(&regulator),
            &json!({"kind": "fine", "note": "x"}),
        )
        .await;
    assert_eq!(
        action.status,
        StatusCode::CONFLICT,
        "a closed case takes no action"
    );
}

async fn a_shop_turning_red_three_times_in_ninety_days_gets_a_case(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let s = shop(&app, &admin, "反复变红的店").await;
    for round in 0..3 {
        let patrol = app
            .patrol(
                &s.inspector,
                s.id,
                app.now() - Duration::days(2),
                critical(),
            )
            .await;
        assert_eq!(
            app.score(&s.owner, s.id).await["colour"],
            "red",
            "round {round}"
        );
        if round < 2 {
            assert!(
                cases_of(&app, &regulator, s.id).await.is_empty(),
                "no case after {} red spells",
                round + 1
            );
            fix(&app, &s, patrol.body["hazards"][0]["id"].as_i64().unwrap()).await;
            app.patrol(&s.inspector, s.id, app.now(), json!([])).await;
            assert_ne!(
                app.score(&s.owner, s.id).await["colour"],
                "red",
                "round {round}"
            );
        }
    }
    app.sweep().await;
    let case = cases_of(&app, &regulator, s.id)
        .await
        .into_iter()
        .next()
        .expect("a repeated-red case");
    assert_eq!(case["reason"], "repeated_red");
    assert_eq!(case["status"], "open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_hazard_climbs_every_rung_into_a_case_that_closes_itself_once_fixed() {
    a_hazard_climbs_every_rung_into_a_case_that_closes_itself_once_fixed(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_hazard_climbs_every_rung_into_a_case_that_closes_itself_once_fixed() {
    a_hazard_climbs_every_rung_into_a_case_that_closes_itself_once_fixed(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_shop_turning_red_three_times_in_ninety_days_gets_a_case() {
    a_shop_turning_red_three_times_in_ninety_days_gets_a_case(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_shop_turning_red_three_times_in_ninety_days_gets_a_case() {
    a_shop_turning_red_three_times_in_ninety_days_gets_a_case(Backend::Postgres).await;
}

/// Two service instances sweep one PostgreSQL database at the same time: every rung, notice and
/// case exists exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_one_postgres_take_each_step_notice_and_case_exactly_once() {
    let Some(first) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let admin = first.admin().await;
    let inspector = first.token(Role::Inspector, &[], &["G01"]).await;
    let mut shops = Vec::new();
    for i in 0..12 {
        let shop = first
            .create_shop(&admin, &format!("逾期店{i}"), "G01")
            .await;
        let id = shop["id"].as_i64().unwrap();
        first
            .patrol(&inspector, id, first.now() - Duration::days(16), critical())
            .await;
        shops.push(id);
    }
    // Both replicas sweep only now, together, over the same backlog, several passes each.
    let a = first.replica(|_| {}).await;
    let b = first.replica(|_| {}).await;
    let (mut steps_taken, mut cases_opened) = (0, 0);
    // A rung per round (the policy spaces them, at most 168 h apart), two passes each.
    for _ in 0..4 {
        for _ in 0..2 {
            let (pass_a, pass_b) = tokio::join!(a.sweep(), b.sweep());
            steps_taken += pass_a.steps_taken + pass_b.steps_taken;
            cases_opened += pass_a.cases_opened + pass_b.cases_opened;
        }
        a.advance(Duration::hours(200));
        b.advance(Duration::hours(200));
    }
    for &id in &shops {
        let (steps, notices, cases) = b.store.enforcement_counts(id).await.unwrap();
        // 4 rungs; notices: the hazard opened, 4 rungs, the colour change, the case.
        assert_eq!((steps, notices, cases), (4, 7, 1), "shop {id}");
    }
    assert_eq!(
        (steps_taken, cases_opened),
        (4 * shops.len(), shops.len()),
        "the passes report each rung and case once"
    );
}

/// A follower paging the feed while writers change colours concurrently sees every event once, in
/// order.
async fn the_feed_has_no_gaps_under_concurrent_writes(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(
            app.create_shop(&admin, &format!("并发店{i}"), "G01").await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let writers = async {
        let writes = ids.iter().flat_map(|&id| {
            let (app, inspector) = (&app, &inspector);
            (0..3).map(move |k| async move {
                let findings = if k % 2 == 0 { critical() } else { json!([]) };
                app.patrol(inspector, id, app.now() - Duration::days(2), findings)
                    .await;
            })
        });
        join_all(writes).await;
    };
    let follower = async {
        let mut seen: Vec<i64> = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..40 {
            let path = match &after {
                Some(a) => format!("/v1/events?limit=7&after={a}"),
                None => "/v1/events?limit=7".to_owned(),
            };
            let page = app.get(&path, Some(&regulator)).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text);
            seen.extend(
                page.body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["id"].as_i64().unwrap()),
            );
            if let Some(next) = page.body["next_cursor"].as_str() {
                after = Some(next.to_owned());
            }
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
        (seen, after)
    };
    let ((), (mut seen, mut after)) = tokio::join!(writers, follower);
    loop {
        let path = match &after {
            Some(a) => format!("/v1/events?limit=50&after={a}"),
            None => "/v1/events?limit=50".to_owned(),
        };
        let page = app.get(&path, Some(&regulator)).await;
        let items = page.body["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        seen.extend(items.iter().map(|e| e["id"].as_i64().unwrap()));
        after = page.body["next_cursor"].as_str().map(str::to_owned);
    }
    let everything = app.get("/v1/events?limit=200", Some(&regulator)).await;
    let all: Vec<i64> = everything.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(
        all.len() >= 20,
        "colour changes were recorded: {}",
        all.len()
    );
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order, each once");
    assert_eq!(seen, all, "the follower missed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_feed_has_no_gaps_under_concurrent_writes() {
    the_feed_has_no_gaps_under_concurrent_writes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_feed_has_no_gaps_under_concurrent_writes() {
    the_feed_has_no_gaps_under_concurrent_writes(Backend::Postgres).await;
}

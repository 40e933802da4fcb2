//! The sweep isolates failures: a shop whose rescore fails is skipped, counted in `/metrics` and
//! retried by the next pass, while every other shop is still rescored, escalated and enforced.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, Backend, TestApp};
use shopcredit_service::domain::role::Role;
use shopcredit_service::domain::score::Colour;

/// Injects a fault: every new score snapshot of `shop_id` is refused by the database.
async fn refuse_snapshots_of(app: &TestApp, shop_id: i64) {
    let statements = match app.backend {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER injected_failure BEFORE INSERT ON score_snapshots \
             WHEN NEW.shop_id = {shop_id} BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        )],
        Backend::Postgres => vec![
            "CREATE FUNCTION injected_failure() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"
                .to_owned(),
            format!(
                "CREATE TRIGGER injected_failure BEFORE INSERT ON score_snapshots FOR EACH ROW \
                 WHEN (NEW.shop_id = {shop_id}) EXECUTE FUNCTION injected_failure()"
            ),
        ],
    };
    app.execute_sql(&statements).await;
}

/// Removes the fault.
async fn accept_snapshots_again(app: &TestApp) {
    let statement = match app.backend {
        Backend::Sqlite => "DROP TRIGGER injected_failure",
        Backend::Postgres => "DROP TRIGGER injected_failure ON score_snapshots",
    };
    app.execute_sql(&[statement.to_owned()]).await;
}

fn critical() -> Value {
    json!([{"hazard_type": "exits", "severity": "critical", "description": "安全出口上锁"}])
}

fn id(shop: &Value) -> i64 {
    shop["id"].as_i64().expect("shop id")
}

/// `sweep_failures_total` of the series whose labels contain `labels`, as `/metrics` shows it.
async fn sweep_failures(app: &TestApp, labels: &str) -> f64 {
    let metrics = app.get("/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK, "{}", metrics.text);
    metrics
        .text
        .lines()
        .filter(|l| l.starts_with("sweep_failures_total{") && l.contains(labels))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn colour(app: &TestApp, shop_id: i64) -> Option<Colour> {
    app.store
        .current_score(shop_id)
        .await
        .expect("score read")
        .map(|s| s.colour)
}

async fn one_shops_failing_rescore_does_not_stop_the_sweep(app: TestApp) {
    let admin = app.admin().await;
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    // A is registered first: the lowest id, first in line for every pass.
    let a = id(&app.create_shop(&admin, "故障店", "G01").await);
    // B..: hazards two weeks past their deadline, so their first rung is due.
    let mut overdue_shops = Vec::new();
    for i in 0..3 {
        let b = id(&app.create_shop(&admin, &format!("逾期店{i}"), "G01").await);
        app.patrol(&inspector, b, app.now() - Duration::days(16), critical())
            .await;
        overdue_shops.push(b);
    }
    // C: a deadline that passes after C's last rescore, so the pass must rescore C after A.
    let c = id(&app.create_shop(&admin, "刚到期的店", "G01").await);
    let observed = app.now() - Duration::hours(24) + Duration::minutes(1);
    app.patrol(&inspector, c, observed, critical()).await;
    assert_ne!(colour(&app, c).await, Some(Colour::Red));

    let before = app.store.current_score(a).await.expect("score read");
    refuse_snapshots_of(&app, a).await;
    // Fresh evidence marks A for rescoring; the rescore right after the write fails.
    let minor =
        json!([{"hazard_type": "licence", "severity": "minor", "description": "证照未上墙"}]);
    app.patrol(&inspector, a, app.now(), minor).await;
    app.advance(Duration::minutes(2));

    let pass = app.sweep().await;

    assert!(pass.failures >= 1, "A's rescore failed: {pass:?}");
    assert_eq!(
        colour(&app, c).await,
        Some(Colour::Red),
        "C is rescored after A failed: {pass:?}"
    );
    for &b in &overdue_shops {
        let (steps, _, _) = app.store.enforcement_counts(b).await.unwrap();
        assert_eq!(steps, 1, "shop {b}: its reminder is taken");
    }
    assert!(
        sweep_failures(&app, "stage=\"rescore\"").await > 0.0,
        "/metrics counts the failed rescore"
    );
    let during = app.store.current_score(a).await.expect("score read");
    assert_eq!(
        during.map(|s| s.snapshot_id),
        before.as_ref().map(|s| s.snapshot_id),
        "A's score is unchanged while its rescore fails"
    );

    accept_snapshots_again(&app).await;
    let retry = app.sweep().await;

    assert_eq!(retry.failures, 0, "{retry:?}");
    let after = app
        .store
        .current_score(a)
        .await
        .expect("score read")
        .expect("A has a current score");
    assert_ne!(
        Some(after.snapshot_id),
        before.map(|s| s.snapshot_id),
        "the next pass retried A: its mark was kept ({retry:?})"
    );
    let score = app.score(&admin, a).await;
    // The default card counts a hazard once, as a violation on record (a fresh minor weighs 1.0).
    let violations = score["characteristics"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == "past_violations"))
        .and_then(|c| c["value"].as_f64());
    assert!(
        violations.is_some_and(|v| v > 0.99),
        "A's new score counts its minor hazard: {score}"
    );
}

on_both_backends!(one_shops_failing_rescore_does_not_stop_the_sweep);

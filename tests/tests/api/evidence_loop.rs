//! The whole evidence loop, end to end: self-check, patrols, the hazard lifecycle, tip-offs, a
//! dispute, the audit trail and the owner's alerts.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, TestApp};
use shopcredit_service::domain::role::Role;

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

async fn the_evidence_loop_runs_from_self_check_to_closed_hazards_with_every_step_in_the_trail(
    app: TestApp,
) {
    let admin = app.admin().await;
    let (shop, owner) = app.shop_with_owner(&admin, "老王面馆", "G01").await;
    let id = shop["id"].as_i64().unwrap();
    let code = shop["code"].as_str().unwrap().to_owned();
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;

    // 1. A self-check with a failed item opens a hazard with the policy's deadline (major: 3 days).
    let mut answers = app
        .answers(id, &owner, &["electrical.wiring_and_sockets"])
        .await;
    let in_ten_days = (app.now() + Duration::hours(8) + Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    for a in answers.iter_mut() {
        if a["item_id"] == "fire.extinguisher_in_date" {
            a["expires_on"] = json!(in_ten_days);
        }
    }
    let check = app
        .post(
            &format!("/v1/shops/{id}/self-checks"),
            Some(&owner),
            &json!({"answers": answers}),
        )
        .await;
    assert_eq!(check.status, StatusCode::CREATED, "{}", check.text);
    assert_eq!(check.body["failed"], 1);
    let self_hazard = &check.body["hazards"][0];
    assert_eq!(self_hazard["source"], "self_check");
    assert_eq!(self_hazard["item_id"], "electrical.wiring_and_sockets");
    assert_eq!(self_hazard["status"], "open");
    let severity_hours = match self_hazard["severity"].as_str().unwrap() {
        "critical" => 24,
        "major" => 72,
        _ => 168,
    };
    assert_eq!(
        time(&self_hazard["deadline"]) - time(&self_hazard["observed_at"]),
        Duration::hours(severity_hours)
    );
    assert_eq!(self_hazard["overdue"], false);

    // 2. A patrol with a critical finding backdated past its deadline is overdue on arrival.
    let three_days_ago = (app.now() - Duration::days(3)).to_rfc3339();
    let patrol = app
        .post(
            &format!("/v1/shops/{id}/patrols"),
            Some(&inspector),
            &json!({
                "observed_at": three_days_ago,
                "kind": "grid_patrol",
                "findings": [{
                    "hazard_type": "exits", "severity": "critical",
                    "description": "后门被纸箱堵死 back exit blocked by boxes",
                    "evidence": [{"url": "https://oss.example/p/1.jpg", "media_type": "image/jpeg"}]
                }]
            }),
        )
        .await;
    assert_eq!(patrol.status, StatusCode::CREATED, "{}", patrol.text);
    assert_eq!(patrol.body["clean"], false);
    let critical = patrol.body["hazards"][0].clone();
    assert_eq!(critical["overdue"], true);
    assert_eq!(
        time(&critical["deadline"]) - time(&critical["observed_at"]),
        Duration::hours(24)
    );
    let hazard_path = format!("/v1/hazards/{}", critical["id"]);
    let overdue = app
        .get(
            &format!("/v1/shops/{id}/hazards?status=overdue"),
            Some(&owner),
        )
        .await;
    assert_eq!(overdue.body["items"].as_array().unwrap().len(), 1);

    // 3. Rectify → awaiting verification → rejected → open (same deadline) → rectify → accepted → closed.
    let fix = json!({"note": "纸箱已清走 boxes removed", "evidence": [{"sha256": "a".repeat(64), "media_type": "image/png"}]});
    let first = app
        .post(&format!("{hazard_path}/rectifications"), Some(&owner), &fix)
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(first.body["status"], "awaiting_verification");
    let rejected = app
        .post(
            &format!("{hazard_path}/verifications"),
            Some(&inspector),
            &json!({"outcome": "rejected", "reason": "还有杂物 still cluttered"}),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::CREATED, "{}", rejected.text);
    assert_eq!(rejected.body["status"], "open");
    assert_eq!(
        rejected.body["deadline"], critical["deadline"],
        "a rejection keeps the deadline"
    );
    let second = app
        .post(&format!("{hazard_path}/rectifications"), Some(&owner), &fix)
        .await;
    assert_eq!(second.body["status"], "awaiting_verification");
    let accepted = app
        .post(
            &format!("{hazard_path}/verifications"),
            Some(&inspector),
            &json!({"outcome": "accepted"}),
        )
        .await;
    assert_eq!(accepted.body["status"], "closed");
    assert!(accepted.body["closed_at"].is_string());
    assert_eq!(accepted.body["overdue"], false);

    // 4. A clean patrol is recorded as such.
    let clean = app
        .post(
            &format!("/v1/shops/{id}/patrols"),
            Some(&inspector),
            &json!({"observed_at": app.now().to_rfc3339(), "kind": "professional_inspection", "findings": []}),
        )
        .await;
    assert_eq!(clean.status, StatusCode::CREATED, "{}", clean.text);
    assert_eq!(clean.body["clean"], true);
    assert!(clean.body["hazards"].as_array().unwrap().is_empty());

    // 5. One tip-off verified into a finding, another dismissed; receipts show the outcome.
    let tip_body = |d: &str| json!({"hazard_type": "gas", "description": d, "contact": "138xxxx"});
    let tip_a = app
        .post_as_client(
            &format!("/v1/public/shops/{code}/tips"),
            "10.0.0.1",
            &tip_body("闻到煤气味 smells of gas"),
        )
        .await;
    let tip_b = app
        .post_as_client(
            &format!("/v1/public/shops/{code}/tips"),
            "10.0.0.2",
            &tip_body("门口乱停车"),
        )
        .await;
    assert_eq!(tip_a.status, StatusCode::CREATED, "{}", tip_a.text);
    assert_eq!(tip_a.body["status"], "pending");
    let pending = app.get("/v1/tips?status=pending", Some(&inspector)).await;
    let pending_ids: Vec<i64> = pending.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(pending_ids.len(), 2);
    let verified = app
        .post(
            &format!("/v1/tips/{}/verify", pending_ids[0]),
            Some(&inspector),
            &json!({"severity": "critical"}),
        )
        .await;
    assert_eq!(verified.status, StatusCode::CREATED, "{}", verified.text);
    assert_eq!(verified.body["hazard"]["source"], "tip_off");
    let dismissed = app
        .post(
            &format!("/v1/tips/{}/dismiss", pending_ids[1]),
            Some(&inspector),
            &json!({"reason": "不属于安全隐患"}),
        )
        .await;
    assert_eq!(dismissed.status, StatusCode::OK, "{}", dismissed.text);
    let receipt_a = tip_a.body["receipt"].as_str().unwrap();
    let receipt_b = tip_b.body["receipt"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/v1/public/tips/{receipt_a}"), None)
            .await
            .body,
        json!({"status": "verified"})
    );
    assert_eq!(
        app.get(&format!("/v1/public/tips/{receipt_b}"), None)
            .await
            .body,
        json!({"status": "dismissed"})
    );

    // 6. The owner disputes the tip-off finding; a regulator upholds it: kept, no longer counted.
    let tip_hazard = verified.body["hazard"]["id"].as_i64().unwrap();
    let dispute = app
        .post(
            &format!("/v1/shops/{id}/disputes"),
            Some(&owner),
            &json!({"target": "hazard", "target_id": tip_hazard, "reason": "燃气公司检测无泄漏"}),
        )
        .await;
    assert_eq!(dispute.status, StatusCode::CREATED, "{}", dispute.text);
    let upheld = app
        .post(
            &format!("/v1/disputes/{}/resolve", dispute.body["id"]),
            Some(&regulator),
            &json!({"outcome": "upheld", "note": "检测报告属实"}),
        )
        .await;
    assert_eq!(upheld.status, StatusCode::OK, "{}", upheld.text);
    assert_eq!(upheld.body["status"], "upheld");
    let kept = app
        .get(&format!("/v1/hazards/{tip_hazard}"), Some(&owner))
        .await;
    assert_eq!(kept.status, StatusCode::OK);
    assert_eq!(kept.body["counted"], false);

    // 7. Every step is in the events feed, in order, with its actor's role.
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/shops/{id}/events?limit=5&cursor={c}"),
            None => format!("/v1/shops/{id}/events?limit=5"),
        };
        let page = app.get(&path, Some(&owner)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        events.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "events in order: {ids:?}"
    );
    // Code changes are the system's own events (checked in the scoring tests); here: who did what.
    let steps: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["role"] != "system")
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("shop.registered", "admin"),
        ("self_check.submitted", "owner"),
        ("hazard.opened", "owner"),
        ("patrol.recorded", "inspector"),
        ("hazard.opened", "inspector"),
        ("hazard.rectification_submitted", "owner"),
        ("hazard.verification_rejected", "inspector"),
        ("hazard.rectification_submitted", "owner"),
        ("hazard.verification_accepted", "inspector"),
        ("patrol.recorded_clean", "inspector"),
        ("tip.received", "public"),
        ("tip.received", "public"),
        ("hazard.opened", "inspector"),
        ("tip.verified", "inspector"),
        ("tip.dismissed", "inspector"),
        ("dispute.opened", "owner"),
        ("dispute.upheld", "regulator"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, r)| (a.to_string(), r.to_string()))
        .collect();
    assert_eq!(steps, expected);
    assert!(events
        .iter()
        .all(|e| e["actor"].is_string() && e["at"].is_string()));

    // 8. The extinguisher expiring in ten days is in the owner's alerts.
    let alerts = app
        .get(&format!("/v1/shops/{id}/alerts"), Some(&owner))
        .await;
    assert_eq!(alerts.status, StatusCode::OK);
    let expiring = alerts.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["item_id"] == "fire.extinguisher_in_date")
        .unwrap_or_else(|| panic!("no extinguisher alert in {}", alerts.text));
    assert_eq!(expiring["kind"], "expiring");
    assert_eq!(expiring["due"], in_ten_days);
    assert!(expiring["message_zh"].as_str().unwrap().contains("灭火器"));
    assert!(expiring["message_en"].as_str().unwrap().contains("10 days"));
}

async fn overdue_and_due_soon_hazards_are_alerts_until_fixed(app: TestApp) {
    let admin = app.admin().await;
    let (shop, owner) = app.shop_with_owner(&admin, "小超市", "G02").await;
    let id = shop["id"].as_i64().unwrap();
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let patrol = |observed: DateTime<Utc>, severity: &str| {
        json!({"observed_at": observed.to_rfc3339(), "kind": "grid_patrol", "findings": [
            {"hazard_type": "electrical", "severity": severity, "description": "插线板串接"}]})
    };
    let late = app
        .post(
            &format!("/v1/shops/{id}/patrols"),
            Some(&regulator),
            &patrol(app.now() - Duration::days(2), "critical"),
        )
        .await;
    let soon = app
        .post(
            &format!("/v1/shops/{id}/patrols"),
            Some(&regulator),
            &patrol(app.now() - Duration::hours(2), "critical"),
        )
        .await;
    let alerts = app
        .get(&format!("/v1/shops/{id}/alerts"), Some(&owner))
        .await;
    let kinds: Vec<(&str, i64)> = alerts.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap(),
                a["hazard_id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("overdue", late.body["hazards"][0]["id"].as_i64().unwrap()),
            (
                "deadline_soon",
                soon.body["hazards"][0]["id"].as_i64().unwrap()
            ),
        ]
    );
}

on_both_backends!(
    the_evidence_loop_runs_from_self_check_to_closed_hazards_with_every_step_in_the_trail,
    overdue_and_due_soon_hazards_are_alerts_until_fixed,
);

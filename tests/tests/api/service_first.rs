//! Service first, enforcement last (issue 9): the owner is told of every hazard and every decision
//! before anything is escalated, the ladder climbs one spaced rung at a time even for a back-dated
//! finding, and a case about a pattern waits for a regulator.

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
    regulator: String,
}

async fn shop(app: &TestApp, name: &str) -> Shop {
    let admin = app.admin().await;
    let (shop, owner) = app.shop_with_owner(&admin, name, "G01").await;
    Shop {
        id: shop["id"].as_i64().unwrap(),
        code: shop["code"].as_str().unwrap().to_owned(),
        owner,
        inspector: app.token(Role::Inspector, &[], &["G01"]).await,
        regulator: app.token(Role::Regulator, &[], &[]).await,
    }
}

fn critical(description: &str) -> Value {
    json!([{"hazard_type": "exits", "severity": "critical", "description": description}])
}

/// The owner's notices, oldest first, as (kind, Chinese message, English message).
async fn notices(app: &TestApp, s: &Shop) -> Vec<(String, String, String)> {
    let page = app
        .get(
            &format!("/v1/shops/{}/notices?limit=200", s.id),
            Some(&s.owner),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let mut items: Vec<(i64, String, String, String)> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let text = |k: &str| n[k].as_str().unwrap_or_default().to_owned();
            (
                n["id"].as_i64().unwrap(),
                text("kind"),
                text("message_zh"),
                text("message_en"),
            )
        })
        .collect();
    items.sort();
    items
        .into_iter()
        .map(|(_, k, zh, en)| (k, zh, en))
        .collect()
}

/// The first notice of `kind`; panics naming every notice when there is none.
fn notice_of<'a>(told: &'a [(String, String, String)], kind: &str) -> &'a (String, String, String) {
    told.iter()
        .find(|(k, _, _)| k == kind)
        .unwrap_or_else(|| panic!("a {kind} notice: {told:?}"))
}

fn kinds(notices: &[(String, String, String)]) -> Vec<&str> {
    notices.iter().map(|(k, _, _)| k.as_str()).collect()
}

/// The owner submits a self-check with `answers`; panics unless it is recorded.
async fn submit_self_check(app: &TestApp, s: &Shop, answers: Vec<Value>) {
    let submitted = app
        .post(
            &format!("/v1/shops/{}/self-checks", s.id),
            Some(&s.owner),
            &json!({"answers": answers}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::CREATED, "{}", submitted.text);
}

async fn cases(app: &TestApp, s: &Shop) -> Vec<Value> {
    let page = app
        .get("/v1/enforcement/cases?limit=200", Some(&s.regulator))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["shop_id"] == s.id)
        .cloned()
        .collect()
}

async fn fix(app: &TestApp, s: &Shop, hazard: i64) {
    app.fix_hazard(&s.owner, &s.inspector, hazard).await;
}

/// Turns the shop red three times (a critical finding each time, the first two fixed and followed
/// by a clean patrol); answers the third, still open, hazard.
async fn red_three_times(app: &TestApp, s: &Shop) -> i64 {
    let mut open = 0;
    for round in 0..3 {
        let patrol = app
            .patrol(
                &s.inspector,
                s.id,
                app.now() - Duration::days(2),
                critical("灭火器缺失"),
            )
            .await;
        assert_eq!(app.score(&s.owner, s.id).await["colour"], "red", "{round}");
        open = patrol.body["hazards"][0]["id"].as_i64().unwrap();
        if round < 2 {
            fix(app, s, open).await;
            app.patrol(&s.inspector, s.id, app.now(), json!([])).await;
        }
    }
    open
}

/// Point 2: a finding observed 20 days ago and entered today is overdue at once, yet the owner is
/// first told of it, then reminded, warned and summoned, each rung the policy's gap after the one
/// before, before any referral or case.
async fn a_back_dated_finding_is_announced_then_escalated_one_spaced_rung_at_a_time(app: TestApp) {
    let s = shop(&app, "补录的店").await;
    let patrol = app
        .patrol(
            &s.inspector,
            s.id,
            app.now() - Duration::days(20),
            critical("安全出口上锁"),
        )
        .await;
    assert_eq!(
        patrol.body["hazards"][0]["overdue"], true,
        "overdue at once"
    );

    let told = notices(&app, &s).await;
    let (_, zh, en) = notice_of(&told, "hazard_opened");
    assert!(
        zh.contains("严重隐患") && zh.contains("安全出口上锁"),
        "{zh}"
    );
    assert!(zh.contains("已过"), "the deadline has passed: {zh}");
    assert!(
        en.contains("serious hazard") && en.contains("has passed"),
        "{en}"
    );

    let mut climbed = Vec::new();
    // Sweep every 12 hours for 30 days: the rungs come on the policy's gaps from the recording.
    for half_day in 0..60 {
        app.sweep().await;
        let now = kinds(&notices(&app, &s).await)
            .into_iter()
            .filter(|k| ["reminder", "warning", "summons", "referral"].contains(k))
            .count();
        if now > climbed.len() {
            climbed.push(half_day * 12);
        }
        if half_day == 0 {
            assert!(
                cases(&app, &s).await.is_empty(),
                "no case on the first pass"
            );
        }
        app.advance(Duration::hours(12));
    }
    // Reminder at once; warning 72 h later; summons 96 h after that; referral 168 h after that.
    assert_eq!(climbed, vec![0, 72, 168, 336], "hours of each rung");
    let told = notices(&app, &s).await;
    let order: Vec<&str> = kinds(&told)
        .into_iter()
        .filter(|k| *k != "colour_changed")
        .collect();
    assert_eq!(
        order,
        [
            "hazard_opened",
            "reminder",
            "warning",
            "summons",
            "referral",
            "case_opened"
        ],
        "service first, enforcement last"
    );
}

/// Point 2: a hazard opened from a self-check and from a verified tip-off is announced too.
async fn every_source_of_a_hazard_tells_the_owner(app: TestApp) {
    let s = shop(&app, "自查的店").await;
    let answers = app
        .answers(s.id, &s.owner, &["exits.evacuation_routes_clear"])
        .await;
    submit_self_check(&app, &s, answers).await;
    let tip = app
        .post_as_client(
            &format!("/v1/public/shops/{}/tips", s.code),
            "10.0.0.7",
            &json!({"hazard_type": "gas", "description": "煤气味很重"}),
        )
        .await;
    assert_eq!(tip.status, StatusCode::CREATED, "{}", tip.text);
    let tips = app.get("/v1/tips", Some(&s.regulator)).await;
    let tip_id = tips.body["items"][0]["id"].as_i64().expect("tip id");
    let verified = app
        .post(
            &format!("/v1/tips/{tip_id}/verify"),
            Some(&s.inspector),
            &json!({"severity": "major"}),
        )
        .await;
    assert_eq!(verified.status, StatusCode::CREATED, "{}", verified.text);

    let told = notices(&app, &s).await;
    let opened: Vec<&(String, String, String)> = told
        .iter()
        .filter(|(k, _, _)| k == "hazard_opened")
        .collect();
    assert_eq!(opened.len(), 2, "{told:?}");
    for (_, zh, en) in opened {
        assert!(zh.contains("请于") && zh.contains("前整改"), "{zh}");
        assert!(en.contains("fix it by"), "{en}");
        assert!(!zh.contains("重大"), "{zh}");
    }
    assert!(
        told.iter().any(|(_, zh, _)| zh.contains("较大隐患")),
        "the tip-off's major hazard is worded as a patrol would: {told:?}"
    );
}

/// Point 4: a case opened because the shop went red three times in 90 days stays open after the
/// hazards are fixed and the shop is green again, until a regulator closes it with an outcome.
async fn a_pattern_case_waits_for_a_regulator_to_close_it(app: TestApp) {
    let s = shop(&app, "反复变红的店").await;
    let open_id = red_three_times(&app, &s).await;
    app.sweep().await;
    let case = cases(&app, &s).await.into_iter().next().expect("a case");
    assert_eq!(case["reason"], "repeated_red");
    fix(&app, &s, open_id).await;
    app.patrol(&s.inspector, s.id, app.now(), json!([])).await;
    app.advance(Duration::hours(1));
    app.sweep().await;

    let to_green: Vec<_> = notices(&app, &s)
        .await
        .into_iter()
        .filter(|(k, _, en)| k == "colour_changed" && en.contains("green again"))
        .collect();
    assert!(!to_green.is_empty(), "back to green is announced");
    for (_, zh, en) in &to_green {
        assert!(
            zh.starts_with("恭喜") && !en.contains("way back"),
            "{zh} / {en}"
        );
    }

    let still = cases(&app, &s).await;
    assert_eq!(
        still[0]["status"], "open",
        "no fix undoes a pattern: {still:?}"
    );
    assert!(still[0]["closed_at"].is_null());
    assert!(!kinds(&notices(&app, &s).await).contains(&"case_closed"));

    let closed = app
        .post(
            &format!("/v1/enforcement/cases/{}/actions", case["id"]),
            Some(&s.regulator),
            &json!({"kind": "close", "note": "已约谈并整改", "outcome": "warned"}),
        )
        .await;
    assert_eq!(closed.status, StatusCode::CREATED, "{}", closed.text);
    let after = cases(&app, &s).await;
    assert_eq!(after[0]["status"], "closed");
    assert_eq!(after[0]["outcome"], "warned");
}

/// Point 6: the owner is told of a rejected fix (with the reason) and of a resolved dispute (with
/// the note); the hazard view tells the whole story: the owner's note and evidence, the rejection's
/// reason, who verified and when. Point 7: actors are named by their token's label, and the trail's
/// times are RFC 3339.
async fn the_owner_is_told_every_decision_and_the_hazard_tells_its_story(app: TestApp) {
    let s = shop(&app, "讲清楚的店").await;
    let inspector = app
        .labelled_token(Role::Inspector, Some("巡查员李四"), &[], &["G01"])
        .await;
    let findings = json!([
        {"hazard_type": "fire", "severity": "major", "description": "灭火器压力不足"},
        {"hazard_type": "licence", "severity": "minor", "description": "证照未公示"}
    ]);
    let patrol = app.patrol(&inspector, s.id, app.now(), findings).await;
    let hazard = patrol.body["hazards"][0]["id"].as_i64().unwrap();
    let disputed = patrol.body["hazards"][1]["id"].as_i64().unwrap();
    let photo = json!([{"url": "https://img.example/fixed.jpg", "media_type": "image/jpeg"}]);
    let claim = |note: &'static str| {
        let (app, s, photo) = (&app, &s, photo.clone());
        async move {
            let claimed = app
                .post(
                    &format!("/v1/hazards/{hazard}/rectifications"),
                    Some(&s.owner),
                    &json!({"note": note, "evidence": photo}),
                )
                .await;
            assert_eq!(claimed.status, StatusCode::CREATED, "{}", claimed.text);
        }
    };
    claim("已更换灭火器").await;
    let verify = |body: Value| {
        let (app, inspector) = (&app, &inspector);
        async move {
            let answer = app
                .post(
                    &format!("/v1/hazards/{hazard}/verifications"),
                    Some(inspector),
                    &body,
                )
                .await;
            assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
        }
    };
    verify(json!({"outcome": "rejected", "reason": "照片看不清压力表"})).await;
    claim("已更换灭火器，附清晰照片").await;
    app.advance(Duration::minutes(5));
    verify(json!({"outcome": "accepted"})).await;

    let told = notices(&app, &s).await;
    let rejected = notice_of(&told, "fix_rejected");
    assert!(rejected.1.contains("照片看不清压力表"), "{rejected:?}");
    assert!(
        rejected.2.starts_with("Your fix was not accepted"),
        "{rejected:?}"
    );

    let view = app
        .get(&format!("/v1/hazards/{hazard}"), Some(&s.owner))
        .await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.text);
    assert_eq!(view.body["status"], "closed");
    let story = view.body["story"].as_array().expect("a story");
    let kinds: Vec<&str> = story.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "opened",
            "rectification_submitted",
            "fix_rejected",
            "rectification_submitted",
            "fix_accepted"
        ]
    );
    assert_eq!(story[1]["note"], "已更换灭火器");
    assert_eq!(
        story[1]["evidence"][0]["url"],
        "https://img.example/fixed.jpg"
    );
    assert_eq!(story[2]["reason"], "照片看不清压力表");
    assert_eq!(story[4]["actor"], "巡查员李四", "who verified");
    assert_eq!(story[4]["at"], view.body["closed_at"], "when");

    let dispute = app
        .post(
            &format!("/v1/shops/{}/disputes", s.id),
            Some(&s.owner),
            &json!({"target": "hazard", "target_id": disputed, "reason": "证照已公示在门口"}),
        )
        .await;
    assert_eq!(dispute.status, StatusCode::CREATED, "{}", dispute.text);
    let resolved = app
        .post(
            &format!("/v1/disputes/{}/resolve", dispute.body["id"]),
            Some(&s.regulator),
            &json!({"outcome": "rejected", "note": "门口未见证照"}),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text);
    let told = notices(&app, &s).await;
    let (_, zh, en) = notice_of(&told, "dispute_resolved");
    assert!(
        zh.contains("未被采纳") && zh.contains("门口未见证照"),
        "{zh}"
    );
    assert!(en.starts_with("Your dispute was rejected"), "{en}");

    let trail = app
        .get(
            &format!("/v1/shops/{}/events?limit=200", s.id),
            Some(&s.owner),
        )
        .await;
    let opened = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "hazard.opened")
        .expect("hazard.opened in the trail")
        .clone();
    assert_eq!(opened["actor"], "巡查员李四", "{opened}");
    let deadline = opened["details"]["deadline"].as_str().unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(deadline).is_ok(),
        "RFC 3339 in details: {opened}"
    );
}

/// Point 6: a regulator's summons carries a time and a place, and the owner is told of both.
async fn a_summons_names_a_time_and_a_place_and_the_owner_is_told(app: TestApp) {
    let s = shop(&app, "被约谈的店").await;
    red_three_times(&app, &s).await;
    app.sweep().await;
    let case = cases(&app, &s).await.into_iter().next().expect("a case");
    let path = format!("/v1/enforcement/cases/{}/actions", case["id"]);
    for (body, field) in [
        (json!({"kind": "summons", "note": "约谈"}), "at"),
        (
            json!({"kind": "summons", "note": "约谈", "at": "周五下午", "place": "所里"}),
            "at",
        ),
        (
            json!({"kind": "summons", "note": "约谈", "at": "2030-01-02T02:00:00Z"}),
            "place",
        ),
    ] {
        let refused = app.post(&path, Some(&s.regulator), &body).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(refused.error_fields(), vec![field.to_owned()], "{body}");
    }
    let at = "2030-01-02T02:00:00Z";
    let summoned = app
        .post(
            &path,
            Some(&s.regulator),
            &json!({"kind": "summons", "note": "请带营业执照", "at": at, "place": "文三路市场监管所"}),
        )
        .await;
    assert_eq!(summoned.status, StatusCode::CREATED, "{}", summoned.text);
    let action = &summoned.body["actions"][0];
    assert_eq!(action["place"], "文三路市场监管所");
    assert_eq!(action["scheduled_at"], "2030-01-02T02:00:00.000Z");
    let told = notices(&app, &s).await;
    let (_, zh, en) = notice_of(&told, "summons_scheduled");
    // 02:00 UTC is 10:00 in the district.
    assert!(
        zh.contains("2030-01-02 10:00") && zh.contains("文三路市场监管所"),
        "{zh}"
    );
    assert!(
        en.contains("2030-01-02 10:00") && en.contains("Summons"),
        "{en}"
    );
}

/// Point 8: the owner is told once before a tracked item expires (the policy's lead, 30 days by
/// default), and an item whose recorded expiry has passed becomes a hazard by itself, once.
async fn an_expiring_item_is_announced_then_becomes_a_hazard_once_expired(app: TestApp) {
    let s = shop(&app, "灭火器快过期的店").await;
    let item = "fire.extinguisher_in_date";
    let expires_on = (app.now() + Duration::days(40))
        .format("%Y-%m-%d")
        .to_string();
    let answers: Vec<Value> = app
        .answers(s.id, &s.owner, &[])
        .await
        .into_iter()
        .map(|mut a| {
            if a["item_id"] == item {
                a["expires_on"] = json!(expires_on);
            }
            a
        })
        .collect();
    submit_self_check(&app, &s, answers).await;
    let expiry_notices = |told: &[(String, String, String)]| {
        told.iter()
            .filter(|(k, _, _)| k == "expiry_coming")
            .cloned()
            .collect::<Vec<_>>()
    };
    let item_hazards = || async {
        let page = app
            .get(&format!("/v1/shops/{}/hazards", s.id), Some(&s.owner))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        page.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["item_id"] == item)
            .cloned()
            .collect::<Vec<_>>()
    };

    app.sweep().await;
    assert!(
        expiry_notices(&notices(&app, &s).await).is_empty(),
        "40 days off"
    );

    app.advance(Duration::days(12));
    app.sweep().await;
    app.sweep().await;
    let told = expiry_notices(&notices(&app, &s).await);
    assert_eq!(told.len(), 1, "one notice within the lead: {told:?}");
    assert!(
        told[0].1.contains("灭火器") && told[0].1.contains(&expires_on),
        "{told:?}"
    );
    assert!(
        told[0].2.contains("Fire extinguisher") && told[0].2.contains("expires in"),
        "{told:?}"
    );
    assert!(item_hazards().await.is_empty(), "not expired yet");

    app.advance(Duration::days(30));
    app.sweep().await;
    app.sweep().await;
    let hazards = item_hazards().await;
    assert_eq!(
        hazards.len(),
        1,
        "one hazard for the expired item: {hazards:?}"
    );
    assert_eq!(hazards[0]["source"], "self_check");
    assert_eq!(
        hazards[0]["severity"], "major",
        "the checklist item's severity"
    );
    assert_eq!(hazards[0]["status"], "open");
    let told = notices(&app, &s).await;
    assert_eq!(expiry_notices(&told).len(), 1, "still one expiry notice");
    assert!(
        told.iter()
            .any(|(k, zh, _)| k == "hazard_opened" && zh.contains("过期")),
        "the owner is told of the new hazard: {told:?}"
    );
    let (_, _, en) = notice_of(&told, "hazard_opened");
    assert!(
        en.contains("Fire extinguisher") && en.contains("(expired on") && !has_han(en),
        "an English notice about an item the service describes is in English: {en}"
    );
    assert!(
        hazards[0]["description_en"]
            .as_str()
            .is_some_and(|d| d.starts_with("Fire extinguisher") && !has_han(d)),
        "{hazards:?}"
    );
}

fn has_han(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Point 7: a failed checklist item is described in the reader's language (the item's title), with
/// the owner's own note quoted as written; an inspector's words are quoted as written in both.
/// (The checklist asks a failed item for a note; `ChecklistItem::failure_description`'s unit test
/// covers an item described without one.)
async fn a_failed_checklist_item_is_described_in_the_readers_language(app: TestApp) {
    let s = shop(&app, "自查不合格的店").await;
    let item = "fire.extinguisher_in_date";
    let answers: Vec<Value> = app
        .answers(s.id, &s.owner, &[])
        .await
        .into_iter()
        .map(|a| {
            if a["item_id"] == item {
                json!({"item_id": item, "result": "fail", "note": "pressure low"})
            } else {
                a
            }
        })
        .collect();
    submit_self_check(&app, &s, answers).await;
    let told = notices(&app, &s).await;
    let (_, zh, en) = notice_of(&told, "hazard_opened");
    assert!(
        zh.contains("灭火器") && zh.contains("：pressure low"),
        "{zh}"
    );
    assert!(
        !has_han(en) && en.contains("xtinguisher") && en.contains(": pressure low"),
        "the English notice names the item in English, the note as written: {en}"
    );

    app.patrol(&s.inspector, s.id, app.now(), critical("安全出口上锁"))
        .await;
    let told = notices(&app, &s).await;
    let quoted: Vec<_> = told
        .iter()
        .filter(|(k, zh, _)| k == "hazard_opened" && zh.contains("安全出口上锁"))
        .collect();
    assert!(
        quoted
            .iter()
            .any(|(_, _, en)| en.contains("(安全出口上锁)")),
        "an inspector's words are quoted as written: {told:?}"
    );
}

/// Point 6: a score's reasons follow its inputs even when the points do not move: a hazard two more
/// days overdue (within the same bin) is said to be two more days overdue.
async fn reasons_are_recomputed_when_an_input_changes_without_the_score(app: TestApp) {
    let s = shop(&app, "理由要新的店").await;
    let minor =
        json!([{"hazard_type": "licence", "severity": "minor", "description": "证照未公示"}]);
    app.patrol(&s.inspector, s.id, app.now() - Duration::hours(170), minor)
        .await;
    app.sweep().await;
    let days_said = |score: &Value| -> Vec<i64> {
        score["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["message_en"].as_str())
            .filter_map(|en| {
                let digits: String = en
                    .split_once("the oldest is in day ")?
                    .1
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                digits.parse().ok()
            })
            .collect()
    };
    let before = app.score(&s.owner, s.id).await;
    let said_before = days_said(&before);
    assert!(!said_before.is_empty(), "an overdue reason: {before}");

    app.advance(Duration::days(2));
    app.sweep().await;

    let after = app.score(&s.owner, s.id).await;
    assert_eq!(after["score"], before["score"], "the points did not move");
    let said_after = days_said(&after);
    assert_eq!(
        said_after,
        said_before.iter().map(|d| d + 2).collect::<Vec<_>>(),
        "the reasons follow the days: {}",
        after["reasons"]
    );
}

on_both_backends!(
    a_back_dated_finding_is_announced_then_escalated_one_spaced_rung_at_a_time,
    every_source_of_a_hazard_tells_the_owner,
    a_pattern_case_waits_for_a_regulator_to_close_it,
    the_owner_is_told_every_decision_and_the_hazard_tells_its_story,
    a_summons_names_a_time_and_a_place_and_the_owner_is_told,
    an_expiring_item_is_announced_then_becomes_a_hazard_once_expired,
    a_failed_checklist_item_is_described_in_the_readers_language,
    reasons_are_recomputed_when_an_input_changes_without_the_score,
);

//! Issue 9, point 10: bad data is refused at the door — unregistered grids, mistyped or reused
//! credit codes, likely duplicate shops, findings whose type contradicts their checklist item,
//! policy versions that are not slugs, and event-feed positions past the end.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, shop_body, TestApp};
use shopcredit_service::auth::mint_token;
use shopcredit_service::clock::Clock;
use shopcredit_service::domain::role::Role;
use shopcredit_service::domain::shop::GridCode;
use shopcredit_service::storage::tokens::{NewToken, TokenError};

/// A real, valid unified social credit code, and a second one.
const CREDIT_CODE: &str = "91350100M000100Y43";
const OTHER_CREDIT_CODE: &str = "911101080828461726";

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

async fn grids_are_registered_by_regulators_and_admins_and_listed(app: TestApp) {
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let body = json!({"code": "g10", "name": "文三社区"});

    let created = app.post("/v1/grids", Some(&regulator), &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["code"], "G10");
    assert_eq!(created.body["name"], "文三社区");
    let again = app.post("/v1/grids", Some(&admin), &body).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let by_inspector = app
        .post(
            "/v1/grids",
            Some(&inspector),
            &json!({"code": "G11", "name": "x"}),
        )
        .await;
    assert_eq!(by_inspector.status, StatusCode::FORBIDDEN);
    for (what, bad) in [
        ("code with a space", json!({"code": "G 1", "name": "x"})),
        ("empty name", json!({"code": "G12", "name": " "})),
    ] {
        let refused = app.post("/v1/grids", Some(&admin), &bad).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
    }

    let listed = app.get("/v1/grids", Some(&inspector)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let codes: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"G10") && codes.contains(&"G01"),
        "{codes:?}"
    );
    assert!(!codes.contains(&"G11"));
    // The new grid takes shops at once.
    app.create_shop(&admin, "新网格小店", "G10").await;

    // The list is paged like every other: ten grids (G01..G09 and G10), three at a time.
    let mut seen = Vec::new();
    let mut path = "/v1/grids?limit=3".to_owned();
    loop {
        let page = app.get(&path, Some(&inspector)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|g| g["code"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/grids?limit=3&cursor={c}"),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "in code order, each once");
    assert_eq!(seen.len(), 10, "{seen:?}");
    for bad in ["G01", "g1.", "g1.G 1", "v1.1"] {
        let refused = app
            .get(&format!("/v1/grids?cursor={bad}"), Some(&inspector))
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

async fn shops_and_tokens_must_name_a_registered_grid(app: TestApp) {
    let admin = app.admin().await;
    let refused = app
        .post("/v1/shops", Some(&admin), &shop_body("无网格店", "G99"))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.error_fields(), vec!["grid"]);
    assert!(refused.text.contains("G99"), "{}", refused.text);
    assert!(app
        .get("/v1/grids", Some(&admin))
        .await
        .text
        .find("G99")
        .is_none());

    let shop = app.create_shop(&admin, "有网格店", "G01").await;
    let moved = app
        .patch(
            &format!("/v1/shops/{}", shop["id"]),
            Some(&admin),
            &json!({"grid": "G99"}),
        )
        .await;
    assert_eq!(
        moved.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        moved.text
    );
    assert_eq!(moved.error_fields(), vec!["grid"]);

    // What `shopcredit token create --role inspector --grid G99` does.
    let minted = mint_token();
    let grids = [GridCode::parse("G99").unwrap()];
    let stored = app
        .store
        .insert_token(
            &NewToken {
                hash: &minted.hash,
                prefix: &minted.display_prefix,
                role: Role::Inspector,
                label: None,
                shops: &[],
                grids: &grids,
            },
            app.clock.now_ms(),
        )
        .await;
    match stored {
        Err(TokenError::UnknownGrid(grid)) => assert_eq!(grid, "G99"),
        other => panic!("a token for an unregistered grid was not refused: {other:?}"),
    }
    let tokens = app.store.tokens().await.unwrap();
    assert!(tokens.iter().all(|t| t.prefix != minted.display_prefix));
}

async fn a_credit_code_must_pass_its_check_character_and_be_unique(app: TestApp) {
    let admin = app.admin().await;
    let body = |name: &str, code: &str| with(shop_body(name, "G01"), "credit_code", json!(code));
    let created = app
        .post(
            "/v1/shops",
            Some(&admin),
            &body("持照店", &CREDIT_CODE.to_lowercase()),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["credit_code"], CREDIT_CODE);
    let id = created.body["id"].as_i64().unwrap();

    for bad in [
        "91350100M000100Y44",
        "91350100M000100Y4",
        "91350100O000100Y43",
    ] {
        let refused = app
            .post("/v1/shops", Some(&admin), &body("错码店", bad))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            refused.text
        );
        assert_eq!(refused.error_fields(), vec!["credit_code"], "{bad}");
    }

    let reused = app
        .post("/v1/shops", Some(&admin), &body("另一家店", CREDIT_CODE))
        .await;
    assert_eq!(reused.status, StatusCode::CONFLICT, "{}", reused.text);
    assert!(reused.text.contains("credit_code"), "{}", reused.text);
    assert!(
        reused.text.contains(&format!("shop {id}")),
        "{}",
        reused.text
    );

    let other = app.create_shop(&admin, "无照店", "G01").await;
    let path = format!("/v1/shops/{}", other["id"]);
    let taken = app
        .patch(&path, Some(&admin), &json!({"credit_code": CREDIT_CODE}))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.text);
    assert!(taken.text.contains("credit_code"), "{}", taken.text);
    let set = app
        .patch(
            &path,
            Some(&admin),
            &json!({"credit_code": OTHER_CREDIT_CODE}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.body["credit_code"], OTHER_CREDIT_CODE);
    // Setting a shop's own code again is no conflict.
    let same = app
        .patch(
            &path,
            Some(&admin),
            &json!({"credit_code": OTHER_CREDIT_CODE}),
        )
        .await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.text);

    // A code entered by mistake can be removed (null), which frees it for the shop it belongs to;
    // leaving the field out changes nothing.
    let untouched = app
        .patch(&path, Some(&admin), &json!({"name": "无照店改名"}))
        .await;
    assert_eq!(
        untouched.body["credit_code"], OTHER_CREDIT_CODE,
        "{}",
        untouched.text
    );
    let cleared = app
        .patch(&path, Some(&admin), &json!({"credit_code": null}))
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text);
    assert!(cleared.body["credit_code"].is_null(), "{}", cleared.text);
    let again = app.get(&path, Some(&admin)).await;
    assert!(again.body["credit_code"].is_null(), "{}", again.text);
}

async fn a_likely_duplicate_shop_is_refused_unless_confirmed(app: TestApp) {
    let admin = app.admin().await;
    let first = app
        .post(
            "/v1/shops",
            Some(&admin),
            &with(
                with(
                    shop_body("Lao Wang 面馆", "G01"),
                    "address",
                    json!("文三路 1 号"),
                ),
                "owner_phone",
                json!("13800000001"),
            ),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let first_id = first.body["id"].as_i64().unwrap();

    // Same name and address, typed with other spaces and case, and another phone.
    let twin = with(
        with(
            shop_body(" lao wang面馆 ", "G02"),
            "address",
            json!("文三路1号"),
        ),
        "owner_phone",
        json!("13900000002"),
    );
    let refused = app.post("/v1/shops", Some(&admin), &twin).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert!(
        refused.text.contains(&format!("shop {first_id}")),
        "the answer names the existing shop: {}",
        refused.text
    );
    assert!(
        refused.text.contains("confirm_duplicate"),
        "{}",
        refused.text
    );

    let confirmed = app
        .post(
            "/v1/shops",
            Some(&admin),
            &with(twin, "confirm_duplicate", json!(true)),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::CREATED, "{}", confirmed.text);
    assert_ne!(confirmed.body["id"], first.body["id"]);

    // Same name at another address is another shop.
    let branch = with(
        shop_body("Lao Wang 面馆", "G01"),
        "address",
        json!("文二路 9 号"),
    );
    let other = app.post("/v1/shops", Some(&admin), &branch).await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text);
}

async fn a_finding_on_a_checklist_item_must_have_the_items_hazard_type(app: TestApp) {
    let admin = app.admin().await;
    let (shop, owner) = app.shop_with_owner(&admin, "出口店", "G01").await;
    let id = shop["id"].as_i64().unwrap();
    let checklist = app
        .get(&format!("/v1/shops/{id}/checklist"), Some(&owner))
        .await;
    let exits = checklist.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["hazard_type"] == "exits")
        .expect("a restaurant checklist has an item about exits")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let patrol = |hazard_type: &str| {
        json!({"observed_at": app.now().to_rfc3339(), "kind": "grid_patrol", "findings": [
            {"hazard_type": hazard_type, "severity": "major", "description": "通道堵塞", "item_id": exits}
        ]})
    };
    let path = format!("/v1/shops/{id}/patrols");
    let refused = app.post(&path, Some(&inspector), &patrol("gas")).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(refused.error_fields(), vec!["findings[0].hazard_type"]);
    assert!(refused.text.contains("exits"), "{}", refused.text);
    let hazards = app
        .get(&format!("/v1/shops/{id}/hazards"), Some(&inspector))
        .await;
    assert_eq!(hazards.body["items"], json!([]), "nothing stored");

    let recorded = app.post(&path, Some(&inspector), &patrol("exits")).await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{}", recorded.text);
    assert_eq!(recorded.body["hazards"][0]["hazard_type"], "exits");
}

async fn a_policy_version_must_be_a_slug(app: TestApp) {
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let current = app.get("/v1/policies/current", Some(&regulator)).await;
    let mut policy = current.body["policy"].clone();
    let long = "a".repeat(5000);
    for bad in ["bad 4/x", "../x", "Upper", "-x", "", &long] {
        policy["version"] = json!(bad);
        let refused = app.post("/v1/policies", Some(&regulator), &policy).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}: {}",
            refused.text
        );
        assert_eq!(refused.error_fields(), vec!["policy.version"], "{bad:?}");
    }
    policy["version"] = json!("district-2026.1_b");
    let created = app.post("/v1/policies", Some(&regulator), &policy).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
}

async fn a_policy_version_in_a_path_must_be_a_slug(app: TestApp) {
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let long = "a".repeat(5000);
    for bad in ["..%2Fx", "Upper", long.as_str()] {
        for (method, path) in [
            (Method::GET, format!("/v1/policies/{bad}")),
            (Method::POST, format!("/v1/policies/{bad}/backtest")),
            (Method::POST, format!("/v1/policies/{bad}/adopt")),
        ] {
            let refused = app
                .call(method.clone(), &path, Some(&regulator), None)
                .await;
            let shown: String = path.chars().take(40).collect();
            assert_eq!(
                refused.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {shown}: {}",
                refused.text
            );
            assert_eq!(refused.error_fields(), vec!["version"], "{method} {shown}");
        }
    }
    let unknown = app
        .get("/v1/policies/no-such-version", Some(&regulator))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
}

async fn an_event_feed_position_past_the_end_is_refused(app: TestApp) {
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let empty = app.get("/v1/events?after=0", Some(&regulator)).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    let past = app.get("/v1/events?after=5", Some(&regulator)).await;
    assert_eq!(past.status, StatusCode::CONFLICT, "{}", past.text);
    assert!(
        past.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ends at 0")),
        "{}",
        past.text
    );

    // A shop turning red puts an event on the feed.
    let shop = app.create_shop(&admin, "红店", "G01").await;
    let id = shop["id"].as_i64().unwrap();
    app.patrol(
        &regulator,
        id,
        app.now(),
        json!([
            {"hazard_type": "exits", "severity": "critical", "description": "安全出口上锁"}
        ]),
    )
    .await;
    let feed = app.get("/v1/events", Some(&regulator)).await;
    let end = feed.body["next_cursor"]
        .as_str()
        .expect("a position")
        .to_owned();
    let end_id: i64 = end.parse().unwrap();
    let at_end = app
        .get(&format!("/v1/events?after={end}"), Some(&regulator))
        .await;
    assert_eq!(at_end.status, StatusCode::OK, "{}", at_end.text);
    assert_eq!(at_end.body["items"], json!([]));
    assert_eq!(at_end.body["next_cursor"], end);
    for beyond in [end_id + 1, end_id + 1000] {
        let refused = app
            .get(&format!("/v1/events?after={beyond}"), Some(&regulator))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::CONFLICT,
            "{beyond}: {}",
            refused.text
        );
    }
    // Not a position at all: the form is wrong, whatever the feed holds.
    for malformed in ["-1", "+1", "%201", "00000000000000000001"] {
        let refused = app
            .get(&format!("/v1/events?after={malformed}"), Some(&regulator))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{malformed}: {}",
            refused.text
        );
        assert_eq!(refused.error_fields(), vec!["after"], "{malformed}");
    }
}

on_both_backends!(
    grids_are_registered_by_regulators_and_admins_and_listed,
    shops_and_tokens_must_name_a_registered_grid,
    a_credit_code_must_pass_its_check_character_and_be_unique,
    a_likely_duplicate_shop_is_refused_unless_confirmed,
    a_finding_on_a_checklist_item_must_have_the_items_hazard_type,
    a_policy_version_must_be_a_slug,
    a_policy_version_in_a_path_must_be_a_slug,
    an_event_feed_position_past_the_end_is_refused,
);

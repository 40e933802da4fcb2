//! Issue 9, point 9: what inspectors and regulators need to work — the shop list by colour and
//! score, shop status shown honestly to the public, the token list, the policy versions, and no
//! pointless re-adoption of the policy in force.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shopcredit_e2e::{on_both_backends, TestApp};
use shopcredit_service::clock::Clock;
use shopcredit_service::domain::role::Role;

fn critical() -> Value {
    json!([{"hazard_type": "exits", "severity": "critical", "description": "安全出口上锁"}])
}

fn minor() -> Value {
    json!([{"hazard_type": "other", "severity": "minor", "description": "杂物"}])
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_shop_list_shows_filters_and_sorts_by_colour_and_score(app: TestApp) {
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let mut ids = Vec::new();
    for name in ["绿店", "红店", "黄店"] {
        ids.push(
            app.create_shop(&admin, name, "G01").await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    app.patrol(&regulator, ids[0], app.now(), json!([])).await;
    // Overdue findings decide the colour by rule: a critical one red, a minor one at least yellow.
    let overdue_critical = app.now() - Duration::days(2);
    let overdue_minor = app.now() - Duration::days(8);
    app.patrol(&regulator, ids[1], overdue_critical, critical())
        .await;
    app.patrol(&regulator, ids[2], overdue_minor, minor()).await;

    let all = app.get("/v1/shops", Some(&regulator)).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    let mut seen = Vec::new();
    for row in all.body["items"].as_array().unwrap() {
        let score = row["score"]
            .as_i64()
            .unwrap_or_else(|| panic!("no score: {row}"));
        let colour = row["colour"]
            .as_str()
            .unwrap_or_else(|| panic!("no colour: {row}"));
        seen.push((
            row["name"].as_str().unwrap().to_owned(),
            score,
            colour.to_owned(),
        ));
        // The row agrees with the shop's score view.
        let view = app.score(&regulator, row["id"].as_i64().unwrap()).await;
        assert_eq!(view["score"].as_i64(), Some(score));
        assert_eq!(view["colour"].as_str(), Some(colour));
    }
    assert_eq!(
        seen.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["绿店", "红店", "黄店"]
    );
    let colour_of = |name: &str| seen.iter().find(|s| s.0 == name).unwrap().2.clone();
    assert_eq!(colour_of("绿店"), "green");
    assert_eq!(colour_of("红店"), "red", "an overdue locked exit is red");
    assert_eq!(
        colour_of("黄店"),
        "yellow",
        "an overdue minor finding is yellow"
    );

    for colour in ["green", "yellow", "red"] {
        let filtered = app
            .get(&format!("/v1/shops?colour={colour}"), Some(&regulator))
            .await;
        let expected: Vec<String> = seen
            .iter()
            .filter(|s| s.2 == colour)
            .map(|s| s.0.clone())
            .collect();
        assert_eq!(names(&filtered.body), expected, "{colour}");
    }

    // Lowest score first.
    let by_score = app.get("/v1/shops?order=score", Some(&regulator)).await;
    let mut expected = seen.clone();
    expected.sort_by_key(|s| s.1);
    assert_eq!(
        names(&by_score.body),
        expected.iter().map(|s| s.0.clone()).collect::<Vec<_>>()
    );
    // Red first, then yellow, then green; paging keeps the order.
    let rank = |c: &str| match c {
        "red" => 0,
        "yellow" => 1,
        _ => 2,
    };
    let mut expected = seen.clone();
    expected.sort_by_key(|s| (rank(&s.2), s.1));
    let mut paged = Vec::new();
    let mut path = "/v1/shops?order=colour&limit=2".to_owned();
    loop {
        let page = app.get(&path, Some(&regulator)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        paged.extend(names(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/shops?order=colour&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        paged,
        expected.iter().map(|s| s.0.clone()).collect::<Vec<_>>()
    );

    for bad in ["/v1/shops?colour=blue", "/v1/shops?order=name"] {
        let refused = app.get(bad, Some(&regulator)).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            refused.text
        );
    }
}

async fn a_closed_or_suspended_shop_shows_as_such_to_the_public_never_green(app: TestApp) {
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    for status in ["suspended", "closed"] {
        let shop = app.create_shop(&admin, &format!("{status}店"), "G01").await;
        let id = shop["id"].as_i64().unwrap();
        let code = shop["code"].as_str().unwrap();
        app.patrol(&regulator, id, app.now(), json!([])).await;
        let before = app.get(&format!("/v1/public/shops/{code}"), None).await;
        assert_eq!(before.body["colour"], "green", "{}", before.text);

        let changed = app
            .patch(
                &format!("/v1/shops/{id}"),
                Some(&regulator),
                &json!({"status": status}),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
        assert_eq!(changed.body["status"], status);

        let public = app.get(&format!("/v1/public/shops/{code}"), None).await;
        assert_eq!(public.status, StatusCode::OK, "{}", public.text);
        assert_eq!(public.body["status"], status);
        assert_eq!(public.body["colour"], Value::Null, "{}", public.text);
        assert_eq!(public.body["score"], Value::Null, "{}", public.text);
        let search = app.get(&format!("/v1/public/shops?q={status}"), None).await;
        assert_eq!(search.body["items"], json!([]), "{}", search.text);
    }
    let refused = app
        .patch("/v1/shops/1", Some(&regulator), &json!({"status": "gone"}))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn the_token_list_shows_every_token_but_never_a_secret(app: TestApp) {
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "令牌店", "G01").await;
    let owner = app
        .token(Role::Owner, &[shop["id"].as_i64().unwrap()], &[])
        .await;
    let inspector = app.token(Role::Inspector, &[], &["G01", "G02"]).await;
    let before = app.store.tokens().await.unwrap();
    let owners = before
        .iter()
        .find(|t| owner.starts_with(&t.prefix))
        .unwrap();
    let revoked = app
        .store
        .revoke_token(&owners.prefix, app.clock.now_ms())
        .await;
    assert_eq!(revoked.unwrap(), 1);

    let tokens = app.store.tokens().await.unwrap();
    assert!(tokens[1].revoked_at.is_some() && tokens[0].revoked_at.is_none());
    assert_eq!(tokens.len(), 3, "{tokens:?}");
    let listed = format!("{tokens:?}");
    for secret in [&admin, &owner, &inspector] {
        assert!(!listed.contains(secret.as_str()), "a secret is listed");
    }
    let roles: Vec<Role> = tokens.iter().map(|t| t.role).collect();
    assert_eq!(roles, [Role::Admin, Role::Owner, Role::Inspector]);
    assert_eq!(tokens[1].scope, format!("shop {}", shop["id"]));
    assert_eq!(tokens[2].scope, "grid G01, grid G02");
    assert!(tokens[0].scope.is_empty());
    assert!(tokens
        .iter()
        .all(|t| admin.starts_with(&t.prefix) == (t.role == Role::Admin)));
}

async fn policies_are_listed_read_by_version_and_not_readopted(app: TestApp) {
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let current = app.get("/v1/policies/current", Some(&regulator)).await;
    let in_force = current.body["version"].as_str().unwrap().to_owned();

    let again = app
        .post(
            &format!("/v1/policies/{in_force}/adopt"),
            Some(&regulator),
            &json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let jobs_queued = app.get("/v1/jobs/1", Some(&regulator)).await;
    assert_eq!(
        jobs_queued.status,
        StatusCode::NOT_FOUND,
        "no job was queued"
    );

    let mut next = current.body["policy"].clone();
    next["version"] = json!("next-1");
    let created = app.post("/v1/policies", Some(&regulator), &next).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);

    let one = app.get("/v1/policies/next-1", Some(&regulator)).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(one.body["version"], "next-1");
    assert_eq!(one.body["policy"]["version"], "next-1");
    assert_eq!(
        app.get("/v1/policies/none-such", Some(&regulator))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let mut versions = Vec::new();
    let mut path = "/v1/policies?limit=1".to_owned();
    loop {
        let page = app.get(&path, Some(&regulator)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for p in page.body["items"].as_array().unwrap() {
            versions.push((
                p["version"].as_str().unwrap().to_owned(),
                p["in_force"] == true,
            ));
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/policies?limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(versions.contains(&(in_force.clone(), true)), "{versions:?}");
    assert!(
        versions.contains(&("next-1".to_owned(), false)),
        "{versions:?}"
    );

    let adopted = app
        .post("/v1/policies/next-1/adopt", Some(&regulator), &json!({}))
        .await;
    assert_eq!(adopted.status, StatusCode::ACCEPTED, "{}", adopted.text);
    let job = app.job(adopted.location(), &regulator).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let readopt = app
        .post("/v1/policies/next-1/adopt", Some(&regulator), &json!({}))
        .await;
    assert_eq!(readopt.status, StatusCode::CONFLICT, "{}", readopt.text);
    let owner_view = app.get("/v1/policies", Some(&app.admin().await)).await;
    assert_eq!(owner_view.status, StatusCode::OK);
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect()
}

async fn an_inspectors_work_queue_spans_their_grids_oldest_deadline_first(app: TestApp) {
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let inspector = app.token(Role::Inspector, &[], &["G01", "G02"]).await;
    let (near, near_owner) = app.shop_with_owner(&admin, "近店", "G01").await;
    let other_grid = app.create_shop(&admin, "二网格店", "G02").await;
    let far = app.create_shop(&admin, "远店", "G03").await;
    let hazard = |answer: reqwest::StatusCode, body: &Value| {
        assert_eq!(answer, StatusCode::CREATED);
        body["hazards"][0]["id"].as_i64().unwrap()
    };
    let fresh = {
        let a = app
            .patrol(&regulator, near["id"].as_i64().unwrap(), app.now(), minor())
            .await;
        hazard(a.status, &a.body)
    };
    let old = {
        let at = app.now() - Duration::days(20);
        let a = app
            .patrol(
                &regulator,
                other_grid["id"].as_i64().unwrap(),
                at,
                critical(),
            )
            .await;
        hazard(a.status, &a.body)
    };
    let middle = {
        let at = app.now() - Duration::days(10);
        let a = app
            .patrol(&regulator, near["id"].as_i64().unwrap(), at, minor())
            .await;
        hazard(a.status, &a.body)
    };
    let elsewhere = {
        let at = app.now() - Duration::days(30);
        let a = app
            .patrol(&regulator, far["id"].as_i64().unwrap(), at, critical())
            .await;
        hazard(a.status, &a.body)
    };

    let queue = app.get("/v1/hazards", Some(&inspector)).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.text);
    assert_eq!(ids(&queue.body), [old, middle, fresh], "{}", queue.text);
    let deadlines: Vec<&str> = queue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["deadline"].as_str().unwrap())
        .collect();
    let mut sorted = deadlines.clone();
    sorted.sort();
    assert_eq!(deadlines, sorted, "oldest deadline first");

    let overdue = app
        .get("/v1/hazards?status=overdue", Some(&inspector))
        .await;
    assert_eq!(ids(&overdue.body), [old, middle], "{}", overdue.text);
    assert!(overdue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["overdue"] == true));
    let one_grid = app.get("/v1/hazards?grid=g02", Some(&inspector)).await;
    assert_eq!(ids(&one_grid.body), [old]);
    let not_theirs = app.get("/v1/hazards?grid=G03", Some(&inspector)).await;
    assert_eq!(not_theirs.status, StatusCode::OK);
    assert_eq!(ids(&not_theirs.body), Vec::<i64>::new());

    let district = app.get("/v1/hazards", Some(&regulator)).await;
    assert_eq!(ids(&district.body), [elsewhere, old, middle, fresh]);
    let mut paged = Vec::new();
    let mut path = "/v1/hazards?limit=1".to_owned();
    loop {
        let page = app.get(&path, Some(&regulator)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        paged.extend(ids(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/hazards?limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(paged, [elsewhere, old, middle, fresh]);

    let claimed = app
        .post(
            &format!("/v1/hazards/{fresh}/rectifications"),
            Some(&near_owner),
            &json!({"note": "已清理"}),
        )
        .await;
    assert_eq!(claimed.status, StatusCode::CREATED, "{}", claimed.text);
    let awaiting = app
        .get("/v1/hazards?status=awaiting_verification", Some(&inspector))
        .await;
    assert_eq!(ids(&awaiting.body), [fresh]);
    let open = app.get("/v1/hazards?status=open", Some(&inspector)).await;
    assert_eq!(ids(&open.body), [old, middle]);

    assert_eq!(
        app.get("/v1/hazards", Some(&near_owner)).await.status,
        StatusCode::FORBIDDEN
    );
    for bad in [
        "/v1/hazards?status=late",
        "/v1/hazards?grid=G%201",
        "/v1/hazards?cursor=x",
    ] {
        let refused = app.get(bad, Some(&inspector)).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            refused.text
        );
    }
}

async fn held_reviews_are_cleared_or_rejected_in_bulk_and_rejected_ones_never_count(app: TestApp) {
    let admin = app.admin().await;
    let regulator = app.token(Role::Regulator, &[], &[]).await;
    let shop = app.create_shop(&admin, "复制评论店", "G01").await;
    let code = shop["code"].as_str().unwrap();
    let path = format!("/v1/public/shops/{code}/reviews");
    let text = json!({"rating": 1, "text": "Terrible, avoid!"});
    let first = app.post_as_client(&path, "10.7.7.1", &text).await;
    assert_eq!(first.body["status"], "counted", "{}", first.text);
    for ip in ["10.7.7.2", "10.7.7.3", "10.7.7.4"] {
        let copy = app.post_as_client(&path, ip, &text).await;
        assert_eq!(copy.body["status"], "held", "{}", copy.text);
    }
    let queue = app.get("/v1/reviews?status=held", Some(&regulator)).await;
    let held = ids(&queue.body);
    assert_eq!(held.len(), 3, "{}", queue.text);
    let public = format!("/v1/public/shops/{code}");
    let count = || async { app.get(&public, None).await.body["rating"]["count"].clone() };
    assert_eq!(count().await, 1);

    let rejected = app
        .post(
            "/v1/reviews/decisions",
            Some(&regulator),
            &json!({"decision": "reject", "ids": [held[0], held[1], 999_999]}),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text);
    assert_eq!(rejected.body["not_held"], json!([999_999]));
    let decided = rejected.body["decided"].as_array().unwrap();
    assert_eq!(decided.len(), 2);
    assert!(decided
        .iter()
        .all(|r| r["status"] == "rejected" && r["counted"] == false));
    assert_eq!(count().await, 1, "rejected reviews never count");
    let history = app
        .get("/v1/reviews?status=rejected", Some(&regulator))
        .await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.text);
    assert_eq!(ids(&history.body), [held[0], held[1]], "kept in history");

    let cleared = app
        .post(
            "/v1/reviews/decisions",
            Some(&regulator),
            &json!({"decision": "clear", "ids": [held[2], held[0]]}),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.text);
    assert_eq!(ids(&json!({"items": cleared.body["decided"]})), [held[2]]);
    assert_eq!(
        cleared.body["not_held"],
        json!([held[0]]),
        "a rejected review stays rejected"
    );
    assert_eq!(count().await, 2);
    let still_held = app.get("/v1/reviews?status=held", Some(&regulator)).await;
    assert_eq!(ids(&still_held.body), Vec::<i64>::new());

    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let body = json!({"decision": "clear", "ids": [held[2]]});
    let by_inspector = app
        .post("/v1/reviews/decisions", Some(&inspector), &body)
        .await;
    assert_eq!(by_inspector.status, StatusCode::FORBIDDEN);
    for bad in [
        json!({"decision": "maybe", "ids": [1]}),
        json!({"decision": "clear", "ids": []}),
    ] {
        let refused = app
            .post("/v1/reviews/decisions", Some(&regulator), &bad)
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            refused.text
        );
    }
}

on_both_backends!(
    held_reviews_are_cleared_or_rejected_in_bulk_and_rejected_ones_never_count,
    an_inspectors_work_queue_spans_their_grids_oldest_deadline_first,
    the_shop_list_shows_filters_and_sorts_by_colour_and_score,
    a_closed_or_suspended_shop_shows_as_such_to_the_public_never_green,
    the_token_list_shows_every_token_but_never_a_secret,
    policies_are_listed_read_by_version_and_not_readopted,
);

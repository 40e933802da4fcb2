//! Concurrent writers: no "database is locked", nothing lost.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use shopcredit_e2e::{on_both_backends, shop_body, Answer, TestApp};
use shopcredit_service::domain::role::Role;

async fn fifty_concurrent_self_checks_and_patrols_all_succeed_and_are_all_stored(app: TestApp) {
    let admin = app.admin().await;
    let (shop, owner) = app.shop_with_owner(&admin, "忙碌的店", "G01").await;
    let id = shop["id"].as_i64().unwrap();
    let inspector = app.token(Role::Inspector, &[], &["G01"]).await;
    let answers = app
        .answers(id, &owner, &["exits.evacuation_routes_clear"])
        .await;
    let self_check = json!({"answers": answers});
    let patrol = json!({"observed_at": app.now().to_rfc3339(), "kind": "grid_patrol", "findings": [
        {"hazard_type": "fire", "severity": "minor", "description": "消防通道有杂物"}]});
    let requests = (0..50).map(|i| {
        let (app, owner, inspector, self_check, patrol) =
            (&app, &owner, &inspector, &self_check, &patrol);
        async move {
            if i % 2 == 0 {
                app.post(
                    &format!("/v1/shops/{id}/self-checks"),
                    Some(owner),
                    self_check,
                )
                .await
            } else {
                app.post(&format!("/v1/shops/{id}/patrols"), Some(inspector), patrol)
                    .await
            }
        }
    });
    let answers = join_all(requests).await;
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    }
    assert_eq!(app.store.inspection_counts(id).await.unwrap(), (25, 25));
    let hazards = app
        .get(&format!("/v1/shops/{id}/hazards?limit=200"), Some(&owner))
        .await;
    assert_eq!(
        hazards.body["items"].as_array().unwrap().len(),
        50,
        "one hazard per submission"
    );
}

/// Writes each of the hundred writers sends, one after the other.
const ROUNDS: usize = 3;

/// A hundred writers at once on one database (a file, for SQLite), each sending writes back to
/// back: shops registered, patrols and self-checks recorded. Nobody sees a 500 ("database is locked"
/// is waited out or retried inside the service), and every acknowledged write is stored.
async fn a_hundred_concurrent_writers_never_see_a_500(app: TestApp) {
    let admin = app.admin().await;
    let inspector = app.token(Role::Inspector, &[], &["G01", "G02"]).await;
    let mut shops = Vec::new();
    for i in 0..4 {
        let name = format!("热闹的店 {i}");
        let (shop, owner) = app.shop_with_owner(&admin, &name, "G01").await;
        let id = shop["id"].as_i64().unwrap();
        let answers = app
            .answers(id, &owner, &["exits.evacuation_routes_clear"])
            .await;
        shops.push((id, owner, json!({"answers": answers})));
    }
    let patrol = json!({"observed_at": app.now().to_rfc3339(), "kind": "grid_patrol", "findings": [
        {"hazard_type": "fire", "severity": "minor", "description": "灭火器过期"}]});
    let write = |i: usize| {
        let (app, admin, inspector, shops, patrol) = (&app, &admin, &inspector, &shops, &patrol);
        async move {
            let (id, owner, self_check) = &shops[i % shops.len()];
            match i % 3 {
                0 => {
                    let body = shop_body(&format!("新店 {i}"), "G02");
                    app.post("/v1/shops", Some(admin), &body).await
                }
                1 => {
                    let path = format!("/v1/shops/{id}/patrols");
                    app.post(&path, Some(inspector), patrol).await
                }
                _ => {
                    let path = format!("/v1/shops/{id}/self-checks");
                    app.post(&path, Some(owner), self_check).await
                }
            }
        }
    };
    let writers = (0..100).map(|w| async move {
        let mut answers: Vec<(usize, Answer)> = Vec::new();
        for round in 0..ROUNDS {
            let i = w + 100 * round;
            answers.push((i, write(i).await));
        }
        answers
    });
    let answers: Vec<(usize, Answer)> = join_all(writers).await.into_iter().flatten().collect();
    let mut acknowledged = [0i64; 3];
    for (i, answer) in &answers {
        if answer.status == StatusCode::CREATED {
            acknowledged[i % 3] += 1;
        } else {
            answer.assert_unavailable();
        }
    }
    let all_shops = app.store.all_shop_ids().await.unwrap().len() as i64;
    assert_eq!(
        all_shops - 4,
        acknowledged[0],
        "every acknowledged shop is stored"
    );
    let mut stored = (0, 0);
    for (id, _, _) in &shops {
        let (self_checks, patrols) = app.store.inspection_counts(*id).await.unwrap();
        stored = (stored.0 + self_checks, stored.1 + patrols);
    }
    assert_eq!(
        stored,
        (acknowledged[2], acknowledged[1]),
        "every acknowledged self-check and patrol is stored"
    );
}

on_both_backends!(
    fifty_concurrent_self_checks_and_patrols_all_succeed_and_are_all_stored,
    a_hundred_concurrent_writers_never_see_a_500,
);

//! Concurrent writers: no "database is locked", nothing lost.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use shopcredit_e2e::{on_both_backends, TestApp};
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

on_both_backends!(fifty_concurrent_self_checks_and_patrols_all_succeed_and_are_all_stored);

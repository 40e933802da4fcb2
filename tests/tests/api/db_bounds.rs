//! Texts are bounded in the database too (issue 10), as a backstop behind the API's own bounds: a
//! write that bypasses validation is refused by the database itself, on both backends.

use reqwest::StatusCode;
use serde_json::json;
use shopcredit_e2e::{on_both_backends, Backend, TestApp};
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Executor};

/// Runs one statement on a connection of its own; answers the database's error, if any.
async fn run(app: &TestApp, sql: &str) -> Result<(), String> {
    let outcome = match app.backend {
        Backend::Sqlite => {
            let mut conn = SqliteConnection::connect(&app.database_url)
                .await
                .map_err(|e| e.to_string())?;
            conn.execute(sql).await.map(|_| ())
        }
        Backend::Postgres => {
            let mut conn = PgConnection::connect(&app.database_url)
                .await
                .map_err(|e| e.to_string())?;
            conn.execute(sql).await.map(|_| ())
        }
    };
    outcome.map_err(|e| e.to_string())
}

async fn a_text_longer_than_its_bound_is_refused_by_the_database(app: TestApp) {
    let admin = app.admin().await;
    let shop = app.create_shop(&admin, "有边界的店", "G01").await;
    let id = shop["id"].as_i64().unwrap();
    let name = |n: usize| "店".repeat(n);

    run(
        &app,
        &format!("UPDATE shops SET name = '{}' WHERE id = {id}", name(100)),
    )
    .await
    .unwrap_or_else(|e| panic!("100 characters fit: {e}"));
    let refused = run(
        &app,
        &format!("UPDATE shops SET name = '{}' WHERE id = {id}", name(101)),
    )
    .await;
    assert!(refused.is_err(), "101 characters are refused");
    let refused = run(
        &app,
        &format!(
            "INSERT INTO grids (code, name, created_at) VALUES ('{}', 'x', 0)",
            "G".repeat(17)
        ),
    )
    .await;
    assert!(refused.is_err(), "a 17-character grid code is refused");

    // The API's own bound answers first, in the envelope.
    let long = app
        .patch(
            &format!("/v1/shops/{id}"),
            Some(&admin),
            &json!({"name": name(101)}),
        )
        .await;
    assert_eq!(
        long.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        long.text
    );
}

async fn the_longest_texts_the_api_accepts_fit_the_database(app: TestApp) {
    let admin = app.admin().await;
    let (shop, owner) = app.shop_with_owner(&admin, &"店".repeat(100), "G01").await;
    let id = shop["id"].as_i64().unwrap();
    // A failed item's hazard is described as its title and the owner's longest note.
    let answers: Vec<_> = app
        .answers(id, &owner, &[])
        .await
        .into_iter()
        .map(|mut a| {
            if a["item_id"] == "fire.extinguisher_in_date" {
                a = json!({"item_id": a["item_id"], "result": "fail", "note": "坏".repeat(500)});
            }
            a
        })
        .collect();
    let submitted = app
        .post(
            &format!("/v1/shops/{id}/self-checks"),
            Some(&owner),
            &json!({"answers": answers}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::CREATED, "{}", submitted.text);
}

on_both_backends!(
    a_text_longer_than_its_bound_is_refused_by_the_database,
    the_longest_texts_the_api_accepts_fit_the_database,
);

//! Transient database faults: each is answered 503 in the envelope with `Retry-After`, never 500,
//! and the service recovers by itself once the database is back.

use std::time::Duration;

use reqwest::StatusCode;
use shopcredit_e2e::{shop_body, Backend, TestApp};
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Executor};

/// Ends every session of the test's database and waits (up to 5 s) until they are gone, so no
/// request meets one still dying.
const TERMINATE_SESSIONS: &str =
    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '{db}'";

/// A SQLite write lock held by another process (a backup, the CLI): reads go on; a write waits for
/// it a while, then answers 503 with `Retry-After`; once the lock is gone writes succeed again, and
/// a lock released while a write waits is simply waited out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_write_lock_held_elsewhere_answers_503_then_writes_resume() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let admin = app.admin().await;
    let mut other = SqliteConnection::connect(&app.database_url)
        .await
        .expect("a second SQLite connection");
    other.execute("BEGIN IMMEDIATE").await.expect("write lock");

    let read = app.get("/v1/shops", Some(&admin)).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    app.post("/v1/shops", Some(&admin), &shop_body("锁住的店", "G01"))
        .await
        .assert_unavailable();

    let body = shop_body("等锁的店", "G01");
    let (waited, ()) = tokio::join!(app.post("/v1/shops", Some(&admin), &body), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        other.execute("COMMIT").await.expect("lock released");
    });
    assert_eq!(waited.status, StatusCode::CREATED, "{}", waited.text);
    let again = app
        .post("/v1/shops", Some(&admin), &shop_body("锁住的店", "G01"))
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
}

/// After a failover the service may reach a server that is read-only (a demoted primary, a standby):
/// reads are served, writes answer 503 with `Retry-After`; once its connections reach a writable
/// server, writes succeed again.
async fn writes_meeting_a_read_only_server_answer_503_until_it_is_writable(app: TestApp) {
    if app.backend != Backend::Postgres {
        return;
    }
    let admin = app.admin().await;
    app.execute_on_server(&[
        r#"ALTER DATABASE "{db}" SET default_transaction_read_only = on"#,
        TERMINATE_SESSIONS,
    ])
    .await;
    let write = app
        .post("/v1/shops", Some(&admin), &shop_body("只读的店", "G01"))
        .await;
    write.assert_unavailable();
    let read = app.get("/v1/shops", Some(&admin)).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    app.execute_on_server(&[
        r#"ALTER DATABASE "{db}" RESET default_transaction_read_only"#,
        TERMINATE_SESSIONS,
    ])
    .await;
    let write = app
        .post("/v1/shops", Some(&admin), &shop_body("只读的店", "G01"))
        .await;
    assert_eq!(write.status, StatusCode::CREATED, "{}", write.text);
}

shopcredit_e2e::on_both_backends!(
    writes_meeting_a_read_only_server_answer_503_until_it_is_writable
);

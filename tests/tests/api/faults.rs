//! Transient database faults: busy, locked, refused, frozen, cut, terminated, read-only. Each is
//! answered 503 in the envelope with `Retry-After`, never 500; an unreachable database within a
//! second (`/readyz` too); and the service recovers by itself once the database is back.
//!
//! PostgreSQL faults go through a proxy between the app and the server that can refuse, freeze and
//! cut connections, or through the server itself (connections stopped, sessions terminated).

use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use shopcredit_e2e::{shop_body, Answer, Backend, TestApp};
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Executor};

/// Ends every session of the test's database and waits (up to 5 s) until they are gone, so no
/// request meets one still dying.
const TERMINATE_SESSIONS: &str =
    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '{db}'";

/// How soon a request or `/readyz` answers while the database is unreachable.
const UNREACHABLE_ANSWER_WITHIN: Duration = Duration::from_secs(1);
/// How soon requests are served again once the database is back (generous: a probe must see it).
const RECOVERY_WITHIN: Duration = Duration::from_secs(5);

async fn timed<T>(work: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let value = work.await;
    (value, started.elapsed())
}

/// The answer is 503 with `Retry-After`, and came within [`UNREACHABLE_ANSWER_WITHIN`].
fn assert_prompt_503(what: &str, (answer, took): &(Answer, Duration)) {
    answer.assert_unavailable();
    assert!(
        *took < UNREACHABLE_ANSWER_WITHIN,
        "{what} answered 503 after {took:?}, not within {UNREACHABLE_ANSWER_WITHIN:?}"
    );
}

/// Asks `GET path` until it is served (200), each refusal meanwhile being a proper 503.
async fn served_again(app: &TestApp, path: &str, token: Option<&str>) {
    let started = Instant::now();
    loop {
        let answer = app.get(path, token).await;
        if answer.status == StatusCode::OK {
            return;
        }
        answer.assert_unavailable();
        assert!(
            started.elapsed() < RECOVERY_WITHIN,
            "{path} still 503 {RECOVERY_WITHIN:?} after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the API and `/readyz` answer once the database became unreachable at `since`: every answer
/// within a second, API requests 503 from the first, and `/readyz` 503 within a second of `since`
/// (it reports what the background probe saw last, which may be just before the outage).
async fn every_answer_is_a_prompt_503(app: &TestApp, admin: &str, since: Instant) {
    let read = timed(app.get("/v1/shops", Some(admin))).await;
    assert_prompt_503("a read", &read);
    let write = timed(app.post("/v1/shops", Some(admin), &shop_body("断网的店", "G01"))).await;
    assert_prompt_503("a write", &write);
    let public = timed(app.get("/v1/public/shops/ABCDEFGH", None)).await;
    assert_prompt_503("a public page", &public);
    loop {
        let (ready, took) = timed(app.get("/readyz", None)).await;
        assert!(took < UNREACHABLE_ANSWER_WITHIN, "/readyz took {took:?}");
        if ready.status != StatusCode::OK {
            ready.assert_unavailable();
            break;
        }
        assert!(
            since.elapsed() < UNREACHABLE_ANSWER_WITHIN,
            "/readyz still 200 {:?} into the outage",
            since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.get("/healthz", None).await.status,
        StatusCode::OK,
        "alive all along"
    );
}

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

/// Connections cut in the middle of a query (a network failure, a proxy or pooler restarting):
/// the request answers 503 with `Retry-After`, not 500, and the next requests are served on fresh
/// connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_mid_query_answers_503_then_the_service_recovers() {
    let Some((app, proxy)) = TestApp::spawn_behind_proxy().await else {
        return;
    };
    let admin = app.admin().await;
    app.create_shop(&admin, "被切断的店", "G01").await;
    // Hold the request inside PostgreSQL: the shops table is locked by the test.
    let mut locker = PgConnection::connect(&app.database_url)
        .await
        .expect("connect");
    locker
        .execute("BEGIN; LOCK TABLE shops IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let mut watcher = PgConnection::connect(&app.database_url)
        .await
        .expect("connect");
    let (answer, ()) = tokio::join!(app.get("/v1/shops", Some(&admin)), async {
        wait_until_a_query_waits_for_a_lock(&mut watcher).await;
        proxy.cut();
    });
    answer.assert_unavailable();
    locker.execute("ROLLBACK").await.expect("unlock");
    served_again(&app, "/v1/shops", Some(&admin)).await;
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
}

async fn wait_until_a_query_waits_for_a_lock(watcher: &mut PgConnection) {
    let started = Instant::now();
    loop {
        let (waiting,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut *watcher)
        .await
        .expect("pg_stat_activity");
        if waiting > 0 {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no query waits");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Nothing listens where the database was (the server is down or restarting) and the open
/// connections are gone: every request and `/readyz` answer 503 within a second, not after the
/// pool's acquire timeout; once the server listens again, requests are served without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_answer_503_within_a_second_then_the_service_recovers() {
    let Some((app, proxy)) = TestApp::spawn_behind_proxy().await else {
        return;
    };
    let admin = app.admin().await;
    app.create_shop(&admin, "拒绝连接的店", "G01").await;
    let since = Instant::now();
    proxy.refuse().await;
    proxy.cut();
    every_answer_is_a_prompt_503(&app, &admin, since).await;
    proxy.accept().await;
    served_again(&app, "/v1/shops", Some(&admin)).await;
    served_again(&app, "/readyz", None).await;
}

/// The network freezes: connections stay open but nothing comes back. Requests, those already
/// waiting included, answer 503 within a second instead of hanging; when the network thaws the
/// service serves again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_network_answers_503_within_a_second_then_the_service_recovers() {
    let Some((app, proxy)) = TestApp::spawn_behind_proxy().await else {
        return;
    };
    let admin = app.admin().await;
    app.create_shop(&admin, "冻住的店", "G01").await;
    let since = Instant::now();
    proxy.freeze();
    every_answer_is_a_prompt_503(&app, &admin, since).await;
    proxy.thaw();
    served_again(&app, "/v1/shops", Some(&admin)).await;
    served_again(&app, "/readyz", None).await;
}

/// PostgreSQL stops admitting connections to the database (`ALLOW_CONNECTIONS false`) and its
/// sessions are terminated: 503 within a second for every request and `/readyz`, never 500; when
/// connections are allowed again, requests are served without a restart.
async fn a_database_refusing_connections_answers_503_then_recovers(app: TestApp) {
    if app.backend != Backend::Postgres {
        return;
    }
    let admin = app.admin().await;
    app.create_shop(&admin, "停止连接的店", "G01").await;
    let since = Instant::now();
    app.execute_on_server(&[
        r#"ALTER DATABASE "{db}" ALLOW_CONNECTIONS false"#,
        TERMINATE_SESSIONS,
    ])
    .await;
    every_answer_is_a_prompt_503(&app, &admin, since).await;
    app.execute_on_server(&[r#"ALTER DATABASE "{db}" ALLOW_CONNECTIONS true"#])
        .await;
    served_again(&app, "/v1/shops", Some(&admin)).await;
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
    a_database_refusing_connections_answers_503_then_recovers,
    writes_meeting_a_read_only_server_answer_503_until_it_is_writable,
);

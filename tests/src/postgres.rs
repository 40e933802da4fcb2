//! A fresh PostgreSQL database per test, on the server named by `SHOPCREDIT_TEST_POSTGRES_URL`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

use futures_util::future::join_all;
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Executor};

use crate::notice;

const URL_VAR: &str = "SHOPCREDIT_TEST_POSTGRES_URL";
const PREFIX: &str = "sc_test_";

/// Creates a new empty database and answers its URL; `None` (with a notice) when no server is
/// configured outside CI.
pub async fn fresh_database() -> Option<String> {
    let Ok(admin_url) = std::env::var(URL_VAR) else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but {URL_VAR} is not set: the PostgreSQL suite must run in CI");
        }
        static NOTICE: Once = Once::new();
        NOTICE.call_once(|| {
            notice(&format!(
                "NOTICE: PostgreSQL tests SKIPPED: set {URL_VAR}=postgres://postgres@127.0.0.1:5432/postgres to run them"
            ))
        });
        return None;
    };
    let mut conn = PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("{URL_VAR} is set but PostgreSQL is unreachable: {e}"));
    drop_leftovers(&admin_url, &mut conn).await;
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "{PREFIX}{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    );
    conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .expect("create test database");
    Some(replace_database(&admin_url, &name))
}

/// How many leftover databases are dropped at once. Each `DROP DATABASE` waits for a checkpoint;
/// concurrent drops share one, so a backlog of a previous run's databases goes in seconds, not a
/// second or more per database.
const DROPS_AT_ONCE: usize = 16;

/// Drops test databases left by test processes that are gone (once per process; Linux only, where
/// `/proc` tells whether a process is alive).
async fn drop_leftovers(admin_url: &str, conn: &mut PgConnection) {
    static CLEANED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if CLEANED.swap(true, Ordering::SeqCst) || !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'sc\\_test\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    let gone: Vec<String> = names
        .into_iter()
        .map(|(name,)| name)
        .filter(|name| {
            let pid = name
                .trim_start_matches(PREFIX)
                .split('_')
                .next()
                .unwrap_or("");
            !pid.is_empty() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        })
        .collect();
    for batch in gone.chunks(DROPS_AT_ONCE) {
        join_all(batch.iter().map(|name| async move {
            if let Ok(mut conn) = PgConnection::connect(admin_url).await {
                let _ = conn
                    .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                    .await;
            }
        }))
        .await;
    }
}

/// The same server URL with another database name.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

/// Runs statements on the server's administrative database (the one `SHOPCREDIT_TEST_POSTGRES_URL`
/// names), e.g. to stop connections to a test database, which no session of that database can undo.
pub async fn on_server(statements: &[String]) {
    let admin_url = std::env::var(URL_VAR).expect("PostgreSQL tests run with a server URL");
    let mut conn = PgConnection::connect(&admin_url)
        .await
        .expect("a connection to the PostgreSQL server");
    for statement in statements {
        conn.execute(statement.as_str())
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

/// The database a PostgreSQL URL names.
pub fn database_name(url: &str) -> &str {
    let path = url.split('?').next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or(path)
}

/// The address of the server a PostgreSQL URL names.
pub async fn server_addr(url: &str) -> std::net::SocketAddr {
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(url).expect("a PostgreSQL URL");
    let target = format!("{}:{}", options.get_host(), options.get_port());
    tokio::net::lookup_host(&target)
        .await
        .ok()
        .and_then(|mut addrs| addrs.next())
        .unwrap_or_else(|| panic!("cannot resolve {target}"))
}

/// The same URL pointed at `127.0.0.1:port` (a proxy in front of the server).
pub fn via_local_port(url: &str, port: u16) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host_start = rest[..authority_end].rfind('@').map_or(0, |at| at + 1);
    format!(
        "{}{}127.0.0.1:{port}{}",
        &url[..scheme_end],
        &rest[..host_start],
        &rest[authority_end..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_pointed_at_a_local_port_keeping_user_database_and_options() {
        assert_eq!(
            via_local_port(
                "postgres://postgres@127.0.0.1:5432/db?sslmode=disable",
                7000
            ),
            "postgres://postgres@127.0.0.1:7000/db?sslmode=disable"
        );
        assert_eq!(
            via_local_port("postgresql://u:p@db.example/x", 7001),
            "postgresql://u:p@127.0.0.1:7001/x"
        );
        assert_eq!(
            via_local_port("postgres://db/x", 7002),
            "postgres://127.0.0.1:7002/x"
        );
    }
}

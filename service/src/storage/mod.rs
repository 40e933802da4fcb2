//! All SQL of the service lives under this module, with bound parameters only.
//!
//! One code path serves SQLite and PostgreSQL through sqlx's `Any` driver: integers, floats and text
//! only (times are epoch milliseconds), and `$1…$N` placeholders, which both backends accept.

pub mod alerts;
pub mod cases;
pub mod disputes;
pub mod enforcement;
pub mod events;
pub mod feed;
pub mod grids;
pub mod hazards;
pub mod idempotency;
pub mod inspections;
pub mod jobs;
pub mod policies;
mod pools;
pub mod reachability;
pub mod reviews;
pub mod scores;
pub mod shops;
mod sql;
pub mod tips;
pub mod tokens;

use std::time::Duration;

use sqlx::any::AnyConnectOptions;
use sqlx::migrate::Migrator;
use sqlx::AnyPool;

pub use reachability::Reachability;
pub use sql::Arg;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from a database URL.
    pub fn of_url(url: &str) -> Result<Self, StorageError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(StorageError::UnsupportedUrl(redact(url)))
        }
    }
}

/// Failures opening or migrating the database.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unsupported DATABASE_URL {0:?}: use sqlite://path or postgres://...")]
    UnsupportedUrl(String),
    #[error("cannot create the database directory {0}: {1}")]
    CreateDir(String, std::io::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Pool settings taken from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

/// The storage handle: the connection pools, the backend they talk to and whether it can be
/// reached. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    /// Reads, and on PostgreSQL writes too.
    pool: AnyPool,
    /// Writes: on SQLite one connection, so writers queue here in turn (see `pools`); on
    /// PostgreSQL the same pool as reads.
    writer: AnyPool,
    backend: Backend,
    options: AnyConnectOptions,
    reachability: Reachability,
}

/// How often `begin_write` asks SQLite for the write lock before answering "busy" (each ask waits up
/// to the busy timeout), and the pause before the second ask, doubled for each ask after it.
const WRITE_LOCK_ASKS: u32 = 3;
const WRITE_LOCK_PAUSE: Duration = Duration::from_millis(25);

impl Store {
    /// Connects (creating a SQLite file and its directory on first use) without migrating.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn connect(url: &str, settings: PoolSettings) -> Result<Self, StorageError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let pools = pools::open(url, backend, settings).await?;
        Ok(Self {
            pool: pools.reads,
            writer: pools.writes,
            backend,
            options: pools.options,
            reachability: Reachability::default(),
        })
    }

    /// Applies the embedded migrations of this backend (idempotent; on PostgreSQL under an advisory
    /// lock, so several replicas may start at once).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn migrate(&self) -> Result<(), StorageError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.writer).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database can be reached, as the reachability probe last saw it.
    pub fn reachability(&self) -> &Reachability {
        &self.reachability
    }

    /// Probes the database in the background until the returned task is aborted (see
    /// [`reachability`]).
    pub fn watch_reachability(&self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(
            self.reachability
                .clone()
                .probe_forever(self.options.clone()),
        )
    }

    /// Readiness: the database was reached by the last probe and the pools are open. Answers at
    /// once, without waiting for a connection.
    pub fn is_ready(&self) -> bool {
        self.reachability.is_reachable() && !self.pool.is_closed() && !self.writer.is_closed()
    }

    /// Closes the pools (used by tests that simulate an outage).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads then writes fails with
    /// SQLITE_BUSY_SNAPSHOT under concurrent writers instead of waiting. The service's own writers
    /// queue for the single writer connection; another process holding the lock is waited for (the
    /// busy timeout) and asked again a few times with a pause, which also covers the busy answers
    /// SQLite gives without waiting. Safe to repeat: nothing has been done yet. Still busy after
    /// that, the error is answered 503 with `Retry-After`.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        if self.backend == Backend::Postgres {
            return self.writer.begin().await;
        }
        let mut pause = WRITE_LOCK_PAUSE;
        let mut asks = 1;
        loop {
            match self.writer.begin_with("BEGIN IMMEDIATE").await {
                Err(e) if asks < WRITE_LOCK_ASKS && is_sqlite_busy(&e) => {
                    tracing::debug!(asks, error = %e, "SQLite write lock busy; asking again");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    asks += 1;
                }
                other => return other,
            }
        }
    }

    /// Starts a write transaction that holds `locks` until it ends, so that transactions which
    /// count rows and then insert one (rate limits) see each other's rows instead of racing.
    /// SQLite's `BEGIN IMMEDIATE` already lets one writer in at a time. PostgreSQL under READ
    /// COMMITTED lets two such transactions count the same rows and both insert, so each lock is a
    /// transaction-scoped advisory lock; taken in key order, they cannot deadlock each other. A
    /// statement after the lock reads what the previous holder committed (a fresh snapshot per
    /// statement), because the holder commits before its locks are released.
    pub(crate) async fn begin_write_locked(
        &self,
        locks: &[LockKey],
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            let mut keys: Vec<i64> = locks.iter().map(|l| l.0).collect();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(tx)
    }

    /// Reads outside a transaction.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Single-statement writes outside a transaction: on SQLite they queue with the other writes.
    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }
}

/// What a write transaction locks on PostgreSQL (see [`Store::begin_write_locked`]): a scope and a
/// name, hashed into the 64-bit key advisory locks take. A collision only makes two unrelated
/// writers wait for each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LockKey(i64);

impl LockKey {
    pub(crate) fn new(scope: &str, name: &str) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("{scope}\0{name}").as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        Self(i64::from_be_bytes(first))
    }
}

/// True for SQLite's "busy" and "locked" result codes (SQLITE_BUSY 5 and SQLITE_LOCKED 6, with any
/// extended code: sqlx reports the extended one, whose low byte is the primary code).
fn is_busy_code(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// True when SQLite answered busy or locked (another connection holds the lock it needs).
pub fn is_sqlite_busy(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|db| db.try_downcast_ref::<sqlx::sqlite::SqliteError>())
        .is_some_and(|e| is_busy_code(sqlx::error::DatabaseError::code(e).as_deref()))
}

/// A database URL with any password hidden, for error messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Stored data that cannot be read (JSON that does not parse, a value outside its vocabulary): an
/// error answered as 500 and logged with the row, never silently read as empty.
#[derive(Debug, thiserror::Error)]
#[error("{table} row {id}: column {column} cannot be read")]
pub struct CorruptRow {
    pub table: &'static str,
    pub id: i64,
    pub column: &'static str,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl CorruptRow {
    pub fn new(
        table: &'static str,
        id: i64,
        column: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            table,
            id,
            column,
            source: Box::new(source),
        }
    }
}

/// The status of row `id` of `table`, read inside the transaction whose compare-and-set update
/// matched nothing: `None` when the row does not exist, else the status that refused the step.
pub(crate) async fn status_of<S>(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    table: &'static str,
    id: i64,
) -> Result<Option<S>, sqlx::Error>
where
    S: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + Unpin,
{
    let row: Option<(S,)> = sqlx::query_as(&format!("SELECT status FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|(s,)| s))
}

/// True when the error is a unique-constraint violation (e.g. a door code collision).
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_busy_and_locked_codes_are_recognised_with_their_extended_codes() {
        // SQLITE_BUSY, _BUSY_RECOVERY, _BUSY_SNAPSHOT, _BUSY_TIMEOUT, SQLITE_LOCKED, _SHAREDCACHE.
        for code in ["5", "261", "517", "773", "6", "262"] {
            assert!(is_busy_code(Some(code)), "{code}");
        }
        // SQLITE_CONSTRAINT_UNIQUE, SQLITE_IOERR, SQLITE_FULL, a PostgreSQL code, none.
        for code in [Some("2067"), Some("10"), Some("13"), Some("40001"), None] {
            assert!(!is_busy_code(code), "{code:?}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn lock_keys_differ_by_scope_and_name() {
        let a = LockKey::new("reviews.client", "abc");
        assert_eq!(a, LockKey::new("reviews.client", "abc"));
        assert_ne!(a, LockKey::new("tips.client", "abc"));
        assert_ne!(a, LockKey::new("reviews.client", "abd"));
    }

    #[test]
    fn unknown_schemes_are_refused() {
        assert!(Backend::of_url("mysql://x").is_err());
    }
}

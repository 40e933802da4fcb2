//! Opening the connection pools: one for reads (and PostgreSQL's writes), and on SQLite a pool of a
//! single connection that every write goes through.
//!
//! Why one SQLite writer: SQLite admits one writer at a time, and connections waiting for the lock
//! poll it in SQLite's busy handler, sleeping longer each time. Pooled connections polling the lock
//! lose to whichever happens to wake first, so under a steady write load one can wait past its busy
//! timeout and fail with "database is locked" (measured here: 9 and 2 of 1,000 writes from 100
//! concurrent writers, 32 pooled connections, the sweep running), while the lock sits free between
//! polls. Queueing writers in the process instead (the writer pool's queue is first come, first
//! served) lets each write start the moment the last one commits: none failed in the same runs.
//! Readers are untouched: WAL lets them run beside the writer.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use super::{Backend, PoolSettings, StorageError};

/// How long a SQLite statement waits for a lock held by another connection (another process: the
/// service's own writes queue in the writer pool) before SQLite answers "database is locked".
pub(crate) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_millis(1000);

/// The pools of one database.
pub(crate) struct Pools {
    pub(crate) reads: AnyPool,
    pub(crate) writes: AnyPool,
    pub(crate) options: AnyConnectOptions,
}

/// Connects (creating a SQLite file and its directory on first use).
pub(crate) async fn open(
    url: &str,
    backend: Backend,
    settings: PoolSettings,
) -> Result<Pools, StorageError> {
    let url = match backend {
        Backend::Sqlite => prepare_sqlite_url(url)?,
        Backend::Postgres => url.to_owned(),
    };
    let options = AnyConnectOptions::from_str(&url).map_err(StorageError::Connect)?;
    let reads = pool_options(backend, settings, settings.max_connections)
        .connect_with(options.clone())
        .await
        .map_err(StorageError::Connect)?;
    let writes = match backend {
        Backend::Sqlite => pool_options(backend, settings, 1)
            .connect_with(options.clone())
            .await
            .map_err(StorageError::Connect)?,
        // PostgreSQL locks rows, not the database: writers need no queue of their own.
        Backend::Postgres => reads.clone(),
    };
    Ok(Pools {
        reads,
        writes,
        options,
    })
}

fn pool_options(backend: Backend, settings: PoolSettings, size: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(settings.acquire_timeout)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // The busy timeout first, so the pragmas after it wait for a lock too. WAL
                    // lets readers run beside the writer; NORMAL sync survives process crashes.
                    let busy = SQLITE_BUSY_TIMEOUT.as_millis();
                    conn.execute(format!("PRAGMA busy_timeout = {busy}").as_str())
                        .await?;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                }
                Ok(())
            })
        })
}

/// Makes sure the SQLite file can be created: its directory exists and `mode=rwc` is set.
pub(crate) fn prepare_sqlite_url(url: &str) -> Result<String, StorageError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" && !path.is_empty() {
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StorageError::CreateDir(dir.display().to_string(), e))?;
        }
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/x.db");
        let url = prepare_sqlite_url(&format!("sqlite://{}", path.display())).unwrap();
        assert!(url.ends_with("?mode=rwc"));
        assert!(path.parent().unwrap().exists());
    }
}

//! Whether the database can be reached, as a background probe last saw it, so that requests and
//! `/readyz` learn of an outage at once instead of each waiting out the pool's acquire timeout.
//!
//! The probe keeps one connection of its own, outside the pools (a pool busy with requests is not
//! an outage), pings it (one round trip) every [`PROBE_EVERY`], and reconnects when that fails.
//! Failing to reconnect, or no answer within [`PROBE_PATIENCE`] (a frozen network answers nothing),
//! marks the database unreachable; the next answer marks it reachable again. Refused or terminated
//! connections are seen at the next probe, a frozen network once the patience runs out: an outage is
//! known within a second either way.

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions, Connection};
use tokio::sync::watch;

/// Pause between two probes.
pub const PROBE_EVERY: Duration = Duration::from_millis(100);
/// How long a probe (connecting, if needed, then the ping) may take before the database counts as
/// unreachable. Far above a healthy round trip, even on a loaded machine.
pub const PROBE_PATIENCE: Duration = Duration::from_millis(400);

/// The reachability of one database, shared by the store's clones. Starts reachable: the store has
/// just connected.
#[derive(Debug, Clone)]
pub struct Reachability {
    reachable: Arc<watch::Sender<bool>>,
}

impl Default for Reachability {
    fn default() -> Self {
        Self {
            reachable: Arc::new(watch::Sender::new(true)),
        }
    }
}

impl Reachability {
    /// Whether the last probe reached the database.
    pub fn is_reachable(&self) -> bool {
        *self.reachable.borrow()
    }

    /// Resolves when the database is (or becomes) unreachable.
    pub async fn lost(&self) {
        let mut seen = self.reachable.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail; if it did, never resolve.
        if seen.wait_for(|reachable| !reachable).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    fn record(&self, reachable: bool) {
        let changed = self.reachable.send_if_modified(|now| {
            let changed = *now != reachable;
            *now = reachable;
            changed
        });
        if changed && reachable {
            tracing::info!("database reachable again");
        } else if changed {
            tracing::warn!("database unreachable; answering 503 until it is back");
        }
    }

    /// Probes `options`' database forever (until the task is dropped).
    pub(crate) async fn probe_forever(self, options: AnyConnectOptions) {
        let mut conn: Option<AnyConnection> = None;
        loop {
            let answered = tokio::time::timeout(PROBE_PATIENCE, probe(&options, &mut conn)).await;
            let reachable = matches!(answered, Ok(Ok(())));
            if !reachable {
                // Whatever state it is in, the connection is not trusted again.
                conn = None;
            }
            self.record(reachable);
            tokio::time::sleep(PROBE_EVERY).await;
        }
    }
}

/// Pings on the probe's connection; when that fails (a cut or terminated connection), connects
/// afresh and pings on the new one, so a lost connection alone does not count as an outage.
async fn probe(
    options: &AnyConnectOptions,
    conn: &mut Option<AnyConnection>,
) -> Result<(), sqlx::Error> {
    if let Some(open) = conn {
        if open.ping().await.is_ok() {
            return Ok(());
        }
        *conn = None;
    }
    let mut fresh = options.connect().await?;
    fresh.ping().await?;
    *conn = Some(fresh);
    Ok(())
}

//! Scoring policies: versioned, stored as JSON, adopted explicitly. The policy in force is the one
//! adopted last.

use sqlx::FromRow;

use super::{is_unique_violation, Store};

/// A stored policy.
#[derive(Debug, Clone, FromRow)]
pub struct PolicyRecord {
    pub version: String,
    pub body: String,
    pub created_at: i64,
    pub created_by: String,
    pub adopted_at: Option<i64>,
}

const COLUMNS: &str = "version, body, created_at, created_by, adopted_at";

/// Why a policy could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum PolicyStoreError {
    #[error("policy version {0} already exists; versions are never overwritten")]
    VersionExists(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Store {
    /// Stores a new (validated) policy version, not yet adopted.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn insert_policy(
        &self,
        version: &str,
        body: &str,
        now: i64,
        by: &str,
    ) -> Result<PolicyRecord, PolicyStoreError> {
        let inserted = sqlx::query_as::<_, PolicyRecord>(&format!(
            "INSERT INTO policies (version, body, created_at, created_by) VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
        ))
        .bind(version)
        .bind(body)
        .bind(now)
        .bind(by)
        .fetch_one(self.writer())
        .await;
        match inserted {
            Ok(record) => Ok(record),
            Err(e) if is_unique_violation(&e) => {
                Err(PolicyStoreError::VersionExists(version.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Stores and adopts the shipped default when no policy has ever been adopted (first start;
    /// safe when several replicas start at once).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ensure_default_policy(
        &self,
        version: &str,
        body: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let (adopted,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM policies WHERE adopted_at IS NOT NULL")
                .fetch_one(&mut *tx)
                .await?;
        if adopted == 0 {
            sqlx::query(
                "INSERT INTO policies (version, body, created_at, created_by, adopted_at) VALUES ($1, $2, $3, 'system', $3) \
                 ON CONFLICT (version) DO UPDATE SET adopted_at = excluded.adopted_at",
            )
            .bind(version)
            .bind(body)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// The policy in force: the one adopted last.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn current_policy(&self) -> Result<Option<PolicyRecord>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM policies WHERE adopted_at IS NOT NULL ORDER BY adopted_at DESC, created_at DESC LIMIT 1"
        ))
        .fetch_optional(self.pool())
        .await
    }

    /// One policy by version.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn policy(&self, version: &str) -> Result<Option<PolicyRecord>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM policies WHERE version = $1"
        ))
        .bind(version)
        .fetch_optional(self.pool())
        .await
    }

    /// Policy versions, newest first, `limit` after the version `after` (`None` for the start);
    /// answers one more than `limit` when more follow.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn policies(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<PolicyRecord>, sqlx::Error> {
        // Keyed by (created_at, version): versions are unique, so a page boundary never shifts.
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM policies p WHERE $1 = '' OR p.created_at < \
             (SELECT created_at FROM policies WHERE version = $1) OR (p.created_at = \
             (SELECT created_at FROM policies WHERE version = $1) AND p.version > $1) \
             ORDER BY p.created_at DESC, p.version LIMIT $2"
        ))
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit) + 1)
        .fetch_all(self.pool())
        .await
    }

    /// Marks a policy adopted now.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn adopt_policy(
        &self,
        version: &str,
        now: i64,
    ) -> Result<Option<PolicyRecord>, sqlx::Error> {
        sqlx::query_as(&format!(
            "UPDATE policies SET adopted_at = $1 WHERE version = $2 RETURNING {COLUMNS}"
        ))
        .bind(now)
        .bind(version)
        .fetch_optional(self.writer())
        .await
    }
}

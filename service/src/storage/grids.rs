//! The grids registry: the areas the district is divided into. Shops and inspectors' tokens name a
//! grid, which must have been registered first.

use sqlx::{Any, FromRow, Transaction};

use super::{is_unique_violation, Store};
use crate::domain::shop::{GridCode, GridName};

/// A grid as stored.
#[derive(Debug, Clone, FromRow)]
pub struct GridRecord {
    pub code: String,
    pub name: String,
    pub created_at: i64,
}

/// Why a grid could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum GridError {
    #[error("grid {0} is already registered")]
    Exists(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Whether a grid is registered, read inside the caller's transaction.
pub(crate) async fn grid_exists(
    tx: &mut Transaction<'static, Any>,
    grid: &GridCode,
) -> Result<bool, sqlx::Error> {
    let found: Option<(String,)> = sqlx::query_as("SELECT code FROM grids WHERE code = $1")
        .bind(grid.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(found.is_some())
}

impl Store {
    /// Registers a grid.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_grid(
        &self,
        code: &GridCode,
        name: &GridName,
        now_ms: i64,
    ) -> Result<GridRecord, GridError> {
        let inserted = sqlx::query_as::<_, GridRecord>(
            "INSERT INTO grids (code, name, created_at) VALUES ($1, $2, $3) \
             RETURNING code, name, created_at",
        )
        .bind(code.as_str())
        .bind(name.as_str())
        .bind(now_ms)
        .fetch_one(self.writer())
        .await;
        match inserted {
            Ok(record) => Ok(record),
            Err(e) if is_unique_violation(&e) => Err(GridError::Exists(code.as_str().to_owned())),
            Err(e) => Err(e.into()),
        }
    }

    /// Up to `limit` grids in code order, after `after` when given.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn grids(
        &self,
        after: Option<&GridCode>,
        limit: u32,
    ) -> Result<Vec<GridRecord>, sqlx::Error> {
        sqlx::query_as(
            "SELECT code, name, created_at FROM grids WHERE code > $1 ORDER BY code LIMIT $2",
        )
        .bind(after.map_or("", GridCode::as_str))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
    }
}

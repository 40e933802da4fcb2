//! API tokens: only their SHA-256 hashes are stored.

use sqlx::FromRow;

use super::Store;
use crate::domain::role::Role;
use crate::domain::shop::GridCode;

/// A live (not revoked) token, as found by its hash.
#[derive(Debug, Clone, FromRow)]
pub struct TokenRecord {
    pub id: i64,
    pub role: Role,
    /// What the token's creator called it (a person or a desk); names its holder in the trail.
    pub label: Option<String>,
}

/// What a new token may do.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub hash: &'a str,
    pub prefix: &'a str,
    pub role: Role,
    pub label: Option<&'a str>,
    pub shops: &'a [i64],
    pub grids: &'a [GridCode],
}

/// Why a token could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no shop with id {0}")]
    UnknownShop(i64),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Store {
    /// Stores a token's hash and scope; grids are created on first use, shops must exist.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn insert_token(&self, token: &NewToken<'_>, now_ms: i64) -> Result<i64, TokenError> {
        let mut tx = self.begin_write().await?;
        for &shop in token.shops {
            let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM shops WHERE id = $1")
                .bind(shop)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(TokenError::UnknownShop(shop));
            }
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO api_tokens (token_hash, prefix, role, label, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(token.hash)
        .bind(token.prefix)
        .bind(token.role)
        .bind(token.label)
        .bind(now_ms)
        .fetch_one(&mut *tx)
        .await?;
        for &shop in token.shops {
            sqlx::query("INSERT INTO token_shops (token_id, shop_id) VALUES ($1, $2)")
                .bind(id)
                .bind(shop)
                .execute(&mut *tx)
                .await?;
        }
        for grid in token.grids {
            sqlx::query("INSERT INTO grids (code, created_at) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING")
                .bind(grid.as_str())
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO token_grids (token_id, grid) VALUES ($1, $2)")
                .bind(id)
                .bind(grid.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The live token with this hash, if any.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, role, label FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash)
        .fetch_optional(self.pool())
        .await
    }

    /// Revokes the token with this id or this printed prefix; answers how many were revoked.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn revoke_token(&self, id_or_prefix: &str, now_ms: i64) -> Result<u64, sqlx::Error> {
        let id: i64 = id_or_prefix.parse().unwrap_or(-1);
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND (id = $2 OR prefix = $3)",
        )
        .bind(now_ms)
        .bind(id)
        .bind(id_or_prefix)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}

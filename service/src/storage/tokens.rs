//! API tokens: only their SHA-256 hashes are stored.

use sqlx::FromRow;

use super::grids::grid_exists;
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
    #[error("grid {0} is not registered (shopcredit grid create CODE NAME)")]
    UnknownGrid(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Store {
    /// Stores a token's hash and scope; its shops and grids must exist.
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
        for grid in token.grids {
            if !grid_exists(&mut tx, grid).await? {
                return Err(TokenError::UnknownGrid(grid.as_str().to_owned()));
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
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected())
    }
}

/// A token as `shopcredit token list` shows it: never its secret or hash.
#[derive(Debug, Clone)]
pub struct TokenListing {
    pub id: i64,
    pub prefix: String,
    pub role: Role,
    pub label: Option<String>,
    /// Shop ids (owners) or grid codes (inspectors), comma-separated; empty for the district.
    pub scope: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A token's own columns, before its scope is gathered.
#[derive(Debug, FromRow)]
struct TokenRow {
    id: i64,
    prefix: String,
    role: Role,
    label: Option<String>,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl Store {
    /// Every token, revoked ones included, in id order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn tokens(&self) -> Result<Vec<TokenListing>, sqlx::Error> {
        // string_agg/group_concat differ between the backends, so scopes are joined here.
        let tokens: Vec<TokenRow> = sqlx::query_as(
            "SELECT id, prefix, role, label, created_at, revoked_at FROM api_tokens ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        let shops: Vec<(i64, i64)> =
            sqlx::query_as("SELECT token_id, shop_id FROM token_shops ORDER BY token_id, shop_id")
                .fetch_all(self.pool())
                .await?;
        let grids: Vec<(i64, String)> =
            sqlx::query_as("SELECT token_id, grid FROM token_grids ORDER BY token_id, grid")
                .fetch_all(self.pool())
                .await?;
        Ok(tokens
            .into_iter()
            .map(|t| {
                let id = t.id;
                let scope: Vec<String> = shops
                    .iter()
                    .filter(|(t, _)| *t == id)
                    .map(|(_, s)| format!("shop {s}"))
                    .chain(
                        grids
                            .iter()
                            .filter(|(t, _)| *t == id)
                            .map(|(_, g)| format!("grid {g}")),
                    )
                    .collect();
                TokenListing {
                    id,
                    prefix: t.prefix,
                    role: t.role,
                    label: t.label,
                    scope: scope.join(", "),
                    created_at: t.created_at,
                    revoked_at: t.revoked_at,
                }
            })
            .collect())
    }
}

//! Idempotency keys: one row per (caller, key) holding the first answer to a POST, so a retry gets it
//! back instead of writing twice.

use sqlx::FromRow;

use super::Store;

/// A stored key and, once the first request finished, its answer.
#[derive(Debug, Clone, FromRow)]
pub struct IdempotencyRecord {
    pub fingerprint: String,
    pub claimed_at: i64,
    /// `None` while the first request is still running.
    pub status: Option<i64>,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: Option<String>,
}

/// What claiming a key found.
#[derive(Debug)]
pub enum Claim {
    /// The key is this request's: run it, then [`Store::complete_idempotent`] or release it.
    New,
    /// Another request holds or held the key.
    Taken(IdempotencyRecord),
}

/// The answer to keep for a key.
#[derive(Debug)]
pub struct StoredAnswer<'a> {
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub location: Option<&'a str>,
    pub body: &'a str,
}

impl Store {
    /// Claims `key` for `scope` at `now`. A claim left unfinished since before `stale_before` (its
    /// replica died mid-request) is taken over by a request with the same fingerprint.
    pub async fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: i64,
        stale_before: i64,
    ) -> Result<Claim, sqlx::Error> {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, claimed_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(scope)
        .bind(key)
        .bind(fingerprint)
        .bind(now)
        .execute(self.pool())
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(Claim::New);
        }
        let record: IdempotencyRecord = sqlx::query_as(
            "SELECT fingerprint, claimed_at, status, content_type, location, body \
             FROM idempotency_keys WHERE scope = $1 AND key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_one(self.pool())
        .await?;
        let abandoned = record.status.is_none()
            && record.claimed_at < stale_before
            && record.fingerprint == fingerprint;
        if abandoned {
            // Compare-and-set on the old claim time: of several retries, one takes it over.
            let taken = sqlx::query(
                "UPDATE idempotency_keys SET claimed_at = $1 \
                 WHERE scope = $2 AND key = $3 AND claimed_at = $4 AND status IS NULL",
            )
            .bind(now)
            .bind(scope)
            .bind(key)
            .bind(record.claimed_at)
            .execute(self.pool())
            .await?;
            if taken.rows_affected() == 1 {
                return Ok(Claim::New);
            }
        }
        Ok(Claim::Taken(record))
    }

    /// Keeps the answer to the request that claimed `key`.
    pub async fn complete_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        answer: &StoredAnswer<'_>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, content_type = $2, location = $3, body = $4 \
             WHERE scope = $5 AND key = $6",
        )
        .bind(i64::from(answer.status))
        .bind(answer.content_type)
        .bind(answer.location)
        .bind(answer.body)
        .bind(scope)
        .bind(key)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Lets go of an unfinished claim (the request failed in a way a retry may fix).
    pub async fn release_idempotency_key(&self, scope: &str, key: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status IS NULL",
        )
        .bind(scope)
        .bind(key)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets keys claimed before `before`; answers how many.
    pub async fn purge_idempotency_keys(&self, before: i64) -> Result<u64, sqlx::Error> {
        let purged = sqlx::query("DELETE FROM idempotency_keys WHERE claimed_at < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(purged.rows_affected())
    }
}

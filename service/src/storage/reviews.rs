//! Residents' reviews: rate limits, duplicate suppression and burst holds, decided and written in one
//! write transaction, under locks on the client and the shop, so concurrent reviews see each other.

use serde_json::json;
use sqlx::FromRow;

use super::events::{self, Actor, Subject};
use super::scores::mark_for_rescore;
use super::sql::{Arg, Statement};
use super::{LockKey, Store};
use crate::domain::page::{Page, PageRequest};
use crate::domain::review::{AbuseRules, HoldReason, ReviewDecision, ReviewStatus};
use crate::domain::vocabulary::IntFlag;

/// A review as stored (the client key stays in the database).
#[derive(Debug, Clone, FromRow)]
pub struct ReviewRecord {
    pub id: i64,
    pub shop_id: i64,
    pub rating: i64,
    pub text: Option<String>,
    pub created_at: i64,
    pub status: ReviewStatus,
    pub hold_reason: Option<HoldReason>,
    pub cleared_at: Option<i64>,
    #[sqlx(try_from = "IntFlag")]
    pub excluded: bool,
}

const RETURNED: &str =
    "id, shop_id, rating, text, created_at, status, hold_reason, cleared_at, excluded";

/// A review to record.
#[derive(Debug, Clone)]
pub struct NewReview<'a> {
    pub shop_id: i64,
    pub rating: u8,
    pub text: Option<&'a str>,
    pub text_key: Option<&'a str>,
    pub client_key: &'a str,
}

/// Why a review or tip was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error("rate limited")]
    RateLimited { retry_after_ms: i64 },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The counted rating of a shop.
#[derive(Debug, Clone, Copy, Default, FromRow)]
pub struct RatingSummary {
    pub count: i64,
    pub total: i64,
}

impl Store {
    /// Records a review under the abuse rules; answers the stored review (`held` when flagged).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_review(
        &self,
        review: &NewReview<'_>,
        rules: &AbuseRules,
        now: i64,
    ) -> Result<ReviewRecord, LimitError> {
        // Per client for its limits, per shop for duplicates and bursts.
        let mut tx = self
            .begin_write_locked(&[
                LockKey::new("reviews.client", review.client_key),
                LockKey::new("reviews.shop", &review.shop_id.to_string()),
            ])
            .await?;
        let hour_ago = now - 3_600_000;
        let (recent, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(created_at) FROM reviews WHERE client_key = $1 AND created_at > $2",
        )
        .bind(review.client_key)
        .bind(hour_ago)
        .fetch_one(&mut *tx)
        .await?;
        if recent >= rules.reviews_per_client_hour {
            let retry_after_ms = oldest.unwrap_or(now) + 3_600_000 - now;
            return Err(LimitError::RateLimited { retry_after_ms });
        }
        let (last_here,): (Option<i64>,) = sqlx::query_as(
            "SELECT MAX(created_at) FROM reviews WHERE client_key = $1 AND shop_id = $2 AND created_at > $3",
        )
        .bind(review.client_key)
        .bind(review.shop_id)
        .bind(now - rules.per_shop_window_ms)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(last) = last_here {
            return Err(LimitError::RateLimited {
                retry_after_ms: last + rules.per_shop_window_ms - now,
            });
        }
        let duplicate = match review.text_key {
            Some(key) => {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM reviews WHERE shop_id = $1 AND text_key = $2 AND created_at > $3",
                )
                .bind(review.shop_id)
                .bind(key)
                .bind(now - rules.duplicate_window_ms)
                .fetch_one(&mut *tx)
                .await?;
                n > 0
            }
            None => false,
        };
        let window_start = now - rules.burst_window_ms;
        let (in_window, in_baseline): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN created_at > $2 THEN 1 ELSE 0 END), 0), \
                    COALESCE(SUM(CASE WHEN created_at <= $2 THEN 1 ELSE 0 END), 0) \
             FROM reviews WHERE shop_id = $1 AND created_at > $3",
        )
        .bind(review.shop_id)
        .bind(window_start)
        .bind(window_start - rules.baseline_ms)
        .fetch_one(&mut *tx)
        .await?;
        let hold = rules.hold_reason(duplicate, in_window + 1, in_baseline);
        let record: ReviewRecord = sqlx::query_as(&format!(
            "INSERT INTO reviews (shop_id, rating, text, text_key, client_key, created_at, status, hold_reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {RETURNED}"
        ))
        .bind(review.shop_id)
        .bind(i64::from(review.rating))
        .bind(review.text)
        .bind(review.text_key)
        .bind(review.client_key)
        .bind(now)
        .bind(if hold.is_some() {
            ReviewStatus::Held
        } else {
            ReviewStatus::Counted
        })
        .bind(hold)
        .fetch_one(&mut *tx)
        .await?;
        let actor = Actor::public();
        if hold == Some(HoldReason::Burst) {
            // The reviews that started the burst are held too: a burst is judged as a whole.
            let held: Vec<(i64,)> = sqlx::query_as(
                "UPDATE reviews SET status = 'held', hold_reason = 'burst' \
                 WHERE shop_id = $1 AND created_at > $2 AND status = 'counted' AND cleared_at IS NULL \
                 RETURNING id",
            )
            .bind(review.shop_id)
            .bind(window_start)
            .fetch_all(&mut *tx)
            .await?;
            for (id,) in held {
                let held = Subject::new("review", review.shop_id, id);
                let details = json!({"reason": HoldReason::Burst});
                events::record(&mut tx, held, "review.held", &actor, now, details).await?;
            }
        }
        events::record(
            &mut tx,
            Subject::new("review", review.shop_id, record.id),
            "review.received",
            &actor,
            now,
            json!({"rating": review.rating, "status": record.status, "hold_reason": hold}),
        )
        .await?;
        mark_for_rescore(&mut tx, review.shop_id, now).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// A shop's reviews in id order, `held` ones included.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn shop_reviews(
        &self,
        shop_id: i64,
        page: PageRequest,
    ) -> Result<Page<ReviewRecord>, sqlx::Error> {
        self.reviews_where("shop_id = ", Arg::Int(shop_id), page)
            .await
    }

    /// Reviews in a status across the district (regulators' moderation queue).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn reviews_by_status(
        &self,
        status: ReviewStatus,
        page: PageRequest,
    ) -> Result<Page<ReviewRecord>, sqlx::Error> {
        self.reviews_where("status = ", Arg::Text(status.as_str().to_owned()), page)
            .await
    }

    async fn reviews_where(
        &self,
        column: &str,
        value: Arg,
        page: PageRequest,
    ) -> Result<Page<ReviewRecord>, sqlx::Error> {
        let mut st = Statement::new(&format!("SELECT {RETURNED} FROM reviews WHERE "));
        st.push(column).bind(value);
        st.fetch_page::<ReviewRecord>("id", page, self.pool(), |r| r.id)
            .await
    }

    /// A regulator clears a held review: it counts from now on and is never held again by a burst.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn clear_review(
        &self,
        id: i64,
        now: i64,
        actor: &Actor,
    ) -> Result<Option<ReviewRecord>, sqlx::Error> {
        let (mut decided, _) = self
            .decide_held_reviews(&[id], ReviewDecision::Clear, now, actor)
            .await?;
        Ok(decided.pop())
    }

    /// A regulator's decision on held reviews, in one transaction: cleared ones count from now on,
    /// rejected ones stay in history and never count. Answers the decided reviews and the ids that
    /// were not held (unknown, or decided before).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn decide_held_reviews(
        &self,
        ids: &[i64],
        decision: ReviewDecision,
        now: i64,
        actor: &Actor,
    ) -> Result<(Vec<ReviewRecord>, Vec<i64>), sqlx::Error> {
        let (set, action) = match decision {
            ReviewDecision::Clear => (
                "status = 'counted', hold_reason = NULL, cleared_at = $1",
                "review.cleared",
            ),
            ReviewDecision::Reject => ("status = 'rejected', cleared_at = $1", "review.rejected"),
        };
        let mut tx = self.begin_write().await?;
        let mut decided = Vec::with_capacity(ids.len());
        let mut not_held = Vec::new();
        for &id in ids {
            let record: Option<ReviewRecord> = sqlx::query_as(&format!(
                "UPDATE reviews SET {set} WHERE id = $2 AND status = 'held' RETURNING {RETURNED}"
            ))
            .bind(now)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(r) = record else {
                not_held.push(id);
                continue;
            };
            events::record(
                &mut tx,
                Subject::new("review", r.shop_id, r.id),
                action,
                actor,
                now,
                json!({}),
            )
            .await?;
            mark_for_rescore(&mut tx, r.shop_id, now).await?;
            decided.push(r);
        }
        tx.commit().await?;
        Ok((decided, not_held))
    }

    /// One review by id (for moderation and disputes).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn review(&self, id: i64) -> Result<Option<ReviewRecord>, sqlx::Error> {
        sqlx::query_as(&format!("SELECT {RETURNED} FROM reviews WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await
    }

    /// Count and sum of the reviews that count: not held, not excluded by an upheld dispute.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn counted_rating(&self, shop_id: i64) -> Result<RatingSummary, sqlx::Error> {
        sqlx::query_as(
            "SELECT COUNT(*) AS count, CAST(COALESCE(SUM(rating), 0) AS BIGINT) AS total FROM reviews \
             WHERE shop_id = $1 AND status = 'counted' AND excluded = 0",
        )
        .bind(shop_id)
        .fetch_one(self.pool())
        .await
    }
}

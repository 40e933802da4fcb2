//! Residents' tip-offs: leads (not evidence) until an inspector verifies one into a finding or
//! dismisses it.

use serde_json::json;
use sqlx::FromRow;

use super::events::{self, Actor, Subject};
use super::hazards::{open_hazard, HazardRecord};
use super::reviews::LimitError;
use super::shops::restrict;
use super::sql::{Arg, Statement};
use super::{is_unique_violation, status_of, LockKey, Store};
use crate::domain::hazard::{HazardType, NewHazard};
use crate::domain::page::{Page, PageRequest};
use crate::domain::review::{AbuseRules, TipStatus};
use crate::domain::role::Visibility;

/// A tip-off as stored.
#[derive(Debug, Clone, FromRow)]
pub struct TipRecord {
    pub id: i64,
    pub receipt: String,
    pub shop_id: i64,
    pub hazard_type: HazardType,
    pub description: String,
    pub contact: Option<String>,
    pub status: TipStatus,
    pub reason: Option<String>,
    pub hazard_id: Option<i64>,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

const COLUMNS: &str =
    "t.id, t.receipt, t.shop_id, t.hazard_type, t.description, t.contact, t.status, \
     t.reason, t.hazard_id, t.created_at, t.resolved_at";
const RETURNED: &str =
    "id, receipt, shop_id, hazard_type, description, contact, status, reason, hazard_id, created_at, resolved_at";

/// A tip-off to record.
#[derive(Debug, Clone)]
pub struct NewTip<'a> {
    pub shop_id: i64,
    pub hazard_type: HazardType,
    pub description: &'a str,
    pub contact: Option<&'a str>,
    pub client_key: &'a str,
}

/// Why a tip could not move on.
#[derive(Debug, thiserror::Error)]
pub enum TipError {
    #[error("tip not found")]
    NotFound,
    #[error("the tip is already {0}")]
    AlreadyResolved(TipStatus),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Store {
    /// Records a tip-off with a fresh receipt, within the client's and the shop's hourly limits.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_tip(
        &self,
        tip: &NewTip<'_>,
        rules: &AbuseRules,
        now: i64,
        mut next_receipt: impl FnMut() -> String,
    ) -> Result<TipRecord, LimitError> {
        let locks = [
            LockKey::new("tips.client", tip.client_key),
            LockKey::new("tips.shop", &tip.shop_id.to_string()),
        ];
        for _ in 0..8 {
            let mut tx = self.begin_write_locked(&locks).await?;
            let limits = [
                (
                    "client_key",
                    Arg::Text(tip.client_key.to_owned()),
                    rules.tips_per_client_hour,
                ),
                ("shop_id", Arg::Int(tip.shop_id), rules.tips_per_shop_hour),
            ];
            for (column, value, limit) in limits {
                if let Some(retry_after_ms) =
                    hour_limit_reached(&mut tx, column, value, limit, now).await?
                {
                    return Err(LimitError::RateLimited { retry_after_ms });
                }
            }
            let inserted = sqlx::query_as::<_, TipRecord>(&format!(
                "INSERT INTO tips (receipt, shop_id, hazard_type, description, contact, client_key, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {RETURNED}"
            ))
            .bind(next_receipt())
            .bind(tip.shop_id)
            .bind(tip.hazard_type)
            .bind(tip.description)
            .bind(tip.contact)
            .bind(tip.client_key)
            .bind(TipStatus::Pending)
            .bind(now)
            .fetch_one(&mut *tx)
            .await;
            let record = match inserted {
                Ok(r) => r,
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            };
            events::record(
                &mut tx,
                Subject::new("tip", tip.shop_id, record.id),
                "tip.received",
                &Actor::public(),
                now,
                json!({"hazard_type": tip.hazard_type}),
            )
            .await?;
            tx.commit().await?;
            return Ok(record);
        }
        Err(LimitError::Database(sqlx::Error::RowNotFound))
    }

    /// A tip by its public receipt.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn tip_by_receipt(&self, receipt: &str) -> Result<Option<TipRecord>, sqlx::Error> {
        sqlx::query_as(&format!("SELECT {RETURNED} FROM tips WHERE receipt = $1"))
            .bind(receipt)
            .fetch_optional(self.pool())
            .await
    }

    /// One tip, if the caller may see its shop.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn tip(
        &self,
        id: i64,
        visibility: Visibility,
    ) -> Result<Option<TipRecord>, sqlx::Error> {
        let mut st = Statement::new(&format!(
            "SELECT {COLUMNS} FROM tips t JOIN shops s ON s.id = t.shop_id WHERE t.id = "
        ));
        st.bind(Arg::Int(id));
        restrict(&mut st, visibility);
        st.query_as::<TipRecord>().fetch_optional(self.pool()).await
    }

    /// Tips in the caller's area, optionally in one status, in id order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_tips(
        &self,
        visibility: Visibility,
        status: Option<TipStatus>,
        page: PageRequest,
    ) -> Result<Page<TipRecord>, sqlx::Error> {
        let mut st = Statement::new(&format!(
            "SELECT {COLUMNS} FROM tips t JOIN shops s ON s.id = t.shop_id WHERE 1 = 1"
        ));
        restrict(&mut st, visibility);
        if let Some(status) = status {
            st.push(" AND t.status = ")
                .bind(Arg::Text(status.as_str().to_owned()));
        }
        st.fetch_page::<TipRecord>("t.id", page, self.pool(), |r| r.id)
            .await
    }

    /// Verifies a pending tip into a hazard with source `tip_off`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn verify_tip(
        &self,
        tip_id: i64,
        hazard: &NewHazard,
        now: i64,
        actor: &Actor,
    ) -> Result<(TipRecord, HazardRecord), TipError> {
        let mut tx = self.begin_write().await?;
        let tip = claim_pending(&mut tx, tip_id, TipStatus::Verified, None, now).await?;
        let opened = open_hazard(&mut tx, tip.shop_id, tip.id, hazard, now, actor).await?;
        let tip: TipRecord = sqlx::query_as(&format!(
            "UPDATE tips SET hazard_id = $1 WHERE id = $2 RETURNING {RETURNED}"
        ))
        .bind(opened.id)
        .bind(tip_id)
        .fetch_one(&mut *tx)
        .await?;
        events::record(
            &mut tx,
            Subject::new("tip", tip.shop_id, tip.id),
            "tip.verified",
            actor,
            now,
            json!({"hazard_id": opened.id, "severity": hazard.finding.severity}),
        )
        .await?;
        tx.commit().await?;
        Ok((tip, opened))
    }

    /// Dismisses a pending tip with a reason.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn dismiss_tip(
        &self,
        tip_id: i64,
        reason: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<TipRecord, TipError> {
        let mut tx = self.begin_write().await?;
        let tip = claim_pending(&mut tx, tip_id, TipStatus::Dismissed, Some(reason), now).await?;
        events::record(
            &mut tx,
            Subject::new("tip", tip.shop_id, tip.id),
            "tip.dismissed",
            actor,
            now,
            json!({"reason": reason}),
        )
        .await?;
        tx.commit().await?;
        Ok(tip)
    }
}

const HOUR_MS: i64 = 3_600_000;

/// `Some(ms until a slot frees)` when `limit` tips with `column = value` came in the last hour.
async fn hour_limit_reached(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    column: &str,
    value: Arg,
    limit: i64,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let mut st = Statement::new("SELECT COUNT(*), MIN(created_at) FROM tips WHERE ");
    st.push(column)
        .push(" = ")
        .bind(value)
        .push(" AND created_at > ")
        .bind(Arg::Int(now - HOUR_MS));
    let (recent, oldest): (i64, Option<i64>) = st.query_as().fetch_one(&mut **tx).await?;
    Ok((recent >= limit).then(|| oldest.unwrap_or(now) + HOUR_MS - now))
}

/// Moves a pending tip to `status`, or says why it cannot.
async fn claim_pending(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tip_id: i64,
    status: TipStatus,
    reason: Option<&str>,
    now: i64,
) -> Result<TipRecord, TipError> {
    let claimed: Option<TipRecord> = sqlx::query_as(&format!(
        "UPDATE tips SET status = $1, reason = $2, resolved_at = $3 WHERE id = $4 AND status = $5 \
         RETURNING {RETURNED}"
    ))
    .bind(status)
    .bind(reason)
    .bind(now)
    .bind(tip_id)
    .bind(TipStatus::Pending)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(tip) = claimed {
        return Ok(tip);
    }
    Err(match status_of(tx, "tips", tip_id).await? {
        Some(s) => TipError::AlreadyResolved(s),
        None => TipError::NotFound,
    })
}

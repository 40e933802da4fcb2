//! Disputes: an owner contests a finding or a review; a regulator upholds (the target stops
//! counting, but stays in history) or rejects it.

use serde_json::json;
use shopcredit_scoring::Text;
use sqlx::FromRow;

use super::events::{self, Actor, Subject};
use super::feed::{add_notice, NewNotice};
use super::scores::mark_for_rescore;
use super::sql::{Arg, Statement};
use super::{is_unique_violation, status_of, Store};
use crate::domain::dispute::{DisputeOutcome, DisputeStatus, DisputeTarget};
use crate::domain::enforcement::NoticeKind;
use crate::domain::hazard::HazardSource;
use crate::domain::page::{Page, PageRequest};

/// A dispute as stored.
#[derive(Debug, Clone, FromRow)]
pub struct DisputeRecord {
    pub id: i64,
    pub shop_id: i64,
    pub target_type: DisputeTarget,
    pub target_id: i64,
    pub reason: String,
    pub status: DisputeStatus,
    pub note: Option<String>,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

const RETURNED: &str =
    "id, shop_id, target_type, target_id, reason, status, note, created_at, resolved_at";

/// Why a dispute step was refused.
#[derive(Debug, thiserror::Error)]
pub enum DisputeError {
    #[error("the disputed {0} is not one of this shop's")]
    UnknownTarget(&'static str),
    #[error("self-reported hazards cannot be disputed: submit a rectification instead")]
    SelfReported,
    #[error("this {0} already has an open dispute")]
    AlreadyOpen(&'static str),
    #[error("dispute not found")]
    NotFound,
    #[error("the dispute is already {0}")]
    AlreadyResolved(DisputeStatus),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Store {
    /// Opens a dispute on one of the shop's hazards or reviews.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open_dispute(
        &self,
        shop_id: i64,
        target: DisputeTarget,
        target_id: i64,
        reason: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<DisputeRecord, DisputeError> {
        let mut tx = self.begin_write().await?;
        // Reviews have no source: any placeholder that is not `self_check` will do.
        let source = match target {
            DisputeTarget::Hazard => "source",
            DisputeTarget::Review => "'patrol'",
        };
        let found: Option<(HazardSource,)> = sqlx::query_as(&format!(
            "SELECT {source} FROM {} WHERE id = $1 AND shop_id = $2",
            target.table()
        ))
        .bind(target_id)
        .bind(shop_id)
        .fetch_optional(&mut *tx)
        .await?;
        match found {
            None => return Err(DisputeError::UnknownTarget(target.as_str())),
            Some((HazardSource::SelfCheck,)) => return Err(DisputeError::SelfReported),
            Some(_) => {}
        }
        let inserted = sqlx::query_as::<_, DisputeRecord>(&format!(
            "INSERT INTO disputes (shop_id, target_type, target_id, reason, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {RETURNED}"
        ))
        .bind(shop_id)
        .bind(target)
        .bind(target_id)
        .bind(reason)
        .bind(DisputeStatus::Open)
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let record = match inserted {
            Ok(r) => r,
            Err(e) if is_unique_violation(&e) => {
                return Err(DisputeError::AlreadyOpen(target.as_str()))
            }
            Err(e) => return Err(e.into()),
        };
        events::record(
            &mut tx,
            Subject::new("dispute", shop_id, record.id),
            "dispute.opened",
            actor,
            now,
            json!({"target_type": target.as_str(), "target_id": target_id, "reason": reason}),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Resolves an open dispute; upheld excludes its target from counting.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn resolve_dispute(
        &self,
        id: i64,
        outcome: DisputeOutcome,
        note: &str,
        resolved_notice: Text,
        now: i64,
        actor: &Actor,
    ) -> Result<DisputeRecord, DisputeError> {
        let mut tx = self.begin_write().await?;
        let upheld = outcome == DisputeOutcome::Upheld;
        let resolved: Option<DisputeRecord> = sqlx::query_as(&format!(
            "UPDATE disputes SET status = $1, note = $2, resolved_at = $3 WHERE id = $4 AND status = $5 \
             RETURNING {RETURNED}"
        ))
        .bind(DisputeStatus::from(outcome))
        .bind(note)
        .bind(now)
        .bind(id)
        .bind(DisputeStatus::Open)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(record) = resolved else {
            return Err(match status_of(&mut tx, "disputes", id).await? {
                Some(s) => DisputeError::AlreadyResolved(s),
                None => DisputeError::NotFound,
            });
        };
        if upheld {
            let table = record.target_type.table();
            sqlx::query(&format!("UPDATE {table} SET excluded = 1 WHERE id = $1"))
                .bind(record.target_id)
                .execute(&mut *tx)
                .await?;
            mark_for_rescore(&mut tx, record.shop_id, now).await?;
        }
        events::record(
            &mut tx,
            Subject::new("dispute", record.shop_id, record.id),
            if upheld {
                "dispute.upheld"
            } else {
                "dispute.rejected"
            },
            actor,
            now,
            json!({"target_type": record.target_type, "target_id": record.target_id, "note": note}),
        )
        .await?;
        let notice = NewNotice {
            shop_id: record.shop_id,
            kind: NoticeKind::DisputeResolved,
            hazard_id: (record.target_type == DisputeTarget::Hazard).then_some(record.target_id),
            dedupe_key: format!("dispute:{}:resolved", record.id),
            text: resolved_notice,
        };
        add_notice(&mut tx, &notice, now).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Disputes, of one shop or district-wide, optionally in one status.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_disputes(
        &self,
        shop_id: Option<i64>,
        status: Option<DisputeStatus>,
        page: PageRequest,
    ) -> Result<Page<DisputeRecord>, sqlx::Error> {
        let mut st = Statement::new(&format!("SELECT {RETURNED} FROM disputes WHERE 1 = 1"));
        if let Some(shop_id) = shop_id {
            st.push(" AND shop_id = ").bind(Arg::Int(shop_id));
        }
        if let Some(status) = status {
            st.push(" AND status = ")
                .bind(Arg::Text(status.as_str().to_owned()));
        }
        st.fetch_page::<DisputeRecord>("id", page, self.pool(), |r| r.id)
            .await
    }
}

//! Hazards and their lifecycle: open → awaiting_verification → closed (or back to open).
//! Transitions are compare-and-set updates, so two inspectors verifying at once cannot both win.

use serde_json::json;
use sqlx::{Any, FromRow, Transaction};

use super::events::{self, Actor, NewEvent};
use super::shops::restrict;
use super::sql::{Arg, Statement};
use super::Store;
use crate::domain::hazard::{HazardSource, HazardStatus};
use crate::domain::page::{Page, PageRequest};
use crate::domain::role::Visibility;

/// A hazard as stored.
#[derive(Debug, Clone, FromRow)]
pub struct HazardRecord {
    pub id: i64,
    pub shop_id: i64,
    pub source: String,
    pub source_id: i64,
    pub item_id: Option<String>,
    pub hazard_type: String,
    pub severity: String,
    pub description: String,
    pub evidence: String,
    pub observed_at: i64,
    pub deadline: i64,
    pub status: String,
    pub rectified_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub excluded: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The columns of a [`HazardRecord`], over `hazards h` (shared by every query that reads hazards).
pub(crate) const COLUMNS: &str =
    "h.id, h.shop_id, h.source, h.source_id, h.item_id, h.hazard_type, h.severity, \
     h.description, h.evidence, h.observed_at, h.deadline, h.status, h.rectified_at, h.closed_at, \
     h.excluded, h.created_at, h.updated_at";
const RETURNED: &str = "id, shop_id, source, source_id, item_id, hazard_type, severity, description, \
     evidence, observed_at, deadline, status, rectified_at, closed_at, excluded, created_at, updated_at";

/// A hazard to open; its source row's id is filled in by the storage function that creates both.
#[derive(Debug, Clone)]
pub struct NewHazard {
    pub source: HazardSource,
    pub item_id: Option<String>,
    pub hazard_type: String,
    pub severity: String,
    pub description: String,
    /// Evidence references as a JSON array.
    pub evidence: String,
    pub observed_at: i64,
    pub deadline: i64,
}

/// Which hazards of a shop to list.
#[derive(Debug, Clone, Copy)]
pub enum HazardFilter {
    Status(HazardStatus),
    /// Open and past the deadline at `now`.
    Overdue {
        now: i64,
    },
}

/// Why a lifecycle step was refused.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error("hazard not found")]
    NotFound,
    #[error("the hazard is {0}, so this step does not apply")]
    WrongStatus(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Opens a hazard inside the caller's transaction and records `hazard.opened`.
pub(crate) async fn open_hazard(
    tx: &mut Transaction<'static, Any>,
    shop_id: i64,
    source_id: i64,
    hazard: &NewHazard,
    now: i64,
    actor: &Actor,
) -> Result<HazardRecord, sqlx::Error> {
    let record: HazardRecord = sqlx::query_as(&format!(
        "INSERT INTO hazards (shop_id, source, source_id, item_id, hazard_type, severity, description, \
         evidence, observed_at, deadline, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $11) RETURNING {RETURNED}"
    ))
    .bind(shop_id)
    .bind(hazard.source.as_str())
    .bind(source_id)
    .bind(hazard.item_id.as_deref())
    .bind(hazard.hazard_type.as_str())
    .bind(hazard.severity.as_str())
    .bind(hazard.description.as_str())
    .bind(hazard.evidence.as_str())
    .bind(hazard.observed_at)
    .bind(hazard.deadline)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    events::record(
        tx,
        NewEvent {
            shop_id,
            at: now,
            actor,
            action: "hazard.opened",
            subject_type: "hazard",
            subject_id: record.id,
            details: json!({
                "source": hazard.source.as_str(),
                "source_id": source_id,
                "severity": hazard.severity,
                "hazard_type": hazard.hazard_type,
                "item_id": hazard.item_id,
                "deadline": hazard.deadline,
            }),
        },
    )
    .await?;
    Ok(record)
}

impl Store {
    /// One hazard, if the caller may see its shop.
    pub async fn hazard(
        &self,
        id: i64,
        visibility: Visibility,
    ) -> Result<Option<HazardRecord>, sqlx::Error> {
        let mut st = Statement::new(&format!(
            "SELECT {COLUMNS} FROM hazards h JOIN shops s ON s.id = h.shop_id WHERE h.id = "
        ));
        st.bind(Arg::Int(id));
        restrict(&mut st, visibility);
        st.query_as::<HazardRecord>()
            .fetch_optional(self.pool())
            .await
    }

    /// A shop's hazards in id order, so cursors stay stable.
    pub async fn shop_hazards(
        &self,
        shop_id: i64,
        filter: Option<HazardFilter>,
        page: PageRequest,
    ) -> Result<Page<HazardRecord>, sqlx::Error> {
        let mut st = Statement::new(&format!(
            "SELECT {COLUMNS} FROM hazards h WHERE h.shop_id = "
        ));
        st.bind(Arg::Int(shop_id));
        match filter {
            Some(HazardFilter::Status(status)) => {
                st.push(" AND h.status = ")
                    .bind(Arg::Text(status.as_str().to_owned()));
            }
            Some(HazardFilter::Overdue { now }) => {
                st.push(" AND h.status = 'open' AND h.excluded = 0 AND h.deadline < ")
                    .bind(Arg::Int(now));
            }
            None => {}
        }
        if let Some(after) = page.after {
            st.push(" AND h.id > ").bind(Arg::Int(after.last_id()));
        }
        st.push(" ORDER BY h.id LIMIT ")
            .bind(Arg::Int(i64::from(page.limit.get()) + 1));
        let rows = st.query_as::<HazardRecord>().fetch_all(self.pool()).await?;
        Ok(Page::from_rows(rows, page.limit, |r| r.id))
    }

    /// The owner says the hazard is fixed: open → awaiting_verification.
    pub async fn submit_rectification(
        &self,
        hazard_id: i64,
        note: &str,
        evidence_json: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<HazardRecord, TransitionError> {
        let details = json!({"note": note, "evidence": raw_json(evidence_json)});
        self.transition(
            hazard_id,
            HazardStatus::Open,
            "status = 'awaiting_verification', rectified_at = $1, updated_at = $1",
            "hazard.rectification_submitted",
            details,
            now,
            actor,
        )
        .await
    }

    /// An inspector's verdict on a rectification: accepted → closed; rejected → open again with the
    /// same deadline.
    pub async fn verify_rectification(
        &self,
        hazard_id: i64,
        accepted: bool,
        reason: Option<&str>,
        now: i64,
        actor: &Actor,
    ) -> Result<HazardRecord, TransitionError> {
        let (set, action) = if accepted {
            (
                "status = 'closed', closed_at = $1, updated_at = $1",
                "hazard.verification_accepted",
            )
        } else {
            (
                "status = 'open', updated_at = $1",
                "hazard.verification_rejected",
            )
        };
        self.transition(
            hazard_id,
            HazardStatus::AwaitingVerification,
            set,
            action,
            json!({"reason": reason}),
            now,
            actor,
        )
        .await
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one private helper behind three public transitions"
    )]
    async fn transition(
        &self,
        hazard_id: i64,
        from: HazardStatus,
        set: &str,
        action: &str,
        details: serde_json::Value,
        now: i64,
        actor: &Actor,
    ) -> Result<HazardRecord, TransitionError> {
        let mut tx = self.begin_write().await?;
        let updated: Option<HazardRecord> = sqlx::query_as(&format!(
            "UPDATE hazards SET {set} WHERE id = $2 AND status = $3 RETURNING {RETURNED}"
        ))
        .bind(now)
        .bind(hazard_id)
        .bind(from.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(record) = updated else {
            let current: Option<(String,)> =
                sqlx::query_as("SELECT status FROM hazards WHERE id = $1")
                    .bind(hazard_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Err(match current {
                Some((status,)) => TransitionError::WrongStatus(status),
                None => TransitionError::NotFound,
            });
        };
        events::record(
            &mut tx,
            NewEvent {
                shop_id: record.shop_id,
                at: now,
                actor,
                action,
                subject_type: "hazard",
                subject_id: hazard_id,
                details,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }
}

/// Embeds stored JSON text in an event's details (invalid text is kept as a string).
pub(crate) fn raw_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
}

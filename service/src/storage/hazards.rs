//! Hazards and their lifecycle: open → awaiting_verification → closed (or back to open).
//! Transitions are compare-and-set updates, so two inspectors verifying at once cannot both win.

use serde_json::json;
use shopcredit_scoring::Text;
use sqlx::{Any, FromRow, Transaction};

use super::events::{self, Actor, Subject};
use super::feed::{add_notice, NewNotice};
use super::scores::mark_for_rescore;
use super::shops::restrict;
use super::sql::{Arg, Statement};
use super::CorruptRow;
use super::{status_of, Store};
use crate::clock::rfc3339;
use crate::domain::enforcement::NoticeKind;
use crate::domain::hazard::{
    evidence_json, EvidenceRef, HazardSource, HazardStatus, HazardType, NewHazard, Severity,
};
use crate::domain::page::{Page, PageRequest, RankCursor};
use crate::domain::role::Visibility;
use crate::domain::shop::GridCode;
use crate::domain::vocabulary::IntFlag;

/// A hazard as stored.
#[derive(Debug, Clone, FromRow)]
pub struct HazardRecord {
    pub id: i64,
    pub shop_id: i64,
    pub source: HazardSource,
    pub source_id: i64,
    pub item_id: Option<String>,
    pub hazard_type: HazardType,
    pub severity: Severity,
    /// As written by whoever found it, or the service's Chinese wording of an item it describes.
    pub description: String,
    /// The service's English wording; `None` when `description` is someone's own words.
    pub description_en: Option<String>,
    /// Evidence references as stored (a JSON array); see [`HazardRecord::evidence_refs`].
    pub evidence: String,
    pub observed_at: i64,
    pub deadline: i64,
    pub status: HazardStatus,
    pub rectified_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// A dispute about it was upheld: kept in history, no longer counted.
    #[sqlx(try_from = "IntFlag")]
    pub excluded: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The columns of a [`HazardRecord`], over `hazards h` (shared by every query that reads hazards).
pub(crate) const COLUMNS: &str =
    "h.id, h.shop_id, h.source, h.source_id, h.item_id, h.hazard_type, h.severity, \
     h.description, h.description_en, h.evidence, h.observed_at, h.deadline, h.status, h.rectified_at, h.closed_at, \
     h.excluded, h.created_at, h.updated_at";
const RETURNED: &str =
    "id, shop_id, source, source_id, item_id, hazard_type, severity, description, \
     description_en, evidence, observed_at, deadline, status, rectified_at, closed_at, excluded, \
     created_at, updated_at";

impl HazardRecord {
    /// The description in each language, as notices quote it.
    pub fn description_text(&self) -> Text {
        match &self.description_en {
            Some(en) => Text::new(self.description.as_str(), en.as_str()),
            None => Text::as_written(self.description.as_str()),
        }
    }

    /// The stored evidence references; stored text that does not parse is an error, never empty.
    pub fn evidence_refs(&self) -> Result<Vec<EvidenceRef>, CorruptRow> {
        serde_json::from_str(&self.evidence)
            .map_err(|e| CorruptRow::new("hazards", self.id, "evidence", e))
    }
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
    WrongStatus(HazardStatus),
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
    let f = &hazard.finding;
    let evidence = evidence_json(&f.evidence);
    let record: HazardRecord = sqlx::query_as(&format!(
        "INSERT INTO hazards (shop_id, source, source_id, item_id, hazard_type, severity, description, \
         description_en, evidence, observed_at, deadline, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', $12, $12) RETURNING {RETURNED}"
    ))
    .bind(shop_id)
    .bind(f.source)
    .bind(source_id)
    .bind(f.item_id.as_deref())
    .bind(f.hazard_type)
    .bind(f.severity)
    .bind(f.description.zh.as_str())
    .bind((f.description.en != f.description.zh).then_some(f.description.en.as_str()))
    .bind(evidence)
    .bind(f.observed_at)
    .bind(hazard.deadline)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    events::record(
        tx,
        Subject::new("hazard", shop_id, record.id),
        "hazard.opened",
        actor,
        now,
        json!({
            "source": f.source,
            "source_id": source_id,
            "severity": f.severity,
            "hazard_type": f.hazard_type,
            "item_id": f.item_id,
            "deadline": rfc3339(hazard.deadline),
        }),
    )
    .await?;
    let notice = NewNotice {
        shop_id,
        kind: NoticeKind::HazardOpened,
        hazard_id: Some(record.id),
        dedupe_key: format!("hazard:{}:opened", record.id),
        text: hazard.notice.clone(),
    };
    add_notice(tx, &notice, now).await?;
    mark_for_rescore(tx, shop_id, now).await?;
    Ok(record)
}

impl Store {
    /// One hazard, if the caller may see its shop.
    #[tracing::instrument(level = "debug", skip_all)]
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
    #[tracing::instrument(level = "debug", skip_all)]
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
            Some(HazardFilter::Overdue { now }) => push_overdue(&mut st, now),
            None => {}
        }
        st.fetch_page::<HazardRecord>("h.id", page, self.pool(), |r| r.id)
            .await
    }

    /// The work queue across the shops the caller may see (optionally one grid): oldest deadline
    /// first, then id. Without a filter, every hazard not closed.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn hazard_queue(
        &self,
        visibility: Visibility,
        grid: Option<&GridCode>,
        filter: Option<HazardFilter>,
        after: Option<RankCursor>,
        limit: u32,
    ) -> Result<(Vec<HazardRecord>, Option<RankCursor>), sqlx::Error> {
        let mut st = Statement::new(&format!(
            "SELECT {COLUMNS} FROM hazards h JOIN shops s ON s.id = h.shop_id WHERE 1 = 1"
        ));
        restrict(&mut st, visibility);
        if let Some(grid) = grid {
            st.push(" AND s.grid = ")
                .bind(Arg::Text(grid.as_str().to_owned()));
        }
        match filter {
            Some(HazardFilter::Status(status)) => {
                st.push(" AND h.status = ")
                    .bind(Arg::Text(status.as_str().to_owned()));
            }
            Some(HazardFilter::Overdue { now }) => push_overdue(&mut st, now),
            None => {
                st.push(" AND h.status <> 'closed'");
            }
        }
        // Ranked by the negated deadline, so "highest rank first" is "oldest deadline first".
        st.fetch_ranked_page(
            "0 - h.deadline",
            "h.id",
            after,
            limit,
            self.pool(),
            |r: &HazardRecord| RankCursor {
                rank: -r.deadline,
                id: r.id,
            },
        )
        .await
    }

    /// The owner says the hazard is fixed: open → awaiting_verification.
    #[tracing::instrument(level = "debug", skip_all)]
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
            None,
            now,
            actor,
        )
        .await
    }

    /// An inspector's verdict on a rectification: accepted → closed; rejected → open again with the
    /// same deadline, and the owner gets `rejected_notice` (the reason) in the same transaction.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn verify_rectification(
        &self,
        hazard_id: i64,
        accepted: bool,
        reason: Option<&str>,
        rejected_notice: Option<Text>,
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
            rejected_notice.map(|text| (NoticeKind::FixRejected, text)),
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
        notice: Option<(NoticeKind, Text)>,
        now: i64,
        actor: &Actor,
    ) -> Result<HazardRecord, TransitionError> {
        let mut tx = self.begin_write().await?;
        let updated: Option<HazardRecord> = sqlx::query_as(&format!(
            "UPDATE hazards SET {set} WHERE id = $2 AND status = $3 RETURNING {RETURNED}"
        ))
        .bind(now)
        .bind(hazard_id)
        .bind(from)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(record) = updated else {
            return Err(match status_of(&mut tx, "hazards", hazard_id).await? {
                Some(status) => TransitionError::WrongStatus(status),
                None => TransitionError::NotFound,
            });
        };
        events::record(
            &mut tx,
            Subject::new("hazard", record.shop_id, hazard_id),
            action,
            actor,
            now,
            details,
        )
        .await?;
        if let Some((kind, text)) = notice {
            let notice = NewNotice {
                shop_id: record.shop_id,
                kind,
                hazard_id: Some(hazard_id),
                dedupe_key: format!("hazard:{hazard_id}:{kind}:{now}"),
                text,
            };
            add_notice(&mut tx, &notice, now).await?;
        }
        mark_for_rescore(&mut tx, record.shop_id, now).await?;
        tx.commit().await?;
        Ok(record)
    }
}

/// Appends the SQL form of `scoring::is_overdue` as of `now` over `hazards h`: counted, observed by
/// then, and either open past its deadline or awaiting verification of a fix claimed after it. The
/// agreement test checks this against the rule for every hazard state.
pub(crate) fn push_overdue(st: &mut Statement, now: i64) {
    st.push(" AND h.excluded = 0 AND h.observed_at <= ")
        .bind(Arg::Int(now))
        .push(" AND ((h.status = 'open' AND h.deadline < ")
        .bind(Arg::Int(now))
        .push(") OR (h.status = 'awaiting_verification' AND h.rectified_at <= ")
        .bind(Arg::Int(now))
        .push(" AND h.rectified_at > h.deadline))");
}

/// Embeds stored JSON text in an event's details (invalid text is kept as a string).
pub(crate) fn raw_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
}

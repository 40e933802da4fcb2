//! The escalation ladder and enforcement cases: the facts the rules (in the scoring crate) decide on,
//! and the writes that carry their decisions out. Every write is keyed so it happens once: a rung per
//! (hazard, step), one open case per shop, one notice per key; several replicas may sweep at once.

use std::collections::BTreeMap;

use serde_json::json;
use shopcredit_scoring::Text;
use sqlx::{Any, FromRow, Transaction};

use super::events::{self, Actor, Subject};
use super::feed::{add_notice, append_feed, NewNotice};
use super::hazards::{HazardRecord, COLUMNS as HAZARD_COLUMNS};
use super::Store;
use crate::clock::rfc3339;
use crate::domain::enforcement::{
    CaseActionKind, CaseReason, CaseStatus, EscalationStep, FeedKind, NoticeKind,
};
use crate::domain::hazard::Severity;
use crate::domain::score::Colour;
use crate::domain::vocabulary::IntFlag;

/// A rung taken on a hazard's ladder.
#[derive(Debug, Clone, FromRow)]
pub struct StepRecord {
    pub id: i64,
    pub hazard_id: i64,
    pub shop_id: i64,
    pub step: EscalationStep,
    pub due_at: i64,
    pub taken_at: i64,
}

/// An enforcement case.
#[derive(Debug, Clone, FromRow)]
pub struct CaseRecord {
    pub id: i64,
    pub shop_id: i64,
    pub status: CaseStatus,
    pub reason: CaseReason,
    pub severity_rank: i64,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    /// Free text: how the case ended.
    pub outcome: Option<String>,
}

/// A regulator's action on a case.
#[derive(Debug, Clone, FromRow)]
pub struct ActionRecord {
    pub id: i64,
    pub case_id: i64,
    pub kind: CaseActionKind,
    pub note: String,
    pub at: i64,
    pub actor: String,
    /// With a summons: when the owner is to attend (epoch ms).
    pub scheduled_at: Option<i64>,
    /// With a summons: where.
    pub place: Option<String>,
}

pub(crate) const CASE_COLUMNS: &str =
    "c.id, c.shop_id, c.status, c.reason, c.severity_rank, c.opened_at, c.closed_at, c.outcome";
const CASE_RETURNED: &str =
    "id, shop_id, status, reason, severity_rank, opened_at, closed_at, outcome";
pub(crate) const ACTION_COLUMNS: &str =
    "a.id, a.case_id, a.kind, a.note, a.at, a.actor, a.scheduled_at, a.place";

/// A case to open, as the rule decided it.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub shop_id: i64,
    pub reason: CaseReason,
    pub hazard_ids: Vec<i64>,
    pub severity_rank: i64,
    pub notice: Text,
}

/// A regulator's action to record.
#[derive(Debug, Clone)]
pub struct NewAction<'a> {
    pub kind: CaseActionKind,
    pub note: &'a str,
    /// With `close`: how the case ended; the case closes in the same transaction.
    pub outcome: Option<&'a str>,
    /// What the owner is told if the action closes the case.
    pub closed_notice: Text,
    /// With a summons: when and where, and what the owner is told of it.
    pub appointment: Option<Appointment<'a>>,
}

/// When and where a summoned owner is to attend.
#[derive(Debug, Clone)]
pub struct Appointment<'a> {
    /// Epoch ms.
    pub at: i64,
    pub place: &'a str,
    pub notice: Text,
}

/// A hazard as the case rules see it.
#[derive(Debug, Clone, FromRow)]
pub struct CaseHazardRow {
    pub shop_id: i64,
    pub id: i64,
    pub severity: Severity,
    #[sqlx(try_from = "IntFlag")]
    pub referral_taken: bool,
    #[sqlx(try_from = "IntFlag")]
    pub in_a_case: bool,
}

/// What the case-opening rule needs to know about a shop.
#[derive(Debug, Clone)]
pub struct ShopCaseFacts {
    pub shop_id: i64,
    pub colour: Option<Colour>,
    pub has_open_case: bool,
    pub last_case_opened_at: Option<i64>,
    pub unresolved_hazards: Vec<CaseHazardRow>,
    pub turned_red_at: Vec<i64>,
}

/// What the case-closing rule needs to know about an open case.
#[derive(Debug, Clone)]
pub struct OpenCaseFacts {
    pub case: CaseRecord,
    pub hazards_resolved: bool,
    pub actions: Vec<CaseActionKind>,
    pub shop_red: bool,
}

/// Why a case action was refused.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("case not found")]
    NotFound,
    #[error("the case is closed")]
    Closed,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Store {
    /// Open, counted hazards past their deadline whose ladder of `rungs` is not complete.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn hazards_to_escalate(
        &self,
        now: i64,
        rungs: usize,
        limit: i64,
    ) -> Result<Vec<HazardRecord>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {HAZARD_COLUMNS} FROM hazards h WHERE h.status = 'open' AND h.excluded = 0 AND h.deadline <= $1 \
             AND (SELECT COUNT(*) FROM escalation_steps e WHERE e.hazard_id = h.id) < $2 ORDER BY h.id LIMIT $3"
        ))
        .bind(now)
        .bind(rungs as i64)
        .bind(limit)
        .fetch_all(self.pool())
        .await
    }

    /// The rungs already taken on a hazard's ladder, lowest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn steps_taken(&self, hazard_id: i64) -> Result<Vec<StepRecord>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, hazard_id, shop_id, step, due_at, taken_at FROM escalation_steps \
             WHERE hazard_id = $1 ORDER BY taken_at, id",
        )
        .bind(hazard_id)
        .fetch_all(self.pool())
        .await
    }

    /// Takes one rung with its notice and event; answers false when it was already taken.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn take_step(
        &self,
        hazard: &HazardRecord,
        step: EscalationStep,
        due_at: i64,
        notice: Text,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let taken: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO escalation_steps (hazard_id, shop_id, step, due_at, taken_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(hazard.id)
        .bind(hazard.shop_id)
        .bind(step)
        .bind(due_at)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if taken.is_none() {
            tx.rollback().await?;
            return Ok(false);
        }
        let notice = NewNotice {
            shop_id: hazard.shop_id,
            kind: step.into(),
            hazard_id: Some(hazard.id),
            dedupe_key: format!("step:{}:{}", hazard.id, step),
            text: notice,
        };
        add_notice(&mut tx, &notice, now).await?;
        events::record(
            &mut tx,
            Subject::new("hazard", hazard.shop_id, hazard.id),
            "hazard.escalated",
            &Actor::system(),
            now,
            json!({"step": step, "due_at": rfc3339(due_at)}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Shops without an open case that a case rule might apply to: red with a referred, unresolved
    /// hazard, or turned red since `since`. The rules decide; this only narrows the search.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn case_candidate_shops(&self, since: i64) -> Result<Vec<i64>, sqlx::Error> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT s.id FROM shops s WHERE NOT EXISTS \
               (SELECT 1 FROM enforcement_cases c WHERE c.shop_id = s.id AND c.status = 'open') \
             AND (EXISTS (SELECT 1 FROM score_snapshots ss WHERE ss.shop_id = s.id AND ss.colour = 'red' \
                          AND ss.colour_since = ss.at AND ss.at > $1) \
               OR EXISTS (SELECT 1 FROM hazards h JOIN escalation_steps e ON e.hazard_id = h.id \
                          AND e.step = 'referral' WHERE h.shop_id = s.id AND h.status <> 'closed')) \
             ORDER BY s.id",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The facts the case-opening rule reads about one shop; red spells counted since `since`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn shop_case_facts(
        &self,
        shop_id: i64,
        since: i64,
    ) -> Result<ShopCaseFacts, sqlx::Error> {
        let colour: Option<(Colour,)> =
            sqlx::query_as("SELECT colour FROM shop_scores WHERE shop_id = $1")
                .bind(shop_id)
                .fetch_optional(self.pool())
                .await?;
        let (open_cases, last_opened): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END), 0), MAX(opened_at) \
             FROM enforcement_cases WHERE shop_id = $1",
        )
        .bind(shop_id)
        .fetch_one(self.pool())
        .await?;
        let unresolved_hazards: Vec<CaseHazardRow> = sqlx::query_as(
            "SELECT h.shop_id, h.id, h.severity, \
               CASE WHEN EXISTS (SELECT 1 FROM escalation_steps e WHERE e.hazard_id = h.id AND e.step = 'referral') \
                    THEN 1 ELSE 0 END AS referral_taken, \
               CASE WHEN EXISTS (SELECT 1 FROM case_hazards ch WHERE ch.hazard_id = h.id) THEN 1 ELSE 0 END AS in_a_case \
             FROM hazards h WHERE h.shop_id = $1 AND h.status <> 'closed' AND h.excluded = 0 ORDER BY h.id",
        )
        .bind(shop_id)
        .fetch_all(self.pool())
        .await?;
        let red: Vec<(i64,)> = sqlx::query_as(
            "SELECT at FROM score_snapshots WHERE shop_id = $1 AND colour = 'red' AND colour_since = at \
             AND at > $2 ORDER BY at",
        )
        .bind(shop_id)
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        Ok(ShopCaseFacts {
            shop_id,
            colour: colour.map(|(c,)| c),
            has_open_case: open_cases > 0,
            last_case_opened_at: last_opened,
            unresolved_hazards,
            turned_red_at: red.into_iter().map(|(at,)| at).collect(),
        })
    }

    /// Opens a case unless the shop already has an open one; answers the new case.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open_case(
        &self,
        c: &NewCase,
        now: i64,
    ) -> Result<Option<CaseRecord>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let opened: Option<CaseRecord> = sqlx::query_as(&format!(
            "INSERT INTO enforcement_cases (shop_id, status, reason, severity_rank, opened_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING {CASE_RETURNED}"
        ))
        .bind(c.shop_id)
        .bind(CaseStatus::Open)
        .bind(c.reason)
        .bind(c.severity_rank)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(case) = opened else {
            tx.rollback().await?;
            return Ok(None);
        };
        for hazard_id in &c.hazard_ids {
            sqlx::query("INSERT INTO case_hazards (case_id, hazard_id) VALUES ($1, $2)")
                .bind(case.id)
                .bind(hazard_id)
                .execute(&mut *tx)
                .await?;
        }
        let details = json!({"case_id": case.id, "reason": c.reason, "hazard_ids": c.hazard_ids});
        announce_case(&mut tx, self, &case, true, details, &c.notice, now).await?;
        tx.commit().await?;
        Ok(Some(case))
    }

    /// Every open case with what the closing rule reads: whether its hazards are all resolved, its
    /// actions in order, whether its shop is red. Three queries, however many cases are open.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open_case_facts(&self) -> Result<Vec<OpenCaseFacts>, sqlx::Error> {
        let cases: Vec<CaseRecord> = sqlx::query_as(&format!(
            "SELECT {CASE_COLUMNS} FROM enforcement_cases c WHERE c.status = 'open' ORDER BY c.id"
        ))
        .fetch_all(self.pool())
        .await?;
        let unresolved: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT c.id, \
               (SELECT COUNT(*) FROM case_hazards ch JOIN hazards h ON h.id = ch.hazard_id \
                WHERE ch.case_id = c.id AND h.status <> 'closed' AND h.excluded = 0), \
               CASE WHEN EXISTS (SELECT 1 FROM shop_scores ss WHERE ss.shop_id = c.shop_id AND ss.colour = 'red') \
                    THEN 1 ELSE 0 END \
             FROM enforcement_cases c WHERE c.status = 'open'",
        )
        .fetch_all(self.pool())
        .await?;
        let actions: Vec<ActionRecord> = sqlx::query_as(&format!(
            "SELECT {ACTION_COLUMNS} FROM case_actions a JOIN enforcement_cases c ON c.id = a.case_id \
             WHERE c.status = 'open' ORDER BY a.case_id, a.id"
        ))
        .fetch_all(self.pool())
        .await?;
        let facts: BTreeMap<i64, (i64, i64)> = unresolved
            .into_iter()
            .map(|(id, n, red)| (id, (n, red)))
            .collect();
        Ok(cases
            .into_iter()
            .map(|case| {
                let (unresolved, red) = facts.get(&case.id).copied().unwrap_or((0, 0));
                OpenCaseFacts {
                    actions: actions
                        .iter()
                        .filter(|a| a.case_id == case.id)
                        .map(|a| a.kind)
                        .collect(),
                    hazards_resolved: unresolved == 0,
                    shop_red: red != 0,
                    case,
                }
            })
            .collect())
    }

    /// Closes an open case with an outcome; `None` if it was not open.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn close_case(
        &self,
        case_id: i64,
        outcome: &str,
        notice: &Text,
        now: i64,
        actor: &Actor,
    ) -> Result<Option<CaseRecord>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let closed = close_in(&mut tx, self, (case_id, outcome), notice, (actor, now)).await?;
        if closed.is_some() {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(closed)
    }

    /// Records a regulator's action, and closes the case in the same transaction when it is a
    /// `close`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn add_case_action(
        &self,
        case_id: i64,
        action: &NewAction<'_>,
        now: i64,
        actor: &Actor,
    ) -> Result<ActionRecord, CaseError> {
        let mut tx = self.begin_write().await?;
        let case: Option<(i64, CaseStatus)> =
            sqlx::query_as("SELECT shop_id, status FROM enforcement_cases WHERE id = $1")
                .bind(case_id)
                .fetch_optional(&mut *tx)
                .await?;
        let (shop_id, status) = case.ok_or(CaseError::NotFound)?;
        if status != CaseStatus::Open {
            return Err(CaseError::Closed);
        }
        let record: ActionRecord = sqlx::query_as(
            "INSERT INTO case_actions (case_id, kind, note, at, actor, scheduled_at, place) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING id, case_id, kind, note, at, actor, scheduled_at, place",
        )
        .bind(case_id)
        .bind(action.kind)
        .bind(action.note)
        .bind(now)
        .bind(actor.name.as_str())
        .bind(action.appointment.as_ref().map(|a| a.at))
        .bind(action.appointment.as_ref().map(|a| a.place))
        .fetch_one(&mut *tx)
        .await?;
        let appointment = action.appointment.as_ref();
        events::record(
            &mut tx,
            Subject::new("case", shop_id, case_id),
            "case.action",
            actor,
            now,
            json!({
                "kind": action.kind,
                "note": action.note,
                "scheduled_at": appointment.map(|a| rfc3339(a.at)),
                "place": appointment.map(|a| a.place),
            }),
        )
        .await?;
        if let Some(appointment) = appointment {
            let notice = NewNotice {
                shop_id,
                kind: NoticeKind::SummonsScheduled,
                hazard_id: None,
                dedupe_key: format!("case_action:{}:summons", record.id),
                text: appointment.notice.clone(),
            };
            add_notice(&mut tx, &notice, now).await?;
        }
        if let Some(outcome) = action.outcome {
            let notice = &action.closed_notice;
            close_in(&mut tx, self, (case_id, outcome), notice, (actor, now)).await?;
        }
        tx.commit().await?;
        Ok(record)
    }

    /// Counts for the replica-safety check: (steps, notices, open or closed cases) of a shop.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn enforcement_counts(&self, shop_id: i64) -> Result<(i64, i64, i64), sqlx::Error> {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM escalation_steps WHERE shop_id = $1), \
                    (SELECT COUNT(*) FROM notices WHERE shop_id = $1), \
                    (SELECT COUNT(*) FROM enforcement_cases WHERE shop_id = $1)",
        )
        .bind(shop_id)
        .fetch_one(self.pool())
        .await
    }
}

/// Closes an open case inside the caller's transaction, announcing it; `None` if it was not open.
async fn close_in(
    tx: &mut Transaction<'static, Any>,
    store: &Store,
    (case_id, outcome): (i64, &str),
    notice: &Text,
    (actor, now): (&Actor, i64),
) -> Result<Option<CaseRecord>, sqlx::Error> {
    let closed: Option<CaseRecord> = sqlx::query_as(&format!(
        "UPDATE enforcement_cases SET status = $1, closed_at = $2, outcome = $3 \
         WHERE id = $4 AND status = $5 RETURNING {CASE_RETURNED}"
    ))
    .bind(CaseStatus::Closed)
    .bind(now)
    .bind(outcome)
    .bind(case_id)
    .bind(CaseStatus::Open)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(case) = &closed {
        let details = json!({"case_id": case.id, "outcome": outcome, "closed_by": actor.name});
        announce_case(tx, store, case, false, details, notice, now).await?;
    }
    Ok(closed)
}

/// The feed entry, the owner's notice and the audit event of a case opened or closed.
async fn announce_case(
    tx: &mut Transaction<'static, Any>,
    store: &Store,
    case: &CaseRecord,
    opened: bool,
    details: serde_json::Value,
    notice: &Text,
    now: i64,
) -> Result<(), sqlx::Error> {
    let (feed, kind, action) = if opened {
        (FeedKind::CaseOpened, NoticeKind::CaseOpened, "case.opened")
    } else {
        (FeedKind::CaseClosed, NoticeKind::CaseClosed, "case.closed")
    };
    append_feed(tx, store.backend(), feed, case.shop_id, &details, now).await?;
    let notice = NewNotice {
        shop_id: case.shop_id,
        kind,
        hazard_id: None,
        dedupe_key: format!("{kind}:{}", case.id),
        text: notice.clone(),
    };
    add_notice(tx, &notice, now).await?;
    events::record(
        tx,
        Subject::new("case", case.shop_id, case.id),
        action,
        &Actor::system(),
        now,
        details,
    )
    .await
}

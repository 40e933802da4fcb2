//! The escalation ladder and enforcement cases. Every write is keyed so it happens once: a rung per
//! (hazard, step), one open case per shop, one notice per key; several replicas may sweep at once.

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::FromRow;

use super::events::{self, Actor, NewEvent};
use super::feed::{add_notice, append_feed, NewNotice};
use super::hazards::{HazardRecord, COLUMNS as HAZARD_COLUMNS};
use super::sql::{Arg, Statement};
use super::Store;
use crate::domain::page::RankCursor;

/// A rung taken on a hazard's ladder.
#[derive(Debug, Clone, FromRow)]
pub struct StepRecord {
    pub id: i64,
    pub hazard_id: i64,
    pub shop_id: i64,
    pub step: String,
    pub due_at: i64,
    pub taken_at: i64,
}

/// An enforcement case.
#[derive(Debug, Clone, FromRow)]
pub struct CaseRecord {
    pub id: i64,
    pub shop_id: i64,
    pub status: String,
    pub reason: String,
    pub severity_rank: i64,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub outcome: Option<String>,
}

/// A regulator's action on a case.
#[derive(Debug, Clone, FromRow)]
pub struct ActionRecord {
    pub id: i64,
    pub case_id: i64,
    pub kind: String,
    pub note: String,
    pub pending: i64,
    pub at: i64,
    pub actor: String,
}

const CASE_COLUMNS: &str =
    "id, shop_id, status, reason, severity_rank, opened_at, closed_at, outcome";

/// A case the sweep should open.
#[derive(Debug, Clone)]
pub struct CaseCandidate {
    pub shop_id: i64,
    pub reason: &'static str,
    pub hazard_ids: Vec<i64>,
    pub severity_rank: i64,
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

/// 3 for critical, 2 major, 1 minor: the order of the regulators' queue.
pub fn severity_rank(severity: &str) -> i64 {
    match severity {
        "critical" => 3,
        "major" => 2,
        _ => 1,
    }
}

impl Store {
    /// Open, counted hazards past their deadline whose ladder is not complete.
    pub async fn hazards_to_escalate(
        &self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<HazardRecord>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {HAZARD_COLUMNS} FROM hazards h WHERE h.status = 'open' AND h.excluded = 0 AND h.deadline <= $1 \
             AND (SELECT COUNT(*) FROM escalation_steps e WHERE e.hazard_id = h.id) < 4 ORDER BY h.id LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await
    }

    /// Takes one rung with its notice and event; answers false when it was already taken.
    pub async fn take_step(
        &self,
        hazard: &HazardRecord,
        step: &str,
        due_at: i64,
        notice: &NewNotice<'_>,
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
        add_notice(&mut tx, notice, now).await?;
        events::record(
            &mut tx,
            NewEvent {
                shop_id: hazard.shop_id,
                at: now,
                actor: &Actor::system(),
                action: "hazard.escalated",
                subject_type: "hazard",
                subject_id: hazard.id,
                details: json!({"step": step, "due_at": due_at}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Shops that should get a case: red with a hazard unfixed past its referral (a hazard causes at
    /// most one case), or red `count` times since `since` and since their last case.
    pub async fn case_candidates(
        &self,
        since: i64,
        count: i64,
    ) -> Result<Vec<CaseCandidate>, sqlx::Error> {
        let referred: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT h.shop_id, h.id, h.severity FROM hazards h \
             JOIN escalation_steps e ON e.hazard_id = h.id AND e.step = 'referral' \
             JOIN shop_scores ss ON ss.shop_id = h.shop_id AND ss.colour = 'red' \
             WHERE h.status <> 'closed' AND h.excluded = 0 \
               AND NOT EXISTS (SELECT 1 FROM case_hazards ch WHERE ch.hazard_id = h.id) \
               AND NOT EXISTS (SELECT 1 FROM enforcement_cases c WHERE c.shop_id = h.shop_id AND c.status = 'open') \
             ORDER BY h.shop_id, h.id",
        )
        .fetch_all(self.pool())
        .await?;
        let mut by_shop: BTreeMap<i64, CaseCandidate> = BTreeMap::new();
        for (shop_id, hazard_id, severity) in referred {
            let c = by_shop.entry(shop_id).or_insert(CaseCandidate {
                shop_id,
                reason: "unfixed_past_referral",
                hazard_ids: Vec::new(),
                severity_rank: 0,
            });
            c.hazard_ids.push(hazard_id);
            c.severity_rank = c.severity_rank.max(severity_rank(&severity));
        }
        let repeated: Vec<(i64,)> = sqlx::query_as(
            "SELECT s.shop_id FROM score_snapshots s \
             WHERE s.colour = 'red' AND s.colour_since = s.at AND s.at > $1 \
               AND s.at > COALESCE((SELECT MAX(c.opened_at) FROM enforcement_cases c WHERE c.shop_id = s.shop_id), 0) \
               AND NOT EXISTS (SELECT 1 FROM enforcement_cases c WHERE c.shop_id = s.shop_id AND c.status = 'open') \
             GROUP BY s.shop_id HAVING COUNT(*) >= $2",
        )
        .bind(since)
        .bind(count)
        .fetch_all(self.pool())
        .await?;
        for (shop_id,) in repeated {
            if by_shop.contains_key(&shop_id) {
                continue;
            }
            let open: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, severity FROM hazards WHERE shop_id = $1 AND status <> 'closed' AND excluded = 0 ORDER BY id",
            )
            .bind(shop_id)
            .fetch_all(self.pool())
            .await?;
            by_shop.insert(
                shop_id,
                CaseCandidate {
                    shop_id,
                    reason: "repeated_red",
                    severity_rank: open
                        .iter()
                        .map(|(_, s)| severity_rank(s))
                        .max()
                        .unwrap_or(1),
                    hazard_ids: open.into_iter().map(|(id, _)| id).collect(),
                },
            );
        }
        Ok(by_shop.into_values().collect())
    }

    /// Opens a case unless the shop already has an open one; answers the new case.
    pub async fn open_case(
        &self,
        c: &CaseCandidate,
        now: i64,
    ) -> Result<Option<CaseRecord>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let opened: Option<CaseRecord> = sqlx::query_as(&format!(
            "INSERT INTO enforcement_cases (shop_id, status, reason, severity_rank, opened_at) \
             VALUES ($1, 'open', $2, $3, $4) ON CONFLICT DO NOTHING RETURNING {CASE_COLUMNS}"
        ))
        .bind(c.shop_id)
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
        self.announce_case(&mut tx, &case, "case_opened", details, now)
            .await?;
        tx.commit().await?;
        Ok(Some(case))
    }

    /// Open cases whose hazards are all verified fixed (or no longer counted), with no regulator
    /// action pending, and — for repeated-red cases — whose shop is no longer red.
    pub async fn cases_ready_to_close(&self) -> Result<Vec<i64>, sqlx::Error> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT c.id FROM enforcement_cases c WHERE c.status = 'open' \
             AND NOT EXISTS (SELECT 1 FROM case_hazards ch JOIN hazards h ON h.id = ch.hazard_id \
                             WHERE ch.case_id = c.id AND h.status <> 'closed' AND h.excluded = 0) \
             AND NOT EXISTS (SELECT 1 FROM case_actions a WHERE a.case_id = c.id AND a.pending = 1) \
             AND (c.reason <> 'repeated_red' OR NOT EXISTS \
                  (SELECT 1 FROM shop_scores ss WHERE ss.shop_id = c.shop_id AND ss.colour = 'red')) \
             ORDER BY c.id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Closes an open case with an outcome; `None` if it was not open.
    pub async fn close_case(
        &self,
        case_id: i64,
        outcome: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<Option<CaseRecord>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let closed: Option<CaseRecord> = sqlx::query_as(&format!(
            "UPDATE enforcement_cases SET status = 'closed', closed_at = $1, outcome = $2 \
             WHERE id = $3 AND status = 'open' RETURNING {CASE_COLUMNS}"
        ))
        .bind(now)
        .bind(outcome)
        .bind(case_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(case) = closed else {
            tx.rollback().await?;
            return Ok(None);
        };
        let details = json!({"case_id": case.id, "outcome": outcome, "closed_by": actor.name});
        self.announce_case(&mut tx, &case, "case_closed", details, now)
            .await?;
        tx.commit().await?;
        Ok(Some(case))
    }

    async fn announce_case(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        case: &CaseRecord,
        kind: &str,
        details: serde_json::Value,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        append_feed(tx, self.backend(), kind, case.shop_id, &details, now).await?;
        let (zh, en) = if kind == "case_opened" {
            (
                "您的店铺已被立案查处，请配合执法",
                "An enforcement case has been opened against your shop",
            )
        } else {
            (
                "您的执法案件已结案",
                "Your shop's enforcement case is closed",
            )
        };
        add_notice(
            tx,
            &NewNotice {
                shop_id: case.shop_id,
                kind,
                hazard_id: None,
                dedupe_key: format!("{kind}:{}", case.id),
                message_zh: zh.to_owned(),
                message_en: en.to_owned(),
            },
            now,
        )
        .await?;
        events::record(
            tx,
            NewEvent {
                shop_id: case.shop_id,
                at: now,
                actor: &Actor::system(),
                action: if kind == "case_opened" {
                    "case.opened"
                } else {
                    "case.closed"
                },
                subject_type: "case",
                subject_id: case.id,
                details,
            },
        )
        .await
    }

    /// Records a regulator's action. A `summons` stays pending until a `summons_held`.
    pub async fn add_case_action(
        &self,
        case_id: i64,
        kind: &str,
        note: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<ActionRecord, CaseError> {
        let mut tx = self.begin_write().await?;
        let case: Option<CaseRecord> = sqlx::query_as(&format!(
            "SELECT {CASE_COLUMNS} FROM enforcement_cases WHERE id = $1"
        ))
        .bind(case_id)
        .fetch_optional(&mut *tx)
        .await?;
        let case = case.ok_or(CaseError::NotFound)?;
        if case.status != "open" {
            return Err(CaseError::Closed);
        }
        if kind == "summons_held" {
            sqlx::query("UPDATE case_actions SET pending = 0 WHERE case_id = $1 AND kind = 'summons' AND pending = 1")
                .bind(case_id)
                .execute(&mut *tx)
                .await?;
        }
        let action: ActionRecord = sqlx::query_as(
            "INSERT INTO case_actions (case_id, kind, note, pending, at, actor) VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id, case_id, kind, note, pending, at, actor",
        )
        .bind(case_id)
        .bind(kind)
        .bind(note)
        .bind(i64::from(kind == "summons"))
        .bind(now)
        .bind(actor.name.as_str())
        .fetch_one(&mut *tx)
        .await?;
        events::record(
            &mut tx,
            NewEvent {
                shop_id: case.shop_id,
                at: now,
                actor,
                action: "case.action",
                subject_type: "case",
                subject_id: case_id,
                details: json!({"kind": kind, "note": note}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(action)
    }

    /// The regulators' queue: worst first, then oldest.
    pub async fn list_cases(
        &self,
        status: Option<&str>,
        grid: Option<&str>,
        after: Option<RankCursor>,
        limit: u32,
    ) -> Result<(Vec<CaseRecord>, Option<RankCursor>), sqlx::Error> {
        let mut st = Statement::new(
            "SELECT c.id, c.shop_id, c.status, c.reason, c.severity_rank, c.opened_at, c.closed_at, c.outcome \
             FROM enforcement_cases c JOIN shops s ON s.id = c.shop_id WHERE 1 = 1",
        );
        if let Some(status) = status {
            st.push(" AND c.status = ")
                .bind(Arg::Text(status.to_owned()));
        }
        if let Some(grid) = grid {
            st.push(" AND s.grid = ").bind(Arg::Text(grid.to_owned()));
        }
        if let Some(after) = after {
            st.push(" AND (c.severity_rank < ")
                .bind(Arg::Int(after.rank))
                .push(" OR (c.severity_rank = ")
                .bind(Arg::Int(after.rank))
                .push(" AND c.id > ")
                .bind(Arg::Int(after.id))
                .push("))");
        }
        st.push(" ORDER BY c.severity_rank DESC, c.id LIMIT ")
            .bind(Arg::Int(i64::from(limit) + 1));
        let mut rows = st.query_as::<CaseRecord>().fetch_all(self.pool()).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = more
            .then(|| {
                rows.last().map(|c| RankCursor {
                    rank: c.severity_rank,
                    id: c.id,
                })
            })
            .flatten();
        Ok((rows, next))
    }

    /// One case.
    pub async fn case(&self, id: i64) -> Result<Option<CaseRecord>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {CASE_COLUMNS} FROM enforcement_cases WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await
    }

    /// The hazards behind a case.
    pub async fn case_hazards(&self, case_id: i64) -> Result<Vec<HazardRecord>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {HAZARD_COLUMNS} FROM hazards h JOIN case_hazards ch ON ch.hazard_id = h.id \
             WHERE ch.case_id = $1 ORDER BY h.id"
        ))
        .bind(case_id)
        .fetch_all(self.pool())
        .await
    }

    /// The rungs taken on some hazards.
    pub async fn steps_of_shop(&self, shop_id: i64) -> Result<Vec<StepRecord>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, hazard_id, shop_id, step, due_at, taken_at FROM escalation_steps WHERE shop_id = $1 ORDER BY id",
        )
        .bind(shop_id)
        .fetch_all(self.pool())
        .await
    }

    /// A case's actions, in order.
    pub async fn case_actions(&self, case_id: i64) -> Result<Vec<ActionRecord>, sqlx::Error> {
        sqlx::query_as("SELECT id, case_id, kind, note, pending, at, actor FROM case_actions WHERE case_id = $1 ORDER BY id")
            .bind(case_id)
            .fetch_all(self.pool())
            .await
    }

    /// Counts for the replica-safety check: (steps, notices, open or closed cases) of a shop.
    pub async fn enforcement_counts(&self, shop_id: i64) -> Result<(i64, i64, i64), sqlx::Error> {
        let (steps,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM escalation_steps WHERE shop_id = $1")
                .bind(shop_id)
                .fetch_one(self.pool())
                .await?;
        let (notices,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notices WHERE shop_id = $1")
            .bind(shop_id)
            .fetch_one(self.pool())
            .await?;
        let (cases,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM enforcement_cases WHERE shop_id = $1")
                .bind(shop_id)
                .fetch_one(self.pool())
                .await?;
        Ok((steps, notices, cases))
    }
}

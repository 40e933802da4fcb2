//! Self-checks and patrols: the two ways hazards are found at the shop, each written with the
//! hazards it opens and its events in one transaction.

use serde_json::json;
use sqlx::FromRow;

use super::events::{self, Actor, Subject};
use super::hazards::{open_hazard, HazardRecord};
use super::scores::mark_for_rescore;
use super::Store;
use crate::clock::rfc3339;
use crate::domain::checklist::CheckResult;
use crate::domain::hazard::{evidence_json, EvidenceRef, NewHazard, PatrolKind};

/// One answer of a self-check, ready to store.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    pub item_id: String,
    pub result: CheckResult,
    pub note: Option<String>,
    /// `YYYY-MM-DD`.
    pub expires_on: Option<String>,
    pub evidence: Vec<EvidenceRef>,
    /// The hazard a failed answer opens.
    pub hazard: Option<NewHazard>,
}

/// A self-check as stored.
#[derive(Debug, Clone, FromRow)]
pub struct SelfCheckRecord {
    pub id: i64,
    pub shop_id: i64,
    pub template_version: String,
    pub submitted_at: i64,
    pub passed: i64,
    pub failed: i64,
    pub not_applicable: i64,
}

/// A patrol as stored.
#[derive(Debug, Clone, FromRow)]
pub struct PatrolRecord {
    pub id: i64,
    pub shop_id: i64,
    pub kind: PatrolKind,
    pub observed_at: i64,
    pub recorded_at: i64,
    pub finding_count: i64,
    pub note: Option<String>,
}

/// A patrol to record.
#[derive(Debug, Clone)]
pub struct NewPatrol {
    pub kind: PatrolKind,
    pub observed_at: i64,
    pub note: Option<String>,
    pub findings: Vec<NewHazard>,
}

fn count(answers: &[StoredAnswer], result: CheckResult) -> i64 {
    answers.iter().filter(|a| a.result == result).count() as i64
}

impl Store {
    /// Stores a self-check, its answers, the expiry dates it tracks and the hazards its failures
    /// open.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_self_check(
        &self,
        shop_id: i64,
        template_version: &str,
        answers: &[StoredAnswer],
        now: i64,
        actor: &Actor,
    ) -> Result<(SelfCheckRecord, Vec<HazardRecord>), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let record: SelfCheckRecord = sqlx::query_as(
            "INSERT INTO self_checks (shop_id, template_version, submitted_at, actor, passed, failed, \
             not_applicable) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING id, shop_id, template_version, submitted_at, passed, failed, not_applicable",
        )
        .bind(shop_id)
        .bind(template_version)
        .bind(now)
        .bind(actor.name.as_str())
        .bind(count(answers, CheckResult::Pass))
        .bind(count(answers, CheckResult::Fail))
        .bind(count(answers, CheckResult::NotApplicable))
        .fetch_one(&mut *tx)
        .await?;
        for answer in answers {
            sqlx::query(
                "INSERT INTO self_check_answers (self_check_id, item_id, result, note, expires_on, evidence) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(record.id)
            .bind(answer.item_id.as_str())
            .bind(answer.result)
            .bind(answer.note.as_deref())
            .bind(answer.expires_on.as_deref())
            .bind(evidence_json(&answer.evidence))
            .execute(&mut *tx)
            .await?;
            if let Some(expires_on) = &answer.expires_on {
                sqlx::query(
                    "INSERT INTO tracked_expiries (shop_id, item_id, expires_on, self_check_id) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (shop_id, item_id) \
                     DO UPDATE SET expires_on = excluded.expires_on, self_check_id = excluded.self_check_id",
                )
                .bind(shop_id)
                .bind(answer.item_id.as_str())
                .bind(expires_on.as_str())
                .bind(record.id)
                .execute(&mut *tx)
                .await?;
            }
        }
        events::record(
            &mut tx,
            Subject::new("self_check", shop_id, record.id),
            "self_check.submitted",
            actor,
            now,
            json!({
                "template_version": template_version,
                "passed": record.passed,
                "failed": record.failed,
                "not_applicable": record.not_applicable,
            }),
        )
        .await?;
        let mut hazards = Vec::new();
        for hazard in answers.iter().filter_map(|a| a.hazard.as_ref()) {
            hazards.push(open_hazard(&mut tx, shop_id, record.id, hazard, now, actor).await?);
        }
        mark_for_rescore(&mut tx, shop_id, now).await?;
        tx.commit().await?;
        Ok((record, hazards))
    }

    /// Records a patrol (clean when it has no findings) and opens a hazard per finding.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_patrol(
        &self,
        shop_id: i64,
        patrol: &NewPatrol,
        now: i64,
        actor: &Actor,
    ) -> Result<(PatrolRecord, Vec<HazardRecord>), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let record: PatrolRecord = sqlx::query_as(
            "INSERT INTO patrols (shop_id, kind, observed_at, recorded_at, actor, finding_count, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING id, shop_id, kind, observed_at, recorded_at, finding_count, note",
        )
        .bind(shop_id)
        .bind(patrol.kind)
        .bind(patrol.observed_at)
        .bind(now)
        .bind(actor.name.as_str())
        .bind(patrol.findings.len() as i64)
        .bind(patrol.note.as_deref())
        .fetch_one(&mut *tx)
        .await?;
        events::record(
            &mut tx,
            Subject::new("patrol", shop_id, record.id),
            if patrol.findings.is_empty() {
                "patrol.recorded_clean"
            } else {
                "patrol.recorded"
            },
            actor,
            now,
            json!({
                "kind": patrol.kind,
                "observed_at": rfc3339(patrol.observed_at),
                "findings": patrol.findings.len(),
            }),
        )
        .await?;
        let mut hazards = Vec::new();
        for finding in &patrol.findings {
            hazards.push(open_hazard(&mut tx, shop_id, record.id, finding, now, actor).await?);
        }
        mark_for_rescore(&mut tx, shop_id, now).await?;
        tx.commit().await?;
        Ok((record, hazards))
    }

    /// How many self-checks and patrols a shop has (used by tests and the concurrency check).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn inspection_counts(&self, shop_id: i64) -> Result<(i64, i64), sqlx::Error> {
        let (checks,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM self_checks WHERE shop_id = $1")
                .bind(shop_id)
                .fetch_one(self.pool())
                .await?;
        let (patrols,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM patrols WHERE shop_id = $1")
            .bind(shop_id)
            .fetch_one(self.pool())
            .await?;
        Ok((checks, patrols))
    }
}

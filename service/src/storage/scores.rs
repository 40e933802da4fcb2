//! Score snapshots and each shop's current score. A rescore loads the evidence, scores it and
//! writes the result in one write transaction, so a request and the sweep rescoring the same shop
//! cannot interleave.

use serde_json::json;
use sqlx::{Any, FromRow, Transaction};

use super::events::{self, Actor, Subject};
use super::feed::{add_notice, append_feed, NewNotice};
use super::hazards::{HazardRecord, COLUMNS as HAZARD_COLUMNS};
use super::inspections::{PatrolRecord, SelfCheckRecord};
use super::sql::{Arg, Statement};
use super::{Backend, Store};
use shopcredit_scoring::Text;

use crate::domain::enforcement::{FeedKind, NoticeKind};
use crate::domain::page::{Page, PageRequest};
use crate::domain::score::Colour;
use crate::domain::vocabulary::IntFlag;

/// Everything recorded about a shop that scoring reads.
#[derive(Debug, Clone, Default)]
pub struct EvidenceRows {
    pub registered_at: i64,
    pub hazards: Vec<HazardRecord>,
    pub patrols: Vec<PatrolRecord>,
    /// Each self-check with the ids of the items answered `pass`.
    pub self_checks: Vec<(SelfCheckRecord, Vec<String>)>,
    pub reviews: Vec<ReviewRow>,
}

/// What scoring reads of a review.
#[derive(Debug, Clone, FromRow)]
pub struct ReviewRow {
    pub id: i64,
    pub rating: i64,
    pub created_at: i64,
    /// Not held and not excluded by an upheld dispute.
    #[sqlx(try_from = "IntFlag")]
    pub counted: bool,
}

/// A shop's current score.
#[derive(Debug, Clone, FromRow)]
pub struct CurrentScore {
    pub shop_id: i64,
    pub snapshot_id: i64,
    pub colour: Colour,
    pub colour_since: i64,
    pub score: i64,
    #[sqlx(try_from = "IntFlag")]
    pub provisional: bool,
    pub policy_version: String,
    pub computed_at: i64,
}

/// A stored snapshot.
#[derive(Debug, Clone, FromRow)]
pub struct SnapshotRecord {
    pub id: i64,
    pub shop_id: i64,
    pub at: i64,
    pub score: i64,
    pub colour: Colour,
    #[sqlx(try_from = "IntFlag")]
    pub provisional: bool,
    pub colour_since: i64,
    pub policy_version: String,
    pub district_mean_rating: f64,
    /// The assessment as JSON; see `assessor::stored_assessment`.
    pub assessment: String,
}

const SNAPSHOT_COLUMNS: &str =
    "id, shop_id, at, score, colour, provisional, colour_since, policy_version, \
     district_mean_rating, assessment";

/// What a rescore produced, to store if it differs from the current score.
#[derive(Debug, Clone)]
pub struct NewScore {
    pub score: i64,
    pub colour: Colour,
    pub provisional: bool,
    pub policy_version: String,
    pub district_mean_rating: f64,
    /// The assessment as JSON.
    pub assessment: String,
    /// What the owner is told when the colour changes.
    pub colour_notice: Option<Text>,
    /// The current snapshot's explanation (its reasons) still holds; when it does not, a new
    /// snapshot is written even if the score and colour are the same.
    pub explanation_holds: bool,
}

/// The outcome of a rescore.
#[derive(Debug, Clone)]
pub struct Rescored {
    pub current: CurrentScore,
    /// A new snapshot was written (score, colour, provisional mark, policy or explanation changed).
    pub changed: bool,
    /// The colour before, when it changed.
    pub previous_colour: Option<Colour>,
}

impl Store {
    /// Rescores one shop: `score` gets the evidence, the current score and its stored assessment,
    /// and answers the new one.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn rescore_shop<E>(
        &self,
        shop_id: i64,
        now: i64,
        score: impl FnOnce(&EvidenceRows, Option<&CurrentScore>, Option<&str>) -> Result<NewScore, E>,
    ) -> Result<Result<Rescored, E>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            // SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs the row lock.
            sqlx::query("SELECT id FROM shops WHERE id = $1 FOR UPDATE")
                .bind(shop_id)
                .execute(&mut *tx)
                .await?;
        }
        let rows = load_evidence(&mut tx, shop_id).await?;
        let current: Option<CurrentScore> = sqlx::query_as(
            "SELECT shop_id, snapshot_id, score, colour, provisional, colour_since, policy_version, computed_at \
             FROM shop_scores WHERE shop_id = $1",
        )
        .bind(shop_id)
        .fetch_optional(&mut *tx)
        .await?;
        let current_assessment: Option<(String,)> = match &current {
            Some(c) => {
                sqlx::query_as("SELECT assessment FROM score_snapshots WHERE id = $1")
                    .bind(c.snapshot_id)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            None => None,
        };
        let stored = current_assessment.as_ref().map(|(a,)| a.as_str());
        let new = match score(&rows, current.as_ref(), stored) {
            Ok(new) => new,
            Err(e) => return Ok(Err(e)),
        };
        let unchanged = current.as_ref().is_some_and(|c| {
            c.score == new.score
                && c.colour == new.colour
                && c.provisional == new.provisional
                && c.policy_version == new.policy_version
                && new.explanation_holds
        });
        // This rescore saw every write committed before it took the shop's lock: their marks go.
        sqlx::query("UPDATE shops SET rescore_requested_at = NULL WHERE id = $1")
            .bind(shop_id)
            .execute(&mut *tx)
            .await?;
        if let (true, Some(mut c)) = (unchanged, current.clone()) {
            sqlx::query("UPDATE shop_scores SET computed_at = $1 WHERE shop_id = $2")
                .bind(now)
                .bind(shop_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            c.computed_at = now;
            return Ok(Ok(Rescored {
                current: c,
                changed: false,
                previous_colour: None,
            }));
        }
        let previous_colour = current
            .as_ref()
            .filter(|c| c.colour != new.colour)
            .map(|c| c.colour);
        let colour_since = match &current {
            Some(c) if c.colour == new.colour => c.colour_since,
            _ => now,
        };
        let (snapshot_id,): (i64,) = sqlx::query_as(
            "INSERT INTO score_snapshots (shop_id, at, score, colour, provisional, colour_since, policy_version, \
             district_mean_rating, assessment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(shop_id)
        .bind(now)
        .bind(new.score)
        .bind(new.colour)
        .bind(i64::from(new.provisional))
        .bind(colour_since)
        .bind(new.policy_version.as_str())
        .bind(new.district_mean_rating)
        .bind(new.assessment.as_str())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO shop_scores (shop_id, snapshot_id, score, colour, provisional, colour_since, \
             policy_version, computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (shop_id) DO UPDATE SET snapshot_id = excluded.snapshot_id, score = excluded.score, \
             colour = excluded.colour, provisional = excluded.provisional, colour_since = excluded.colour_since, \
             policy_version = excluded.policy_version, computed_at = excluded.computed_at",
        )
        .bind(shop_id)
        .bind(snapshot_id)
        .bind(new.score)
        .bind(new.colour)
        .bind(i64::from(new.provisional))
        .bind(colour_since)
        .bind(new.policy_version.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if previous_colour.is_some() || current.is_none() {
            record_code_change(&mut tx, shop_id, previous_colour, &new, now).await?;
            let details = json!({"from": previous_colour, "to": new.colour, "score": new.score});
            append_feed(
                &mut tx,
                self.backend(),
                FeedKind::ColourChanged,
                shop_id,
                &details,
                now,
            )
            .await?;
        }
        if let (Some(_), Some(text)) = (previous_colour, &new.colour_notice) {
            let notice = NewNotice {
                shop_id,
                kind: NoticeKind::ColourChanged,
                hazard_id: None,
                dedupe_key: format!("colour:{snapshot_id}"),
                text: text.clone(),
            };
            add_notice(&mut tx, &notice, now).await?;
        }
        tx.commit().await?;
        Ok(Ok(Rescored {
            current: CurrentScore {
                shop_id,
                snapshot_id,
                score: new.score,
                colour: new.colour,
                provisional: new.provisional,
                colour_since,
                policy_version: new.policy_version,
                computed_at: now,
            },
            changed: true,
            previous_colour,
        }))
    }

    /// The evidence of a shop, outside any transaction (for recomputing a past score).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn evidence_rows(&self, shop_id: i64) -> Result<EvidenceRows, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let rows = load_evidence(&mut tx, shop_id).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// A shop's current score, if it has been scored.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn current_score(&self, shop_id: i64) -> Result<Option<CurrentScore>, sqlx::Error> {
        sqlx::query_as(
            "SELECT shop_id, snapshot_id, score, colour, provisional, colour_since, policy_version, computed_at \
             FROM shop_scores WHERE shop_id = $1",
        )
        .bind(shop_id)
        .fetch_optional(self.pool())
        .await
    }

    /// One snapshot by id.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn snapshot(&self, id: i64) -> Result<Option<SnapshotRecord>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM score_snapshots WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await
    }

    /// The last snapshot of a shop taken at or before `at` (`strictly` excludes `at` itself).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn snapshot_before(
        &self,
        shop_id: i64,
        at: i64,
        strictly: bool,
    ) -> Result<Option<SnapshotRecord>, sqlx::Error> {
        let op = if strictly { "<" } else { "<=" };
        sqlx::query_as(&format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM score_snapshots WHERE shop_id = $1 AND at {op} $2 \
             ORDER BY at DESC, id DESC LIMIT 1"
        ))
        .bind(shop_id)
        .bind(at)
        .fetch_optional(self.pool())
        .await
    }

    /// A shop's snapshots, oldest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn score_history(
        &self,
        shop_id: i64,
        page: PageRequest,
    ) -> Result<Page<SnapshotRecord>, sqlx::Error> {
        let mut st = Statement::new(&format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM score_snapshots WHERE shop_id = "
        ));
        st.bind(Arg::Int(shop_id));
        st.fetch_page::<SnapshotRecord>("id", page, self.pool(), |r| r.id)
            .await
    }

    /// Shops to rescore: evidence changed since the last successful rescore, never scored, an
    /// unresolved hazard's deadline passed since the last rescore, or not rescored for `stale_ms`
    /// (decay, cadence). Least recently computed first, so a shop that keeps failing cannot starve
    /// the others out of the batch for long.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn shops_due_for_rescore(
        &self,
        now: i64,
        stale_ms: i64,
        review_settle_ms: i64,
        limit: i64,
    ) -> Result<Vec<i64>, sqlx::Error> {
        // A review settles `review_settle_ms` after it was left and only then counts: a shop with a
        // review that settled since its last rescore is due too.
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT s.id FROM shops s LEFT JOIN shop_scores ss ON ss.shop_id = s.id \
             WHERE ss.shop_id IS NULL OR ss.computed_at < $1 OR s.rescore_requested_at IS NOT NULL \
                OR EXISTS (SELECT 1 FROM hazards h WHERE h.shop_id = s.id AND h.status <> 'closed' \
                           AND h.excluded = 0 AND h.deadline <= $2 AND h.deadline > ss.computed_at) \
                OR EXISTS (SELECT 1 FROM reviews r WHERE r.shop_id = s.id \
                           AND r.created_at + $4 <= $2 AND r.created_at + $4 > ss.computed_at) \
             ORDER BY COALESCE(ss.computed_at, 0), s.id LIMIT $3",
        )
        .bind(now - stale_ms)
        .bind(now)
        .bind(limit)
        .bind(review_settle_ms)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Every shop id, in order (for full rescoring and back-tests).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn all_shop_ids(&self) -> Result<Vec<i64>, sqlx::Error> {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM shops ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// When a shop was last patrolled (for the public view).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn last_patrol_at(&self, shop_id: i64) -> Result<Option<i64>, sqlx::Error> {
        let (at,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(observed_at) FROM patrols WHERE shop_id = $1")
                .bind(shop_id)
                .fetch_one(self.pool())
                .await?;
        Ok(at)
    }
}

async fn load_evidence(
    tx: &mut Transaction<'static, Any>,
    shop_id: i64,
) -> Result<EvidenceRows, sqlx::Error> {
    let (registered_at,): (i64,) = sqlx::query_as("SELECT created_at FROM shops WHERE id = $1")
        .bind(shop_id)
        .fetch_one(&mut **tx)
        .await?;
    let hazards: Vec<HazardRecord> = sqlx::query_as(&format!(
        "SELECT {HAZARD_COLUMNS} FROM hazards h WHERE h.shop_id = $1 ORDER BY h.id"
    ))
    .bind(shop_id)
    .fetch_all(&mut **tx)
    .await?;
    let patrols: Vec<PatrolRecord> = sqlx::query_as(
        "SELECT id, shop_id, kind, observed_at, recorded_at, finding_count, note FROM patrols \
         WHERE shop_id = $1 ORDER BY id",
    )
    .bind(shop_id)
    .fetch_all(&mut **tx)
    .await?;
    let checks: Vec<SelfCheckRecord> = sqlx::query_as(
        "SELECT id, shop_id, template_version, submitted_at, passed, failed, not_applicable FROM self_checks \
         WHERE shop_id = $1 ORDER BY id",
    )
    .bind(shop_id)
    .fetch_all(&mut **tx)
    .await?;
    let passed: Vec<(i64, String)> = sqlx::query_as(
        "SELECT a.self_check_id, a.item_id FROM self_check_answers a JOIN self_checks c ON c.id = a.self_check_id \
         WHERE c.shop_id = $1 AND a.result = 'pass' ORDER BY a.self_check_id, a.item_id",
    )
    .bind(shop_id)
    .fetch_all(&mut **tx)
    .await?;
    let self_checks = checks
        .into_iter()
        .map(|c| {
            let items = passed
                .iter()
                .filter(|(id, _)| *id == c.id)
                .map(|(_, item)| item.clone())
                .collect();
            (c, items)
        })
        .collect();
    let reviews: Vec<ReviewRow> = sqlx::query_as(
        "SELECT id, rating, created_at, CASE WHEN status = 'counted' AND excluded = 0 THEN 1 ELSE 0 END AS counted \
         FROM reviews WHERE shop_id = $1 ORDER BY id",
    )
    .bind(shop_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(EvidenceRows {
        registered_at,
        hazards,
        patrols,
        self_checks,
        reviews,
    })
}

async fn record_code_change(
    tx: &mut Transaction<'static, Any>,
    shop_id: i64,
    from: Option<Colour>,
    new: &NewScore,
    now: i64,
) -> Result<(), sqlx::Error> {
    events::record(tx, Subject::new("shop", shop_id, shop_id), "code.changed", &Actor::system(), now, json!({"from": from, "to": new.colour, "score": new.score, "policy_version": new.policy_version}))
    .await
}

/// Marks a shop for rescoring inside the transaction that changes its evidence; the mark stays until
/// a rescore that saw the change commits.
pub(crate) async fn mark_for_rescore(
    tx: &mut Transaction<'static, Any>,
    shop_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE shops SET rescore_requested_at = $1 WHERE id = $2")
        .bind(now)
        .bind(shop_id)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

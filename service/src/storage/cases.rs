//! Reading the enforcement queue: a page of cases and everything their views show, loaded for the
//! whole page at once, so a page costs the same few queries however many cases it holds.

use super::enforcement::{ActionRecord, CaseRecord, StepRecord, ACTION_COLUMNS, CASE_COLUMNS};
use super::feed::NoticeRecord;
use super::hazards::{HazardRecord, COLUMNS as HAZARD_COLUMNS};
use super::scores::SnapshotRecord;
use super::sql::{Arg, Statement};
use super::Store;
use crate::domain::enforcement::CaseStatus;
use crate::domain::page::RankCursor;
use crate::domain::shop::GridCode;

/// Everything a page of case views shows, keyed by case or shop id.
#[derive(Debug, Default)]
pub struct CaseDetails {
    /// (case id, hazard)
    pub hazards: Vec<(i64, HazardRecord)>,
    pub steps: Vec<StepRecord>,
    pub actions: Vec<ActionRecord>,
    /// The first `per_shop` notices of each shop.
    pub notices: Vec<NoticeRecord>,
    /// The first `per_shop` snapshots of each shop.
    pub history: Vec<SnapshotRecord>,
}

/// `IN (…)` over a list of ids, bound one by one.
fn push_ids(st: &mut Statement, ids: &[i64]) {
    st.push(" IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            st.push(", ");
        }
        st.bind(Arg::Int(*id));
    }
    st.push(")");
}

impl Store {
    /// The regulators' queue: worst first, then oldest.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_cases(
        &self,
        status: Option<CaseStatus>,
        grid: Option<&GridCode>,
        after: Option<RankCursor>,
        limit: u32,
    ) -> Result<(Vec<CaseRecord>, Option<RankCursor>), sqlx::Error> {
        let mut st = Statement::new(&format!(
            "SELECT {CASE_COLUMNS} FROM enforcement_cases c JOIN shops s ON s.id = c.shop_id WHERE 1 = 1"
        ));
        if let Some(status) = status {
            st.push(" AND c.status = ")
                .bind(Arg::Text(status.as_str().to_owned()));
        }
        if let Some(grid) = grid {
            st.push(" AND s.grid = ")
                .bind(Arg::Text(grid.as_str().to_owned()));
        }
        st.fetch_ranked_page(
            "c.severity_rank",
            "c.id",
            after,
            limit,
            self.pool(),
            |c: &CaseRecord| RankCursor {
                rank: c.severity_rank,
                id: c.id,
            },
        )
        .await
    }

    /// One case.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn case(&self, id: i64) -> Result<Option<CaseRecord>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT {CASE_COLUMNS} FROM enforcement_cases c WHERE c.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await
    }

    /// The hazards, rungs, actions, notices and score history of `cases`, in five queries.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn case_details(
        &self,
        cases: &[CaseRecord],
        per_shop: u32,
    ) -> Result<CaseDetails, sqlx::Error> {
        if cases.is_empty() {
            return Ok(CaseDetails::default());
        }
        let case_ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
        let mut shop_ids: Vec<i64> = cases.iter().map(|c| c.shop_id).collect();
        shop_ids.sort_unstable();
        shop_ids.dedup();

        let mut st = Statement::new(&format!(
            "SELECT ch.case_id, {HAZARD_COLUMNS} FROM hazards h JOIN case_hazards ch ON ch.hazard_id = h.id \
             WHERE ch.case_id"
        ));
        push_ids(&mut st, &case_ids);
        st.push(" ORDER BY ch.case_id, h.id");
        let hazards = st
            .query_as::<CaseHazard>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(|r| (r.case_id, r.hazard))
            .collect();

        let mut st = Statement::new(
            "SELECT e.id, e.hazard_id, e.shop_id, e.step, e.due_at, e.taken_at FROM escalation_steps e \
             JOIN case_hazards ch ON ch.hazard_id = e.hazard_id WHERE ch.case_id",
        );
        push_ids(&mut st, &case_ids);
        st.push(" ORDER BY e.id");
        let mut steps = st.query_as::<StepRecord>().fetch_all(self.pool()).await?;
        steps.dedup_by_key(|s| s.id);

        let mut st = Statement::new(&format!(
            "SELECT {ACTION_COLUMNS} FROM case_actions a WHERE a.case_id"
        ));
        push_ids(&mut st, &case_ids);
        st.push(" ORDER BY a.case_id, a.id");
        let actions = st.query_as::<ActionRecord>().fetch_all(self.pool()).await?;

        let mut st = Statement::new(
            "SELECT id, shop_id, kind, at, hazard_id, message_zh, message_en FROM \
             (SELECT n.*, ROW_NUMBER() OVER (PARTITION BY n.shop_id ORDER BY n.id) AS nth FROM notices n \
              WHERE n.shop_id",
        );
        push_ids(&mut st, &shop_ids);
        st.push(") numbered WHERE nth <= ")
            .bind(Arg::Int(i64::from(per_shop)))
            .push(" ORDER BY shop_id, id");
        let notices = st.query_as::<NoticeRecord>().fetch_all(self.pool()).await?;

        let mut st = Statement::new(
            "SELECT id, shop_id, at, score, colour, provisional, colour_since, policy_version, \
             district_mean_rating, assessment FROM \
             (SELECT s.*, ROW_NUMBER() OVER (PARTITION BY s.shop_id ORDER BY s.id) AS nth FROM score_snapshots s \
              WHERE s.shop_id",
        );
        push_ids(&mut st, &shop_ids);
        st.push(") numbered WHERE nth <= ")
            .bind(Arg::Int(i64::from(per_shop)))
            .push(" ORDER BY shop_id, id");
        let history = st
            .query_as::<SnapshotRecord>()
            .fetch_all(self.pool())
            .await?;
        Ok(CaseDetails {
            hazards,
            steps,
            actions,
            notices,
            history,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct CaseHazard {
    case_id: i64,
    #[sqlx(flatten)]
    hazard: HazardRecord,
}

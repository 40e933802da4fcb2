//! The sweep: rescores shops whose evidence changed or whose deadlines passed, climbs escalation
//! ladders, and opens or closes enforcement cases. Safe on several replicas: each rescore locks its
//! shop and every rung, notice and case is keyed so it happens once.
//!
//! One shop's failure never stops the others: it is logged with its id, counted in `/metrics`
//! (`sweep_failures_total`) and skipped; its rescore mark stays, so the next pass retries it.

use serde::Serialize;

use shopcredit_scoring::{
    case_closes_itself, case_notice, case_to_open, due_steps, expiry_action, severity_rank,
    step_notice, summons_pending, CaseFacts, CaseHazard, Day, ExpiryAction, LadderSoFar, ShopFacts,
    Text, Timestamp, TrackedItem, ValidPolicy, RUNGS,
};

use crate::assessor::{hazard_of, parse_policy, rescore, AssessError};
use crate::domain::hazard::{Finding, HazardSource};
use crate::domain::score::Colour;
use crate::state::AppState;
use crate::storage::enforcement::{NewCase, OpenCaseFacts, ShopCaseFacts};
use crate::storage::events::Actor;
use crate::storage::Store;
use crate::telemetry::Metrics;

/// A shop untouched this long is rescored anyway (violations decay, self-checks fall due).
pub const STALE_AFTER_MS: i64 = 24 * 3_600_000;
/// Shops rescored (and hazards escalated) per sweep pass, so one pass never holds the database long.
const SWEEP_BATCH: i64 = 500;
/// The outcome recorded on a case that closed itself because its causes are fixed.
pub const FIXED_OUTCOME: &str = "fixed";

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepPass {
    pub rescored: usize,
    pub steps_taken: usize,
    pub cases_opened: usize,
    pub cases_closed: usize,
    /// Owners told an item expires soon.
    pub expiry_notices: usize,
    /// Expired items opened as hazards.
    pub expiry_hazards: usize,
    /// Shops, hazards or cases skipped after an error (logged and counted).
    pub failures: usize,
    /// Idempotency keys forgotten (older than [`IDEMPOTENCY_KEY_TTL_MS`]).
    pub idempotency_keys_purged: u64,
}

/// How long a POST's answer is kept for retries: a field app retries within minutes, a phone that
/// lost its network within hours.
pub const IDEMPOTENCY_KEY_TTL_MS: i64 = 24 * 3_600_000;

/// One sweep pass: picks up a newly adopted policy (another replica may have adopted it), rescores
/// every shop that needs it, then escalates and enforces. Fails only when the database cannot even
/// list the work; each item's own failure is isolated.
#[tracing::instrument(skip_all)]
pub async fn sweep_once(state: &AppState) -> Result<SweepPass, AssessError> {
    refresh_policy(state).await?;
    let policy = state.policy();
    let now = state.now_ms();
    let mut pass = SweepPass::default();
    let settle_ms = i64::from(policy.review_settle_hours) * 3_600_000;
    // First, so the hazards of expired items are scored in this same pass.
    expire(state, &policy, now, &mut pass).await?;
    for shop_id in state
        .store
        .shops_due_for_rescore(now, STALE_AFTER_MS, settle_ms, SWEEP_BATCH)
        .await?
    {
        match rescore(&state.store, &policy, shop_id, now).await {
            Ok(_) => pass.rescored += 1,
            Err(e) => failed(&state.metrics, &mut pass, "rescore", shop_id, &e),
        }
    }
    escalate(state, &policy, now, &mut pass).await?;
    enforce(state, &policy, now, &mut pass).await?;
    match state
        .store
        .purge_idempotency_keys(now - IDEMPOTENCY_KEY_TTL_MS)
        .await
    {
        Ok(purged) => pass.idempotency_keys_purged = purged,
        Err(e) => failed(&state.metrics, &mut pass, "idempotency", 0, &e),
    }
    Ok(pass)
}

fn failed(
    metrics: &Metrics,
    pass: &mut SweepPass,
    stage: &str,
    id: i64,
    err: &dyn std::error::Error,
) {
    tracing::error!(stage, id, error = %ErrorChain(err), "sweep skipped one item; retrying next pass");
    metrics.sweep_failure(stage);
    pass.failures += 1;
}

/// Displays an error with its sources: "outer: inner: root".
struct ErrorChain<'a>(&'a dyn std::error::Error);

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(e) = source {
            write!(f, ": {e}")?;
            source = e.source();
        }
        Ok(())
    }
}

/// Takes every rung that has fallen due on every overdue hazard, given when the rungs below were
/// taken (the rule spaces them). Each rung is keyed by (hazard, step), so a replica that loses the
/// race simply finds it taken. One hazard's failure skips only that hazard.
async fn escalate(
    state: &AppState,
    policy: &ValidPolicy,
    now: i64,
    pass: &mut SweepPass,
) -> Result<(), sqlx::Error> {
    for record in state
        .store
        .hazards_to_escalate(now, RUNGS, SWEEP_BATCH)
        .await?
    {
        let taken = match state.store.steps_taken(record.id).await {
            Ok(taken) => taken,
            Err(e) => {
                failed(&state.metrics, pass, "escalate", record.id, &e);
                continue;
            }
        };
        let ladder = LadderSoFar {
            recorded_at: Timestamp(record.created_at),
            taken: taken
                .iter()
                .map(|t| (t.step.into(), Timestamp(t.taken_at)))
                .collect(),
        };
        for (step, due_at) in due_steps(&hazard_of(&record), &ladder, policy, Timestamp(now)) {
            let notice = step_notice(step, policy, &record.description_text());
            match state
                .store
                .take_step(&record, step.into(), due_at.millis(), notice, now)
                .await
            {
                Ok(taken) => pass.steps_taken += usize::from(taken),
                Err(e) => {
                    failed(&state.metrics, pass, "escalate", record.id, &e);
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Tells owners of items expiring within the policy's lead and opens a hazard for each item whose
/// recorded expiry date has passed (source `self_check`: the owner recorded the date in a
/// self-check, whose id the hazard carries). Each is keyed by (shop, item, expiry date).
async fn expire(
    state: &AppState,
    policy: &ValidPolicy,
    now: i64,
    pass: &mut SweepPass,
) -> Result<(), sqlx::Error> {
    let offset = state.settings.utc_offset_minutes;
    let today = Day::containing(Timestamp(now), offset);
    let horizon = today.plus_days(i64::from(policy.alerts.expiry_lead_days));
    for due in state
        .store
        .expiries_due(&today.to_string(), &horizon.to_string(), SWEEP_BATCH)
        .await?
    {
        let Some(item) = state.checklists.item(due.category, &due.item_id) else {
            continue; // no longer on the checklist: nothing to judge it by
        };
        let Some(expires_on) = Day::parse(&due.expires_on) else {
            continue;
        };
        let tracked = TrackedItem {
            item_id: &due.item_id,
            title: Text::new(item.title_zh.as_str(), item.title_en.as_str()),
            expires_on,
        };
        let done = match expiry_action(&tracked, today, policy) {
            None => continue,
            Some(ExpiryAction::Notify(text)) => state
                .store
                .notify_expiry(&due, text, now)
                .await
                .map(|added| pass.expiry_notices += usize::from(added)),
            Some(ExpiryAction::OpenHazard(description)) => {
                let finding = Finding {
                    source: HazardSource::SelfCheck,
                    severity: item.severity,
                    hazard_type: item.hazard_type,
                    item_id: Some(due.item_id.clone()),
                    description,
                    evidence: Vec::new(),
                    observed_at: now,
                };
                let hazard = finding.open(policy, now, offset);
                state
                    .store
                    .open_expiry_hazard(&due, &hazard, now)
                    .await
                    .map(|opened| pass.expiry_hazards += usize::from(opened.is_some()))
            }
        };
        if let Err(e) = done {
            failed(&state.metrics, pass, "expiry", due.shop_id, &e);
        }
    }
    Ok(())
}

/// Opens the cases the rules call for and closes the cases whose causes are fixed.
async fn enforce(
    state: &AppState,
    policy: &ValidPolicy,
    now: i64,
    pass: &mut SweepPass,
) -> Result<(), sqlx::Error> {
    let window_ms = i64::from(policy.enforcement.repeated_red_window_days) * 24 * 3_600_000;
    let store = &state.store;
    for shop_id in store.case_candidate_shops(now - window_ms).await? {
        match open_case_if_due(store, policy, shop_id, now - window_ms, now).await {
            Ok(opened) => pass.cases_opened += usize::from(opened),
            Err(e) => failed(&state.metrics, pass, "open_case", shop_id, &e),
        }
    }
    let closed_notice = case_notice(false);
    let system = Actor::system();
    for open in store.open_case_facts().await? {
        if !case_closes_itself(&case_facts(&open)) {
            continue;
        }
        let closing = store.close_case(open.case.id, FIXED_OUTCOME, &closed_notice, now, &system);
        match closing.await {
            Ok(closed) => pass.cases_closed += usize::from(closed.is_some()),
            Err(e) => failed(&state.metrics, pass, "close_case", open.case.id, &e),
        }
    }
    Ok(())
}

async fn open_case_if_due(
    store: &Store,
    policy: &ValidPolicy,
    shop_id: i64,
    since: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let facts = store.shop_case_facts(shop_id, since).await?;
    let Some(opening) = case_to_open(&shop_facts(&facts), policy, Timestamp(now)) else {
        return Ok(false);
    };
    let case = NewCase {
        shop_id,
        reason: opening.reason.into(),
        hazard_ids: opening.hazard_ids,
        severity_rank: severity_rank(opening.severity),
        notice: case_notice(true),
    };
    Ok(store.open_case(&case, now).await?.is_some())
}

fn shop_facts(f: &ShopCaseFacts) -> ShopFacts {
    ShopFacts {
        // A shop never scored is judged as not red: no case before its first score.
        colour: f.colour.unwrap_or(Colour::Green).into(),
        has_open_case: f.has_open_case,
        last_case_opened_at: f.last_case_opened_at.map(Timestamp),
        unresolved_hazards: f
            .unresolved_hazards
            .iter()
            .map(|h| CaseHazard {
                id: h.id,
                severity: h.severity.into(),
                referral_taken: h.referral_taken,
                in_a_case: h.in_a_case,
            })
            .collect(),
        turned_red_at: f.turned_red_at.iter().copied().map(Timestamp).collect(),
    }
}

fn case_facts(open: &OpenCaseFacts) -> CaseFacts {
    let actions: Vec<_> = open.actions.iter().map(|&k| k.into()).collect();
    CaseFacts {
        reason: open.case.reason.into(),
        hazards_resolved: open.hazards_resolved,
        summons_pending: summons_pending(&actions),
        shop_red: open.shop_red,
    }
}

async fn refresh_policy(state: &AppState) -> Result<(), AssessError> {
    if let Some(record) = state.store.current_policy().await? {
        if record.version != state.policy().version {
            state
                .policies
                .set(parse_policy(&record.version, &record.body)?);
        }
    }
    Ok(())
}

/// Counts per colour after a full rescore.
#[derive(Debug, Default, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RescoreSummary {
    pub shops: usize,
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
    /// Shops whose colour changed.
    pub colour_changes: usize,
    /// Shops that could not be rescored (logged; the sweep retries them).
    pub failed: usize,
}

/// Rescores every shop under `policy`, awaiting `progress(done, total)` after each. A shop that
/// fails is logged, counted and skipped.
pub async fn rescore_all<F, Fut>(
    store: &Store,
    policy: &ValidPolicy,
    now: i64,
    mut progress: F,
) -> Result<RescoreSummary, sqlx::Error>
where
    F: FnMut(usize, usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let ids = store.all_shop_ids().await?;
    let mut summary = RescoreSummary {
        shops: ids.len(),
        ..RescoreSummary::default()
    };
    for (i, &id) in ids.iter().enumerate() {
        match rescore(store, policy, id, now).await {
            Ok(outcome) => {
                match outcome.current.colour {
                    Colour::Green => summary.green += 1,
                    Colour::Yellow => summary.yellow += 1,
                    Colour::Red => summary.red += 1,
                }
                summary.colour_changes += usize::from(outcome.previous_colour.is_some());
            }
            Err(e) => {
                tracing::error!(shop_id = id, error = %ErrorChain(&e), "rescore failed; skipped");
                summary.failed += 1;
            }
        }
        progress(i + 1, ids.len()).await;
    }
    Ok(summary)
}

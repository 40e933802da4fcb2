//! The path back to green: concrete actions, each re-scored by the same pure function.
//!
//! Candidate actions are applied to a copy of the evidence as if done at `as_of`; a greedy search
//! takes the biggest gain each step, then drops any step the rest can do without.

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};

use crate::assess::{score_only, Scored};
use crate::colour::{Colour, PreviousCode};
use crate::evidence::{Evidence, HazardState, HazardStatus, Patrol, PatrolKind, SelfCheck};
use crate::explain::severity_names;
use crate::policy::ValidPolicy;
use crate::text::{hazard_type_words, Text};
use crate::time::Timestamp;

/// The search stops after this many steps; past it the list is long enough to act on.
pub const MAX_PATH_STEPS: usize = 12;

/// How far ahead the path looks for the day waiting turns the shop green.
pub const WAIT_HORIZON_DAYS: i64 = 5 * 365;

/// Id given to the simulated re-inspection; real patrol ids are positive.
pub const SIMULATED_PATROL_ID: i64 = -1;

/// Something the shop (with an inspector) can do.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Fix the hazard and have an inspector verify it (it closes).
    VerifyFix {
        /// The hazard.
        hazard_id: i64,
    },
    /// Submit a self-check.
    SubmitSelfCheck,
    /// Have an inspector re-inspect and find nothing (only once no hazard is left unresolved).
    CleanReinspection,
    /// Nothing more to do but keep up the self-checks on cadence until `until`, when old history has
    /// decayed enough (only when no action reaches green sooner). The last step, or followed only by
    /// a clean re-inspection on that day when the colour is held red and only one can lift it.
    Wait {
        /// The first instant (whole days from now) at which the shop is green if nothing new is found.
        until: Timestamp,
    },
}

/// One step of the path, with its effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// What to do.
    pub action: Action,
    /// The action in English.
    pub en: String,
    /// The action in Chinese.
    pub zh: String,
    /// Score after this and all earlier steps.
    pub score_after: u16,
    /// Colour after this and all earlier steps.
    pub colour_after: Colour,
    /// Score change this step brings.
    pub points_gained: i32,
}

struct Ctx<'a> {
    policy: &'a ValidPolicy,
    as_of: Timestamp,
}

impl Ctx<'_> {
    fn score(&self, evidence: &Evidence, previous: PreviousCode) -> Scored {
        score_only(evidence, self.policy, self.as_of, Some(previous))
    }

    /// The colour the service would store after a step: unchanged colours keep their start time.
    fn carry(&self, previous: PreviousCode, colour: Colour) -> PreviousCode {
        if previous.colour == colour {
            previous
        } else {
            PreviousCode {
                colour,
                since: self.as_of,
            }
        }
    }
}

/// The shortest list of actions found that turns the shop green; empty when already green. When the
/// actions alone cannot reach green (old violations only time heals), a last [`Action::Wait`] step
/// says from when the shop is green if it keeps up its self-checks and nothing new is found; only
/// past [`WAIT_HORIZON_DAYS`] does the path end short of green.
pub(crate) fn path_to_green(
    evidence: &Evidence,
    policy: &ValidPolicy,
    as_of: Timestamp,
    previous: Option<PreviousCode>,
    current: &Scored,
) -> Vec<Step> {
    if current.colour.colour == Colour::Green {
        return Vec::new();
    }
    let cx = Ctx { policy, as_of };
    let start = match previous {
        Some(p) => cx.carry(p, current.colour.colour),
        None => PreviousCode {
            colour: current.colour.colour,
            since: as_of,
        },
    };
    let mut actions = greedy(evidence, &cx, start, current);
    let reaches_green = |acts: &[Action]| {
        replay(evidence, &cx, start, current.score, acts)
            .is_some_and(|s| s.last().is_some_and(|l| l.colour_after == Colour::Green))
    };
    if reaches_green(&actions) {
        let mut i = 0;
        while i < actions.len() {
            let mut fewer = actions.clone();
            fewer.remove(i);
            if reaches_green(&fewer) {
                actions = fewer;
            } else {
                i += 1;
            }
        }
    }
    let steps = replay(evidence, &cx, start, current.score, &actions).unwrap_or_default();
    if steps
        .last()
        .is_some_and(|s| s.colour_after == Colour::Green)
    {
        return steps;
    }
    // Only time heals what is left. Waiting may need a clean re-inspection now (a held colour
    // is lifted only by one since it started) and an up-to-date self-check: try those too.
    let extras: [&[Action]; 3] = [
        &[],
        &[Action::CleanReinspection],
        &[Action::SubmitSelfCheck, Action::CleanReinspection],
    ];
    for extra in extras {
        let mut tried = actions.clone();
        tried.extend(extra.iter().filter(|a| !actions.contains(a)).cloned());
        let Some(mut with_wait) = replay(evidence, &cx, start, current.score, &tried) else {
            continue;
        };
        let score = with_wait.last().map_or(current.score, |s| s.score_after);
        if let Some(step) = wait_step(evidence, &cx, start, score, &tried) {
            with_wait.push(step);
            return with_wait;
        }
    }
    // Waiting alone can fall back into red (an old clean patrol leaves the look-back year), and a
    // red colour is left only with a clean re-inspection after it began: wait, then re-inspect.
    if let Some(tail) = wait_then_reinspect(evidence, &cx, start, &actions) {
        let mut with_wait = steps;
        with_wait.extend(tail);
        return with_wait;
    }
    steps
}

/// What "keep up the self-checks and wait" means: from `now`, a self-check every cadence, and the
/// shop rescored every day (as the sweep does) until it is green or [`WAIT_HORIZON_DAYS`] pass.
/// Answers the evidence, the colour in force and the score on the last day simulated, and that day.
pub fn wait_for_green(
    evidence: &Evidence,
    policy: &ValidPolicy,
    now: Timestamp,
    previous: PreviousCode,
) -> (Evidence, PreviousCode, u16, Timestamp) {
    let mut waited = None;
    let (ev, previous, score, day) =
        wait_days(evidence, policy, now, previous, |_, _, code, score, day| {
            waited = Some((code, score, day));
            code.colour == Colour::Green
        });
    match waited {
        Some((code, score, day)) => (ev, code, score, day),
        None => (ev, previous, score, day),
    }
}

/// Simulates waiting from `now`, as [`wait_for_green`] describes, calling `stop` after each day's
/// rescore with the evidence, the policy, the colour in force, the score and the day, until it says
/// to stop or [`WAIT_HORIZON_DAYS`] pass. Answers the state on the last day simulated.
fn wait_days(
    evidence: &Evidence,
    policy: &ValidPolicy,
    now: Timestamp,
    previous: PreviousCode,
    mut stop: impl FnMut(&mut Evidence, &ValidPolicy, PreviousCode, u16, Timestamp) -> bool,
) -> (Evidence, PreviousCode, u16, Timestamp) {
    let mut ev = evidence.clone();
    let mut previous = previous;
    let cadence = i64::from(policy.self_check_cadence_days);
    let mut score = 0;
    let mut day = now;
    for days in 1..=WAIT_HORIZON_DAYS {
        day = now.plus_days(days);
        if days % cadence == 0 {
            ev.self_checks.push(SelfCheck {
                submitted_at: day,
                passed_item_ids: Vec::new(),
                failed: 0,
                not_applicable: 0,
            });
        }
        let s = score_only(&ev, policy, day, Some(previous));
        if s.colour.colour != previous.colour {
            previous = PreviousCode {
                colour: s.colour.colour,
                since: day,
            };
        }
        score = s.score;
        if stop(&mut ev, policy, previous, score, day) {
            break;
        }
    }
    (ev, previous, score, day)
}

/// The evidence as it stood at `as_of`: waiting looks into days after it, which must not see what
/// was recorded later (the assessment stays blind to the future).
fn known_at(evidence: &Evidence, as_of: Timestamp) -> Evidence {
    let mut ev = evidence.clone();
    ev.hazards.retain(|h| h.observed_at <= as_of);
    for h in &mut ev.hazards {
        match h.state_at(as_of) {
            Some(HazardState::Open) => {
                h.status = HazardStatus::Open;
                h.closed_at = None;
                h.rectified_at = h.rectified_at.filter(|t| *t <= as_of);
            }
            Some(HazardState::AwaitingVerification { claimed_at }) => {
                h.status = HazardStatus::AwaitingVerification;
                h.closed_at = None;
                h.rectified_at = Some(claimed_at);
            }
            Some(HazardState::Closed { .. }) | None => {}
        }
    }
    ev.patrols.retain(|p| p.observed_at <= as_of);
    ev.self_checks.retain(|s| s.submitted_at <= as_of);
    ev.reviews.retain(|r| r.at <= as_of);
    ev
}

/// The last step when the actions alone do not reach green: the day waiting does.
fn wait_step(
    evidence: &Evidence,
    cx: &Ctx<'_>,
    start: PreviousCode,
    score: u16,
    actions: &[Action],
) -> Option<Step> {
    let mut ev = known_at(evidence, cx.as_of);
    let mut previous = start;
    for action in actions {
        apply(&mut ev, action, cx.as_of);
        let s = cx.score(&ev, previous);
        previous = cx.carry(previous, s.colour.colour);
    }
    // Time only heals once nothing is left to fix: an open hazard turns overdue while waiting.
    if unresolved(&ev, cx.as_of) > 0 {
        return None;
    }
    let (_, code, score_after, until) = wait_for_green(&ev, cx.policy, cx.as_of, previous);
    if code.colour != Colour::Green {
        return None;
    }
    let days = until.whole_days_since(cx.as_of);
    let cadence = cx.policy.self_check_cadence_days;
    Some(Step {
        action: Action::Wait { until },
        en: format!(
            "Keep up a self-check every {cadence} days and wait {days} days: by then old \
             violations weigh little enough for green"
        ),
        zh: format!(
            "坚持每 {cadence} 天自查一次，等待 {days} 天：届时历史违规的影响已减弱，可恢复绿码"
        ),
        score_after,
        colour_after: code.colour,
        points_gained: i32::from(score_after) - i32::from(score),
    })
}

/// The last two steps when waiting alone never turns the shop green because its colour is held red:
/// wait for the first day on which a clean re-inspection gives green, then have it.
fn wait_then_reinspect(
    evidence: &Evidence,
    cx: &Ctx<'_>,
    start: PreviousCode,
    actions: &[Action],
) -> Option<[Step; 2]> {
    let mut ev = known_at(evidence, cx.as_of);
    let mut previous = start;
    let mut score = None;
    for action in actions {
        apply(&mut ev, action, cx.as_of);
        let s = cx.score(&ev, previous);
        previous = cx.carry(previous, s.colour.colour);
        score = Some(s.score);
    }
    if unresolved(&ev, cx.as_of) > 0 {
        return None;
    }
    let score = score.unwrap_or_else(|| cx.score(&ev, previous).score);
    let mut reinspected = None;
    let (_, code, waited_score, until) = wait_days(
        &ev,
        cx.policy,
        cx.as_of,
        previous,
        |ev, policy, code, _, day| {
            let undo = apply(ev, &Action::CleanReinspection, day);
            let s = score_only(ev, policy, day, Some(code));
            undo.revert(ev);
            if s.colour.colour == Colour::Green {
                reinspected = Some(s.score);
            }
            reinspected.is_some()
        },
    );
    let after = reinspected?;
    let days = until.whole_days_since(cx.as_of);
    let cadence = cx.policy.self_check_cadence_days;
    let (en, zh) = describe(&ev, &Action::CleanReinspection, cx);
    Some([
        Step {
            action: Action::Wait { until },
            en: format!(
                "Keep up a self-check every {cadence} days and wait {days} days: by then old \
                 violations weigh little enough for a clean re-inspection to lift the colour"
            ),
            zh: format!(
                "坚持每 {cadence} 天自查一次，等待 {days} 天：届时历史违规的影响已减弱，复查通过即可恢复绿码"
            ),
            score_after: waited_score,
            colour_after: code.colour,
            points_gained: i32::from(waited_score) - i32::from(score),
        },
        Step {
            action: Action::CleanReinspection,
            en: format!("Then {}", lowercase_first(&en)),
            zh: format!("然后{zh}"),
            score_after: after,
            colour_after: Colour::Green,
            points_gained: i32::from(after) - i32::from(waited_score),
        },
    ])
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

type Key = (Colour, u16, Reverse<usize>);

/// Takes the action with the biggest gain until green. Fewer unresolved hazards counts as progress
/// when the score does not move, since a clean re-inspection needs every hazard resolved.
fn greedy(evidence: &Evidence, cx: &Ctx<'_>, start: PreviousCode, current: &Scored) -> Vec<Action> {
    let mut ev = evidence.clone();
    let mut previous = start;
    let mut key: Key = (
        current.colour.colour,
        current.score,
        Reverse(unresolved(&ev, cx.as_of)),
    );
    let mut actions = Vec::new();
    while actions.len() < MAX_PATH_STEPS && key.0 != Colour::Green {
        let mut best: Option<(Key, Action)> = None;
        for action in candidates(&ev, cx.as_of, &actions) {
            // Try in place and undo: cloning the evidence per candidate cost more than scoring it.
            let undo = apply(&mut ev, &action, cx.as_of);
            let s = cx.score(&ev, previous);
            let k = (s.colour.colour, s.score, Reverse(unresolved(&ev, cx.as_of)));
            undo.revert(&mut ev);
            // Strictly better only: on ties the earlier candidate (the fixed order) wins.
            let beats_best = !matches!(&best, Some((b, _)) if *b >= k);
            if k > key && beats_best {
                best = Some((k, action));
            }
        }
        let Some((k, action)) = best else {
            break;
        };
        apply(&mut ev, &action, cx.as_of);
        previous = cx.carry(previous, k.0);
        key = k;
        actions.push(action);
    }
    actions
}

/// Re-runs `actions` in order, scoring after each; `None` if one cannot be done at its turn.
fn replay(
    evidence: &Evidence,
    cx: &Ctx<'_>,
    start: PreviousCode,
    start_score: u16,
    actions: &[Action],
) -> Option<Vec<Step>> {
    let mut ev = evidence.clone();
    let mut previous = start;
    let mut score = start_score;
    let mut steps = Vec::with_capacity(actions.len());
    for (i, action) in actions.iter().enumerate() {
        if !candidates(&ev, cx.as_of, &actions[..i]).contains(action) {
            return None;
        }
        let (en, zh) = describe(&ev, action, cx);
        apply(&mut ev, action, cx.as_of);
        let s = cx.score(&ev, previous);
        previous = cx.carry(previous, s.colour.colour);
        steps.push(Step {
            action: action.clone(),
            en,
            zh,
            score_after: s.score,
            colour_after: s.colour.colour,
            points_gained: i32::from(s.score) - i32::from(score),
        });
        score = s.score;
    }
    Some(steps)
}

fn unresolved(ev: &Evidence, as_of: Timestamp) -> usize {
    ev.hazards
        .iter()
        .filter(|h| h.state_at(as_of).is_some_and(|s| s.is_unresolved()))
        .count()
}

/// Actions possible now, in the fixed tie-break order: overdue hazards first, most severe first.
fn candidates(ev: &Evidence, as_of: Timestamp, done: &[Action]) -> Vec<Action> {
    let mut open: Vec<_> = ev
        .hazards
        .iter()
        .filter(|h| h.state_at(as_of).is_some_and(|s| s.is_unresolved()))
        .collect();
    open.sort_by_key(|h| (h.days_overdue(as_of).is_none(), h.severity, h.id));
    let mut out: Vec<Action> = open
        .into_iter()
        .map(|h| Action::VerifyFix { hazard_id: h.id })
        .collect();
    out.dedup();
    if !done.contains(&Action::SubmitSelfCheck) {
        out.push(Action::SubmitSelfCheck);
    }
    if out.iter().all(|a| !matches!(a, Action::VerifyFix { .. }))
        && !done.contains(&Action::CleanReinspection)
    {
        out.push(Action::CleanReinspection);
    }
    out
}

/// How to take back an action tried in place.
enum Undo {
    /// Restore these hazards' status, claim and verification times.
    Hazards(Vec<(usize, HazardStatus, Option<Timestamp>, Option<Timestamp>)>),
    /// Drop the self-check just pushed.
    SelfCheck,
    /// Drop the patrol just pushed.
    Patrol,
}

impl Undo {
    fn revert(self, ev: &mut Evidence) {
        match self {
            Undo::Hazards(saved) => {
                for (i, status, rectified_at, closed_at) in saved {
                    if let Some(h) = ev.hazards.get_mut(i) {
                        h.status = status;
                        h.rectified_at = rectified_at;
                        h.closed_at = closed_at;
                    }
                }
            }
            Undo::SelfCheck => {
                ev.self_checks.pop();
            }
            Undo::Patrol => {
                ev.patrols.pop();
            }
        }
    }
}

fn apply(ev: &mut Evidence, action: &Action, as_of: Timestamp) -> Undo {
    match action {
        Action::VerifyFix { hazard_id } => {
            let mut saved = Vec::new();
            for (i, h) in ev.hazards.iter_mut().enumerate() {
                if h.id == *hazard_id {
                    saved.push((i, h.status, h.rectified_at, h.closed_at));
                    // As the service records it: a standing claim is verified; otherwise the owner
                    // claims the fix now and the inspector verifies it.
                    if h.status != HazardStatus::AwaitingVerification {
                        h.rectified_at = Some(as_of);
                    }
                    h.status = HazardStatus::Closed;
                    h.closed_at = Some(as_of);
                }
            }
            Undo::Hazards(saved)
        }
        Action::SubmitSelfCheck => {
            ev.self_checks.push(SelfCheck {
                submitted_at: as_of,
                passed_item_ids: Vec::new(),
                failed: 0,
                not_applicable: 0,
            });
            Undo::SelfCheck
        }
        Action::Wait { .. } => Undo::Hazards(Vec::new()),
        Action::CleanReinspection => {
            ev.patrols.push(Patrol {
                id: SIMULATED_PATROL_ID,
                observed_at: as_of,
                kind: PatrolKind::ProfessionalInspection,
                finding_count: 0,
            });
            Undo::Patrol
        }
    }
}

fn describe(ev: &Evidence, action: &Action, cx: &Ctx<'_>) -> (String, String) {
    match action {
        Action::VerifyFix { hazard_id } => {
            let found = ev.hazards.iter().find(|h| h.id == *hazard_id);
            let (en_sev, zh_sev) = found.map_or(("", ""), |h| severity_names(h.severity));
            let kind =
                found.map_or_else(|| Text::new("", ""), |h| hazard_type_words(&h.hazard_type));
            (
                format!(
                    "Fix {en_sev} hazard #{hazard_id} ({}) and have an inspector verify it",
                    kind.en
                ),
                format!("整改{zh_sev}隐患 #{hazard_id}（{}）并经检查员核实", kind.zh),
            )
        }
        Action::SubmitSelfCheck => {
            let cadence = f64::from(cx.policy.self_check_cadence_days);
            let last = ev
                .self_checks
                .iter()
                .filter(|s| s.submitted_at <= cx.as_of)
                .map(|s| s.submitted_at)
                .max()
                .unwrap_or(ev.registered_at);
            if cx.as_of.days_since(last) > cadence {
                (
                    "Submit the overdue self-check".to_owned(),
                    "提交逾期的安全自查".to_owned(),
                )
            } else {
                ("Submit a self-check".to_owned(), "提交安全自查".to_owned())
            }
        }
        Action::Wait { .. } => (String::new(), String::new()),
        Action::CleanReinspection => (
            "Get a re-inspection that finds no problems".to_owned(),
            "申请复查并通过（未发现问题）".to_owned(),
        ),
    }
}

//! Scoring throughput: shops assessed per second, 50 evidence events per shop, path to green
//! included (it re-scores the shop for every candidate action, so it dominates for non-green shops).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use shopcredit_scoring::*;

const SHOPS: usize = 200;
const EVENTS_PER_SHOP: usize = 50;

/// Deterministic pseudo-random numbers (64-bit LCG) so every run scores the same shops.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn shop(rng: &mut Lcg, policy: &ValidPolicy, as_of: Timestamp) -> Evidence {
    let mut e = Evidence::new(as_of.plus_days(-(rng.below(1500) as i64) - 1));
    let hour = |rng: &mut Lcg| as_of.plus_hours(-(rng.below(2 * 365 * 24) as i64));
    let items = ["exit", "gas", "extinguisher", "licence", "wiring"];
    for k in 0..EVENTS_PER_SHOP {
        // A plausible mix: few hazards, regular self-checks and patrols, mostly decent reviews.
        match rng.below(10) {
            0 => {
                let severity = Severity::ALL[rng.below(3) as usize];
                let observed_at = hour(rng);
                // Most hazards end closed; about one in ten is still open or awaiting verification.
                let status = match rng.below(20) {
                    0 => HazardStatus::Open,
                    1 => HazardStatus::AwaitingVerification,
                    _ => HazardStatus::Closed,
                };
                let fix = observed_at.plus_hours(rng.below(200) as i64);
                e.hazards.push(Hazard {
                    id: k as i64,
                    source: [
                        HazardSource::SelfCheck,
                        HazardSource::Patrol,
                        HazardSource::TipOff,
                    ][rng.below(3) as usize],
                    severity,
                    hazard_type: "fire".into(),
                    item_id: Some(items[rng.below(5) as usize].into()),
                    observed_at,
                    deadline: hazard_deadline(policy, severity, observed_at),
                    status,
                    closed_at: (status == HazardStatus::Closed).then_some(fix.plus_hours(24)),
                    rectified_at: (status != HazardStatus::Open).then_some(fix),
                    excluded: rng.below(20) == 0,
                });
            }
            1..=2 => e.patrols.push(Patrol {
                id: k as i64,
                observed_at: hour(rng),
                kind: PatrolKind::GridPatrol,
                finding_count: u32::from(rng.below(3) == 0),
            }),
            3..=5 => e.self_checks.push(SelfCheck {
                submitted_at: hour(rng),
                passed_item_ids: items.iter().map(|s| (*s).to_owned()).collect(),
                failed: 0,
                not_applicable: 1,
            }),
            _ => e.reviews.push(Review {
                rating: Rating::new(2 + rng.below(4) as u8).unwrap_or_else(|e| panic!("{e}")),
                at: hour(rng),
                counted: rng.below(10) != 0,
            }),
        }
    }
    e
}

fn bench_scoring(c: &mut Criterion) {
    let policy = Policy::default_policy().unwrap_or_else(|e| panic!("{e}"));
    let as_of = Timestamp::from_millis(1_750_000_000_000);
    let mut rng = Lcg(42);
    let shops: Vec<Evidence> = (0..SHOPS).map(|_| shop(&mut rng, &policy, as_of)).collect();
    let mut group = c.benchmark_group("assess");
    group.throughput(Throughput::Elements(SHOPS as u64));
    group.bench_function("shops_50_events", |b| {
        b.iter(|| {
            for e in &shops {
                black_box(assess(black_box(e), &policy, as_of, None));
            }
        })
    });
    // Feature extraction alone: the floor under one re-score inside the path search.
    group.bench_function("characteristics_only", |b| {
        b.iter(|| {
            for e in &shops {
                black_box(characteristics(black_box(e), &policy, as_of));
            }
        })
    });
    group.finish();
    let red = shops
        .iter()
        .filter(|e| assess(e, &policy, as_of, None).colour != Colour::Green)
        .count();
    println!("{red} of {SHOPS} benchmark shops are not green (their path to green is searched)");
    let not_green: Vec<Evidence> = shops
        .iter()
        .filter(|e| assess(e, &policy, as_of, None).colour != Colour::Green)
        .cloned()
        .collect();
    let mut group = c.benchmark_group("assess_not_green_only");
    group.throughput(Throughput::Elements(not_green.len() as u64));
    group.bench_function("shops_50_events", |b| {
        b.iter(|| {
            for e in &not_green {
                black_box(assess(black_box(e), &policy, as_of, None));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_scoring);
criterion_main!(benches);

//! Selection cost against wallet size (issue #5 performance goal): one decision for a
//! collector with two eligible passes and a recent chooser pick, in wallets of 10, 1,000
//! and 10,000 passes where all but those two belong to other collectors' issuers.
//!
//! Criterion reports each size; then the 10,000 / 1,000 ratio is measured in this one run
//! by interleaving batches of both sizes and comparing medians (goal ≤ 1.05: the decision
//! must not grow with unrelated passes). Also timed: rebuilding a 10,000-pass engine from a
//! snapshot (what a store does when it opens).
//! `cargo bench -p hce-wallet-core --bench selection`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use zeroize::Zeroizing;

use hce_wallet_core::pass::{Issuer, PassClass, PassObject, PassState, RedemptionValue};
use hce_wallet_core::ports::{
    CollectorId, PassSource, PassType, Selection, SelectionRequest, UiContext,
};
use hce_wallet_core::selection::{SelectionConfig, SelectionEngine};
use hce_wallet_core::time::Timestamp;

const TARGET: CollectorId = CollectorId(44_444_444);
const NOW: Timestamp = Timestamp(1_800_000_000_000);
/// Other redemption issuers (each with one collector) that the unrelated passes list.
const OTHER_ISSUERS: u64 = 200;

fn object(id: String, class_id: String) -> PassObject {
    PassObject {
        id,
        class_id,
        pass_type: PassType::Loyalty,
        state: PassState::Active,
        valid_time_interval: Default::default(),
        smart_tap_redemption_value: Some(
            RedemptionValue::new(Zeroizing::new("1234-5678-9012".into())).unwrap(),
        ),
        barcode: None,
        balance: None,
        user_smart_tap_disabled: false,
        display: Default::default(),
        last_terminal_update: None,
        details: Default::default(),
    }
}

fn class(id: String, redeemers: Vec<u64>) -> PassClass {
    PassClass {
        id,
        issuer_id: 1,
        pass_type: PassType::Loyalty,
        enable_smart_tap: true,
        redemption_issuers: redeemers,
        display: Default::default(),
        details: Default::default(),
    }
}

/// A wallet of `n` passes: two redeemable by [`TARGET`], the rest by other collectors.
fn wallet(n: usize) -> SelectionEngine {
    let e = SelectionEngine::default();
    e.insert_issuer(Issuer { id: 456, name: "target".into(), collector_ids: vec![TARGET] })
        .unwrap();
    for i in 0..OTHER_ISSUERS {
        let id = 1_000 + i;
        let collectors = vec![CollectorId(id as u32)];
        e.insert_issuer(Issuer { id, name: format!("other {i}"), collector_ids: collectors })
            .unwrap();
        e.insert_class(class(format!("1.other-{i}"), vec![id])).unwrap();
    }
    e.insert_class(class("1.target".into(), vec![456])).unwrap();
    e.upsert_object(object("1.mine-a".into(), "1.target".into())).unwrap();
    e.upsert_object(object("1.mine-b".into(), "1.target".into())).unwrap();
    for k in 0..n.saturating_sub(2) {
        let class = format!("1.other-{}", k as u64 % OTHER_ISSUERS);
        e.upsert_object(object(format!("1.p{k}"), class)).unwrap();
    }
    e.set_ui_context(UiContext::Home);
    e.choose("1.mine-b", NOW).unwrap();
    e
}

fn request() -> SelectionRequest {
    SelectionRequest { collector: TARGET, service_types: vec![0x03], now: NOW.plus_millis(1_000) }
}

fn decide(e: &SelectionEngine, r: &SelectionRequest) {
    match e.select(black_box(r)) {
        Selection::Send(p) => {
            black_box(p);
        }
        other => panic!("bench wallet decided {other:?}"),
    }
}

fn criterion_runs(c: &mut Criterion) {
    let mut group = c.benchmark_group("select");
    let r = request();
    for n in [10, 1_000, 10_000] {
        let e = wallet(n);
        assert_eq!(e.object_count(), n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &e, |b, e| b.iter(|| decide(e, &r)));
    }
    group.finish();

    // What a store does at open: rebuild the engine and its index from persisted data.
    let snapshot = wallet(10_000).snapshot();
    c.bench_function("rebuild_from_snapshot/10000", |b| {
        b.iter_batched(
            || snapshot.clone(),
            |s| SelectionEngine::from_snapshot(s, SelectionConfig::default()),
            criterion::BatchSize::LargeInput,
        )
    });
}

/// Median ns per decision of `batches` batches of `iters` decisions, the two wallets
/// measured alternately so machine noise hits both alike.
fn interleaved(
    a: &SelectionEngine,
    b: &SelectionEngine,
    batches: usize,
    iters: u32,
) -> (Stats, Stats) {
    let r = request();
    let mut ta = Vec::with_capacity(batches);
    let mut tb = Vec::with_capacity(batches);
    let time = |e: &SelectionEngine| {
        let start = Instant::now();
        for _ in 0..iters {
            decide(e, &r);
        }
        start.elapsed().as_nanos() as f64 / f64::from(iters)
    };
    for i in 0..batches {
        if i % 2 == 0 {
            ta.push(time(a));
            tb.push(time(b));
        } else {
            tb.push(time(b));
            ta.push(time(a));
        }
    }
    (Stats::of(ta), Stats::of(tb))
}

/// Median and minimum of per-batch figures: the median is the headline, the minimum (the
/// least-disturbed batch) shows the cost without other processes' noise on a shared box.
#[derive(Clone, Copy)]
struct Stats {
    median: f64,
    min: f64,
}

impl Stats {
    fn of(mut v: Vec<f64>) -> Stats {
        v.sort_by(f64::total_cmp);
        Stats { median: v[v.len() / 2], min: v[0] }
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    criterion_runs(&mut c);
    c.final_summary();

    let (small, k1, k10) = (wallet(10), wallet(1_000), wallet(10_000));
    interleaved(&k1, &k10, 20, 2_000); // warm-up
    let (t10, _) = interleaved(&small, &k1, 201, 2_000);
    let (t1k, t10k) = interleaved(&k1, &k10, 401, 2_000);
    println!(
        "select, ns per decision (median / min of batches): 10 passes {:.0} / {:.0}, \
         1,000 passes {:.0} / {:.0}, 10,000 passes {:.0} / {:.0}",
        t10.median, t10.min, t1k.median, t1k.min, t10k.median, t10k.min
    );
    println!(
        "ratio 10,000 / 1,000 passes: median {:.3}, min {:.3} (goal <= 1.05); \
         1,000 / 10: median {:.3}",
        t10k.median / t1k.median,
        t10k.min / t1k.min,
        t1k.median / t10.median
    );
}

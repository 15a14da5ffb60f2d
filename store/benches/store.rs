//! Store benchmarks (issue: encrypted store, "Performance").
//!
//! - `open_first_tap/N`: open a store holding N passes (page-checksum check included) and
//!   answer the first tap's questions (key lookup, could_redeem, select) for a collector
//!   with 10 candidate passes. Should not grow with N (target < 20 ms).
//! - `tap/N`: one tap's selection on a prepared snapshot.
//! - `read_one`, `write_one`: one encrypted record read / one encrypted write transaction.
//!
//! Run: `cargo bench -p hce-wallet-store --bench store`. After criterion's report, a
//! ratio table measured in the same run is printed (10,000-pass vs 1,000-pass).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use hce_wallet_core::ports::{CollectorId, IssuerKeyRing, PassSource, PassType, SelectionRequest};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::*;

const NOW: Timestamp = Timestamp(1_800_000_000_000);
const COLLECTOR: u32 = 20180608;
const ISSUER: u64 = 1;
const SIZES: [usize; 3] = [100, 1_000, 10_000];

fn root() -> RootKey {
    RootKey::from_bytes([7; 32])
}

fn class(n: usize, issuer: u64) -> (PassClassRecord, Vec<PassObjectRecord>) {
    let cid = format!("{issuer}.class{n}");
    let objects = (0..10)
        .map(|i| PassObjectRecord {
            object_id: format!("{cid}.obj{i}"),
            class_id: cid.clone(),
            state: ObjectState::Active,
            redemption_value: Some(SecretString::new(format!("VALUE-{n}-{i}"))),
            valid_from: None,
            valid_until: None,
            smart_tap_disabled: false,
            last_push: None,
            display: Some("{\"cardTitle\":\"A loyalty card of typical size\"}".into()),
            model: None,
        })
        .collect();
    let c = PassClassRecord {
        class_id: cid,
        issuer_id: issuer,
        pass_type: PassType::Loyalty,
        smart_tap_enabled: true,
        redemption_issuers: vec![issuer],
        display: Some("{\"programName\":\"Bench\"}".into()),
        objects: Vec::new(),
        model: None,
    };
    (c, objects)
}

/// A store with `n` passes: 10 for the tapped collector's issuer, the rest spread over
/// other issuers (10 per class, one issuer per 10 classes).
fn build(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join(format!("bench-{n}.redb"));
    let store = Store::open(&path, &root()).unwrap();
    let sk = p256::SecretKey::from_slice(&[3; 32]).unwrap();
    store
        .apply_key_bundle(&[IssuerKeys {
            issuer_id: ISSUER,
            name: "bench".into(),
            collectors: vec![COLLECTOR],
            keys: vec![CollectorKeyRecord {
                collector: COLLECTOR,
                key_version: 1,
                issuer_id: ISSUER,
                public_key_sec1: sk.public_key().to_sec1_bytes().to_vec(),
                valid_from: None,
                valid_until: None,
            }],
        }])
        .unwrap();
    let classes: Vec<_> = (0..n / 10)
        .map(|k| if k == 0 { class(k, ISSUER) } else { class(k, 100 + (k / 10) as u64) })
        .collect();
    for chunk in classes.chunks(100) {
        store.import_many(chunk).unwrap();
    }
    assert_eq!(store.pass_count().unwrap() as usize, n);
    path
}

fn first_tap(store: &Store) {
    let req =
        SelectionRequest { collector: CollectorId(COLLECTOR), service_types: vec![0], now: NOW };
    assert!(store.collector_key(CollectorId(COLLECTOR), 1, NOW).is_some());
    assert!(store.could_redeem(CollectorId(COLLECTOR), NOW));
    black_box(store.select(&req));
}

fn open_and_tap(path: &Path) {
    let store = Store::open(path, &root()).unwrap();
    first_tap(&store);
}

/// The same without redb's whole-file checksum pass on open.
fn open_and_tap_unchecked(path: &Path) {
    let opts = StoreOptions { integrity_check: IntegrityCheck::Never, ..Default::default() };
    let store = Store::open_with(path, &root(), opts).unwrap();
    first_tap(&store);
}

fn median(mut f: impl FnMut(), runs: usize) -> Duration {
    let mut v: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[runs / 2]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<(usize, PathBuf)> = SIZES.iter().map(|&n| (n, build(dir.path(), n))).collect();
    let mut c = Criterion::default().configure_from_args();

    let mut g = c.benchmark_group("open_first_tap");
    for (n, p) in &paths {
        g.bench_with_input(BenchmarkId::from_parameter(n), p, |b, p| b.iter(|| open_and_tap(p)));
    }
    g.finish();

    let mut g = c.benchmark_group("tap");
    for (n, p) in &paths {
        let store = Store::open(p, &root()).unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(n), &store, |b, s| b.iter(|| first_tap(s)));
    }
    g.finish();

    let (_, p1k) = &paths[1];
    let store = Store::open(p1k, &root()).unwrap();
    c.bench_function("read_one", |b| {
        b.iter(|| black_box(store.pass("105.class50.obj3").unwrap().unwrap()))
    });
    let mut i = 0u64;
    c.bench_function("write_one", |b| {
        b.iter(|| {
            i += 1;
            store.set_setting("bench", &i.to_string()).unwrap()
        })
    });
    drop(store);
    c.final_summary();

    // Ratios measured in this run (medians of 21 each).
    let t: Vec<Duration> = paths.iter().map(|(_, p)| median(|| open_and_tap(p), 21)).collect();
    let unchecked: Vec<Duration> =
        paths.iter().map(|(_, p)| median(|| open_and_tap_unchecked(p), 21)).collect();
    let taps: Vec<Duration> = paths
        .iter()
        .map(|(_, p)| {
            let s = Store::open(p, &root()).unwrap();
            median(|| first_tap(&s), 201)
        })
        .collect();
    println!("\nstore ratios (medians, this run):");
    for (k, (n, _)) in paths.iter().enumerate() {
        let size = std::fs::metadata(&paths[k].1).map(|m| m.len()).unwrap_or(0);
        println!(
            "  {n:>6} passes ({size} bytes): open+first tap {:?} (without page check {:?}), \
             tap {:?}",
            t[k], unchecked[k], taps[k]
        );
    }
    let r = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!("  open+first tap 10k/1k = {:.3}, 10k/100 = {:.3}", r(t[2], t[1]), r(t[2], t[0]));
    println!("  tap 10k/1k = {:.3} (target <= 1.05)", r(taps[2], taps[1]));
}

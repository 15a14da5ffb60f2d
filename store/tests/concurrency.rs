//! A tap thread reading snapshots while another thread imports 10,000 passes and applies
//! key bundles: no deadlock, no torn reads (issue: encrypted store, "Concurrency").

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use common::*;
use hce_wallet_core::ports::{CollectorId, Selection, SelectionRequest};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::Store;

const NOW: Timestamp = Timestamp(1_800_000_000_000);
const BULK_ISSUER: u64 = 1000;
const BULK_COLLECTOR: u32 = 5000;
const ROTATING_COLLECTOR: u32 = 6000;

#[test]
fn taps_during_bulk_import_and_key_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("c.redb"), &key(1)).unwrap());
    store
        .apply_key_bundle(&[
            issuer_keys(ISSUER, COLLECTOR, &[1], 1),
            issuer_keys(BULK_ISSUER, BULK_COLLECTOR, &[1], 2),
            issuer_keys(77, ROTATING_COLLECTOR, &[1, 2], 3),
        ])
        .unwrap();
    let (c, o) = batch(0, 1, ISSUER);
    store.import_class(&c, &o).unwrap();
    let done = Arc::new(AtomicBool::new(false));

    let tap = {
        let (store, done) = (store.clone(), done.clone());
        std::thread::spawn(move || {
            let (mut taps, mut worst, mut last_bulk) = (0u64, Duration::ZERO, 0usize);
            let req = SelectionRequest {
                collector: CollectorId(COLLECTOR),
                service_types: vec![0],
                now: NOW,
            };
            while !done.load(Ordering::SeqCst) {
                let t0 = Instant::now();
                let snap = store.prepare_tap();
                // The fixed pass is always there, with its value.
                match snap.select(&req) {
                    Selection::Send(p) => assert_eq!(&*p.redemption_value, "v0.0"),
                    other => panic!("torn read: {other:?}"),
                }
                worst = worst.max(t0.elapsed());
                // Bulk imports land 100 objects per transaction for this issuer's classes.
                let n = snap.candidates(CollectorId(BULK_COLLECTOR)).len();
                assert_eq!(n % 100, 0, "half a transaction visible");
                assert!(n >= last_bulk, "snapshot went back in time");
                last_bulk = n;
                // Key bundles switch {1,2} <-> {3,4} as a whole.
                let has = |v| snap.collector_key(CollectorId(ROTATING_COLLECTOR), v, NOW).is_some();
                let (a, b, c, d) = (has(1), has(2), has(3), has(4));
                assert!((a && b && !c && !d) || (!a && !b && c && d), "torn key bundle");
                taps += 1;
            }
            (taps, worst)
        })
    };

    let (tx, rx) = mpsc::channel();
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            let t0 = Instant::now();
            for k in 0..100 {
                // 10 classes x 10 objects = 100 passes per transaction; every 4th class
                // transaction belongs to the bulk issuer.
                let issuer = if k % 4 == 0 { BULK_ISSUER } else { 2000 + k as u64 };
                let batch_k: Vec<_> = (0..10).map(|j| batch(k * 10 + j + 1, 10, issuer)).collect();
                store.import_many(&batch_k).unwrap();
                if k % 10 == 5 {
                    let versions: &[u32] = if (k / 10) % 2 == 0 { &[3, 4] } else { &[1, 2] };
                    store
                        .apply_key_bundle(&[issuer_keys(77, ROTATING_COLLECTOR, versions, 3)])
                        .unwrap();
                }
            }
            tx.send(t0.elapsed()).unwrap();
        })
    };
    let import_time =
        rx.recv_timeout(Duration::from_secs(600)).expect("writer deadlocked or too slow");
    writer.join().unwrap();
    done.store(true, Ordering::SeqCst);
    let (taps, worst) = tap.join().unwrap();
    assert_eq!(store.pass_count().unwrap(), 10_001);
    assert!(taps > 0);
    println!(
        "concurrency: 10,000 passes imported in {import_time:?} while {taps} taps ran; \
         slowest tap selection {worst:?}"
    );
}

//! Key bundle and sync benchmarks (issue #7).
//!
//! - `verify+apply 10k`: verify a signed bundle of 10,000 issuers (one collector, one key
//!   each) against a pinned root and apply it to a key ring (target < 50 ms);
//! - its parts: envelope + signature + payload decode, and the apply alone;
//! - `304 path`: trigger, poll, and handle a 304 response in the sync engine (target
//!   < 1 ms of compute; the round trip itself is the network's);
//! - a key ring lookup as NEGOTIATE does it.
//!
//! Run: `cargo bench -p hce-wallet-core --bench bundle`. After criterion's report a
//! summary prints each figure next to its target, measured in the same run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use hce_wallet_core::key_bundle::{
    decode_payload, encode_payload, sign, verify, CollectorEntry, IssuerEntry, KeyBundle, KeyEntry,
    Limits, PinnedRoots,
};
use hce_wallet_core::key_ring::{KeyRing, SharedKeyRing};
use hce_wallet_core::ports::{CollectorId, IssuerKeyRing, RandomSource};
use hce_wallet_core::sync::{HttpResponse, Poll, SyncConfig, SyncEngine, SyncState, Trigger};
use hce_wallet_core::time::Timestamp;
use p256::ecdsa::SigningKey;
use p256::PublicKey;
use sha2::{Digest, Sha256};

const ISSUERS: usize = 10_000;
const NOW: Timestamp = Timestamp(1_800_000_000_000);

fn root() -> SigningKey {
    SigningKey::from_slice(&Sha256::digest(b"bench operator root")).unwrap()
}

/// 10,000 distinct public keys: successive multiples of a base point (cheap to make).
fn big_bundle(sequence: u64) -> KeyBundle {
    let base = PublicKey::from(root().verifying_key()).to_projective();
    let mut point = base;
    let issuers = (0..ISSUERS)
        .map(|i| {
            point += base;
            IssuerEntry {
                issuer_id: 3_000_000_000_000_000_000 + i as u64,
                collectors: vec![CollectorEntry {
                    collector_id: CollectorId(10_000_000 + i as u32),
                    keys: vec![KeyEntry {
                        version: 1,
                        public_key: PublicKey::from_affine(point.to_affine()).unwrap(),
                        not_before: NOW.plus_millis(-86_400_000),
                        not_after: NOW.plus_millis(365 * 86_400_000),
                    }],
                }],
            }
        })
        .collect();
    KeyBundle {
        sequence,
        issued_at: NOW.plus_millis(-3_600_000),
        expires_at: NOW.plus_millis(30 * 86_400_000),
        issuers,
    }
}

struct Zeros;
impl RandomSource for Zeros {
    fn fill(&mut self, buf: &mut [u8]) {
        buf.fill(0);
    }
}

fn engine_after_success(bytes: &[u8], ring: &SharedKeyRing) -> SyncEngine {
    let roots = PinnedRoots::new([PublicKey::from(root().verifying_key())]);
    let mut engine =
        SyncEngine::new(SyncConfig::new("https://keys.example/b"), roots, SyncState::default());
    let Poll::Fetch(_) = engine.poll(NOW) else { panic!("first poll fetches") };
    let response = HttpResponse {
        status: 200,
        headers: vec![("etag".into(), "\"5f1a-10a2c3\"".into())],
        body: bytes.to_vec(),
    };
    engine.on_response(Ok(response), ring, &mut Zeros, NOW);
    engine
}

fn not_modified_round(engine: &mut SyncEngine, ring: &SharedKeyRing) {
    engine.trigger(Trigger::Manual);
    let Poll::Fetch(request) = engine.poll(NOW) else { panic!("manual fetches") };
    black_box(&request);
    let response = HttpResponse {
        status: 304,
        headers: vec![
            ("etag".into(), "\"5f1a-10a2c3\"".into()),
            ("cache-control".into(), "max-age=3600".into()),
        ],
        body: Vec::new(),
    };
    black_box(engine.on_response(Ok(response), ring, &mut Zeros, NOW));
}

/// (fastest, median) of `runs` timed calls: on a shared machine the fastest run is the
/// best estimate of the compute cost, the median shows what contention adds.
fn time_of(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[0], times[runs / 2])
}

fn main() {
    let bundle = big_bundle(2);
    let bytes = sign(&bundle, &root()).unwrap();
    let roots = PinnedRoots::new([PublicKey::from(root().verifying_key())]);
    let limits = Limits::default();
    let payload = encode_payload(&bundle).unwrap();
    let verified = verify(&bytes, &roots, &limits).unwrap();
    let mut previous = KeyRing::new();
    previous
        .apply(&verify(&sign(&big_bundle(1), &root()).unwrap(), &roots, &limits).unwrap(), NOW)
        .unwrap();
    let ring = SharedKeyRing::default();
    let mut engine = engine_after_success(&bytes, &ring);
    let applied = ring.snapshot();

    let mut c = Criterion::default().configure_from_args().sample_size(20);
    if std::env::var_os("BUNDLE_BENCH_SUMMARY_ONLY").is_some() {
        c = c
            .sample_size(10)
            .measurement_time(Duration::from_millis(100))
            .warm_up_time(Duration::from_millis(10));
    }
    c.bench_function("bundle/verify+apply 10k issuers", |b| {
        b.iter_batched(
            || previous.clone(),
            |mut r| {
                let v = verify(black_box(&bytes), &roots, &limits).unwrap();
                r.apply(&v, NOW).unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    c.bench_function("bundle/verify only 10k issuers", |b| {
        b.iter(|| verify(black_box(&bytes), &roots, &limits).unwrap())
    });
    c.bench_function("bundle/apply only 10k issuers", |b| {
        b.iter_batched(
            || previous.clone(),
            |mut r| r.apply(&verified, NOW).unwrap(),
            BatchSize::LargeInput,
        )
    });
    c.bench_function("sync/304 path", |b| b.iter(|| not_modified_round(&mut engine, &ring)));
    c.bench_function("key_ring/lookup in 10k", |b| {
        b.iter(|| applied.collector_key(black_box(CollectorId(10_005_000)), 1, NOW))
    });
    c.final_summary();

    // One-run summary against the issue's targets.
    let full = time_of(15, || {
        let mut r = previous.clone();
        let v = verify(&bytes, &roots, &limits).unwrap();
        black_box(r.apply(&v, NOW).unwrap());
    });
    let decode = time_of(15, || {
        black_box(decode_payload(&payload, &limits).unwrap());
    });
    let apply = time_of(15, || {
        let mut r = previous.clone();
        black_box(r.apply(&verified, NOW).unwrap());
    });
    let not_modified = time_of(1001, || not_modified_round(&mut engine, &ring));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!();
    println!(
        "summary ({} bytes, {} keys; fastest / median of the runs):",
        bytes.len(),
        bundle.key_count()
    );
    println!(
        "  verify+apply 10k issuers: {:>8.3} / {:>8.3} ms   target < 50 ms   ({:.1}x under)",
        ms(full.0),
        ms(full.1),
        50.0 / ms(full.0)
    );
    println!(
        "    of which payload decode: {:>8.3} / {:>8.3} ms, apply: {:>8.3} / {:>8.3} ms",
        ms(decode.0),
        ms(decode.1),
        ms(apply.0),
        ms(apply.1)
    );
    println!(
        "  304 path compute:         {:>8.3} / {:>8.3} us   target < 1 ms    ({:.0}x under)",
        ms(not_modified.0) * 1e3,
        ms(not_modified.1) * 1e3,
        1.0 / ms(not_modified.0)
    );
}

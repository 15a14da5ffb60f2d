//! Issuer NFC pass taps over the encrypted store (issue 15).
//!
//! - `door_tap/N`: a whole door-key tap with N NFC passes in the store — SELECT (the store
//!   decrypts and validates every pass to resolve the AID: linear in N, measured 13 µs at 1
//!   pass, 0.76 ms at 64 on the CI machine), GET CHALLENGE, EXTERNAL
//!   AUTHENTICATE, SELECT FILE, READ BINARY, deactivation. The pass count is capped at 64
//!   ([`hce_wallet_store::nfc_passes::MAX_NFC_PASSES`]); the goal is a tap well inside
//!   Android's ~300 ms budget at that cap.
//! - `reader_write`: one UPDATE BINARY, durable (one redb write transaction) before `9000`.
//!
//! Run: `cargo bench -p hce-wallet-store --bench nfc_tap`. After criterion's report, the
//! 64-pass / 1-pass tap ratio measured in the same run is printed.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use hce_wallet_core::nfc_pass::applet::{NfcPassApplet, NfcPassPorts};
use hce_wallet_core::nfc_pass::auth::{self, ID_ICC};
use hce_wallet_core::nfc_pass::model::{
    Access, Aid, KeyAlgorithm, KeyNumber, NfcFile, NfcKey, NfcPass, PassId,
};
use hce_wallet_core::ports::{NoEvents, RandomSource};
use hce_wallet_core::router::{Deactivation, Router};
use hce_wallet_store::{RootKey, Store};

const KEY: [u8; 16] = [0x2B; 16];

struct Zeros;
impl RandomSource for Zeros {
    fn fill(&mut self, buf: &mut [u8]) {
        buf.fill(0);
    }
}

fn pass(i: usize) -> NfcPass {
    let k = KeyNumber::new(1).unwrap();
    let files = vec![
        NfcFile::new(0x0101, 32, b"credential", Access::Key(k), Access::Never, "cred").unwrap(),
        NfcFile::new(0x0102, 4, &[], Access::Always, Access::Key(k), "counter").unwrap(),
        NfcFile::new(0x0103, 64, b"label", Access::Always, Access::Never, "label").unwrap(),
    ];
    let keys = vec![NfcKey::new(1, KeyAlgorithm::Aes128, &KEY, 5).unwrap()];
    let aid = [0xF0, 0x42, 0x45, 0x4E, 0x43, (i >> 8) as u8, i as u8];
    NfcPass::new(
        PassId::new(format!("pass-{i}")).unwrap(),
        "Org",
        Aid::new(&aid).unwrap(),
        files,
        keys,
    )
    .unwrap()
}

fn card(n: usize, dir: &tempfile::TempDir) -> Router {
    static FILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let file = FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let store = Arc::new(
        Store::open(dir.path().join(format!("nfc-{n}-{file}.redb")), &RootKey::from_bytes([7; 32]))
            .unwrap(),
    );
    for i in 0..n {
        store.put_nfc_pass(&pass(i)).unwrap();
    }
    let mut r = Router::new();
    r.register(Box::new(NfcPassApplet::new(NfcPassPorts {
        source: store.clone(),
        journal: store,
        events: Arc::new(NoEvents),
        random: Box::new(Zeros),
    })));
    r
}

fn tap(r: &mut Router, external: &[u8]) {
    let ok = |out: Vec<u8>| assert!(out.ends_with(&[0x90, 0x00]), "{out:02X?}");
    ok(r.process(&[0x00, 0xA4, 0x04, 0x0C, 0x07, 0xF0, 0x42, 0x45, 0x4E, 0x43, 0x00, 0x00]));
    ok(r.process(&[0x00, 0x84, 0x00, 0x00, 0x08]));
    ok(r.process(external));
    ok(r.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x01]));
    ok(black_box(r.process(&[0x00, 0xB0, 0x00, 0x00, 0x00])));
    r.deactivate(Deactivation::LinkLoss);
}

fn external() -> Vec<u8> {
    let key = NfcKey::new(1, KeyAlgorithm::Aes128, &KEY, 5).unwrap();
    [&[0x00, 0x82, 0x00, 0x01, 0x10][..], &auth::token(&key, &[0; 8], &ID_ICC)].concat()
}

fn mean(f: &mut dyn FnMut(), runs: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..runs {
        f();
    }
    start.elapsed() / runs
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let ext = external();
    let mut c = Criterion::default()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(300))
        .configure_from_args();
    let mut group = c.benchmark_group("door_tap");
    for n in [1, 8, 64] {
        let mut r = card(n, &dir);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| tap(&mut r, &ext))
        });
    }
    group.finish();
    let mut r = card(1, &dir);
    c.bench_function("reader_write", |b| {
        r.process(&[0x00, 0xA4, 0x04, 0x0C, 0x07, 0xF0, 0x42, 0x45, 0x4E, 0x43, 0x00, 0x00]);
        r.process(&[0x00, 0x84, 0x00, 0x00, 0x08]);
        r.process(&ext);
        r.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x02]);
        b.iter(|| {
            let out = r.process(&[0x00, 0xD6, 0x00, 0x00, 0x02, 0x01, 0x02]);
            assert_eq!(out, [0x90, 0x00]);
        })
    });
    c.final_summary();
    let (mut one, mut many) = (card(1, &dir), card(64, &dir));
    let t1 = mean(&mut || tap(&mut one, &ext), 50);
    let t64 = mean(&mut || tap(&mut many, &ext), 50);
    println!(
        "nfc door tap: 1 pass {t1:?}, 64 passes {t64:?}, ratio {:.1}",
        t64.as_secs_f64() / t1.as_secs_f64()
    );
}

//! Payment tap latency with the store's durable journal vs the core's in-memory one, in
//! one run (issue #14, "Bench"): the same `PaymentApplet` behind a router answers PPSE →
//! SELECT AID → GPO (the ATC committed before the answer: one redb write with fsync for
//! the store, a mutex for memory) → READ RECORD → deactivation.
//!
//! Run: `cargo bench -p hce-wallet-store --bench pay_tap`. After criterion's report, the
//! medians of both measured in the same run and their ratio are printed.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use hce_wallet_core::events::WalletEvent;
use hce_wallet_core::payment::applet::{PaymentApplet, PaymentConfig, PaymentPorts};
use hce_wallet_core::payment::cryptogram::GenericProfile;
use hce_wallet_core::payment::memory::InMemoryTokens;
use hce_wallet_core::payment::ports::{PaymentJournal, TokenSource};
use hce_wallet_core::payment::sample::{sample_keys, sample_token};
use hce_wallet_core::ports::{Clock, EventSink};
use hce_wallet_core::router::{Deactivation, Router};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::{RootKey, Store};

const NOW: Timestamp = Timestamp(1_795_348_800_000);
const PPSE: &str = "00A404000E325041592E5359532E444446303100";
const SELECT: &str = "00A4040008A00000033301010200";
const GPO: &str = concat!(
    "80A8000023",
    "8321",
    "36004000",
    "000000001000",
    "000000000000",
    "0156",
    "0000000000",
    "0156",
    "261122",
    "00",
    "12345678",
    "00"
);
const READ: &str = "00B2010C00";
/// Taps one token can serve (the ATC ends at FFFF); a fresh setup is made before it runs out.
const TAPS_PER_TOKEN: u32 = 60_000;

struct Fixed;
impl Clock for Fixed {
    fn now(&self) -> Timestamp {
        NOW
    }
}

struct Quiet;
impl EventSink for Quiet {
    fn emit(&self, _event: WalletEvent) {}
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn router(tokens: Arc<dyn TokenSource>, journal: Arc<dyn PaymentJournal>) -> Router {
    let mut applet = PaymentApplet::new(
        PaymentConfig::default(),
        PaymentPorts {
            tokens,
            journal,
            events: Arc::new(Quiet),
            clock: Arc::new(Fixed),
            engine: Arc::new(GenericProfile),
        },
    )
    .unwrap();
    applet.prepare();
    let mut r = Router::new();
    r.register(Box::new(applet));
    r
}

fn keys() -> Vec<hce_wallet_core::payment::token::LimitedUseKey> {
    sample_keys(0, 1, u32::MAX, NOW)
}

/// A router over a fresh store (in `dir`) holding one Active token.
fn store_router(dir: &std::path::Path, n: usize) -> (Router, Arc<Store>) {
    let store = Arc::new(
        Store::open(dir.join(format!("pay{n}.redb")), &RootKey::from_bytes([5; 32])).unwrap(),
    );
    store.provision_token(&sample_token(0), &keys(), true, NOW).unwrap();
    (router(store.clone(), store.clone()), store)
}

fn memory_router() -> Router {
    let mem = Arc::new(InMemoryTokens::new(Arc::new(Quiet)));
    mem.provision(sample_token(0), keys(), true, NOW).unwrap();
    router(mem.clone(), mem)
}

struct Tap {
    ppse: Vec<u8>,
    select: Vec<u8>,
    gpo: Vec<u8>,
    read: Vec<u8>,
}

impl Tap {
    fn new() -> Tap {
        Tap { ppse: hex(PPSE), select: hex(SELECT), gpo: hex(GPO), read: hex(READ) }
    }
    fn run(&self, r: &mut Router) {
        for apdu in [&self.ppse, &self.select, &self.gpo, &self.read] {
            let out = r.process(apdu);
            assert_eq!(&out[out.len() - 2..], &[0x90, 0x00], "APDU {apdu:02X?}");
            black_box(out);
        }
        r.deactivate(Deactivation::LinkLoss);
    }
}

/// A router that renews itself before its token's ATC runs out.
struct Renewing<F: FnMut() -> Router> {
    make: F,
    router: Router,
    taps: u32,
}
impl<F: FnMut() -> Router> Renewing<F> {
    fn new(mut make: F) -> Self {
        let router = make();
        Renewing { make, router, taps: 0 }
    }
    fn router(&mut self) -> &mut Router {
        if self.taps >= TAPS_PER_TOKEN {
            self.router = (self.make)();
            self.taps = 0;
        }
        self.taps += 1;
        &mut self.router
    }
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
    let tap = Tap::new();
    let mut n = 0usize;
    let mut durable = Renewing::new(|| {
        n += 1;
        store_router(dir.path(), n).0
    });
    let mut memory = Renewing::new(memory_router);

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("pay_tap");
    g.bench_function("durable_store_journal", |b| b.iter(|| tap.run(durable.router())));
    g.bench_function("in_memory_journal", |b| b.iter(|| tap.run(memory.router())));
    g.finish();
    c.final_summary();

    let d = median(|| tap.run(durable.router()), 201);
    let m = median(|| tap.run(memory.router()), 201);
    println!(
        "pay tap (PPSE, SELECT, GPO, READ RECORD), medians of 201 in this run: durable store \
         journal {d:?}, in-memory journal {m:?}, ratio {:.1}x",
        d.as_secs_f64() / m.as_secs_f64().max(1e-9)
    );
}

//! Handset compute of an EMV payment tap (payment spec §17 item 9, issue's performance
//! goals) against its floor measured in the same run: one TDES session-key derivation,
//! one retail MAC over the §9.4 input, and one commit to an in-memory journal — the work
//! no implementation of the generic profile can skip.
//!
//! Measured: the GPO alone (the applet selected, as inside a tap: PDOL split, key budget,
//! CDCVM, ATC, cryptogram, commit, answer), the whole PPSE → SELECT → GPO → READ RECORD
//! tap, and the same tap with GENERATE AC. After criterion's report the binary measures
//! floor, GPO and taps again, interleaved round by round, and prints the ratios (goals:
//! tap ≤ 1.5 × floor, GPO < 0.3 ms). Nothing timing-related is asserted anywhere.
//! Run: `cargo bench -p hce-wallet-core --bench payment`.
//!
//! The journal and token source here are bench-local in-memory ports (a mutex-guarded map,
//! a bounded log), so that the ATC can roll over after 65,535 taps without a spent token;
//! they do what the core's in-memory ports do on the tap path.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use hce_wallet_core::payment::applet::{PaymentApplet, PaymentConfig, PaymentPorts};
use hce_wallet_core::payment::cryptogram::{retail_mac, GenericProfile};
use hce_wallet_core::payment::ports::{
    CdcvmMethod, CurrentKey, JournalError, PaymentJournal, TapToken, TokenSource, Verification,
};
use hce_wallet_core::payment::profile::ProfileSettings;
use hce_wallet_core::payment::token::*;
use hce_wallet_core::ports::{FixedClock, NoEvents};
use hce_wallet_core::router::Router;
use hce_wallet_core::time::Timestamp;
use hex_literal::hex;
use zeroize::Zeroizing;

const NOW: Timestamp = Timestamp(1_795_000_000_000);
const LUK: [u8; 16] = hex!("0123456789ABCDEFFEDCBA9876543210");
const PPSE: &[u8] = &hex!("00A404000E325041592E5359532E444446303100");
const SELECT: &[u8] = &hex!("00A4040008A00000033301010200");
const GPO: &[u8] =
    &hex!("80A8000023832136004000000000001000000000000000015600000000000156261122001234567800");
const READ_RECORD: &[u8] = &hex!("00B2010C00");
const GENERATE_AC: &[u8] =
    &hex!("80AE80001D000000001000000000000000015600000000000156261122001234567800");
/// The §9.4 MAC input of vector 1 (what the floor MACs).
const MAC_INPUT: [u8; 34] =
    hex!("00000000100000000000000001560000000000015626112200123456780000000180");

struct Tokens(TapToken, LimitedUseKey);

impl TokenSource for Tokens {
    fn offered(&self, _now: Timestamp) -> Vec<TapToken> {
        vec![self.0.clone()]
    }
    fn token(&self, id: &TokenId) -> Option<TapToken> {
        (id == &self.0.token.id).then(|| self.0.clone())
    }
    fn current_key(&self, _id: &TokenId, _now: Timestamp) -> CurrentKey {
        CurrentKey {
            key: Some(self.1.clone()),
            budget: KeyBudget::Available { transactions_left: 100, low: false },
        }
    }
    fn verification(&self, _now: Timestamp) -> Verification {
        Verification { until: Some(NOW.plus_millis(60_000)), method: Some(CdcvmMethod::Biometric) }
    }
}

/// Last ATC and a bounded log per token; rolls the ATC over near `FFFF` (bench only).
#[derive(Default)]
struct Journal(Mutex<HashMap<TokenId, (Atc, Vec<TransactionLogEntry>)>>);

impl PaymentJournal for Journal {
    fn last_atc(&self, id: &TokenId) -> Result<Atc, JournalError> {
        Ok(self.0.lock().unwrap().get(id).map_or(Atc(0), |s| s.0))
    }
    fn commit(&self, id: &TokenId, entry: &TransactionLogEntry) -> Result<(), JournalError> {
        let mut map = self.0.lock().unwrap();
        let slot = map.entry(id.clone()).or_default();
        if Some(entry.atc) != slot.0.next() {
            return Err(JournalError::AtcNotNext { offered: entry.atc.0, last: slot.0 .0 });
        }
        slot.0 = if entry.atc.0 >= 0xFFF0 { Atc(0) } else { entry.atc };
        if slot.1.len() >= 64 {
            slot.1.clear();
        }
        slot.1.push(entry.clone());
        Ok(())
    }
    fn record_cryptogram(
        &self,
        _: &TokenId,
        _: Atc,
        _: [u8; 8],
        _: u8,
    ) -> Result<(), JournalError> {
        Ok(())
    }
}

struct Fixture {
    tokens: Arc<Tokens>,
    journal: Arc<Journal>,
    entry: TransactionLogEntry,
}

fn fixture() -> Fixture {
    // The spec's fixture token (§6.1–6.4).
    let token = hce_wallet_core::payment::sample::sample_token(0);
    let key = LimitedUseKey {
        key: Zeroizing::new(LUK),
        key_index: [0, 1, 0, 0],
        issued_at: NOW,
        thresholds: KeyThresholds {
            max_transactions: 100,
            lifetime_secs: 86_400,
            max_cumulative_amount: u64::MAX,
        },
    };
    let entry = TransactionLogEntry {
        atc: Atc(1),
        key_index: key.key_index,
        unpredictable_number: hex!("12345678"),
        amount: 1000,
        currency: 156,
        date: hex!("261122"),
        transaction_type: 0,
        cdcvm: true,
        cryptogram: None,
        at: NOW,
    };
    let tokens =
        Arc::new(Tokens(TapToken { token, state: TokenState::Active, is_default: true }, key));
    Fixture { tokens, journal: Arc::new(Journal::default()), entry }
}

fn router(f: &Fixture, generate_ac: bool) -> Router {
    let config = PaymentConfig {
        profile: ProfileSettings { offer_generate_ac: generate_ac, ..Default::default() },
        ..Default::default()
    };
    let ports = PaymentPorts {
        tokens: f.tokens.clone(),
        journal: f.journal.clone(),
        events: Arc::new(NoEvents),
        clock: Arc::new(FixedClock(NOW)),
        engine: Arc::new(GenericProfile),
    };
    let mut applet = PaymentApplet::new(config, ports).unwrap();
    applet.prepare(); // card profiles are built before the tap (§17 item 9)
    let mut r = Router::new();
    r.register(Box::new(applet));
    r
}

/// The floor: one CSK, one retail MAC, one journal commit (of the next ATC).
fn floor(f: &Fixture, id: &TokenId) -> u8 {
    let last = f.journal.last_atc(id).unwrap();
    let atc = last.next().unwrap();
    let sk = GenericProfile::session_key(&LUK, atc);
    let ac = retail_mac(&sk, &MAC_INPUT);
    let mut entry = f.entry.clone();
    entry.atc = atc;
    entry.cryptogram = Some((ac, 0x80));
    f.journal.commit(id, &entry).unwrap();
    ac[0]
}

fn selected(f: &Fixture) -> Router {
    let mut r = router(f, false);
    r.process(PPSE);
    r.process(SELECT);
    r
}

fn gpo(r: &mut Router) -> usize {
    let out = r.process(GPO);
    debug_assert_eq!(&out[out.len() - 2..], &[0x90, 0x00]);
    out.len()
}

fn tap(r: &mut Router, generate_ac: bool) -> usize {
    let mut n = r.process(PPSE).len();
    n += r.process(SELECT).len();
    n += r.process(GPO).len();
    n += r.process(READ_RECORD).len();
    if generate_ac {
        n += r.process(GENERATE_AC).len();
    }
    n
}

fn benches(c: &mut Criterion, f: &Fixture) {
    let id = f.tokens.0.token.id.clone();
    let mut group = c.benchmark_group("payment");
    group.sample_size(30).measurement_time(Duration::from_secs(3));
    group.bench_function("floor", |b| b.iter(|| black_box(floor(f, &id))));
    group.bench_function("gpo", |b| {
        b.iter_batched(|| selected(f), |mut r| black_box(gpo(&mut r)), BatchSize::SmallInput)
    });
    group.bench_function("tap", |b| {
        b.iter_batched(
            || router(f, false),
            |mut r| black_box(tap(&mut r, false)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("tap_generate_ac", |b| {
        b.iter_batched(
            || router(f, true),
            |mut r| black_box(tap(&mut r, true)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// Medians of interleaved rounds, so machine noise hits all subjects alike.
fn ratios(f: &Fixture) {
    const ROUNDS: usize = 41;
    const BATCH: usize = 50;
    let id = f.tokens.0.token.id.clone();
    let mut t: [Vec<f64>; 4] = Default::default();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..BATCH {
            black_box(floor(f, &id));
        }
        t[0].push(start.elapsed().as_secs_f64() / BATCH as f64);
        let mut rs: Vec<Router> = (0..BATCH).map(|_| selected(f)).collect();
        let start = Instant::now();
        for r in rs.iter_mut() {
            black_box(gpo(r));
        }
        t[1].push(start.elapsed().as_secs_f64() / BATCH as f64);
        for (i, gac) in [(2, false), (3, true)] {
            let mut rs: Vec<Router> = (0..BATCH).map(|_| router(f, gac)).collect();
            let start = Instant::now();
            for r in rs.iter_mut() {
                black_box(tap(r, gac));
            }
            t[i].push(start.elapsed().as_secs_f64() / BATCH as f64);
        }
    }
    let m: Vec<f64> = t
        .iter_mut()
        .map(|v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect();
    println!("\nPayment handset, medians of {ROUNDS} interleaved rounds of {BATCH}:");
    println!("  floor (CSK + MAC + commit)   {:>8.2} µs", m[0] * 1e6);
    println!(
        "  GPO                          {:>8.2} µs   GPO/floor = {:.3}  (goal: GPO < 300 µs)",
        m[1] * 1e6,
        m[1] / m[0]
    );
    println!(
        "  tap PPSE→SELECT→GPO→RR       {:>8.2} µs   tap/floor = {:.3}  (goal ≤ 1.5)",
        m[2] * 1e6,
        m[2] / m[0]
    );
    println!(
        "  tap … → GENERATE AC          {:>8.2} µs   tap/floor = {:.3}  (one more MAC + log write)",
        m[3] * 1e6,
        m[3] / m[0]
    );
}

fn main() {
    let f = fixture();
    // Sanity before anything is timed: the answers are the real thing.
    let mut r = router(&f, true);
    assert!(tap(&mut r, true) > 200);
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c, &f);
    c.final_summary();
    ratios(&f);
}

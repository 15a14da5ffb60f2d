//! The payment ATC journal on the tap path (payment spec §17.2; issue: payment tokens in
//! the wallet, "durable before the answer leaves … measure it"): one `PaymentJournal::commit`
//! of the encrypted store (one redb write transaction with fsync, the token record sealed
//! anew) against the core's in-memory journal, measured in one run, interleaved.
//!
//! Run: `cargo bench -p hce-wallet-store --bench journal`. Prints the medians and the ratio
//! after criterion's report.

use std::time::{Duration, Instant};

use criterion::Criterion;
use hce_wallet_core::payment::memory::InMemoryTokens;
use hce_wallet_core::payment::ports::{PaymentJournal, TokenSource};
use hce_wallet_core::payment::sample::{sample_keys, sample_token};
use hce_wallet_core::payment::token::{Atc, TransactionLogEntry};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::{RootKey, Store};

const NOW: Timestamp = Timestamp(1_800_000_000_000);

fn entry(atc: u16, key_index: [u8; 4]) -> TransactionLogEntry {
    TransactionLogEntry {
        atc: Atc(atc),
        key_index,
        unpredictable_number: [1, 2, 3, 4],
        amount: 100,
        currency: 0x0156,
        date: [0x26, 0x12, 0x02],
        transaction_type: 0,
        cdcvm: true,
        cryptogram: Some(([9; 8], 0x80)),
        at: NOW,
    }
}

/// One commit of the next ATC on `j`; only the commit is timed. `rewind` puts the ATC back
/// near 0 when it nears FFFF (the in-memory journal runs many thousands of rounds).
fn commit_next(j: &(impl PaymentJournal + TokenSource), rewind: &dyn Fn(Atc)) -> Duration {
    let id = sample_token(0).id;
    let last = j.last_atc(&id).unwrap_or_default();
    if last.0 > 60_000 {
        rewind(last);
    }
    let atc = j.last_atc(&id).unwrap_or_default().next().unwrap_or(Atc(1));
    let key = j.current_key(&id, NOW).key.map(|k| k.key_index).unwrap_or_default();
    let e = entry(atc.0, key);
    let t = Instant::now();
    let r = j.commit(&id, &e);
    let d = t.elapsed();
    assert!(r.is_ok(), "{r:?}");
    d
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("j.redb"), &RootKey::from_bytes([7; 32])).unwrap();
    // One key good for every commit of the run.
    let keys = sample_keys(0, 1, u32::MAX, NOW);
    store.provision_token(&sample_token(0), &keys, true, NOW).unwrap();
    let memory = InMemoryTokens::default();
    memory.provision(sample_token(0), keys, true, NOW).unwrap();

    let id = sample_token(0).id;
    let never = |_: Atc| panic!("the store bench never reaches ATC 60000");
    let rewind = |_: Atc| memory.set_last_atc(&id, Atc(0));
    let mut c = Criterion::default().configure_from_args().measurement_time(Duration::from_secs(3));
    c.bench_function("journal_commit/store", |b| {
        b.iter_custom(|n| (0..n).map(|_| commit_next(&store, &never)).sum())
    });
    c.bench_function("journal_commit/memory", |b| {
        b.iter_custom(|n| (0..n).map(|_| commit_next(&memory, &rewind)).sum())
    });
    c.final_summary();

    let (mut s, mut m) = (Vec::new(), Vec::new());
    for _ in 0..200 {
        s.push(commit_next(&store, &never));
        m.push(commit_next(&memory, &rewind));
    }
    let (s, m) = (median(s), median(m));
    println!("\njournal commit, medians of 200 interleaved rounds:");
    println!("  encrypted store (redb, fsync): {s:?}");
    println!("  in memory:                     {m:?}");
    println!(
        "  ratio store / memory:          {:.0}x",
        s.as_secs_f64() / m.as_secs_f64().max(1e-9)
    );
    println!("  (a tap's budget is ~100 ms of the reader's ~500 ms, payment spec §14)");
}

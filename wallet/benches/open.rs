//! The host app's cold start (issue #8, "Performance"): Android may start the process for
//! a tap, so `Wallet.open` sits in front of the first APDU.
//!
//! - `open_first_apdu/N`: open a wallet file holding N passes (100 classes of 10 objects
//!   per 1,000) and answer the first APDU (SELECT OSE.VAS.01).
//! - `import_10`: import one class with 10 objects into a 1,000-pass wallet (one write
//!   transaction with fsync).
//!
//! Run: `cargo bench -p hce-wallet --bench open` (short:
//! `-- --warm-up-time 1 --measurement-time 3`). After criterion's report, medians measured
//! in the same run, the 10k/1k ratio (issue #12 goal: ≤ 1.2, and < 20 ms at 10k) and the
//! heap the open wallet holds after its first APDU (goal: < 16 MB at 10k, growing with the
//! index, not with pass contents) are printed. The heap is counted by this binary's global
//! allocator ([`Counting`]): live bytes after open + first APDU minus live bytes before.
//! Last, `Store::open` alone as it runs by default (the file is as the store left it, its
//! stamp matches: no whole-file check) and with redb's whole-file integrity check forced
//! (`IntegrityCheck::Always`, what an open of a file changed elsewhere costs). And
//! `Store::open` of a file left by a killed process (copied while the wallet had it open,
//! after a commit): redb's own crash recovery, a whole-file repair. redb's quick-repair
//! commits would cut it to 7.7 ms at 10k passes (from 11.8-14.2 ms) but add 0.6 ms (a
//! two-phase commit) to every payment tap's journal commit (`pay_tap` bench: 1.59 vs
//! 0.98 ms), so they are off.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use hce_wallet::{Host, Wallet, WalletConfig};
use hce_wallet_store::{IntegrityCheck, RootKey, Store, StoreOptions};

/// The system allocator, counting live bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` with the caller's arguments unchanged; the
// counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Live heap bytes the wallet at `path` holds once open and past its first APDU.
fn heap_held(path: &Path) -> usize {
    let before = LIVE.load(Ordering::Relaxed);
    let w = open(path);
    let r = w.process_apdu(SELECT_OSE);
    drop(r);
    let held = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    drop(w);
    held
}

const SIZES: [usize; 3] = [100, 1_000, 10_000];
const KEY: [u8; 32] = [7; 32];
const SELECT_OSE: &[u8] = b"\x00\xa4\x04\x00\x0aOSE.VAS.01\x00";

/// Google Wallet JSON: `classes` loyalty classes of 10 objects each, IDs from `first`.
fn passes_json(first: usize, classes: usize) -> String {
    let mut cls = Vec::new();
    let mut objs = Vec::new();
    for c in first..first + classes {
        let issuer = 1_000 + (c % 50);
        cls.push(format!(
            r#"{{"id":"{issuer}.class{c}","issuerName":"Bench {issuer}","programName":"Rewards","reviewStatus":"UNDER_REVIEW","enableSmartTap":true,"redemptionIssuers":["{issuer}"]}}"#
        ));
        for o in 0..10 {
            objs.push(format!(
                r#"{{"id":"{issuer}.c{c}o{o}","classId":"{issuer}.class{c}","state":"ACTIVE","smartTapRedemptionValue":"VALUE-{c}-{o}","barcode":{{"type":"QR_CODE","value":"member-{c}-{o}"}}}}"#
            ));
        }
    }
    format!(r#"{{"loyaltyClasses":[{}],"loyaltyObjects":[{}]}}"#, cls.join(","), objs.join(","))
}

fn open(path: &Path) -> Wallet {
    Wallet::open(path, &KEY, WalletConfig::default(), Host::default()).expect("open")
}

fn make_wallet(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join(format!("w{n}.redb"));
    let w = open(&path);
    for chunk in (0..n / 10).step_by(50) {
        w.import_pass_json(&passes_json(chunk, 50.min(n / 10 - chunk))).expect("import");
    }
    assert_eq!(w.list_passes().len(), n);
    path
}

fn open_first_apdu(path: &Path) {
    let w = open(path);
    let r = w.process_apdu(SELECT_OSE);
    assert_eq!(&r[r.len() - 2..], &[0x90, 0x00]);
    black_box(r);
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
    let dir = tempfile::tempdir().expect("tempdir");
    let paths: Vec<(usize, PathBuf)> =
        SIZES.iter().map(|&n| (n, make_wallet(dir.path(), n))).collect();
    let mut c = Criterion::default().configure_from_args().sample_size(10);
    {
        let mut g = c.benchmark_group("open_first_apdu");
        for (n, p) in &paths {
            g.bench_with_input(BenchmarkId::from_parameter(n), p, |b, p| {
                b.iter(|| open_first_apdu(p))
            });
        }
        g.finish();
    }
    // On a copy: the imports must not grow the files the open bench reads.
    let copy = dir.path().join("import.redb");
    std::fs::copy(&paths[1].1, &copy).expect("copy");
    let w = open(&copy);
    let mut next = 1_000_000;
    c.bench_function("import_10", |b| {
        b.iter(|| {
            next += 1;
            w.import_pass_json(&passes_json(next, 1)).expect("import")
        })
    });
    drop(w);
    c.final_summary();

    let t: Vec<Duration> = paths.iter().map(|(_, p)| median(|| open_first_apdu(p), 101)).collect();
    println!(
        "\nwallet open + first APDU (medians of 101, this run; open and close sync the file):"
    );
    for ((n, _), d) in paths.iter().zip(&t) {
        println!("  {n:>6} passes: {:.2} ms", d.as_secs_f64() * 1e3);
    }
    println!("  ratio 10k/1k: {:.2}", t[2].as_secs_f64() / t[1].as_secs_f64());
    println!("heap held by the open wallet after its first APDU:");
    for (n, p) in &paths {
        let held = heap_held(p);
        println!("  {n:>6} passes: {:.2} MB ({held} bytes)", held as f64 / 1e6);
    }
    println!("Store::open alone (medians of 11): unchanged file (default) / whole-file check:");
    for (n, p) in &paths {
        let store_open = |integrity_check: IntegrityCheck| {
            let opts = StoreOptions { integrity_check, ..StoreOptions::default() };
            median(
                || {
                    drop(
                        Store::open_with(p, &RootKey::from_bytes(KEY), opts.clone()).expect("open"),
                    )
                },
                11,
            )
        };
        let (stamped, full) =
            (store_open(IntegrityCheck::WhenChanged), store_open(IntegrityCheck::Always));
        println!(
            "  {n:>6} passes: {:.2} ms / {:.2} ms",
            stamped.as_secs_f64() * 1e3,
            full.as_secs_f64() * 1e3
        );
    }
    // The copy has a new ctime, so its stamp cannot match: `Never` leaves what redb's own
    // recovery costs (a killed process's file keeps its stamp, so the store adds nothing).
    println!("Store::open of a file left by a killed process (medians of 11; redb's recovery):");
    for (n, p) in &paths {
        let killed = dir.path().join("killed.redb");
        std::fs::copy(p, &killed).expect("copy");
        let image = {
            let w = open(&killed);
            w.import_pass_json(&passes_json(2_000_000, 1)).expect("import");
            std::fs::read(&killed).expect("read")
        };
        let opts =
            StoreOptions { integrity_check: IntegrityCheck::Never, ..StoreOptions::default() };
        let mut runs: Vec<Duration> = (0..11)
            .map(|_| {
                std::fs::write(&killed, &image).expect("write");
                let t = Instant::now();
                drop(
                    Store::open_with(&killed, &RootKey::from_bytes(KEY), opts.clone())
                        .expect("open"),
                );
                t.elapsed()
            })
            .collect();
        runs.sort();
        println!("  {n:>6} passes: {:.2} ms", runs[5].as_secs_f64() * 1e3);
    }
}

//! Crash consistency (issue: encrypted store, "Reliability tests").
//!
//! 1. Fault injection: a wrapper around redb's `FileBackend` counts every write, flush
//!    (`sync_data`) and resize; a reference run counts the points of a workload, then the
//!    workload is re-run failing at point 1..=N (and every later I/O: the process is gone).
//!    After reopening from the file, the state must equal the model after the last
//!    successful operation or after the interrupted one — nothing in between.
//! 2. Process kill: a child writer (this test binary, re-entered) is SIGKILLed at random
//!    moments; every batch it reported committed must be there, in full.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use hce_wallet_store::redb::backends::FileBackend;
use hce_wallet_store::{IntegrityCheck, RootKey, Store, StoreOptions};

/// What a reader must find: passes (object id → redemption value), settings, root key.
#[derive(Clone, Debug, PartialEq)]
struct Model {
    passes: BTreeMap<String, String>,
    settings: BTreeMap<String, String>,
    key: u8,
}

type Op = Box<dyn Fn(&Store, &mut Model) -> hce_wallet_store::Result<()>>;

/// Each op first applies its effect to the model (the state if it lands), then to the store.
fn workload(steps: usize) -> Vec<Op> {
    let mut ops: Vec<Op> = Vec::new();
    for k in 0..steps {
        ops.push(Box::new(move |s, m| {
            let (c, o) = batch(k, 3, ISSUER);
            for x in &o {
                let v = x.redemption_value.clone().unwrap();
                m.passes.insert(x.object_id.clone(), v.expose().into());
            }
            s.import_class(&c, &o)
        }));
        ops.push(Box::new(move |s, m| {
            m.settings.insert(format!("s{k}"), format!("v{k}"));
            s.set_setting(&format!("s{k}"), &format!("v{k}"))
        }));
        if k > 0 {
            ops.push(Box::new(move |s, m| {
                let id = format!("{ISSUER}.c{}.o0", k - 1);
                m.passes.remove(&id);
                s.remove_pass(&id)
            }));
        }
        if k == 1 {
            ops.push(Box::new(|s, m| {
                m.key = 9;
                s.rekey(&key(9)).map(drop)
            }));
        }
    }
    ops
}

fn observe(path: &Path, key_n: u8) -> Option<Model> {
    let store = Store::open(path, &key(key_n)).ok()?;
    let mut passes = BTreeMap::new();
    for p in store.list_passes().unwrap() {
        let (_, o) = store.pass(&p.object_id).unwrap().unwrap();
        passes.insert(p.object_id, o.redemption_value.unwrap().expose().to_string());
    }
    let mut settings = BTreeMap::new();
    for k in 0..64 {
        if let Some(v) = store.setting(&format!("s{k}")).unwrap() {
            settings.insert(format!("s{k}"), v);
        }
    }
    store.verify_all().unwrap();
    Some(Model { passes, settings, key: key_n })
}

/// Runs the workload on a fresh file failing at `fail_at`; returns (points used, models
/// before and after the interrupted op).
fn run(path: &Path, steps: usize, fail_at: u64) -> (u64, Model, Option<Model>) {
    let _ = std::fs::remove_file(path);
    // Creation itself is atomic (temporary file + rename); faults start on the first reopen.
    drop(Store::open(path, &key(1)).unwrap());
    let points = Arc::new(AtomicU64::new(0));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .unwrap();
    let backend =
        FaultyBackend { inner: FileBackend::new(file).unwrap(), points: points.clone(), fail_at };
    let mut model = Model { passes: BTreeMap::new(), settings: BTreeMap::new(), key: 1 };
    let opts = StoreOptions { integrity_check: IntegrityCheck::Never, ..Default::default() };
    let Ok(store) = Store::open_with_backend(backend, &key(1), opts) else {
        return (points.load(Ordering::SeqCst), model.clone(), Some(model));
    };
    for op in workload(steps) {
        let mut next = model.clone();
        if op(&store, &mut next).is_err() {
            return (points.load(Ordering::SeqCst), model, Some(next));
        }
        model = next;
    }
    (points.load(Ordering::SeqCst), model, None)
}

fn fault_injection(steps: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let (total, full, none) = run(&path, steps, 0);
    assert!(none.is_none());
    assert_eq!(observe(&path, full.key).as_ref(), Some(&full));
    let (mut verified, mut landed, mut rolled_back) = (0usize, 0, 0);
    for fail_at in 1..=total {
        let (_, before, after) = run(&path, steps, fail_at);
        let after = after.expect("a failure was injected");
        // Reopen from the file as a fresh process would.
        let seen = observe(&path, before.key).or_else(|| observe(&path, after.key));
        let seen = match seen {
            Some(s) => s,
            None => panic!(
                "store unreadable after failure at point {fail_at}: {:?} (len {})",
                Store::open(&path, &key(before.key)).err(),
                std::fs::metadata(&path).unwrap().len()
            ),
        };
        if seen == before {
            rolled_back += 1;
        } else if seen == after {
            landed += 1;
        } else {
            panic!("half-applied state after failure at point {fail_at}: {seen:?} vs {before:?} / {after:?}");
        }
        verified += seen.passes.len() + seen.settings.len();
    }
    println!(
        "crash injection: {total} injection points, {total} runs, {rolled_back} rolled back, \
         {landed} landed, {verified} records verified"
    );
}

#[test]
fn fault_injection_at_every_write_and_flush_point() {
    fault_injection(3);
}

#[test]
#[ignore = "stress: run with `make stress`"]
fn fault_injection_long() {
    fault_injection(8);
}

const CHILD_ENV: &str = "HCE_STORE_CRASH_CHILD";

/// The child writer: imports batch after batch, printing each committed index.
#[test]
#[ignore = "child process of kill_writer_* (does nothing unless HCE_STORE_CRASH_CHILD is set)"]
fn child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let store = Store::open(&path, &key(1)).unwrap();
    let start = store.pass_count().unwrap() as usize / 2;
    for n in start..start + 100_000 {
        let (c, o) = batch(n, 2, ISSUER);
        store.import_class(&c, &o).unwrap();
        println!("COMMITTED {n}");
    }
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn kill_writer(runs: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kill.redb");
    let exe = std::env::current_exe().unwrap();
    let mut seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            as u64
            | 1;
    let (mut verified, mut in_flight_landed) = (0usize, 0usize);
    for run in 0..runs {
        let mut child = Command::new(&exe)
            .args(["child_writer", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut last = None;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line.strip_prefix("COMMITTED ") {
                    last = n.trim().parse::<usize>().ok();
                }
            }
            last
        });
        let wait = Duration::from_millis(50 + xorshift(&mut seed) % 400);
        let t0 = Instant::now();
        while t0.elapsed() < wait {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
        let _ = child.wait();
        let last = reader.join().unwrap();
        let store = Store::open(&path, &key(1)).unwrap();
        let count = store.pass_count().unwrap() as usize;
        assert_eq!(count % 2, 0, "run {run}: a half-imported batch");
        let batches = count / 2;
        if let Some(last) = last {
            assert!(batches > last, "run {run}: committed batch {last} lost (have {batches})");
            assert!(batches <= last + 2, "run {run}: more batches than written");
            in_flight_landed += batches - (last + 1);
        }
        for n in 0..batches {
            let (_, o) = batch(n, 2, ISSUER);
            for x in &o {
                let (_, got) = store.pass(&x.object_id).unwrap().expect("committed pass present");
                assert_eq!(got.redemption_value, x.redemption_value);
                verified += 1;
            }
        }
        store.verify_all().unwrap();
    }
    println!(
        "kill test: {runs} runs, {verified} records verified, {in_flight_landed} in-flight \
         batches landed whole"
    );
}

#[test]
fn kill_writer_at_random_moments() {
    kill_writer(8);
}

#[test]
#[ignore = "stress: run with `make stress`"]
fn kill_writer_long() {
    kill_writer(100);
}

#[allow(dead_code)]
fn unused(_: RootKey) {}

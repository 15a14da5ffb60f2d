//! Tamper evidence (issue: encrypted store, "Reliability tests").
//!
//! Every byte of a small store file is flipped in turn (a sample of positions for the
//! normal run, all of them under `make stress`), and encrypted values are swapped between
//! records and tables with redb itself. Every read must return the right data or an error;
//! never wrong data, never a panic.

mod common;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use common::*;
use hce_wallet_core::ports::{CollectorId, IssuerKeyRing};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::redb::{self, ReadableTable, TableDefinition};
use hce_wallet_store::{Store, StoreError};

const NOW: Timestamp = Timestamp(1_800_000_000_000);

fn build(path: &Path) -> BTreeMap<String, String> {
    let store = Store::open(path, &key(1)).unwrap();
    store.apply_key_bundle(&[issuer_keys(ISSUER, COLLECTOR, &[1], 3)]).unwrap();
    let mut expected = BTreeMap::new();
    for n in 0..2 {
        let (c, o) = batch(n, 2, ISSUER);
        store.import_class(&c, &o).unwrap();
        for x in o {
            expected.insert(x.object_id, x.redemption_value.unwrap().expose().to_string());
        }
    }
    store.set_setting("locale", "fr-FR").unwrap();
    expected
}

#[derive(Default, Debug)]
struct Tally {
    runs: usize,
    open_refused: usize,
    reads_ok: usize,
    reads_refused: usize,
}

/// Opens and reads everything; panics (test failure) on wrong data.
fn check(path: &Path, expected: &BTreeMap<String, String>, tally: &mut Tally) {
    tally.runs += 1;
    let store = match Store::open(path, &key(1)) {
        Ok(s) => s,
        Err(_) => {
            tally.open_refused += 1;
            return;
        }
    };
    for (id, value) in expected {
        match store.pass(id) {
            Ok(Some((_, o))) => {
                assert_eq!(o.redemption_value.as_ref().map(|v| v.expose()), Some(value.as_str()));
                tally.reads_ok += 1;
            }
            Ok(None) => panic!("pass {id} silently missing"),
            Err(_) => tally.reads_refused += 1,
        }
    }
    match store.setting("locale") {
        Ok(Some(v)) => assert_eq!(v, "fr-FR"),
        Ok(None) => panic!("setting silently missing"),
        Err(_) => tally.reads_refused += 1,
    }
    match store.list_passes() {
        Ok(l) => assert_eq!(l.len(), expected.len()),
        Err(_) => tally.reads_refused += 1,
    }
    // The tap path fails closed: a key is either the right one or absent.
    let good = p256::PublicKey::from_sec1_bytes(&sec1(4)).unwrap();
    if let Some(k) = store.collector_key(CollectorId(COLLECTOR), 1, NOW) {
        assert_eq!(k, good);
    }
    for c in store.prepare_tap().candidates(CollectorId(COLLECTOR)) {
        let v = c.object.redemption_value.unwrap();
        assert_eq!(Some(v.expose()), expected.get(&c.object.object_id).map(String::as_str));
    }
}

fn flip_bytes(stride: usize) {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.redb");
    let expected = build(&clean);
    let original = std::fs::read(&clean).unwrap();
    // Every open commits (redb's integrity check): keep the victim on tmpfs when there is
    // one, so the run measures the store rather than fsync.
    let shm = std::path::Path::new("/dev/shm");
    let vdir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let victim = vdir.path().join("victim.redb");
    let mut tally = Tally::default();
    let mut panics = 0;
    let mut pos = 0;
    while pos < original.len() {
        let mut bytes = original.clone();
        bytes[pos] ^= 0xff;
        std::fs::write(&victim, &bytes).unwrap();
        // The last open stamped the victim; a rewrite within the same kernel timestamp tick
        // is the stamp's documented blind spot (`stamp.rs`, tested in `stamp.rs`), and this
        // test is about what the whole-file check lets through.
        let _ = std::fs::remove_file(vdir.path().join("victim.redb.stamp"));
        if catch_unwind(AssertUnwindSafe(|| check(&victim, &expected, &mut tally))).is_err() {
            panics += 1;
            eprintln!("panic or wrong data with byte {pos} flipped");
        }
        pos += stride;
    }
    println!(
        "tamper flip: file {} bytes, {} positions (stride {stride}), {} opens refused, \
         {} reads right, {} reads refused, {panics} panics/wrong reads",
        original.len(),
        tally.runs,
        tally.open_refused,
        tally.reads_ok,
        tally.reads_refused
    );
    assert_eq!(panics, 0);
}

#[test]
fn flipped_bytes_never_give_wrong_data() {
    // A prime stride samples every page and every offset within pages over the file.
    flip_bytes(97);
}

#[test]
#[ignore = "stress: run with `make stress`"]
fn every_flipped_byte_never_gives_wrong_data() {
    flip_bytes(1);
}

type Raw = TableDefinition<'static, &'static [u8], &'static [u8]>;

fn raw_entries(db: &redb::Database, t: Raw) -> Vec<(Vec<u8>, Vec<u8>)> {
    use redb::ReadableDatabase;
    let txn = db.begin_read().unwrap();
    let table = txn.open_table(t).unwrap();
    table
        .iter()
        .unwrap()
        .map(|e| {
            let (k, v) = e.unwrap();
            (k.value().to_vec(), v.value().to_vec())
        })
        .collect()
}

#[test]
fn swapped_values_are_integrity_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("swap.redb");
    let expected = build(&path);
    let objects: Raw = TableDefinition::new("pass_objects");
    let classes: Raw = TableDefinition::new("pass_classes");
    let settings: Raw = TableDefinition::new("settings");
    let mut cases = 0;
    let mut refused = 0;
    // (table A, index in A, table B, index in B)
    let swaps = [(objects, 0, objects, 1), (objects, 2, classes, 0), (settings, 0, objects, 3)];
    for (ta, ia, tb, ib) in swaps {
        let copy = dir.path().join(format!("swap{cases}.redb"));
        std::fs::copy(&path, &copy).unwrap();
        {
            let db = redb::Database::create(&copy).unwrap();
            let a = raw_entries(&db, ta)[ia].clone();
            let b = raw_entries(&db, tb)[ib].clone();
            let txn = db.begin_write().unwrap();
            txn.open_table(ta).unwrap().insert(&a.0[..], &b.1[..]).unwrap();
            txn.open_table(tb).unwrap().insert(&b.0[..], &a.1[..]).unwrap();
            txn.commit().unwrap();
        }
        let store = Store::open(&copy, &key(1)).unwrap();
        let mut bad = 0;
        for (id, value) in &expected {
            match store.pass(id) {
                Ok(Some((_, o))) => assert_eq!(o.redemption_value.unwrap().expose(), value),
                Ok(None) => panic!("pass silently missing"),
                Err(StoreError::Integrity { .. }) => bad += 1,
                Err(e) => panic!("unexpected error {e}"),
            }
        }
        match store.setting("locale") {
            Ok(v) => assert_eq!(v.as_deref(), Some("fr-FR")),
            Err(StoreError::Integrity { .. }) => bad += 1,
            Err(e) => panic!("unexpected error {e}"),
        }
        assert!(bad >= 1, "swap {cases} went unnoticed");
        assert!(store.verify_all().is_err());
        refused += bad;
        cases += 1;
    }
    println!("tamper swap: {cases} swaps, {refused} reads refused, 0 wrong reads");
}

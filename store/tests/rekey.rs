//! Rekeying (issue #12, "Store and CLI"): after [`Store::rekey_file`] the file holds
//! nothing the old key decrypts. redb is copy-on-write, so an in-place rekey leaves the
//! pages that held the old ciphertexts in the file's free space; the test scans the whole
//! file for every value that was sealed under the old key and shows the in-place rekey
//! leaves some behind while the fresh-file rekey leaves none.

mod common;

use common::*;
use hce_wallet_core::payment::sample::{sample_keys, sample_token};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::redb::{self, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use hce_wallet_store::{Store, StoreError, StoreOptions};

const ISSUER: u64 = 3265320111641956183;
const COLLECTOR: u32 = 20180608;

/// A store with passes, keys, a token, settings and events, each written a few times.
fn populated(path: &std::path::Path) -> u64 {
    let store = Store::open(path, &key(1)).unwrap();
    let now = Timestamp(1_800_000_000_000);
    for round in 0..3 {
        let (c, o) = batch(round, 4, ISSUER);
        store.import_class(&c, &o).unwrap();
        store
            .apply_key_bundle(&[issuer_keys(ISSUER, COLLECTOR, &[1, 2], round as u8 + 1)])
            .unwrap();
        store.set_setting("sync.etag", &format!("\"v{round}\"")).unwrap();
    }
    store.provision_token(&sample_token(0), &sample_keys(0, 2, 5, now), true, now).unwrap();
    store.verify_all().unwrap()
}

/// Every value stored in every table of the file at `path` (the store closed).
fn raw_values(path: &std::path::Path) -> Vec<Vec<u8>> {
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    let mut out = Vec::new();
    for handle in txn.list_tables().unwrap() {
        let name: &'static str = Box::leak(handle.name().to_owned().into_boxed_str());
        if let Ok(t) = txn.open_table(TableDefinition::<&[u8], &[u8]>::new(name)) {
            for e in t.iter().unwrap() {
                out.push(e.unwrap().1.value().to_vec());
            }
        } else if let Ok(t) = txn.open_table(TableDefinition::<u64, &[u8]>::new(name)) {
            for e in t.iter().unwrap() {
                out.push(e.unwrap().1.value().to_vec());
            }
        }
    }
    // Sealed values only (nonce + tag at least); the plaintext header is not a secret.
    out.retain(|v| v.len() >= 28);
    out
}

/// How many of `sealed` still appear in the file (a 16-byte run from each ciphertext).
fn still_in_file(path: &std::path::Path, sealed: &[Vec<u8>]) -> usize {
    let bytes = std::fs::read(path).unwrap();
    sealed
        .iter()
        .filter(|v| {
            let needle = &v[12..28];
            bytes.windows(needle.len()).any(|w| w == needle)
        })
        .count()
}

#[test]
fn rekey_file_leaves_nothing_the_old_key_decrypts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    let count = populated(&path);
    let sealed = raw_values(&path);
    assert!(sealed.len() as u64 >= count - 2, "{} sealed values of {count}", sealed.len());
    assert_eq!(still_in_file(&path, &sealed), sealed.len(), "the scan finds what is there");

    assert_eq!(Store::rekey_file(&path, &key(1), &key(2), StoreOptions::default()).unwrap(), count);
    assert_eq!(still_in_file(&path, &sealed), 0, "an old-key ciphertext survived the rekey");
    assert!(matches!(Store::open(&path, &key(1)), Err(StoreError::WrongKey)));
    let store = Store::open(&path, &key(2)).unwrap();
    assert_eq!(store.verify_all().unwrap(), count);
    assert_eq!(store.setting("sync.etag").unwrap().as_deref(), Some("\"v2\""));
    assert_eq!(store.token_records().unwrap().len(), 1);
    drop(store);
    assert!(!dir.path().join("w.redb.rekey").exists());

    // The wrong old key changes nothing; an open store cannot be rekeyed under it.
    assert!(matches!(
        Store::rekey_file(&path, &key(1), &key(3), StoreOptions::default()),
        Err(StoreError::WrongKey)
    ));
    let open = Store::open(&path, &key(2)).unwrap();
    assert!(Store::rekey_file(&path, &key(2), &key(3), StoreOptions::default()).is_err());
    assert_eq!(open.verify_all().unwrap(), count);
}

#[test]
fn an_in_place_rekey_leaves_old_ciphertexts_in_free_pages() {
    // Why `rekey_file` exists: this is what the in-place rekey leaves behind.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    populated(&path);
    let sealed = raw_values(&path);
    Store::open(&path, &key(1)).unwrap().rekey(&key(2)).unwrap();
    assert!(still_in_file(&path, &sealed) > 0, "redb reused every freed page this time");
}

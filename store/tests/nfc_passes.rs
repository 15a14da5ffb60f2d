//! Issuer NFC passes in the encrypted store (issue 15): round trip through the core model,
//! nothing of a key or a file in the file's bytes, reader writes and retry counters durable
//! across reopen through the NFC applet itself, another root key serves nothing.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::sync::Arc;

use hce_wallet_core::nfc_pass::applet::{NfcPassApplet, NfcPassPorts};
use hce_wallet_core::nfc_pass::auth::{self, ID_ICC};
use hce_wallet_core::nfc_pass::model::{
    Access, Aid, FileId, KeyAlgorithm, KeyNumber, NfcFile, NfcKey, NfcPass, NfcPassState, PassId,
};
use hce_wallet_core::nfc_pass::ports::NfcPassSource;
use hce_wallet_core::ports::{NoEvents, RandomSource};
use hce_wallet_core::router::{Deactivation, Router};
use hce_wallet_store::Store;

const AID: [u8; 7] = [0xF0, 0x53, 0x54, 0x4F, 0x52, 0x45, 0x31];
const KEY: [u8; 16] = *b"store-key-16byte";
const CREDENTIAL: &[u8] = b"CREDENTIAL-STORE";

fn pass(id: &str) -> NfcPass {
    let k = KeyNumber::new(1).unwrap();
    let files = vec![
        NfcFile::new(0x0101, 16, CREDENTIAL, Access::Key(k), Access::Never, "cred").unwrap(),
        NfcFile::new(0x0102, 4, &[], Access::Always, Access::Key(k), "counter").unwrap(),
    ];
    let keys = vec![
        NfcKey::new(1, KeyAlgorithm::Aes128, &KEY, 3).unwrap(),
        NfcKey::new(2, KeyAlgorithm::Tdes2Key, b"0123456789abcdef", 5).unwrap(),
    ];
    let mut p = NfcPass::new(PassId::new(id).unwrap(), "Org", Aid::new(&AID).unwrap(), files, keys)
        .unwrap();
    p.callback_url = Some("https://issuer.example/cb".into());
    p
}

struct Zeros;
impl RandomSource for Zeros {
    fn fill(&mut self, buf: &mut [u8]) {
        buf.fill(0);
    }
}

fn router(store: Arc<Store>) -> Router {
    let mut r = Router::new();
    r.register(Box::new(NfcPassApplet::new(NfcPassPorts {
        source: store.clone(),
        journal: store,
        events: Arc::new(NoEvents),
        random: Box::new(Zeros),
    })));
    r
}

fn tx(r: &mut Router, hex: &str) -> String {
    hex::encode_upper(r.process(&hex::decode(hex.replace(' ', "")).unwrap()))
}

fn authenticate(r: &mut Router, key: &[u8; 16]) -> String {
    assert_eq!(tx(r, "0084000008"), "00000000000000009000");
    let k = NfcKey::new(1, KeyAlgorithm::Aes128, key, 3).unwrap();
    tx(r, &format!("0082000110{}", hex::encode(auth::token(&k, &[0; 8], &ID_ICC))))
}

#[test]
fn round_trip_and_choice() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("w.redb"), &common::key(1)).unwrap();
    let (a, mut b) = (pass("a"), pass("b"));
    b.state = NfcPassState::Suspended;
    store.put_nfc_pass(&a).unwrap();
    store.put_nfc_pass(&b).unwrap();
    assert_eq!(store.nfc_passes().unwrap(), vec![a.clone(), b.clone()]);
    assert_eq!(store.aids(), vec![Aid::new(&AID).unwrap()]);
    assert_eq!(store.chosen(), None);
    store.choose_nfc_pass(Some(&b.id)).unwrap();
    assert_eq!(store.chosen(), Some(b.id.clone()));
    // Re-keying re-seals NFC passes with everything else.
    store.rekey(&common::key(3)).unwrap();
    drop(store);
    let store = Store::open(dir.path().join("w.redb"), &common::key(3)).unwrap();
    assert_eq!(store.nfc_passes().unwrap(), vec![a.clone(), b.clone()]);
    assert!(store.remove_nfc_pass(&a.id).unwrap());
    assert_eq!(store.nfc_pass(&a.id).unwrap(), None);
}

#[test]
fn keys_and_contents_are_not_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    let store = Store::open(&path, &common::key(1)).unwrap();
    store.put_nfc_pass(&pass("secret-pass")).unwrap();
    drop(store);
    let raw = std::fs::read(&path).unwrap();
    let hexed = |b: &[u8]| hex::encode(b).into_bytes();
    for needle in [&KEY[..], CREDENTIAL, &hexed(&KEY), &hexed(CREDENTIAL), b"secret-pass"] {
        assert!(!raw.windows(needle.len()).any(|w| w == needle), "{needle:?} in the file");
    }
    // The check can see plaintext: the store file does contain its own format marker.
    assert!(raw.windows(16).any(|w| w == b"hce-wallet-store"));
    // Another root key: the store does not open, so nothing is served.
    assert!(Store::open(&path, &common::key(2)).is_err());
}

#[test]
fn reader_writes_and_counters_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    {
        let store = Arc::new(Store::open(&path, &common::key(1)).unwrap());
        store.put_nfc_pass(&pass("p")).unwrap();
        let mut r = router(store);
        assert_eq!(tx(&mut r, "00A4040C07F053544F524531"), "9000");
        assert_eq!(authenticate(&mut r, &[0x42; 16]), "63C2");
        assert_eq!(authenticate(&mut r, &[0x43; 16]), "63C1");
        r.deactivate(Deactivation::LinkLoss);
    }
    let store = Arc::new(Store::open(&path, &common::key(1)).unwrap());
    let p = store.nfc_pass(&PassId::new("p").unwrap()).unwrap().unwrap();
    assert_eq!(p.keys()[0].remaining, 1);
    let mut r = router(store.clone());
    assert_eq!(tx(&mut r, "00A4040C07F053544F524531"), "9000");
    assert_eq!(authenticate(&mut r, &KEY), "9000");
    assert_eq!(tx(&mut r, "00A4020C020102"), "9000");
    assert_eq!(tx(&mut r, "00D6000202BEEF"), "9000");
    assert_eq!(tx(&mut r, "00A4020C020101"), "9000");
    assert_eq!(tx(&mut r, "00B0000000"), format!("{}9000", hex::encode_upper(CREDENTIAL)));
    drop(r);
    drop(store);
    let store = Store::open(&path, &common::key(1)).unwrap();
    let p = store.nfc_pass(&PassId::new("p").unwrap()).unwrap().unwrap();
    assert_eq!(p.file(FileId(0x0102)).unwrap().content(), [0, 0, 0xBE, 0xEF]);
    assert_eq!(p.keys()[0].remaining, 3);
}

/// Puts the pass, then commits reader writes 1..=n (byte `i` at offset 0 of the counter,
/// through the journal port, answering only on `Ok`); returns (I/O points, last
/// acknowledged value).
fn write_run(path: &std::path::Path, n: u8, fail_at: u64) -> (u64, u8) {
    use hce_wallet_core::nfc_pass::ports::NfcPassJournal;
    use hce_wallet_store::redb::backends::FileBackend;
    use hce_wallet_store::{IntegrityCheck, StoreOptions};
    use std::sync::atomic::{AtomicU64, Ordering};
    let _ = std::fs::remove_file(path);
    Store::open(path, &common::key(1)).unwrap().put_nfc_pass(&pass("p")).unwrap();
    let points = Arc::new(AtomicU64::new(0));
    let file = std::fs::OpenOptions::new().read(true).write(true).open(path).unwrap();
    let backend = common::FaultyBackend {
        inner: FileBackend::new(file).unwrap(),
        points: points.clone(),
        fail_at,
    };
    let opts = StoreOptions { integrity_check: IntegrityCheck::Never, ..Default::default() };
    let Ok(store) = Store::open_with_backend(backend, &common::key(1), opts) else {
        return (points.load(Ordering::SeqCst), 0);
    };
    let id = PassId::new("p").unwrap();
    let mut acknowledged = 0;
    for i in 1..=n {
        if store.commit_write(&id, FileId(0x0102), 0, &[i]).is_err() {
            break;
        }
        acknowledged = i;
    }
    (points.load(Ordering::SeqCst), acknowledged)
}

#[test]
fn no_acknowledged_reader_write_is_lost_at_any_fault_point() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nfc.redb");
    let n = 4;
    let (total, acked) = write_run(&path, n, 0);
    assert_eq!(acked, n);
    for fail_at in 1..=total {
        let (_, acked) = write_run(&path, n, fail_at);
        let store = Store::open(&path, &common::key(1))
            .unwrap_or_else(|e| panic!("unreadable after a fault at point {fail_at}: {e}"));
        store.verify_all().unwrap();
        let p = store.nfc_pass(&PassId::new("p").unwrap()).unwrap().unwrap();
        let value = p.file(FileId(0x0102)).unwrap().content()[0];
        // What the reader saw acknowledged is there; at most the interrupted write landed.
        assert!(
            value == acked || value == acked + 1,
            "fault at {fail_at}: acknowledged {acked}, store has {value}"
        );
    }
    println!("nfc journal: {total} fault points checked");
}

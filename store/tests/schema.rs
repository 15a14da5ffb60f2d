//! A store written by the previous schema (v1, frozen fixture) opens, migrates and reads.

use hce_wallet_core::ports::{CollectorId, PassSource, Selection, SelectionRequest};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::{RootKey, Store, StoreError, CURRENT_SCHEMA};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store-v1.redb");
const ISSUER: u64 = 3265320111641956183;

fn copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v1.redb");
    std::fs::copy(FIXTURE, &p).unwrap();
    (dir, p)
}

#[test]
fn v1_fixture_opens_and_migrates() {
    let (_d, path) = copy();
    let store = Store::open(&path, &RootKey::from_bytes([0x42; 32])).unwrap();
    assert_eq!(store.schema_version(), CURRENT_SCHEMA);
    let passes = store.list_passes().unwrap();
    assert_eq!(passes.len(), 2);
    let (class, obj) = store.pass(&format!("{ISSUER}.member-1")).unwrap().unwrap();
    assert_eq!(obj.redemption_value.unwrap().expose(), "MEMBER-1");
    assert!(!obj.smart_tap_disabled && obj.last_push.is_none(), "v2 fields defaulted");
    assert_eq!(class.redemption_issuers, vec![ISSUER]);
    assert_eq!(store.setting("locale").unwrap().as_deref(), Some("en-GB"));
    assert_eq!(store.events(10).unwrap()[0].detail.as_deref(), Some("2 objects"));
    assert!(store.token_records().unwrap().is_empty(), "table added by v2, schema 3 records");
    // Only member-1 is active: it is sent to the demo collector.
    let r = SelectionRequest {
        collector: CollectorId(20180608),
        service_types: vec![0],
        now: Timestamp(1_800_000_000_000),
    };
    assert!(matches!(store.select(&r), Selection::Send(p) if p.object_id.ends_with("member-1")));
    // Migration is durable: a second open is a plain v2 open.
    let n = store.verify_all().unwrap();
    drop(store);
    let store = Store::open(&path, &RootKey::from_bytes([0x42; 32])).unwrap();
    assert_eq!(store.verify_all().unwrap(), n);
}

#[test]
fn v1_fixture_with_wrong_key_is_wrong_key() {
    let (_d, path) = copy();
    assert!(matches!(Store::open(&path, &RootKey::from_bytes([1; 32])), Err(StoreError::WrongKey)));
}

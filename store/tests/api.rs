//! Behaviour of the public API on a real redb file.

mod common;

use common::*;
use hce_wallet_core::ports::{
    CollectorId, IssuerKeyRing, PassSource, PushData, PushListener, Selection, SelectionRequest,
    ServiceStatusUpdate, UsageUpdate,
};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::{
    object_ref, EventRecord, ObjectState, RootKey, Store, StoreError, StoreOptions,
};

const NOW: Timestamp = Timestamp(1_800_000_000_000);

fn req(collector: u32) -> SelectionRequest {
    SelectionRequest { collector: CollectorId(collector), service_types: vec![0x00], now: NOW }
}

fn tmp() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wallet.redb");
    (dir, p)
}

#[test]
fn missing_file_gives_empty_store_and_data_survives_reopen() {
    let (_d, path) = tmp();
    let store = Store::open(&path, &key(1)).unwrap();
    assert_eq!(store.pass_count().unwrap(), 0);
    let (c, o) = batch(0, 3, ISSUER);
    store.import_class(&c, &o).unwrap();
    store.apply_key_bundle(&[issuer_keys(ISSUER, COLLECTOR, &[1], 5)]).unwrap();
    drop(store);
    let store = Store::open(&path, &key(1)).unwrap();
    let list = store.list_passes().unwrap();
    assert_eq!(list.len(), 3);
    let (class, obj) = store.pass(&o[1].object_id).unwrap().unwrap();
    assert_eq!(class.objects.len(), 3);
    assert_eq!(obj, o[1]);
    assert!(store.collector_key(CollectorId(COLLECTOR), 1, NOW).is_some());
    assert!(store.verify_all().unwrap() > 5);
}

#[test]
fn wrong_key_is_wrong_key_not_corrupt() {
    let (_d, path) = tmp();
    let store = Store::open(&path, &key(1)).unwrap();
    store.set_setting("a", "b").unwrap();
    drop(store);
    assert!(matches!(Store::open(&path, &key(2)), Err(StoreError::WrongKey)));
    // The right key still works afterwards.
    assert_eq!(Store::open(&path, &key(1)).unwrap().setting("a").unwrap().as_deref(), Some("b"));
}

#[test]
fn second_open_is_locked() {
    let (_d, path) = tmp();
    let _store = Store::open(&path, &key(1)).unwrap();
    assert!(matches!(Store::open(&path, &key(1)), Err(StoreError::Locked)));
}

#[test]
fn read_only_file_is_a_clear_error() {
    let (_d, path) = tmp();
    drop(Store::open(&path, &key(1)).unwrap());
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).unwrap();
    let err = Store::open(&path, &key(1)).unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly(_)), "{err:?}");
}

#[test]
fn not_a_store_is_corrupt() {
    let (_d, path) = tmp();
    std::fs::write(&path, vec![0x5a; 10_000]).unwrap();
    let err = Store::open(&path, &key(1)).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
}

#[test]
fn selection_follows_rules_and_index() {
    let (_d, path) = tmp();
    let store = Store::open(&path, &key(1)).unwrap();
    store.apply_key_bundle(&[issuer_keys(ISSUER, COLLECTOR, &[1, 2], 9)]).unwrap();
    // A class this collector's issuer can redeem, and one it cannot.
    let (c, mut o) = batch(0, 1, ISSUER);
    store.import_class(&c, &o).unwrap();
    let (c2, o2) = batch(1, 1, 42);
    store.import_class(&c2, &o2).unwrap();
    let snap = store.prepare_tap();
    assert!(snap.could_redeem(CollectorId(COLLECTOR), NOW));
    assert!(!snap.could_redeem(CollectorId(7), NOW));
    match store.select(&req(COLLECTOR)) {
        Selection::Send(p) => {
            assert_eq!(p.object_id, o[0].object_id);
            assert_eq!(&*p.redemption_value, "v0.0");
        }
        other => panic!("{other:?}"),
    }
    // Service type filter (rule 6): gift cards only.
    let mut r = req(COLLECTOR);
    r.service_types = vec![0x05];
    assert_eq!(store.select(&r), Selection::NothingEligible);
    // A second eligible pass: chooser.
    o.push(object(&c.class_id, &format!("{}.o9", c.class_id), "x"));
    store.import_class(&c, &o).unwrap();
    assert!(
        matches!(store.select(&req(COLLECTOR)), Selection::ChooserRequired { candidates } if candidates.len() == 2)
    );
    // Rule 5: the user switches one off.
    store.set_smart_tap_disabled(&o[1].object_id, true).unwrap();
    assert!(matches!(store.select(&req(COLLECTOR)), Selection::Send(_)));
    // Rule 4: validity window and state.
    o[0].valid_until = Some(NOW.0 - 1);
    store.import_class(&c, &o[..1]).unwrap();
    assert_eq!(store.select(&req(COLLECTOR)), Selection::NothingEligible);
    o[0].valid_until = None;
    o[0].state = ObjectState::Expired;
    store.import_class(&c, &o[..1]).unwrap();
    assert_eq!(store.select(&req(COLLECTOR)), Selection::NothingEligible);
    // Remove: gone from the index too.
    store.remove_pass(&o[0].object_id).unwrap();
    assert!(store.pass(&o[0].object_id).unwrap().is_none());
    assert_eq!(store.prepare_tap().candidates(CollectorId(COLLECTOR)).len(), 1);
    assert!(matches!(store.remove_pass("nope"), Err(StoreError::NotFound(_))));
}

#[test]
fn class_redemption_issuer_change_moves_index_entries() {
    let (_d, path) = tmp();
    let store = Store::open(&path, &key(1)).unwrap();
    store
        .apply_key_bundle(&[
            issuer_keys(ISSUER, COLLECTOR, &[1], 1),
            issuer_keys(42, 4242, &[1], 2),
        ])
        .unwrap();
    let (mut c, o) = batch(0, 2, ISSUER);
    store.import_class(&c, &o).unwrap();
    assert_eq!(store.prepare_tap().candidates(CollectorId(COLLECTOR)).len(), 2);
    c.redemption_issuers = vec![42];
    store.import_class(&c, &[]).unwrap();
    assert_eq!(store.prepare_tap().candidates(CollectorId(COLLECTOR)).len(), 0);
    assert_eq!(store.prepare_tap().candidates(CollectorId(4242)).len(), 2);
}

#[test]
fn key_bundle_is_exact_and_all_or_nothing() {
    let (_d, path) = tmp();
    let store = Store::open(&path, &key(1)).unwrap();
    store.apply_key_bundle(&[issuer_keys(ISSUER, COLLECTOR, &[1, 2], 3)]).unwrap();
    let kr: &dyn IssuerKeyRing = &store;
    assert!(kr.collector_key(CollectorId(COLLECTOR), 2, NOW).is_some());
    assert!(kr.collector_key(CollectorId(COLLECTOR), 3, NOW).is_none(), "never substitutes");
    // Replace: version 1 disappears.
    store.apply_key_bundle(&[issuer_keys(ISSUER, COLLECTOR, &[3], 3)]).unwrap();
    assert!(kr.collector_key(CollectorId(COLLECTOR), 1, NOW).is_none());
    assert!(kr.collector_key(CollectorId(COLLECTOR), 3, NOW).is_some());
    // A bundle with one bad key changes nothing.
    let mut bad = issuer_keys(ISSUER, COLLECTOR, &[4, 5], 3);
    bad.keys[1].public_key_sec1 = vec![4; 65];
    assert!(matches!(store.apply_key_bundle(&[bad]), Err(StoreError::Invalid(_))));
    assert!(kr.collector_key(CollectorId(COLLECTOR), 3, NOW).is_some());
    assert!(kr.collector_key(CollectorId(COLLECTOR), 4, NOW).is_none());
    // Validity window.
    let mut timed = issuer_keys(ISSUER, COLLECTOR, &[6], 3);
    timed.keys[0].valid_from = Some(NOW.0 + 1);
    store.apply_key_bundle(&[timed]).unwrap();
    assert!(kr.collector_key(CollectorId(COLLECTOR), 6, NOW).is_none());
    assert!(kr.collector_key(CollectorId(COLLECTOR), 6, NOW.plus_millis(1)).is_some());
    // A collector moving to another issuer leaves the first.
    store.apply_key_bundle(&[issuer_keys(77, COLLECTOR, &[1], 8)]).unwrap();
    let issuers = store.issuers().unwrap();
    let first = issuers.iter().find(|i| i.issuer_id == ISSUER).unwrap();
    assert!(first.collectors.is_empty() && first.keys.is_empty());
    assert_eq!(store.prepare_tap().issuer_of(CollectorId(COLLECTOR)), Some(77));
    assert_eq!(store.collector_keys().unwrap().len(), 1);
}

#[test]
fn push_is_applied_only_for_redeemable_passes() {
    let (_d, path) = tmp();
    let store = Store::open(&path, &key(1)).unwrap();
    store
        .apply_key_bundle(&[
            issuer_keys(ISSUER, COLLECTOR, &[1], 1),
            issuer_keys(42, 4242, &[1], 2),
        ])
        .unwrap();
    let (c, o) = batch(0, 1, ISSUER);
    store.import_class(&c, &o).unwrap();
    let push = PushData {
        services: vec![ServiceStatusUpdate {
            object_ref: object_ref(&o[0].object_id),
            usage: Some(UsageUpdate { status: 1, title: Some("ok".into()), description: None }),
            operation: Some((3, vec![0, 5])),
        }],
        ..Default::default()
    };
    // Unauthenticated or foreign collector: discarded.
    assert_eq!(store.on_push(None, &push, NOW), Ok(0));
    assert_eq!(store.on_push(Some(CollectorId(4242)), &push, NOW), Ok(0));
    assert_eq!(store.on_push(Some(CollectorId(COLLECTOR)), &push, NOW), Ok(1));
    // Durable before the acknowledgement: on file at once, and the next tap sees it.
    assert!(store.prepare_tap().applicable_updates(Some(CollectorId(COLLECTOR)), &push) == 1);
    let lp = store.pass(&o[0].object_id).unwrap().unwrap().1.last_push.unwrap();
    assert_eq!(
        (lp.collector, lp.usage_status, lp.operation),
        (COLLECTOR, Some(1), Some((3, vec![0, 5])))
    );
    assert_eq!(store.events(1).unwrap()[0].kind, "push");
}

#[test]
fn event_log_is_capped_and_ordered() {
    let (_d, path) = tmp();
    let opts = StoreOptions { event_cap: 5, ..Default::default() };
    let store = Store::open_with(&path, &key(1), opts).unwrap();
    for i in 0..12 {
        let e = EventRecord {
            seq: 0,
            at: i,
            kind: "test".into(),
            collector: None,
            object_id: None,
            detail: Some(i.to_string()),
        };
        assert_eq!(store.append_event(e).unwrap(), i as u64);
    }
    let ev = store.events(100).unwrap();
    assert_eq!(ev.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![7, 8, 9, 10, 11]);
    assert_eq!(store.events(2).unwrap().iter().map(|e| e.at).collect::<Vec<_>>(), vec![10, 11]);
    // Events from the APDU path are queued, then flushed.
    use hce_wallet_core::events::WalletEvent;
    use hce_wallet_core::ports::EventSink;
    store.emit(WalletEvent::NothingEligible { collector: CollectorId(9) });
    assert_eq!(store.flush_events().unwrap(), 1);
    assert_eq!(store.events(1).unwrap()[0].kind, "tap.nothing_eligible");
}

#[test]
fn rekey_re_encrypts_everything() {
    let (_d, path) = tmp();
    let store = Store::open(&path, &key(1)).unwrap();
    let (c, o) = batch(0, 4, ISSUER);
    store.import_class(&c, &o).unwrap();
    store.apply_key_bundle(&[issuer_keys(ISSUER, COLLECTOR, &[1], 1)]).unwrap();
    store.set_setting("x", "y").unwrap();
    let before = store.verify_all().unwrap();
    assert_eq!(store.rekey(&key(2)).unwrap(), before);
    assert!(matches!(store.select(&req(COLLECTOR)), Selection::ChooserRequired { .. }));
    drop(store);
    assert!(matches!(Store::open(&path, &key(1)), Err(StoreError::WrongKey)));
    let store = Store::open(&path, &key(2)).unwrap();
    assert_eq!(store.verify_all().unwrap(), before);
    assert_eq!(store.pass(&o[2].object_id).unwrap().unwrap().1, o[2]);
}

#[test]
fn import_rejects_bad_input_atomically() {
    let (_d, path) = tmp();
    let store = Store::open(&path, &key(1)).unwrap();
    let (c, mut o) = batch(0, 2, ISSUER);
    o[1].object_id = o[0].object_id.clone();
    assert!(store.import_class(&c, &o).is_err());
    let (c2, mut o2) = batch(1, 2, ISSUER);
    o2[1].redemption_value = Some(hce_wallet_store::SecretString::new("é"));
    assert!(store.import_class(&c2, &o2).is_err());
    // An object may not jump classes.
    let (c3, o3) = batch(2, 1, ISSUER);
    store.import_class(&c3, &o3).unwrap();
    let mut stolen = o3[0].clone();
    stolen.class_id = c.class_id.clone();
    assert!(store.import_class(&c, &[stolen]).is_err());
    assert_eq!(store.pass_count().unwrap(), 1);
}

#[test]
fn root_key_from_file_and_env() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("key.hex");
    std::fs::write(&p, format!("{}\n", "ab".repeat(32))).unwrap();
    let k = RootKey::from_hex_file(&p).unwrap();
    let path = dir.path().join("w.redb");
    drop(Store::open(&path, &k).unwrap());
    assert!(Store::open(&path, &RootKey::from_bytes([0xab; 32])).is_ok());
    std::fs::write(&p, "nothex").unwrap();
    assert!(matches!(RootKey::from_hex_file(&p), Err(StoreError::InvalidKey(_))));
}

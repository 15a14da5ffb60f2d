//! The core's pass model and key bundles through the store: Google Wallet JSON imported by
//! `hce_wallet_core::pass::import_json` is stored whole, and the store's tap decision
//! agrees with the core's `SelectionEngine` on the same passes (differential test).

mod common;

use hce_wallet_core::key_bundle::{
    sign, verify, CollectorEntry, IssuerEntry, KeyBundle, KeyEntry, Limits, PinnedRoots,
};
use hce_wallet_core::key_ring::KeyRing;
use hce_wallet_core::pass::{import_json, Issuer};
use hce_wallet_core::ports::{CollectorId, IssuerKeyRing, Selection, SelectionRequest, UiContext};
use hce_wallet_core::selection::SelectionEngine;
use hce_wallet_core::sync::SyncState;
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::{BundleOutcome, Store, StoreError};
use p256::ecdsa::SigningKey;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/fixtures/passes/good/");
const NOW: Timestamp = Timestamp(1_795_000_000_000);
/// (issuer, collector) pairs of the coffee fixture's world.
const WORLD: [(u64, u32); 3] = [(123, 11_111_111), (456, 44_444_444), (789, 77_777_777)];

#[test]
fn imported_json_round_trips_and_decisions_match_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("m.redb"), &common::key(1)).unwrap();
    let engine = SelectionEngine::default();
    // The store's tap snapshot holds no UI context: compare with an engine on the home
    // screen (engines start Locked, fail-closed).
    engine.set_ui_context(UiContext::Home);
    let mut issuers = Vec::new();
    for (issuer, collector) in WORLD {
        engine
            .insert_issuer(Issuer {
                id: issuer,
                name: format!("i{issuer}"),
                collector_ids: vec![CollectorId(collector)],
            })
            .unwrap();
        issuers.push(common::issuer_keys(issuer, collector, &[1], issuer as u8));
    }
    store.apply_key_bundle(&issuers).unwrap();
    let mut fixtures = 0;
    for entry in std::fs::read_dir(FIXTURES).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let Ok(batch) = import_json(&text) else { continue };
        // The store refuses objects whose class it has not seen; such files are skipped
        // for both sides.
        if store.import_batch(&batch).is_err() {
            continue;
        }
        engine.apply_import(batch.clone()).unwrap();
        for o in &batch.objects {
            let (_, rec) = store.pass(&o.id).unwrap().unwrap();
            assert_eq!(rec.model.as_ref(), Some(o), "model stored whole");
        }
        fixtures += 1;
    }
    assert!(fixtures > 0);
    assert_eq!(store.pass_count().unwrap() as usize, engine.object_count());
    let mut compared = 0;
    for (_, collector) in WORLD.iter().copied().chain([(0, 99_999_999)]) {
        for service_types in [vec![0x00], vec![0x03], vec![0x05]] {
            for now in [NOW, Timestamp(0), Timestamp(4_000_000_000_000)] {
                let req = SelectionRequest {
                    collector: CollectorId(collector),
                    service_types: service_types.clone(),
                    now,
                };
                let ours = store.prepare_tap().select(&req);
                let theirs = engine.decide(&req);
                let norm = |s: Selection| match s {
                    Selection::ChooserRequired { mut candidates } => {
                        candidates.sort();
                        Selection::ChooserRequired { candidates }
                    }
                    other => other,
                };
                assert_eq!(
                    norm(ours),
                    norm(theirs),
                    "collector {collector} {service_types:?} {now:?}"
                );
                compared += 1;
            }
        }
    }
    // An engine rebuilt from the store's snapshot decides like the store.
    let rebuilt =
        SelectionEngine::from_snapshot(store.engine_snapshot().unwrap(), Default::default())
            .unwrap();
    rebuilt.set_ui_context(UiContext::Home);
    assert_eq!(rebuilt.object_count(), engine.object_count());
    for (_, collector) in WORLD {
        let req = SelectionRequest {
            collector: CollectorId(collector),
            service_types: vec![0],
            now: NOW,
        };
        assert_eq!(rebuilt.decide(&req), engine.decide(&req));
    }
    println!("model: {fixtures} fixtures imported, {compared} decisions equal to the engine's");
}

fn signed(sequence: u64, issuers: Vec<IssuerEntry>, root: &SigningKey) -> Vec<u8> {
    let bundle = KeyBundle {
        sequence,
        issued_at: Timestamp(NOW.0 - 1000),
        expires_at: Timestamp(NOW.0 + 86_400_000),
        issuers,
    };
    sign(&bundle, root).unwrap()
}

fn entry(issuer: u64, collector: u32, version: u32) -> IssuerEntry {
    let sk = SigningKey::from_slice(&[version as u8 + 1; 32]).unwrap();
    IssuerEntry {
        issuer_id: issuer,
        collectors: vec![CollectorEntry {
            collector_id: CollectorId(collector),
            keys: vec![KeyEntry {
                version,
                public_key: p256::PublicKey::from(sk.verifying_key()),
                // Bundles carry whole seconds.
                not_before: Timestamp(NOW.0 - 10_000),
                not_after: Timestamp(NOW.0 + 10_000),
            }],
        }],
    }
}

#[test]
fn verified_bundles_replace_the_ring_with_rollback_protection() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("b.redb"), &common::key(1)).unwrap();
    let root = SigningKey::from_slice(&[9; 32]).unwrap();
    let roots = PinnedRoots::new([p256::PublicKey::from(root.verifying_key())]);
    let v =
        |seq, issuers| verify(&signed(seq, issuers, &root), &roots, &Limits::default()).unwrap();
    let b2 = v(2, vec![entry(1, 100, 1), entry(2, 200, 1)]);
    assert_eq!(store.apply_verified_bundle(&b2, NOW).unwrap(), BundleOutcome::Applied { keys: 2 });
    assert!(store.collector_key(CollectorId(200), 1, NOW).is_some());
    assert!(
        store.collector_key(CollectorId(200), 1, Timestamp(NOW.0 + 10_000)).is_none(),
        "not_after is exclusive"
    );
    assert!(store.collector_key(CollectorId(200), 1, Timestamp(NOW.0 + 9_999)).is_some());
    assert_eq!(store.apply_verified_bundle(&b2, NOW).unwrap(), BundleOutcome::AlreadyCurrent);
    // The next bundle drops issuer 2 entirely.
    let b3 = v(3, vec![entry(1, 100, 2)]);
    store.apply_verified_bundle(&b3, NOW).unwrap();
    assert!(store.collector_key(CollectorId(200), 1, NOW).is_none());
    assert!(store.collector_key(CollectorId(100), 1, NOW).is_none());
    assert!(store.collector_key(CollectorId(100), 2, NOW).is_some());
    // Rollback and expiry are refused and change nothing.
    assert!(matches!(store.apply_verified_bundle(&b2, NOW), Err(StoreError::Invalid(_))));
    let late = Timestamp(NOW.0 + 86_400_000);
    assert!(store.apply_verified_bundle(&v(4, vec![]), late).is_err());
    assert!(store.collector_key(CollectorId(100), 2, NOW).is_some());
}

#[test]
fn the_core_key_ring_and_sync_state_round_trip_through_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.redb");
    let root = SigningKey::from_slice(&[9; 32]).unwrap();
    let roots = PinnedRoots::new([p256::PublicKey::from(root.verifying_key())]);
    let v =
        |seq, issuers| verify(&signed(seq, issuers, &root), &roots, &Limits::default()).unwrap();
    let mut ring = KeyRing::new();
    ring.apply(&v(7, vec![entry(1, 100, 1), entry(2, 200, 3)]), NOW).unwrap();
    let sync =
        SyncState { etag: Some("\"e7\"".into()), consecutive_failures: 2, ..SyncState::default() };
    {
        let store = Store::open(&path, &common::key(1)).unwrap();
        assert_eq!(store.key_ring_state().unwrap(), KeyRing::new().state());
        assert_eq!(store.sync_state().unwrap(), None);
        assert!(store.save_key_ring(&ring.state(), &sync).unwrap());
    }
    let store = Store::open(&path, &common::key(1)).unwrap();
    assert_eq!(store.key_ring_state().unwrap(), ring.state(), "lossless");
    assert_eq!(KeyRing::from_state(&store.key_ring_state().unwrap()).unwrap(), ring);
    assert_eq!(store.sync_state().unwrap(), Some(sync.clone()));
    // The store's own tap path sees the same keys.
    assert!(store.collector_key(CollectorId(200), 3, NOW).is_some());
    // Same sequence: only the sync state is written; an older ring is refused.
    let later = SyncState { consecutive_failures: 0, ..sync };
    assert!(!store.save_key_ring(&ring.state(), &later).unwrap());
    assert_eq!(store.sync_state().unwrap(), Some(later.clone()));
    let mut old = KeyRing::new();
    old.apply(&v(6, vec![entry(1, 100, 9)]), NOW).unwrap();
    assert!(matches!(store.save_key_ring(&old.state(), &later), Err(StoreError::Invalid(_))));
    assert!(matches!(
        store.save_key_ring(&KeyRing::new().state(), &later),
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.key_ring_state().unwrap(), ring.state(), "refusals changed nothing");
}

#[test]
fn records_without_a_model_convert_for_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("r.redb"), &common::key(1)).unwrap();
    store
        .apply_key_bundle(&[common::issuer_keys(common::ISSUER, common::COLLECTOR, &[1], 1)])
        .unwrap();
    let (c, mut o) = common::batch(0, 3, common::ISSUER);
    o[0].valid_until = Some(NOW.0);
    o[1].state = hce_wallet_store::ObjectState::Expired;
    store.import_class(&c, &o).unwrap();
    let engine =
        SelectionEngine::from_snapshot(store.engine_snapshot().unwrap(), Default::default())
            .unwrap();
    engine.set_ui_context(UiContext::Home);
    for now in [Timestamp(NOW.0 - 1), NOW, Timestamp(NOW.0 + 1)] {
        let req = SelectionRequest {
            collector: CollectorId(common::COLLECTOR),
            service_types: vec![0],
            now,
        };
        assert_eq!(store.prepare_tap().select(&req), engine.decide(&req), "{now:?}");
    }
}

/// Every vertical's display details (`pass::display`) survive the encrypted store and a
/// reopen, whole (the gift card PIN included, sealed like every value).
#[test]
fn display_details_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.redb");
    let display = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/fixtures/passes/display/");
    let mut imported = Vec::new();
    {
        let store = Store::open(&path, &common::key(2)).unwrap();
        for name in ["flight", "event", "transit", "offer", "gift-card", "generic"] {
            let text = std::fs::read_to_string(format!("{display}{name}.json")).unwrap();
            let batch = import_json(&text).unwrap();
            store.import_batch(&batch).unwrap();
            imported.push(batch);
        }
    }
    let store = Store::open(&path, &common::key(2)).unwrap();
    for batch in imported {
        let o = &batch.objects[0];
        let (class, rec) = store.pass(&o.id).unwrap().unwrap();
        assert_eq!(rec.model.as_ref(), Some(o));
        assert_ne!(o.details, Default::default(), "{} has display details", o.id);
        assert_eq!(class.model.as_ref(), Some(&batch.classes[0]));
    }
}

/// An applied pass update is written whole with its sequence; the store itself refuses a
/// replayed or older sequence (whoever asks) and then writes nothing.
#[test]
fn pass_updates_are_sequenced_in_the_store() {
    use hce_wallet_core::pass::update::{apply, decode_payload, Held};
    use hce_wallet_store::PassFeedState;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("u.redb"), &common::key(3)).unwrap();
    let display = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/fixtures/passes/display/");
    let batch =
        import_json(&std::fs::read_to_string(format!("{display}gift-card.json")).unwrap()).unwrap();
    store.import_batch(&batch).unwrap();
    let issuer = 3_388_000_000_022_334_455u64;
    assert_eq!(store.pass_feed_state(issuer).unwrap(), PassFeedState::default());
    let update = |seq: u64| {
        let json = format!(
            r#"{{"v":1,"issuer":"{issuer}","seq":{seq},"iat":1800000000,
                "changes":[{{"expire":{{"id":"3388000000022334455.gift-1"}}}}]}}"#
        );
        let held = Held::new(batch.classes.clone(), batch.objects.clone());
        apply(&decode_payload(json.as_bytes()).unwrap(), &held, None).unwrap()
    };
    let sync = SyncState { etag: Some("\"e2\"".into()), ..SyncState::default() };
    store.apply_pass_update(issuer, &update(2), &sync).unwrap();
    let state = store.pass_feed_state(issuer).unwrap();
    assert_eq!((state.applied_sequence, state.sync.etag.as_deref()), (Some(2), Some("\"e2\"")));
    let (_, rec) = store.pass("3388000000022334455.gift-1").unwrap().unwrap();
    assert_eq!(rec.model.unwrap().state, hce_wallet_core::pass::PassState::Expired);
    let events = store.events(100).unwrap().len();
    for seq in [2, 1] {
        let err = store.apply_pass_update(issuer, &update(seq), &SyncState::default()).unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    }
    assert_eq!(store.pass_feed_state(issuer).unwrap(), state);
    assert_eq!(store.events(100).unwrap().len(), events);
}

//! Issue #12 (cold start): the core's engine over the store's records
//! (`SelectionEngine::backed`) loads nothing at open, decrypts only the candidates of the
//! collector's issuer at a tap, and decides exactly as an engine given every pass up front.

mod common;

use std::sync::Arc;

use hce_wallet_core::pass::{import_json, Issuer};
use hce_wallet_core::ports::{
    CollectorId, PassSource, PushData, Selection, SelectionRequest, ServiceStatusUpdate, UiContext,
    UsageUpdate,
};
use hce_wallet_core::selection::{PassRecords, SelectionEngine};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::{object_ref, Store};

const NOW: Timestamp = Timestamp(1_795_000_000_000);
const ISSUERS: u64 = 50;

/// Loyalty classes `first..first + classes` of 10 objects each, class `c` redeemable by
/// issuer `1000 + c % 50`.
fn passes_json(first: usize, classes: usize) -> String {
    let mut cls = Vec::new();
    let mut objs = Vec::new();
    for c in first..first + classes {
        let issuer = 1_000 + (c as u64 % ISSUERS);
        cls.push(format!(
            r#"{{"id":"{issuer}.class{c}","issuerName":"I","programName":"P","reviewStatus":"UNDER_REVIEW","enableSmartTap":true,"redemptionIssuers":["{issuer}"]}}"#
        ));
        for o in 0..10 {
            objs.push(format!(
                r#"{{"id":"{issuer}.c{c}o{o}","classId":"{issuer}.class{c}","state":"ACTIVE","smartTapRedemptionValue":"V-{c}-{o}"}}"#
            ));
        }
    }
    format!(r#"{{"loyaltyClasses":[{}],"loyaltyObjects":[{}]}}"#, cls.join(","), objs.join(","))
}

fn collector(issuer: u64) -> CollectorId {
    CollectorId(u32::try_from(issuer).unwrap() * 10)
}

fn setup(dir: &std::path::Path) -> (Arc<Store>, Vec<Issuer>) {
    let store = Store::open(dir.join("l.redb"), &common::key(1)).unwrap();
    let keys: Vec<_> = (0..ISSUERS)
        .map(|i| common::issuer_keys(1_000 + i, collector(1_000 + i).0, &[1], i as u8 + 1))
        .collect();
    store.apply_key_bundle(&keys).unwrap();
    for first in [0, 50] {
        store.import_batch(&import_json(&passes_json(first, 50)).unwrap()).unwrap();
    }
    let issuers = (0..ISSUERS)
        .map(|i| Issuer {
            id: 1_000 + i,
            name: String::new(),
            collector_ids: vec![collector(1_000 + i)],
        })
        .collect();
    (Arc::new(store), issuers)
}

fn engines(store: &Arc<Store>, issuers: Vec<Issuer>) -> (SelectionEngine, SelectionEngine) {
    let records: Arc<dyn PassRecords> = store.clone();
    let lazy = SelectionEngine::backed(issuers, records, Default::default()).unwrap();
    let eager =
        SelectionEngine::from_snapshot(store.engine_snapshot().unwrap(), Default::default())
            .unwrap();
    lazy.set_ui_context(UiContext::Home);
    eager.set_ui_context(UiContext::Home);
    (lazy, eager)
}

fn req(issuer: u64) -> SelectionRequest {
    SelectionRequest { collector: collector(issuer), service_types: vec![0], now: NOW }
}

#[test]
fn a_tap_loads_only_its_issuers_candidates_and_decides_as_the_eager_engine() {
    let dir = tempfile::tempdir().unwrap();
    let (store, issuers) = setup(dir.path());
    let (lazy, eager) = engines(&store, issuers);
    assert_eq!(eager.object_count(), 1_000);
    assert_eq!(lazy.loaded_object_count(), 0, "nothing loaded at open");

    assert!(lazy.could_redeem(collector(1_003), NOW));
    // Issuer 1003 redeems classes 3 and 53: 20 objects, and only those are decrypted.
    assert_eq!(lazy.loaded_object_count(), 20);
    let d = lazy.decide(&req(1_003));
    assert!(matches!(&d, Selection::ChooserRequired { candidates } if candidates.len() == 20));
    assert_eq!(d, eager.decide(&req(1_003)));
    assert_eq!(lazy.loaded_object_count(), 20, "a second tap reads nothing more");
    // An unknown collector loads nothing.
    let unknown = SelectionRequest { collector: CollectorId(7), ..req(1_003) };
    assert_eq!(lazy.decide(&unknown), Selection::NothingEligible);
    assert_eq!(lazy.loaded_object_count(), 20);

    // The chooser picks and per-pass switches behave as on the eager engine.
    for e in [&lazy, &eager] {
        e.choose("1007.c57o3", NOW).unwrap();
        e.set_user_smart_tap_disabled("1007.c7o1", true).unwrap();
    }
    assert_eq!(lazy.decide(&req(1_007)), eager.decide(&req(1_007)));
    assert!(matches!(lazy.decide(&req(1_007)), Selection::Send(p) if p.object_id == "1007.c57o3"));

    // Listing loads everything, once, and agrees.
    assert_eq!(lazy.objects(), eager.objects());
    assert_eq!(lazy.loaded_object_count(), 1_000);
}

#[test]
fn memory_wins_over_older_records() {
    let dir = tempfile::tempdir().unwrap();
    let (store, issuers) = setup(dir.path());
    let (lazy, _) = engines(&store, issuers);
    // Removed and changed in memory (the caller has not written the store yet): a later
    // load of the issuer's candidates must not bring the stored copies back.
    assert!(lazy.remove_object("1009.c9o0").is_some());
    let push = PushData {
        services: ["1009.c59o4", "1009.c9o1"]
            .iter()
            .map(|id| ServiceStatusUpdate {
                object_ref: object_ref(id),
                usage: Some(UsageUpdate { status: 1, ..UsageUpdate::default() }),
                ..ServiceStatusUpdate::default()
            })
            .collect(),
        ..PushData::default()
    };
    let mut changed = lazy.object("1009.c59o4").unwrap();
    changed.user_smart_tap_disabled = true;
    lazy.upsert_object(changed).unwrap();
    let d = lazy.decide(&req(1_009));
    let Selection::ChooserRequired { candidates } = d else { panic!("{d:?}") };
    assert_eq!(candidates.len(), 18);
    assert!(!candidates.iter().any(|c| c == "1009.c9o0" || c == "1009.c59o4"));
    // PUSH DATA may not touch a pass the user switched Smart Tap off for (§6.6).
    assert_eq!(lazy.apply_push(collector(1_009), &push, NOW), vec!["1009.c9o1".to_owned()]);
    assert!(lazy.object("1009.c9o1").unwrap().last_terminal_update.is_some());
    assert_eq!(lazy.objects().len(), 999);
    assert!(lazy.object("1009.c9o0").is_none());
}

#[test]
fn listing_keeps_classes_without_objects() {
    let dir = tempfile::tempdir().unwrap();
    let (store, issuers) = setup(dir.path());
    let mut batch = import_json(&passes_json(500, 1)).unwrap();
    batch.objects.clear();
    store.import_batch(&batch).unwrap();
    let (lazy, eager) = engines(&store, issuers);
    let (l, e) = (lazy.snapshot(), eager.snapshot());
    assert_eq!(l.classes.len(), 101);
    assert!(l.classes == e.classes && l.objects == e.objects, "same passes as the eager engine");
    assert!(lazy.class("1000.class500").is_some());
}

/// A value swapped on disk (it no longer authenticates under its key): the engine that
/// read everything at open refused the whole store; the lazy one skips that pass, at a
/// tap and in the listing, and keeps the others.
#[test]
fn an_unreadable_pass_is_skipped_not_fatal() {
    use hce_wallet_store::redb::{self, ReadableTable, TableDefinition};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.redb");
    let issuers = {
        let (store, issuers) = setup(dir.path());
        drop(store);
        issuers
    };
    {
        let t: TableDefinition<'static, &'static [u8], &'static [u8]> =
            TableDefinition::new("pass_objects");
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(t).unwrap();
            // The first object's value under the second object's key.
            let (v0, k1) = {
                let mut it = table.iter().unwrap();
                let (_, v0) = it.next().unwrap().unwrap();
                let (k1, _) = it.next().unwrap().unwrap();
                (v0.value().to_vec(), k1.value().to_vec())
            };
            table.insert(&k1[..], &v0[..]).unwrap();
        }
        txn.commit().unwrap();
    }
    let store = Arc::new(Store::open(&path, &common::key(1)).unwrap());
    assert!(store.engine_snapshot().is_err(), "the read-everything path refuses");
    let records: Arc<dyn PassRecords> = store.clone();
    let lazy = SelectionEngine::backed(issuers, records, Default::default()).unwrap();
    lazy.set_ui_context(UiContext::Home);
    assert_eq!(lazy.objects().len(), 999);
    let mut eligible = 0;
    for i in 0..ISSUERS {
        if let Selection::ChooserRequired { candidates } = lazy.decide(&req(1_000 + i)) {
            eligible += candidates.len();
        }
    }
    assert_eq!(eligible, 999);
}

//! The engine's API beyond the seed tables: updates and removals keep the index right,
//! changes are refused whole, snapshots rebuild the same engine, PUSH DATA is applied only
//! for redeeming collectors (spec §6.6), local validity times follow the user's zone, and
//! the engine is shared safely between threads.

use std::sync::Arc;

use hce_wallet_core::pass::{
    import_json, object_ref, parse_date_time, BalanceValue, Issuer, PassState, SupValueEncoding,
};
use hce_wallet_core::ports::{
    CollectorId, PassSource, PushData, PushListener, Selection, SelectionRequest,
    ServiceStatusUpdate, UiContext, UsageUpdate,
};
use hce_wallet_core::selection::{
    EngineError, EngineSnapshot, Ineligible, SelectionConfig, SelectionEngine,
};
use hce_wallet_core::time::Timestamp;

const COFFEE_FOO: CollectorId = CollectorId(44_444_444);
const MOCHA_R_US: CollectorId = CollectorId(77_777_777);
const R_BASIC: &str = "123.customer-r-basic";
const MY_REWARDS: &str = "456.customer-my-rewards";

fn now() -> Timestamp {
    parse_date_time("2026-11-23T12:00:00Z").unwrap().instant(0)
}

fn request(collector: CollectorId) -> SelectionRequest {
    SelectionRequest { collector, service_types: vec![0x00], now: now() }
}

fn issuer(id: u64, collectors: &[u32]) -> Issuer {
    Issuer {
        id,
        name: format!("issuer {id}"),
        collector_ids: collectors.iter().copied().map(CollectorId).collect(),
    }
}

fn coffee() -> SelectionEngine {
    let engine = SelectionEngine::default();
    // Engines start Locked (fail-closed); these decisions are made on the home screen.
    engine.set_ui_context(UiContext::Home);
    engine.insert_issuer(issuer(123, &[11_111_111])).unwrap();
    engine.insert_issuer(issuer(456, &[44_444_444])).unwrap();
    engine.insert_issuer(issuer(789, &[77_777_777])).unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/passes/good/seeds-coffee.json"
    ))
    .unwrap();
    engine.apply_import(import_json(&text).unwrap()).unwrap();
    engine
}

fn sent(s: Selection) -> String {
    match s {
        Selection::Send(p) => p.object_id,
        other => panic!("expected a pass, got {other:?}"),
    }
}

#[test]
fn the_engine_is_a_shareable_pass_source_and_push_listener() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SelectionEngine>();
    let engine = Arc::new(coffee());
    let source: Arc<dyn PassSource> = engine.clone();
    let listener: Arc<dyn PushListener> = engine.clone();
    assert!(source.could_redeem(COFFEE_FOO, now()));
    assert_eq!(listener.on_push(None, &PushData::default(), now()), Ok(0));
}

#[test]
fn a_snapshot_rebuilds_the_same_engine_through_cbor() {
    let engine = coffee();
    engine.set_user_smart_tap_disabled(MY_REWARDS, true).unwrap();
    let snap = engine.snapshot();
    let mut buf = Vec::new();
    ciborium::into_writer(&snap, &mut buf).unwrap();
    let back: EngineSnapshot = ciborium::from_reader(&buf[..]).unwrap();
    assert_eq!(back, snap);
    let rebuilt = SelectionEngine::from_snapshot(back, SelectionConfig::default()).unwrap();
    assert_eq!(rebuilt.snapshot(), snap);
    // The UI context is not persisted: a rebuilt engine starts Locked (fail-closed).
    assert_eq!(rebuilt.ui_context(), UiContext::Locked);
    rebuilt.set_ui_context(UiContext::Home);
    for c in [11_111_111, 44_444_444, 77_777_777] {
        assert_eq!(rebuilt.candidates(CollectorId(c)), engine.candidates(CollectorId(c)));
        assert_eq!(
            rebuilt.select(&request(CollectorId(c))),
            engine.select(&request(CollectorId(c)))
        );
    }
    assert_eq!(sent(rebuilt.select(&request(COFFEE_FOO))), R_BASIC);
}

#[test]
fn a_collector_belongs_to_one_issuer() {
    let engine = coffee();
    let before = engine.snapshot();
    let err = engine.insert_issuer(issuer(999, &[55, 44_444_444])).unwrap_err();
    assert_eq!(err.to_string(), "collector 44444444 already belongs to issuer 456");
    assert_eq!(engine.snapshot(), before);
    assert!(engine.issuer(999).is_none());
    // Moving it: release from the old owner first.
    engine.insert_issuer(issuer(456, &[])).unwrap();
    engine.insert_issuer(issuer(999, &[44_444_444])).unwrap();
    assert!(engine.candidates(COFFEE_FOO).is_empty(), "999 redeems no held pass");
}

#[test]
fn issuer_class_and_object_changes_reindex() {
    let engine = coffee();
    assert_eq!(engine.candidates(COFFEE_FOO), [R_BASIC, MY_REWARDS]);
    // Coffee-Foo loses its collector, then gets it back.
    engine.insert_issuer(issuer(456, &[])).unwrap();
    assert!(engine.candidates(COFFEE_FOO).is_empty());
    assert!(!engine.could_redeem(COFFEE_FOO, now()));
    engine.insert_issuer(issuer(456, &[44_444_444])).unwrap();
    assert_eq!(engine.candidates(COFFEE_FOO), [R_BASIC, MY_REWARDS]);
    // R-Basic stops listing 456: only My Rewards is left, so it is sent without a chooser.
    let mut r_basic = engine.class("123.r-basic").unwrap();
    r_basic.redemption_issuers = vec![789];
    engine.insert_class(r_basic).unwrap();
    assert_eq!(engine.candidates(COFFEE_FOO), [MY_REWARDS]);
    assert_eq!(sent(engine.select(&request(COFFEE_FOO))), MY_REWARDS);
    // An object moved to another class follows it.
    let mut o = engine.object(MY_REWARDS).unwrap();
    o.class_id = "123.r-basic".into();
    engine.upsert_object(o).unwrap();
    assert!(engine.candidates(COFFEE_FOO).is_empty());
    assert_eq!(engine.candidates(MOCHA_R_US), [R_BASIC, MY_REWARDS]);
    // Removing the class keeps its objects, which are then never eligible.
    engine.remove_class("123.r-basic").unwrap();
    assert!(engine.candidates(MOCHA_R_US).is_empty());
    assert_eq!(engine.eligibility(R_BASIC, &request(MOCHA_R_US)), Err(Ineligible::UnknownClass));
    assert_eq!(engine.object_count(), 2);
}

#[test]
fn an_issuer_update_replaces_the_object_but_keeps_the_users_toggle() {
    let engine = coffee();
    engine.set_user_smart_tap_disabled(R_BASIC, true).unwrap();
    let update = r#"{"loyaltyObjects":[{"id":"123.customer-r-basic","classId":"123.r-basic",
        "state":"EXPIRED","smartTapRedemptionValue":"RB-0002"}]}"#;
    let report = engine.apply_import(import_json(update).unwrap()).unwrap();
    assert_eq!((report.objects_replaced, report.objects_added), (1, 0));
    let o = engine.object(R_BASIC).unwrap();
    assert_eq!(o.state, PassState::Expired);
    assert_eq!(o.smart_tap_redemption_value.unwrap().expose().as_str(), "RB-0002");
    assert!(o.user_smart_tap_disabled);
    assert_eq!(sent(engine.select(&request(COFFEE_FOO))), MY_REWARDS);
}

#[test]
fn type_mismatches_are_refused_whole() {
    let engine = coffee();
    let before = engine.snapshot();
    // An offer object pointing at a loyalty class already held.
    let bad = r#"{"offerObjects":[{"id":"9.new","classId":"9.c"},
                  {"id":"9.o","classId":"456.my-rewards"}]}"#;
    let err = engine.apply_import(import_json(bad).unwrap()).unwrap_err();
    assert!(matches!(err, EngineError::TypeMismatch { .. }), "{err}");
    assert_eq!(engine.snapshot(), before, "the good object of the batch was not imported either");
    // A class re-imported as another vertical while its loyalty objects are held.
    let bad = r#"{"genericClasses":[{"id":"456.my-rewards"}]}"#;
    assert!(engine.apply_import(import_json(bad).unwrap()).is_err());
    let mut c = engine.class("456.my-rewards").unwrap();
    c.pass_type = hce_wallet_core::ports::PassType::Generic;
    assert!(engine.insert_class(c).is_err());
    let mut o = engine.object(MY_REWARDS).unwrap();
    o.pass_type = hce_wallet_core::ports::PassType::Offer;
    assert!(engine.upsert_object(o).is_err());
    assert_eq!(engine.snapshot(), before);
}

#[test]
fn removing_a_pass_forgets_the_choice() {
    let engine = coffee();
    engine.choose(MY_REWARDS, now()).unwrap();
    assert_eq!(sent(engine.select(&request(COFFEE_FOO))), MY_REWARDS);
    let removed = engine.remove_object(MY_REWARDS).unwrap();
    assert_eq!(removed.id, MY_REWARDS);
    assert_eq!(sent(engine.select(&request(COFFEE_FOO))), R_BASIC);
    assert_eq!(engine.choose(MY_REWARDS, now()), Err(EngineError::UnknownPass(MY_REWARDS.into())));
    // Re-adding it does not resurrect the old choice.
    engine.upsert_object(removed).unwrap();
    assert!(matches!(engine.select(&request(COFFEE_FOO)), Selection::ChooserRequired { .. }));
}

#[test]
fn the_object_ref_matches_the_vector() {
    let dir = std::env::var("HCE_SHARED_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared").into());
    let text =
        std::fs::read_to_string(format!("{dir}/vectors/smart-tap/e2e-loyalty-2018.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let id = v["pass"]["object_id"].as_str().unwrap();
    let want = v["pass"]["object_id_record_value_hex"].as_str().unwrap();
    assert_eq!(hex::encode(object_ref(id)), want);
}

fn push_for(object_id: &str, op: Option<(u8, Vec<u8>)>) -> PushData {
    PushData {
        services: vec![ServiceStatusUpdate {
            object_ref: object_ref(object_id),
            usage: Some(UsageUpdate {
                status: 0x01,
                title: Some("Redeemed".into()),
                description: None,
            }),
            operation: op,
        }],
        ..PushData::default()
    }
}

#[test]
fn push_updates_apply_only_for_a_collector_that_redeems_the_pass() {
    let engine = coffee();
    // Mocha-R-Us may redeem R-Basic, not My Rewards.
    let push = push_for(MY_REWARDS, Some((0x03, vec![0x05])));
    assert_eq!(engine.on_push(Some(MOCHA_R_US), &push, now()), Ok(0));
    assert!(engine.object(MY_REWARDS).unwrap().last_terminal_update.is_none());
    assert_eq!(engine.on_push(None, &push, now()), Ok(0));
    // Coffee-Foo may: the update is recorded raw; the balance (a text) is untouched.
    assert_eq!(engine.apply_push(COFFEE_FOO, &push, now()), [MY_REWARDS]);
    let u = engine.object(MY_REWARDS).unwrap().last_terminal_update.unwrap();
    assert_eq!((u.collector, u.at_ms, u.usage_status), (44_444_444, now().0, Some(1)));
    assert_eq!(
        (u.operation, u.raw_value.as_slice(), u.balance_changed),
        (Some(3), &[5u8][..], false)
    );
    assert_eq!(u.usage_title.as_deref(), Some("Redeemed"));
    // An unknown object ref changes nothing.
    let stranger = push_for("1.nobody", Some((0x02, vec![1])));
    assert_eq!(engine.on_push(Some(COFFEE_FOO), &stranger, now()), Ok(0));
    // A pass the user switched Smart Tap off for takes no updates.
    engine.set_user_smart_tap_disabled(R_BASIC, true).unwrap();
    assert_eq!(engine.on_push(Some(COFFEE_FOO), &push_for(R_BASIC, None), now()), Ok(0));
}

#[test]
fn push_balance_changes_need_a_configured_encoding() {
    let engine = coffee();
    let add_five = push_for(R_BASIC, Some((0x03, vec![0x00, 0x05])));
    engine.on_push(Some(COFFEE_FOO), &add_five, now()).unwrap();
    let balance = |e: &SelectionEngine| e.object(R_BASIC).unwrap().balance.unwrap().value;
    assert_eq!(balance(&engine), BalanceValue::Int(12), "encoding unknown: raw only");
    engine.set_config(SelectionConfig {
        sup_value_encoding: SupValueEncoding::BigEndianSigned,
        ..SelectionConfig::default()
    });
    assert_eq!(engine.on_push(Some(COFFEE_FOO), &add_five, now()), Ok(1));
    assert_eq!(balance(&engine), BalanceValue::Int(17));
    let subtract = push_for(R_BASIC, Some((0x04, vec![0x03])));
    engine.on_push(Some(COFFEE_FOO), &subtract, now()).unwrap();
    assert_eq!(balance(&engine), BalanceValue::Int(14));
    let set = push_for(R_BASIC, Some((0x02, vec![0x64])));
    engine.on_push(Some(COFFEE_FOO), &set, now()).unwrap();
    assert_eq!(balance(&engine), BalanceValue::Int(100));
    // `remove` is recorded, never executed.
    engine.on_push(Some(COFFEE_FOO), &push_for(R_BASIC, Some((0x01, vec![]))), now()).unwrap();
    assert!(engine.object(R_BASIC).is_some());
    assert_eq!(balance(&engine), BalanceValue::Int(100));
}

#[test]
fn local_validity_times_follow_the_users_zone() {
    let engine = coffee();
    let mut o = engine.object(MY_REWARDS).unwrap();
    // Valid from 13:00 local time on the tap day.
    o.valid_time_interval.start = Some(parse_date_time("2026-11-23T13:00:00").unwrap());
    engine.upsert_object(o).unwrap();
    engine.set_ui_context(UiContext::PassOpen(MY_REWARDS.into()));
    // At 12:00 UTC it is 12:00 in London: not yet valid, R-Basic goes instead.
    assert_eq!(sent(engine.select(&request(COFFEE_FOO))), R_BASIC);
    assert_eq!(engine.eligibility(MY_REWARDS, &request(COFFEE_FOO)), Err(Ineligible::NotYetValid));
    // In Zurich (UTC+1) it is 13:00: valid.
    engine.set_local_utc_offset(3600);
    assert_eq!(sent(engine.select(&request(COFFEE_FOO))), MY_REWARDS);
}

#[test]
fn decisions_stay_consistent_while_another_thread_writes() {
    let engine = Arc::new(coffee());
    let writer = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            for i in 0..2_000 {
                let id = format!("456.extra-{i}");
                let text = format!(
                    r#"{{"loyaltyObjects":[{{"id":"{id}","classId":"456.my-rewards",
                        "smartTapRedemptionValue":"X{i}"}}]}}"#
                );
                engine.apply_import(import_json(&text).unwrap()).unwrap();
                if i % 2 == 0 {
                    engine.remove_object(&id);
                }
            }
        })
    };
    let mut decisions = 0;
    while !writer.is_finished() {
        match engine.select(&request(COFFEE_FOO)) {
            Selection::ChooserRequired { candidates } => {
                assert!(candidates.len() >= 2);
                assert!(candidates.iter().all(|c| c.starts_with("456.") || c == R_BASIC));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(engine.select(&request(MOCHA_R_US)) == engine.select(&request(MOCHA_R_US)));
        decisions += 1;
    }
    writer.join().unwrap();
    assert!(decisions > 0);
    assert_eq!(engine.candidates(COFFEE_FOO).len(), 2 + 1_000);
    assert_eq!(engine.candidates(MOCHA_R_US), [R_BASIC]);
}

#[test]
fn an_issuer_pass_update_keeps_the_users_choice() {
    use hce_wallet_core::pass::update::{apply, decode_payload, Held};
    let engine = coffee();
    engine.choose(MY_REWARDS, now()).unwrap();
    assert_eq!(sent(engine.select(&request(COFFEE_FOO))), MY_REWARDS);
    // Issuer 456 raises the stars and sends a message; applied as the wallet does.
    let payload = r#"{"v":1,"issuer":"456","seq":1,"iat":1800000000,"changes":[
        {"upsert":{"loyaltyObjects":[{"id":"456.customer-my-rewards","classId":"456.my-rewards",
          "state":"ACTIVE","smartTapRedemptionValue":"MR-77",
          "loyaltyPoints":{"label":"Stars","balance":{"int":99}}}]}},
        {"addMessage":{"id":"456.my-rewards","message":{"header":"Hello"}}}]}"#;
    let update = decode_payload(payload.as_bytes()).unwrap();
    let snap = engine.snapshot();
    let applied = apply(&update, &Held::new(snap.classes, snap.objects), None).unwrap();
    engine
        .apply_import(hce_wallet_core::pass::ImportBatch {
            classes: applied.classes,
            objects: applied.objects,
        })
        .unwrap();
    let o = engine.object(MY_REWARDS).unwrap();
    assert_eq!(o.balance.unwrap().value, BalanceValue::Int(99));
    assert_eq!(sent(engine.select(&request(COFFEE_FOO))), MY_REWARDS, "the choice survived");
}

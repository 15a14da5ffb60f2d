//! The selection engine as the real `PassSource` and `PushListener` behind the Smart Tap
//! applet (issue #5): passes imported from JSON, taps replayed from the
//! `e2e-loyalty-2018` vector (collector 20180608, key version 1) with the vector's
//! randomness injected, so every answer can be checked against the vector or decrypted
//! with its session keys.

mod smart_tap_support;

use std::sync::Arc;

use hce_wallet_core::events::{AuthFailure, WalletEvent};
use hce_wallet_core::pass::{import_json, Issuer, PassState};
use hce_wallet_core::ports::{EventLog, FixedClock, UiContext};
use hce_wallet_core::router::{Deactivation, Router};
use hce_wallet_core::selection::SelectionEngine;
use hce_wallet_core::smart_tap::{SmartTapApplet, SmartTapConfig, SmartTapPorts};
use serde_json::Value;
use smart_tap_support::*;

const DEMO_ISSUER: u64 = 3_265_320_111_641_956_183;
const DEMO: &str = "3265320111641956183.0619_googleDemoTest-obj01";
const SECOND: &str = "3265320111641956183.second-card";

/// The demo class and pass of the vector, as a REST list response; the demo issuer
/// redeems its own class and owns the vector's collector.
fn engine() -> Arc<SelectionEngine> {
    let engine = SelectionEngine::default();
    engine
        .insert_issuer(Issuer {
            id: DEMO_ISSUER,
            name: "Demo".into(),
            collector_ids: vec![COLLECTOR],
        })
        .unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/passes/good/list-response.json"
    ))
    .unwrap();
    engine.apply_import(import_json(&text).unwrap()).unwrap();
    // The engine starts Locked (fail-closed); these taps happen on the home screen.
    engine.set_ui_context(UiContext::Home);
    Arc::new(engine)
}

fn add_second_pass(engine: &SelectionEngine) {
    let second = format!(
        r#"{{"loyaltyObjects":[{{"id":"{SECOND}","classId":"3265320111641956183.0619_googleDemoTest",
            "state":"ACTIVE","smartTapRedemptionValue":"4242"}}]}}"#
    );
    engine.apply_import(import_json(&second).unwrap()).unwrap();
}

struct Wallet {
    router: Router,
    events: Arc<EventLog>,
    random: ScriptedRandom,
}

impl Wallet {
    fn new(engine: &Arc<SelectionEngine>) -> Wallet {
        let events = Arc::new(EventLog::default());
        let random = ScriptedRandom::default();
        push_handset_randomness(&random);
        let ports = SmartTapPorts {
            key_ring: Arc::new(vector_key_ring()),
            passes: engine.clone(),
            push: Some(engine.clone()),
            events: events.clone(),
            random: Box::new(random.clone()),
            clock: Arc::new(FixedClock(NOW)),
            payment: None,
        };
        let mut router = Router::new();
        router.register(Box::new(SmartTapApplet::new(ports, SmartTapConfig::default()).unwrap()));
        Wallet { router, events, random }
    }

    fn send(&mut self, apdu: &[u8]) -> (Vec<u8>, u16) {
        let r = self.router.dispatch(apdu);
        (r.data, r.sw.0)
    }

    /// SELECT OSE, SELECT Smart Tap 2 and NEGOTIATE of the vector (the handset nonce and
    /// ephemeral key are the vector's); returns the NEGOTIATE status word.
    fn authenticate(&mut self, v: &Value) -> u16 {
        assert_eq!(self.send(&hx(v, "/steps/0/command_hex")).1, 0x9000);
        assert_eq!(self.send(&hx(v, "/steps/1/command_hex")).1, 0x9000);
        self.send(&hx(v, "/steps/2/command_hex")).1
    }

    /// GET SMART TAP DATA of the vector's variant A, with its IV injected when a pass is
    /// expected to be sent.
    fn get_data(&mut self, v: &Value, sends: bool) -> (Vec<u8>, u16) {
        if sends {
            self.random.push(hx(v, "/get_data/variants/0/iv_hex"));
        }
        self.send(&hx(v, "/get_data/variants/0/command_hex"))
    }

    /// The phone leaves the field; the applet re-arms with the vector's randomness again.
    fn end_tap(&mut self) {
        push_handset_randomness(&self.random);
        self.router.deactivate(Deactivation::LinkLoss);
        self.events.take();
    }
}

fn push_handset_randomness(random: &ScriptedRandom) {
    let v = e2e();
    random.push(hx(&v, "/handset/nonce_hex"));
    random.push(hx(&v, "/handset/ephemeral_private_key_hex"));
}

#[test]
fn an_imported_pass_answers_the_vector_tap_byte_for_byte() {
    let v = e2e();
    let engine = engine();
    let mut wallet = Wallet::new(&engine);
    assert_eq!(wallet.authenticate(&v), 0x9000);
    let (data, sw) = wallet.get_data(&v, true);
    assert_eq!(rapdu_hex(&data, sw), text(&v, "/get_data/variants/0/response_apdu_hex"));
    assert_eq!(
        wallet.events.take(),
        [
            WalletEvent::Authenticated { collector: COLLECTOR, key_version: 1 },
            WalletEvent::PassSent { collector: COLLECTOR, object_id: DEMO.into() },
        ]
    );
}

#[test]
fn the_chooser_flow_first_tap_chooses_second_tap_sends_the_pick() {
    let v = e2e();
    let engine = engine();
    add_second_pass(&engine);
    let mut wallet = Wallet::new(&engine);

    // First tap: two eligible passes, nothing chosen → 9302 and the carousel event.
    assert_eq!(wallet.authenticate(&v), 0x9000);
    assert_eq!(wallet.get_data(&v, false), (vec![], 0x9302));
    let events = wallet.events.take();
    assert_eq!(
        events.last(),
        Some(&WalletEvent::ChooserRequired {
            collector: COLLECTOR,
            candidates: vec![DEMO.into(), SECOND.into()],
        })
    );
    wallet.end_tap();

    // The app shows the carousel, the user picks the second card.
    assert_eq!(engine.choose(SECOND, NOW).unwrap(), 1);

    // Second tap: the pick is sent.
    assert_eq!(wallet.authenticate(&v), 0x9000);
    let (data, sw) = wallet.get_data(&v, true);
    assert_eq!(sw, 0x9000);
    let (enc, mac) = vector_keys();
    let opened = open_srs(&data, &enc, &mac);
    assert!(opened.body.windows(5).any(|w| w == b"\x004242"), "the pick's value is in the bundle");
    assert!(!opened.body.windows(5).any(|w| w == b"\x002018"), "the other pass is not");
    assert_eq!(
        wallet.events.take().last(),
        Some(&WalletEvent::PassSent { collector: COLLECTOR, object_id: SECOND.into() })
    );
}

#[test]
fn an_open_pass_is_sent_without_the_chooser() {
    let v = e2e();
    let engine = engine();
    add_second_pass(&engine);
    engine.set_ui_context(UiContext::PassOpen(DEMO.into()));
    let mut wallet = Wallet::new(&engine);
    assert_eq!(wallet.authenticate(&v), 0x9000);
    let (data, sw) = wallet.get_data(&v, true);
    assert_eq!(rapdu_hex(&data, sw), text(&v, "/get_data/variants/0/response_apdu_hex"));
}

#[test]
fn a_locked_phone_asks_for_unlock() {
    let v = e2e();
    let engine = engine();
    engine.set_ui_context(UiContext::Locked);
    let mut wallet = Wallet::new(&engine);
    assert_eq!(wallet.authenticate(&v), 0x9000);
    assert_eq!(wallet.get_data(&v, false), (vec![], 0x9300));
    assert_eq!(
        wallet.events.take().last(),
        Some(&WalletEvent::UnlockRequired { collector: COLLECTOR })
    );
}

#[test]
fn a_wallet_with_nothing_redeemable_does_not_authenticate() {
    let v = e2e();
    let engine = engine();
    let mut demo = engine.object(DEMO).unwrap();
    demo.state = PassState::Inactive;
    engine.upsert_object(demo).unwrap();
    let mut wallet = Wallet::new(&engine);
    assert_eq!(wallet.authenticate(&v), 0x9500);
    assert!(wallet.events.take().iter().any(|e| matches!(
        e,
        WalletEvent::AuthenticationFailed { reason: AuthFailure::NoRedeemablePass, .. }
    )));
}

//! Ne honoured on every Smart Tap command (issue 12; the per-command choice is in the
//! `smart_tap` module docs): `6Cxx` (ISO 7816-4, command not executed) for SELECT,
//! NEGOTIATE and PUSH DATA, whose answers the spec never chains; the spec's `9100` +
//! GET MORE DATA chaining for GET DATA (§6.4, §6.5).

mod smart_tap_support;

use hce_wallet_core::events::WalletEvent;
use hce_wallet_core::smart_tap::{NegotiationBudget, SmartTapConfig};
use smart_tap_support::*;

const OSE: &str = "00a404000a4f53452e5641532e303100";
const ST2: &str = "00a4040009a000000476d000011100";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// `cmd` with its trailing Le byte replaced.
fn with_le(mut cmd: Vec<u8>, le: u8) -> Vec<u8> {
    *cmd.last_mut().unwrap() = le;
    cmd
}

#[test]
fn select_with_a_short_le_is_6cxx_and_not_executed() {
    let v = e2e();
    let mut rig = Rig::vector(SmartTapConfig::default());
    // Nothing selected yet: a SELECT OSE with Le 10 answers 6C87 (135 bytes) and data-free.
    assert_eq!(rig.send(&with_le(h(OSE), 0x10)), (vec![], 0x6C87));
    assert_eq!(rig.send(&hx(&v, "/steps/2/command_hex")).1, 0x9400, "not selected");
    // Le = the announced length: the whole FCI.
    let (fci, sw) = rig.send(&with_le(h(OSE), 0x87));
    assert_eq!((fci.len(), sw), (0x87, 0x9000));
    let (st2, _) = rig.send(&h(ST2));
    assert_eq!(rig.send(&hx(&v, "/steps/2/command_hex")).1, 0x9000);
    // A short-Le SELECT ST2 is not executed: the authenticated session survives it.
    let st2_len = u16::try_from(st2.len()).unwrap();
    assert_eq!(rig.send(&with_le(h(ST2), 0x05)), (vec![], 0x6C00 | st2_len));
    assert_eq!(rig.send(&hx(&v, "/get_data/variants/0/command_hex")).1, 0x9000);
}

#[test]
fn negotiate_with_a_short_le_is_6cxx_without_session_or_failure_charged() {
    let v = e2e();
    let budget = NegotiationBudget { burst: 1, refill_ms: 60_000 };
    let mut rig = Rig::vector(SmartTapConfig { negotiation_budget: budget, ..Default::default() });
    rig.send(&h(OSE));
    rig.events();
    let negotiate = hx(&v, "/steps/2/command_hex");
    let answer = hx(&v, "/steps/2/response_data_hex");
    assert_eq!(answer.len(), 61);
    for _ in 0..3 {
        assert_eq!(rig.send(&with_le(negotiate.clone(), 0x01)), (vec![], 0x6C3D));
    }
    assert!(rig.events().is_empty(), "no authentication was attempted");
    assert_eq!(rig.send(&hx(&v, "/get_data/variants/0/command_hex")).1, 0x9001);
    // Retried with Le = 3D: authenticated (a budget of one failure was not touched).
    assert_eq!(rig.send(&with_le(negotiate, 0x3D)), (answer, 0x9000));
}

#[test]
fn get_data_with_a_short_le_chains_with_9100() {
    let v = e2e();
    let mut rig = Rig::vector(SmartTapConfig::default());
    rig.send(&h(OSE));
    assert_eq!(rig.send(&hx(&v, "/steps/2/command_hex")).1, 0x9000);
    let get_data = hx(&v, "/get_data/variants/0/command_hex");
    let (whole, sw) = rig.send(&get_data);
    assert_eq!(sw, 0x9000);
    let (mut all, mut sw) = rig.send(&with_le(get_data, 0x10));
    assert_eq!((all.len(), sw), (0x10, 0x9100));
    while sw == 0x9100 {
        let (d, s) = rig.send(&h("90c0000010"));
        assert!(d.len() <= 0x10);
        all.extend_from_slice(&d);
        sw = s;
    }
    assert_eq!(sw, 0x9000);
    // Same layout as the unchained answer (the IV is random, so only lengths compare).
    assert_eq!(all.len(), whole.len());
}

#[test]
fn push_with_a_short_le_is_6cxx_and_not_applied() {
    let trace = load_json("kormax-trace.json");
    let push = trace["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["label"].as_str().unwrap().starts_with("PUSH SMART TAP DATA command"))
        .unwrap();
    let cmd = hx(push, "/apdu_hex");
    let mut rig = Rig::vector(SmartTapConfig::default());
    rig.send(&h(OSE));
    rig.events();
    let (data, sw) = rig.send(&with_le(cmd.clone(), 0x02));
    assert!(data.is_empty());
    assert_eq!(sw >> 8, 0x6C);
    assert!(rig.push.0.lock().unwrap().is_empty(), "not handed to the listener");
    assert!(rig.events().is_empty());
    let (data, ok) = rig.send(&with_le(cmd, u8::try_from(sw & 0xFF).unwrap()));
    assert_eq!((data.len(), ok), (usize::from(sw & 0xFF), 0x9000));
    assert_eq!(rig.events(), vec![WalletEvent::PushReceived { collector: None, updates: 1 }]);
}

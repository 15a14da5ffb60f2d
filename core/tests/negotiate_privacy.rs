//! NEGOTIATE refusals look the same from the terminal (smart-tap spec §6.3 steps 4–7,
//! issue 12): whatever the wallet holds, a refusal after parsing is `9500` with no data,
//! while the app still hears the precise [`AuthFailure`].

mod smart_tap_support;

use hce_wallet_core::events::{AuthFailure, WalletEvent};
use hce_wallet_core::smart_tap::SmartTapConfig;
use smart_tap_support::*;

const OSE: &str = "00a404000a4f53452e5641532e303100";
/// The vector terminal's ephemeral key, SEC1 compressed, as it appears in `cpr`.
const VECTOR_ET: &str = "0200f3b382742943d2130a139c147d34dedd92204ed43095312b904bf97b5b9358";
/// Same length, but x ≥ p: not a point on P-256.
const BAD_ET: &str = "02ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

fn vector_negotiate() -> Vec<u8> {
    hx(&e2e(), "/steps/2/command_hex")
}

fn malformed_key_negotiate() -> Vec<u8> {
    let cmd = hex::encode(vector_negotiate());
    assert!(cmd.contains(VECTOR_ET));
    hex::decode(cmd.replace(VECTOR_ET, BAD_ET)).unwrap()
}

fn bad_signature_negotiate() -> Vec<u8> {
    hx(&load_json("negative.json"), "/negotiate/4/command_hex")
}

/// A rig with the vector's handset randomness, after SELECT OSE.
fn rig(with_pass: bool, with_key: bool) -> Rig {
    let v = e2e();
    let random = ScriptedRandom::default();
    random.push(hx(&v, "/handset/nonce_hex"));
    random.push(hx(&v, "/handset/ephemeral_private_key_hex"));
    let passes = if with_pass {
        TestPasses { passes: vec![(COLLECTOR, demo_pass())], ..Default::default() }
    } else {
        TestPasses::default()
    };
    let ring = if with_key { vector_key_ring() } else { TestKeyRing::default() };
    let mut rig = Rig::build(SmartTapConfig::default(), random, passes, ring);
    assert_eq!(rig.send(&hex::decode(OSE).unwrap()).1, 0x9000);
    rig.events();
    rig
}

fn refused(rig: &mut Rig, command: &[u8], reason: AuthFailure, case: &str) {
    assert_eq!(rig.send(command), (vec![], 0x9500), "{case}: one status word, no data");
    assert_eq!(
        rig.events(),
        vec![WalletEvent::AuthenticationFailed { collector: COLLECTOR, key_version: 1, reason }],
        "{case}: the app hears why"
    );
    let get_data = hx(&e2e(), "/get_data/variants/0/command_hex");
    assert_eq!(rig.send(&get_data), (vec![], 0x9001), "{case}: nothing readable");
}

#[test]
fn malformed_terminal_key_with_a_redeemable_pass_is_9500() {
    // Before issue 12 this answered 9403, telling the terminal the wallet holds a pass.
    refused(
        &mut rig(true, true),
        &malformed_key_negotiate(),
        AuthFailure::BadEphemeralKey,
        "bad key, pass",
    );
}

#[test]
fn malformed_terminal_key_without_a_pass_is_9500() {
    refused(
        &mut rig(false, true),
        &malformed_key_negotiate(),
        AuthFailure::BadEphemeralKey,
        "bad key, no pass",
    );
}

#[test]
fn unknown_key_is_9500() {
    refused(&mut rig(true, false), &vector_negotiate(), AuthFailure::UnknownKey, "unknown key");
}

#[test]
fn no_redeemable_pass_is_9500() {
    refused(&mut rig(false, true), &vector_negotiate(), AuthFailure::NoRedeemablePass, "no pass");
    refused(
        &mut rig(false, false),
        &vector_negotiate(),
        AuthFailure::NoRedeemablePass,
        "no pass, no key",
    );
}

#[test]
fn bad_signature_is_9500() {
    refused(&mut rig(true, true), &bad_signature_negotiate(), AuthFailure::BadSignature, "bad sig");
}

#[test]
fn the_valid_negotiate_still_authenticates() {
    let mut rig = rig(true, true);
    let v = e2e();
    assert_eq!(rig.send(&vector_negotiate()), (hx(&v, "/steps/2/response_data_hex"), 0x9000));
}

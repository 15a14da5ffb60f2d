//! The applet against the shared Smart Tap vectors: `e2e-loyalty-2018.json` (both GET
//! DATA variants, with and without the second SELECT), its `.apdu` script, and
//! `negative.json`.

mod smart_tap_support;

use std::io::Read;

use hce_wallet_core::events::{AuthFailure, WalletEvent};
use hce_wallet_core::ndef::Message;
use hce_wallet_core::ports::CollectorId;
use hce_wallet_core::smart_tap::crypto::seal;
use hce_wallet_core::smart_tap::get_data;
use hce_wallet_core::smart_tap::records::SessionRecord;
use hce_wallet_core::smart_tap::session::SessionKeys;
use hce_wallet_core::smart_tap::SmartTapConfig;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use smart_tap_support::*;
use zeroize::Zeroizing;

fn step(v: &Value, i: usize, field: &str) -> Vec<u8> {
    hx(v, &format!("/steps/{i}/{field}"))
}

fn variant(v: &Value, i: usize, field: &str) -> Vec<u8> {
    hx(v, &format!("/get_data/variants/{i}/{field}"))
}

/// Runs SELECT OSE (, SELECT ST2), NEGOTIATE and checks every answer byte for byte.
fn authenticate(rig: &mut Rig, v: &Value, second_select: bool) {
    for i in [0, 1, 2] {
        if i == 1 && !second_select {
            continue;
        }
        let (data, sw) = rig.send(&step(v, i, "command_hex"));
        assert_eq!(rapdu_hex(&data, sw), text(v, &format!("/steps/{i}/response_apdu_hex")));
    }
}

#[test]
fn variant_a_matches_byte_for_byte_with_and_without_second_select() {
    let v = e2e();
    for second_select in [true, false] {
        let mut rig = Rig::vector(SmartTapConfig::default());
        authenticate(&mut rig, &v, second_select);
        rig.random.push(variant(&v, 0, "iv_hex"));
        let (data, sw) = rig.send(&variant(&v, 0, "command_hex"));
        assert_eq!(rapdu_hex(&data, sw), text(&v, "/get_data/variants/0/response_apdu_hex"));
        assert_eq!(rig.random.pending(), 0);
        assert_eq!(
            rig.events(),
            vec![
                WalletEvent::Authenticated { collector: COLLECTOR, key_version: 1 },
                WalletEvent::PassSent { collector: COLLECTOR, object_id: demo_pass().object_id },
            ]
        );
        // The terminal (Google's sample) asked for loyalty (03).
        assert_eq!(rig.passes.requests.lock().unwrap()[0].service_types, vec![0x03]);
    }
}

fn open_reb(v: &Value, response: &[u8]) -> (u8, Vec<u8>, Vec<u8>) {
    let opened =
        open_srs(response, &hx(v, "/hkdf/aes_128_key_hex"), &hx(v, "/hkdf/hmac_sha256_key_hex"));
    assert_eq!(opened.ses, hex::decode("063f5d538c2bb8280401").unwrap());
    (opened.flags, opened.iv, opened.body)
}

#[test]
fn variant_b_compresses_and_decrypts_to_the_plaintext() {
    let v = e2e();
    let mut rig = Rig::vector(SmartTapConfig::default());
    authenticate(&mut rig, &v, true);
    rig.random.push(variant(&v, 1, "iv_hex"));
    let (data, sw) = rig.send(&variant(&v, 1, "command_hex"));
    assert_eq!(sw, 0x9000);
    let (flags, iv, body) = open_reb(&v, &data);
    assert_eq!(flags, 0x03);
    assert_eq!(iv, variant(&v, 1, "iv_hex"));
    let mut inflated = Vec::new();
    flate2::read::ZlibDecoder::new(body.as_slice()).read_to_end(&mut inflated).unwrap();
    assert_eq!(inflated, hx(&v, "/service_objects_plaintext/ndef_hex"));
    // flate2 (miniz_oxide) emits other zlib bytes than the vector's encoder, so the
    // exact encryption is checked by sealing the vector's own zlib bytes (README).
    let keys = SessionKeys {
        enc: Zeroizing::new(hx(&v, "/hkdf/aes_128_key_hex").try_into().unwrap()),
        mac: Zeroizing::new(hx(&v, "/hkdf/hmac_sha256_key_hex").try_into().unwrap()),
    };
    let iv: [u8; 12] = variant(&v, 1, "iv_hex").try_into().unwrap();
    let reb = seal(&keys, 0x03, &iv, &variant(&v, 1, "body_before_encryption_hex")).unwrap();
    assert_eq!(reb, variant(&v, 1, "reb_payload_hex"));
    let session = SessionRecord {
        id: hx(&v, "/terminal/session_id_hex").try_into().unwrap(),
        sequence: 3,
        status: 1,
    };
    assert_eq!(get_data::answer(&session, reb), variant(&v, 1, "response_data_hex"));
}

#[test]
fn variant_a_decrypts_with_the_vector_keys() {
    let v = e2e();
    let mut rig = Rig::vector(SmartTapConfig::default());
    authenticate(&mut rig, &v, true);
    let (data, sw) = rig.send(&variant(&v, 0, "command_hex"));
    assert_eq!(sw, 0x9000);
    // A fresh (unscripted) IV: different bytes, same plaintext.
    let (flags, iv, body) = open_reb(&v, &data);
    assert_eq!(flags, 0x01);
    assert_ne!(iv, variant(&v, 0, "iv_hex"));
    assert_eq!(body, hx(&v, "/service_objects_plaintext/ndef_hex"));
}

#[test]
fn apdu_script_replays_exactly() {
    let v = e2e();
    let script = std::fs::read_to_string(vectors_dir().join("e2e-loyalty-2018.apdu")).unwrap();
    let mut rig = Rig::vector(SmartTapConfig::default());
    rig.random.push(variant(&v, 0, "iv_hex"));
    let mut last: Option<String> = None;
    let mut exchanges = 0;
    for line in script.lines().map(str::trim) {
        if let Some(cmd) = line.strip_prefix("> ") {
            let (data, sw) = rig.send(&hex::decode(cmd).unwrap());
            last = Some(rapdu_hex(&data, sw));
        } else if let Some(expected) = line.strip_prefix("< ") {
            assert_eq!(last.take().as_deref(), Some(expected));
            exchanges += 1;
        }
    }
    assert_eq!(exchanges, 4);
}

fn negative() -> Value {
    load_json("negative.json")
}

fn cases(v: &Value, kind: &str) -> Vec<Value> {
    v[kind].as_array().unwrap().clone()
}

/// A rig after both SELECTs of the vector, optionally with extra keys and passes.
fn selected_rig(config: SmartTapConfig, extra_collector: Option<CollectorId>, v2: bool) -> Rig {
    let v = e2e();
    let random = ScriptedRandom::default();
    random.push(hx(&v, "/handset/nonce_hex"));
    random.push(hx(&v, "/handset/ephemeral_private_key_hex"));
    let mut passes = TestPasses { passes: vec![(COLLECTOR, demo_pass())], ..Default::default() };
    if let Some(c) = extra_collector {
        passes.passes.push((c, demo_pass()));
    }
    let mut ring = vector_key_ring();
    if v2 {
        let n = negative();
        let v2 = hex::decode(text(&n, "/negotiate/2/handset_key_ring/2")).unwrap();
        ring.0.insert((COLLECTOR, 2), p256::PublicKey::from_sec1_bytes(&v2).unwrap());
    }
    let mut rig = Rig::build(config, random, passes, ring);
    for i in [0, 1] {
        assert_eq!(rig.send(&step(&v, i, "command_hex")).1, 0x9000);
    }
    rig
}

fn expected_failure(name: &str) -> Option<AuthFailure> {
    if name.starts_with("unknown key version") || name.starts_with("unknown collector") {
        Some(AuthFailure::UnknownKey)
    } else if name.starts_with("pre-signed") {
        Some(AuthFailure::PreSignedRefused)
    } else if name.starts_with("valid signature") {
        None
    } else {
        Some(AuthFailure::BadSignature)
    }
}

#[test]
fn negative_negotiations_return_their_status_words() {
    let n = negative();
    let v = e2e();
    for case in cases(&n, "negotiate") {
        let name = case["name"].as_str().unwrap();
        let collector_0102 = CollectorId(0x0102_0304);
        // Only the "different key" case has a version-2 key in the handset's ring.
        let v2 = case.get("handset_key_ring").is_some();
        let mut rig = selected_rig(SmartTapConfig::default(), Some(collector_0102), v2);
        let (data, sw) = rig.send(&hex::decode(case["command_hex"].as_str().unwrap()).unwrap());
        let expected = case["expected_handset_sw"].as_str().unwrap();
        let expected = if expected.starts_with("9002 if") { "9500" } else { expected };
        assert_eq!(format!("{sw:04x}"), expected, "{name}");
        let events = rig.events();
        match expected_failure(name) {
            Some(reason) => {
                assert!(data.is_empty(), "{name}: data on failure");
                assert!(
                    matches!(&events[..], [WalletEvent::AuthenticationFailed { reason: r, .. }] if *r == reason),
                    "{name}: {events:?}"
                );
                // Nothing can be read afterwards.
                let (d, sw) = rig.send(&variant(&v, 0, "command_hex"));
                assert_eq!((d.len(), sw), (0, 0x9001), "{name}");
            }
            None => {
                assert_eq!(data, step(&v, 2, "response_data_hex"), "{name}");
                assert!(matches!(&events[..], [WalletEvent::Authenticated { .. }]));
            }
        }
    }
}

#[test]
fn unknown_collector_without_redeemable_pass_is_refused_before_key_lookup() {
    let n = negative();
    let case = &cases(&n, "negotiate")[3];
    let mut rig = selected_rig(SmartTapConfig::default(), None, false);
    let (data, sw) = rig.send(&hex::decode(case["command_hex"].as_str().unwrap()).unwrap());
    assert_eq!((data.len(), sw), (0, 0x9500));
    assert!(matches!(
        &rig.events()[..],
        [WalletEvent::AuthenticationFailed { reason: AuthFailure::NoRedeemablePass, .. }]
    ));
}

#[test]
fn pre_signed_accepted_when_configured() {
    let n = negative();
    let v = e2e();
    let case = &cases(&n, "negotiate")[6];
    let config = SmartTapConfig { accept_pre_signed: true, ..Default::default() };
    let mut rig = selected_rig(config, None, false);
    let (data, sw) = rig.send(&hex::decode(case["command_hex"].as_str().unwrap()).unwrap());
    assert_eq!(sw, 0x9002);
    assert_eq!(data, step(&v, 2, "response_data_hex"));
    // Keys derive with the REAL handset nonce in the info (spec §11): the vector's
    // HKDF keys (same Nt, Nh, C, Et; another signature) must not be what we get, but
    // the answer must decrypt under keys derived with Nh and this signature.
    let (data, sw) = rig.send(&variant(&v, 0, "command_hex"));
    assert_eq!(sw, 0x9000);
    let sig = hx(case, "/command_data_decoded/0/decoded/records/1/decoded/records/0/decoded/value");
    let mut info = hx(&v, "/signature/signed_bytes_hex");
    info.extend_from_slice(&sig);
    let hk = hkdf::Hkdf::<Sha256>::new(
        Some(&hx(&v, "/hkdf/salt_hex")),
        &hx(&v, "/key_agreement/ecdh_shared_secret_x_hex"),
    );
    let mut okm = [0u8; 48];
    hk.expand(&info, &mut okm).unwrap();
    let reb = &Message::parse(&data).unwrap().records[0].nested(0, 0).unwrap().records[1];
    let p = &reb.payload;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&okm[16..]).unwrap();
    mac.update(&p[1..p.len() - 32]);
    mac.verify_slice(&p[p.len() - 32..]).expect("keys derived with the real handset nonce");
}

#[test]
fn negative_get_data_leaks_nothing() {
    let n = negative();
    let v = e2e();
    for case in cases(&n, "get_data") {
        let name = case["name"].as_str().unwrap();
        let mut rig = selected_rig(SmartTapConfig::default(), None, false);
        if case["precondition"].as_str().unwrap().contains("NEGOTIATE succeeded") {
            assert_eq!(rig.send(&step(&v, 2, "command_hex")).1, 0x9000);
        }
        rig.events();
        let (data, sw) = rig.send(&hex::decode(case["command_hex"].as_str().unwrap()).unwrap());
        assert_eq!((data, sw), (vec![], 0x9001), "{name}");
        assert!(rig.events().is_empty(), "{name}");
        assert!(rig.passes.requests.lock().unwrap().is_empty(), "{name}: selection asked");
        // GET MORE DATA has nothing either.
        assert_eq!(rig.send(&hex::decode("90c0000000").unwrap()), (vec![], 0x9404));
    }
}

#[test]
fn select_answers_have_the_layout_of_the_real_wallet_trace() {
    // Google Wallet's answers in the kormax trace, with its nonce and key replaced by
    // the injected ones, are exactly what the applet sends (C1 byte 0 configured to the
    // trace's 0xCC).
    let v = e2e();
    let trace = load_json("kormax-trace.json");
    let example = |prefix: &str| {
        let all = trace["examples"].as_array().unwrap();
        let e = all.iter().find(|e| e["label"].as_str().unwrap().starts_with(prefix)).unwrap();
        e["data_hex"].as_str().unwrap().to_owned()
    };
    let (kormax_nonce, kormax_key) = (
        "56d2ec8f857f0049aa54f1ca1de2791b5693a7014e6e4565d5644b1c2a305136",
        "03dfee38dbdb68a607383ad622640b180cc7e27d796b4e788c40e5d994291c71fc",
    );
    let ours = |s: String| {
        s.replace(kormax_nonce, &text(&v, "/handset/nonce_hex"))
            .replace(kormax_key, &text(&v, "/handset/ephemeral_public_key_compressed_hex"))
    };
    let config = SmartTapConfig { transaction_mode: 0xCC, ..Default::default() };
    let mut rig = Rig::vector(config);
    let (fci, sw) = rig.send(&step(&v, 0, "command_hex"));
    assert_eq!((hex::encode(fci), sw), (ours(example("SELECT OSE.VAS.01 response")), 0x9000));
    let (st2, sw) = rig.send(&step(&v, 1, "command_hex"));
    assert_eq!((hex::encode(st2), sw), (ours(example("SELECT Smart Tap 2 response")), 0x9000));
}

#[test]
fn extended_length_commands_are_accepted() {
    let v = e2e();
    let mut rig = Rig::vector(SmartTapConfig::default());
    rig.send(&step(&v, 0, "command_hex"));
    let short = step(&v, 2, "command_hex");
    let data = &short[5..short.len() - 1];
    let mut extended = vec![0x90, 0x53, 0, 0, 0, 0, data.len() as u8];
    extended.extend_from_slice(data);
    extended.extend_from_slice(&[0, 0]);
    let (answer, sw) = rig.send(&extended);
    assert_eq!((answer, sw), (step(&v, 2, "response_data_hex"), 0x9000));
    // Extended GET DATA without Le: Ne 65536, slices still capped by the chunk size.
    let short = variant(&v, 0, "command_hex");
    let data = &short[5..short.len() - 1];
    let mut extended = vec![0x90, 0x50, 0, 0, 0, 0, data.len() as u8];
    extended.extend_from_slice(data);
    rig.random.push(variant(&v, 0, "iv_hex"));
    let (answer, sw) = rig.send(&extended);
    assert_eq!(rapdu_hex(&answer, sw), text(&v, "/get_data/variants/0/response_apdu_hex"));
}

//! The reference terminal against the Smart Tap vectors (`shared/vectors/smart-tap`): with
//! the vector's terminal randomness injected its C-APDUs equal the recorded ones byte for
//! byte (RFC 6979 makes the signature deterministic), and fed the recorded handset answers
//! it decrypts "2018" for both GET DATA variants. Also the NEGOTIATE variants of
//! `negative.json` it can produce, the `terminal_side` MAC case, and the PUSH DATA layout of
//! the kormax trace.

mod terminal_support;

use hce_wallet_core::apdu::StatusWord;
use hce_wallet_core::ndef::{Message, Record};
use hce_wallet_core::ports::{
    CollectorId, PushBalance, PushData, PushNotification, ServiceStatusUpdate, UsageUpdate,
};
use hce_wallet_harness::card::{ScriptStep, ScriptedCard};
use hce_wallet_harness::terminal::commands;
use hce_wallet_harness::terminal::crypto::CryptoError;
use hce_wallet_harness::terminal::{ObjectKind, SForm, Step, TapResult, Terminal, TerminalError};
use terminal_support::*;

#[test]
fn variant_a_commands_match_and_decrypt_2018() {
    let v = e2e();
    let mut card = vector_card(&v, 0);
    let outcome = Terminal::new(vector_config(&v)).tap(&mut card);
    let result = outcome.result.as_ref().unwrap_or_else(|e| panic!("{e}\n{}", outcome.transcript));
    assert!(card.finished(), "every recorded exchange was played");
    assert_eq!(outcome.redemption_values(), vec!["2018"]);
    let TapResult::Read { sw, objects } = result else { panic!("{result:?}") };
    assert_eq!(*sw, StatusWord(0x9000));
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0].kind, ObjectKind::Loyalty);
    assert_eq!(objects[0].issuer.issuer_type, 1);
    assert_eq!(objects[0].issuer.id_u64(), v["pass"]["issuer_id_decimal"].as_u64());
    assert_eq!(
        objects[0].object_ref.map(hex::encode).as_deref(),
        v["pass"]["object_id_record_value_hex"].as_str()
    );
    let steps: Vec<Step> = outcome.transcript.exchanges.iter().map(|e| e.step).collect();
    assert_eq!(steps, [Step::SelectOse, Step::SelectSmartTap, Step::Negotiate, Step::GetData]);
    assert_eq!(
        outcome.session.map(|s| s.handset_sequence),
        Some(4),
        "the session continues after the handset's sequence 04"
    );
}

#[test]
fn variant_b_zlib_commands_match_and_decrypt_2018() {
    let v = e2e();
    let mut card = vector_card(&v, 1);
    let outcome = Terminal::new(zlib_config(&v)).tap(&mut card);
    assert!(outcome.result.is_ok(), "{:?}\n{}", outcome.result, outcome.transcript);
    assert!(card.finished());
    assert_eq!(outcome.redemption_values(), vec!["2018"]);
    let text = outcome.transcript.to_string();
    assert!(text.contains("inflated 60 → 51 bytes"), "{text}");
}

#[test]
fn apdu_script_file_replays_variant_a() {
    let v = e2e();
    let text = std::fs::read_to_string(vectors_dir().join("e2e-loyalty-2018.apdu")).unwrap();
    let mut card = ScriptedCard::from_apdu_script(&text).unwrap();
    let outcome = Terminal::new(vector_config(&v)).tap(&mut card);
    assert!(card.finished());
    assert_eq!(outcome.redemption_values(), vec!["2018"]);
}

#[test]
fn signature_is_the_vectors_rfc6979_signature() {
    let v = e2e();
    let outcome = Terminal::new(vector_config(&v)).tap(&mut vector_card(&v, 0));
    let negotiate = &outcome.transcript.exchanges[2];
    let der = v["signature"]["der_signature_hex"].as_str().unwrap();
    assert!(hex::encode(&negotiate.command).contains(der));
    assert!(negotiate.command_notes.iter().any(|n| n.contains(der)));
}

/// NEGOTIATE commands of `negative.json` a terminal can produce by configuration.
#[test]
fn negative_negotiate_variants_are_reproduced() {
    let v = e2e();
    let neg = load("negative.json");
    let case = |prefix: &str| {
        let c = neg["negotiate"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"].as_str().unwrap().starts_with(prefix))
            .unwrap_or_else(|| panic!("no case {prefix}"));
        hexv(&c["command_hex"])
    };
    let negotiate_of = |config| {
        // A handset that rejects every NEGOTIATE, as it must for most of these cases.
        let mut steps = handshake(&v);
        steps[2] = ScriptStep { expect: None, respond: vec![0x95, 0x00] };
        let outcome = Terminal::new(config).tap(&mut ScriptedCard::new(steps));
        assert!(matches!(
            outcome.result,
            Ok(TapResult::Ended { step: Step::Negotiate, sw: StatusWord(0x9500) })
        ));
        outcome.transcript.exchanges[2].command.clone()
    };

    let mut c = vector_config(&v);
    c.s_form = SForm::High;
    assert_eq!(negotiate_of(c), case("valid signature in its other"));

    let mut c = vector_config(&v);
    c.live_auth = false;
    assert_eq!(negotiate_of(c), case("pre-signed"));

    let mut c = vector_config(&v);
    c.key_version = 2;
    assert_eq!(negotiate_of(c), case("unknown key version"));

    let mut c = vector_config(&v);
    c.collector_id = CollectorId(0x0102_0304);
    assert_eq!(negotiate_of(c), case("unknown collector"));
}

#[test]
fn terminal_side_flipped_ciphertext_is_rejected_before_decrypting() {
    let v = e2e();
    let neg = load("negative.json");
    let flipped = hexv(&neg["terminal_side"][0]["reb_payload_hex"]);
    let mut steps = handshake(&v);
    let var = &v["get_data"]["variants"][0];
    steps.push(ScriptStep {
        expect: Some(hexv(&var["command_hex"])),
        respond: with_sw(srs(&v, Some(flipped)), 0x9000),
    });
    let outcome = Terminal::new(vector_config(&v)).tap(&mut ScriptedCard::new(steps));
    assert!(
        matches!(outcome.result, Err(TerminalError::Crypto(CryptoError::MacMismatch))),
        "{:?}",
        outcome.result
    );
    assert!(outcome.redemption_values().is_empty());
    assert!(!outcome.transcript.to_string().contains("decrypted"));
}

/// The PUSH DATA example of the kormax trace, rebuilt from its decoded fields.
#[test]
fn push_command_matches_the_trace_example() {
    let trace = load("kormax-trace.json");
    let example = trace["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["label"].as_str().unwrap().starts_with("PUSH SMART TAP DATA command"))
        .unwrap();
    let expected = hexv(&example["apdu_hex"]);
    let push = PushData {
        balance: Some(PushBalance { amount_raw: vec![0], currency: Some("USD".into()) }),
        notification: Some(PushNotification {
            service_type: 5,
            title: Some("PASS".into()),
            uri: Some("https://example.com".into()),
        }),
        services: vec![ServiceStatusUpdate {
            object_ref: hex_literal::hex!("010203dc3be19e48"),
            usage: Some(UsageUpdate {
                status: 1,
                title: Some("SERVICE_USAGE_TITLE".into()),
                description: Some("SERVICE_USAGE_DESCRIPTION".into()),
            }),
            operation: Some((5, vec![])),
        }],
    };
    let session = hex_literal::hex!("6b159a80fc8283fd");
    assert_eq!(
        hex::encode(commands::push_data(&session, 2, &push).unwrap()),
        hex::encode(expected)
    );
}

#[test]
fn push_after_the_tap_continues_the_session() {
    let v = e2e();
    let sid = hexv(&v["terminal"]["session_id_hex"]);
    let psr = |seq| {
        let inner = Message::new(vec![ses(&sid, seq, 1)]);
        with_sw(Message::new(vec![Record::container(b"psr", &[], &inner)]).encode(), 0x9000)
    };
    let mut steps = vector_card(&v, 0);
    let terminal = Terminal::new(vector_config(&v));
    let mut outcome = terminal.tap(&mut steps);
    let push = PushData {
        services: vec![ServiceStatusUpdate {
            object_ref: outcome.session.map(|_| hex_literal::hex!("9e2a2bb824e99755")).unwrap(),
            usage: Some(UsageUpdate { status: 1, title: None, description: None }),
            operation: Some((2, vec![0x00, 0x64])),
        }],
        ..PushData::default()
    };
    // Handset answers sequence 06 to the push's 05.
    let mut card = ScriptedCard::new(vec![ScriptStep { expect: None, respond: psr(6) }]);
    assert_eq!(terminal.push(&mut card, &mut outcome, &push).unwrap(), StatusWord(0x9000));
    let exchange = outcome.transcript.exchanges.last().unwrap();
    assert_eq!(exchange.step, Step::PushData);
    assert_eq!(&exchange.command[..5], &[0x90, 0x52, 0x00, 0x00, exchange.command.len() as u8 - 6]);
    assert_eq!(outcome.session.unwrap().handset_sequence, 6);
    // A wrong sequence in psr is caught.
    let mut card = ScriptedCard::new(vec![ScriptStep { expect: None, respond: psr(9) }]);
    assert!(matches!(
        terminal.push(&mut card, &mut outcome, &push),
        Err(TerminalError::Sequence { step: Step::PushData, expected: 8, got: 9 })
    ));
}

/// Pre-signed authentication (§11): the signature covers zeros instead of the handset
/// nonce, the handset answers `9002`, and both sides still derive the keys from
/// `Nt ‖ Nh ‖ C ‖ Et ‖ DER` with the real handset nonce.
#[test]
fn pre_signed_tap_derives_keys_with_the_real_handset_nonce() {
    let v = e2e();
    let neg = load("negative.json");
    let case = neg["negotiate"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with("pre-signed"))
        .unwrap();
    // The DER signature inside the recorded pre-signed NEGOTIATE.
    let apdu = hexv(&case["command_hex"]);
    let ngr = Message::parse(&apdu[5..apdu.len() - 1]).unwrap();
    let inner = ngr.records[0].nested(2, 0).unwrap();
    let cpr = inner.records.iter().find(|r| r.record_type == b"cpr").unwrap();
    let sig_and_cld = cpr.nested(70, 1).unwrap();
    let der = sig_and_cld.records[0].payload[1..].to_vec();
    assert_eq!(hexv(&case["signed_bytes_hex"])[32..64], [0u8; 32]);

    let mut info = hexv(&v["signature"]["signed_bytes_hex"]);
    info.extend_from_slice(&der);
    let eph =
        p256::SecretKey::from_slice(&hexv(&v["terminal"]["ephemeral_private_key_hex"])).unwrap();
    let keys = hce_wallet_harness::terminal::crypto::SessionKeys::derive(
        &eph,
        &hexv(&v["hkdf"]["salt_hex"]),
        &info,
    )
    .unwrap();
    let iv = [9u8; 12];
    let (ct, tag) = keys.seal(&iv, &hexv(&v["service_objects_plaintext"]["ndef_hex"]));
    let reb_payload = [&[1u8][..], &iv, &ct, &tag].concat();

    let mut steps = handshake(&v);
    steps[2] = ScriptStep {
        expect: Some(apdu.clone()),
        respond: with_sw(hexv(&v["steps"][2]["response_data_hex"]), 0x9002),
    };
    steps.push(ScriptStep { expect: None, respond: with_sw(srs(&v, Some(reb_payload)), 0x9000) });
    let mut config = vector_config(&v);
    config.live_auth = false;
    let mut card = ScriptedCard::new(steps);
    let outcome = Terminal::new(config).tap(&mut card);
    assert!(card.finished());
    assert_eq!(outcome.redemption_values(), vec!["2018"], "{:?}", outcome.result);
    assert!(outcome.transcript.to_string().contains("pre-signed authentication"));
}

/// The answers of a real Google Wallet handset (kormax trace) pass every strict check, and
/// the commands this terminal builds for that session equal the trace's where the fields
/// are known (SELECTs, GET DATA with `pcr`, GET MORE DATA).
#[test]
fn real_handset_answers_of_the_kormax_trace_parse() {
    use hce_wallet_harness::terminal::response;
    let trace = load("kormax-trace.json");
    let examples = trace["examples"].as_array().unwrap();
    let get = |prefix: &str| {
        let e = examples
            .iter()
            .find(|e| e["label"].as_str().unwrap().starts_with(prefix))
            .unwrap_or_else(|| panic!("no example {prefix}"));
        hexv(e.get("apdu_hex").or(e.get("data_hex")).unwrap())
    };
    let fci = response::parse_ose(&get("SELECT OSE.VAS.01 response")).unwrap();
    assert_eq!(fci.label, b"AndroidPay");
    assert_eq!(fci.mode[0], 0xCC);
    assert!(fci.may_skip_second_select());
    let st2 = response::parse_smart_tap_select(&get("SELECT Smart Tap 2 response")).unwrap();
    assert_eq!(st2.nonce, fci.nonce, "C2 equals the mdn nonce");
    let nrs = response::parse_negotiate(&get("NEGOTIATE response")).unwrap();
    assert_eq!(nrs.dpk, fci.ephemeral, "C3 equals dpk");
    let session = hex_literal::hex!("6b159a80fc8283fd");
    assert_eq!((nrs.session.session_id, nrs.session.sequence), (session, 1));
    let srs = response::parse_data(&get("GET SMART TAP DATA response")).unwrap();
    let reb = srs.bundle.unwrap();
    assert_eq!((reb.flags, reb.ciphertext.len()), (3, 139));
    assert_eq!(response::parse_push(&get("PUSH SMART TAP DATA response")).unwrap().sequence, 3);

    assert_eq!(commands::select(commands::AID_OSE).unwrap(), get("SELECT OSE.VAS.01 (C-APDU)"));
    assert_eq!(
        commands::select(commands::AID_SMART_TAP_2).unwrap(),
        get("SELECT Smart Tap 2 (C-APDU)")
    );
    assert_eq!(commands::get_more_data(), get("GET MORE DATA"));
    // That reader repeats the handset's sequence number (01) and asks for all services.
    let get_data =
        commands::get_data(&session, 1, 0x0102_0304, &[0x00], Some(&commands::PCR_ZLIB)).unwrap();
    assert_eq!(hex::encode(get_data), hex::encode(get("GET SMART TAP DATA command")));
}

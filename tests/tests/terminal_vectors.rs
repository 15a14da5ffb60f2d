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

//! The reference terminal's strictness (smart-tap spec §13, §13a): every malformed or
//! inconsistent handset answer ends the tap with a precise error, status words end it with
//! their meaning, chaining follows `9100` within its limits, and no mutation of a handset
//! answer ever makes it panic or report a value other than the one that was sent.

mod terminal_support;

use hce_wallet_core::apdu::StatusWord;
use hce_wallet_core::ndef::{Message, Record};
use hce_wallet_harness::card::{ScriptStep, ScriptedCard};
use hce_wallet_harness::terminal::crypto::CryptoError;
use hce_wallet_harness::terminal::response::ResponseError;
use hce_wallet_harness::terminal::{
    ObjectKind, Step, TapOutcome, TapResult, Terminal, TerminalConfig, TerminalError,
};
use proptest::prelude::*;
use serde_json::Value;
use terminal_support::*;

/// Replays the vector tap with the answer of step `i` (0 OSE, 1 ST2, 2 NEGOTIATE, 3 GET
/// DATA A) replaced.
fn tap_with(v: &Value, config: TerminalConfig, i: usize, answer: Vec<u8>) -> TapOutcome {
    let mut answers: Vec<Vec<u8>> = handshake(v).into_iter().map(|s| s.respond).collect();
    answers.push(hexv(&v["get_data"]["variants"][0]["response_apdu_hex"]));
    answers[i] = answer;
    let steps = answers.into_iter().map(|respond| ScriptStep { expect: None, respond }).collect();
    Terminal::new(config).tap(&mut ScriptedCard::new(steps))
}

fn recorded_data(v: &Value, i: usize) -> Vec<u8> {
    let mut r = if i < 3 {
        hexv(&v["steps"][i]["response_apdu_hex"])
    } else {
        hexv(&v["get_data"]["variants"][0]["response_apdu_hex"])
    };
    r.truncate(r.len() - 2);
    r
}

fn tlv(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    match value.len() {
        n if n < 0x80 => out.push(n as u8),
        n => out.extend_from_slice(&[0x81, n as u8]),
    }
    out.extend_from_slice(value);
    out
}

/// An OSE FCI from parts; `top` are the 6F children before `A5`, `in73` the `73` children.
fn fci(top: &[Vec<u8>], mode: u8, entry_extra: &[u8], in73: &[Vec<u8>]) -> Vec<u8> {
    let mut entry = tlv(&[0x4F], &hex_literal::hex!("A000000476D0000111"));
    entry.extend_from_slice(entry_extra);
    entry.extend(tlv(&[0x87], &[1]));
    entry.extend(tlv(&[0x73], &in73.concat()));
    let a5 = tlv(&[0xA5], &tlv(&[0xBF, 0x0C], &tlv(&[0x61], &entry)));
    let mut body = tlv(&[0x50], b"AndroidPay");
    body.extend(tlv(&[0xC0], &[0, 1]));
    body.extend(tlv(&[0xC1], &[mode, 0, 0, 0, 0, 0, 0x80, 0x80]));
    body.extend(top.concat());
    body.extend(a5);
    tlv(&[0x6F], &body)
}

fn versions() -> Vec<Vec<u8>> {
    vec![tlv(&[0xDF, 0x6D], &[0, 0]), tlv(&[0xDF, 0x4D], &[0, 1]), tlv(&[0xDF, 0x62], &[3])]
}

fn nonce_and_key(v: &Value) -> (Vec<u8>, Vec<u8>) {
    (hexv(&v["handset"]["nonce_hex"]), hexv(&v["handset"]["ephemeral_public_key_compressed_hex"]))
}

fn response_error(outcome: &TapOutcome) -> &ResponseError {
    match &outcome.result {
        Err(TerminalError::Response { source, .. }) => source,
        other => panic!("expected a response error, got {other:?}\n{}", outcome.transcript),
    }
}

#[test]
fn fci_builder_reproduces_the_vector() {
    let v = e2e();
    let (n, k) = nonce_and_key(&v);
    let built = fci(&[tlv(&[0xC2], &n), tlv(&[0xC3], &k)], 0x0C, &[], &versions());
    assert_eq!(hex::encode(built), hex::encode(recorded_data(&v, 0)));
}

#[test]
fn fci_mandatory_tags_and_mode() {
    let v = e2e();
    let (n, k) = nonce_and_key(&v);
    let cfg = || vector_config(&v);

    // No nonce / key at all (§13 item 1).
    let o = tap_with(&v, cfg(), 0, with_sw(fci(&[], 0x0C, &[], &versions()), 0x9000));
    assert_eq!(response_error(&o), &ResponseError::MissingTag("C2 (or DF6E)"));
    let o =
        tap_with(&v, cfg(), 0, with_sw(fci(&[tlv(&[0xC2], &n)], 0x0C, &[], &versions()), 0x9000));
    assert_eq!(response_error(&o), &ResponseError::MissingTag("C3 (or DF6B)"));

    // The alternative place, DF6E / DF6B inside 73, is accepted and the tap completes.
    let mut in73 = versions();
    in73.push(tlv(&[0xDF, 0x6E], &n));
    in73.push(tlv(&[0xDF, 0x6B], &k));
    let o = tap_with(&v, cfg(), 0, with_sw(fci(&[], 0x0C, &[], &in73), 0x9000));
    assert_eq!(o.redemption_values(), vec!["2018"], "{:?}", o.result);

    // C1 byte 0 outside Google's list.
    let top = [tlv(&[0xC2], &n), tlv(&[0xC3], &k)];
    let o = tap_with(&v, cfg(), 0, with_sw(fci(&top, 0x0D, &[], &versions()), 0x9000));
    assert!(matches!(response_error(&o), ResponseError::BadField { field: "C1", .. }));

    // Version window without 0001.
    let bad_versions = vec![tlv(&[0xDF, 0x6D], &[0, 2]), tlv(&[0xDF, 0x4D], &[0, 3])];
    let o = tap_with(&v, cfg(), 0, with_sw(fci(&top, 0x0C, &[], &bad_versions), 0x9000));
    assert_eq!(response_error(&o), &ResponseError::UnsupportedVersion { min: 2, max: 3 });

    // Trailing bytes after the FCI template; a wrong nonce length.
    let mut trailing = fci(&top, 0x0C, &[], &versions());
    trailing.push(0x00);
    let o = tap_with(&v, cfg(), 0, with_sw(trailing, 0x9000));
    assert!(matches!(response_error(&o), ResponseError::Tlv(_) | ResponseError::BadField { .. }));
    let short = [tlv(&[0xC2], &n[..31]), tlv(&[0xC3], &k)];
    let o = tap_with(&v, cfg(), 0, with_sw(fci(&short, 0x0C, &[], &versions()), 0x9000));
    assert!(matches!(response_error(&o), ResponseError::BadField { field: "handset nonce", .. }));

    // SELECT OSE not answered 9000: the tap ends there.
    let o = tap_with(&v, cfg(), 0, vec![0x6A, 0x82]);
    assert_eq!(
        o.result.unwrap(),
        TapResult::Ended { step: Step::SelectOse, sw: StatusWord(0x6A82) }
    );
    assert_eq!(o.transcript.exchanges.len(), 1);
}

#[test]
fn second_select_checks() {
    let v = e2e();
    let st2 = recorded_data(&v, 1);
    // mdn nonce differs from the FCI's C2.
    let mut other = st2.clone();
    let last = other.len() - 1;
    other[last] ^= 1;
    let o = tap_with(&v, vector_config(&v), 1, with_sw(other, 0x9000));
    assert!(matches!(o.result, Err(TerminalError::NonceMismatch)), "{:?}", o.result);
    // Versions 0002..0002.
    let mut bad = st2.clone();
    bad[..4].copy_from_slice(&[0, 2, 0, 2]);
    let o = tap_with(&v, vector_config(&v), 1, with_sw(bad, 0x9000));
    assert_eq!(response_error(&o), &ResponseError::UnsupportedVersion { min: 2, max: 2 });
    // mdn not first.
    let mdn = Message::parse(&st2[4..]).unwrap().records.remove(0);
    let msg = Message::new(vec![Record::external(b"xyz", vec![]), mdn]);
    let mut second = st2[..4].to_vec();
    second.extend(msg.encode());
    let o = tap_with(&v, vector_config(&v), 1, with_sw(second, 0x9000));
    assert!(matches!(response_error(&o), ResponseError::BadField { field: "mdn", .. }));
}

#[test]
fn skipping_the_second_select_when_allowed() {
    let v = e2e();
    let mut config = vector_config(&v);
    config.second_select = false;
    let mut steps = handshake(&v);
    steps.remove(1);
    let var = &v["get_data"]["variants"][0];
    steps.push(ScriptStep {
        expect: Some(hexv(&var["command_hex"])),
        respond: hexv(&var["response_apdu_hex"]),
    });
    let mut card = ScriptedCard::new(steps);
    let o = Terminal::new(config).tap(&mut card);
    assert!(card.finished());
    assert_eq!(o.redemption_values(), vec!["2018"]);
    let steps: Vec<Step> = o.transcript.exchanges.iter().map(|e| e.step).collect();
    assert_eq!(steps, [Step::SelectOse, Step::Negotiate, Step::GetData]);
}

fn nrs(sid: &[u8], seq: u8, status: u8, dpk: &[u8]) -> Vec<u8> {
    let inner = Message::new(vec![ses(sid, seq, status), Record::external(b"dpk", dpk.to_vec())]);
    Message::new(vec![Record::container(b"nrs", &[], &inner)]).encode()
}

#[test]
fn negotiate_answer_checks() {
    let v = e2e();
    let sid = hexv(&v["terminal"]["session_id_hex"]);
    let (_, dpk) = nonce_and_key(&v);
    let cfg = || vector_config(&v);
    assert_eq!(nrs(&sid, 2, 1, &dpk), recorded_data(&v, 2));

    let o = tap_with(&v, cfg(), 2, vec![0x95, 0x00]);
    assert_eq!(
        o.result.unwrap(),
        TapResult::Ended { step: Step::Negotiate, sw: StatusWord(0x9500) }
    );
    assert!(o.session.is_none());

    // 9002 (pre-signed) to a live request.
    let o = tap_with(&v, cfg(), 2, with_sw(nrs(&sid, 2, 1, &dpk), 0x9002));
    assert!(matches!(o.result, Err(TerminalError::UnexpectedStatus { .. })), "{:?}", o.result);

    let o = tap_with(&v, cfg(), 2, with_sw(nrs(&[9; 8], 2, 1, &dpk), 0x9000));
    assert!(matches!(o.result, Err(TerminalError::SessionMismatch { .. })), "{:?}", o.result);
    let o = tap_with(&v, cfg(), 2, with_sw(nrs(&sid, 1, 1, &dpk), 0x9000));
    assert!(matches!(o.result, Err(TerminalError::Sequence { expected: 2, got: 1, .. })));
    let o = tap_with(&v, cfg(), 2, with_sw(nrs(&sid, 2, 4, &dpk), 0x9000));
    assert!(matches!(o.result, Err(TerminalError::SessionStatus { status: 4, .. })));

    // dpk: another valid key than the FCI's C3; uncompressed; with a format byte.
    let other = hexv(&v["terminal"]["ephemeral_public_key_compressed_hex"]);
    let o = tap_with(&v, cfg(), 2, with_sw(nrs(&sid, 2, 1, &other), 0x9000));
    assert!(matches!(o.result, Err(TerminalError::KeyMismatch)), "{:?}", o.result);
    let long = hexv(&v["handset"]["ephemeral_public_key_uncompressed_hex"]);
    let o = tap_with(&v, cfg(), 2, with_sw(nrs(&sid, 2, 1, &long), 0x9000));
    assert!(matches!(response_error(&o), ResponseError::BadField { field: "dpk", .. }));
    let prefixed = [&[4u8][..], &dpk].concat();
    let o = tap_with(&v, cfg(), 2, with_sw(nrs(&sid, 2, 1, &prefixed), 0x9000));
    assert!(matches!(response_error(&o), ResponseError::BadField { field: "dpk", .. }));

    // Trailing bytes after the message; no nrs at all.
    let mut trailing = nrs(&sid, 2, 1, &dpk);
    trailing.push(0);
    let o = tap_with(&v, cfg(), 2, with_sw(trailing, 0x9000));
    assert!(matches!(response_error(&o), ResponseError::Ndef(_)));
    let o = tap_with(&v, cfg(), 2, vec![0x90, 0x00]);
    assert!(matches!(response_error(&o), ResponseError::Ndef(_)));
}

#[test]
fn get_data_status_outcomes() {
    let v = e2e();
    for sw in [0x9302u16, 0x9300, 0x9406, 0x9500] {
        let o = tap_with(&v, vector_config(&v), 3, sw.to_be_bytes().to_vec());
        assert_eq!(o.result.unwrap(), TapResult::Ended { step: Step::GetData, sw: StatusWord(sw) });
    }
    let o = tap_with(&v, vector_config(&v), 3, vec![0x90, 0x01]);
    assert_eq!(o.result.unwrap(), TapResult::Read { sw: StatusWord(0x9001), objects: vec![] });
    let o = tap_with(&v, vector_config(&v), 3, with_sw(srs(&v, None), 0x9001));
    assert_eq!(o.result.unwrap(), TapResult::Read { sw: StatusWord(0x9001), objects: vec![] });
    let o = tap_with(&v, vector_config(&v), 3, with_sw(srs(&v, None), 0x9000));
    assert!(matches!(o.result, Err(TerminalError::MissingBundle)));
}

#[test]
fn bundle_flags_and_compression() {
    let v = e2e();
    let plain = hexv(&v["service_objects_plaintext"]["ndef_hex"]);
    let zlib = hexv(&v["service_objects_plaintext"]["zlib_hex"]);
    // Compressed bundle to a terminal that did not advertise zlib.
    let answer = srs(&v, Some(reb(&v, 0x03, &zlib)));
    let o = Terminal::new(vector_config(&v)).tap(&mut FakeHandset::new(&v, answer.clone(), 0x9000));
    assert!(matches!(o.result, Err(TerminalError::UnrequestedCompression)), "{:?}", o.result);
    // The same to a zlib terminal reads 2018.
    let o = Terminal::new(zlib_config(&v)).tap(&mut FakeHandset::new(
        &v,
        srs(&v, Some(reb(&v, 3, &zlib))),
        0x9000,
    ));
    assert_eq!(o.redemption_values(), vec!["2018"], "{:?}", o.result);
    // Plaintext flags are refused.
    let o = Terminal::new(vector_config(&v)).tap(&mut FakeHandset::new(
        &v,
        srs(&v, Some(reb(&v, 0x00, &plain))),
        0x9000,
    ));
    assert!(matches!(response_error(&o), ResponseError::BadField { field: "reb", .. }));
    // A zlib bomb: 40 KiB of zeros compresses to a few dozen bytes.
    let bomb = {
        use std::io::Write;
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![0u8; 40 * 1024]).unwrap();
        e.finish().unwrap()
    };
    let o = Terminal::new(zlib_config(&v)).tap(&mut FakeHandset::new(
        &v,
        srs(&v, Some(reb(&v, 3, &bomb))),
        0x9000,
    ));
    assert!(matches!(o.result, Err(TerminalError::Crypto(CryptoError::InflatedTooLarge(_)))));
    // Garbage that decrypts fine but is not NDEF.
    let o = Terminal::new(vector_config(&v)).tap(&mut FakeHandset::new(
        &v,
        srs(&v, Some(reb(&v, 1, b"garbage"))),
        0x9000,
    ));
    assert!(matches!(o.result, Err(TerminalError::Bundle(_))), "{:?}", o.result);
}

/// A bundle of `n` loyalty objects plus a customer object.
fn big_bundle(n: usize) -> Vec<u8> {
    let mut asvs = Vec::new();
    for k in 0..n {
        let ly = Message::new(vec![
            Record::external(b"oid", [&[4u8][..], &(k as u64).to_be_bytes()].concat()),
            Record::well_known(b"T", b"n", format!("\0value-{k:04}").into_bytes()),
        ]);
        let asv = Message::new(vec![
            Record::external(b"i", vec![4, 1, 0, 0, 0, 0, 0, 0, 0x07, 0xC6]),
            Record::container(b"ly", &[], &ly),
        ]);
        asvs.push(Record::container(b"asv", &[], &asv));
    }
    let cus = Message::new(vec![Record::external(b"cid", [&[4u8][..], &[0xAB; 16]].concat())]);
    let asv = Message::new(vec![
        Record::external(b"i", vec![4, 2, 0, 0, 0, 0]),
        Record::container(b"cus", &[], &cus),
    ]);
    asvs.push(Record::container(b"asv", &[], &asv));
    Message::new(asvs).encode()
}

#[test]
fn chaining_reassembles_within_limits() {
    let v = e2e();
    let answer = recorded_data(&v, 3);
    // 124 bytes in 40-byte slices: GET DATA + 3 GET MORE DATA.
    let mut card = FakeHandset::new(&v, answer.clone(), 0x9000).chunked(40);
    let o = Terminal::new(vector_config(&v)).tap(&mut card);
    assert_eq!(o.redemption_values(), vec!["2018"], "{:?}", o.result);
    let more = o.transcript.exchanges.iter().filter(|e| e.step == Step::GetMoreData).count();
    assert_eq!(more, 3);
    assert!(o
        .transcript
        .exchanges
        .iter()
        .all(|e| e.step != Step::GetMoreData || e.command == [0x90, 0xC0, 0, 0, 0]));

    // 8-byte slices need 15 GET MORE DATA: more than 10.
    let mut card = FakeHandset::new(&v, answer.clone(), 0x9000).chunked(8);
    let o = Terminal::new(vector_config(&v)).tap(&mut card);
    assert!(matches!(o.result, Err(TerminalError::TooManyChunks(10))), "{:?}", o.result);
    // A lower configured budget is honoured.
    let mut config = vector_config(&v);
    config.max_get_more = 2;
    let o = Terminal::new(config).tap(&mut FakeHandset::new(&v, answer, 0x9000).chunked(40));
    assert!(matches!(o.result, Err(TerminalError::TooManyChunks(2))));

    // A large answer (many objects + a customer object) in 250-byte slices.
    let body = big_bundle(40);
    let big = srs(&v, Some(reb(&v, 1, &body)));
    assert!(big.len() > 2000 && big.len() < 2750, "{}", big.len());
    let o =
        Terminal::new(vector_config(&v)).tap(&mut FakeHandset::new(&v, big, 0x9000).chunked(250));
    let Ok(TapResult::Read { objects, .. }) = &o.result else { panic!("{:?}", o.result) };
    assert_eq!(objects.len(), 41);
    assert_eq!(o.redemption_values()[39], "value-0039");
    assert_eq!(objects[40].kind, ObjectKind::Customer);
    assert_eq!(objects[40].customer_id.as_deref(), Some(&[0xAB; 16][..]));

    // Over 4096 bytes in total.
    let huge = srs(&v, Some(reb(&v, 1, &big_bundle(75))));
    assert!(huge.len() > 4096 && huge.len() <= 11 * 500);
    let o =
        Terminal::new(vector_config(&v)).tap(&mut FakeHandset::new(&v, huge, 0x9000).chunked(500));
    assert!(matches!(o.result, Err(TerminalError::ResponseTooLong)), "{:?}", o.result);
}

#[test]
fn transient_error_is_retried_once() {
    let v = e2e();
    let sid = hexv(&v["terminal"]["session_id_hex"]);
    let plain = hexv(&v["service_objects_plaintext"]["ndef_hex"]);
    let inner = Message::new(vec![ses(&sid, 6, 1), Record::external(b"reb", reb(&v, 1, &plain))]);
    let answer =
        with_sw(Message::new(vec![Record::container(b"srs", &[], &inner)]).encode(), 0x9000);
    let mut steps = handshake(&v);
    steps.push(ScriptStep { expect: None, respond: vec![0x92, 0x00] });
    steps.push(ScriptStep { expect: None, respond: answer });
    let o = Terminal::new(vector_config(&v)).tap(&mut ScriptedCard::new(steps.clone()));
    assert_eq!(o.redemption_values(), vec!["2018"], "{:?}", o.result);
    // The retry carries sequence handset + 3 = 05.
    let retry = &o.transcript.exchanges[4].command;
    assert_eq!(retry[5 + 3 + 3 + 2 + 3 + 3 + 8], 0x05, "{}", hex::encode(retry));
    // A second 92xx ends the tap.
    steps[4] = ScriptStep { expect: None, respond: vec![0x92, 0x03] };
    let o = Terminal::new(vector_config(&v)).tap(&mut ScriptedCard::new(steps));
    assert_eq!(o.result.unwrap(), TapResult::Ended { step: Step::GetData, sw: StatusWord(0x9203) });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever a hostile handset does to one answer (flip, truncate, extend), the terminal
    /// does not panic, and the only value it can ever report is the one that was sent.
    #[test]
    fn mutated_answers_never_panic_or_forge(
        step in 0usize..4,
        pos in any::<prop::sample::Index>(),
        mask in 1u8..=255,
        mode in 0u8..3,
    ) {
        let v = e2e();
        let mut answer = recorded_data(&v, step);
        let at = pos.index(answer.len());
        match mode {
            0 => answer[at] ^= mask,
            1 => answer.truncate(at),
            _ => answer.insert(at, mask),
        }
        let o = tap_with(&v, vector_config(&v), step, with_sw(answer, 0x9000));
        let values = o.redemption_values();
        prop_assert!(values.is_empty() || values == vec!["2018"], "{values:?}");
        let _ = o.transcript.to_string();
    }
}

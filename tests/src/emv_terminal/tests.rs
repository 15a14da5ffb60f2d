//! The reference terminal against the shared generic-profile vectors and the spec's §6
//! fixtures. The card answers here are recorded bytes (vectors, spec text), never computed
//! by this module's own crypto, so a bug in the terminal's MAC or DOL code shows up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::crypto::{self, parity_adjust, DoubleKey};
use super::tlv::{build, build_constructed};
use super::*;
use crate::card::{CardError, ScriptStep, ScriptedCard};
use serde_json::Value;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

fn vectors() -> Value {
    let path = crate::cli::shared_dir().join("vectors/payment/generic-profile.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn s<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or_else(|| panic!("no {p}"))
}

fn tag_of(t: &str) -> u32 {
    u32::from_str_radix(t, 16).unwrap()
}

fn luk_of(v: &Value) -> [u8; 16] {
    h(s(v, "/inputs/luk")).try_into().unwrap()
}

fn params_of(v: &Value) -> TerminalParams {
    let t = |tag: &str| h(s(v, &format!("/inputs/terminal/{tag}")));
    TerminalParams {
        ttq: t("9F66").try_into().unwrap(),
        amount: t("9F02").try_into().unwrap(),
        other_amount: t("9F03").try_into().unwrap(),
        country: t("9F1A").try_into().unwrap(),
        tvr: t("95").try_into().unwrap(),
        currency: t("5F2A").try_into().unwrap(),
        date: t("9A").try_into().unwrap(),
        txn_type: t("9C")[0],
        un: t("9F37").try_into().unwrap(),
    }
}

fn pdol_of(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    for e in v.pointer("/inputs/pdol_9F38").unwrap().as_array().unwrap() {
        tlv::push_tag(&mut out, tag_of(e["tag"].as_str().unwrap()));
        out.push(e["length"].as_u64().unwrap() as u8);
    }
    out
}

const AID: &str = "A000000333010102";
/// §6.1 fixture.
const PPSE_FCI: &str = "6F33840E325041592E5359532E4444463031A521BF0C1E611C4F08A00000033301010250095550204352454449548701019F2A0107";
/// §6.2 fixture.
const SELECT_FCI: &str = "6F3C8408A000000333010102A5305009555020435245444954870101\
    9F38189F66049F02069F03069F1A0295055F2A029A039C019F37045F2D047A68656E";
/// §6.4 fixture.
const RECORD: &str = "70195A0862310000000000085F24033012315F280201565F340100";

fn step(cmd: Vec<u8>, resp: &str) -> ScriptStep {
    ScriptStep { expect: Some(cmd), respond: h(resp) }
}

/// A scripted card: PPSE fixture, an FCI (given), the GPO exchange (expected command
/// exact), READ RECORD SFI 1 record 1 answered `record`, then `extra` steps.
fn card(
    fci: &str,
    gpo_cmd: Vec<u8>,
    gpo_resp: &str,
    record: &str,
    extra: Vec<ScriptStep>,
) -> ScriptedCard {
    let aid = h(AID);
    let mut steps = vec![
        step(select_command(PPSE), &format!("{PPSE_FCI}9000")),
        step(select_command(&aid), &format!("{fci}9000")),
        step(gpo_cmd, gpo_resp),
        step(read_record_command(1, 1), &format!("{record}9000")),
    ];
    steps.extend(extra);
    ScriptedCard::new(steps)
}

/// An FCI like §6.2 but with another PDOL (built with this module's TLV builder).
fn fci_with_pdol(pdol: &[u8]) -> String {
    let a5 = build_constructed(
        0xA5,
        &[
            build(0x50, b"UP CREDIT"),
            build(0x87, &[1]),
            build(0x9F38, pdol),
            build(0x5F2D, b"zhen"),
        ],
    );
    hex::encode_upper(build_constructed(0x6F, &[build(0x84, &h(AID)), a5]))
}

#[test]
fn spec_fixture_is_vector_one_pdol() {
    let v = vectors();
    let v1 = &v["vectors"][0];
    assert_eq!(fci_with_pdol(&pdol_of(v1)), SELECT_FCI.replace(' ', ""));
}

#[test]
fn all_vectors_session_key_mac_input_ac() {
    let v = vectors();
    let list = v["vectors"].as_array().unwrap();
    assert_eq!(list.len(), 8);
    for vec in list {
        let id = vec["id"].as_u64().unwrap();
        let luk = luk_of(vec);
        let atc = u16::from_str_radix(s(vec, "/inputs/atc"), 16).unwrap();
        let raw = crypto::generic_session_key(&luk, atc);
        assert_eq!(
            hex::encode_upper(raw),
            s(vec, "/intermediate/session_key_raw"),
            "vector {id} SK raw"
        );
        let mut adj = raw;
        parity_adjust(&mut adj);
        assert_eq!(
            hex::encode_upper(adj),
            s(vec, "/intermediate/session_key_parity_adjusted"),
            "vector {id}"
        );
        // The MAC input from what the terminal sends to the vector's PDOL (values by tag).
        let (_, sent) = build_gpo(&pdol_of(vec), &params_of(vec)).unwrap();
        let aip: [u8; 2] = h(s(vec, "/inputs/aip_82")).try_into().unwrap();
        let cvr = if vec["inputs"]["cdcvm_performed"].as_bool().unwrap() { 0x80 } else { 0x00 };
        let input = crypto::generic_mac_input(&sent, aip, atc, cvr).unwrap();
        assert_eq!(
            hex::encode_upper(&input),
            s(vec, "/intermediate/mac_input"),
            "vector {id} MAC input"
        );
        let ac = crypto::generic_ac(&luk, atc, &input);
        assert_eq!(hex::encode_upper(ac), s(vec, "/outputs/ac_9F26"), "vector {id} AC");
        // The same AC from the raw and the parity-adjusted session key directly.
        for sk in [raw, adj] {
            assert_eq!(
                hex::encode_upper(DoubleKey::new(&sk).retail_mac(&input)),
                s(vec, "/outputs/ac_9F26")
            );
        }
    }
}

#[test]
fn all_vectors_gpo_command_byte_for_byte() {
    let v = vectors();
    for vec in v["vectors"].as_array().unwrap() {
        let (cmd, _) = build_gpo(&pdol_of(vec), &params_of(vec)).unwrap();
        assert_eq!(hex::encode_upper(cmd), s(vec, "/apdu/gpo_command"), "vector {}", vec["id"]);
    }
}

/// Every vector's GPO answer, through the whole flow against a scripted card: parsed,
/// verified; one flipped AC bit or a flipped CVR byte (with or without the CTQ) fails.
#[test]
fn all_vectors_gpo_response_verifies_and_tampering_fails() {
    let v = vectors();
    for vec in v["vectors"].as_array().unwrap() {
        let id = vec["id"].as_u64().unwrap();
        let luk = luk_of(vec);
        let pdol = pdol_of(vec);
        let params = params_of(vec);
        let (cmd, _) = build_gpo(&pdol, &params).unwrap();
        let resp = s(vec, "/apdu/gpo_response");
        let run = |resp: &str| {
            let mut c = card(&fci_with_pdol(&pdol), cmd.clone(), resp, RECORD, vec![]);
            let r = Terminal::new(&mut c, params.clone()).run().unwrap();
            assert!(c.finished());
            r
        };
        let r = run(resp);
        assert_eq!(r.pan, "6231000000000008");
        assert_eq!(r.expiry, "301231");
        assert_eq!(r.psn, Some(0));
        assert_eq!(hex::encode_upper(r.ac), s(vec, "/outputs/ac_9F26"));
        assert_eq!(format!("{:04X}", r.atc), s(vec, "/inputs/atc"));
        assert_eq!(hex::encode_upper(r.iad.clone().unwrap()), s(vec, "/outputs/iad_9F10"));
        assert_eq!(r.cryptograms.len(), 1);
        assert_eq!(r.transcript.len(), 4);
        verify(&r, &luk).unwrap_or_else(|e| panic!("vector {id}: {e}"));

        // A wrong key fails.
        let mut other = luk;
        // Bit 1 of each byte is DES parity (ignored by the cipher): flip bit 2.
        other[15] ^= 0x02;
        assert!(matches!(verify(&r, &other), Err(VerifyError::Mismatch { .. })), "vector {id}");

        // One AC bit flipped in transit.
        let ac_hex = s(vec, "/outputs/ac_9F26");
        let mut ac = h(ac_hex);
        ac[7] ^= 0x01;
        let tampered = resp.replace(ac_hex, &hex::encode_upper(&ac));
        assert_ne!(tampered, resp);
        assert!(
            matches!(verify(&run(&tampered), &luk), Err(VerifyError::Mismatch { .. })),
            "vector {id}"
        );

        // The CVR byte flipped (the last byte of 9F10), CTQ left alone, then CTQ flipped too:
        // the AC binds the CVR either way.
        let iad = s(vec, "/outputs/iad_9F10");
        let flipped_cvr = if iad.ends_with("80") { "00" } else { "80" };
        let iad2 = format!("{}{flipped_cvr}", &iad[..10]);
        let t1 = resp.replace(&format!("9F1006{iad}"), &format!("9F1006{iad2}"));
        assert_ne!(t1, resp);
        assert!(
            matches!(verify(&run(&t1), &luk), Err(VerifyError::Mismatch { .. })),
            "vector {id}"
        );
        let ctq = s(vec, "/outputs/ctq_9F6C");
        let ctq2 = if ctq == "0080" { "0000" } else { "0080" };
        let t2 = t1.replace(&format!("9F6C02{ctq}"), &format!("9F6C02{ctq2}"));
        assert_ne!(t2, t1);
        assert!(
            matches!(verify(&run(&t2), &luk), Err(VerifyError::Mismatch { .. })),
            "vector {id}"
        );
    }
}

/// A CTQ that disagrees with a correctly MACed CVR is caught on its own.
#[test]
fn ctq_cvr_disagreement() {
    let v = vectors();
    let v1 = &v["vectors"][0];
    let (cmd, _) = build_gpo(&pdol_of(v1), &params_of(v1)).unwrap();
    let resp = s(v1, "/apdu/gpo_response").replace("9F6C020080", "9F6C020000");
    let mut c = card(SELECT_FCI, cmd, &resp, RECORD, vec![]);
    let r = Terminal::new(&mut c, params_of(v1)).run().unwrap();
    assert_eq!(
        verify(&r, &luk_of(v1)),
        Err(VerifyError::CdcvmDisagrees { ctq: [0, 0], cvr: 0x80 })
    );
}

#[test]
fn extra_checks_retail_mac_and_pyemv_csk() {
    let v = vectors();
    let sk: [u8; 16] =
        h(s(&v, "/vectors/0/intermediate/session_key_parity_adjusted")).try_into().unwrap();
    let x = &v["extra_checks"][0];
    assert_eq!(
        hex::encode_upper(DoubleKey::new(&sk).retail_mac(&h(s(x, "/mac_input")))),
        s(x, "/ac")
    );
    assert_eq!(s(x, "/ac"), "EE5656F5AB8BBC29");
    let p = &v["extra_checks"][1];
    let mk: [u8; 16] = h(s(p, "/mk")).try_into().unwrap();
    let mut csk = crypto::common_session_key(&mk, h(s(p, "/r")).try_into().unwrap());
    parity_adjust(&mut csk);
    assert_eq!(hex::encode_upper(csk), "E9FB384AF807B940FEDCEA613461B0C4");
    assert_eq!(hex::encode_upper(csk), s(p, "/sk_parity_adjusted"));
}

/// The whole flow against the spec's §6.1–§6.4 fixtures byte for byte (terminal values of
/// vector 1), then verify; the transcript is the four exchanges.
#[test]
fn spec_fixtures_flow_verifies() {
    let v = vectors();
    let v1 = &v["vectors"][0];
    let gpo_hex = "80A80000238321 36004000 000000001000 000000000000 0156 0000000000 0156 261122 00 12345678 00";
    let gpo = h(gpo_hex);
    let gpo_resp = "7743 82020000 940408010100 5711 6231000000000008D30122010000000000 \
        5F340100 9F1006 010001000080 9F2608 8A2F83D66C35B30F 9F270180 9F36020001 9F6C020080 9000"
        .replace(' ', "");
    let mut c = card(SELECT_FCI, gpo, &gpo_resp, RECORD, vec![]);
    let r = Terminal::new(&mut c, params_of(v1)).run().unwrap();
    assert!(c.finished());
    assert_eq!(r.aid, h(AID));
    assert_eq!(r.label.as_deref(), Some("UP CREDIT"));
    assert_eq!(r.aip, [0, 0]);
    assert_eq!(r.afl, vec![AflEntry { sfi: 1, first: 1, last: 1, oda: 0 }]);
    assert_eq!(r.ctq, Some([0x00, 0x80]));
    assert_eq!(r.cid, 0x80);
    assert_eq!(r.atc, 1);
    assert_eq!(r.transcript.iter().map(|e| e.sw).collect::<Vec<_>>(), vec![0x9000; 4]);
    assert!(r.transcript[2].note.starts_with("GPO: format 2"), "{}", r.transcript[2].note);
    verify(&r, &luk_of(v1)).unwrap();
    // Other terminal values → another GPO command, which the recorded card refuses.
    let mut other = params_of(v1);
    other.un = [0, 0, 0, 1];
    let r = Terminal::new(&mut card(SELECT_FCI, h(gpo_hex), "", RECORD, vec![]), other).run();
    assert!(
        matches!(&r, Err(TerminalError::Card { step, source: CardError::UnexpectedCommand { step: 2, .. } }) if step == "GPO"),
        "{r:?}"
    );
}

/// CDOL1 in the records → GENERATE AC with the CDOL1 data; format 1 GPO (no cryptogram).
/// The GENERATE AC answer carries vector 1's recorded AC: the CDOL1 asks for the same
/// objects, so the generic profile MAC is the same.
#[test]
fn generate_ac_path_verifies() {
    let v = vectors();
    let v1 = &v["vectors"][0];
    let params = params_of(v1);
    let (gpo, _) = build_gpo(&pdol_of(v1), &params).unwrap();
    let cdol1 = "9F02069F03069F1A0295055F2A029A039C019F37048A02";
    let record = format!("7032{}8C17{cdol1}", &RECORD[4..]);
    let cdol_data = h("000000001000 000000000000 0156 0000000000 0156 261122 00 12345678 0000");
    let genac_resp =
        "7722 9F270180 9F36020001 9F26088A2F83D66C35B30F 9F1006010001000080 9F6C020080 9000"
            .replace(' ', "");
    let mut c = card(
        SELECT_FCI,
        gpo.clone(),
        "800600000801010090 00".replace(' ', "").as_str(),
        &record,
        vec![step(generate_ac_command(&cdol_data), &genac_resp)],
    );
    let r = Terminal::new(&mut c, params.clone()).run().unwrap();
    assert!(c.finished());
    assert_eq!(r.cryptograms.len(), 1);
    assert_eq!(r.cryptograms[0].source, CryptogramSource::GenerateAc);
    assert_eq!(hex::encode_upper(r.ac), "8A2F83D66C35B30F");
    verify(&r, &luk_of(v1)).unwrap();

    // GENERATE AC answering TC to an ARQC request is refused.
    let tc = genac_resp.replace("9F270180", "9F270140");
    let mut c = card(
        SELECT_FCI,
        gpo.clone(),
        "8006000008010100 9000".replace(' ', "").as_str(),
        &record,
        vec![step(generate_ac_command(&cdol_data), &tc)],
    );
    assert!(matches!(
        Terminal::new(&mut c, params.clone()).run(),
        Err(TerminalError::CryptogramTooHigh(0x40))
    ));

    // Format 1 GPO and no CDOL1: no way to a cryptogram.
    let mut c =
        card(SELECT_FCI, gpo, "8006000008010100 9000".replace(' ', "").as_str(), RECORD, vec![]);
    assert!(matches!(Terminal::new(&mut c, params).run(), Err(TerminalError::NoCryptogramPath)));
}

/// What a strict reader refuses.
#[test]
fn strict_checks() {
    let v = vectors();
    let v1 = &v["vectors"][0];
    let params = params_of(v1);
    let (gpo, _) = build_gpo(&pdol_of(v1), &params).unwrap();
    let good = s(v1, "/apdu/gpo_response").to_string();
    let run = |resp: &str, record: &str| {
        let mut c = card(SELECT_FCI, gpo.clone(), resp, record, vec![]);
        Terminal::new(&mut c, params.clone()).run()
    };
    assert!(run(&good, RECORD).is_ok());
    // AIP with DDA (byte 1 bit 6) / SDA / CDA.
    for aip in ["2000", "4000", "0100"] {
        let r = run(&good.replace("82020000", &format!("8202{aip}")), RECORD);
        assert!(matches!(r, Err(TerminalError::OdaAdvertised(_))), "{aip}: {r:?}");
    }
    // 9F4B in the GPO answer (lengths adjusted: 7743 → 7746).
    let with_sdad =
        good.replacen("7743", "7747", 1).strip_suffix("9000").unwrap().to_string() + "9F4B01AA9000";
    assert!(matches!(run(&with_sdad, RECORD), Err(TerminalError::SignedDynamicData { .. })));
    // AFL: length not a multiple of 4, SFI 0, SFI 31, first > last, first 0.
    for (afl, name) in [
        ("9403080101", "len"),
        ("940400010100", "sfi0"),
        ("9404F8010100", "sfi31"),
        ("940408020100", "first>last"),
        ("940408000100", "first0"),
        ("940408010102", "oda"),
    ] {
        let r = run(
            &good
                .replace("940408010100", afl)
                .replace("7743", if afl.len() == 10 { "7742" } else { "7743" }),
            RECORD,
        );
        assert!(matches!(r, Err(TerminalError::BadAfl(_))), "{name}: {r:?}");
    }
    // GPO refused.
    assert!(matches!(run("6985", RECORD), Err(TerminalError::Status { sw: 0x6985, .. })));
    // Response over 256 bytes.
    let long = hex::encode_upper(build(0x77, &[0x00; 260])) + "9000";
    assert!(matches!(run(&long, RECORD), Err(TerminalError::ResponseTooLong { len: 264, .. })));
    // Records: no PAN, no expiry, track 2 of another PAN.
    // No 5A: the PAN comes from track 2; with neither, the tap fails.
    assert_eq!(run(&good, "700A5F24033012315F340100").unwrap().pan, "6231000000000008");
    let no_t2 =
        good.replace("57116231000000000008D30122010000000000", "").replacen("7743", "7730", 1);
    assert!(run(&no_t2, RECORD).is_ok());
    assert!(matches!(
        run(&no_t2, "700A5F24033012315F340100"),
        Err(TerminalError::Missing { tag: 0x5A, .. })
    ));
    assert!(matches!(
        run(&good, "700E5A0862310000000000085F340100"),
        Err(TerminalError::Missing { tag: 0x5F24, .. })
    ));
    let other_pan = good.replace("6231000000000008D", "6231000000000016D");
    assert!(matches!(run(&other_pan, RECORD), Err(TerminalError::Inconsistent(_))));
    // No cryptogram tags at all in a format 2 answer and no CDOL1.
    assert!(matches!(
        run("770A8202000094040801010090 00".replace(' ', "").as_str(), RECORD),
        Err(TerminalError::NoCryptogramPath)
    ));
    // PPSE with no entry.
    let mut c = ScriptedCard::new(vec![step(
        select_command(PPSE),
        "6F15840E325041592E5359532E4444463031A503BF0C009000",
    )]);
    assert!(matches!(
        Terminal::new(&mut c, params.clone()).run(),
        Err(TerminalError::NoApplication)
    ));
}

/// Priority: the entry with the highest priority (lowest 87 nibble) wins, else the first.
#[test]
fn ppse_priority_choice() {
    let entry = |aid: &str, prio: Option<u8>| {
        let mut kids = vec![build(0x4F, &h(aid)), build(0x50, b"X")];
        if let Some(p) = prio {
            kids.push(build(0x87, &[p]));
        }
        build_constructed(0x61, &kids)
    };
    let ppse = |entries: Vec<Vec<u8>>| {
        let bf0c = build_constructed(0xBF0C, &entries);
        hex::encode_upper(build_constructed(
            0x6F,
            &[build(0x84, PPSE), build_constructed(0xA5, &[bf0c])],
        )) + "9000"
    };
    let pick = |resp: String, want: &str| {
        let mut c = ScriptedCard::new(vec![
            step(select_command(PPSE), &resp),
            step(select_command(&h(want)), "6A82"),
        ]);
        let r = Terminal::new(&mut c, TerminalParams::default()).run();
        assert!(matches!(r, Err(TerminalError::Status { sw: 0x6A82, .. })), "{r:?}");
    };
    pick(ppse(vec![entry("A0000000031010", Some(2)), entry(AID, Some(1))]), AID);
    pick(ppse(vec![entry("A0000000031010", None), entry(AID, None)]), "A0000000031010");
    pick(ppse(vec![entry("A0000000031010", None), entry(AID, Some(3))]), AID);
}

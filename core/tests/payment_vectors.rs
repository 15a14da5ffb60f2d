//! `shared/vectors/payment/generic-profile.json` through the cryptogram engine and through
//! the applet (GPO answer byte for byte), and the spec's §6.1 / §6.2 / §6.4 fixtures.

mod payment_support;

use hce_wallet_core::ber_tlv::Tag;
use hce_wallet_core::events::{CryptogramKind, PaymentEvent};
use hce_wallet_core::payment::applet::PaymentConfig;
use hce_wallet_core::payment::cryptogram::{
    adjust_parity, csk, retail_mac, CryptogramEngine, CryptogramInput, GenericProfile,
};
use hce_wallet_core::payment::dol::Dol;
use hce_wallet_core::payment::profile::ProfileSettings;
use hce_wallet_core::payment::token::{Atc, CvmPolicy, TokenState};
use payment_support::*;
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let v = load_json("generic-profile.json");
    let list = v["vectors"].as_array().unwrap().clone();
    assert_eq!(list.len(), 8);
    list
}

fn pdol_of(v: &Value) -> Dol {
    let entries = v["inputs"]["pdol_9F38"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let tag = u32::from_str_radix(e["tag"].as_str().unwrap(), 16).unwrap();
            (Tag::new(tag).unwrap(), e["length"].as_u64().unwrap() as usize)
        })
        .collect();
    Dol::new(entries).unwrap()
}

fn atc_of(v: &Value) -> u16 {
    u16::from_str_radix(v["inputs"]["atc"].as_str().unwrap(), 16).unwrap()
}

#[test]
fn engine_reproduces_every_vector() {
    for v in vectors() {
        let id = &v["id"];
        let luk_bytes: [u8; 16] = hx(&v, "/inputs/luk").try_into().unwrap();
        let atc = Atc(atc_of(&v));
        let raw = GenericProfile::session_key(&luk_bytes, atc);
        assert_eq!(raw.to_vec(), hx(&v, "/intermediate/session_key_raw"), "vector {id} raw SK");
        let parity = adjust_parity(&raw);
        assert_eq!(
            parity.to_vec(),
            hx(&v, "/intermediate/session_key_parity_adjusted"),
            "vector {id} parity-adjusted SK"
        );

        // MAC input from the terminal data split by the vector's own PDOL (by tag).
        let pdol = pdol_of(&v);
        let gpo = hx(&v, "/apdu/gpo_command");
        let data = &gpo[7..7 + pdol.total_len()];
        let values = pdol.split(data).unwrap();
        let cdcvm = v["inputs"]["cdcvm_performed"].as_bool().unwrap();
        let aip: [u8; 2] = hx(&v, "/inputs/aip_82").try_into().unwrap();
        let cvr = if cdcvm { 0x80 } else { 0x00 };
        let input = GenericProfile::mac_input(&values, aip, atc, cvr).unwrap();
        assert_eq!(input.to_vec(), hx(&v, "/intermediate/mac_input"), "vector {id} MAC input");
        let ac = hx(&v, "/outputs/ac_9F26");
        assert_eq!(retail_mac(&raw, &input).to_vec(), ac, "vector {id} AC, raw key");
        assert_eq!(retail_mac(&parity, &input).to_vec(), ac, "vector {id} AC, parity key");

        // Through the trait.
        let key = luk(&luk_bytes, hx(&v, "/inputs/key_index").try_into().unwrap());
        let out = GenericProfile
            .generate(&CryptogramInput {
                key: &key,
                atc,
                aip,
                terminal: &values,
                cdcvm,
                kind: CryptogramKind::Arqc,
            })
            .unwrap();
        assert_eq!(out.ac.to_vec(), ac, "vector {id} engine AC");
        assert_eq!(vec![out.cid], hx(&v, "/outputs/cid_9F27"));
        assert_eq!(out.iad, hx(&v, "/outputs/iad_9F10"), "vector {id} 9F10");
    }
}

#[test]
fn extra_checks() {
    let v = load_json("generic-profile.json");
    let checks = v["extra_checks"].as_array().unwrap();
    let sk = GenericProfile::session_key(&h(LUK_HEX).try_into().unwrap(), Atc(1));
    assert_eq!(retail_mac(&sk, &hx(&checks[0], "/mac_input")).to_vec(), hx(&checks[0], "/ac"));
    let mk: [u8; 16] = hx(&checks[1], "/mk").try_into().unwrap();
    let r: [u8; 8] = hx(&checks[1], "/r").try_into().unwrap();
    assert_eq!(adjust_parity(&csk(&mk, r)).to_vec(), hx(&checks[1], "/sk_parity_adjusted"));
}

#[test]
fn vectors_five_and_six_differ_only_in_cdcvm() {
    let list = vectors();
    assert_ne!(list[4]["outputs"]["ac_9F26"], list[5]["outputs"]["ac_9F26"]);
    assert_eq!(list[4]["inputs"]["terminal"], list[5]["inputs"]["terminal"]);
}

/// Every policy under which the vector's CDCVM state leads to a cryptogram.
fn policies_for(v: &Value) -> Vec<CvmPolicy> {
    let cdcvm = v["inputs"]["cdcvm_performed"].as_bool().unwrap();
    let ttq = hx(v, "/inputs/terminal/9F66");
    let reader_requires = ttq[1] & 0x40 != 0;
    let mut out = Vec::new();
    if cdcvm || !reader_requires {
        out.push(CvmPolicy::WhenReaderRequires);
    }
    if cdcvm {
        out.push(CvmPolicy::EveryTransaction);
    }
    out
}

#[test]
fn applet_answers_every_vector_gpo_byte_for_byte() {
    let mut runs = 0;
    for v in vectors() {
        for policy in policies_for(&v) {
            let id = v["id"].as_u64().unwrap();
            let config = PaymentConfig {
                profile: ProfileSettings { pdol: pdol_of(&v), ..Default::default() },
                ..Default::default()
            };
            let tokens = TestTokens::default();
            tokens.add(
                token("tok-v", MPAN, policy),
                TokenState::Active,
                true,
                luk(&hx(&v, "/inputs/luk"), hx(&v, "/inputs/key_index").try_into().unwrap()),
            );
            let cdcvm = v["inputs"]["cdcvm_performed"].as_bool().unwrap();
            tokens.verify_until(cdcvm.then(|| now().plus_millis(30_000)));
            let mut rig = Rig::new(config, tokens);
            let atc = atc_of(&v);
            rig.journal.set_last("tok-v", atc - 1);

            assert_eq!(rig.sw(SELECT_PPSE), 0x9000);
            let (fci, sw) = rig.send(&h(SELECT_AID));
            assert_eq!(sw, 0x9000);
            // The FCI carries vector N's PDOL.
            let pdol_hex = hex::encode_upper(pdol_of(&v).encode());
            assert!(hex::encode_upper(&fci).contains(&pdol_hex), "vector {id}: FCI PDOL");
            let (data, sw) = rig.send(&hx(&v, "/apdu/gpo_command"));
            let mut answer = data.clone();
            answer.extend_from_slice(&sw.to_be_bytes());
            assert_eq!(
                hex::encode_upper(answer),
                v["apdu"]["gpo_response"].as_str().unwrap(),
                "vector {id} under {policy:?}"
            );
            assert_eq!(rig.journal.last("tok-v"), atc, "vector {id}: ATC committed");
            let entries = rig.journal.entries("tok-v");
            assert_eq!(entries.len(), 1);
            assert_eq!(entries[0].cdcvm, cdcvm);
            assert_eq!(entries[0].cryptogram.unwrap().0.to_vec(), hx(&v, "/outputs/ac_9F26"));
            let events = rig.payment_events();
            assert!(events.iter().any(|e| matches!(e,
                PaymentEvent::Cryptogram { atc: a, kind: CryptogramKind::Arqc, cdcvm: c, .. }
                    if *a == atc && *c == cdcvm)));
            runs += 1;
        }
    }
    assert!(runs == 13, "every vector under at least one policy ({runs} runs)");
}

#[test]
fn spec_fixtures_byte_for_byte() {
    let mut rig = Rig::standard(PaymentConfig::default(), CvmPolicy::WhenReaderRequires);
    // §6.1
    let (ppse, sw) = rig.send(&h(SELECT_PPSE));
    assert_eq!(sw, 0x9000);
    assert_eq!(
        ppse,
        h("6F33840E325041592E5359532E4444463031A521BF0C1E611C4F08A0000003330101025009555020435245444954870101 9F2A0107")
    );
    // §6.2
    let (fci, _) = rig.send(&h(SELECT_AID));
    assert_eq!(
        fci,
        h("6F3C8408A000000333010102A5305009555020435245444954870101 9F38189F66049F02069F03069F1A0295055F2A029A039C019F3704 5F2D047A68656E")
    );
    // §6.3 (vector 1, ATC 0001)
    let (gpo, sw) = rig.send(&h(GPO_V1));
    assert_eq!(sw, 0x9000);
    assert_eq!(
        gpo,
        h("7743 82020000 940408010100 57116231000000000008D30122010000000000 5F340100 9F1006010001000080 9F26088A2F83D66C35B30F 9F270180 9F36020001 9F6C020080")
    );
    // §6.4
    let (record, sw) = rig.send(&h(READ_RECORD_1));
    assert_eq!(sw, 0x9000);
    assert_eq!(record, h("7019 5A086231000000000008 5F2403301231 5F28020156 5F340100"));
}

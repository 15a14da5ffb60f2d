//! `hcectl decode` on real trace payloads (kormax-trace.json) prints the nested structure
//! with names and fields; the decoder never panics on truncated or corrupted input.

use std::path::PathBuf;
use std::process::Command;

use hce_wallet_harness::decode::{decode, describe_response, Kind};
use serde_json::Value;

fn kormax() -> Value {
    let shared = std::env::var_os("HCE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    let path = shared.join("vectors/smart-tap/kormax-trace.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The example whose label starts with `label`.
fn example(label: &str, field: &str) -> String {
    let json = kormax();
    let found = json["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["label"].as_str().unwrap().starts_with(label))
        .unwrap_or_else(|| panic!("no example {label:?}"));
    found[field].as_str().unwrap().to_string()
}

fn hcectl(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hcectl")).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The line containing `needle`, and its indentation.
fn line<'a>(text: &'a str, needle: &str) -> (&'a str, usize) {
    let l = text
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"));
    (l, l.len() - l.trim_start().len())
}

#[test]
fn negotiate_command_prints_nested_records() {
    let apdu = example("NEGOTIATE SECURE SMART TAP SESSION command", "apdu_hex");
    let (ok, out, err) = hcectl(&["decode", &apdu]);
    assert!(ok, "{err}");
    let (head, i0) = line(&out, "C-APDU NEGOTIATE SECURE SMART TAP SESSION");
    assert!(head.contains("CLA 90 INS 53 P1 00 P2 00") && head.contains("Lc 190"), "{head}");
    assert!(head.contains("Ne 256"), "{head}");
    let (ngr, i1) = line(&out, "ngr (negotiate request)");
    assert!(ngr.contains("header D4 [MB ME SR]") && ngr.contains("payload 184 bytes"), "{ngr}");
    let (_, iv) = line(&out, "version 0001 (Smart Tap 2.1)");
    let (_, i_ses) = line(&out, "session id 6b159a80fc8283fd, sequence 0, status 01 (OK)");
    let (cpr, i_cpr) = line(&out, "cpr (crypto parameters)");
    assert!(cpr.contains("header 54 [ME SR]"), "{cpr}");
    line(&out, "auth byte 01 (live authentication)");
    line(&out, "key version 00000001 (1)");
    let (_, i_sig) = line(&out, "sig (signature)");
    line(&out, "DER signature: 304602210086e43dc4");
    let (cld, i_cld) = line(&out, "collector ID 01020304 (16909060)");
    assert!(cld.contains("format 04 (binary)"), "{cld}");
    // Nesting shows as indentation: APDU > ngr > ses/cpr > sig > cld field.
    assert!(i0 < i1 && i1 < iv && iv <= i_ses, "{out}");
    assert!(i_ses > i1 && i_cpr > i1 && i_sig > i_cpr && i_cld > i_sig, "{out}");
}

#[test]
fn get_data_response_and_push_fields() {
    let srs = example("GET SMART TAP DATA response", "data_hex");
    let (ok, out, _) = hcectl(&["decode", &srs, "9000"]);
    assert!(ok);
    line(&out, "R-APDU SW 9000 = success, 212 data bytes");
    line(&out, "srs (service response)");
    line(&out, "flags 03 (encrypted, zlib-compressed)");
    line(&out, "IV: 1c5b7d2e9f0f6937a7c043dc");
    line(&out, "ciphertext (139 bytes)");
    line(&out, "HMAC-SHA256: 1c95ef2d2d1de6be82be0d76e8d555dc");

    let push = example("PUSH SMART TAP DATA command", "apdu_hex");
    let (ok, out, _) = hcectl(&["decode", &push]);
    assert!(ok);
    line(&out, "C-APDU PUSH SMART TAP DATA");
    line(&out, "push service type 05 = signup");
    line(&out, r#"RTD Text: status 02 (UTF-8), language "en", text "PASS""#);
    line(&out, r#"URI "https://example.com""#);
    line(&out, "not well-formed RTD Text (status byte 55");
    line(&out, "operation 05 = free");
    line(&out, "usage status 01 = success");
}

#[test]
fn select_ose_answer_names_fci_tags() {
    let fci = example("SELECT OSE.VAS.01 response", "data_hex");
    let (ok, out, _) = hcectl(&["decode", "--as", "tlv", &fci]);
    assert!(ok);
    let (_, i6f) = line(&out, "6F FCI template (132 bytes)");
    line(&out, r#"50 application label (10): 416e64726f6964506179 "AndroidPay""#);
    line(&out, "C1 Smart Tap transaction mode (8): cc00000000008080 = mode CC: payment enabled, payment requested, pass enabled, pass requested");
    let (_, ibf) = line(&out, "BF0C FCI issuer discretionary data (32 bytes)");
    line(&out, "4F AID (9): a000000476d0000111 = Smart Tap 2");
    let (_, idf) = line(
        &out,
        "DF62 Smart Tap capabilities (1): 03 = terminal may skip the second SELECT, VAS support",
    );
    assert!(i6f < ibf && ibf < idf);
    // Auto-detection reads the same bytes as TLV too.
    assert_eq!(hcectl(&["decode", &fci]).1, out);

    let select = example("SELECT OSE.VAS.01 (C-APDU)", "apdu_hex");
    let (_, out, _) = hcectl(&["decode", &select]);
    line(&out, "C-APDU SELECT by name (CLA 00 INS A4 P1 04 P2 00), Lc 10, Ne 256");
    line(&out, "AID 4f53452e5641532e3031 = OSE.VAS.01");

    let st2 = example("SELECT Smart Tap 2 response", "data_hex");
    let (_, out, _) = hcectl(&["decode", &st2]);
    line(&out, "Smart Tap 2 SELECT answer");
    line(&out, "maximum version 0001");
    line(
        &out,
        r#"mdn (handset nonce): header DC [MB ME SR IL], TNF 4 external, type "mdn", id "mdn""#,
    );
}

#[test]
fn bad_input_is_reported_not_fatal() {
    let (ok, _, err) = hcectl(&["decode", "9x00"]);
    assert!(!ok);
    assert!(err.contains("not a hex digit"), "{err}");
    let (ok, _, err) = hcectl(&["decode", "900"]);
    assert!(!ok && err.contains("odd number"), "{err}");
    let (ok, out, _) = hcectl(&["decode", "d4 03 30 73 72 71"]);
    assert!(ok);
    line(&out, "not recognised (6 bytes)");
    line(&out, "as NDEF: record 0 truncated");
    let (ok, out, _) = hcectl(&["decode", "--as", "capdu", "00a40400"]);
    assert!(ok);
    line(&out, "C-APDU SELECT by name (CLA 00 INS A4 P1 04 P2 00), no Le");
    let (_, out, _) = hcectl(&["decode", "--as", "rapdu", "6a82"]);
    line(&out, "R-APDU SW 6A82 = file or application not found, 0 data bytes");
}

/// Every prefix and every single-byte corruption of every trace payload decodes without
/// panicking, in every mode.
#[test]
fn decoder_survives_truncation_and_corruption() {
    let json = kormax();
    let mut inputs = Vec::new();
    for e in json["examples"].as_array().unwrap() {
        for key in ["apdu_hex", "data_hex"] {
            if let Some(h) = e[key].as_str() {
                inputs.push(hex::decode(h).unwrap());
            }
        }
    }
    assert!(inputs.len() >= 10);
    let kinds =
        [Kind::Auto, Kind::Command, Kind::Response, Kind::Tlv, Kind::Ndef, Kind::SmartTapSelect];
    for bytes in &inputs {
        for end in 0..=bytes.len() {
            for kind in kinds {
                let _ = decode(&bytes[..end], kind);
            }
        }
        for i in 0..bytes.len() {
            let mut m = bytes.clone();
            m[i] ^= 0x5A;
            let _ = decode(&m, Kind::Auto);
            let _ = describe_response(&m, Some(&[0, 0xA4, 4, 0, 2, 0xA0, 0]));
        }
    }
}

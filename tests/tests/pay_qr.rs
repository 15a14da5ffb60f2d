//! `hcectl pay qr`: a consumer-presented payment QR (EMV QRCPS) from a store's default
//! token, read back by a real scanner (zbarimg, Debian zbar-tools) from the PBM image, its
//! payload parsed by the reference terminal's own BER-TLV code and its cryptogram verified
//! with the reference terminal's own MAC (generic profile, payment spec §9.4) — independent
//! of the core. Each code spends one ATC, journaled like a tap; without a CDCVM window no
//! code is produced.

use std::process::Command;

use base64::Engine as _;
use hce_wallet_harness::emv_terminal::crypto::{generic_ac, generic_mac_input};
use hce_wallet_harness::emv_terminal::tlv::{self, find_in};

const KEY: &str = "4242424242424242424242424242424242424242424242424242424242424242";
const LUK: [u8; 16] = hex_literal::hex!("0123456789ABCDEFFEDCBA9876543210");

fn hcectl(store: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hcectl"))
        .arg("pay")
        .arg("--store")
        .arg(store)
        .args(args)
        .env("HCE_WALLET_KEY", KEY)
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_payment_qr_scans_parses_and_its_cryptogram_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("w.redb");
    assert!(hcectl(&store, &["provision", "--luk", "0123456789ABCDEFFEDCBA9876543210"]).0);
    let (ok, text) = hcectl(&store, &["qr"]);
    assert!(!ok && text.contains("verify on the phone first"), "{text}");
    assert!(hcectl(&store, &["verify", "--seconds", "120"]).0);
    for expected_atc in [1u16, 2] {
        let pbm = dir.path().join(format!("qr{expected_atc}.pbm"));
        let (ok, text) = hcectl(&store, &["qr", "--pbm", pbm.to_str().unwrap()]);
        assert!(ok, "{text}");
        let printed = text.lines().nth(1).unwrap().trim().to_string();
        let scan = Command::new("zbarimg").args(["--raw", "-q"]).arg(&pbm).output().unwrap();
        assert!(
            scan.status.success(),
            "zbarimg could not read the code (make deps installs zbar-tools)"
        );
        let scanned = String::from_utf8(scan.stdout).unwrap().trim().to_string();
        assert_eq!(scanned, printed, "the code carries the printed payload");
        let payload = base64::engine::general_purpose::STANDARD.decode(&scanned).unwrap();
        let tree = tlv::parse(&payload).unwrap();
        assert_eq!(find_in(&tree, 0x85).unwrap().value, b"CPV01");
        let app = find_in(&tree, 0x61).unwrap();
        assert_eq!(app.find(0x4F).unwrap().value, hex_literal::hex!("A000000333010102"));
        assert_eq!(app.find(0x5A).unwrap().value, hex_literal::hex!("6231000000000008"));
        let t = app.find(0x63).unwrap();
        let get = |tag| t.find(tag).unwrap().value.clone();
        let atc = u16::from_be_bytes(get(0x9F36).try_into().unwrap());
        assert_eq!(atc, expected_atc, "each code spends the next ATC");
        let iad = get(0x9F10);
        assert_eq!(iad.last(), Some(&0x80), "a code is shown only after CDCVM, and says so");
        // What the phone MACed in place of a terminal: zero amounts, TVR, currency and type,
        // the issuer country, its own date and unpredictable number.
        let sent = vec![
            (0x9F02, vec![0; 6]),
            (0x9F03, vec![0; 6]),
            (0x9F1A, vec![0x01, 0x56]),
            (0x95, vec![0; 5]),
            (0x5F2A, vec![0; 2]),
            (0x9A, get(0x9A)),
            (0x9C, vec![0]),
            (0x9F37, get(0x9F37)),
        ];
        let aip: [u8; 2] = get(0x82).try_into().unwrap();
        let input = generic_mac_input(&sent, aip, atc, 0x80).unwrap();
        assert_eq!(generic_ac(&LUK, atc, &input).to_vec(), get(0x9F26), "cryptogram verifies");
        let mut wrong = LUK;
        wrong[0] ^= 0x10;
        assert_ne!(generic_ac(&wrong, atc, &input).to_vec(), get(0x9F26));
    }
    let (_, show) = hcectl(&store, &["show", "tok-1"]);
    assert!(show.contains("atc         0002"), "{show}");
    assert_eq!(show.matches("log         ATC").count(), 2, "{show}");
}

//! Issuer NFC passes through the `Wallet` (issue 15): a Huawei pass JSON imports, its AID
//! joins the set the host registers, and the wallet's router answers a reader for it; a
//! tampered signed package is refused and stores nothing; the pass survives reopening.
#![allow(clippy::unwrap_used)]

use hce_wallet::{Deactivation, Host, Wallet, WalletConfig};
use hce_wallet_core::key_bundle::{sign_envelope, PinnedRoots};
use hce_wallet_core::nfc_pass::huawei::PACKAGE_CONTENT_TYPE;
use p256::ecdsa::SigningKey;

const DOOR: &str = include_str!("../../core/tests/fixtures/nfc/huawei-door.json");

fn open(dir: &tempfile::TempDir) -> Wallet {
    Wallet::open(&dir.path().join("w.redb"), &[7u8; 32], WalletConfig::default(), Host::default())
        .unwrap()
}

/// The issuer NFC-pass AIDs of the wallet's AID set: its `Other` group less Smart Tap's.
fn nfc_aids(w: &Wallet) -> Vec<String> {
    let smart_tap = [
        hex::encode_upper(hce_wallet_core::smart_tap::OSE_AID),
        hex::encode_upper(hce_wallet_core::smart_tap::ST2_AID),
    ];
    let set = w.aid_set().unwrap();
    set.aids(hce_wallet::AidCategory::Other)
        .iter()
        .map(hex::encode_upper)
        .filter(|a| !smart_tap.contains(a))
        .collect()
}

fn tx(w: &Wallet, apdu: &str) -> String {
    hex::encode_upper(w.process_apdu(&hex::decode(apdu.replace(' ', "")).unwrap()))
}

#[test]
fn huawei_pass_imports_registers_its_aid_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let w = open(&dir);
    assert!(nfc_aids(&w).is_empty());
    assert_eq!(tx(&w, "00A4040C08 F04857444F4F5231"), "6A82");
    assert_eq!(w.import_huawei_nfc_pass(DOOR.as_bytes()).unwrap(), "hw-campus-door-0042");
    assert_eq!(nfc_aids(&w), vec!["F04857444F4F5231".to_string()]);
    assert_eq!(tx(&w, "00A4040C08 F04857444F4F5231"), "9000");
    assert_eq!(tx(&w, "00A4020C02 0101"), "9000");
    assert_eq!(tx(&w, "00B000000C"), "6982");
    assert_eq!(tx(&w, "00A4020C02 0102"), "9000");
    assert_eq!(tx(&w, "00B0000000"), "00009000");
    w.on_deactivated(Deactivation::LinkLoss);
    let kinds: Vec<String> = w
        .activity(10)
        .unwrap()
        .into_iter()
        .filter(|a| a.kind.starts_with("nfc."))
        .map(|a| a.kind)
        .collect();
    assert_eq!(kinds, ["nfc.used"], "{kinds:?}");
    drop(w);
    let w = open(&dir);
    assert_eq!(nfc_aids(&w), vec!["F04857444F4F5231".to_string()]);
    assert!(w.remove_nfc_pass("hw-campus-door-0042").unwrap());
    assert!(nfc_aids(&w).is_empty());
}

#[test]
fn tampered_signed_package_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let w = open(&dir);
    let issuer = SigningKey::from_slice(&[9u8; 32]).unwrap();
    let roots = PinnedRoots::new([p256::PublicKey::from(issuer.verifying_key())]);
    let package = sign_envelope(DOOR.as_bytes(), PACKAGE_CONTENT_TYPE, &issuer).unwrap();
    let mut tampered = package.clone();
    let at = tampered.windows(4).position(|w| w == b"0101").unwrap();
    tampered[at + 3] = b'3';
    let err = w.import_signed_nfc_pass(&tampered, &roots).unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");
    assert!(nfc_aids(&w).is_empty());
    assert_eq!(w.import_signed_nfc_pass(&package, &roots).unwrap(), "hw-campus-door-0042");
    assert_eq!(nfc_aids(&w).len(), 1);
}

fn request(issuer: &SigningKey, body: &str) -> Vec<u8> {
    use hce_wallet_core::nfc_pass::issuer::REQUEST_CONTENT_TYPE;
    sign_envelope(body.as_bytes(), REQUEST_CONTENT_TYPE, issuer).unwrap()
}

#[test]
fn issuer_reads_and_writes_with_signed_requests_replays_refused() {
    let dir = tempfile::tempdir().unwrap();
    let w = open(&dir);
    w.import_huawei_nfc_pass(DOOR.as_bytes()).unwrap();
    // The fixture's spPublickey is the public key of this scalar.
    let issuer = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let pass = "hw-campus-door-0042";
    let write = request(
        &issuer,
        r#"{"passId":"hw-campus-door-0042","seq":1,"op":"write","fileId":"0102","offset":0,"data":"0A0B"}"#,
    );
    assert_eq!(w.issuer_nfc_request(pass, &write).unwrap(), Vec::<u8>::new());
    // Replayed: refused, nothing changes.
    let err = w.issuer_nfc_request(pass, &write).unwrap_err().to_string();
    assert!(err.contains("replayed"), "{err}");
    let read = request(
        &issuer,
        r#"{"passId":"hw-campus-door-0042","seq":2,"op":"read","fileId":"0101","offset":0,"length":11}"#,
    );
    assert_eq!(w.issuer_nfc_request(pass, &read).unwrap(), b"LAB-DOOR-42");
    // A reader sees the issuer's write.
    assert_eq!(tx(&w, "00A4040C08 F04857444F4F5231"), "9000");
    assert_eq!(tx(&w, "00A4020C02 0102"), "9000");
    assert_eq!(tx(&w, "00B0000000"), "0A0B9000");
    // Another key, another pass, past the end: refused.
    let other = SigningKey::from_slice(&[8u8; 32]).unwrap();
    let forged = request(
        &other,
        r#"{"passId":"hw-campus-door-0042","seq":9,"op":"write","fileId":"0102","offset":0,"data":"FFFF"}"#,
    );
    assert!(w.issuer_nfc_request(pass, &forged).unwrap_err().to_string().contains("signature"));
    let past = request(
        &issuer,
        r#"{"passId":"hw-campus-door-0042","seq":3,"op":"write","fileId":"0102","offset":1,"data":"FFFF"}"#,
    );
    assert!(w.issuer_nfc_request(pass, &past).unwrap_err().to_string().contains("leave file"));
    // The refused requests did not spend their sequence numbers: 3 still works.
    let ok3 = request(
        &issuer,
        r#"{"passId":"hw-campus-door-0042","seq":3,"op":"read","fileId":"0102","offset":0,"length":2}"#,
    );
    assert_eq!(w.issuer_nfc_request(pass, &ok3).unwrap(), [0x0A, 0x0B]);
}

//! Huawei Wallet NFC passes (issue 15): an `HwWalletObject` with an NFC part imports and
//! answers a reader; errors name the JSON path; a signed package is verified against the
//! issuer's key before anything is parsed, and a tampered one is refused.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;

use hce_wallet_core::key_bundle::{sign_envelope, PinnedRoots};
use hce_wallet_core::nfc_pass::applet::{NfcPassApplet, NfcPassPorts};
use hce_wallet_core::nfc_pass::auth::{self, ID_ICC};
use hce_wallet_core::nfc_pass::huawei::{self, PackageError, PACKAGE_CONTENT_TYPE};
use hce_wallet_core::nfc_pass::memory::InMemoryNfcPasses;
use hce_wallet_core::nfc_pass::model::{KeyNumber, NfcPass, NfcPassState};
use hce_wallet_core::pass::ImportError;
use hce_wallet_core::ports::{NoEvents, RandomSource};
use hce_wallet_core::router::Router;
use p256::ecdsa::SigningKey;

const DOOR: &str = include_str!("fixtures/nfc/huawei-door.json");

struct Zeros;
impl RandomSource for Zeros {
    fn fill(&mut self, buf: &mut [u8]) {
        buf.fill(0);
    }
}

fn tx(r: &mut Router, hex: &str) -> String {
    hex::encode_upper(r.process(&hex::decode(hex.replace(' ', "")).unwrap()))
}

/// A router with the NFC applet over one pass in memory (no events, zero challenges).
fn router(pass: NfcPass) -> Router {
    let store = Arc::new(InMemoryNfcPasses::new(vec![pass]));
    let mut r = Router::new();
    r.register(Box::new(NfcPassApplet::new(NfcPassPorts {
        source: store.clone(),
        journal: store,
        events: Arc::new(NoEvents),
        random: Box::new(Zeros),
    })));
    r
}

#[test]
fn imports_and_answers() {
    let hw = huawei::import_json(DOOR.as_bytes()).unwrap();
    assert_eq!(hw.pass.id.as_str(), "hw-campus-door-0042");
    assert_eq!(hw.pass.organization, "Example Campus");
    assert_eq!(hw.nfc_serial_number, "nfc-door-0042");
    assert_eq!(hw.pass_type_identifier, "hwpass.com.example.campus.key");
    assert!(hw.pass.sync_across_devices);
    assert_eq!(hw.pass.state, NfcPassState::Active);
    assert_eq!(hw.pass.issuer_key.as_ref().map(Vec::len), Some(65));
    let key = hw.pass.key(KeyNumber::new(1).unwrap()).unwrap().clone();
    assert_eq!(key.max_tries, 5);
    let mut r = router(hw.pass);
    assert_eq!(tx(&mut r, "00A4040C08 F04857444F4F5231"), "9000");
    assert_eq!(tx(&mut r, "00A4020C02 0101"), "9000");
    assert_eq!(tx(&mut r, "00B000000C"), "6982");
    assert_eq!(tx(&mut r, "0084000008"), "00000000000000009000");
    let token = hex::encode(auth::token(&key, &[0; 8], &ID_ICC));
    assert_eq!(tx(&mut r, &format!("0082000110{token}")), "9000");
    assert_eq!(tx(&mut r, "00B000000C"), "4C41422D444F4F522D3432009000");
}

fn err(json: &str) -> String {
    huawei::import_json(json.as_bytes()).unwrap_err().to_string()
}

#[test]
fn errors_name_the_path() {
    let no_serial = DOOR.replace("\"serialNumber\": \"hw-campus-door-0042\",", "");
    assert_eq!(err(&no_serial), "serialNumber: required field missing");
    let bad_id = DOOR.replace("hw-campus-door-0042", "hw campus door");
    assert!(err(&bad_id).starts_with("serialNumber: letters, digits"));
    let off = DOOR.replace("\"nfcType\": \"1\"", "\"nfcType\": \"0\"");
    assert!(err(&off).starts_with("linkDevicePass.nfcType:"), "{}", err(&off));
    let fid = DOOR.replace("\"fileId\": \"0102\"", "\"fileId\": \"01\"");
    assert!(
        err(&fid).starts_with("linkDevicePass.nfcParameters.fileParameters[1].fileId:"),
        "{}",
        err(&fid)
    );
    let key = DOOR.replace("\"read\": \"key:1\"", "\"read\": \"key:3\"");
    assert!(err(&key).contains("fileParameters: file 0101: access condition names key 3"));
    let short = DOOR.replace("000102030405060708090A0B0C0D0E0F", "0001020304050607");
    assert!(err(&short).starts_with("linkDevicePass.nfcParameters.externalAuthKeys[0].key:"));
    let many = DOOR.replace(
        "\"fileParameters\": [",
        &format!("\"fileParameters\": [{}", "{\"fileId\":\"0F0F\"},".repeat(40)),
    );
    assert!(matches!(huawei::import_json(many.as_bytes()), Err(ImportError::TooMany { .. })));
    let bad_key = DOOR.replace("MFkwEwYHKoZIzj0CAQYI", "MFkwEwYHKoZIzj0CAQYJ");
    assert!(err(&bad_key).starts_with("linkDevicePass.spPublickey:"), "{}", err(&bad_key));
    let no_nfc = DOOR.replace("\"linkDevicePass\"", "\"linkDevicePassX\"");
    assert_eq!(err(&no_nfc), "linkDevicePass: required field missing");
    // Errors never echo values: the key does not appear in any message above.
    assert!(!err(&short).contains("0001020304050607"));
    let inactive = DOOR.replace("\"state\": \"active\"", "\"state\": \"expired\"");
    assert_eq!(
        huawei::import_json(inactive.as_bytes()).unwrap().pass.state,
        NfcPassState::Suspended
    );
}

#[test]
fn signed_package_is_verified_first() {
    let issuer = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let roots = PinnedRoots::new([p256::PublicKey::from(issuer.verifying_key())]);
    let package = sign_envelope(DOOR.as_bytes(), PACKAGE_CONTENT_TYPE, &issuer).unwrap();
    let hw = huawei::import_signed(&package, &roots).unwrap();
    assert_eq!(hw.pass.id.as_str(), "hw-campus-door-0042");
    // One byte of the payload changed (the AID): refused before parsing.
    let at = package.windows(8).position(|w| w == b"F04857444".get(..8).unwrap()).unwrap();
    let mut tampered = package.clone();
    tampered[at] ^= 0x01;
    assert!(matches!(
        huawei::import_signed(&tampered, &roots),
        Err(PackageError::Signature(hce_wallet_core::key_bundle::BundleError::BadSignature { .. }))
    ));
    // Another issuer's key, or the right key but another kind of signed object: refused.
    let other = SigningKey::from_slice(&[8u8; 32]).unwrap();
    let by_other = sign_envelope(DOOR.as_bytes(), PACKAGE_CONTENT_TYPE, &other).unwrap();
    assert!(matches!(huawei::import_signed(&by_other, &roots), Err(PackageError::Signature(_))));
    let wrong_kind = sign_envelope(DOOR.as_bytes(), "application/json", &issuer).unwrap();
    assert!(matches!(huawei::import_signed(&wrong_kind, &roots), Err(PackageError::Signature(_))));
    // A well-signed package whose payload is bad is an import error with a path.
    let bad = sign_envelope(b"{}", PACKAGE_CONTENT_TYPE, &issuer).unwrap();
    assert!(matches!(huawei::import_signed(&bad, &roots), Err(PackageError::Import(_))));
}

#[test]
fn google_generic_object_with_the_nfc_extension() {
    use hce_wallet_core::nfc_pass::google;
    let json = include_str!("fixtures/nfc/google-generic-door.json");
    let pass = google::import_generic_object(json.as_bytes()).unwrap();
    assert_eq!(pass.id.as_str(), "3388000000012345.door-7");
    assert_eq!(pass.organization, "Example Labs");
    assert_eq!(pass.aid.to_hex(), "F0474F4F444F4F52");
    assert_eq!(pass.state, NfcPassState::Active);
    assert!(pass.issuer_key.is_some());
    let key = pass.key(KeyNumber::new(1).unwrap()).unwrap().clone();
    let mut r = router(pass);
    assert_eq!(tx(&mut r, "00A4040C08 F0474F4F444F4F52"), "9000");
    assert_eq!(tx(&mut r, "0084000008"), "00000000000000009000");
    let token = hex::encode(auth::token(&key, &[0; 8], &ID_ICC));
    assert_eq!(tx(&mut r, &format!("0082000110{token}")), "9000");
    assert_eq!(tx(&mut r, "00A4020C02 0101"), "9000");
    assert_eq!(tx(&mut r, "00B0000000"), "444F4F522D3037009000");
    // Paths: the extension is required; its fields are named under it.
    let err = |j: &str| google::import_generic_object(j.as_bytes()).unwrap_err().to_string();
    assert_eq!(err(&json.replace("hceWalletNfc", "other")), "hceWalletNfc: required field missing");
    assert!(err(&json.replace("\"aid\"", "\"aidX\"")).starts_with("hceWalletNfc.aid:"));
    assert!(err(&json.replace("3388000000012345.door-7", "door 7")).starts_with("id:"));
    let expired = json.replace("\"ACTIVE\"", "\"EXPIRED\"");
    let pass = google::import_generic_object(expired.as_bytes()).unwrap();
    assert_eq!(pass.state, NfcPassState::Suspended);
}

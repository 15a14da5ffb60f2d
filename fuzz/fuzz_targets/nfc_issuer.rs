//! Signed issuer requests to an NFC pass (issue 15, `core::nfc_pass::issuer`; Huawei's
//! `readNFCCard` / `modifyNFCCard`): raw bytes never verify; the same bytes signed with the
//! issuer's key reach the strict payload decoder and `apply`, which never panic, never take
//! a sequence at or below the pass's, read exactly the bytes asked for, and leave the pass
//! unchanged when they refuse.
#![no_main]

use std::sync::LazyLock;

use hce_wallet_core::key_bundle::sign_envelope;
use hce_wallet_core::nfc_pass::fixture;
use hce_wallet_core::nfc_pass::issuer::{self, IssuerOp, REQUEST_CONTENT_TYPE};
use hce_wallet_core::nfc_pass::model::NfcPass;
use libfuzzer_sys::fuzz_target;
use p256::ecdsa::SigningKey;
use p256::elliptic_curve::sec1::ToSec1Point;

const DOOR: &str = include_str!("../../tests/data/nfc-door-key.json");

/// The demo door key with an issuer key of ours and some requests already applied.
static ISSUER: LazyLock<(SigningKey, NfcPass)> = LazyLock::new(|| {
    let key = SigningKey::from_slice(&[0x35; 32]).expect("valid scalar");
    let mut pass = fixture::parse(DOOR.as_bytes()).expect("demo door key");
    let public = p256::PublicKey::from(key.verifying_key());
    pass.issuer_key = Some(public.to_sec1_point(true).as_bytes().to_vec());
    pass.issuer_seq = 5;
    (key, pass)
});

fuzz_target!(|data: &[u8]| {
    let (key, pass) = &*ISSUER;
    assert!(issuer::verify(data, pass).is_err(), "forged request verified");
    let Ok(signed) = sign_envelope(data, REQUEST_CONTENT_TYPE, key) else { return };
    let Ok(request) = issuer::verify(&signed, pass) else { return };
    assert!(request.seq > pass.issuer_seq, "replayed request verified");
    let mut after = pass.clone();
    match issuer::apply(&mut after, &request) {
        Ok(out) => {
            assert_eq!(after.issuer_seq, request.seq);
            match &request.op {
                IssuerOp::Read { file, offset, length } => {
                    assert_eq!(out.len(), *length);
                    let content = pass.file(*file).expect("read file exists").content();
                    assert_eq!(&content[*offset..*offset + *length], out.as_slice());
                    assert_eq!(after.files(), pass.files(), "a read changed a file");
                }
                IssuerOp::Write { file, offset, data } => {
                    assert!(out.is_empty());
                    let content = after.file(*file).expect("written file exists").content();
                    assert_eq!(&content[*offset..*offset + data.len()], data.as_slice());
                }
            }
        }
        Err(_) => assert_eq!(&after, pass, "a refused request changed the pass"),
    }
});

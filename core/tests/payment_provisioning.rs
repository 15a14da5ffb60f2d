//! Signed token-service messages (payment spec §9.2, §12.3): a provisioning payload and a
//! status message are accepted only with the pinned token-service key, for this device,
//! with a sequence above the last applied, and with well-formed card data; a refused
//! message changes nothing, and a status message applies all its events or none.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use hce_wallet_core::events::PaymentEvent;
use hce_wallet_core::key_bundle::{sign_envelope, BundleError, PinnedRoots};
use hce_wallet_core::payment::lifecycle::{DeviceEvent, TokenBook, TokenUpdate, Transition};
use hce_wallet_core::payment::provisioning::{
    sign_provisioning, verify_provisioning, verify_status, Provisioning, ProvisioningError,
    StatusEvent, StatusMessage, StatusTarget, PROVISIONING_CONTENT_TYPE, STATUS_CONTENT_TYPE,
};
use hce_wallet_core::payment::sample::{sample_keys, sample_token};
use hce_wallet_core::payment::token::{Expiry, Origin, ReasonCode, TokenState};
use hce_wallet_core::time::Timestamp;
use p256::ecdsa::SigningKey;
use p256::PublicKey;

const DEVICE: &str = "device-A";

fn tsp(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}
fn pinned() -> PinnedRoots {
    PinnedRoots::new([PublicKey::from(tsp(7).verifying_key())])
}
fn now() -> Timestamp {
    Timestamp::from_secs(1_800_000_000)
}
fn provisioning(seq: u64) -> Provisioning {
    Provisioning {
        sequence: seq,
        issued_at: now(),
        token: sample_token(0),
        keys: sample_keys(0, 3, 5, now()),
        active: true,
    }
}

#[test]
fn a_signed_payload_round_trips_with_every_field() {
    let bytes = sign_provisioning(&provisioning(4), DEVICE, &tsp(7)).unwrap();
    let got = verify_provisioning(&bytes, &pinned(), DEVICE, 3).unwrap();
    assert_eq!(got, provisioning(4));
}

#[test]
fn refusals_are_precise() {
    let good = sign_provisioning(&provisioning(4), DEVICE, &tsp(7)).unwrap();
    // Another key than the pinned token service's.
    let forged = sign_provisioning(&provisioning(4), DEVICE, &tsp(8)).unwrap();
    assert!(matches!(
        verify_provisioning(&forged, &pinned(), DEVICE, 0),
        Err(ProvisioningError::Envelope(BundleError::UnknownRoot { .. }))
    ));
    // A flipped byte in the signature.
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    assert!(matches!(
        verify_provisioning(&flipped, &pinned(), DEVICE, 0),
        Err(ProvisioningError::Envelope(BundleError::BadSignature { .. }))
    ));
    // Replayed, older, another device.
    assert_eq!(
        verify_provisioning(&good, &pinned(), DEVICE, 4),
        Err(ProvisioningError::Replayed { sequence: 4, last: 4 })
    );
    assert_eq!(
        verify_provisioning(&good, &pinned(), DEVICE, 9),
        Err(ProvisioningError::Replayed { sequence: 4, last: 9 })
    );
    assert_eq!(
        verify_provisioning(&good, &pinned(), "device-B", 0),
        Err(ProvisioningError::OtherDevice(DEVICE.into()))
    );
    // A status message is never taken for a provisioning payload (content type).
    let status = StatusMessage { sequence: 5, issued_at: now(), events: vec![] };
    let s = status.sign(DEVICE, &tsp(7)).unwrap();
    assert_eq!(
        verify_provisioning(&s, &pinned(), DEVICE, 0),
        Err(ProvisioningError::Envelope(BundleError::ContentType))
    );
    assert!(verify_status(&good, &pinned(), DEVICE, 0).is_err());
}

#[test]
fn malformed_payloads_name_the_field() {
    // Payloads with one field broken: the signed CBOR of a good one, edited, re-signed.
    let cbor = |map: ciborium::Value| {
        let mut out = Vec::new();
        ciborium::into_writer(&map, &mut out).unwrap();
        sign_envelope(&out, PROVISIONING_CONTENT_TYPE, &tsp(7)).unwrap()
    };
    let good = sign_provisioning(&provisioning(1), DEVICE, &tsp(7)).unwrap();
    let coset_payload = {
        use coset::TaggedCborSerializable;
        coset::CoseSign1::from_tagged_slice(&good).unwrap().payload.unwrap()
    };
    let mut value: ciborium::Value = ciborium::from_reader(coset_payload.as_slice()).unwrap();
    let set = |v: &mut ciborium::Value, path: &[&str], new: ciborium::Value| {
        let mut cur = v;
        for (i, key) in path.iter().enumerate() {
            let map = cur.as_map_mut().unwrap();
            let entry = map.iter_mut().find(|(k, _)| k.as_text() == Some(key)).unwrap();
            if i == path.len() - 1 {
                entry.1 = new.clone();
                return;
            }
            cur = &mut entry.1;
        }
    };
    let mut v = value.clone();
    set(&mut v, &["token", "mpan"], "6231000000000009".into());
    assert!(matches!(
        verify_provisioning(&cbor(v), &pinned(), DEVICE, 0),
        Err(ProvisioningError::Field { path, .. }) if path == "token.mpan"
    ));
    let mut v = value.clone();
    set(&mut v, &["token", "aid"], "A000".into());
    assert!(matches!(
        verify_provisioning(&cbor(v), &pinned(), DEVICE, 0),
        Err(ProvisioningError::Field { path, .. }) if path == "token.aid"
    ));
    let mut v = value.clone();
    set(&mut v, &["v"], 2.into());
    assert_eq!(
        verify_provisioning(&cbor(v), &pinned(), DEVICE, 0),
        Err(ProvisioningError::Version(2))
    );
    // An unknown field is refused (strict decoding), not ignored.
    value.as_map_mut().unwrap().push(("extra".into(), 1.into()));
    assert!(matches!(
        verify_provisioning(&cbor(value), &pinned(), DEVICE, 0),
        Err(ProvisioningError::Payload(_))
    ));
    // Garbage inside a valid envelope.
    let junk = sign_envelope(&[0xFF, 0x00, 0x13], PROVISIONING_CONTENT_TYPE, &tsp(7)).unwrap();
    assert!(matches!(
        verify_provisioning(&junk, &pinned(), DEVICE, 0),
        Err(ProvisioningError::Payload(_))
    ));
}

#[test]
fn status_messages_apply_in_order_all_or_nothing() {
    let mut book = TokenBook::new();
    let (a, b) = (sample_token(0), sample_token(1));
    book.load(a.clone(), true, now()).unwrap();
    book.load(b.clone(), true, now()).unwrap();
    let msg = StatusMessage {
        sequence: 7,
        issued_at: now(),
        events: vec![
            StatusEvent {
                target: StatusTarget::Token(a.id.clone()),
                transition: Some(Transition::Suspend),
                origin: Origin::IssuerOnToken,
                reason: Some(ReasonCode::Fraudulent),
            },
            StatusEvent {
                target: StatusTarget::Card(b.card.clone()),
                transition: Some(Transition::Update(TokenUpdate {
                    expiry: Some(Expiry::new(2032, 3).unwrap()),
                    ..Default::default()
                })),
                origin: Origin::IssuerOnCard,
                reason: Some(ReasonCode::Reissued),
            },
            StatusEvent {
                target: StatusTarget::Device(DeviceEvent::Lost),
                transition: None,
                origin: Origin::DeviceLost,
                reason: None,
            },
        ],
    };
    let bytes = msg.sign(DEVICE, &tsp(7)).unwrap();
    let got = verify_status(&bytes, &pinned(), DEVICE, 6).unwrap();
    assert_eq!(got, msg);
    assert_eq!(
        verify_status(&bytes, &pinned(), DEVICE, 7),
        Err(ProvisioningError::Replayed { sequence: 7, last: 7 })
    );
    let events = got.apply(&mut book, now()).unwrap();
    assert_eq!(book.get(&a.id).unwrap().state, TokenState::Suspended);
    assert_eq!(book.get(&b.id).unwrap().state, TokenState::Suspended, "device lost");
    assert_eq!(book.get(&b.id).unwrap().token.expiry, Expiry::new(2032, 3).unwrap());
    assert!(events.iter().any(|e| matches!(e, PaymentEvent::DefaultChanged { to: None, .. })));
    book.check().unwrap();
    // One refused event (resume of a deleted token) leaves the whole book as it was.
    book.apply(&a.id, Transition::Delete, Origin::User, None, now()).unwrap();
    let before = book.clone();
    let bad = StatusMessage {
        sequence: 8,
        issued_at: now(),
        events: vec![
            StatusEvent {
                target: StatusTarget::Device(DeviceEvent::Found),
                transition: None,
                origin: Origin::DeviceFound,
                reason: None,
            },
            StatusEvent {
                target: StatusTarget::Token(a.id.clone()),
                transition: Some(Transition::Resume),
                origin: Origin::IssuerOnToken,
                reason: None,
            },
        ],
    };
    let verified =
        verify_status(&bad.sign(DEVICE, &tsp(7)).unwrap(), &pinned(), DEVICE, 7).unwrap();
    assert_eq!(verified, bad, "device events keep their own origin");
    let (at, _) = verified.apply(&mut book, now()).unwrap_err();
    assert_eq!(at, 1);
    assert_eq!(book, before, "no half-applied message");
    let _ = STATUS_CONTENT_TYPE;
}

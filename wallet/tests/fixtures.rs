//! The key bundle fixture the Kotlin tests serve from their own `HttpTransport`
//! (`bindings/kotlin-tests/fixtures`). `cargo test -p hce-wallet --test fixtures --
//! --ignored` rewrites it; the normal test checks the committed files still verify and
//! still hold the demo collector's key.
#![allow(clippy::unwrap_used)]

mod support;

use hce_wallet_core::key_bundle::{verify, Limits, PinnedRoots};
use p256::pkcs8::DecodePublicKey;
use support::*;

#[test]
#[ignore = "rewrites the committed fixture"]
fn regenerate() {
    let dir = fixtures_dir();
    std::fs::write(dir.join("key-bundle.cose"), demo_bundle()).unwrap();
    std::fs::write(dir.join("bundle-root.pub.pem"), bundle_root_pem()).unwrap();
}

#[test]
fn committed_fixture_verifies_and_holds_the_demo_key() {
    let dir = fixtures_dir();
    let bytes = std::fs::read(dir.join("key-bundle.cose")).unwrap();
    let pem = std::fs::read_to_string(dir.join("bundle-root.pub.pem")).unwrap();
    assert_eq!(pem, bundle_root_pem());
    let root = p256::PublicKey::from_public_key_pem(&pem).unwrap();
    let verified = verify(&bytes, &PinnedRoots::new([root]), &Limits::default()).unwrap();
    let b = verified.bundle();
    assert_eq!(b.sequence, 1);
    let issuer = &b.issuers[0];
    assert_eq!(issuer.issuer_id, DEMO_ISSUER);
    assert_eq!(issuer.collectors[0].collector_id.0, DEMO_COLLECTOR);
    let key = issuer.collectors[0].keys[0].public_key;
    use p256::elliptic_curve::sec1::ToSec1Point;
    assert_eq!(hex::encode(key.to_sec1_point(false).as_bytes()), COLLECTOR_PUB_V1);
    // A different root must not verify it.
    let other = p256::PublicKey::from_sec1_bytes(&hex::decode(COLLECTOR_PUB_V1).unwrap()).unwrap();
    assert!(verify(&bytes, &PinnedRoots::new([other]), &Limits::default()).is_err());
}

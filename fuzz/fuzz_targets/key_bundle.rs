//! Key bundles (issue #7): the envelope parser, the signature check and the strict payload
//! decoder never panic on any input; whatever payload decodes re-encodes canonically to a
//! payload that decodes to the same bundle; nothing verifies without the pinned root's key.
#![no_main]

use hce_wallet_core::key_bundle::{decode_payload, encode_payload, inspect, verify, Limits, PinnedRoots};
use libfuzzer_sys::fuzz_target;
use p256::ecdsa::SigningKey;
use p256::PublicKey;
use std::sync::LazyLock;

/// A root whose private key the fuzzer cannot know, derived once per process.
static ROOTS: LazyLock<PinnedRoots> = LazyLock::new(|| {
    let root = SigningKey::from_slice(&[0x42; 32]).expect("valid scalar");
    PinnedRoots::new([PublicKey::from(root.verifying_key())])
});

fuzz_target!(|data: &[u8]| {
    // Small caps so the fuzzer reaches the limit checks too.
    let limits = Limits { max_bytes: 64 * 1024, max_issuers: 64, max_collectors_per_issuer: 4, max_keys_per_collector: 4 };
    if let Ok(bundle) = decode_payload(data, &limits) {
        let canonical = encode_payload(&bundle).expect("a decoded bundle encodes");
        assert_eq!(decode_payload(&canonical, &limits).as_ref(), Ok(&bundle), "payload round trip");
        assert_eq!(encode_payload(&bundle).as_deref(), Ok(canonical.as_slice()), "deterministic");
    }
    let _ = inspect(data, &limits);
    // No input may verify under the pinned root.
    assert!(verify(data, &ROOTS, &limits).is_err(), "forged bundle verified");
});

//! Token-service messages (payment spec §9.2, §12.3; issue #14): provisioning payloads and
//! status messages / windows. Nothing the fuzzer writes verifies under a key it cannot know;
//! payloads signed here with the pinned key reach the strict decoders, which never panic,
//! only messages above the device's last sequence are accepted, and a window that starts
//! past it is a gap, never a silent skip.
#![no_main]

use hce_wallet_core::key_bundle::{sign_envelope, PinnedRoots};
use hce_wallet_core::payment::provisioning::{
    verify_provisioning, verify_status, ProvisioningError, PROVISIONING_CONTENT_TYPE,
    STATUS_CONTENT_TYPE,
};
use libfuzzer_sys::fuzz_target;
use p256::ecdsa::SigningKey;
use p256::PublicKey;
use std::sync::LazyLock;

/// The pinned key and its roots, derived once (a scalar multiplication per input would
/// halve the executions per second).
static KEY: LazyLock<(SigningKey, PinnedRoots)> = LazyLock::new(|| {
    let key = SigningKey::from_slice(&[0x24; 32]).expect("valid scalar");
    let roots = PinnedRoots::new([PublicKey::from(key.verifying_key())]);
    (key, roots)
});

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let (key, roots) = &*KEY;
    let last = u64::from(selector >> 1);
    // Raw bytes: nothing verifies.
    assert!(verify_status(rest, roots, "dev", last).is_err(), "forged status verified");
    assert!(verify_provisioning(rest, roots, "dev", last).is_err(), "forged payload verified");
    // The same bytes as a signed payload: the decoders' turn.
    let content_type =
        if selector & 1 == 0 { STATUS_CONTENT_TYPE } else { PROVISIONING_CONTENT_TYPE };
    let Ok(signed) = sign_envelope(rest, content_type, key) else { return };
    if selector & 1 == 0 {
        match verify_status(&signed, roots, "dev", last) {
            Ok(msg) => assert!(msg.sequence > last, "a replayed message verified"),
            Err(ProvisioningError::Gap { first, last: l }) => assert!(first > l + 1),
            Err(_) => {}
        }
    } else {
        let _ = verify_provisioning(&signed, roots, "dev", last);
    }
});

//! Save-to-wallet links (issue #17, `core::pass::save_link`, `core::pass::jwt`): the JWKS
//! parser and the JWT decoder never panic on any input, and no input verifies under the
//! pinned test JWKS (RS256 needs the issuer's private key). The signed path past the
//! signature (claims, `aud`, `iat` / `exp`, `origins`) is left to `core/tests/save_link.rs`:
//! an RSA-2048 signature per input would cost milliseconds.
#![no_main]

use std::sync::LazyLock;

use hce_wallet_core::pass::google_wallet::import_jwt;
use hce_wallet_core::pass::save_link::{import_verified, Jwks, SaveLinkPolicy};
use hce_wallet_core::time::Timestamp;
use libfuzzer_sys::fuzz_target;

const JWKS: &str = include_str!("../../core/tests/fixtures/passes/save-link/issuer-jwks.json");

static PINNED: LazyLock<Jwks> = LazyLock::new(|| Jwks::from_json(JWKS).expect("test JWKS"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Jwks::from_json(text);
    let policy = SaveLinkPolicy {
        audience: "google".to_owned(),
        max_age_ms: 7 * 24 * 3_600_000,
        leeway_ms: 300_000,
    };
    let origin = Some("https://shop.example");
    let verified = import_verified(text, &PINNED, &policy, origin, Timestamp(1_800_000_000_000));
    assert!(verified.is_err(), "a link verified without the issuer's key");
    // The unverified decoding (tests and tools): a result or an error, never a panic.
    let _ = import_jwt(text);
});

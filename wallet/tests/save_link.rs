//! Save-to-wallet links through the `Wallet` (issue #17): a link signed by the pinned
//! issuer key is imported; a forged one, or an unverified JWT through `import_pass_json`,
//! is refused and the store — reopened — holds nothing of it.

use std::sync::Arc;

use hce_wallet::{Host, Wallet, WalletConfig};
use hce_wallet_core::ports::Clock;
use hce_wallet_core::time::Timestamp;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::json;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/fixtures/passes/save-link/");
const NOW: i64 = 1_804_000_000;

struct Fixed;
impl Clock for Fixed {
    fn now(&self) -> Timestamp {
        Timestamp::from_secs(NOW)
    }
}

fn token(signer: &str, object: &str) -> String {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let pem = std::fs::read_to_string(format!("{DIR}{signer}-rsa.test-key.pem")).unwrap();
    let key = SigningKey::<Sha256>::new(rsa::PrivateKey::from_pkcs8_pem(&pem).unwrap());
    let claims = json!({
        "iss": "issuer@example.invalid", "aud": "wallet.example", "typ": "savetowallet",
        "iat": NOW - 30, "origins": ["https://shop.example"],
        "payload": {
            "loyaltyClasses": [{ "id": "3388000000022334455.club", "programName": "Club" }],
            "loyaltyObjects": [{ "id": object, "classId": "3388000000022334455.club",
                                 "state": "ACTIVE" }] }
    });
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": "issuer-2027" });
    let input =
        format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let sig = key.sign(input.as_bytes()).to_vec();
    format!("{input}.{}", b64(&sig))
}

fn open(path: &std::path::Path) -> Wallet {
    let config = WalletConfig {
        save_link_jwks: Some(std::fs::read_to_string(format!("{DIR}issuer-jwks.json")).unwrap()),
        save_link_audience: "wallet.example".into(),
        ..WalletConfig::default()
    };
    let host = Host { clock: Arc::new(Fixed), ..Host::default() };
    Wallet::open(path, &[3u8; 32], config, host).unwrap()
}

#[test]
fn only_verified_links_reach_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    {
        let w = open(&path);
        let good = token("issuer", "3388000000022334455.good");
        assert_eq!(
            w.import_save_link(&good, Some("https://shop.example")).unwrap(),
            ["3388000000022334455.good"]
        );
        let forged = token("forger", "3388000000022334455.forged");
        let e = w.import_save_link(&forged, None).unwrap_err().to_string();
        assert!(e.contains("signature does not verify"), "{e}");
        let e = w.import_save_link(&good, Some("https://evil.example")).unwrap_err().to_string();
        assert!(e.contains("origin"), "{e}");
        // The unverified path is closed unless the test-only flag is set.
        let e = w.import_pass_json(&forged).unwrap_err().to_string();
        assert!(e.contains("must be verified"), "{e}");
    }
    let w = open(&path);
    let ids: Vec<String> = w.list_passes().into_iter().map(|p| p.object_id).collect();
    assert_eq!(ids, ["3388000000022334455.good"]);
}

#[test]
fn the_unverified_flag_is_explicit() {
    let dir = tempfile::tempdir().unwrap();
    let config = WalletConfig { allow_unverified_save_links: true, ..WalletConfig::default() };
    let w = Wallet::open(&dir.path().join("w.redb"), &[3u8; 32], config, Host::default()).unwrap();
    let forged = token("forger", "3388000000022334455.testing");
    assert_eq!(w.import_pass_json(&forged).unwrap(), ["3388000000022334455.testing"]);
}

//! Save-to-wallet link keys fetched through the host transport (issue #17): nginx on
//! loopback serves the issuer's JWKS; the wallet fetches it (ETag, a 304 the second time),
//! keeps it in the store, and then verifies links with it — also after a reopen, offline.
//! A JWKS that does not parse is refused and the held one kept; a forged link is refused
//! and stores nothing.
//!
//! Needs the Debian `nginx` binary (`make deps`); set `HCE_SKIP_NGINX=1` to skip.

use std::sync::Arc;

use hce_wallet::{Host, JwksRefresh, Wallet, WalletConfig};
use hce_wallet_core::ports::Clock;
use hce_wallet_core::time::Timestamp;
use hce_wallet_harness::http::UreqTransport;
use hce_wallet_harness::nginx::{self, Nginx};
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
        "iss": "issuer@example.invalid", "aud": "hce-wallet", "typ": "savetowallet",
        "iat": NOW - 30,
        "payload": {
            "loyaltyClasses": [{ "id": "3388000000022334455.club", "programName": "Club" }],
            "loyaltyObjects": [{ "id": object, "classId": "3388000000022334455.club" }] }
    });
    let header = json!({ "alg": "RS256", "kid": "issuer-2027" });
    let input =
        format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    format!("{input}.{}", b64(&key.sign(input.as_bytes()).to_vec()))
}

#[test]
fn links_verify_with_a_jwks_fetched_through_the_host_transport() {
    if std::env::var_os("HCE_SKIP_NGINX").is_some() {
        eprintln!("HCE_SKIP_NGINX set: skipping");
        return;
    }
    assert!(nginx::available(), "nginx not found (run `make deps`, or set HCE_SKIP_NGINX=1)");
    let nginx = Nginx::start("").unwrap();
    let jwks = std::fs::read(format!("{DIR}issuer-jwks.json")).unwrap();
    nginx.publish("jwks.json", &jwks, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    let open = |url: &str| {
        let config =
            WalletConfig { save_link_jwks_url: Some(url.to_owned()), ..WalletConfig::default() };
        let host = Host {
            transport: Some(Arc::new(UreqTransport::default())),
            clock: Arc::new(Fixed),
            ..Host::default()
        };
        Wallet::open(&path, &[4u8; 32], config, host).unwrap()
    };
    {
        let w = open(&nginx.url("/jwks.json"));
        let e = w.import_save_link(&token("issuer", "3388000000022334455.a"), None).unwrap_err();
        assert!(e.to_string().contains("no save-link keys"), "{e}");
        assert_eq!(w.refresh_save_link_keys(true).unwrap(), JwksRefresh::Updated);
        assert_eq!(w.refresh_save_link_keys(true).unwrap(), JwksRefresh::Unchanged);
        assert!(nginx.access_log().lines().last().is_some_and(|l| l.starts_with("304 ")));
        w.import_save_link(&token("issuer", "3388000000022334455.a"), None).unwrap();
        // A JWKS that does not parse is refused; the held one stays.
        nginx.publish("jwks.json", b"{\"keys\":[]}", 2).unwrap();
        assert!(w.refresh_save_link_keys(true).is_err());
        let forged = token("forger", "3388000000022334455.forged");
        assert!(w.import_save_link(&forged, None).is_err());
    }
    // Reopened with the server gone: the stored JWKS still verifies.
    drop(nginx);
    let w = open("http://127.0.0.1:9/gone.json");
    w.import_save_link(&token("issuer", "3388000000022334455.b"), None).unwrap();
    let ids: Vec<String> = w.list_passes().into_iter().map(|p| p.object_id).collect();
    assert_eq!(ids, ["3388000000022334455.a", "3388000000022334455.b"]);
}

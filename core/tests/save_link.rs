//! Verified save-to-wallet links (`pass::save_link`): RS256 JWTs signed with a test issuer
//! key (`tests/fixtures/passes/save-link/`), checked against its pinned JWKS; every
//! refusal reason, and a forged or tampered token imports nothing.

use hce_wallet_core::pass::save_link::{import_verified, Jwks, SaveLinkError, SaveLinkPolicy};
use hce_wallet_core::time::Timestamp;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::{json, Value};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/passes/save-link/");
const NOW: i64 = 1_804_000_000;

fn key(name: &str) -> SigningKey<Sha256> {
    let pem = std::fs::read_to_string(format!("{DIR}{name}-rsa.test-key.pem")).unwrap();
    SigningKey::new(rsa::PrivateKey::from_pkcs8_pem(&pem).unwrap())
}

fn jwks() -> Jwks {
    Jwks::from_json(&std::fs::read_to_string(format!("{DIR}issuer-jwks.json")).unwrap()).unwrap()
}

fn policy() -> SaveLinkPolicy {
    SaveLinkPolicy { audience: "wallet.example".into(), max_age_ms: 3_600_000, leeway_ms: 60_000 }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn claims() -> Value {
    json!({
        "iss": "issuer@example.iam.gserviceaccount.com", "aud": "wallet.example",
        "typ": "savetowallet", "iat": NOW - 60, "origins": ["https://shop.example"],
        "payload": { "loyaltyObjects": [{ "id": "3388000000022334455.club-alex",
            "classId": "3388000000022334455.club", "state": "ACTIVE" }] }
    })
}

fn jwt(header: Value, claims: &Value, key: &SigningKey<Sha256>) -> String {
    let input =
        format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", b64(&sig.to_vec()))
}

fn rs256() -> Value {
    json!({ "alg": "RS256", "typ": "JWT", "kid": "issuer-2027" })
}

fn check(token: &str, origin: Option<&str>) -> Result<usize, SaveLinkError> {
    import_verified(token, &jwks(), &policy(), origin, Timestamp::from_secs(NOW))
        .map(|b| b.objects.len())
}

#[test]
fn a_signed_link_imports() {
    let t = jwt(rs256(), &claims(), &key("issuer"));
    assert_eq!(check(&t, Some("https://shop.example")), Ok(1));
    assert_eq!(check(&t, None), Ok(1), "no origin from the host: origins not checked");
    // Without kid every pinned key is tried.
    let t = jwt(json!({ "alg": "RS256" }), &claims(), &key("issuer"));
    assert_eq!(check(&t, None), Ok(1));
}

#[test]
fn forged_and_tampered_links_are_refused() {
    let forged = jwt(rs256(), &claims(), &key("forger"));
    assert_eq!(check(&forged, None), Err(SaveLinkError::BadSignature));
    // A valid token whose claims were swapped for others.
    let good = jwt(rs256(), &claims(), &key("issuer"));
    let mut other = claims();
    other["payload"]["loyaltyObjects"][0]["id"] = json!("3388000000022334455.someone-else");
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], b64(other.to_string().as_bytes()), parts[2]);
    assert_eq!(check(&tampered, None), Err(SaveLinkError::BadSignature));
    // alg "none" with no signature, HS256, an unknown kid.
    let none = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(claims().to_string().as_bytes()));
    assert_eq!(check(&none, None), Err(SaveLinkError::Algorithm("none".into())));
    let hs = jwt(json!({ "alg": "HS256" }), &claims(), &key("issuer"));
    assert_eq!(check(&hs, None), Err(SaveLinkError::Algorithm("HS256".into())));
    let kid = jwt(json!({ "alg": "RS256", "kid": "other" }), &claims(), &key("issuer"));
    assert_eq!(check(&kid, None), Err(SaveLinkError::UnknownKey(Some("other".into()))));
}

#[test]
fn claims_are_checked() {
    let k = key("issuer");
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut c = claims();
        edit(&mut c);
        jwt(rs256(), &c, &k)
    };
    assert_eq!(
        check(&with(&|c| c["aud"] = json!("google")), None),
        Err(SaveLinkError::Audience { found: Some("google".into()) })
    );
    assert_eq!(
        check(&with(&|c| c["typ"] = json!("loyaltyobject")), None),
        Err(SaveLinkError::Type(Some("loyaltyobject".into())))
    );
    assert!(matches!(
        check(&with(&|c| c["iat"] = json!(NOW + 3600)), None),
        Err(SaveLinkError::IssuedInFuture { .. })
    ));
    assert!(matches!(
        check(&with(&|c| c["iat"] = json!(NOW - 86_400)), None),
        Err(SaveLinkError::TooOld { .. })
    ));
    assert_eq!(
        check(&with(&|c| drop(c.as_object_mut().unwrap().remove("iat"))), None),
        Err(SaveLinkError::NoIssuedAt)
    );
    assert!(matches!(
        check(&with(&|c| c["exp"] = json!(NOW - 120)), None),
        Err(SaveLinkError::Expired { .. })
    ));
    assert_eq!(check(&with(&|c| c["exp"] = json!(NOW + 120)), None), Ok(1));
    assert_eq!(
        check(&with(&|_| ()), Some("https://evil.example")),
        Err(SaveLinkError::Origin { origin: "https://evil.example".into() })
    );
}

#[test]
fn a_jwks_without_a_usable_key_is_refused() {
    for bad in [
        r#"{}"#,
        r#"{"keys":[]}"#,
        r#"{"keys":[{"kty":"EC","crv":"P-256"}]}"#,
        r#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}"#,
        "nope",
    ] {
        assert!(Jwks::from_json(bad).is_err(), "{bad}");
    }
}

//! Verified "save to wallet" links (issue #17): a Google Wallet save JWT is checked before
//! anything of it is stored — RS256 (RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256, by
//! the RustCrypto `rsa` crate) against the issuer's public keys as a pinned JWKS
//! (RFC 7517), then the claims Google Wallet defines for the link: `aud` the wallet's
//! audience, `typ` = `savetowallet`, `iat` not in the future and not older than the
//! allowed age, `exp` (when given) not passed, and `origins` (when the token lists them
//! and the host says where the link was opened) containing that origin. Only then is the
//! `payload` imported ([`super::google_wallet`]).
//!
//! Unverified import ([`super::import_jwt`]) stays for tests and tools only; the wallet
//! reaches it solely through its explicit `allow_unverified_save_links` flag.
// Reads untrusted input: no panics, no unchecked maths.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::Verifier;
use rsa::BoxedUint;
use serde_json::Value;

use super::google_wallet::{import_claims, ImportBatch, ImportError};
use super::json_reader;
use super::jwt::{base64url_decode, claims};
use crate::time::Timestamp;

/// The `typ` claim of a save-to-wallet JWT.
pub const SAVE_TO_WALLET_TYP: &str = "savetowallet";
/// The only signature algorithm accepted.
pub const ALG: &str = "RS256";
/// Most keys in a pinned JWKS.
pub const MAX_JWKS_KEYS: usize = 32;

/// Why a save link was refused. Nothing of it was stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SaveLinkError {
    #[error("malformed save link: {0}")]
    Malformed(#[from] ImportError),
    #[error("JWKS: {0}")]
    Jwks(String),
    #[error("header: alg {0:?} is not RS256")]
    Algorithm(String),
    #[error("no pinned issuer key matches kid {0:?}")]
    UnknownKey(Option<String>),
    #[error("the signature does not verify with the issuer's pinned key")]
    BadSignature,
    #[error("aud {found:?} is not this wallet's audience")]
    Audience { found: Option<String> },
    #[error("typ {0:?} is not \"savetowallet\"")]
    Type(Option<String>),
    #[error("iat missing or not a number of seconds")]
    NoIssuedAt,
    #[error("issued in the future (iat {iat_ms} ms, now {now_ms} ms)")]
    IssuedInFuture { iat_ms: i64, now_ms: i64 },
    #[error("issued too long ago (iat {iat_ms} ms, now {now_ms} ms)")]
    TooOld { iat_ms: i64, now_ms: i64 },
    #[error("expired (exp {exp_ms} ms, now {now_ms} ms)")]
    Expired { exp_ms: i64, now_ms: i64 },
    #[error("origin {origin:?} is not among the token's origins")]
    Origin { origin: String },
}

/// One issuer public key of a JWKS.
#[derive(Clone, Debug)]
struct Jwk {
    kid: Option<String>,
    key: VerifyingKey<Sha256>,
}

/// The issuer keys a wallet pins (or fetched through the host transport): a JWKS of RSA
/// keys (`kty` `RSA`, `n`, `e`; `alg` RS256 or absent; `use` `sig` or absent).
#[derive(Clone, Debug)]
pub struct Jwks {
    keys: Vec<Jwk>,
}

impl Jwks {
    /// Parses a JWKS document. Keys of other types or uses are skipped; a JWKS with no
    /// usable key, or an RSA key that does not parse, is an error.
    pub fn from_json(text: &str) -> Result<Jwks, SaveLinkError> {
        let bad = |m: &str| SaveLinkError::Jwks(m.to_owned());
        let doc: Value = serde_json::from_str(text).map_err(|_| bad("not JSON"))?;
        let list = doc.get("keys").and_then(Value::as_array).ok_or_else(|| bad("no keys array"))?;
        if list.len() > MAX_JWKS_KEYS {
            return Err(bad("too many keys"));
        }
        let mut keys = Vec::new();
        for k in list {
            let s = |name: &str| k.get(name).and_then(Value::as_str);
            if s("kty") != Some("RSA") || s("alg").is_some_and(|a| a != ALG) {
                continue;
            }
            if s("use").is_some_and(|u| u != "sig") {
                continue;
            }
            let n = s("n").and_then(base64url_decode).ok_or_else(|| bad("RSA key without n"))?;
            let e = s("e").and_then(base64url_decode).ok_or_else(|| bad("RSA key without e"))?;
            let public = rsa::PublicKey::new(
                BoxedUint::from_be_slice_vartime(&n),
                BoxedUint::from_be_slice_vartime(&e),
            )
            .map_err(|e| SaveLinkError::Jwks(format!("RSA key unusable: {e}")))?;
            keys.push(Jwk { kid: s("kid").map(str::to_owned), key: VerifyingKey::new(public) });
        }
        if keys.is_empty() {
            return Err(bad("no RS256 signing key"));
        }
        Ok(Jwks { keys })
    }
}

/// What the wallet requires of a link besides the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveLinkPolicy {
    /// The `aud` this wallet accepts.
    pub audience: String,
    /// Oldest `iat` accepted, relative to now (a link is used soon after it is made).
    pub max_age_ms: i64,
    /// Clock difference tolerated between issuer and device.
    pub leeway_ms: i64,
}

/// Verifies `token` and imports its payload. `origin`: where the link was opened (a web
/// origin such as `https://shop.example`), checked against the token's `origins`.
pub fn import_verified(
    token: &str,
    jwks: &Jwks,
    policy: &SaveLinkPolicy,
    origin: Option<&str>,
    now: Timestamp,
) -> Result<ImportBatch, SaveLinkError> {
    let token = token.trim();
    let claims_bytes = claims(token)?;
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ImportError::Jwt("not three dot-separated segments").into());
    };
    let header: Value = base64url_decode(h)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(ImportError::Jwt("header is not base64url JSON"))?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default();
    if alg != ALG {
        return Err(SaveLinkError::Algorithm(alg.chars().take(16).collect()));
    }
    let kid = header.get("kid").and_then(Value::as_str);
    let candidates: Vec<&Jwk> = match kid {
        Some(k) => jwks.keys.iter().filter(|j| j.kid.as_deref() == Some(k)).collect(),
        None => jwks.keys.iter().collect(),
    };
    if candidates.is_empty() {
        return Err(SaveLinkError::UnknownKey(kid.map(|k| k.chars().take(64).collect())));
    }
    let sig = base64url_decode(sig).ok_or(ImportError::Jwt("signature is not base64url"))?;
    let sig = Signature::try_from(sig.as_slice()).map_err(|_| SaveLinkError::BadSignature)?;
    // The signing input is the first two segments as sent (RFC 7515 §5.2).
    let signed_len = h.len().saturating_add(1).saturating_add(c.len());
    let signing_input = token.get(..signed_len).ok_or(SaveLinkError::BadSignature)?;
    if !candidates.iter().any(|j| j.key.verify(signing_input.as_bytes(), &sig).is_ok()) {
        return Err(SaveLinkError::BadSignature);
    }
    check_claims(&claims_bytes, policy, origin, now)?;
    Ok(import_claims(&claims_bytes)?)
}

fn check_claims(
    bytes: &[u8],
    policy: &SaveLinkPolicy,
    origin: Option<&str>,
    now: Timestamp,
) -> Result<(), SaveLinkError> {
    // The claims hold the payload (redemption values): read them into the importer's
    // tree, whose strings are wiped on drop.
    let parsed = json_reader::parse(bytes)?;
    let c = &parsed.0;
    let text = |k: &str| c.get(k).and_then(Value::as_str);
    let short = |s: Option<&str>| s.map(|s| s.chars().take(64).collect::<String>());
    if text("aud") != Some(policy.audience.as_str()) {
        return Err(SaveLinkError::Audience { found: short(text("aud")) });
    }
    if text("typ") != Some(SAVE_TO_WALLET_TYP) {
        return Err(SaveLinkError::Type(short(text("typ"))));
    }
    let secs = |k: &str| c.get(k).and_then(Value::as_i64).and_then(|s| s.checked_mul(1000));
    let iat_ms = secs("iat").ok_or(SaveLinkError::NoIssuedAt)?;
    let now_ms = now.0;
    if iat_ms > now_ms.saturating_add(policy.leeway_ms) {
        return Err(SaveLinkError::IssuedInFuture { iat_ms, now_ms });
    }
    if now_ms.saturating_sub(iat_ms) > policy.max_age_ms.saturating_add(policy.leeway_ms) {
        return Err(SaveLinkError::TooOld { iat_ms, now_ms });
    }
    if let Some(exp_ms) = secs("exp") {
        if now_ms >= exp_ms.saturating_add(policy.leeway_ms) {
            return Err(SaveLinkError::Expired { exp_ms, now_ms });
        }
    }
    if let (Some(origins), Some(origin)) = (c.get("origins").and_then(Value::as_array), origin) {
        let origin = origin.trim_end_matches('/');
        if !origins.iter().filter_map(Value::as_str).any(|o| o.trim_end_matches('/') == origin) {
            return Err(SaveLinkError::Origin { origin: origin.chars().take(256).collect() });
        }
    }
    Ok(())
}

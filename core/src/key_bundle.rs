//! Signed issuer key bundles (issue #7): the model, a strict CBOR codec and the signed
//! envelope.
//!
//! A bundle lists, per redemption issuer, its collector IDs and each key version's P-256
//! public key with its validity window (the keys NEGOTIATE verifies with, spec §6.3 step 4
//! and §11), plus a sequence number, issue time and expiry. The wallet operator signs it
//! with a root key whose public half is pinned in the wallet (several, for rotation).
//!
//! Envelope: a tagged COSE_Sign1 (RFC 9052) with ES256, built and parsed with `coset`
//! rather than an invented format; `docs/key-sync.md` says why. The protected header must
//! carry exactly `alg = ES256`, `content type =` [`CONTENT_TYPE`] (domain separation: a
//! root key signing other COSE objects cannot have them taken for bundles) and
//! `kid =` [`root_key_id`] of the signing root; no critical headers are understood.
//! The signature is checked before the payload is decoded, so an unauthenticated sender
//! never reaches the payload decoder.
//!
//! Payload (CBOR map, text keys, every field required, unknown or repeated keys rejected):
//!
//! ```text
//! { "v": 1, "seq": uint, "iat": secs, "exp": secs,
//!   "issuers": [ { "id": uint64, "collectors": [ { "id": uint32,
//!       "keys": [ { "ver": uint32, "pk": bstr .size 65, "nbf": secs, "exp": secs } ] } ] } ] }
//! ```
//!
//! Times are whole seconds since the Unix epoch (as in CWT). Public keys are uncompressed
//! SEC1 points (`04 ‖ X ‖ Y`): checking such a point is a few field multiplications,
//! whereas decompressing 10,000 keys would cost a square root each.
//!
//! Decoding is strict and bounded by [`Limits`]: every malformed input gets a typed
//! [`BundleError`] naming the field (`issuers[3].collectors[0].keys[1].pk`).

use std::fmt;

use coset::{iana, CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder};
use coset::{RegisteredLabel, RegisteredLabelWithPrivate, TaggedCborSerializable};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::PublicKey;
use sha2::{Digest, Sha256};

use crate::ports::{CollectorId, IssuerId};
use crate::time::Timestamp;

/// The payload format version this library reads and writes (`"v"`).
pub const FORMAT_VERSION: u64 = 1;
/// The COSE content type of a bundle payload (protected header label 3).
pub const CONTENT_TYPE: &str = "application/vnd.hce-wallet.key-bundle+cbor";
/// Length of an uncompressed SEC1 P-256 point.
pub const SEC1_UNCOMPRESSED_LEN: usize = 65;
/// Length of a root key ID: the first bytes of SHA-256 over the uncompressed root point.
pub const ROOT_KEY_ID_LEN: usize = 8;

/// Bounds on what [`verify`] and [`decode_payload`] accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Size of the whole envelope in bytes.
    pub max_bytes: usize,
    /// Issuers in one bundle.
    pub max_issuers: usize,
    /// Collector IDs per issuer.
    pub max_collectors_per_issuer: usize,
    /// Key versions per collector.
    pub max_keys_per_collector: usize,
}

impl Default for Limits {
    /// Room for about 50,000 single-key issuers (~115 bytes each).
    fn default() -> Self {
        Limits {
            max_bytes: 8 * 1024 * 1024,
            max_issuers: 100_000,
            max_collectors_per_issuer: 64,
            max_keys_per_collector: 32,
        }
    }
}

/// One key version of one collector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyEntry {
    /// The 4-byte key version NEGOTIATE names (spec §6.3).
    pub version: u32,
    pub public_key: PublicKey,
    /// First moment the key may be used.
    pub not_before: Timestamp,
    /// The key is not used at or after this moment.
    pub not_after: Timestamp,
}

/// One collector ID of an issuer with its key versions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectorEntry {
    pub collector_id: CollectorId,
    pub keys: Vec<KeyEntry>,
}

/// One redemption issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerEntry {
    pub issuer_id: IssuerId,
    pub collectors: Vec<CollectorEntry>,
}

/// The signed content of a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyBundle {
    /// Monotonic per operator: a device never applies a lower one (rollback).
    pub sequence: u64,
    pub issued_at: Timestamp,
    /// A bundle is not applied at or after this moment.
    pub expires_at: Timestamp,
    pub issuers: Vec<IssuerEntry>,
}

impl KeyBundle {
    /// Number of key versions across all issuers and collectors.
    pub fn key_count(&self) -> usize {
        self.issuers.iter().flat_map(|i| &i.collectors).map(|c| c.keys.len()).sum()
    }
}

/// A bundle whose envelope verified with a pinned root. Only [`verify`] makes one, so a
/// key ring taking `&VerifiedBundle` cannot be fed an unauthenticated bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedBundle {
    bundle: KeyBundle,
    root_key_id: [u8; ROOT_KEY_ID_LEN],
    digest: [u8; 32],
}

impl VerifiedBundle {
    pub fn bundle(&self) -> &KeyBundle {
        &self.bundle
    }
    /// The pinned root that signed it.
    pub fn root_key_id(&self) -> [u8; ROOT_KEY_ID_LEN] {
        self.root_key_id
    }
    /// SHA-256 of the envelope bytes, to tell two bundles with one sequence apart.
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }
}

/// Why a bundle was refused. Messages name fields and key IDs, never key material.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("bundle is {len} bytes, over the limit of {limit}")]
    TooLarge { len: usize, limit: usize },
    #[error("not a COSE_Sign1 envelope: {0}")]
    Envelope(String),
    #[error("unsupported signature algorithm (ES256 required)")]
    Algorithm,
    #[error("wrong content type for this kind of signed object")]
    ContentType,
    #[error("unsupported critical header parameter")]
    CriticalHeader,
    #[error("no root key ID (kid) in the protected header")]
    MissingKeyId,
    #[error("signed by root key {kid}, which is not pinned")]
    UnknownRoot { kid: String },
    #[error("signature does not verify with pinned root key {kid}")]
    BadSignature { kid: String },
    #[error("the envelope carries no payload (detached payloads are not supported)")]
    NoPayload,
    #[error("payload is not well-formed CBOR: {0}")]
    Cbor(String),
    #[error("unsupported bundle format version {0} (this library reads {FORMAT_VERSION})")]
    Version(u64),
    #[error("{path}: {problem}")]
    Field { path: String, problem: Problem },
    #[error("{path}: {count} entries, over the limit of {limit}")]
    Limit { path: String, count: usize, limit: usize },
    #[error("signing failed: {0}")]
    Signing(String),
}

/// What is wrong with one field of the payload.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("expected {0}")]
    Type(&'static str),
    #[error("required field missing")]
    Missing,
    #[error("unknown field")]
    Unknown,
    #[error("field repeated")]
    Repeated,
    #[error("value out of range")]
    Range,
    #[error("not an uncompressed SEC1 P-256 point (65 bytes, 04 prefix)")]
    KeyEncoding,
    #[error("not a point on P-256")]
    KeyNotOnCurve,
    #[error("validity window ends before it starts")]
    Window,
    #[error("issuer ID listed twice")]
    DuplicateIssuer,
    #[error("collector ID listed twice in the bundle")]
    DuplicateCollector,
    #[error("key version listed twice for this collector")]
    DuplicateVersion,
}

/// The key ID of a root public key: first 8 bytes of SHA-256 over its uncompressed point.
pub fn root_key_id(key: &PublicKey) -> [u8; ROOT_KEY_ID_LEN] {
    let digest = Sha256::digest(key.to_sec1_point(false).as_bytes());
    let mut id = [0u8; ROOT_KEY_ID_LEN];
    id.copy_from_slice(&digest[..ROOT_KEY_ID_LEN]);
    id
}

/// The operator root public keys the wallet trusts (more than one during a rotation).
#[derive(Clone, Default)]
pub struct PinnedRoots {
    roots: Vec<([u8; ROOT_KEY_ID_LEN], VerifyingKey)>,
}

impl PinnedRoots {
    pub fn new(keys: impl IntoIterator<Item = PublicKey>) -> Self {
        let roots = keys.into_iter().map(|k| (root_key_id(&k), VerifyingKey::from(k))).collect();
        PinnedRoots { roots }
    }
    /// The IDs of the pinned roots.
    pub fn key_ids(&self) -> impl Iterator<Item = [u8; ROOT_KEY_ID_LEN]> + '_ {
        self.roots.iter().map(|(id, _)| *id)
    }
    fn find(&self, kid: &[u8]) -> Option<&VerifyingKey> {
        self.roots.iter().find(|(id, _)| id.as_slice() == kid).map(|(_, k)| k)
    }
}

impl fmt::Debug for PinnedRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.roots.iter().map(|(id, _)| hex_string(id))).finish()
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the envelope says about itself, before any signature check (for `hcectl keys show`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeInfo {
    pub root_key_id: Vec<u8>,
    pub digest: [u8; 32],
}

/// Checks the envelope and its signature against the pinned roots, then decodes the payload.
/// Expiry and rollback are the key ring's business ([`crate::key_ring::KeyRing::apply`]).
pub fn verify(
    bytes: &[u8],
    roots: &PinnedRoots,
    limits: &Limits,
) -> Result<VerifiedBundle, BundleError> {
    let signed = verify_envelope(bytes, CONTENT_TYPE, roots, limits.max_bytes)?;
    let bundle = decode_payload(&signed.payload, limits)?;
    Ok(VerifiedBundle { bundle, root_key_id: signed.root_key_id, digest: signed.digest })
}

/// A COSE_Sign1 whose signature verified under a pinned root: its payload (not yet
/// decoded), the root that signed it and the envelope's SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedPayload {
    pub payload: Vec<u8>,
    pub root_key_id: [u8; ROOT_KEY_ID_LEN],
    pub digest: [u8; 32],
}

/// The signed envelope of every signed object the wallet takes in (key bundles, token
/// provisioning payloads, token status messages): a tagged COSE_Sign1, ES256, protected
/// `content type` = `content_type` (domain separation: a payload signed as one kind is
/// never accepted as another) and `kid` of a pinned root. The signature is checked before
/// the payload is returned, so an unauthenticated sender never reaches a payload decoder.
pub fn verify_envelope(
    bytes: &[u8],
    content_type: &str,
    roots: &PinnedRoots,
    max_bytes: usize,
) -> Result<SignedPayload, BundleError> {
    let (envelope, kid, digest) = open_envelope(bytes, content_type, max_bytes)?;
    if envelope.payload.is_none() {
        return Err(BundleError::NoPayload);
    }
    let kid_hex = hex_string(&kid);
    let root = roots.find(&kid).ok_or(BundleError::UnknownRoot { kid: kid_hex.clone() })?;
    let bad = || BundleError::BadSignature { kid: kid_hex.clone() };
    envelope.verify_signature(b"", |sig, tbs| {
        let sig = Signature::from_slice(sig).map_err(|_| bad())?;
        root.verify(tbs, &sig).map_err(|_| bad())
    })?;
    let payload = envelope.payload.ok_or(BundleError::NoPayload)?;
    let mut root_key_id = [0u8; ROOT_KEY_ID_LEN];
    root_key_id.copy_from_slice(&kid);
    Ok(SignedPayload { payload, root_key_id, digest })
}

/// Decodes a bundle WITHOUT checking its signature: for display only, never for applying.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<(KeyBundle, EnvelopeInfo), BundleError> {
    let (envelope, kid, digest) = open_envelope(bytes, CONTENT_TYPE, limits.max_bytes)?;
    let payload = envelope.payload.as_deref().ok_or(BundleError::NoPayload)?;
    let bundle = decode_payload(payload, limits)?;
    Ok((bundle, EnvelopeInfo { root_key_id: kid, digest }))
}

/// Parses the COSE_Sign1 and checks its protected header; returns it with the kid.
fn open_envelope(
    bytes: &[u8],
    content_type: &str,
    max_bytes: usize,
) -> Result<(CoseSign1, Vec<u8>, [u8; 32]), BundleError> {
    if bytes.len() > max_bytes {
        return Err(BundleError::TooLarge { len: bytes.len(), limit: max_bytes });
    }
    // Tag 18 (0xd2) is optional on the wire; we always write it.
    let parsed = if bytes.first() == Some(&0xd2) {
        CoseSign1::from_tagged_slice(bytes)
    } else {
        CoseSign1::from_slice(bytes)
    };
    let envelope = parsed.map_err(|e| BundleError::Envelope(e.to_string()))?;
    let header = &envelope.protected.header;
    if header.alg != Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256)) {
        return Err(BundleError::Algorithm);
    }
    if header.content_type != Some(RegisteredLabel::Text(content_type.to_owned())) {
        return Err(BundleError::ContentType);
    }
    if !header.crit.is_empty() || !envelope.unprotected.crit.is_empty() {
        return Err(BundleError::CriticalHeader);
    }
    if header.key_id.len() != ROOT_KEY_ID_LEN {
        return Err(BundleError::MissingKeyId);
    }
    let kid = header.key_id.clone();
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    Ok((envelope, kid, digest))
}

/// Signs a bundle with an operator root key: a tagged COSE_Sign1 ready to publish.
pub fn sign(bundle: &KeyBundle, root: &SigningKey) -> Result<Vec<u8>, BundleError> {
    sign_envelope(&encode_payload(bundle)?, CONTENT_TYPE, root)
}

/// Signs any payload in the envelope [`verify_envelope`] checks.
pub fn sign_envelope(
    payload: &[u8],
    content_type: &str,
    root: &SigningKey,
) -> Result<Vec<u8>, BundleError> {
    let kid = root_key_id(&PublicKey::from(root.verifying_key()));
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .content_type(content_type.to_owned())
        .key_id(kid.to_vec())
        .build();
    CoseSign1Builder::new()
        .protected(protected)
        .payload(payload.to_vec())
        .create_signature(b"", |tbs| {
            let sig: Signature = root.sign(tbs);
            sig.to_bytes().to_vec()
        })
        .build()
        .to_tagged_vec()
        .map_err(|e| BundleError::Signing(e.to_string()))
}

mod cbor;
mod payload;
pub use payload::{decode_payload, encode_payload, parse_uncompressed_key};

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;

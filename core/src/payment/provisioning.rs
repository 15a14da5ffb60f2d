//! Signed messages from the token service (payment spec §9.2, §12.3): a **provisioning
//! payload** (token profile + LUK batch + thresholds, for one device) and **status
//! messages** (sequenced life-cycle events: issuer suspend / resume / update / delete, card
//! cascades, device lost / found / wipe).
//!
//! Both travel in the envelope every signed object of the wallet uses
//! ([`crate::key_bundle::verify_envelope`]: COSE_Sign1, ES256, a content type of their own
//! so neither can pass for the other or for a key bundle, the token service's pinned key).
//! The signature is checked before the payload is decoded. Then the payload must name this
//! device and carry a sequence above the last one applied (a replayed or older message is
//! refused, [`ProvisioningError::Replayed`]); decoding is strict (unknown fields, wrong
//! types, bad card data are errors that name the field).
//!
//! Payload (CBOR map, text keys; times in seconds since the epoch; byte strings as hex):
//!
//! ```text
//! provisioning: { "v": 1, "seq": uint, "device": tstr, "iat": int, "active": bool,
//!   "token": { "ref", "card", "mpan", "exp_year", "exp_month", "psn", "product",
//!              "aid", "label", "kernel"?, "country", "cvm", "trid"?, "par"?, "art"? },
//!   "keys": [ { "luk": hex16, "index": hex4, "iat", "max_tx", "ttl", "max_amount" } ] }
//! ```
//!
//! Status messages (their format, and the window a status feed publishes) are in
//! [`super::status`]; their types are re-exported here.
//!
//! Why serde + ciborium with `deny_unknown_fields` here rather than a hand-written decoder
//! like the key bundle's: these payloads are small (one token, a few keys, a few events),
//! so the bounded-allocation concern that made the bundle decoder hand-written does not
//! arise beyond the envelope's size cap.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::token::{
    AidProfile, CardRef, CvmPolicy, Expiry, KeyThresholds, LimitedUseKey, Mpan, Product, Token,
    TokenId, KEY_INDEX_LEN, LUK_LEN,
};
use crate::key_bundle::{sign_envelope, verify_envelope, BundleError, PinnedRoots};
use crate::time::Timestamp;

pub use super::status::{
    verify_status, StatusEvent, StatusMessage, StatusTarget, MAX_EVENTS, STATUS_CONTENT_TYPE,
};

/// Content type of a provisioning payload's envelope.
pub const PROVISIONING_CONTENT_TYPE: &str = "application/vnd.hce-wallet.token-provisioning+cbor";
/// The payload format version (`"v"`).
pub const FORMAT_VERSION: u64 = 1;
/// Largest envelope accepted.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Most keys in one provisioning or replenishment batch.
pub const MAX_KEYS: usize = 64;

/// Why a signed token-service message was refused. Nothing was applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProvisioningError {
    #[error(transparent)]
    Envelope(#[from] BundleError),
    #[error("payload is not the expected CBOR: {0}")]
    Payload(String),
    #[error("unsupported format version {0} (this library reads {FORMAT_VERSION})")]
    Version(u64),
    #[error("the message is for device {0:?}, not this one")]
    OtherDevice(String),
    #[error("sequence {sequence} is not above the last applied {last}: replayed or older")]
    Replayed { sequence: u64, last: u64 },
    #[error(
        "the status window starts at {first}, but the last event applied is {last}: events \
         were missed (the token service must re-provision)"
    )]
    Gap { first: u64, last: u64 },
    #[error("{path}: {problem}")]
    Field { path: String, problem: String },
    #[error("{what}: {count} entries, over the limit of {limit}")]
    Limit { what: &'static str, count: usize, limit: usize },
}

pub(super) fn field(path: impl Into<String>, problem: impl std::fmt::Display) -> ProvisioningError {
    ProvisioningError::Field { path: path.into(), problem: problem.to_string() }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvisioningWire {
    v: u64,
    seq: u64,
    device: String,
    iat: i64,
    active: bool,
    token: TokenWire,
    keys: Vec<KeyWire>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenWire {
    #[serde(rename = "ref")]
    reference: String,
    card: String,
    mpan: String,
    exp_year: u16,
    exp_month: u8,
    psn: u8,
    product: Product,
    aid: String,
    label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kernel: Option<u8>,
    country: u16,
    cvm: CvmPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    par: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    art: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyWire {
    luk: String,
    index: String,
    iat: i64,
    max_tx: u32,
    ttl: i64,
    max_amount: u64,
}

/// A verified provisioning payload (or a replenishment batch: same format, an existing
/// token reference).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provisioning {
    pub sequence: u64,
    pub issued_at: Timestamp,
    pub token: Token,
    pub keys: Vec<LimitedUseKey>,
    /// Active at once (the token service activated it), else Pending.
    pub active: bool,
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex<const N: usize>(path: &str, s: &str) -> Result<Zeroizing<[u8; N]>, ProvisioningError> {
    let mut out = Zeroizing::new([0u8; N]);
    if s.len() != N.saturating_mul(2) {
        return Err(field(path, format!("expected {} hex digits", N.saturating_mul(2))));
    }
    for (i, o) in out.iter_mut().enumerate() {
        let pair = s.get(i.saturating_mul(2)..i.saturating_mul(2).saturating_add(2));
        *o = pair
            .and_then(|p| u8::from_str_radix(p, 16).ok())
            .ok_or_else(|| field(path, "expected hex digits"))?;
    }
    Ok(out)
}

pub(super) fn decode<T: serde::de::DeserializeOwned>(
    payload: &[u8],
) -> Result<T, ProvisioningError> {
    ciborium::from_reader(payload).map_err(|e| ProvisioningError::Payload(e.to_string()))
}

pub(super) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, ProvisioningError> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out)
        .map_err(|e| ProvisioningError::Payload(e.to_string()))?;
    Ok(out)
}

pub(super) fn check_header(
    v: u64,
    seq: u64,
    device: &str,
    this_device: &str,
    last: u64,
) -> Result<(), ProvisioningError> {
    if v != FORMAT_VERSION {
        return Err(ProvisioningError::Version(v));
    }
    if device != this_device {
        return Err(ProvisioningError::OtherDevice(device.to_owned()));
    }
    if seq <= last {
        return Err(ProvisioningError::Replayed { sequence: seq, last });
    }
    Ok(())
}

/// Verifies a provisioning payload for `device` whose sequence must exceed `last_sequence`.
pub fn verify_provisioning(
    bytes: &[u8],
    roots: &PinnedRoots,
    device: &str,
    last_sequence: u64,
) -> Result<Provisioning, ProvisioningError> {
    let signed = verify_envelope(bytes, PROVISIONING_CONTENT_TYPE, roots, MAX_MESSAGE_BYTES)?;
    let wire: ProvisioningWire = decode(&signed.payload)?;
    check_header(wire.v, wire.seq, &wire.device, device, last_sequence)?;
    if wire.keys.len() > MAX_KEYS {
        return Err(ProvisioningError::Limit {
            what: "keys",
            count: wire.keys.len(),
            limit: MAX_KEYS,
        });
    }
    let t = wire.token;
    let aid = unhex_vec("token.aid", &t.aid)?;
    if !(5..=16).contains(&aid.len()) {
        return Err(field("token.aid", "expected 5 to 16 bytes"));
    }
    if t.label.is_empty() || t.label.len() > 16 || !t.label.is_ascii() {
        return Err(field("token.label", "expected 1 to 16 ASCII characters"));
    }
    let token = Token {
        id: TokenId::new(t.reference).map_err(|e| field("token.ref", e))?,
        card: CardRef::new(t.card).map_err(|e| field("token.card", e))?,
        mpan: Mpan::new(&Zeroizing::new(t.mpan)).map_err(|e| field("token.mpan", e))?,
        expiry: Expiry::new(t.exp_year, t.exp_month).map_err(|e| field("token.exp", e))?,
        psn: t.psn,
        product: t.product,
        token_requestor_id: t.trid,
        par: t.par,
        profile: AidProfile {
            aid,
            label: t.label,
            kernel_id: t.kernel,
            issuer_country: t.country,
            cvm_policy: t.cvm,
        },
        card_art: t.art,
    };
    let mut keys = Vec::with_capacity(wire.keys.len());
    for (i, k) in wire.keys.into_iter().enumerate() {
        let luk = Zeroizing::new(k.luk);
        let key: Zeroizing<[u8; LUK_LEN]> = unhex(&format!("keys[{i}].luk"), &luk)?;
        let index: Zeroizing<[u8; KEY_INDEX_LEN]> = unhex(&format!("keys[{i}].index"), &k.index)?;
        if k.max_tx == 0 || k.ttl <= 0 {
            return Err(field(format!("keys[{i}]"), "thresholds must allow a transaction"));
        }
        if keys.iter().any(|x: &LimitedUseKey| x.key_index == *index) {
            return Err(field(format!("keys[{i}].index"), "key index repeated"));
        }
        keys.push(LimitedUseKey {
            key,
            key_index: *index,
            issued_at: Timestamp::from_secs(k.iat),
            thresholds: KeyThresholds {
                max_transactions: k.max_tx,
                lifetime_secs: k.ttl,
                max_cumulative_amount: k.max_amount,
            },
        });
    }
    Ok(Provisioning {
        sequence: wire.seq,
        issued_at: Timestamp::from_secs(wire.iat),
        token,
        keys,
        active: wire.active,
    })
}

fn unhex_vec(path: &str, s: &str) -> Result<Vec<u8>, ProvisioningError> {
    if s.len() % 2 != 0 {
        return Err(field(path, "expected hex digits in pairs"));
    }
    (0..s.len() / 2)
        .map(|i| {
            s.get(i * 2..i * 2 + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| field(path, "expected hex digits"))
        })
        .collect()
}

/// Signs a provisioning payload for `device` (the token service's side: `hcectl`, tests).
pub fn sign_provisioning(
    p: &Provisioning,
    device: &str,
    key: &p256::ecdsa::SigningKey,
) -> Result<Vec<u8>, ProvisioningError> {
    let t = &p.token;
    let wire = ProvisioningWire {
        v: FORMAT_VERSION,
        seq: p.sequence,
        device: device.to_owned(),
        iat: p.issued_at.secs(),
        active: p.active,
        token: TokenWire {
            reference: t.id.as_str().to_owned(),
            card: t.card.as_str().to_owned(),
            mpan: t.mpan.digits().to_owned(),
            exp_year: t.expiry.year(),
            exp_month: t.expiry.month(),
            psn: t.psn,
            product: t.product,
            aid: hex_upper(&t.profile.aid),
            label: t.profile.label.clone(),
            kernel: t.profile.kernel_id,
            country: t.profile.issuer_country,
            cvm: t.profile.cvm_policy,
            trid: t.token_requestor_id.clone(),
            par: t.par.clone(),
            art: t.card_art.clone(),
        },
        keys: p
            .keys
            .iter()
            .map(|k| KeyWire {
                luk: hex_upper(k.key.as_ref()),
                index: hex_upper(&k.key_index),
                iat: k.issued_at.secs(),
                max_tx: k.thresholds.max_transactions,
                ttl: k.thresholds.lifetime_secs,
                max_amount: k.thresholds.max_cumulative_amount,
            })
            .collect(),
    };
    let payload = Zeroizing::new(encode(&wire)?);
    Ok(sign_envelope(&payload, PROVISIONING_CONTENT_TYPE, key)?)
}

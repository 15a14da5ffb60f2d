//! Deterministic keys and bundles for the unit tests of the key bundle, key ring and sync.

use p256::ecdsa::SigningKey;
use p256::PublicKey;
use sha2::{Digest, Sha256};

use super::*;

/// Test "now": 2027-01-15T08:00:00Z.
pub const NOW_SECS: i64 = 1_800_000_000;
pub const DAY: i64 = 86_400;

pub fn now() -> Timestamp {
    Timestamp::from_secs(NOW_SECS)
}

/// A P-256 key derived from a label (SHA-256 of it as the scalar).
pub fn signing_key(label: &str) -> SigningKey {
    SigningKey::from_slice(&Sha256::digest(label.as_bytes())).unwrap()
}

pub fn public(label: &str) -> PublicKey {
    PublicKey::from(signing_key(label).verifying_key())
}

/// Key `version` of collector `collector`, valid for a year around [`NOW_SECS`].
pub fn key(collector: u32, version: u32) -> KeyEntry {
    KeyEntry {
        version,
        public_key: public(&format!("collector-{collector}-v{version}")),
        not_before: Timestamp::from_secs(NOW_SECS - 180 * DAY),
        not_after: Timestamp::from_secs(NOW_SECS + 180 * DAY),
    }
}

pub fn issuer(issuer_id: u64, collector: u32, versions: &[u32]) -> IssuerEntry {
    IssuerEntry {
        issuer_id,
        collectors: vec![CollectorEntry {
            collector_id: CollectorId(collector),
            keys: versions.iter().map(|&v| key(collector, v)).collect(),
        }],
    }
}

/// A bundle issued a day ago, expiring in 30 days.
pub fn bundle(sequence: u64, issuers: Vec<IssuerEntry>) -> KeyBundle {
    KeyBundle {
        sequence,
        issued_at: Timestamp::from_secs(NOW_SECS - DAY),
        expires_at: Timestamp::from_secs(NOW_SECS + 30 * DAY),
        issuers,
    }
}

pub const ROOT: &str = "operator-root-2026";

pub fn roots() -> PinnedRoots {
    PinnedRoots::new([public(ROOT)])
}

pub fn signed(b: &KeyBundle) -> Vec<u8> {
    sign(b, &signing_key(ROOT)).unwrap()
}

pub fn verified(b: &KeyBundle) -> VerifiedBundle {
    verify(&signed(b), &roots(), &Limits::default()).unwrap()
}

//! The demo collectors shared by the demo wallet (their public keys) and the reference
//! terminal (their private keys), so `hcectl tap --demo` needs no arguments.
//!
//! - 20180608, key version 1: the collector of Google's smart-tap-sample-app, with its
//!   published test key (also `shared/vectors/smart-tap/collector-20180608-v1.*.pem`);
//!   it redeems the demo pass of issuer 3265320111641956183 (value "2018").
//! - 12345678 fooPizza (issuer 1990), 18802001 yumPie (issuer 2018), and 8088 for the
//!   aggregator (issuer 8088, whose offer class lists fooPizza and yumPie as redemption
//!   issuers in the seeds' example; which passes, if any, collector 8088 may read is the demo
//!   wallet's data): key version 1, private scalar = SHA-256("hce-wallet demo collector <id>").
//!
//! All of these keys are public test material: never trust them outside demos and tests.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use hce_wallet_core::ports::{CollectorId, IssuerId, IssuerKeyRing};
use hce_wallet_core::time::Timestamp;
use p256::ecdsa::SigningKey;
use p256::{PublicKey, SecretKey};
use sha2::{Digest, Sha256};

/// Google's published smart-tap-sample-app test key (SEC1 PEM), collector 20180608 v1.
pub const GOOGLE_TEST_KEY_PEM: &str = "-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIIJtF+UHZ7FlsOTZ4zL40dHiAiQoT7Ta8eUKAyRucHl9oAoGCCqGSM49
AwEHoUQDQgAEchyXj869zfmKhRi9xP7f2AK07kEo4lE7ZlWTN14jh4YBTny+hRGR
XcUzevV9zSSPJlPHpqqu5pEwlv1xyFvE1w==
-----END EC PRIVATE KEY-----
";

/// Collector ID of Google's sample terminal and the vectors.
pub const GOOGLE_TEST_COLLECTOR: CollectorId = CollectorId(20180608);
/// The key version every demo collector uses.
pub const DEMO_KEY_VERSION: u32 = 1;

/// A collector the demo knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoCollector {
    pub collector: CollectorId,
    pub key_version: u32,
    pub name: &'static str,
    /// The redemption issuer account this collector belongs to (spec §12.1).
    pub issuer: IssuerId,
}

/// The demo collectors, in the order `hcectl tap --demo` taps them.
pub const DEMO_COLLECTORS: [DemoCollector; 4] = [
    DemoCollector {
        collector: GOOGLE_TEST_COLLECTOR,
        key_version: DEMO_KEY_VERSION,
        name: "Google smart-tap-sample-app test collector",
        issuer: 3265320111641956183,
    },
    DemoCollector {
        collector: CollectorId(12345678),
        key_version: DEMO_KEY_VERSION,
        name: "fooPizza",
        issuer: 1990,
    },
    DemoCollector {
        collector: CollectorId(18802001),
        key_version: DEMO_KEY_VERSION,
        name: "yumPie",
        issuer: 2018,
    },
    DemoCollector {
        collector: CollectorId(8088),
        key_version: DEMO_KEY_VERSION,
        name: "aggregator",
        issuer: 8088,
    },
];

/// The demo collector with this ID.
pub fn collector(id: CollectorId) -> Option<&'static DemoCollector> {
    DEMO_COLLECTORS.iter().find(|c| c.collector == id)
}

/// The private key of a demo collector (the terminal's side).
pub fn signing_key(id: CollectorId) -> Option<SigningKey> {
    collector(id)?;
    if id == GOOGLE_TEST_COLLECTOR {
        return SecretKey::from_sec1_pem(GOOGLE_TEST_KEY_PEM).ok().map(SigningKey::from);
    }
    let label = format!("hce-wallet demo collector {}", id.0);
    let mut digest = Sha256::digest(label.as_bytes());
    // A digest that is 0 or ≥ n (probability ≈ 2⁻³²) is hashed again.
    loop {
        if let Ok(key) = SecretKey::from_slice(digest.as_slice()) {
            return Some(SigningKey::from(key));
        }
        digest = Sha256::digest(digest.as_slice());
    }
}

/// The public key of a demo collector (the wallet's side).
pub fn public_key(id: CollectorId) -> Option<PublicKey> {
    signing_key(id).map(|k| PublicKey::from(k.verifying_key()))
}

/// An [`IssuerKeyRing`] holding exactly the demo collectors' keys, version 1, always valid.
#[derive(Clone, Copy, Debug, Default)]
pub struct DemoKeyRing;

impl IssuerKeyRing for DemoKeyRing {
    fn collector_key(
        &self,
        collector: CollectorId,
        key_version: u32,
        _now: Timestamp,
    ) -> Option<PublicKey> {
        let c = self::collector(collector)?;
        (c.key_version == key_version).then(|| public_key(collector)).flatten()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_deterministic_and_distinct() {
        let keys: Vec<PublicKey> =
            DEMO_COLLECTORS.iter().map(|c| public_key(c.collector).unwrap()).collect();
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(public_key(CollectorId(8088)), public_key(CollectorId(8088)));
        assert!(signing_key(CollectorId(1)).is_none());
        let now = Timestamp::default();
        assert!(DemoKeyRing.collector_key(CollectorId(12345678), 1, now).is_some());
        assert!(DemoKeyRing.collector_key(CollectorId(12345678), 2, now).is_none());
        assert!(DemoKeyRing.collector_key(CollectorId(99), 1, now).is_none());
    }

    #[test]
    fn demo_scalar_is_the_documented_hash() {
        let expected = Sha256::digest(b"hce-wallet demo collector 12345678");
        let key = signing_key(CollectorId(12345678)).unwrap();
        assert_eq!(key.to_bytes().as_slice(), expected.as_slice());
    }
}

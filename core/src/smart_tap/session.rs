//! Per-field-session state (spec §6.1 last item, §6.3 step 8, §11 "Hygiene"): the
//! handset nonce and ephemeral key pair made when the applet is armed, and the keys of
//! an authenticated session. Every secret sits in a zeroizing type and is wiped when
//! dropped; nothing here implements `Debug` with secret content.

use std::fmt;

use p256::elliptic_curve::sec1::ToSec1Point;
use zeroize::Zeroizing;

use crate::ports::{CollectorId, RandomSource};

/// How many 32-byte draws to try for a valid P-256 scalar before giving up. A real
/// generator fails one draw with probability about 2^-32; sixteen failures in a row
/// mean the source is broken.
const KEYGEN_ATTEMPTS: usize = 16;

/// The handset's per-tap randomness: nonce `Nh` and ephemeral key pair `(eh, Eh)`.
pub struct Ephemeral {
    pub nonce: [u8; 32],
    pub secret: p256::SecretKey,
    /// `Eh`, SEC1 compressed, exactly as sent in `C3` and `dpk` (and used as HKDF salt).
    pub public: [u8; 33],
}

impl fmt::Debug for Ephemeral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ephemeral").field("public", &self.public).finish_non_exhaustive()
    }
}

impl Ephemeral {
    /// Draws the nonce (32 bytes) and then the private scalar (32 bytes, redrawn while
    /// out of range) from `rng`; `None` if the source never yields a valid scalar.
    pub fn generate(rng: &mut dyn RandomSource) -> Option<Ephemeral> {
        let mut nonce = [0u8; 32];
        rng.fill(&mut nonce);
        for _ in 0..KEYGEN_ATTEMPTS {
            let mut scalar = Zeroizing::new([0u8; 32]);
            rng.fill(scalar.as_mut_slice());
            if let Ok(secret) = p256::SecretKey::from_slice(scalar.as_slice()) {
                let point = secret.public_key().to_sec1_point(true);
                let public: [u8; 33] = point.as_bytes().try_into().ok()?;
                return Some(Ephemeral { nonce, secret, public });
            }
        }
        log::error!("random source produced no valid P-256 scalar in {KEYGEN_ATTEMPTS} draws");
        None
    }
}

/// The AES-128 and HMAC-SHA256 keys of one authenticated session (spec §11).
pub struct SessionKeys {
    pub enc: Zeroizing<[u8; 16]>,
    pub mac: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKeys(<redacted>)")
    }
}

/// A session a terminal authenticated by NEGOTIATE (spec §6.3 step 8).
#[derive(Debug)]
pub struct Session {
    pub id: [u8; 8],
    pub collector: CollectorId,
    pub key_version: u32,
    /// Live authentication (the signature covered the handset nonce).
    pub live: bool,
    pub keys: SessionKeys,
}

//! Root key and per-purpose subkeys (issue: encrypted store, "Keys").
//!
//! The host app holds the 32-byte root key (on Android: random, wrapped by an Android
//! Keystore key) and hands it to [`crate::Store::open`]. Everything else is derived from
//! it with HKDF-SHA256 (RFC 5869), one `info` label per purpose, so a key never serves two
//! purposes: record encryption (AES-256-GCM), record-key blinding (HMAC-SHA256), the event
//! log (AES-256-GCM), the store file's stamp (HMAC-SHA256), and a public key identifier
//! that lets `open` tell a wrong root key from a damaged file. Keys live in boxed
//! zeroize-on-drop arrays (as in matrix-sdk-store-encryption) so moves copy a pointer,
//! never the key.

use std::fmt;
use std::path::Path;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Result, StoreError};

/// Length of the root key and of every derived key.
pub const KEY_LEN: usize = 32;
/// Environment variable read by [`RootKey::from_env`] (64 hex digits).
pub const KEY_ENV_VAR: &str = "HCE_WALLET_KEY";

const HKDF_SALT: &[u8] = b"hce-wallet-store/v1";
const INFO_RECORD: &[u8] = b"record-encryption";
const INFO_BLIND: &[u8] = b"record-key-blinding";
const INFO_EVENTS: &[u8] = b"event-log";
const INFO_KEY_ID: &[u8] = b"key-identifier";
const INFO_FILE_STAMP: &[u8] = b"file-stamp";

/// The host-held root key. Its `Debug` never shows the bytes.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RootKey(Box<[u8; KEY_LEN]>);

impl RootKey {
    /// Takes 32 key bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        let mut bytes = Zeroizing::new(bytes);
        let mut key = Box::new([0u8; KEY_LEN]);
        key.copy_from_slice(&bytes[..]);
        bytes.zeroize();
        RootKey(key)
    }

    /// The key bytes, to hand to `Wallet::open` (which copies them into a zeroizing
    /// buffer of its own). Never log or persist them.
    pub fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// A fresh random key from the operating system (first-run setup, tests).
    pub fn generate() -> Result<Self> {
        let mut key = Box::new([0u8; KEY_LEN]);
        getrandom::fill(&mut key[..]).map_err(|_| StoreError::InvalidKey("no OS randomness"))?;
        Ok(RootKey(key))
    }

    /// Parses 64 hex digits; surrounding whitespace is ignored.
    pub fn from_hex(text: &str) -> Result<Self> {
        let text = text.trim().as_bytes();
        if text.len() != KEY_LEN * 2 {
            return Err(StoreError::InvalidKey("expected 64 hex digits"));
        }
        let mut key = Box::new([0u8; KEY_LEN]);
        for (out, pair) in key.iter_mut().zip(text.chunks_exact(2)) {
            let (Some(hi), Some(lo)) = (
                pair.first().copied().and_then(hex_digit),
                pair.get(1).copied().and_then(hex_digit),
            ) else {
                key.zeroize();
                return Err(StoreError::InvalidKey("expected 64 hex digits"));
            };
            *out = (hi << 4) | lo;
        }
        Ok(RootKey(key))
    }

    /// Reads 64 hex digits from a file (for `hcectl wallet --store`). A file that is not
    /// text (a raw 32-byte key, say) is [`StoreError::InvalidKey`], not an I/O error.
    pub fn from_hex_file(path: impl AsRef<Path>) -> Result<Self> {
        let bytes = Zeroizing::new(std::fs::read(path)?);
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| StoreError::InvalidKey("expected 64 hex digits, found binary data"))?;
        Self::from_hex(text)
    }

    /// Reads 64 hex digits from [`KEY_ENV_VAR`].
    pub fn from_env() -> Result<Self> {
        let text = Zeroizing::new(
            std::env::var(KEY_ENV_VAR)
                .map_err(|_| StoreError::InvalidKey("HCE_WALLET_KEY unset"))?,
        );
        Self::from_hex(&text)
    }

    pub(crate) fn derive(&self) -> Keys {
        let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), &self.0[..]);
        let expand = |info: &[u8]| {
            let mut out = Box::new([0u8; KEY_LEN]);
            // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
            if hk.expand(info, &mut out[..]).is_err() {
                out.zeroize();
            }
            SubKey(out)
        };
        Keys {
            record: expand(INFO_RECORD),
            blind: expand(INFO_BLIND),
            events: expand(INFO_EVENTS),
            key_id: expand(INFO_KEY_ID),
            file_stamp: expand(INFO_FILE_STAMP),
        }
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey(<redacted>)")
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// One derived key.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct SubKey(Box<[u8; KEY_LEN]>);

impl SubKey {
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

/// The per-purpose keys derived from one root key.
pub(crate) struct Keys {
    pub(crate) record: SubKey,
    pub(crate) blind: SubKey,
    pub(crate) events: SubKey,
    /// Not secret in effect (it is stored in the clear), but derived one-way.
    pub(crate) key_id: SubKey,
    /// Authenticates the store file's identity in its sidecar stamp ([`crate::stamp`]).
    pub(crate) file_stamp: SubKey,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_errors() {
        let k = RootKey::from_hex(&"0f".repeat(32)).unwrap();
        assert_eq!(*k.0, [0x0f; 32]);
        assert!(RootKey::from_hex("00").is_err());
        assert!(RootKey::from_hex(&"zz".repeat(32)).is_err());
        assert_eq!(format!("{k:?}"), "RootKey(<redacted>)");
    }

    #[test]
    fn subkeys_differ_per_purpose_and_root() {
        let a = RootKey::from_bytes([1; 32]).derive();
        let b = RootKey::from_bytes([2; 32]).derive();
        let all = [
            a.record.bytes(),
            a.blind.bytes(),
            a.events.bytes(),
            a.key_id.bytes(),
            a.file_stamp.bytes(),
        ];
        for (i, x) in all.iter().enumerate() {
            for y in &all[i + 1..] {
                assert_ne!(x, y);
            }
        }
        assert_ne!(a.record.bytes(), b.record.bytes());
    }
}

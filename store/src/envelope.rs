//! Sealing one value: AES-256-GCM with a fresh random 96-bit nonce per write, and
//! record-key blinding with HMAC-SHA256 (issue: encrypted store, "Design").
//!
//! Stored value layout: `format (1) | nonce (12) | ciphertext | tag (16)`.
//! The AAD binds the domain, the envelope format, the schema version, the table name and
//! the stored (possibly blinded) record key, so a value copied to another record or table,
//! or replayed from another schema version, fails to authenticate (the content-type
//! namespace idea of bitwarden's `data_envelope`). Plaintext is CBOR (`ciborium`) of the
//! record type; it is held in zeroizing buffers until it is decoded.
//!
//! Nonces are random rather than counters because a counter would have to survive crashes
//! and rekeys in the same file; at 2^-32 collision risk per key after ~2^32 writes the random
//! choice is the standard one for AES-GCM (NIST SP 800-38D §8.2.2) and far above any wallet's
//! write count.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key};
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{Result, StoreError};
use crate::keys::SubKey;

/// Envelope format byte of every sealed value.
pub(crate) const ENVELOPE_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Smallest well-formed sealed value.
pub(crate) const MIN_SEALED_LEN: usize = 1 + NONCE_LEN + TAG_LEN;
const AAD_DOMAIN: &[u8] = b"hce-wallet-store";
/// Length of a blinded record key.
pub(crate) const BLIND_LEN: usize = 32;

/// An AEAD key with its cipher instance.
pub(crate) struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    pub(crate) fn new(key: &SubKey) -> Self {
        let key = Zeroizing::new(Key::<Aes256Gcm>::from(*key.bytes()));
        Sealer { cipher: Aes256Gcm::new(&key) }
    }

    /// Encrypts `plaintext` for (`schema`, `table`, `key`).
    pub(crate) fn seal_bytes(
        &self,
        schema: u32,
        table: &'static str,
        key: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce)
            .map_err(|_| StoreError::Database("OS random generator failed".into()))?;
        let aad = aad(schema, table, key);
        let ct = self
            .cipher
            .encrypt(&nonce.into(), Payload { msg: plaintext, aad: &aad })
            .map_err(|_| StoreError::Invalid("value too large to encrypt".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(ENVELOPE_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Authenticates and decrypts a value sealed by [`Self::seal_bytes`].
    pub(crate) fn open_bytes(
        &self,
        schema: u32,
        table: &'static str,
        key: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let integrity = |reason| StoreError::Integrity { table, reason };
        if sealed.len() < MIN_SEALED_LEN {
            return Err(integrity("sealed value too short"));
        }
        let (format, rest) = sealed.split_at(1);
        if format != [ENVELOPE_V1] {
            return Err(integrity("unknown envelope format"));
        }
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        let mut n = [0u8; NONCE_LEN];
        n.copy_from_slice(nonce);
        let aad = aad(schema, table, key);
        self.cipher
            .decrypt(&n.into(), Payload { msg: ct, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| integrity("authentication failed"))
    }

    /// Serializes a record to CBOR and seals it.
    pub(crate) fn seal<R: Serialize>(
        &self,
        schema: u32,
        table: &'static str,
        key: &[u8],
        record: &R,
    ) -> Result<Vec<u8>> {
        let mut plain = Zeroizing::new(Vec::new());
        ciborium::into_writer(record, &mut *plain)
            .map_err(|_| StoreError::Invalid(format!("record for `{table}` does not encode")))?;
        self.seal_bytes(schema, table, key, &plain)
    }

    /// Opens a sealed value and decodes its CBOR.
    pub(crate) fn open<R: DeserializeOwned>(
        &self,
        schema: u32,
        table: &'static str,
        key: &[u8],
        sealed: &[u8],
    ) -> Result<R> {
        let plain = self.open_bytes(schema, table, key, sealed)?;
        decode_cbor(table, &plain)
    }
}

/// Decodes authenticated CBOR; a failure here means a bug or a schema mix-up, never an
/// attacker (the value authenticated), but it is still an error, not a panic.
pub(crate) fn decode_cbor<R: DeserializeOwned>(table: &'static str, plain: &[u8]) -> Result<R> {
    ciborium::from_reader(plain)
        .map_err(|_| StoreError::Integrity { table, reason: "record does not decode" })
}

fn aad(schema: u32, table: &'static str, key: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_DOMAIN.len() + 12 + table.len() + key.len());
    aad.extend_from_slice(AAD_DOMAIN);
    aad.push(ENVELOPE_V1);
    aad.extend_from_slice(&schema.to_be_bytes());
    // Lengths make the encoding injective: (table, key) pairs cannot collide.
    aad.extend_from_slice(&(table.len() as u32).to_be_bytes());
    aad.extend_from_slice(table.as_bytes());
    aad.extend_from_slice(&(key.len() as u32).to_be_bytes());
    aad.extend_from_slice(key);
    aad
}

/// Computes blinded record keys: `HMAC-SHA256(blind key, len(table) | table | raw key)`.
pub(crate) struct Blinder {
    mac: Hmac<Sha256>,
}

impl Blinder {
    pub(crate) fn new(key: &SubKey) -> Result<Self> {
        // HMAC accepts keys of any length; the error arm exists only in the type.
        let mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key.bytes())
            .map_err(|_| StoreError::InvalidKey("HMAC key rejected"))?;
        Ok(Blinder { mac })
    }

    pub(crate) fn blind(&self, table: &'static str, raw: &[u8]) -> [u8; BLIND_LEN] {
        let mut mac = self.mac.clone();
        mac.update(&(table.len() as u32).to_be_bytes());
        mac.update(table.as_bytes());
        mac.update(raw);
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::RootKey;

    fn sealer() -> Sealer {
        Sealer::new(&RootKey::from_bytes([7; 32]).derive().record)
    }

    #[test]
    fn round_trip_and_fresh_nonce() {
        let s = sealer();
        let a = s.seal_bytes(2, "t", b"k", b"hello").unwrap();
        let b = s.seal_bytes(2, "t", b"k", b"hello").unwrap();
        assert_ne!(a, b, "nonce must be fresh per write");
        assert_eq!(&s.open_bytes(2, "t", b"k", &a).unwrap()[..], b"hello");
    }

    #[test]
    fn aad_binds_schema_table_and_key() {
        let s = sealer();
        let v = s.seal_bytes(2, "t", b"k", b"hello").unwrap();
        for (schema, table, key) in [(1, "t", &b"k"[..]), (2, "u", b"k"), (2, "t", b"j")] {
            assert!(matches!(
                s.open_bytes(schema, table, key, &v),
                Err(StoreError::Integrity { .. })
            ));
        }
        // Table/key boundary: ("ab", "c") must not equal ("a", "bc").
        let v = s.seal_bytes(2, "ab", b"c", b"x").unwrap();
        assert!(s.open_bytes(2, "a", b"bc", &v).is_err());
    }

    #[test]
    fn short_or_unknown_format_is_integrity_error() {
        let s = sealer();
        assert!(s.open_bytes(2, "t", b"k", &[]).is_err());
        let mut v = s.seal_bytes(2, "t", b"k", b"hello").unwrap();
        v[0] = 9;
        assert!(s.open_bytes(2, "t", b"k", &v).is_err());
    }

    #[test]
    fn blinding_depends_on_table_and_key() {
        let keys = RootKey::from_bytes([7; 32]).derive();
        let b = Blinder::new(&keys.blind).unwrap();
        assert_ne!(b.blind("a", b"x"), b.blind("b", b"x"));
        assert_ne!(b.blind("a", b"x"), b.blind("a", b"y"));
        let other = Blinder::new(&RootKey::from_bytes([8; 32]).derive().blind).unwrap();
        assert_ne!(b.blind("a", b"x"), other.blind("a", b"x"));
    }
}

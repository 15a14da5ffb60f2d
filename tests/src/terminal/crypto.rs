//! The terminal's cryptography (smart-tap spec §11), written independently of the handset
//! applet: ECDSA P-256/SHA-256 signing (RFC 6979 deterministic, via `p256`), ECDH, HKDF-SHA256
//! into an AES-128 and an HMAC-SHA256 key, constant-time MAC verification before AES-128-CTR
//! decryption with counter block `IV ‖ 00000000`, and zlib inflation with a size cap.
//!
//! Every secret (ephemeral scalar, ECDH secret, derived keys, plaintext) lives in a zeroizing
//! type and is never formatted.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use aes::Aes128;
use ctr::cipher::{KeyIvInit, StreamCipher};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

/// Length of the signed blob `Nt ‖ Nh|0 ‖ C ‖ Et` (§11).
pub const SIGNED_LEN: usize = 32 + 32 + 4 + 33;
/// HKDF output length: 16-byte AES key + 32-byte HMAC key (§11).
const OKM_LEN: usize = 48;
/// Length of the `reb` IV (§6.4).
pub const IV_LEN: usize = 12;
/// Length of the `reb` HMAC-SHA256 tag (§6.4).
pub const MAC_LEN: usize = 32;

/// Why a cryptographic step failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("handset ephemeral key is not a SEC1 compressed P-256 point")]
    BadHandsetKey,
    #[error("HMAC over IV and ciphertext does not match: bundle rejected before decryption")]
    MacMismatch,
    #[error("zlib stream is malformed or truncated")]
    Inflate,
    #[error("inflated bundle exceeds the {0}-byte cap")]
    InflatedTooLarge(usize),
    #[error("zlib stream is followed by {0} extra bytes")]
    InflateTrailing(usize),
}

/// Which of the two valid forms `(r, s)` / `(r, n−s)` of a signature to send. Java and
/// OpenSSL terminals send either (spec §13 item 8); a handset must accept both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SForm {
    /// Whatever the RFC 6979 signer produced (what the vectors use).
    #[default]
    AsSigned,
    /// Normalised to s ≤ n/2.
    Low,
    /// Forced to s > n/2.
    High,
}

/// `Nt ‖ (live ? Nh : 0×32) ‖ C ‖ Et` (§6.3 step 6, §11).
pub fn signed_blob(
    terminal_nonce: &[u8; 32],
    handset_nonce: Option<&[u8; 32]>,
    collector: u32,
    ephemeral_public: &[u8; 33],
) -> [u8; SIGNED_LEN] {
    let mut blob = [0u8; SIGNED_LEN];
    blob[..32].copy_from_slice(terminal_nonce);
    if let Some(nh) = handset_nonce {
        blob[32..64].copy_from_slice(nh);
    }
    blob[64..68].copy_from_slice(&collector.to_be_bytes());
    blob[68..].copy_from_slice(ephemeral_public);
    blob
}

/// ECDSA P-256 over SHA-256 of `message` (hashed once by the scheme), RFC 6979 nonce,
/// returned as ASN.1 DER.
pub fn sign(key: &SigningKey, message: &[u8], form: SForm) -> Vec<u8> {
    let sig: Signature = key.sign(message);
    let sig = match form {
        SForm::AsSigned => sig,
        SForm::Low => sig.normalize_s(),
        SForm::High => high_s(&sig),
    };
    sig.to_der().as_bytes().to_vec()
}

fn high_s(sig: &Signature) -> Signature {
    let low = sig.normalize_s();
    let (r, s) = low.split_scalars();
    let negated = -*s.as_ref();
    // n − s of a valid nonzero s is nonzero and in range: from_scalars cannot fail here.
    Signature::from_scalars(r.to_bytes(), negated.to_bytes()).unwrap_or(*sig)
}

/// SEC1 compressed encoding (33 bytes) of a public key.
pub fn compressed(key: &PublicKey) -> [u8; 33] {
    let point = key.to_sec1_point(true);
    let mut out = [0u8; 33];
    if point.as_bytes().len() == 33 {
        out.copy_from_slice(point.as_bytes());
    }
    out
}

/// The per-tap channel keys (§11): `Kenc = okm[0..16]`, `Kmac = okm[16..48]`.
pub struct SessionKeys {
    okm: Zeroizing<[u8; OKM_LEN]>,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(<redacted>)")
    }
}

impl SessionKeys {
    /// ECDH between the terminal's ephemeral secret and the handset's ephemeral key `dpk`,
    /// then HKDF-SHA256(ikm = Z, salt = dpk bytes as received, info, L = 48).
    pub fn derive(
        ephemeral: &SecretKey,
        handset_key: &[u8],
        info: &[u8],
    ) -> Result<SessionKeys, CryptoError> {
        // SEC1 compressed only: `p256` would also take uncompressed and compact (`05`) forms.
        if handset_key.len() != 33 || !matches!(handset_key.first(), Some(0x02 | 0x03)) {
            return Err(CryptoError::BadHandsetKey);
        }
        let handset =
            PublicKey::from_sec1_bytes(handset_key).map_err(|_| CryptoError::BadHandsetKey)?;
        let shared = ephemeral.diffie_hellman(&handset);
        let hk = Hkdf::<Sha256>::new(Some(handset_key), shared.raw_secret_bytes().as_slice());
        let mut okm = Zeroizing::new([0u8; OKM_LEN]);
        // 48 ≤ 255 × 32: expand cannot fail.
        hk.expand(info, okm.as_mut_slice()).map_err(|_| CryptoError::BadHandsetKey)?;
        Ok(SessionKeys { okm })
    }

    #[cfg(test)]
    pub(crate) fn okm(&self) -> &[u8] {
        self.okm.as_slice()
    }

    fn enc_key(&self) -> &[u8] {
        self.okm.get(..16).unwrap_or_default()
    }
    fn mac_key(&self) -> &[u8] {
        self.okm.get(16..).unwrap_or_default()
    }

    /// Verifies `HMAC-SHA256(Kmac, IV ‖ CT)` in constant time, and only then decrypts with
    /// AES-128-CTR from counter block `IV ‖ 00000000`.
    pub fn open(
        &self,
        iv: &[u8; IV_LEN],
        ciphertext: &[u8],
        tag: &[u8; MAC_LEN],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.mac_key())
            .map_err(|_| CryptoError::MacMismatch)?;
        mac.update(iv);
        mac.update(ciphertext);
        mac.verify_slice(tag).map_err(|_| CryptoError::MacMismatch)?;
        let mut counter = [0u8; 16];
        counter[..IV_LEN].copy_from_slice(iv);
        let mut cipher = ctr::Ctr128BE::<Aes128>::new_from_slices(self.enc_key(), &counter)
            .map_err(|_| CryptoError::MacMismatch)?;
        let mut plain = Zeroizing::new(ciphertext.to_vec());
        cipher.apply_keystream(plain.as_mut_slice());
        Ok(plain)
    }

    /// The handset's operation, for tests of the terminal: `IV ‖ CT ‖ HMAC` of `body`.
    pub fn seal(&self, iv: &[u8; IV_LEN], body: &[u8]) -> (Vec<u8>, [u8; MAC_LEN]) {
        let mut counter = [0u8; 16];
        counter[..IV_LEN].copy_from_slice(iv);
        let mut ct = body.to_vec();
        if let Ok(mut cipher) = ctr::Ctr128BE::<Aes128>::new_from_slices(self.enc_key(), &counter) {
            cipher.apply_keystream(&mut ct);
        }
        let mut tag = [0u8; MAC_LEN];
        if let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(self.mac_key()) {
            mac.update(iv);
            mac.update(&ct);
            tag.copy_from_slice(&mac.finalize().into_bytes());
        }
        (ct, tag)
    }
}

/// Inflates an RFC 1950 zlib stream (what `java.util.zip.Inflater()` reads, §11), refusing
/// more than `cap` output bytes and any bytes after the stream's Adler-32 trailer.
pub fn inflate(stream: &[u8], cap: usize) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    use flate2::{Decompress, FlushDecompress, Status};
    let mut inflater = Decompress::new(true);
    let mut out = Zeroizing::new(Vec::with_capacity(cap.saturating_add(1)));
    let status = inflater
        .decompress_vec(stream, &mut out, FlushDecompress::Finish)
        .map_err(|_| CryptoError::Inflate)?;
    if out.len() > cap {
        return Err(CryptoError::InflatedTooLarge(cap));
    }
    match status {
        Status::StreamEnd => {
            let used = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
            match stream.len().checked_sub(used) {
                Some(0) => Ok(out),
                Some(extra) => Err(CryptoError::InflateTrailing(extra)),
                None => Err(CryptoError::Inflate),
            }
        }
        // Output buffer full before the end: larger than the cap.
        _ if out.len() == out.capacity() => Err(CryptoError::InflatedTooLarge(cap)),
        _ => Err(CryptoError::Inflate),
    }
}

/// Fills a fresh array from the operating system's generator.
pub fn random<const N: usize>() -> Zeroizing<[u8; N]> {
    use hce_wallet_core::ports::{OsRandom, RandomSource};
    let mut out = Zeroizing::new([0u8; N]);
    OsRandom.fill(out.as_mut_slice());
    out
}

/// A fresh ephemeral key pair from the operating system's generator.
pub fn random_secret_key() -> SecretKey {
    loop {
        let mut bytes = random::<32>();
        let key = SecretKey::from_slice(bytes.as_slice());
        bytes.zeroize();
        // Rejection sampling: fails only for 0 or ≥ n (probability ≈ 2⁻³²).
        if let Ok(key) = key {
            return key;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Every intermediate value of the e2e vector (spec §11): signed blob, ECDH + HKDF okm,
    /// MAC-then-decrypt of variant A.
    #[test]
    fn vector_key_schedule() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors/smart-tap");
        let dir = std::env::var("HCE_SHARED_DIR")
            .map(|d| format!("{d}/vectors/smart-tap"))
            .unwrap_or_else(|_| path.to_string());
        let text = std::fs::read_to_string(format!("{dir}/e2e-loyalty-2018.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let h = |p: &str| hex::decode(v.pointer(p).unwrap().as_str().unwrap()).unwrap();
        let eph = SecretKey::from_slice(&h("/terminal/ephemeral_private_key_hex")).unwrap();
        let et = compressed(&eph.public_key());
        assert_eq!(et.to_vec(), h("/terminal/ephemeral_public_key_compressed_hex"));
        let blob = signed_blob(
            &h("/terminal/nonce_hex").try_into().unwrap(),
            Some(&h("/handset/nonce_hex").try_into().unwrap()),
            20180608,
            &et,
        );
        assert_eq!(blob.to_vec(), h("/signature/signed_bytes_hex"));
        let key = SigningKey::from_slice(&h("/collector/long_term_private_key_hex")).unwrap();
        let der = sign(&key, &blob, SForm::AsSigned);
        assert_eq!(der, h("/signature/der_signature_hex"));
        assert_eq!(
            sign(&key, &blob, SForm::High),
            h("/signature/same_signature_with_s_negated_der_hex")
        );
        let mut info = blob.to_vec();
        info.extend_from_slice(&der);
        assert_eq!(info, h("/hkdf/info_hex"));
        let keys = SessionKeys::derive(&eph, &h("/hkdf/salt_hex"), &info).unwrap();
        assert_eq!(keys.okm(), h("/hkdf/okm_hex").as_slice());
        let a = "/get_data/variants/0";
        let iv: [u8; 12] = h(&format!("{a}/iv_hex")).try_into().unwrap();
        let ct = h(&format!("{a}/ciphertext_hex"));
        let tag: [u8; 32] = h(&format!("{a}/hmac_hex")).try_into().unwrap();
        let plain = keys.open(&iv, &ct, &tag).unwrap();
        assert_eq!(plain.as_slice(), h(&format!("{a}/body_before_encryption_hex")).as_slice());
        assert_eq!(keys.seal(&iv, &plain), (ct.clone(), tag));
        let mut bad = tag;
        bad[31] ^= 1;
        assert_eq!(keys.open(&iv, &ct, &bad), Err(CryptoError::MacMismatch));
        for bad_key in [[5u8; 33], [4u8; 33]] {
            assert!(SessionKeys::derive(&eph, &bad_key, &info).is_err());
        }
        // x = 1: 1 − 3 + b is a quadratic non-residue mod p, so no P-256 point has it.
        let mut off_curve = [0u8; 33];
        off_curve[0] = 2;
        off_curve[32] = 1;
        assert!(SessionKeys::derive(&eph, &off_curve, &info).is_err());
    }

    #[test]
    fn inflate_round_trip_and_caps() {
        use std::io::Write;
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&[7u8; 1000]).unwrap();
        let z = enc.finish().unwrap();
        assert_eq!(inflate(&z, 1000).unwrap().as_slice(), &[7u8; 1000][..]);
        assert_eq!(inflate(&z, 999), Err(CryptoError::InflatedTooLarge(999)));
        assert_eq!(inflate(&z[..z.len() - 3], 4096), Err(CryptoError::Inflate));
        let mut extra = z.clone();
        extra.push(0);
        assert_eq!(inflate(&extra, 4096), Err(CryptoError::InflateTrailing(1)));
        assert_eq!(inflate(&[0x78, 0x9c, 0xff], 4096), Err(CryptoError::Inflate));
        assert_eq!(inflate(&[], 4096), Err(CryptoError::Inflate));
    }

    #[test]
    fn s_forms_are_both_valid_and_distinct() {
        use p256::ecdsa::signature::Verifier;
        let key = SigningKey::from(random_secret_key());
        let low = sign(&key, b"m", SForm::Low);
        let high = sign(&key, b"m", SForm::High);
        assert_ne!(low, high);
        for der in [&low, &high] {
            let sig = Signature::from_der(der).unwrap();
            key.verifying_key().verify(b"m", &sig).unwrap();
        }
        let high_sig = Signature::from_der(&high).unwrap();
        assert_eq!(high_sig.normalize_s().to_der().as_bytes(), low.as_slice());
        assert_ne!(high_sig.normalize_s(), high_sig);
    }
}

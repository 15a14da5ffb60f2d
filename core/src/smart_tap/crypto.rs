//! The handset's cryptography (spec §11), composed from RustCrypto crates: ECDSA P-256 /
//! SHA-256 verification accepting high-S, ECDH, HKDF-SHA256, AES-128-CTR with the
//! counter block `IV ‖ 00000000`, HMAC-SHA256 over `IV ‖ CT`, and zlib (RFC 1950).

use std::io::Write;

use aes::Aes128;
use ctr::cipher::{KeyIvInit, StreamCipher};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::session::SessionKeys;

/// AES-128-CTR with a 128-bit big-endian counter, as Java's `AES/CTR/NoPadding` (§11).
type Aes128Ctr = ctr::Ctr128BE<Aes128>;

/// Length of the `reb` IV (spec §11).
pub const IV_LEN: usize = 12;
/// Length of the HMAC-SHA256 tag at the end of `reb`.
pub const TAG_LEN: usize = 32;
/// HKDF output: 16-byte AES key then 32-byte HMAC key.
const OKM_LEN: usize = 48;
/// zlib level used for bundles (the vector's zlib bytes come from level 9).
const ZLIB_LEVEL: u32 = 9;

/// Verifies a DER ECDSA P-256/SHA-256 signature over `message`, accepting both low-S and
/// high-S forms (spec §6.3 step 7, §13 item 8). p256 0.14 verifies high-S as is
/// (`NORMALIZE_S = false`); `s` is normalised first anyway so that the behaviour does not
/// hinge on that crate setting: about half of Java's and OpenSSL's signatures are high-S.
pub fn verify_signature(key: &p256::PublicKey, message: &[u8], der: &[u8]) -> bool {
    let Ok(signature) = Signature::from_der(der) else {
        return false;
    };
    let signature = signature.normalize_s();
    VerifyingKey::from(key).verify(message, &signature).is_ok()
}

/// The fixed public key a refused NEGOTIATE is verified against when the wallet holds no
/// key for the named collector, so that the refusal costs what a bad signature costs
/// (spec §6.3 steps 4–7; issue 12). Nothing up the sleeve: the x-coordinate is
/// SHA-256("hce-wallet smart tap dummy collector key" ‖ 01), the first counter byte that
/// gives a point on P-256, so nobody knows its private key. Its verify result is never
/// used to accept anything.
pub const DUMMY_COLLECTOR_KEY: [u8; 33] = [
    0x02, 0xc8, 0xfb, 0x75, 0x84, 0x9a, 0xad, 0xf0, 0x29, 0xd6, 0x21, 0xf4, 0xd8, 0x18, 0xaf, 0xd9,
    0xdf, 0x70, 0x9e, 0x69, 0x27, 0xb6, 0x2a, 0xe3, 0xe4, 0x49, 0x0f, 0x8a, 0x1a, 0x95, 0x89, 0xb3,
    0x96,
];

/// [`DUMMY_COLLECTOR_KEY`] decoded (done once per applet, outside the APDU path).
pub fn dummy_collector_key() -> p256::PublicKey {
    // A constant, not input: its decoding is checked by a unit test.
    #[allow(clippy::expect_used)]
    p256::PublicKey::from_sec1_bytes(&DUMMY_COLLECTOR_KEY)
        .expect("DUMMY_COLLECTOR_KEY is a point on P-256")
}

/// ECDH then HKDF-SHA256 (spec §11): `ikm` = x-coordinate of `eh · Et`, `salt` = `Eh`
/// compressed as sent, `info` as given, 48 bytes split into the session keys.
pub fn derive_session_keys(
    handset_secret: &p256::SecretKey,
    terminal_ephemeral: &p256::PublicKey,
    salt: &[u8],
    info: &[&[u8]],
) -> Option<SessionKeys> {
    let shared = handset_secret.diffie_hellman(terminal_ephemeral);
    let hkdf = Hkdf::<Sha256>::new(Some(salt), shared.raw_secret_bytes().as_slice());
    let mut okm = Zeroizing::new([0u8; OKM_LEN]);
    hkdf.expand_multi_info(info, okm.as_mut_slice()).ok()?;
    let (enc, mac) = okm.split_first_chunk::<16>()?;
    let mac: &[u8; 32] = mac.first_chunk::<32>()?;
    Some(SessionKeys { enc: Zeroizing::new(*enc), mac: Zeroizing::new(*mac) })
}

/// Builds the `reb` payload `flags ‖ IV ‖ CT ‖ HMAC(IV ‖ CT)` from `body` (already
/// compressed when `flags` says so). The plaintext is only read; the output holds
/// ciphertext only.
pub fn seal(keys: &SessionKeys, flags: u8, iv: &[u8; IV_LEN], body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(
        body.len().saturating_add(1).saturating_add(IV_LEN).saturating_add(TAG_LEN),
    );
    out.push(flags);
    out.extend_from_slice(iv);
    let ct_start = out.len();
    out.extend_from_slice(body);
    let mut counter = [0u8; 16];
    if let Some(head) = counter.first_chunk_mut::<IV_LEN>() {
        *head = *iv;
    }
    let mut cipher = Aes128Ctr::new(&(*keys.enc).into(), &counter.into());
    if let Some(ct) = out.get_mut(ct_start..) {
        cipher.apply_keystream(ct);
    }
    // HMAC accepts keys of any length, so this never fails in practice.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(keys.mac.as_slice()).ok()?;
    mac.update(out.get(1..).unwrap_or(&[]));
    out.extend_from_slice(mac.finalize().into_bytes().as_slice());
    Some(out)
}

/// zlib-compresses (RFC 1950) into a zeroizing buffer; `None` if the encoder fails.
pub fn zlib(data: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    // Sized so that the buffer never reallocates (which would leave an unwiped copy):
    // deflate expands incompressible data by 5 bytes per 16 KiB block plus 6.
    let blocks = data.len() / 16_384;
    let capacity = data.len().saturating_add(blocks.saturating_mul(5)).saturating_add(64);
    let mut out = Zeroizing::new(Vec::with_capacity(capacity));
    {
        let mut encoder =
            flate2::write::ZlibEncoder::new(&mut *out, flate2::Compression::new(ZLIB_LEVEL));
        encoder.write_all(data).ok()?;
        encoder.finish().ok()?;
    }
    Some(out)
}

/// The `oid` value of a pass: the first 8 bytes of SHA-256(object ID) (spec §7.3; this
/// library's convention).
pub fn object_ref(object_id: &str) -> [u8; 8] {
    let digest = Sha256::digest(object_id.as_bytes());
    digest.first_chunk::<8>().copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HMAC and SHA-256 states wipe themselves on drop (the `zeroize` features of `hmac`
    /// and `sha2` in the workspace manifest): an `Hmac<Sha256>` is a block buffer plus
    /// two SHA-256 cores, and HKDF keeps its PRK in one. hmac 0.13.0 does not mark
    /// `Hmac` itself `ZeroizeOnDrop`, so its parts are checked.
    #[test]
    fn hmac_and_sha256_states_zeroize_on_drop() {
        use hmac::block_api::HmacCore;
        use hmac::digest::block_api::{Buffer, CoreProxy};
        fn wiped<T: hmac::digest::zeroize::ZeroizeOnDrop>() {}
        wiped::<<Sha256 as CoreProxy>::Core>();
        wiped::<Buffer<HmacCore<Sha256>>>();
        wiped::<Sha256>();
    }

    #[test]
    fn dummy_collector_key_is_a_nothing_up_my_sleeve_point() {
        let digest = Sha256::digest(b"hce-wallet smart tap dummy collector key\x01");
        assert_eq!(DUMMY_COLLECTOR_KEY.get(1..), Some(digest.as_slice()));
        let _ = dummy_collector_key();
    }
}

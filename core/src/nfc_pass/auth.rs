//! Challenge–response authentication of the NFC pass applet, ISO/IEC 9798-2 §5.1.2 style
//! ("two-pass unilateral authentication, random number"; mechanism for each direction):
//!
//! - **Reader → card (EXTERNAL AUTHENTICATE).** The card sends a fresh 8-byte random
//!   `RND.ICC` (GET CHALLENGE); the reader answers `TokenAB = eK(RND.ICC ‖ ID_ICC)`. The card
//!   computes the same block and compares in constant time. Each challenge is used once.
//! - **Card → reader (INTERNAL AUTHENTICATE).** The reader sends `RND.IFD` (8 bytes); the card
//!   answers `eK(RND.IFD ‖ ID_IFD)`.
//!
//! `ID_ICC` and `ID_IFD` are the standard's distinguishing identifiers ("B" and "A"): with the
//! same key serving both directions, they stop a reflection attack (a reader replaying the
//! card's own INTERNAL AUTHENTICATE answer to its challenge as an EXTERNAL AUTHENTICATE).
//!
//! `eK` is CBC with a zero IV over the 16-byte block: one AES-128 block, or two TDES blocks
//! (the RustCrypto `aes`, `des` and `cbc` crates; no cipher is hand-written here). The
//! zero IV is safe because every input starts with a fresh random number.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use aes::cipher::{Array, BlockCipherEncrypt, BlockModeEncrypt, BlockSizeUser, KeyInit, KeyIvInit};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::model::{KeyAlgorithm, NfcKey};

/// Length of a challenge, `RND.ICC` and `RND.IFD` (GET CHALLENGE Le = `08`).
pub const CHALLENGE_LEN: usize = 8;
/// Length of an authentication token: `eK(RND ‖ ID)`.
pub const TOKEN_LEN: usize = 16;
/// `ID_ICC`: the card's distinguishing identifier inside the reader's token.
pub const ID_ICC: [u8; 8] = *b"HCE-ICC\x01";
/// `ID_IFD`: the reader's distinguishing identifier inside the card's token.
pub const ID_IFD: [u8; 8] = *b"HCE-IFD\x02";

/// `eK(random ‖ id)` under `key` (CBC, zero IV).
pub fn token(key: &NfcKey, random: &[u8; CHALLENGE_LEN], id: &[u8; 8]) -> [u8; TOKEN_LEN] {
    let mut block = Zeroizing::new([0u8; TOKEN_LEN]);
    let (head, tail) = block.split_at_mut(CHALLENGE_LEN);
    head.copy_from_slice(random);
    tail.copy_from_slice(id);
    match key.algorithm {
        KeyAlgorithm::Aes128 => cbc_zero_iv::<aes::Aes128>(key.value(), &block),
        KeyAlgorithm::Tdes2Key => cbc_zero_iv::<des::TdesEde2>(key.value(), &block),
    }
}

/// Whether `offered` is the reader's correct token for `challenge` (constant time).
pub fn verify_reader(key: &NfcKey, challenge: &[u8; CHALLENGE_LEN], offered: &[u8]) -> bool {
    let expected = Zeroizing::new(token(key, challenge, &ID_ICC));
    expected.as_slice().ct_eq(offered).into()
}

/// The card's answer to INTERNAL AUTHENTICATE.
pub fn card_token(key: &NfcKey, reader_random: &[u8; CHALLENGE_LEN]) -> [u8; TOKEN_LEN] {
    token(key, reader_random, &ID_IFD)
}

fn cbc_zero_iv<C>(key: &[u8; 16], input: &[u8; TOKEN_LEN]) -> [u8; TOKEN_LEN]
where
    C: BlockCipherEncrypt + KeyInit + BlockSizeUser,
    cbc::Encryptor<C>: KeyIvInit + BlockModeEncrypt + BlockSizeUser<BlockSize = C::BlockSize>,
{
    let mut out = [0u8; TOKEN_LEN];
    let iv = Array::<u8, C::BlockSize>::default();
    // Both key sizes are 16 bytes, so this conversion cannot fail for AES-128 and TdesEde2.
    let Ok(mut mode) = cbc::Encryptor::<C>::new_from_slices(key, &iv) else {
        return out;
    };
    for (src, dst) in input.chunks(C::block_size()).zip(out.chunks_mut(C::block_size())) {
        let Ok(mut block) = Array::<u8, C::BlockSize>::try_from(src) else {
            return [0u8; TOKEN_LEN];
        };
        mode.encrypt_block(&mut block);
        dst.copy_from_slice(&block);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn aes_single_block_is_fips197() {
        // FIPS-197 Appendix C.1: AES-128 of 00112233…ff under 000102…0f.
        let key =
            NfcKey::new(1, KeyAlgorithm::Aes128, &hex!("000102030405060708090a0b0c0d0e0f"), 3)
                .unwrap();
        let out =
            cbc_zero_iv::<aes::Aes128>(key.value(), &hex!("00112233445566778899aabbccddeeff"));
        assert_eq!(out, hex!("69c4e0d86a7b0430d8cdb78070b4c55a"));
    }

    #[test]
    fn tdes_chains_the_second_block() {
        let key =
            NfcKey::new(2, KeyAlgorithm::Tdes2Key, &hex!("0123456789abcdef fedcba9876543210"), 3)
                .unwrap();
        let a = token(&key, &[0; 8], &ID_ICC);
        let b = token(&key, &[1, 0, 0, 0, 0, 0, 0, 0], &ID_ICC);
        // CBC: a change in block 1 changes block 2 as well.
        assert_ne!(a[..8], b[..8]);
        assert_ne!(a[8..], b[8..]);
    }

    #[test]
    fn directions_differ_and_verify() {
        let key = NfcKey::new(1, KeyAlgorithm::Aes128, &[7; 16], 3).unwrap();
        let rnd = [3u8; 8];
        let ext = token(&key, &rnd, &ID_ICC);
        assert!(verify_reader(&key, &rnd, &ext));
        assert!(!verify_reader(&key, &rnd, &card_token(&key, &rnd)));
        assert!(!verify_reader(&key, &rnd, &ext[..15]));
    }
}

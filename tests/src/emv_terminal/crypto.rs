//! The terminal's own cryptogram check for the generic profile (payment-hce §9.4).
//!
//! Only the single-DES block permutation comes from a crate (RustCrypto `des`, its `Des`
//! primitive); two-key TDES, the EMV Common Session Key derivation, ISO/IEC 9797-1
//! padding method 2 and MAC algorithm 3 (CBC with the left key, final block decrypted with
//! the right key and encrypted with the left) are written out below. The card side is
//! expected to use a MAC crate, so this hand-written path is the independent one.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use des::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use des::Des;

/// Order of the terminal objects in the generic profile's MAC input, then `82 ‖ 9F36 ‖ CVR`.
pub const MAC_TERMINAL_TAGS: [u32; 8] = [0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37];

/// A 16-byte double-length DES key split into its halves.
#[derive(Clone)]
pub struct DoubleKey {
    left: Des,
    right: Des,
}

impl DoubleKey {
    pub fn new(key: &[u8; 16]) -> DoubleKey {
        let (l, r) = key.split_at(8);
        let des = |half: &[u8]| {
            let mut k = [0u8; 8];
            k.copy_from_slice(half);
            Des::new(&Array::from(k))
        };
        DoubleKey { left: des(l), right: des(r) }
    }

    fn enc(c: &Des, block: [u8; 8]) -> [u8; 8] {
        let mut b = Array::from(block);
        c.encrypt_block(&mut b);
        b.into()
    }

    fn dec(c: &Des, block: [u8; 8]) -> [u8; 8] {
        let mut b = Array::from(block);
        c.decrypt_block(&mut b);
        b.into()
    }

    /// Two-key TDES, one block, ECB: `E_L(D_R(E_L(x)))`.
    pub fn tdes_encrypt(&self, block: [u8; 8]) -> [u8; 8] {
        let x = Self::enc(&self.left, block);
        let x = Self::dec(&self.right, x);
        Self::enc(&self.left, x)
    }

    /// ISO/IEC 9797-1 MAC algorithm 3 with padding method 2, 8-byte result: single-DES CBC
    /// with the left half over every padded block, then `E_L(D_R(last))`.
    pub fn retail_mac(&self, data: &[u8]) -> [u8; 8] {
        let mut padded = data.to_vec();
        padded.push(0x80);
        while padded.len() % 8 != 0 {
            padded.push(0);
        }
        let mut state = [0u8; 8];
        for chunk in padded.chunks_exact(8) {
            for (s, d) in state.iter_mut().zip(chunk) {
                *s ^= d;
            }
            state = Self::enc(&self.left, state);
        }
        Self::enc(&self.left, Self::dec(&self.right, state))
    }
}

/// Sets odd parity in every byte (bit 1 is the parity bit); DES ignores it.
pub fn parity_adjust(key: &mut [u8]) {
    for b in key.iter_mut() {
        let ones = (*b & 0xFE).count_ones();
        *b = (*b & 0xFE) | u8::from(ones % 2 == 0);
    }
}

/// EMV Common Session Key (Book 2 A1.3.1) from a 16-byte key and an 8-byte diversifier
/// `R`: `TDES(R with byte 3 = F0) ‖ TDES(R with byte 3 = 0F)`; raw (parity bits as the
/// cipher left them).
pub fn common_session_key(mk: &[u8; 16], r: [u8; 8]) -> [u8; 16] {
    let key = DoubleKey::new(mk);
    let (mut left_in, mut right_in) = (r, r);
    left_in[2] = 0xF0;
    right_in[2] = 0x0F;
    let mut sk = [0u8; 16];
    let (l, rr) = sk.split_at_mut(8);
    l.copy_from_slice(&key.tdes_encrypt(left_in));
    rr.copy_from_slice(&key.tdes_encrypt(right_in));
    sk
}

/// The generic profile's session key: CSK of the LUK with `R = ATC ‖ 00×6`, raw.
pub fn generic_session_key(luk: &[u8; 16], atc: u16) -> [u8; 16] {
    let [hi, lo] = atc.to_be_bytes();
    common_session_key(luk, [hi, lo, 0, 0, 0, 0, 0, 0])
}

/// Why the generic profile's MAC input cannot be built from what the terminal sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MacInputError {
    #[error("the terminal sent no {0:X}, which the generic profile MACs")]
    Missing(u32),
}

/// `9F02 ‖ 9F03 ‖ 9F1A ‖ 95 ‖ 5F2A ‖ 9A ‖ 9C ‖ 9F37` (values looked up by tag in what the
/// terminal sent) `‖ AIP ‖ ATC ‖ CVR`.
pub fn generic_mac_input(
    sent: &[(u32, Vec<u8>)],
    aip: [u8; 2],
    atc: u16,
    cvr: u8,
) -> Result<Vec<u8>, MacInputError> {
    let mut out = Vec::with_capacity(40);
    for tag in MAC_TERMINAL_TAGS {
        let value =
            sent.iter().rev().find(|(t, _)| *t == tag).ok_or(MacInputError::Missing(tag))?;
        out.extend_from_slice(&value.1);
    }
    out.extend_from_slice(&aip);
    out.extend_from_slice(&atc.to_be_bytes());
    out.push(cvr);
    Ok(out)
}

/// The generic profile's AC over a MAC input, from the LUK and ATC.
pub fn generic_ac(luk: &[u8; 16], atc: u16, mac_input: &[u8]) -> [u8; 8] {
    DoubleKey::new(&generic_session_key(luk, atc)).retail_mac(mac_input)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn k16(h: &str) -> [u8; 16] {
        hex::decode(h).unwrap().try_into().unwrap()
    }

    /// Single DES: the classic FIPS 81 / "Now is the time for all " example, so the
    /// block primitive and its byte order are checked apart from everything built on it.
    #[test]
    fn des_known_answer_and_tdes_degenerates_to_des() {
        let key = k16("0123456789ABCDEF0123456789ABCDEF");
        let x: [u8; 8] = *b"Now is t";
        // With equal halves, E_L(D_L(E_L(x))) = E_L(x).
        assert_eq!(hex::encode_upper(DoubleKey::new(&key).tdes_encrypt(x)), "3FA40E8A984D4815");
    }

    #[test]
    fn parity() {
        let mut k = hex::decode("848C35717F66D40944F9286FF19ABFFD").unwrap();
        parity_adjust(&mut k);
        assert_eq!(hex::encode_upper(k), "858C34707F67D50845F8296EF19BBFFD");
    }
}

//! A reference reader for issuer NFC passes (door locks, access readers), written apart from
//! the applet (`hce_wallet_core::nfc_pass`): it builds its own APDUs and computes its own
//! tokens, so a mistake shared by card and reader cannot hide.
//!
//! Protocol (ISO/IEC 7816-4 commands; ISO/IEC 9798-2 §5.1.2 two-pass unilateral
//! authentication in each direction, as the issue describes it):
//! SELECT AID → GET CHALLENGE (8 bytes `RND.ICC`) → EXTERNAL AUTHENTICATE with
//! `eK(RND.ICC ‖ "HCE-ICC" 01)` → optionally INTERNAL AUTHENTICATE with its own `RND.IFD`,
//! checking `eK(RND.IFD ‖ "HCE-IFD" 02)` → SELECT FILE → READ / UPDATE BINARY.
//!
//! Crypto path: `eK` is CBC with a zero IV over 16 bytes, chained by hand here. AES-128 uses
//! only the `aes` block primitive; two-key TDES is the EMV terminal's hand-written EDE over
//! single DES ([`crate::emv_terminal::crypto::DoubleKey`]) — the applet uses the `cbc` crate
//! over `des::TdesEde2`, so the two paths share no code above the block permutations.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use zeroize::Zeroizing;

use crate::card::{Card, CardError};
use crate::emv_terminal::crypto::DoubleKey;

/// `ID_ICC`: the card's identifier inside the reader's token.
pub const READER_TOKEN_ID: [u8; 8] = [b'H', b'C', b'E', b'-', b'I', b'C', b'C', 0x01];
/// `ID_IFD`: the reader's identifier inside the card's token.
pub const CARD_TOKEN_ID: [u8; 8] = [b'H', b'C', b'E', b'-', b'I', b'F', b'D', 0x02];
/// Largest READ BINARY chunk asked for (short Le).
pub const CHUNK: usize = 0xF0;

/// The cipher of a reader key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReaderAlgorithm {
    Aes128,
    Tdes2Key,
}

/// A key the reader holds (never printed).
#[derive(Clone)]
pub struct ReaderKey {
    pub number: u8,
    pub algorithm: ReaderAlgorithm,
    value: Zeroizing<[u8; 16]>,
}

impl std::fmt::Debug for ReaderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReaderKey({}, {:?})", self.number, self.algorithm)
    }
}

impl ReaderKey {
    pub fn new(number: u8, algorithm: ReaderAlgorithm, value: [u8; 16]) -> ReaderKey {
        ReaderKey { number, algorithm, value: Zeroizing::new(value) }
    }

    /// `eK(random ‖ id)`: CBC, zero IV, chained here.
    pub fn token(&self, random: &[u8; 8], id: &[u8; 8]) -> [u8; 16] {
        match self.algorithm {
            ReaderAlgorithm::Aes128 => {
                let cipher = aes::Aes128::new(&Array::from(*self.value));
                let mut block = [0u8; 16];
                block[..8].copy_from_slice(random);
                block[8..].copy_from_slice(id);
                let mut b = Array::from(block);
                cipher.encrypt_block(&mut b);
                b.into()
            }
            ReaderAlgorithm::Tdes2Key => {
                let key = DoubleKey::new(&self.value);
                let c1 = key.tdes_encrypt(*random);
                let mut second = *id;
                for (x, c) in second.iter_mut().zip(c1) {
                    *x ^= c;
                }
                let c2 = key.tdes_encrypt(second);
                let mut out = [0u8; 16];
                out[..8].copy_from_slice(&c1);
                out[8..].copy_from_slice(&c2);
                out
            }
        }
    }
}

/// Why the reader gave up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReaderError {
    #[error(transparent)]
    Card(#[from] CardError),
    /// The card refused a step with this status word (and, as it must, sent no data).
    #[error("{step}: card answered SW {sw:04X}")]
    Refused { step: &'static str, sw: u16 },
    /// The card answered a refusal status word with data: a protocol violation.
    #[error("{step}: SW {sw:04X} came with {len} data bytes")]
    DataWithRefusal { step: &'static str, sw: u16, len: usize },
    #[error("{0}: unexpected answer")]
    Malformed(&'static str),
    /// INTERNAL AUTHENTICATE answered a token the reader's key does not produce.
    #[error("the card does not hold the key")]
    CardNotAuthentic,
}

/// The reader, over any [`Card`] transport.
pub struct NfcReader<C: Card> {
    card: C,
    /// Every R-APDU the reader received, in order (negative tests inspect it).
    pub transcript: Vec<Vec<u8>>,
}

impl<C: Card> NfcReader<C> {
    pub fn new(card: C) -> NfcReader<C> {
        NfcReader { card, transcript: Vec::new() }
    }
    pub fn card_mut(&mut self) -> &mut C {
        &mut self.card
    }

    /// Sends one APDU; returns its data and status word.
    pub fn exchange(&mut self, apdu: &[u8]) -> Result<(Vec<u8>, u16), ReaderError> {
        let out = self.card.transmit(apdu)?;
        self.transcript.push(out.clone());
        let Some((data, sw)) = out.split_last_chunk::<2>() else {
            return Err(CardError::ShortResponse(out.len()).into());
        };
        Ok((data.to_vec(), u16::from_be_bytes(*sw)))
    }

    /// Sends and requires `9000` (or `6282` where `partial_ok`): any other status word is a
    /// refusal, which must carry no data.
    fn expect_ok(&mut self, step: &'static str, apdu: &[u8]) -> Result<Vec<u8>, ReaderError> {
        let (data, sw) = self.exchange(apdu)?;
        if sw == 0x9000 {
            return Ok(data);
        }
        if !data.is_empty() {
            return Err(ReaderError::DataWithRefusal { step, sw, len: data.len() });
        }
        Err(ReaderError::Refused { step, sw })
    }

    pub fn select(&mut self, aid: &[u8]) -> Result<Vec<u8>, ReaderError> {
        let mut apdu = vec![0x00, 0xA4, 0x04, 0x00, len_byte(aid.len())];
        apdu.extend_from_slice(aid);
        apdu.push(0x00);
        self.expect_ok("SELECT AID", &apdu)
    }

    /// SELECT FILE; returns the file size from the FCP (`80` object).
    pub fn select_file(&mut self, fid: u16) -> Result<usize, ReaderError> {
        let [a, b] = fid.to_be_bytes();
        let fcp = self.expect_ok("SELECT FILE", &[0x00, 0xA4, 0x02, 0x04, 0x02, a, b, 0x00])?;
        // 62 L 80 02 size ...
        match fcp.as_slice() {
            [0x62, _, 0x80, 0x02, hi, lo, ..] => Ok(usize::from(u16::from_be_bytes([*hi, *lo]))),
            _ => Err(ReaderError::Malformed("SELECT FILE")),
        }
    }

    /// GET CHALLENGE and EXTERNAL AUTHENTICATE with `key`.
    pub fn authenticate(&mut self, key: &ReaderKey) -> Result<(), ReaderError> {
        let challenge = self.expect_ok("GET CHALLENGE", &[0x00, 0x84, 0x00, 0x00, 0x08])?;
        let challenge: [u8; 8] =
            challenge.try_into().map_err(|_| ReaderError::Malformed("GET CHALLENGE"))?;
        let token = key.token(&challenge, &READER_TOKEN_ID);
        let mut apdu = vec![0x00, 0x82, 0x00, key.number, 0x10];
        apdu.extend_from_slice(&token);
        self.expect_ok("EXTERNAL AUTHENTICATE", &apdu).map(|_| ())
    }

    /// INTERNAL AUTHENTICATE: the card proves `key` on the reader's random `rnd_ifd`.
    pub fn verify_card(&mut self, key: &ReaderKey, rnd_ifd: [u8; 8]) -> Result<(), ReaderError> {
        let mut apdu = vec![0x00, 0x88, 0x00, key.number, 0x08];
        apdu.extend_from_slice(&rnd_ifd);
        apdu.push(0x00);
        let answer = self.expect_ok("INTERNAL AUTHENTICATE", &apdu)?;
        if answer == key.token(&rnd_ifd, &CARD_TOKEN_ID) {
            Ok(())
        } else {
            Err(ReaderError::CardNotAuthentic)
        }
    }

    /// READ BINARY of `len` bytes from `offset`, in chunks.
    pub fn read(&mut self, offset: usize, len: usize) -> Result<Vec<u8>, ReaderError> {
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let at = offset.saturating_add(out.len());
            let n = (len - out.len()).min(CHUNK);
            let [p1, p2] = u16::try_from(at).unwrap_or(u16::MAX).to_be_bytes();
            let chunk = self.expect_ok("READ BINARY", &[0x00, 0xB0, p1, p2, len_byte(n)])?;
            if chunk.is_empty() {
                return Err(ReaderError::Malformed("READ BINARY"));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// UPDATE BINARY of `data` at `offset` (one command: at most 255 bytes).
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), ReaderError> {
        let [p1, p2] = u16::try_from(offset).unwrap_or(u16::MAX).to_be_bytes();
        let mut apdu = vec![0x00, 0xD6, p1, p2, len_byte(data.len())];
        apdu.extend_from_slice(data);
        self.expect_ok("UPDATE BINARY", &apdu).map(|_| ())
    }

    /// The door-lock flow: select the pass, authenticate, check the card (mutual), read
    /// the whole credential file.
    pub fn open_door(
        &mut self,
        aid: &[u8],
        key: &ReaderKey,
        fid: u16,
        rnd_ifd: [u8; 8],
    ) -> Result<Vec<u8>, ReaderError> {
        self.select(aid)?;
        self.authenticate(key)?;
        self.verify_card(key, rnd_ifd)?;
        let size = self.select_file(fid)?;
        self.read(0, size)
    }
}

fn len_byte(n: usize) -> u8 {
    u8::try_from(n).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn aes_token_is_fips197_block() {
        // FIPS-197 C.1: the first 8 bytes play RND, the last 8 the identifier.
        let key = ReaderKey::new(
            1,
            ReaderAlgorithm::Aes128,
            hex_literal::hex!("000102030405060708090a0b0c0d0e0f"),
        );
        let rnd = hex_literal::hex!("0011223344556677");
        let id = hex_literal::hex!("8899aabbccddeeff");
        assert_eq!(key.token(&rnd, &id), hex_literal::hex!("69c4e0d86a7b0430d8cdb78070b4c55a"));
    }

    #[test]
    fn tdes_token_is_cbc() {
        // SP 800-67 style check: with K1 = K2 EDE is single DES; FIPS 81 / SP 800-17 single
        // DES vector: key 0123456789ABCDEF, "Now is t" → 3FA40E8A984D4815.
        let key = ReaderKey::new(
            1,
            ReaderAlgorithm::Tdes2Key,
            hex_literal::hex!("0123456789ABCDEF0123456789ABCDEF"),
        );
        let t = key.token(b"Now is t", b"he time ");
        assert_eq!(t[..8], hex_literal::hex!("3FA40E8A984D4815"));
        // FIPS 81 CBC example (IV 1234567890ABCDEF) differs; with a zero IV the second block is
        // DES(C1 xor P2), checked against the first-block primitive.
        let mut x = *b"he time ";
        for (a, b) in x.iter_mut().zip(&t[..8]) {
            *a ^= b;
        }
        assert_eq!(t[8..], key.token(&x, &[0; 8])[..8]);
    }
}

//! Application cryptograms (payment spec §9).
//!
//! **Scheme profiles are licensed plug-ins (§1, §17.1).** Which data go into the MAC, the
//! Issuer Application Data (`9F10`) layout, the Cryptogram Version Number and how a
//! session key comes from the limited-use key are each scheme's confidential rules; an
//! open library cannot ship them and must not present its own layout as "EMV". The
//! applet therefore talks to a [`CryptogramEngine`] trait. Whoever holds a scheme licence
//! implements it (Visa, Mastercard, UnionPay profiles, perhaps with SM4 MACs, §9.2); no
//! real issuer accepts cryptograms of the profile shipped here.
//!
//! What ships is [`GenericProfile`], the project's own verifiable profile of §9.4, for
//! tests and desktop interoperability (`pyemv` verifies it):
//!
//! - session key `SK = CSK(LUK, R)` with `R = ATC ‖ 00×6`: EMV Common Session Key
//!   (Book 2 A1.3.1), `SK = TDES_LUK(R0 R1 F0 R3…R7) ‖ TDES_LUK(R0 R1 0F R3…R7)`,
//!   two-key TDES in ECB ([`csk`]); the raw result is used as is — DES ignores parity
//!   bits, so [`adjust_parity`] does not change the MAC (the vectors give both forms);
//! - `AC = MAC(SK, 9F02 ‖ 9F03 ‖ 9F1A ‖ 95 ‖ 5F2A ‖ 9A ‖ 9C ‖ 9F37 ‖ 82 ‖ 9F36 ‖ CVR)` with
//!   the terminal values taken **by tag** from the DOL data ([`GenericProfile::mac_input`]);
//!   MAC = ISO/IEC 9797-1 algorithm 3 (retail MAC: single-DES CBC under the left key
//!   half, final block decrypted with the right half and encrypted with the left),
//!   padding method 2 ([`retail_mac`]);
//! - `9F10 = 01 ‖ key index (4) ‖ CVR (1)`, CVR `80` = CDCVM performed for this
//!   transaction, `00` = not. The CVR is the last MAC input byte, so the verification
//!   result is **bound into the cryptogram** (§10, §17 item 8).
//!
//! Crates: RustCrypto `des` (`TdesEde2` for the CSK) and `retail-mac` (`RetailMac<Des>`),
//! both of the workspace's cipher 0.5 generation. Written by hand, and why: ISO 9797-1
//! padding method 2 (`retail-mac` pads with zeros, method 1, so the `80 00…` is appended
//! here first — the padded input is then a whole number of blocks and the crate adds
//! nothing) and the parity adjustment (one line per byte). Session keys and MAC inputs live
//! in [`Zeroizing`] buffers, and the cipher states zeroize on drop (the crates' `zeroize`
//! feature).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use des::cipher::{Array, BlockCipherEncrypt, KeyInit};
use des::{Des, TdesEde2};
use retail_mac::{Mac, RetailMac};
use zeroize::Zeroizing;

use super::dol::{tags, DolValues};
use super::token::{Atc, LimitedUseKey, KEY_INDEX_LEN, LUK_LEN};
use crate::ber_tlv::Tag;
use crate::events::CryptogramKind;

/// Length of an application cryptogram (`9F26`).
pub const AC_LEN: usize = 8;
/// DES block length.
const BLOCK: usize = 8;
/// The generic profile's `9F10` version byte (§9.4).
pub const GENERIC_IAD_VERSION: u8 = 0x01;
/// CVR byte: CDCVM performed for this transaction (§9.4).
pub const CVR_CDCVM_PERFORMED: u8 = 0x80;
/// CVR byte: no CDCVM.
pub const CVR_NONE: u8 = 0x00;

/// CID (`9F27`) bits 8–7 per cryptogram kind (§6.5).
pub const fn cid_of(kind: CryptogramKind) -> u8 {
    match kind {
        CryptogramKind::Aac => 0x00,
        CryptogramKind::Tc => 0x40,
        CryptogramKind::Arqc => 0x80,
    }
}

/// Everything one cryptogram is computed from.
#[derive(Debug)]
pub struct CryptogramInput<'a> {
    /// The limited-use key (and its key index) of this transaction.
    pub key: &'a LimitedUseKey,
    /// The transaction's ATC (the value committed for this GPO).
    pub atc: Atc,
    /// The AIP (`82`) the card returned.
    pub aip: [u8; 2],
    /// Terminal data as sent against the card's PDOL or CDOL, by tag.
    pub terminal: &'a DolValues,
    /// Whether the user was verified on the device for this transaction (§10).
    pub cdcvm: bool,
    /// The cryptogram type the card decided on (§6.5).
    pub kind: CryptogramKind,
}

/// A computed cryptogram and the data objects that travel with it.
#[derive(Clone, PartialEq, Eq)]
pub struct Cryptogram {
    /// `9F26`.
    pub ac: [u8; AC_LEN],
    /// `9F27`.
    pub cid: u8,
    /// `9F10`, Issuer Application Data (profile-defined layout).
    pub iad: Vec<u8>,
}

impl std::fmt::Debug for Cryptogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cryptogram").field("cid", &self.cid).finish_non_exhaustive()
    }
}

/// Why no cryptogram could be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CryptogramError {
    /// The terminal data lacks an object the profile's MAC covers (or has it with another
    /// length): the card's DOL does not list what its engine needs.
    #[error("terminal data lacks {tag} with {len} bytes")]
    MissingData { tag: Tag, len: usize },
    #[error("cryptogram engine failed: {0}")]
    Engine(String),
}

/// A scheme's cryptogram profile (a licensed plug-in, §17.1; see the module doc).
pub trait CryptogramEngine: Send + Sync {
    /// A short name for logs (`generic-9.4`, `visa-cvn18`, …).
    fn name(&self) -> &'static str;
    /// The terminal data objects, with lengths, the MAC covers. The card's PDOL (and its
    /// CDOL1/CDOL2 when GENERATE AC is offered) must list each one; the applet checks this
    /// when it is built.
    fn terminal_data(&self) -> &[(Tag, usize)];
    /// Computes the cryptogram of one transaction.
    fn generate(&self, input: &CryptogramInput<'_>) -> Result<Cryptogram, CryptogramError>;
}

/// The §9.4 data objects, in MAC order, with their lengths.
pub const GENERIC_TERMINAL_DATA: [(Tag, usize); 8] = [
    (tags::AMOUNT_AUTHORISED, 6),
    (tags::AMOUNT_OTHER, 6),
    (tags::TERMINAL_COUNTRY, 2),
    (tags::TVR, 5),
    (tags::CURRENCY, 2),
    (tags::DATE, 3),
    (tags::TRANSACTION_TYPE, 1),
    (tags::UNPREDICTABLE_NUMBER, 4),
];

/// The generic verifiable profile of §9.4 (see the module doc). Not accepted by any real
/// issuer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenericProfile;

impl GenericProfile {
    /// The MAC input: the §9.4 terminal objects by tag, then AIP, ATC and the CVR byte.
    pub fn mac_input(
        terminal: &DolValues,
        aip: [u8; 2],
        atc: Atc,
        cvr: u8,
    ) -> Result<Zeroizing<Vec<u8>>, CryptogramError> {
        let mut out = Zeroizing::new(Vec::with_capacity(40));
        for &(tag, len) in &GENERIC_TERMINAL_DATA {
            match terminal.get(tag) {
                Some(v) if v.len() == len => out.extend_from_slice(v),
                _ => return Err(CryptogramError::MissingData { tag, len }),
            }
        }
        out.extend_from_slice(&aip);
        out.extend_from_slice(&atc.to_be_bytes());
        out.push(cvr);
        Ok(out)
    }

    /// `01 ‖ key index ‖ CVR` (§9.4).
    pub fn iad(key_index: [u8; KEY_INDEX_LEN], cvr: u8) -> Vec<u8> {
        let mut iad = Vec::with_capacity(6);
        iad.push(GENERIC_IAD_VERSION);
        iad.extend_from_slice(&key_index);
        iad.push(cvr);
        iad
    }

    /// The session key of one ATC: `CSK(LUK, ATC ‖ 00×6)`, raw (parity bits as computed).
    pub fn session_key(luk: &[u8; LUK_LEN], atc: Atc) -> Zeroizing<[u8; 16]> {
        let [a0, a1] = atc.to_be_bytes();
        csk(luk, [a0, a1, 0, 0, 0, 0, 0, 0])
    }
}

impl CryptogramEngine for GenericProfile {
    fn name(&self) -> &'static str {
        "generic-9.4"
    }

    fn terminal_data(&self) -> &[(Tag, usize)] {
        &GENERIC_TERMINAL_DATA
    }

    fn generate(&self, input: &CryptogramInput<'_>) -> Result<Cryptogram, CryptogramError> {
        let cvr = if input.cdcvm { CVR_CDCVM_PERFORMED } else { CVR_NONE };
        let data = GenericProfile::mac_input(input.terminal, input.aip, input.atc, cvr)?;
        let sk = GenericProfile::session_key(&input.key.key, input.atc);
        let ac = retail_mac(&sk, &data);
        Ok(Cryptogram {
            ac,
            cid: cid_of(input.kind),
            iad: GenericProfile::iad(input.key.key_index, cvr),
        })
    }
}

/// EMV Common Session Key derivation (Book 2 A1.3.1): `TDES_MK(R with byte 3 = F0) ‖
/// TDES_MK(R with byte 3 = 0F)`, two-key TDES, raw parity.
pub fn csk(mk: &[u8; 16], r: [u8; 8]) -> Zeroizing<[u8; 16]> {
    let tdes = TdesEde2::new(&Array::from(*mk));
    let mut left = Array::from(r);
    let mut right = Array::from(r);
    if let (Some(l), Some(rt)) = (left.get_mut(2), right.get_mut(2)) {
        *l = 0xF0;
        *rt = 0x0F;
    }
    tdes.encrypt_block(&mut left);
    tdes.encrypt_block(&mut right);
    let mut sk = Zeroizing::new([0u8; 16]);
    let (l, rt) = sk.split_at_mut(BLOCK);
    l.copy_from_slice(&left);
    rt.copy_from_slice(&right);
    left.fill(0);
    right.fill(0);
    sk
}

/// Sets each byte's least significant bit so that the byte has odd parity (DES keys).
pub fn adjust_parity<const N: usize>(key: &[u8; N]) -> Zeroizing<[u8; N]> {
    let mut out = Zeroizing::new(*key);
    for b in out.iter_mut() {
        let high = *b & 0xFE;
        *b = if high.count_ones() % 2 == 0 { high | 1 } else { high };
    }
    out
}

/// ISO/IEC 9797-1 MAC algorithm 3 with padding method 2, 8-byte result, under a
/// double-length key (`K ‖ K'`).
pub fn retail_mac(key: &[u8; 16], data: &[u8]) -> [u8; AC_LEN] {
    let mut padded = Zeroizing::new(Vec::with_capacity(data.len().saturating_add(BLOCK)));
    padded.extend_from_slice(data);
    padded.push(0x80);
    while padded.len() % BLOCK != 0 {
        padded.push(0);
    }
    let mut mac = <RetailMac<Des> as KeyInit>::new(&Array::from(*key));
    mac.update(&padded);
    let out = mac.finalize().into_bytes();
    let mut ac = [0u8; AC_LEN];
    ac.copy_from_slice(&out);
    ac
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use hex_literal::hex;

    const LUK: [u8; 16] = hex!("0123456789ABCDEFFEDCBA9876543210");

    #[test]
    fn spec_table_vector() {
        let sk = GenericProfile::session_key(&LUK, Atc(1));
        assert_eq!(*sk, hex!("848C35717F66D40944F9286FF19ABFFD"));
        assert_eq!(*adjust_parity(&sk), hex!("858C34707F67D50845F8296EF19BBFFD"));
        let data =
            hex!("000000001000 000000000000 0156 0000000000 0156 261122 00 12345678 0000 0001 80");
        assert_eq!(retail_mac(&sk, &data), hex!("8A2F83D66C35B30F"));
        assert_eq!(retail_mac(&adjust_parity(&sk), &data), hex!("8A2F83D66C35B30F"));
        assert_eq!(retail_mac(&sk, &data[..data.len() - 1]), hex!("EE5656F5AB8BBC29"));
    }

    #[test]
    fn pyemv_documentation_vector() {
        let sk = csk(&LUK, hex!("001C000000000000"));
        assert_eq!(*adjust_parity(&sk), hex!("E9FB384AF807B940FEDCEA613461B0C4"));
    }

    #[test]
    fn iso_9797_example() {
        // retail-mac's README example (ISO/IEC 9797-1:2011 B.4) with method-1 padding
        // is a whole number of blocks here: "Now is the time for all " is 24 bytes, so
        // method 2 appends a full block and the results differ — check the primitive.
        let mut mac = <RetailMac<Des> as KeyInit>::new(&Array::from(LUK));
        mac.update(b"Now is the time for all ");
        assert_eq!(mac.finalize().into_bytes()[..], hex!("A1C72E74EA3FA9B6"));
    }
}

//! Data object lists (payment spec §5): the card's PDOL (`9F38`), CDOL1 (`8C`) and CDOL2
//! (`8D`), and the values a terminal sent against one of them.
//!
//! A DOL is a list of tag + length pairs without values ([`crate::ber_tlv::parse_dol`] /
//! [`crate::ber_tlv::encode_dol`] do the bytes). The terminal answers with the values only,
//! concatenated in list order, each already truncated or padded to the listed length
//! (EMV Book 3 §5.4). The card therefore splits the data **by its own DOL**, never by
//! guessing tags: [`Dol::split`] checks that the data is exactly as long as the DOL says
//! (else [`DolError::LengthMismatch`], SW `6700` at the applet) and returns the values by
//! tag ([`DolValues`]), so a cryptogram engine takes `9F37` by tag whatever the order of
//! the PDOL (vector 7 of `generic-profile.json`).
//!
//! A card's own DOL is validated once, when the profile is built: no duplicate tags, no
//! constructed tags, no zero lengths, and a total that fits a short command APDU.
//! [`Dol::fill`] is the terminal side of §5 (pad or truncate by format), used by tests,
//! benches and the desktop reference terminal.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::ops::Range;

use crate::ber_tlv::{self, Tag, TlvError};

/// Longest DOL data this library accepts: the `83 L …` template (2 bytes of tag and
/// short length) must fit the 255-byte data field of a short command APDU (§3).
pub const MAX_DOL_DATA: usize = 252;
/// Most entries in one DOL (real PDOLs list about ten).
pub const MAX_DOL_ENTRIES: usize = 32;

/// Why a DOL, or the data sent against it, is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DolError {
    #[error("DOL is not tag+length pairs: {0}")]
    Malformed(#[from] TlvError),
    #[error("DOL lists tag {0} twice")]
    DuplicateTag(Tag),
    #[error("DOL entry {0} has length zero")]
    ZeroLength(Tag),
    #[error("DOL entry {0} names a constructed tag")]
    Constructed(Tag),
    #[error("DOL data totals {0} bytes, more than {MAX_DOL_DATA}")]
    TooLong(usize),
    #[error("DOL has {0} entries, more than {MAX_DOL_ENTRIES}")]
    TooManyEntries(usize),
    /// The terminal sent data of another length than the DOL total (SW `6700`).
    #[error("DOL data is {got} bytes, the DOL asks for {expected}")]
    LengthMismatch { expected: usize, got: usize },
}

/// A validated data object list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Dol {
    entries: Vec<(Tag, usize)>,
    total: usize,
}

impl Dol {
    /// A DOL from its entries, validated (see the module doc).
    pub fn new(entries: Vec<(Tag, usize)>) -> Result<Dol, DolError> {
        if entries.len() > MAX_DOL_ENTRIES {
            return Err(DolError::TooManyEntries(entries.len()));
        }
        let mut total = 0usize;
        for (i, &(tag, len)) in entries.iter().enumerate() {
            if len == 0 {
                return Err(DolError::ZeroLength(tag));
            }
            if tag.is_constructed() {
                return Err(DolError::Constructed(tag));
            }
            if entries.iter().take(i).any(|(t, _)| *t == tag) {
                return Err(DolError::DuplicateTag(tag));
            }
            total = total.saturating_add(len);
        }
        if total > MAX_DOL_DATA {
            return Err(DolError::TooLong(total));
        }
        Ok(Dol { entries, total })
    }

    /// The empty DOL (a card that asks for nothing: the terminal sends `83 00`).
    pub fn empty() -> Dol {
        Dol { entries: Vec::new(), total: 0 }
    }

    /// Decodes and validates the value of a `9F38` / `8C` / `8D` object.
    pub fn parse(bytes: &[u8]) -> Result<Dol, DolError> {
        Dol::new(ber_tlv::parse_dol(bytes)?)
    }

    /// The value of the `9F38` / `8C` / `8D` object.
    pub fn encode(&self) -> Vec<u8> {
        ber_tlv::encode_dol(&self.entries)
    }

    pub fn entries(&self) -> &[(Tag, usize)] {
        &self.entries
    }

    /// Sum of the listed lengths: the exact length of the data a terminal must send.
    pub fn total_len(&self) -> usize {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The listed length of `tag`, if listed.
    pub fn length_of(&self, tag: Tag) -> Option<usize> {
        self.entries.iter().find(|(t, _)| *t == tag).map(|(_, l)| *l)
    }

    /// Splits terminal data by this DOL. The data must be exactly [`Dol::total_len`] bytes.
    pub fn split(&self, data: &[u8]) -> Result<DolValues, DolError> {
        if data.len() != self.total {
            return Err(DolError::LengthMismatch { expected: self.total, got: data.len() });
        }
        let mut items = Vec::with_capacity(self.entries.len());
        let mut at = 0usize;
        for &(tag, len) in &self.entries {
            // `at + len <= total` holds for every entry: the lengths sum to `total`.
            let end = at.saturating_add(len);
            items.push((tag, at..end));
            at = end;
        }
        Ok(DolValues { data: data.to_vec(), items })
    }

    /// All-zero values (what a terminal sends for objects it does not know, §5): the
    /// lenient `83 00` mode of §6.3 treats an empty GPO template as this.
    pub fn zeros(&self) -> DolValues {
        let zeros = vec![0u8; self.total];
        match self.split(&zeros) {
            Ok(values) => values,
            // Unreachable: `zeros` has exactly the total length.
            Err(_) => DolValues { data: Vec::new(), items: Vec::new() },
        }
    }

    /// The terminal side of §5: builds DOL data from `value(tag)`, each value fitted to the
    /// listed length — numeric tags (`numeric(tag)`) left-padded with zeros or truncated on
    /// the left, others right-padded with zeros or truncated on the right; unknown tags
    /// zero-filled.
    pub fn fill<'v>(
        &self,
        value: impl Fn(Tag) -> Option<&'v [u8]>,
        numeric: impl Fn(Tag) -> bool,
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.total);
        for &(tag, len) in &self.entries {
            let v = value(tag).unwrap_or(&[]);
            if numeric(tag) {
                let keep = v.len().min(len);
                let skip = v.len().saturating_sub(keep);
                out.resize(out.len().saturating_add(len.saturating_sub(keep)), 0);
                out.extend_from_slice(v.get(skip..).unwrap_or(&[]));
            } else {
                let keep = v.len().min(len);
                out.extend_from_slice(v.get(..keep).unwrap_or(&[]));
                out.resize(out.len().saturating_add(len.saturating_sub(keep)), 0);
            }
        }
        out
    }
}

/// Terminal data split by a [`Dol`]: the values by tag, in DOL order.
#[derive(Clone, PartialEq, Eq)]
pub struct DolValues {
    data: Vec<u8>,
    items: Vec<(Tag, Range<usize>)>,
}

impl std::fmt::Debug for DolValues {
    /// Tags and lengths only: the values are cryptogram inputs (§17.10).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.items.iter().map(|(t, r)| (t, r.len()))).finish()
    }
}

impl DolValues {
    /// The value sent for `tag`, if the DOL lists it.
    pub fn get(&self, tag: Tag) -> Option<&[u8]> {
        self.items.iter().find(|(t, _)| *t == tag).and_then(|(_, r)| self.data.get(r.clone()))
    }

    /// The value of `tag` as an array, if listed with exactly `N` bytes.
    pub fn get_array<const N: usize>(&self, tag: Tag) -> Option<[u8; N]> {
        self.get(tag).and_then(|v| v.try_into().ok())
    }

    /// The tags and values, in DOL order.
    pub fn iter(&self) -> impl Iterator<Item = (Tag, &[u8])> {
        self.items.iter().filter_map(|(t, r)| self.data.get(r.clone()).map(|v| (*t, v)))
    }

    /// The concatenated data as sent.
    pub fn raw(&self) -> &[u8] {
        &self.data
    }
}

/// Terminal data objects the payment applet reads (EMV Book 3 Annex A).
pub mod tags {
    use crate::ber_tlv::Tag;
    /// Terminal Transaction Qualifiers (C-3/C-7 kernels, §8).
    pub const TTQ: Tag = Tag::constant(0x9F66);
    /// Amount, authorised (n12).
    pub const AMOUNT_AUTHORISED: Tag = Tag::constant(0x9F02);
    /// Amount, other (n12).
    pub const AMOUNT_OTHER: Tag = Tag::constant(0x9F03);
    /// Terminal country code (n3).
    pub const TERMINAL_COUNTRY: Tag = Tag::constant(0x9F1A);
    /// Terminal verification results.
    pub const TVR: Tag = Tag::constant(0x95);
    /// Transaction currency code (n3).
    pub const CURRENCY: Tag = Tag::constant(0x5F2A);
    /// Transaction date YYMMDD (n6).
    pub const DATE: Tag = Tag::constant(0x9A);
    /// Transaction type (n2).
    pub const TRANSACTION_TYPE: Tag = Tag::constant(0x9C);
    /// Unpredictable number.
    pub const UNPREDICTABLE_NUMBER: Tag = Tag::constant(0x9F37);
    /// Authorisation response code (CDOL2).
    pub const AUTH_RESPONSE_CODE: Tag = Tag::constant(0x8A);

    /// Whether a terminal formats `tag` as numeric (`n`): left-padded when filling (§5).
    pub fn is_numeric(tag: Tag) -> bool {
        [AMOUNT_AUTHORISED, AMOUNT_OTHER, TERMINAL_COUNTRY, CURRENCY, DATE, TRANSACTION_TYPE]
            .contains(&tag)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use hex_literal::hex;

    const SPEC_PDOL: [u8; 24] = hex!("9F66049F02069F03069F1A0295055F2A029A039C019F3704");

    #[test]
    fn parses_and_splits_by_its_own_list() {
        let dol = Dol::parse(&SPEC_PDOL).unwrap();
        assert_eq!(dol.total_len(), 33);
        assert_eq!(dol.encode(), SPEC_PDOL);
        let data =
            hex!("36004000 000000001000 000000000000 0156 0000000000 0156 261122 00 12345678");
        let v = dol.split(&data).unwrap();
        assert_eq!(v.get(tags::UNPREDICTABLE_NUMBER), Some(&hex!("12345678")[..]));
        assert_eq!(v.get_array::<2>(tags::CURRENCY), Some([0x01, 0x56]));
        assert_eq!(v.get_array::<3>(tags::CURRENCY), None);
        assert_eq!(v.get(tags::AUTH_RESPONSE_CODE), None);
        assert_eq!(v.raw(), data);
        assert!(!format!("{v:?}").contains("12"), "values are not printed");
        assert_eq!(dol.split(&data[1..]), Err(DolError::LengthMismatch { expected: 33, got: 32 }));
        assert_eq!(dol.zeros().get(tags::TTQ), Some(&[0u8; 4][..]));
    }

    #[test]
    fn refuses_bad_lists() {
        assert!(matches!(Dol::parse(&hex!("9F")), Err(DolError::Malformed(_))));
        assert_eq!(
            Dol::parse(&hex!("9F3704 9F3704")),
            Err(DolError::DuplicateTag(tags::UNPREDICTABLE_NUMBER))
        );
        assert_eq!(
            Dol::parse(&hex!("9F3700")),
            Err(DolError::ZeroLength(tags::UNPREDICTABLE_NUMBER))
        );
        assert!(matches!(Dol::parse(&hex!("7004")), Err(DolError::Constructed(_))));
        assert_eq!(Dol::parse(&hex!("9F3781FD")), Err(DolError::TooLong(253)));
        assert!(Dol::parse(&[]).unwrap().is_empty());
    }

    #[test]
    fn fill_pads_by_format() {
        let dol = Dol::parse(&hex!("9F0206 5004 9F3702")).unwrap();
        let out = dol.fill(
            |t| match t.raw() {
                0x9F02 => Some(&[0x10, 0x00][..]),
                0x50 => Some(&b"ABCDEF"[..]),
                _ => None,
            },
            tags::is_numeric,
        );
        assert_eq!(out, hex!("000000001000 41424344 0000"));
    }
}

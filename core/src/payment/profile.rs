//! The card profile of one token (payment spec §6.1–6.4, §8): what a terminal reads
//! from it, built **before the tap** (§17 item 9) so that only the MAC and a few bytes
//! around it are computed inside the tap.
//!
//! - PPSE directory entry `61{4F AID, 50 label, 87 priority[, 9F2A kernel]}` (§6.1; `50`
//!   is always present: emvtool crashes without it, §15.1);
//! - SELECT AID answer `6F{84 AID, A5{50, 87 01, 9F38 PDOL[, 5F2D]}}` (§6.2);
//! - AIP (`82`) with SDA, DDA and CDA cleared — a cloud token has no card private key
//!   (§8, §11, §17 item 7) — and the AFL (`94`) naming the one static record, SFI 1
//!   record 1, no record for offline data authentication;
//! - that record `70{5A, 5F24, 5F28, 5F34[, 9F19][, 9F24][, 8C CDOL1, 8D CDOL2]}` (§6.4;
//!   CDOL1/CDOL2 only when the profile offers GENERATE AC);
//! - the static head of the GPO answer `82 ‖ 94 ‖ 57 ‖ 5F34` (§6.3 format 2); the tap adds
//!   `9F10 ‖ 9F26 ‖ 9F27 ‖ 9F36 ‖ 9F6C`.
//!
//! Every answer built here stays within 256 bytes (§3, §17 item 9): the builders check it.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use super::cryptogram::Cryptogram;
use super::dol::{tags, Dol, DolError};
use super::token::{Atc, Token};
use crate::ber_tlv::Tag;

/// The contactless directory name `2PAY.SYS.DDF01` (§4, §6.1).
pub const PPSE_NAME: &[u8] = b"2PAY.SYS.DDF01";
/// The contact directory name `1PAY.SYS.DDF01` (§4, §6.7).
pub const PSE_NAME: &[u8] = b"1PAY.SYS.DDF01";
/// The SFI of the token's static record (and of the optional PSE directory records).
pub const RECORD_SFI: u8 = 1;
/// The one static record number.
pub const RECORD_NUMBER: u8 = 1;
/// Longest response data field (a short R-APDU, §3).
pub const MAX_RESPONSE: usize = 256;
/// Longest application label `50` (`ans` 1–16).
pub const MAX_LABEL_LEN: usize = 16;

/// AIP byte 1 bits a cloud token must never set (§8): SDA, DDA, CDA.
pub const AIP_ODA_BITS: u8 = 0x40 | 0x20 | 0x01;

/// EMV data object tags this module writes (EMV Book 3 Annex A).
pub mod tag {
    use crate::ber_tlv::Tag;
    pub const FCI: Tag = Tag::constant(0x6F);
    pub const DF_NAME: Tag = Tag::constant(0x84);
    pub const FCI_PROPRIETARY: Tag = Tag::constant(0xA5);
    pub const FCI_ISSUER_DISCRETIONARY: Tag = Tag::constant(0xBF0C);
    pub const DIRECTORY_ENTRY: Tag = Tag::constant(0x61);
    pub const AID: Tag = Tag::constant(0x4F);
    pub const LABEL: Tag = Tag::constant(0x50);
    pub const PRIORITY: Tag = Tag::constant(0x87);
    pub const KERNEL_ID: Tag = Tag::constant(0x9F2A);
    pub const PDOL: Tag = Tag::constant(0x9F38);
    pub const LANGUAGE: Tag = Tag::constant(0x5F2D);
    pub const SFI: Tag = Tag::constant(0x88);
    pub const RECORD: Tag = Tag::constant(0x70);
    pub const PAN: Tag = Tag::constant(0x5A);
    pub const EXPIRY: Tag = Tag::constant(0x5F24);
    pub const ISSUER_COUNTRY: Tag = Tag::constant(0x5F28);
    pub const PSN: Tag = Tag::constant(0x5F34);
    pub const TOKEN_REQUESTOR_ID: Tag = Tag::constant(0x9F19);
    pub const PAR: Tag = Tag::constant(0x9F24);
    pub const CDOL1: Tag = Tag::constant(0x8C);
    pub const CDOL2: Tag = Tag::constant(0x8D);
    pub const TEMPLATE_2: Tag = Tag::constant(0x77);
    pub const AIP: Tag = Tag::constant(0x82);
    pub const AFL: Tag = Tag::constant(0x94);
    pub const TRACK2: Tag = Tag::constant(0x57);
    pub const IAD: Tag = Tag::constant(0x9F10);
    pub const AC: Tag = Tag::constant(0x9F26);
    pub const CID: Tag = Tag::constant(0x9F27);
    pub const ATC: Tag = Tag::constant(0x9F36);
    pub const CTQ: Tag = Tag::constant(0x9F6C);
}

/// CTQ byte 2 bit 8: consumer device CVM performed (§8).
pub const CTQ_CDCVM_PERFORMED: u8 = 0x80;

/// How every token's card profile is laid out (the parts that do not come from the token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileSettings {
    /// The PDOL (`9F38`) in the SELECT answer. Default: the nine objects Visa and UnionPay
    /// debit cards ask for (§6.2), 33 bytes of data.
    pub pdol: Dol,
    /// Language preference `5F2D` (pairs of ISO 639 letters). Default `zhen` (§6.2 fixture).
    pub language_preference: Option<String>,
    /// AIP (`82`). Default `0000`; SDA/DDA/CDA must stay clear.
    pub aip: [u8; 2],
    /// Track 2 service code, three digits. Default `201`.
    pub service_code: String,
    /// Track 2 discretionary data, decimal digits. Default ten zeros (§6.3 fixture).
    pub track2_discretionary: String,
    /// Whether the record lists CDOL1/CDOL2 and GENERATE AC is answered (§6.5). Default off:
    /// the generic profile puts the cryptogram in the GPO answer (Visa/UnionPay style).
    pub offer_generate_ac: bool,
}

impl Default for ProfileSettings {
    fn default() -> Self {
        ProfileSettings {
            pdol: default_pdol(),
            language_preference: Some("zhen".to_owned()),
            aip: [0x00, 0x00],
            service_code: "201".to_owned(),
            track2_discretionary: "0000000000".to_owned(),
            offer_generate_ac: false,
        }
    }
}

/// `9F66 04 · 9F02 06 · 9F03 06 · 9F1A 02 · 95 05 · 5F2A 02 · 9A 03 · 9C 01 · 9F37 04` (§6.2).
pub fn default_pdol() -> Dol {
    let entries = vec![
        (tags::TTQ, 4),
        (tags::AMOUNT_AUTHORISED, 6),
        (tags::AMOUNT_OTHER, 6),
        (tags::TERMINAL_COUNTRY, 2),
        (tags::TVR, 5),
        (tags::CURRENCY, 2),
        (tags::DATE, 3),
        (tags::TRANSACTION_TYPE, 1),
        (tags::UNPREDICTABLE_NUMBER, 4),
    ];
    // A constant, valid list: the empty fallback is unreachable.
    Dol::new(entries).unwrap_or_else(|_| Dol::empty())
}

/// Why a token cannot be offered under a profile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("AID must be 5 to 16 bytes, got {0}")]
    AidLength(usize),
    #[error("application label must be 1 to {MAX_LABEL_LEN} printable ASCII characters")]
    Label,
    #[error("language preference must be 2 to 8 lowercase letters, in pairs")]
    Language,
    #[error("AIP {0:02X?} advertises offline data authentication (SDA/DDA/CDA)")]
    OdaAdvertised([u8; 2]),
    #[error("service code must be three digits")]
    ServiceCode,
    #[error("track 2 discretionary data must be decimal digits, at most 13")]
    Discretionary,
    #[error("PAN sequence number {0} is not two BCD digits")]
    Psn(u8),
    #[error("issuer country {0:#06x} is not three BCD digits")]
    Country(u16),
    #[error("token requestor ID must be 11 digits")]
    TokenRequestorId,
    #[error("payment account reference must be 29 alphanumeric characters")]
    Par,
    #[error("the PDOL lacks {tag} with {len} bytes, which the cryptogram covers")]
    PdolLacks { tag: Tag, len: usize },
    #[error(transparent)]
    Dol(#[from] DolError),
    #[error("{what} would be {len} bytes, over {MAX_RESPONSE}")]
    TooLong { what: &'static str, len: usize },
}

/// Appends one primitive or constructed TLV with a minimal definite length (values here
/// are far below 64 KiB).
pub(crate) fn put(out: &mut Vec<u8>, tag: Tag, value: &[u8]) {
    out.extend_from_slice(&tag.to_bytes());
    let len = value.len();
    match u8::try_from(len) {
        Ok(short) if short < 0x80 => out.push(short),
        Ok(short) => out.extend_from_slice(&[0x81, short]),
        Err(_) => {
            out.push(0x82);
            out.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
        }
    }
    out.extend_from_slice(value);
}

fn bcd2(v: u8) -> Option<u8> {
    (v < 100).then_some(((v / 10) << 4) | (v % 10))
}

fn digits(s: &str) -> Option<Vec<u8>> {
    s.bytes().map(|b| b.is_ascii_digit().then(|| b.wrapping_sub(b'0'))).collect()
}

/// Track 2 Equivalent Data (`57`, §5): PAN, `D`, expiry `YYMM`, service code,
/// discretionary data, padded with `F` to a whole byte.
pub fn track2_equivalent(
    token: &Token,
    settings: &ProfileSettings,
) -> Result<Vec<u8>, ProfileError> {
    let service =
        digits(&settings.service_code).filter(|d| d.len() == 3).ok_or(ProfileError::ServiceCode)?;
    let disc = digits(&settings.track2_discretionary)
        .filter(|d| d.len() <= 13)
        .ok_or(ProfileError::Discretionary)?;
    let mut nibbles = digits(token.mpan.digits()).unwrap_or_default();
    nibbles.push(0x0D);
    for b in token.expiry.yymm_bcd() {
        nibbles.extend_from_slice(&[b >> 4, b & 0x0F]);
    }
    nibbles.extend(service);
    nibbles.extend(disc);
    Ok(pack_nibbles(nibbles))
}

/// Packs nibbles into bytes, padding an odd count with `F`.
fn pack_nibbles(mut nibbles: Vec<u8>) -> Vec<u8> {
    if nibbles.len() % 2 == 1 {
        nibbles.push(0x0F);
    }
    nibbles.chunks(2).map(|p| p.iter().fold(0u8, |acc, n| (acc << 4) | (n & 0x0F))).collect()
}

fn check_len(what: &'static str, data: &[u8]) -> Result<(), ProfileError> {
    if data.len() > MAX_RESPONSE {
        return Err(ProfileError::TooLong { what, len: data.len() });
    }
    Ok(())
}

/// One token's precomputed card data.
#[derive(Clone, PartialEq, Eq)]
pub struct CardProfile {
    token: Token,
    aip: [u8; 2],
    fci: Vec<u8>,
    record: Vec<u8>,
    gpo_head: Vec<u8>,
    pdol: Dol,
    cdols: Option<(Dol, Dol)>,
}

impl std::fmt::Debug for CardProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardProfile")
            .field("token", &self.token.id)
            .field("pan", &self.token.mpan)
            .finish_non_exhaustive()
    }
}

impl CardProfile {
    /// Builds the profile of `token`. `covered` is what the cryptogram engine MACs
    /// ([`super::cryptogram::CryptogramEngine::terminal_data`]): the PDOL must list each
    /// object, and CDOL1/CDOL2 are made of them when GENERATE AC is offered.
    pub fn build(
        token: &Token,
        settings: &ProfileSettings,
        covered: &[(Tag, usize)],
    ) -> Result<CardProfile, ProfileError> {
        let p = &token.profile;
        if !(5..=16).contains(&p.aid.len()) {
            return Err(ProfileError::AidLength(p.aid.len()));
        }
        if p.label.is_empty()
            || p.label.len() > MAX_LABEL_LEN
            || !p.label.bytes().all(|b| (0x20..=0x7E).contains(&b))
        {
            return Err(ProfileError::Label);
        }
        if settings.aip.first().is_some_and(|b| b & AIP_ODA_BITS != 0) {
            return Err(ProfileError::OdaAdvertised(settings.aip));
        }
        for &(t, len) in covered {
            if settings.pdol.length_of(t) != Some(len) {
                return Err(ProfileError::PdolLacks { tag: t, len });
            }
        }

        // SELECT AID answer (§6.2).
        let mut a5 = Vec::with_capacity(96);
        put(&mut a5, tag::LABEL, p.label.as_bytes());
        put(&mut a5, tag::PRIORITY, &[0x01]);
        if !settings.pdol.is_empty() {
            put(&mut a5, tag::PDOL, &settings.pdol.encode());
        }
        if let Some(lang) = &settings.language_preference {
            let ok = (2..=8).contains(&lang.len())
                && lang.len() % 2 == 0
                && lang.bytes().all(|b| b.is_ascii_lowercase());
            if !ok {
                return Err(ProfileError::Language);
            }
            put(&mut a5, tag::LANGUAGE, lang.as_bytes());
        }
        let mut body = Vec::with_capacity(128);
        put(&mut body, tag::DF_NAME, &p.aid);
        put(&mut body, tag::FCI_PROPRIETARY, &a5);
        let mut fci = Vec::with_capacity(body.len().saturating_add(3));
        put(&mut fci, tag::FCI, &body);
        check_len("SELECT answer", &fci)?;

        // Static record (§6.4).
        let psn = bcd2(token.psn).ok_or(ProfileError::Psn(token.psn))?;
        let country = p.issuer_country;
        if country > 0x0999 || !country.to_be_bytes().iter().all(|b| b >> 4 < 10 && b & 0xF < 10) {
            return Err(ProfileError::Country(country));
        }
        let mut r = Vec::with_capacity(128);
        put(&mut r, tag::PAN, &token.mpan.to_cn());
        put(&mut r, tag::EXPIRY, &token.expiry.yymmdd_bcd());
        put(&mut r, tag::ISSUER_COUNTRY, &country.to_be_bytes());
        put(&mut r, tag::PSN, &[psn]);
        if let Some(trid) = &token.token_requestor_id {
            let d = digits(trid).filter(|d| d.len() == 11).ok_or(ProfileError::TokenRequestorId)?;
            // n11 in 6 bytes: right-aligned, one leading zero nibble.
            let mut nibbles = vec![0u8];
            nibbles.extend(d);
            put(&mut r, tag::TOKEN_REQUESTOR_ID, &pack_nibbles(nibbles));
        }
        if let Some(par) = &token.par {
            if par.len() != 29 || !par.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(ProfileError::Par);
            }
            put(&mut r, tag::PAR, par.as_bytes());
        }
        let cdols = if settings.offer_generate_ac {
            let cdol1 = Dol::new(covered.to_vec())?;
            let mut two = vec![(tags::AUTH_RESPONSE_CODE, 2)];
            two.extend_from_slice(covered);
            let cdol2 = Dol::new(two)?;
            put(&mut r, tag::CDOL1, &cdol1.encode());
            put(&mut r, tag::CDOL2, &cdol2.encode());
            Some((cdol1, cdol2))
        } else {
            None
        };
        let mut record = Vec::with_capacity(r.len().saturating_add(3));
        put(&mut record, tag::RECORD, &r);
        check_len("record", &record)?;

        // Static head of the GPO answer (§6.3).
        let track2 = track2_equivalent(token, settings)?;
        let mut gpo_head = Vec::with_capacity(48);
        put(&mut gpo_head, tag::AIP, &settings.aip);
        put(&mut gpo_head, tag::AFL, &afl());
        put(&mut gpo_head, tag::TRACK2, &track2);
        put(&mut gpo_head, tag::PSN, &[psn]);

        Ok(CardProfile {
            token: token.clone(),
            aip: settings.aip,
            fci,
            record,
            gpo_head,
            pdol: settings.pdol.clone(),
            cdols,
        })
    }

    pub fn token(&self) -> &Token {
        &self.token
    }
    pub fn aid(&self) -> &[u8] {
        &self.token.profile.aid
    }
    pub fn aip(&self) -> [u8; 2] {
        self.aip
    }
    pub fn pdol(&self) -> &Dol {
        &self.pdol
    }
    /// CDOL1 and CDOL2 when GENERATE AC is offered.
    pub fn cdols(&self) -> Option<&(Dol, Dol)> {
        self.cdols.as_ref()
    }
    /// The SELECT AID answer data (§6.2).
    pub fn fci(&self) -> &[u8] {
        &self.fci
    }
    /// READ RECORD: the static record, if `(sfi, record)` names it (§6.4).
    pub fn record(&self, sfi: u8, record: u8) -> Option<&[u8]> {
        ((sfi, record) == (RECORD_SFI, RECORD_NUMBER)).then_some(self.record.as_slice())
    }

    /// The PPSE directory entry of this token with priority `priority` (§6.1).
    pub fn directory_entry(&self, priority: u8) -> Vec<u8> {
        let p = &self.token.profile;
        let mut e = Vec::with_capacity(48);
        put(&mut e, tag::AID, &p.aid);
        put(&mut e, tag::LABEL, p.label.as_bytes());
        put(&mut e, tag::PRIORITY, &[priority]);
        if let Some(k) = p.kernel_id {
            put(&mut e, tag::KERNEL_ID, &[k]);
        }
        let mut out = Vec::with_capacity(e.len().saturating_add(2));
        put(&mut out, tag::DIRECTORY_ENTRY, &e);
        out
    }

    /// The GPO answer, format 2 (§6.3): the static head, then `9F10 9F26 9F27 9F36 9F6C`.
    pub fn gpo_response(&self, atc: Atc, cryptogram: &Cryptogram, cdcvm: bool) -> Vec<u8> {
        let mut body = Vec::with_capacity(self.gpo_head.len().saturating_add(40));
        body.extend_from_slice(&self.gpo_head);
        put(&mut body, tag::IAD, &cryptogram.iad);
        put(&mut body, tag::AC, &cryptogram.ac);
        put(&mut body, tag::CID, &[cryptogram.cid]);
        put(&mut body, tag::ATC, &atc.to_be_bytes());
        put(&mut body, tag::CTQ, &ctq(cdcvm));
        let mut out = Vec::with_capacity(body.len().saturating_add(3));
        put(&mut out, tag::TEMPLATE_2, &body);
        out
    }
}

/// The AFL: SFI 1, records 1 to 1, none for offline data authentication (§6.4).
pub fn afl() -> [u8; 4] {
    [RECORD_SFI << 3, RECORD_NUMBER, RECORD_NUMBER, 0]
}

/// CTQ (`9F6C`): byte 2 bit 8 when CDCVM was performed, nothing else (§8).
pub fn ctq(cdcvm: bool) -> [u8; 2] {
    [0x00, if cdcvm { CTQ_CDCVM_PERFORMED } else { 0x00 }]
}

/// The GENERATE AC answer, format 2 (§6.5): `77{9F27, 9F36, 9F26, 9F10}`.
pub fn generate_ac_response(atc: Atc, cryptogram: &Cryptogram) -> Vec<u8> {
    let mut body = Vec::with_capacity(40);
    put(&mut body, tag::CID, &[cryptogram.cid]);
    put(&mut body, tag::ATC, &atc.to_be_bytes());
    put(&mut body, tag::AC, &cryptogram.ac);
    put(&mut body, tag::IAD, &cryptogram.iad);
    let mut out = Vec::with_capacity(body.len().saturating_add(2));
    put(&mut out, tag::TEMPLATE_2, &body);
    out
}

/// The SELECT PPSE answer for `entries` (each a [`CardProfile::directory_entry`]), or
/// `None` when there is nothing to list. Entries that would push the answer over 256
/// bytes are left out.
pub fn ppse_fci(entries: &[Vec<u8>]) -> Option<Vec<u8>> {
    // 6F 81 xx | 84 0E name | A5 81 xx | BF0C 81 xx: at most 3 + 16 + 3 + 4 bytes of framing.
    const FRAMING: usize = 26;
    let mut dir = Vec::with_capacity(MAX_RESPONSE);
    for e in entries {
        if dir.len().saturating_add(e.len()).saturating_add(FRAMING) > MAX_RESPONSE {
            log::warn!("payment: PPSE full, {} directory entries left out", entries.len());
            break;
        }
        dir.extend_from_slice(e);
    }
    if dir.is_empty() {
        return None;
    }
    let mut bf0c = Vec::with_capacity(dir.len().saturating_add(4));
    put(&mut bf0c, tag::FCI_ISSUER_DISCRETIONARY, &dir);
    let mut a5 = Vec::with_capacity(bf0c.len().saturating_add(3));
    put(&mut a5, tag::FCI_PROPRIETARY, &bf0c);
    let mut body = Vec::with_capacity(a5.len().saturating_add(16));
    put(&mut body, tag::DF_NAME, PPSE_NAME);
    body.extend_from_slice(&a5);
    let mut out = Vec::with_capacity(body.len().saturating_add(3));
    put(&mut out, tag::FCI, &body);
    Some(out)
}

/// The SELECT PSE answer (§6.7, contact directory): `6F{84 name, A5{88 SFI}}`.
pub fn pse_fci() -> Vec<u8> {
    let mut a5 = Vec::with_capacity(3);
    put(&mut a5, tag::SFI, &[RECORD_SFI]);
    let mut body = Vec::with_capacity(24);
    put(&mut body, tag::DF_NAME, PSE_NAME);
    put(&mut body, tag::FCI_PROPRIETARY, &a5);
    let mut out = Vec::with_capacity(body.len().saturating_add(2));
    put(&mut out, tag::FCI, &body);
    out
}

/// One PSE directory record: `70{61{4F, 50, 87}}` (§6.7).
pub fn pse_record(entry: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entry.len().saturating_add(2));
    put(&mut out, tag::RECORD, entry);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::payment::cryptogram::GENERIC_TERMINAL_DATA;
    use crate::payment::token::*;
    use hex_literal::hex;

    /// The spec's fixture token (§6.1–6.4).
    fn token() -> Token {
        crate::payment::sample::sample_token(0)
    }

    #[test]
    fn spec_fixtures() {
        let p = CardProfile::build(&token(), &ProfileSettings::default(), &GENERIC_TERMINAL_DATA)
            .unwrap();
        assert_eq!(
            p.fci(),
            hex!("6F3C8408A000000333010102A5305009555020435245444954870101 9F38189F66049F02069F03069F1A0295055F2A029A039C019F3704 5F2D047A68656E")
        );
        assert_eq!(
            p.record(1, 1).unwrap(),
            hex!("70195A0862310000000000085F24033012315F280201565F340100")
        );
        assert_eq!(p.record(1, 2), None);
        assert_eq!(
            ppse_fci(&[p.directory_entry(1)]).unwrap(),
            hex!("6F33840E325041592E5359532E4444463031A521BF0C1E611C4F08A0000003330101025009555020435245444954870101 9F2A0107")
        );
        assert_eq!(ppse_fci(&[]), None);
    }

    #[test]
    fn refuses_bad_tokens() {
        let s = ProfileSettings::default();
        let mut t = token();
        t.psn = 100;
        assert_eq!(CardProfile::build(&t, &s, &[]), Err(ProfileError::Psn(100)));
        let mut s2 = s.clone();
        s2.aip = [0x40, 0x00];
        assert!(matches!(
            CardProfile::build(&token(), &s2, &[]),
            Err(ProfileError::OdaAdvertised(_))
        ));
        let mut s3 = s.clone();
        s3.pdol = Dol::new(vec![(tags::TTQ, 4)]).unwrap();
        assert!(matches!(
            CardProfile::build(&token(), &s3, &GENERIC_TERMINAL_DATA),
            Err(ProfileError::PdolLacks { .. })
        ));
        let mut t = token();
        t.profile.label = String::new();
        assert_eq!(CardProfile::build(&t, &s, &[]), Err(ProfileError::Label));
    }

    #[test]
    fn optional_record_objects() {
        let mut t = token();
        t.token_requestor_id = Some("40010030273".into());
        t.par = Some("50010000000000000000000000001".into());
        let s = ProfileSettings { offer_generate_ac: true, ..Default::default() };
        let p = CardProfile::build(&t, &s, &GENERIC_TERMINAL_DATA).unwrap();
        let rec = crate::ber_tlv::Tlv::parse(p.record(1, 1).unwrap()).unwrap();
        assert_eq!(
            rec.find(tag::TOKEN_REQUESTOR_ID).unwrap().bytes().unwrap(),
            hex!("040010030273")
        );
        assert_eq!(rec.find(tag::PAR).unwrap().bytes().unwrap().len(), 29);
        assert_eq!(rec.find(tag::CDOL1).unwrap().bytes().unwrap().len(), 21);
        assert!(p.cdols().is_some());
    }
}

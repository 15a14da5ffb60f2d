//! An independent reference EMV contactless terminal (reader), written from
//! `shared/spec/payment-hce.md` alone, to check the card side (the core's payment applet)
//! from the outside.
//!
//! **Independence.** Nothing here is shared with the core's payment module: the BER-TLV
//! parser/builder ([`tlv`]), the DOL answering ([`dol`]) and the cryptogram check
//! ([`crypto`]) are this module's own, and it does not use `hce_wallet_core::ber_tlv`. A
//! bug in a shared codec or MAC would otherwise be on both ends of every exchange and
//! cancel out: the card would encode wrongly, the terminal would decode the same way, and
//! every test would pass. For the same reason the retail MAC is CBC + final D/E written by
//! hand over the single-DES block primitive of RustCrypto `des`, while the card side uses a
//! MAC crate.
//!
//! **Flow** ([`Terminal::run`], spec §2/§6): SELECT PPSE → pick the directory entry (the
//! highest priority `87`, else the first) → SELECT AID → PDOL `9F38` from the FCI → GET
//! PROCESSING OPTIONS with the PDOL answered from [`TerminalParams`] → format 1 (`80`) or 2
//! (`77`) → READ RECORD for every AFL entry → GENERATE AC (`80 AE 80 00`, ARQC) with the
//! CDOL1 data when the records carry a CDOL1 or the GPO carried no cryptogram → [`EmvResult`]
//! with a transcript.
//!
//! **Strict like a real reader:** SW `9000` on every command of the flow, mandatory tags
//! present, AFL well formed (multiple of 4, SFI 1..30, first ≤ last, ODA count within the
//! range), every response ≤ 256 data bytes, no `9F4B` anywhere (a token has no ODA), AIP not
//! advertising SDA/DDA/CDA, a GENERATE AC answer never higher than requested, `5A`/`57`
//! and `5F24`/`57` consistent.
//!
//! **Verification** ([`verify`]): the generic profile of §9.4 with the values this terminal
//! sent, by tag, from the command that produced each cryptogram (the PDOL for a GPO
//! cryptogram; the CDOL1 data, then the PDOL, for a GENERATE AC one); plus CTQ byte 2 bit 8
//! and the CVR (last byte of `9F10`) telling the same CDCVM story.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod crypto;
pub mod dol;
pub mod tlv;

#[cfg(test)]
mod tests;

use crate::card::{Card, CardError};
use dol::{answer_dol, parse_dol, DolEntry};
use subtle::ConstantTimeEq;
use tlv::{find_in, Tlv, TlvError};

/// Terminal objects as sent, by tag, in send order.
pub type SentData = Vec<(u32, Vec<u8>)>;

/// `2PAY.SYS.DDF01`.
pub const PPSE: &[u8] = b"2PAY.SYS.DDF01";
/// Largest response body a contactless card may send (short APDU, spec §3).
pub const MAX_RESPONSE_DATA: usize = 256;

/// The terminal's transaction data, answered to the PDOL and CDOL1 by tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminalParams {
    /// 9F66 Terminal Transaction Qualifiers.
    pub ttq: [u8; 4],
    /// 9F02 amount, authorised (n12 BCD).
    pub amount: [u8; 6],
    /// 9F03 amount, other (n12 BCD).
    pub other_amount: [u8; 6],
    /// 9F1A terminal country code (n3 in 2 bytes).
    pub country: [u8; 2],
    /// 95 Terminal Verification Results.
    pub tvr: [u8; 5],
    /// 5F2A transaction currency code.
    pub currency: [u8; 2],
    /// 9A transaction date YYMMDD.
    pub date: [u8; 3],
    /// 9C transaction type.
    pub txn_type: u8,
    /// 9F37 unpredictable number.
    pub un: [u8; 4],
}

impl TerminalParams {
    /// The value of one terminal object, `None` when this terminal does not know the tag
    /// (the DOL answer then zero-fills it).
    pub fn value(&self, tag: u32) -> Option<Vec<u8>> {
        Some(match tag {
            0x9F66 => self.ttq.to_vec(),
            0x9F02 => self.amount.to_vec(),
            0x9F03 => self.other_amount.to_vec(),
            0x9F1A => self.country.to_vec(),
            0x95 => self.tvr.to_vec(),
            0x5F2A => self.currency.to_vec(),
            0x9A => self.date.to_vec(),
            0x9C => vec![self.txn_type],
            0x9F37 => self.un.to_vec(),
            _ => return None,
        })
    }
}

impl Default for TerminalParams {
    /// The §6.3 example: TTQ 36004000, 10.00 CNY, China, 2026-11-22, purchase, UN 12345678.
    fn default() -> TerminalParams {
        TerminalParams {
            ttq: [0x36, 0x00, 0x40, 0x00],
            amount: [0, 0, 0, 0, 0x10, 0],
            other_amount: [0; 6],
            country: [0x01, 0x56],
            tvr: [0; 5],
            currency: [0x01, 0x56],
            date: [0x26, 0x11, 0x22],
            txn_type: 0,
            un: [0x12, 0x34, 0x56, 0x78],
        }
    }
}

/// One command/response pair of the tap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    pub command: Vec<u8>,
    /// Response body without the status word.
    pub response: Vec<u8>,
    pub sw: u16,
    pub note: String,
}

/// Which command returned a cryptogram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptogramSource {
    Gpo,
    GenerateAc,
}

/// One application cryptogram with what it was computed over on the terminal's side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cryptogram {
    pub source: CryptogramSource,
    /// 9F36.
    pub atc: u16,
    /// 9F26.
    pub ac: [u8; 8],
    /// 9F27.
    pub cid: u8,
    /// 9F10, when present.
    pub iad: Option<Vec<u8>>,
    /// The terminal objects sent with the command that produced it, by tag, in send order.
    pub terminal_data: SentData,
}

/// One AFL entry (4 bytes on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AflEntry {
    pub sfi: u8,
    pub first: u8,
    pub last: u8,
    pub oda: u8,
}

/// What a tap established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmvResult {
    pub aid: Vec<u8>,
    pub label: Option<String>,
    /// PAN digits (from 5A, else from track 2).
    pub pan: String,
    /// 5F24 as YYMMDD digits.
    pub expiry: String,
    /// 5F34.
    pub psn: Option<u8>,
    /// 82.
    pub aip: [u8; 2],
    pub afl: Vec<AflEntry>,
    /// 9F6C (GPO or GENERATE AC answer).
    pub ctq: Option<[u8; 2]>,
    /// The final cryptogram's ATC, AC, CID, IAD (GENERATE AC if it ran, else the GPO's).
    pub atc: u16,
    pub ac: [u8; 8],
    pub cid: u8,
    pub iad: Option<Vec<u8>>,
    /// Every cryptogram of the tap, in order (GPO first when it carried one).
    pub cryptograms: Vec<Cryptogram>,
    pub transcript: Vec<Exchange>,
}

/// Why a tap failed.
#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error("{step}: {source}")]
    Card { step: String, source: CardError },
    #[error("{step}: status word {sw:04X}, expected 9000")]
    Status { step: String, sw: u16 },
    #[error("{step}: response body of {len} bytes exceeds {MAX_RESPONSE_DATA}")]
    ResponseTooLong { step: String, len: usize },
    #[error("{step}: {source}")]
    Tlv { step: String, source: TlvError },
    #[error("{step}: mandatory tag {tag:X} missing")]
    Missing { step: String, tag: u32 },
    #[error("{step}: {what}")]
    Malformed { step: String, what: String },
    #[error("PPSE lists no application")]
    NoApplication,
    #[error("AFL malformed: {0}")]
    BadAfl(String),
    #[error("AIP {0:02X?} advertises offline data authentication (SDA/DDA/CDA), which a token cannot do")]
    OdaAdvertised([u8; 2]),
    #[error("{step}: 9F4B (signed dynamic data) present, but a token has no card key")]
    SignedDynamicData { step: String },
    #[error("GENERATE AC answered CID {0:02X}: TC (higher than the ARQC requested) or RFU")]
    CryptogramTooHigh(u8),
    #[error("no cryptogram: the GPO carried none and the records hold no CDOL1 (8C)")]
    NoCryptogramPath,
    #[error("inconsistent card data: {0}")]
    Inconsistent(String),
}

/// Why a cryptogram does not verify under the generic profile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("no cryptogram in the result")]
    NoCryptogram,
    #[error("{0:?} cryptogram: no 9F10")]
    NoIad(CryptogramSource),
    #[error("{0:?} cryptogram: 9F10 {1} is not the generic profile's 01 ‖ key index ‖ CVR")]
    BadIad(CryptogramSource, String),
    #[error("{0:?} cryptogram: CVR {1:02X} has reserved bits set")]
    BadCvr(CryptogramSource, u8),
    #[error(transparent)]
    MacInput(#[from] crypto::MacInputError),
    #[error("{from:?} cryptogram (ATC {atc:04X}) does not verify")]
    Mismatch { from: CryptogramSource, atc: u16 },
    #[error("no CTQ (9F6C) to compare with the CVR")]
    NoCtq,
    #[error("CTQ {ctq:02X?} says CDCVM {}, the CVR {cvr:02X} says {}", if ctq[1] & 0x80 != 0 {"performed"} else {"not performed"}, if *cvr == 0x80 {"performed"} else {"not performed"})]
    CdcvmDisagrees { ctq: [u8; 2], cvr: u8 },
}

/// The CVR of a generic-profile 9F10 (`01 ‖ key index(4) ‖ CVR`).
pub fn generic_cvr(c: &Cryptogram) -> Result<u8, VerifyError> {
    let iad = c.iad.as_deref().ok_or(VerifyError::NoIad(c.source))?;
    match iad {
        [0x01, _, _, _, _, cvr] => {
            if cvr & 0x7F != 0 {
                return Err(VerifyError::BadCvr(c.source, *cvr));
            }
            Ok(*cvr)
        }
        _ => Err(VerifyError::BadIad(c.source, hex::encode_upper(iad))),
    }
}

/// Verifies every cryptogram of `result` under the generic profile with `luk`, and that the
/// CTQ and each CVR agree on CDCVM.
pub fn verify(result: &EmvResult, luk: &[u8; 16]) -> Result<(), VerifyError> {
    if result.cryptograms.is_empty() {
        return Err(VerifyError::NoCryptogram);
    }
    let ctq = result.ctq.ok_or(VerifyError::NoCtq)?;
    for c in &result.cryptograms {
        let cvr = generic_cvr(c)?;
        let input = crypto::generic_mac_input(&c.terminal_data, result.aip, c.atc, cvr)?;
        let expected = crypto::generic_ac(luk, c.atc, &input);
        if !bool::from(expected.ct_eq(&c.ac)) {
            return Err(VerifyError::Mismatch { from: c.source, atc: c.atc });
        }
        if (ctq[1] & 0x80 != 0) != (cvr == 0x80) {
            return Err(VerifyError::CdcvmDisagrees { ctq, cvr });
        }
    }
    Ok(())
}

/// SELECT by name, `00 A4 04 00 Lc name 00`.
pub fn select_command(name: &[u8]) -> Vec<u8> {
    let mut c = vec![0x00, 0xA4, 0x04, 0x00, name.len() as u8];
    c.extend_from_slice(name);
    c.push(0x00);
    c
}

/// GET PROCESSING OPTIONS with `83 L data`.
pub fn gpo_command(pdol_data: &[u8]) -> Vec<u8> {
    let body = tlv::build(0x83, pdol_data);
    let mut c = vec![0x80, 0xA8, 0x00, 0x00, body.len() as u8];
    c.extend_from_slice(&body);
    c.push(0x00);
    c
}

/// READ RECORD `00 B2 record (SFI<<3)|4 00`.
pub fn read_record_command(sfi: u8, record: u8) -> Vec<u8> {
    vec![0x00, 0xB2, record, (sfi << 3) | 0x04, 0x00]
}

/// GENERATE AC asking for an ARQC: `80 AE 80 00 Lc data 00`.
pub fn generate_ac_command(cdol_data: &[u8]) -> Vec<u8> {
    let mut c = vec![0x80, 0xAE, 0x80, 0x00, cdol_data.len() as u8];
    c.extend_from_slice(cdol_data);
    c.push(0x00);
    c
}

/// The GPO command for a PDOL (the raw `9F38` value) and the terminal's values, plus the
/// (tag, value) pairs it sends.
pub fn build_gpo(pdol: &[u8], params: &TerminalParams) -> Result<(Vec<u8>, SentData), TlvError> {
    let entries = parse_dol(pdol)?;
    let (data, sent) = answer_dol(&entries, |t| params.value(t));
    Ok((gpo_command(&data), sent))
}

/// Parses an AFL value into entries, strictly.
pub fn parse_afl(afl: &[u8]) -> Result<Vec<AflEntry>, TerminalError> {
    if afl.len() % 4 != 0 {
        return Err(TerminalError::BadAfl(format!("length {} is not a multiple of 4", afl.len())));
    }
    let mut out = Vec::new();
    for e in afl.chunks_exact(4) {
        let [b0, first, last, oda] =
            [e.first(), e.get(1), e.get(2), e.get(3)].map(|b| b.copied().unwrap_or(0));
        let sfi = b0 >> 3;
        if b0 & 0x07 != 0 || !(1..=30).contains(&sfi) {
            return Err(TerminalError::BadAfl(format!(
                "entry {} has SFI byte {b0:02X}",
                hex::encode_upper(e)
            )));
        }
        if first == 0 || first > last {
            return Err(TerminalError::BadAfl(format!(
                "entry {}: records {first}..{last}",
                hex::encode_upper(e)
            )));
        }
        if u16::from(oda) > u16::from(last - first) + 1 {
            return Err(TerminalError::BadAfl(format!(
                "entry {}: {oda} ODA records",
                hex::encode_upper(e)
            )));
        }
        out.push(AflEntry { sfi, first, last, oda });
    }
    Ok(out)
}

/// Decodes a `cn` PAN (BCD, F padding) into digits.
fn bcd_digits(value: &[u8], stop_at_d: bool) -> Option<String> {
    let mut s = String::new();
    for nibble in value.iter().flat_map(|b| [b >> 4, b & 0x0F]) {
        match nibble {
            0..=9 => s.push(char::from(b'0' + nibble)),
            0x0D if stop_at_d => return Some(s),
            0x0F => break,
            _ => return None,
        }
    }
    Some(s)
}

/// Track 2 equivalent data split: (PAN, YYMM expiry).
fn split_track2(t2: &[u8]) -> Option<(String, String)> {
    let hexed = hex::encode_upper(t2);
    let (pan, rest) = hexed.split_once('D')?;
    if pan.is_empty() || !pan.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let exp = rest.get(..4)?;
    exp.bytes().all(|b| b.is_ascii_digit()).then(|| (pan.to_string(), exp.to_string()))
}

/// The reference terminal over one [`Card`].
pub struct Terminal<'a, C: Card + ?Sized> {
    card: &'a mut C,
    params: TerminalParams,
    transcript: Vec<Exchange>,
}

impl<'a, C: Card + ?Sized> Terminal<'a, C> {
    pub fn new(card: &'a mut C, params: TerminalParams) -> Self {
        Terminal { card, params, transcript: Vec::new() }
    }

    /// Sends one command; returns (body, SW) after the length check. Every exchange, also a
    /// failing one, lands in the transcript.
    fn exchange(&mut self, step: &str, command: Vec<u8>) -> Result<(Vec<u8>, u16), TerminalError> {
        let r = self
            .card
            .transmit(&command)
            .map_err(|source| TerminalError::Card { step: step.to_string(), source })?;
        let split = r.len().checked_sub(2).ok_or(TerminalError::Card {
            step: step.to_string(),
            source: CardError::ShortResponse(r.len()),
        })?;
        let (body, sw) = r.split_at(split);
        let sw = match sw {
            [a, b] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        };
        self.transcript.push(Exchange {
            command,
            response: body.to_vec(),
            sw,
            note: step.to_string(),
        });
        if body.len() > MAX_RESPONSE_DATA {
            return Err(TerminalError::ResponseTooLong { step: step.to_string(), len: body.len() });
        }
        Ok((body.to_vec(), sw))
    }

    /// [`Self::exchange`] requiring `9000` and a BER-TLV body; returns the parsed body.
    fn command(&mut self, step: &str, command: Vec<u8>) -> Result<Vec<Tlv>, TerminalError> {
        let (body, sw) = self.exchange(step, command)?;
        if sw != 0x9000 {
            return Err(TerminalError::Status { step: step.to_string(), sw });
        }
        let tree = tlv::parse(&body)
            .map_err(|source| TerminalError::Tlv { step: step.to_string(), source })?;
        if find_in(&tree, 0x9F4B).is_some() {
            return Err(TerminalError::SignedDynamicData { step: step.to_string() });
        }
        Ok(tree)
    }

    fn annotate(&mut self, note: String) {
        if let Some(last) = self.transcript.last_mut() {
            last.note = format!("{}: {note}", last.note);
        }
    }

    /// Runs the whole tap; see the module doc.
    pub fn run(mut self) -> Result<EmvResult, TerminalError> {
        let missing = |step: &str, tag| TerminalError::Missing { step: step.to_string(), tag };
        let malformed =
            |step: &str, what: String| TerminalError::Malformed { step: step.to_string(), what };

        // SELECT PPSE.
        let step = "SELECT PPSE";
        let ppse = self.command(step, select_command(PPSE))?;
        let fci = ppse.iter().find(|t| t.tag == 0x6F).ok_or_else(|| missing(step, 0x6F))?;
        let df = fci.find(0x84).ok_or_else(|| missing(step, 0x84))?;
        if df.value != PPSE {
            return Err(malformed(step, format!("DF name {}", hex::encode_upper(&df.value))));
        }
        let dir = fci.find(0xBF0C).ok_or_else(|| missing(step, 0xBF0C))?;
        let mut entries = Vec::new();
        for e in dir.children.iter().filter(|t| t.tag == 0x61) {
            let aid = e.find(0x4F).ok_or_else(|| missing(step, 0x4F))?.value.clone();
            if !(5..=16).contains(&aid.len()) {
                return Err(malformed(step, format!("AID of {} bytes", aid.len())));
            }
            // Priority: low nibble, 1 highest; absent = lowest.
            let prio =
                e.find(0x87).and_then(|p| p.value.first()).map(|p| p & 0x0F).filter(|p| *p != 0);
            let label = e.find(0x50).map(|l| String::from_utf8_lossy(&l.value).into_owned());
            entries.push((aid, prio, label));
        }
        let chosen = entries
            .iter()
            .enumerate()
            .min_by_key(|(i, (_, prio, _))| (prio.unwrap_or(16), *i))
            .map(|(_, e)| e.clone())
            .ok_or(TerminalError::NoApplication)?;
        let (aid, _, ppse_label) = chosen;
        self.annotate(format!("{} entries, chose {}", entries.len(), hex::encode_upper(&aid)));

        // SELECT AID.
        let step = "SELECT AID";
        let fci_tree = self.command(step, select_command(&aid))?;
        let fci = fci_tree.iter().find(|t| t.tag == 0x6F).ok_or_else(|| missing(step, 0x6F))?;
        let df = fci.find(0x84).ok_or_else(|| missing(step, 0x84))?;
        if df.value != aid {
            return Err(malformed(
                step,
                format!("DF name {} is not the AID selected", hex::encode_upper(&df.value)),
            ));
        }
        let a5 = fci.find(0xA5).ok_or_else(|| missing(step, 0xA5))?;
        let label =
            a5.find(0x50).map(|l| String::from_utf8_lossy(&l.value).into_owned()).or(ppse_label);
        let pdol = a5.find(0x9F38).map(|p| p.value.clone()).unwrap_or_default();
        self.annotate(format!("PDOL {} bytes", pdol.len()));

        // GET PROCESSING OPTIONS.
        let step = "GPO";
        let (gpo, pdol_sent) = build_gpo(&pdol, &self.params)
            .map_err(|source| TerminalError::Tlv { step: "PDOL".into(), source })?;
        let gpo_tree = self.command(step, gpo)?;
        let (aip, afl_raw, gpo_objects): (Vec<u8>, Vec<u8>, Vec<Tlv>) = match gpo_tree.as_slice() {
            [t] if t.tag == 0x80 => {
                if t.value.len() < 2 {
                    return Err(malformed(step, "format 1 shorter than the AIP".into()));
                }
                let (aip, afl) = t.value.split_at(2);
                (aip.to_vec(), afl.to_vec(), Vec::new())
            }
            [t] if t.tag == 0x77 => {
                let aip = t.find(0x82).ok_or_else(|| missing(step, 0x82))?.value.clone();
                let afl = t.find(0x94).ok_or_else(|| missing(step, 0x94))?.value.clone();
                (aip, afl, t.children.clone())
            }
            _ => return Err(malformed(step, "not a single 80 or 77 template".into())),
        };
        let aip: [u8; 2] = aip
            .as_slice()
            .try_into()
            .map_err(|_| malformed(step, format!("AIP of {} bytes", aip.len())))?;
        if aip[0] & 0x61 != 0 {
            return Err(TerminalError::OdaAdvertised(aip));
        }
        let afl = parse_afl(&afl_raw)?;
        let mut ctq = None;
        let mut cryptograms = Vec::new();
        if let Some(c) = find_in(&gpo_objects, 0x9F6C) {
            ctq = Some(
                c.value
                    .as_slice()
                    .try_into()
                    .map_err(|_| malformed(step, "CTQ not 2 bytes".into()))?,
            );
        }
        if find_in(&gpo_objects, 0x9F26).is_some() {
            cryptograms.push(cryptogram(
                step,
                CryptogramSource::Gpo,
                &gpo_objects,
                pdol_sent.clone(),
            )?);
        }
        let gpo_track2 = find_in(&gpo_objects, 0x57).map(|t| t.value.clone());
        let gpo_psn = find_in(&gpo_objects, 0x5F34).and_then(|t| t.value.first().copied());
        self.annotate(format!(
            "format {}, AIP {}, {} AFL entries{}",
            if gpo_objects.is_empty() { 1 } else { 2 },
            hex::encode_upper(aip),
            afl.len(),
            if cryptograms.is_empty() { "" } else { ", cryptogram" }
        ));

        // READ RECORD per AFL entry.
        let mut records: Vec<Tlv> = Vec::new();
        for e in &afl {
            for rec in e.first..=e.last {
                let step = format!("READ RECORD SFI {} record {rec}", e.sfi);
                let tree = self.command(&step, read_record_command(e.sfi, rec))?;
                match tree.as_slice() {
                    [t] if t.tag == 0x70 => records.extend(t.children.iter().cloned()),
                    _ => return Err(malformed(&step, "not a single 70 template".into())),
                }
            }
        }

        // Card data: PAN, expiry, PSN, track 2 consistency.
        let track2 = find_in(&records, 0x57).map(|t| t.value.clone()).or(gpo_track2);
        let t2 = match &track2 {
            Some(t) => Some(
                split_track2(t)
                    .ok_or_else(|| TerminalError::Inconsistent("track 2 malformed".into()))?,
            ),
            None => None,
        };
        let pan = match (find_in(&records, 0x5A), &t2) {
            (Some(p), _) => {
                bcd_digits(&p.value, false).filter(|d| (12..=19).contains(&d.len())).ok_or_else(
                    || TerminalError::Inconsistent("5A is not a 12..19 digit PAN".into()),
                )?
            }
            (None, Some((p, _))) => p.clone(),
            (None, None) => return Err(missing("READ RECORD", 0x5A)),
        };
        let expiry_raw = find_in(&records, 0x5F24).ok_or_else(|| missing("READ RECORD", 0x5F24))?;
        let expiry = bcd_digits(&expiry_raw.value, false)
            .filter(|d| d.len() == 6)
            .ok_or_else(|| TerminalError::Inconsistent("5F24 is not YYMMDD".into()))?;
        if let Some((t2_pan, t2_exp)) = &t2 {
            if *t2_pan != pan {
                return Err(TerminalError::Inconsistent("track 2 PAN differs from 5A".into()));
            }
            if expiry.get(..4) != Some(t2_exp.as_str()) {
                return Err(TerminalError::Inconsistent(format!(
                    "track 2 expiry {t2_exp} vs 5F24 {expiry}"
                )));
            }
        }
        let psn = find_in(&records, 0x5F34).and_then(|t| t.value.first().copied()).or(gpo_psn);

        // GENERATE AC when a CDOL1 is there or the GPO gave no cryptogram.
        let cdol1 = find_in(&records, 0x8C).map(|t| t.value.clone());
        match (&cdol1, cryptograms.is_empty()) {
            (Some(cdol1), _) => {
                let step = "GENERATE AC";
                let entries: Vec<DolEntry> = parse_dol(cdol1)
                    .map_err(|source| TerminalError::Tlv { step: "CDOL1".into(), source })?;
                let (data, sent) = answer_dol(&entries, |t| self.params.value(t));
                // Objects the CDOL1 does not ask for keep the value the PDOL carried.
                let mut terminal_data = pdol_sent.clone();
                terminal_data.extend(sent);
                let tree = self.command(step, generate_ac_command(&data))?;
                let objects = match tree.as_slice() {
                    [t] if t.tag == 0x77 => t.children.clone(),
                    [t] if t.tag == 0x80 => format1_genac(&t.value).ok_or_else(|| {
                        malformed(step, format!("format 1 of {} bytes", t.value.len()))
                    })?,
                    _ => return Err(malformed(step, "not a single 80 or 77 template".into())),
                };
                let c = cryptogram(step, CryptogramSource::GenerateAc, &objects, terminal_data)?;
                if matches!(c.cid & 0xC0, 0x40 | 0xC0) {
                    return Err(TerminalError::CryptogramTooHigh(c.cid));
                }
                if let Some(q) = find_in(&objects, 0x9F6C) {
                    ctq = Some(
                        q.value
                            .as_slice()
                            .try_into()
                            .map_err(|_| malformed(step, "CTQ not 2 bytes".into()))?,
                    );
                }
                self.annotate(format!("CID {:02X}, ATC {:04X}", c.cid, c.atc));
                cryptograms.push(c);
            }
            (None, true) => return Err(TerminalError::NoCryptogramPath),
            (None, false) => {}
        }
        let last = cryptograms.last().cloned().ok_or(TerminalError::NoCryptogramPath)?;
        Ok(EmvResult {
            aid,
            label,
            pan,
            expiry,
            psn,
            aip,
            afl,
            ctq,
            atc: last.atc,
            ac: last.ac,
            cid: last.cid,
            iad: last.iad,
            cryptograms,
            transcript: self.transcript,
        })
    }
}

/// GENERATE AC format 1 (`CID ‖ ATC ‖ AC ‖ [IAD]`) as objects.
fn format1_genac(v: &[u8]) -> Option<Vec<Tlv>> {
    let obj = |tag, value: &[u8]| Tlv { tag, value: value.to_vec(), children: Vec::new() };
    let cid = v.get(..1)?;
    let atc = v.get(1..3)?;
    let ac = v.get(3..11)?;
    let mut out = vec![obj(0x9F27, cid), obj(0x9F36, atc), obj(0x9F26, ac)];
    if let Some(iad) = v.get(11..).filter(|i| !i.is_empty()) {
        out.push(obj(0x9F10, iad));
    }
    Some(out)
}

/// The cryptogram objects of one answer (9F26, 9F27, 9F36 mandatory).
fn cryptogram(
    step: &str,
    source: CryptogramSource,
    objects: &[Tlv],
    terminal_data: SentData,
) -> Result<Cryptogram, TerminalError> {
    let get = |tag| {
        find_in(objects, tag)
            .map(|t| t.value.clone())
            .ok_or_else(|| TerminalError::Missing { step: step.to_string(), tag })
    };
    let bad =
        |what: &str| TerminalError::Malformed { step: step.to_string(), what: what.to_string() };
    let ac: [u8; 8] = get(0x9F26)?.try_into().map_err(|_| bad("9F26 not 8 bytes"))?;
    let cid = match get(0x9F27)?.as_slice() {
        [c] => *c,
        _ => return Err(bad("9F27 not 1 byte")),
    };
    let atc = match get(0x9F36)?.as_slice() {
        [a, b] => u16::from_be_bytes([*a, *b]),
        _ => return Err(bad("9F36 not 2 bytes")),
    };
    let iad = find_in(objects, 0x9F10).map(|t| t.value.clone());
    Ok(Cryptogram { source, atc, ac, cid, iad, terminal_data })
}

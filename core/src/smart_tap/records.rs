//! Smart Tap record names and helpers over [`crate::ndef`] (spec §4, §5, §7).
//!
//! Reading is liberal (spec §4.1–4.2): records are found by name, TNF 4 by type and
//! TNF 1 by ID, with the other field as a fallback; unknown records are ignored;
//! chunked records are refused. Writing follows Android's `NdefMessage` encoding, which
//! [`crate::ndef`] reproduces byte for byte.

use crate::ndef::{Message, NdefError, Record, Tnf};
use crate::ports::CollectorId;

use super::status;
use crate::apdu::StatusWord;

/// Smart Tap 2.1 as the 2-byte version of `ngr`/`srq`/`spr` (spec §4.4).
pub const VERSION_2_1: [u8; 2] = [0x00, 0x01];
/// Minimum and maximum Smart Tap 2 minor versions this handset speaks (spec §6.1–6.2).
pub const MIN_VERSION: [u8; 2] = [0x00, 0x00];
pub const MAX_VERSION: [u8; 2] = [0x00, 0x01];

/// Format byte "binary" of primitive payloads (spec §4.3).
pub const FORMAT_BINARY: u8 = 0x04;
/// Format byte "unspecified", also an RTD Text status byte with no language (§7.2).
pub const FORMAT_UNSPECIFIED: u8 = 0x00;
/// Session status "OK" (spec §5).
pub const SESSION_OK: u8 = 0x01;
/// Issuer type "merchant" in the `i` record (spec §7.2).
pub const ISSUER_TYPE_MERCHANT: u8 = 0x01;
/// `reb` flags (spec §6.4): bit 0 encrypted, bit 1 zlib-compressed.
pub const REB_ENCRYPTED: u8 = 0x01;
pub const REB_COMPRESSED: u8 = 0x02;
/// `pcr` system byte bit: the terminal inflates zlib (spec §9).
pub const PCR_ZLIB: u8 = 0x40;

/// Record names (spec §7.1, §7.2).
pub mod name {
    pub const MDN: &[u8] = b"mdn";
    pub const SES: &[u8] = b"ses";
    pub const NGR: &[u8] = b"ngr";
    pub const CPR: &[u8] = b"cpr";
    pub const SIG: &[u8] = b"sig";
    pub const CLD: &[u8] = b"cld";
    pub const NRS: &[u8] = b"nrs";
    pub const DPK: &[u8] = b"dpk";
    pub const SRQ: &[u8] = b"srq";
    pub const MER: &[u8] = b"mer";
    pub const SLR: &[u8] = b"slr";
    pub const STR: &[u8] = b"str";
    pub const PCR: &[u8] = b"pcr";
    pub const SRS: &[u8] = b"srs";
    pub const REB: &[u8] = b"reb";
    pub const ASV: &[u8] = b"asv";
    pub const ISSUER: &[u8] = b"i";
    pub const OID: &[u8] = b"oid";
    pub const N: &[u8] = b"n";
    pub const SPR: &[u8] = b"spr";
    pub const PSR: &[u8] = b"psr";
    pub const BPR: &[u8] = b"bpr";
    pub const MON: &[u8] = b"mon";
    pub const CCD: &[u8] = b"ccd";
    pub const NSR: &[u8] = b"nsr";
    pub const NST: &[u8] = b"nst";
    pub const NSU: &[u8] = b"nsu";
    pub const SSR: &[u8] = b"ssr";
    pub const SUG: &[u8] = b"sug";
    pub const SUT: &[u8] = b"sut";
    pub const SUD: &[u8] = b"sud";
    pub const SUP: &[u8] = b"sup";
    /// RTD Text type (NFC Forum well-known).
    pub const RTD_TEXT: &[u8] = b"T";
}

/// Why a Smart Tap command's data is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("malformed NDEF: {0}")]
    Ndef(#[from] NdefError),
    #[error("chunked NDEF records are not accepted")]
    Chunked,
    #[error("required record `{0}` is missing")]
    Missing(&'static str),
    #[error("record `{record}` has {got} payload bytes, expected {expected}")]
    BadLength { record: &'static str, expected: &'static str, got: usize },
    #[error("unsupported Smart Tap version {0:04X}")]
    UnsupportedVersion(u16),
}

impl ParseError {
    /// The status word answered for this error (spec §6.3 step 2, §6.4).
    pub const fn status(&self) -> StatusWord {
        match self {
            ParseError::UnsupportedVersion(_) => status::VERSION_NOT_SUPPORTED,
            _ => status::PARSE_FAILURE,
        }
    }
}

/// Parses a message, refusing chunked records (spec §4.1).
pub fn parse_message(bytes: &[u8]) -> Result<Message, ParseError> {
    let m = Message::parse(bytes)?;
    if m.has_chunks() {
        return Err(ParseError::Chunked);
    }
    Ok(m)
}

/// Parses `record.payload[offset..]` as a nested message below `depth`, refusing chunks.
pub fn nested(record: &Record, offset: usize, depth: usize) -> Result<Message, ParseError> {
    let m = record.nested(offset, depth)?;
    if m.has_chunks() {
        return Err(ParseError::Chunked);
    }
    Ok(m)
}

/// A versioned container (`ngr`, `srq`, `spr`): checks the `0001` prefix, returns the
/// nested message.
pub fn versioned(record: &Record, depth: usize) -> Result<Message, ParseError> {
    match record.payload.first_chunk::<2>() {
        Some(v) if *v == VERSION_2_1 => nested(record, 2, depth),
        Some(v) => Err(ParseError::UnsupportedVersion(u16::from_be_bytes(*v))),
        None => Err(ParseError::BadLength {
            record: "versioned container",
            expected: "at least 2",
            got: record.payload.len(),
        }),
    }
}

/// Whether `record` carries the Smart Tap name `name` in its primary field (spec §4.2):
/// the type for TNF 4, the ID for TNF 1.
fn is_primary(record: &Record, name: &[u8]) -> bool {
    match record.tnf {
        Tnf::WellKnown => record.id == name,
        _ => record.record_type == name,
    }
}

/// First record named `name`: primary field first, then either field as a fallback.
pub fn find<'a>(message: &'a Message, name: &[u8]) -> Option<&'a Record> {
    message
        .records
        .iter()
        .find(|r| is_primary(r, name))
        .or_else(|| message.records.iter().find(|r| r.record_type == name || r.id == name))
}

/// Every record named `name` (primary field or fallback).
pub fn find_all<'a>(message: &'a Message, name: &'a [u8]) -> impl Iterator<Item = &'a Record> {
    message.records.iter().filter(move |r| r.record_type == name || r.id == name)
}

/// Like [`find`] but an error naming the record when absent.
pub fn require<'a>(
    message: &'a Message,
    name: &'static [u8],
    label: &'static str,
) -> Result<&'a Record, ParseError> {
    find(message, name).ok_or(ParseError::Missing(label))
}

/// The value of a primitive payload: everything after the format byte (spec §4.3).
pub fn primitive_value<'a>(
    record: &'a Record,
    label: &'static str,
) -> Result<&'a [u8], ParseError> {
    match record.payload.split_first() {
        Some((_format, value)) => Ok(value),
        None => Err(ParseError::BadLength { record: label, expected: "at least 1", got: 0 }),
    }
}

/// A primitive record: format byte `04` + value.
pub fn binary_record(name: &[u8], value: &[u8]) -> Record {
    let mut payload = Vec::with_capacity(value.len().saturating_add(1));
    payload.push(FORMAT_BINARY);
    payload.extend_from_slice(value);
    Record::external(name, payload)
}

/// The collector ID in a `cld` record, normalised to 4 bytes (spec §6.3 step 3: longer
/// values keep their last 4 bytes, shorter ones are left-padded with zeros).
pub fn collector_id(cld: &Record) -> Result<CollectorId, ParseError> {
    let value = primitive_value(cld, "cld")?;
    let mut be = [0u8; 4];
    let tail = value.len().min(4);
    let src = value.get(value.len().saturating_sub(tail)..).unwrap_or(&[]);
    let dst_start = 4usize.saturating_sub(tail);
    if let Some(dst) = be.get_mut(dst_start..) {
        dst.copy_from_slice(src);
    }
    Ok(CollectorId(u32::from_be_bytes(be)))
}

/// The `ses` record (spec §5): session ID, sequence number, session status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: [u8; 8],
    pub sequence: u8,
    pub status: u8,
}

impl SessionRecord {
    /// Payload length of `ses`.
    pub const LEN: usize = 10;

    pub fn parse(record: &Record) -> Result<SessionRecord, ParseError> {
        let p = record.payload.as_slice();
        let bad = || ParseError::BadLength { record: "ses", expected: "10", got: p.len() };
        let (id, rest) = p.split_first_chunk::<8>().ok_or_else(bad)?;
        match rest {
            [sequence, status] => {
                Ok(SessionRecord { id: *id, sequence: *sequence, status: *status })
            }
            _ => Err(bad()),
        }
    }

    /// The handset's answer: same session, request sequence + 1 (mod 256), status OK.
    pub fn reply(&self) -> SessionRecord {
        SessionRecord { id: self.id, sequence: self.sequence.wrapping_add(1), status: SESSION_OK }
    }

    pub fn to_record(&self) -> Record {
        let mut payload = Vec::with_capacity(Self::LEN);
        payload.extend_from_slice(&self.id);
        payload.push(self.sequence);
        payload.push(self.status);
        Record::external(name::SES, payload)
    }
}

/// Decodes an RTD Text payload (NFC Forum Text RTD §3.2.1) liberally: a status byte
/// whose low 6 bits give the language-code length, then the text (UTF-8, or UTF-16 when
/// bit 7 is set). A payload whose language length overruns is returned whole as text
/// (the kormax `ccd` example is such a record, spec §6.6).
pub fn rtd_text(payload: &[u8]) -> String {
    let Some((status, rest)) = payload.split_first() else {
        return String::new();
    };
    let lang_len = usize::from(status & 0x3F);
    let Some(text) = rest.get(lang_len..) else {
        return String::from_utf8_lossy(payload).into_owned();
    };
    if status & 0x80 != 0 {
        let units: Vec<u16> = text
            .chunks_exact(2)
            .filter_map(|c| c.first_chunk::<2>().map(|b| u16::from_be_bytes(*b)))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(text).into_owned()
    }
}

/// URI prefixes of the NFC Forum URI RTD (§3.2.2), indexed by the identifier code.
pub const URI_PREFIXES: [&str; 36] = [
    "",
    "http://www.",
    "https://www.",
    "http://",
    "https://",
    "tel:",
    "mailto:",
    "ftp://anonymous:anonymous@",
    "ftp://ftp.",
    "ftps://",
    "sftp://",
    "smb://",
    "nfs://",
    "ftp://",
    "dav://",
    "news:",
    "telnet://",
    "imap:",
    "rtsp://",
    "urn:",
    "pop:",
    "sip:",
    "sips:",
    "tftp:",
    "btspp://",
    "btl2cap://",
    "btgoep://",
    "tcpobex://",
    "irdaobex://",
    "file://",
    "urn:epc:id:",
    "urn:epc:tag:",
    "urn:epc:pat:",
    "urn:epc:raw:",
    "urn:epc:",
    "urn:nfc:",
];

/// Decodes an RTD URI payload (identifier code + rest). Unknown codes keep no prefix.
pub fn rtd_uri(payload: &[u8]) -> String {
    let Some((code, rest)) = payload.split_first() else {
        return String::new();
    };
    let prefix = URI_PREFIXES.get(usize::from(*code)).copied().unwrap_or("");
    let mut s = String::from(prefix);
    s.push_str(&String::from_utf8_lossy(rest));
    s
}

/// Writes one record header for a payload of `payload_len` bytes (the caller appends
/// the payload), with the same flag rules as [`crate::ndef`]: SR below 256 bytes, IL
/// only for a non-empty ID. Used where the payload must go straight into a zeroizing
/// buffer instead of through a [`Record`] (the plaintext bundle, spec §7.3).
pub fn write_header(
    out: &mut Vec<u8>,
    tnf: Tnf,
    record_type: &[u8],
    id: &[u8],
    payload_len: usize,
    first: bool,
    last: bool,
) {
    let short = payload_len < 256;
    let mut header = tnf as u8;
    if first {
        header |= crate::ndef::MB;
    }
    if last {
        header |= crate::ndef::ME;
    }
    if short {
        header |= crate::ndef::SR;
    }
    if !id.is_empty() {
        header |= crate::ndef::IL;
    }
    out.push(header);
    out.push(u8::try_from(record_type.len()).unwrap_or(u8::MAX));
    if short {
        out.push(u8::try_from(payload_len).unwrap_or(u8::MAX));
    } else {
        out.extend_from_slice(&u32::try_from(payload_len).unwrap_or(u32::MAX).to_be_bytes());
    }
    if !id.is_empty() {
        out.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
    }
    out.extend_from_slice(record_type);
    out.extend_from_slice(id);
}

/// Encoded size of a record with these field lengths (header + type + ID + payload).
pub fn encoded_len(type_len: usize, id_len: usize, payload_len: usize) -> usize {
    let len_field = if payload_len < 256 { 1 } else { 4 };
    let il = if id_len == 0 { 0 } else { id_len.saturating_add(1) };
    2usize
        .saturating_add(len_field)
        .saturating_add(il)
        .saturating_add(type_len)
        .saturating_add(payload_len)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn collector_normalisation() {
        let rec = |v: &[u8]| binary_record(name::CLD, v);
        assert_eq!(collector_id(&rec(&[1, 0x33, 0xee, 0x80])).unwrap(), CollectorId(20180608));
        assert_eq!(collector_id(&rec(&[9, 9, 1, 0x33, 0xee, 0x80])).unwrap().0, 20180608);
        assert_eq!(collector_id(&rec(&[0x30, 0x39])).unwrap().0, 12345);
        assert_eq!(collector_id(&rec(&[])).unwrap().0, 0);
        assert!(collector_id(&Record::external(name::CLD, vec![])).is_err());
    }

    #[test]
    fn session_record() {
        let r = Record::external(name::SES, vec![1, 2, 3, 4, 5, 6, 7, 8, 0xFF, 1]);
        let s = SessionRecord::parse(&r).unwrap();
        assert_eq!(s.reply().sequence, 0);
        assert_eq!(s.reply().to_record().payload, vec![1, 2, 3, 4, 5, 6, 7, 8, 0, 1]);
        assert!(SessionRecord::parse(&Record::external(name::SES, vec![0; 9])).is_err());
        assert!(SessionRecord::parse(&Record::external(name::SES, vec![0; 11])).is_err());
    }

    #[test]
    fn names_by_tnf_with_fallback() {
        let m = Message::new(vec![
            Record::well_known(b"T", b"n", vec![0, b'x']),
            Record::external(b"ses", vec![]),
            Record::new(Tnf::External, b"zz", b"cld", vec![4]),
        ]);
        assert_eq!(find(&m, b"n").unwrap().payload, vec![0, b'x']);
        assert!(find(&m, b"ses").is_some());
        assert_eq!(find(&m, b"cld").unwrap().record_type, b"zz");
        assert!(find(&m, b"T").is_some());
        assert!(find(&m, b"cpr").is_none());
    }

    #[test]
    fn header_writer_matches_ndef() {
        for (tnf, t, id, len) in [
            (Tnf::External, &b"asv"[..], &b""[..], 45usize),
            (Tnf::WellKnown, b"T", b"n", 5),
            (Tnf::External, b"ly", b"", 300),
        ] {
            for (first, last) in [(true, true), (true, false), (false, true), (false, false)] {
                let rec = Record::new(tnf, t, id, vec![7; len]);
                let mut other = Record::external(b"x", vec![]);
                other.tnf = Tnf::External;
                let mut records = vec![rec.clone()];
                if !first {
                    records.insert(0, other.clone());
                }
                if !last {
                    records.push(other.clone());
                }
                let full = Message::new(records).encode();
                let mut mine = Vec::new();
                write_header(&mut mine, tnf, t, id, len, first, last);
                mine.extend_from_slice(&vec![7; len]);
                assert!(full.windows(mine.len()).any(|w| w == mine.as_slice()));
                assert_eq!(mine.len(), encoded_len(t.len(), id.len(), len));
            }
        }
    }

    #[test]
    fn text_and_uri() {
        assert_eq!(rtd_text(&[0x02, b'e', b'n', b'h', b'i']), "hi");
        assert_eq!(rtd_text(&[0x00, b'2', b'0']), "20");
        assert_eq!(rtd_text(&[0x3F, b'u']), "?u");
        assert_eq!(rtd_uri(&[0x04, b'a', b'.', b'b']), "https://a.b");
        assert_eq!(rtd_uri(&[0xF0, b'x']), "x");
    }
}

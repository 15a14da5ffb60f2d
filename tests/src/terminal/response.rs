//! Strict parsing of every handset answer a Smart Tap terminal reads (smart-tap spec §6),
//! with the checks of Google's sample reader (§13) and kormax's reader (§13a): the OSE FCI's
//! mandatory tags, the Smart Tap 2 versions and `mdn` first, `nrs` with `ses` and a bare
//! 33-byte `dpk`, `srs` with `ses` and a well-formed `reb`, `psr` with `ses`. Every data field
//! must be exactly one unchunked NDEF message (§4.1, §13 item 7).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use hce_wallet_core::ndef::{Message, NdefError, Record, Tnf};

use super::commands::{AID_SMART_TAP_2, FORMAT_BINARY};
use super::crypto::{IV_LEN, MAC_LEN};
use super::tlv::{self, Tlv, TlvError};

/// The Smart Tap version this terminal speaks: 2.1, minor version `0001` (§6.2).
pub const SMART_TAP_VERSION: u16 = 0x0001;
/// Allowed values of `C1` byte 0 (§6.1; Google's sample throws on anything else).
pub const MODES: [u8; 8] = [0xCC, 0xC8, 0xC0, 0x8C, 0x88, 0x80, 0x0C, 0x08];
/// `DF62` bit: the terminal may skip SELECT Smart Tap 2 (§6.1).
pub const CAP_SKIP_SELECT: u8 = 0x01;
/// `reb` flags bit: encrypted (§6.4).
pub const REB_ENCRYPTED: u8 = 0x01;
/// `reb` flags bit: zlib-compressed before encryption (§6.4).
pub const REB_COMPRESSED: u8 = 0x02;

/// Why a handset answer is not what a Smart Tap 2.1 handset must send.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    #[error("malformed BER-TLV: {0}")]
    Tlv(#[from] TlvError),
    #[error("malformed NDEF: {0}")]
    Ndef(#[from] NdefError),
    #[error("chunked NDEF records are not allowed (spec §4.1)")]
    Chunked,
    #[error("FCI lacks mandatory tag {0} (spec §13 item 1)")]
    MissingTag(&'static str),
    #[error("record or field {field}: {reason}")]
    BadField { field: &'static str, reason: String },
    #[error("record {0} is missing")]
    MissingRecord(&'static str),
    #[error("handset supports versions {min:04X}..{max:04X}, not 0001 (spec §6.2)")]
    UnsupportedVersion { min: u16, max: u16 },
}

fn bad(field: &'static str, reason: impl Into<String>) -> ResponseError {
    ResponseError::BadField { field, reason: reason.into() }
}

/// The decoded SELECT OSE.VAS.01 answer (§6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OseFci {
    /// Tag `50`, e.g. "AndroidPay".
    pub label: Vec<u8>,
    /// Tag `C0`.
    pub app_version: Vec<u8>,
    /// Tag `C1`: transaction mode byte and the seven bytes after it.
    pub mode: Vec<u8>,
    /// `C2` or `DF6E`: the handset nonce.
    pub nonce: [u8; 32],
    /// `C3` or `DF6B`: the handset ephemeral key, SEC1 compressed.
    pub ephemeral: [u8; 33],
    /// The Smart Tap 2 directory entry's `DF6D`, `DF4D`, `DF62`, `87`.
    pub min_version: Option<u16>,
    pub max_version: Option<u16>,
    pub capabilities: Option<u8>,
    pub priority: Option<u8>,
}

impl OseFci {
    /// Whether the handset allows skipping SELECT Smart Tap 2 (`DF62` bit `01`, §6.1).
    pub fn may_skip_second_select(&self) -> bool {
        self.capabilities.is_some_and(|c| c & CAP_SKIP_SELECT != 0)
    }
}

fn fixed<const N: usize>(field: &'static str, bytes: &[u8]) -> Result<[u8; N], ResponseError> {
    <[u8; N]>::try_from(bytes)
        .map_err(|_| bad(field, format!("{} bytes, expected {N}", bytes.len())))
}

fn version(field: &'static str, t: Option<&Tlv>) -> Result<Option<u16>, ResponseError> {
    t.map(|t| fixed::<2>(field, &t.value).map(u16::from_be_bytes)).transpose()
}

/// Parses and checks the FCI of SELECT OSE (§6.1, §13 item 1).
pub fn parse_ose(data: &[u8]) -> Result<OseFci, ResponseError> {
    let objects = tlv::parse(data)?;
    let fci = match objects.as_slice() {
        [one] if one.tag == 0x6F => one,
        [] => return Err(ResponseError::MissingTag("6F")),
        _ => return Err(bad("6F", "the answer must be exactly one FCI template")),
    };
    let tag = |t: u32, name: &'static str| fci.child(t).ok_or(ResponseError::MissingTag(name));
    let label = tag(0x50, "50")?.value.clone();
    let app_version = tag(0xC0, "C0")?.value.clone();
    let mode = tag(0xC1, "C1")?.value.clone();
    match mode.first() {
        Some(m) if MODES.contains(m) => {}
        Some(m) => return Err(bad("C1", format!("transaction mode {m:02X} is not allowed"))),
        None => return Err(bad("C1", "empty")),
    }
    let directory = tag(0xA5, "A5")?.child(0xBF0C).ok_or(ResponseError::MissingTag("BF0C"))?;
    let mut entries = directory.children_with(0x61).peekable();
    if entries.peek().is_none() {
        return Err(ResponseError::MissingTag("61"));
    }
    let mut smart_tap = None;
    for entry in entries {
        let aid = entry.child(0x4F).ok_or(ResponseError::MissingTag("4F in 61"))?;
        if aid.value == AID_SMART_TAP_2 && smart_tap.is_none() {
            smart_tap = Some(entry);
        }
    }
    let entry = smart_tap.ok_or_else(|| bad("61", "no directory entry for Smart Tap 2"))?;
    let discretionary = entry.child(0x73);
    let in_73 = |t: u32| discretionary.and_then(|d| d.child(t));
    let nonce = fci.child(0xC2).or_else(|| in_73(0xDF6E));
    let nonce = nonce.ok_or(ResponseError::MissingTag("C2 (or DF6E)"))?;
    let key = fci.child(0xC3).or_else(|| in_73(0xDF6B));
    let key = key.ok_or(ResponseError::MissingTag("C3 (or DF6B)"))?;
    let priority = entry.child(0x87).map(|p| fixed::<1>("87", &p.value).map(|[b]| b));
    let capabilities = in_73(0xDF62).map(|c| fixed::<1>("DF62", &c.value).map(|[b]| b));
    Ok(OseFci {
        label,
        app_version,
        mode,
        nonce: fixed("handset nonce", &nonce.value)?,
        ephemeral: fixed("handset ephemeral key", &key.value)?,
        min_version: version("DF6D", in_73(0xDF6D))?,
        max_version: version("DF4D", in_73(0xDF4D))?,
        capabilities: capabilities.transpose()?,
        priority: priority.transpose()?,
    })
}

/// Whether a handset's [min, max] admits version 2.1.
pub fn check_version(min: u16, max: u16) -> Result<(), ResponseError> {
    if (min..=max).contains(&SMART_TAP_VERSION) {
        Ok(())
    } else {
        Err(ResponseError::UnsupportedVersion { min, max })
    }
}

/// The decoded SELECT Smart Tap 2 answer (§6.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmartTapSelect {
    pub min_version: u16,
    pub max_version: u16,
    /// `mdn` payload after its format byte.
    pub nonce: [u8; 32],
}

/// Parses `min ‖ max ‖ NDEF[mdn, …]`; `mdn` must be the first record (§6.2, §13 item 2).
pub fn parse_smart_tap_select(data: &[u8]) -> Result<SmartTapSelect, ResponseError> {
    let (min, rest) = data.split_first_chunk::<2>().ok_or_else(|| bad("versions", "missing"))?;
    let (max, ndef) = rest.split_first_chunk::<2>().ok_or_else(|| bad("versions", "missing"))?;
    let (min_version, max_version) = (u16::from_be_bytes(*min), u16::from_be_bytes(*max));
    check_version(min_version, max_version)?;
    let msg = parse_message(ndef)?;
    let mdn = msg.records.first().filter(|r| named(r, b"mdn"));
    let mdn = mdn.ok_or_else(|| bad("mdn", "the first record must be mdn"))?;
    let nonce = binary_value("mdn", &mdn.payload)?;
    Ok(SmartTapSelect { min_version, max_version, nonce: fixed("mdn", nonce)? })
}

/// A `ses` record (§5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub session_id: [u8; 8],
    pub sequence: u8,
    pub status: u8,
}

fn parse_ses(msg: &Message) -> Result<Session, ResponseError> {
    let ses = find(msg, b"ses").ok_or(ResponseError::MissingRecord("ses"))?;
    let p: [u8; 10] = fixed("ses", &ses.payload)?;
    let mut session_id = [0u8; 8];
    session_id.copy_from_slice(&p[..8]);
    Ok(Session { session_id, sequence: p[8], status: p[9] })
}

/// The decoded NEGOTIATE answer `nrs[ses, dpk]` (§6.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NegotiateResponse {
    pub session: Session,
    /// The handset ephemeral key exactly as sent (the HKDF salt).
    pub dpk: [u8; 33],
}

pub fn parse_negotiate(data: &[u8]) -> Result<NegotiateResponse, ResponseError> {
    let inner = container(data, b"nrs", "nrs")?;
    let session = parse_ses(&inner)?;
    let dpk = find(&inner, b"dpk").ok_or(ResponseError::MissingRecord("dpk"))?;
    Ok(NegotiateResponse { session, dpk: fixed("dpk", &dpk.payload)? })
}

/// A `reb` record bundle: `flags ‖ IV ‖ ciphertext ‖ HMAC` (§6.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordBundle {
    pub flags: u8,
    pub iv: [u8; IV_LEN],
    pub ciphertext: Vec<u8>,
    pub mac: [u8; MAC_LEN],
}

impl RecordBundle {
    pub fn compressed(&self) -> bool {
        self.flags & REB_COMPRESSED != 0
    }
}

/// Splits a `reb` payload; only flags `01` and `03` are accepted: this terminal refuses
/// plaintext bundles and unknown flag bits.
pub fn parse_reb(payload: &[u8]) -> Result<RecordBundle, ResponseError> {
    let (&flags, rest) = payload.split_first().ok_or_else(|| bad("reb", "empty"))?;
    if flags & REB_ENCRYPTED == 0 || flags & !(REB_ENCRYPTED | REB_COMPRESSED) != 0 {
        return Err(bad("reb", format!("flags {flags:02X}: expected 01 or 03")));
    }
    let (iv, rest) = rest.split_first_chunk::<IV_LEN>().ok_or_else(|| bad("reb", "no IV"))?;
    let (ciphertext, mac) =
        rest.split_last_chunk::<MAC_LEN>().ok_or_else(|| bad("reb", "shorter than its HMAC"))?;
    Ok(RecordBundle { flags, iv: *iv, ciphertext: ciphertext.to_vec(), mac: *mac })
}

/// The decoded GET DATA answer `srs[ses, reb?]` (§6.4), after reassembly of any chunks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataResponse {
    pub session: Session,
    pub bundle: Option<RecordBundle>,
}

pub fn parse_data(data: &[u8]) -> Result<DataResponse, ResponseError> {
    let inner = container(data, b"srs", "srs")?;
    let session = parse_ses(&inner)?;
    let bundle = find(&inner, b"reb").map(|r| parse_reb(&r.payload)).transpose()?;
    Ok(DataResponse { session, bundle })
}

/// The decoded PUSH DATA answer `psr[ses]` (§6.6).
pub fn parse_push(data: &[u8]) -> Result<Session, ResponseError> {
    parse_ses(&container(data, b"psr", "psr")?)
}

/// Parses exactly one top-level message and rejects chunked records.
pub fn parse_message(bytes: &[u8]) -> Result<Message, ResponseError> {
    let msg = Message::parse(bytes)?;
    if msg.has_chunks() {
        return Err(ResponseError::Chunked);
    }
    Ok(msg)
}

/// Finds `name` in a top-level message and parses its payload as a nested message.
fn container(data: &[u8], name: &[u8], field: &'static str) -> Result<Message, ResponseError> {
    let msg = parse_message(data)?;
    let record = find(&msg, name).ok_or(ResponseError::MissingRecord(field))?;
    let inner = record.nested(0, 0)?;
    if inner.has_chunks() {
        return Err(ResponseError::Chunked);
    }
    Ok(inner)
}

/// Whether a record carries the Smart Tap short name `name`: in the type for TNF 4, in the
/// ID for TNF 1, and as a fallback in the other field (§4.2).
pub fn named(record: &Record, name: &[u8]) -> bool {
    match record.tnf {
        Tnf::External | Tnf::WellKnown => record.record_type == name || record.id == name,
        _ => false,
    }
}

/// The first record named `name`, preferring the field §4.2 assigns to its TNF.
pub fn find<'m>(msg: &'m Message, name: &[u8]) -> Option<&'m Record> {
    let primary = msg.records.iter().find(|r| match r.tnf {
        Tnf::External => r.record_type == name,
        Tnf::WellKnown => r.id == name,
        _ => false,
    });
    primary.or_else(|| msg.records.iter().find(|r| named(r, name)))
}

/// A "primitive" binary payload: format byte `04` then the value (§4.3).
pub fn binary_value<'p>(field: &'static str, payload: &'p [u8]) -> Result<&'p [u8], ResponseError> {
    match payload.split_first() {
        Some((&FORMAT_BINARY, value)) => Ok(value),
        Some((f, _)) => Err(bad(field, format!("format byte {f:02X}, expected 04"))),
        None => Err(bad(field, "empty")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn reb_flags_are_strict() {
        let mut reb = vec![0x01];
        reb.extend_from_slice(&[0u8; 12 + 5 + 32]);
        assert_eq!(parse_reb(&reb).unwrap().ciphertext.len(), 5);
        for flags in [0x00, 0x02, 0x05, 0x81] {
            reb[0] = flags;
            assert!(parse_reb(&reb).is_err(), "{flags:02X}");
        }
        assert!(parse_reb(&[1; 44]).is_err());
        assert_eq!(parse_reb(&[1; 45]).unwrap().ciphertext.len(), 0);
    }

    #[test]
    fn version_window() {
        assert!(check_version(0, 1).is_ok());
        assert!(check_version(1, 1).is_ok());
        assert!(check_version(2, 3).is_err());
        assert!(check_version(0, 0).is_err());
    }
}

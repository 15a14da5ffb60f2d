//! ISO/IEC 7816-4 §5 command and response APDUs, and the status words this library sends.
//!
//! Written here rather than taken from the `iso7816` crate because the trace tests need a
//! byte-exact re-encoding that remembers the form a command arrived in (short or extended,
//! Le present or absent, `00` meaning 256/65536), and every malformed length must map to
//! a precise error (and so to SW `6700`) without `heapless` capacity limits getting in the
//! way. The parser is a zero-copy view over the received bytes.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::fmt;

/// A two-byte status word (SW1 SW2).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    pub const fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }
    pub const fn sw2(self) -> u8 {
        self.0 as u8
    }
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
}
impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SW {:04X}", self.0)
    }
}
impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// ISO/IEC 7816-4 §5.6 interindustry status words.
pub mod sw {
    use super::StatusWord;
    /// Normal processing.
    pub const OK: StatusWord = StatusWord(0x9000);
    /// Wrong length (Lc/Le inconsistent with the command).
    pub const WRONG_LENGTH: StatusWord = StatusWord(0x6700);
    /// Security status not satisfied.
    pub const SECURITY_NOT_SATISFIED: StatusWord = StatusWord(0x6982);
    /// Conditions of use not satisfied (e.g. no application selected).
    pub const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord(0x6985);
    /// Wrong data.
    pub const WRONG_DATA: StatusWord = StatusWord(0x6A80);
    /// File or application not found (SELECT of an unknown AID).
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);
    /// Incorrect parameters P1-P2.
    pub const INCORRECT_P1P2: StatusWord = StatusWord(0x6A86);
    /// Wrong parameters P1-P2 (no further indication).
    pub const WRONG_P1P2: StatusWord = StatusWord(0x6B00);
    /// Instruction code not supported or invalid.
    pub const INS_NOT_SUPPORTED: StatusWord = StatusWord(0x6D00);
    /// Class not supported.
    pub const CLA_NOT_SUPPORTED: StatusWord = StatusWord(0x6E00);
    /// No precise diagnosis.
    pub const UNKNOWN: StatusWord = StatusWord(0x6F00);
    /// SW1 of "wrong Le field": SW2 is the exact number of available data bytes
    /// (`00` for 256), and the command was not executed (ISO/IEC 7816-4 §5.6).
    pub const WRONG_LE_SW1: u8 = 0x6C;

    /// `6Cxx` for an answer of `available` data bytes (more than 255 → `6C00`).
    pub fn wrong_le(available: usize) -> StatusWord {
        let sw2 = u8::try_from(available).unwrap_or(0);
        StatusWord(u16::from_be_bytes([WRONG_LE_SW1, sw2]))
    }
}

/// CLA of interindustry commands (SELECT).
pub const CLA_ISO: u8 = 0x00;
/// INS of SELECT (ISO/IEC 7816-4 §11.2.2).
pub const INS_SELECT: u8 = 0xA4;
/// P1 of SELECT by DF name (AID).
pub const SELECT_BY_NAME: u8 = 0x04;

/// Why a byte string is not a command APDU.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApduError {
    #[error("command APDU shorter than its 4-byte header ({0} bytes)")]
    TooShort(usize),
    #[error("Lc announces {announced} data bytes but {available} follow")]
    LcMismatch { announced: usize, available: usize },
    #[error("extended length field is malformed")]
    BadExtendedLength,
    #[error("Lc of zero is not allowed")]
    ZeroLc,
    #[error("{0} bytes after the Le field")]
    TrailingBytes(usize),
    #[error("data field of {0} bytes does not fit the length encoding")]
    DataTooLong(usize),
}

impl ApduError {
    /// The status word a card answers to this malformed command.
    pub const fn status(&self) -> StatusWord {
        sw::WRONG_LENGTH
    }
}

/// How the length fields of a command were (or are to be) encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthForm {
    Short,
    Extended,
}

/// A parsed command APDU borrowing its data from the received bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command<'a> {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    /// The command data field (empty for cases 1 and 2).
    pub data: &'a [u8],
    /// Ne, the maximum number of response bytes expected; `None` when Le is absent.
    /// Le = `00` decodes to 256 (short) or 65536 (extended).
    pub le: Option<usize>,
    pub form: LengthForm,
}

impl<'a> Command<'a> {
    /// Parses a command APDU, cases 1–4, short and extended (ISO/IEC 7816-4 §5.1).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ApduError> {
        let (header, body) = match bytes.split_first_chunk::<4>() {
            Some((h, b)) => (h, b),
            None => return Err(ApduError::TooShort(bytes.len())),
        };
        let [cla, ins, p1, p2] = *header;
        let cmd = |data, le, form| Command { cla, ins, p1, p2, data, le, form };
        match body {
            // Case 1.
            [] => Ok(cmd(&[], None, LengthForm::Short)),
            // Case 2 short.
            [le] => Ok(cmd(&[], Some(short_ne(*le)), LengthForm::Short)),
            // Extended forms start with a zero byte and are at least 3 bytes long.
            [0, rest @ ..] if rest.len() >= 2 => {
                Self::parse_extended(rest).map(|(data, le)| cmd(data, le, LengthForm::Extended))
            }
            [lc, rest @ ..] => {
                let lc = usize::from(*lc);
                if lc == 0 {
                    return Err(ApduError::ZeroLc);
                }
                // `rest` holds the data field and at most one Le byte.
                match rest.split_at_checked(lc) {
                    None => Err(ApduError::LcMismatch { announced: lc, available: rest.len() }),
                    Some((data, [])) => Ok(cmd(data, None, LengthForm::Short)),
                    Some((data, [le])) => Ok(cmd(data, Some(short_ne(*le)), LengthForm::Short)),
                    Some((_, [_, extra @ ..])) => Err(ApduError::TrailingBytes(extra.len())),
                }
            }
        }
    }

    fn parse_extended(rest: &'a [u8]) -> Result<(&'a [u8], Option<usize>), ApduError> {
        let (len, after) = match rest.split_first_chunk::<2>() {
            Some((l, a)) => (usize::from(u16::from_be_bytes(*l)), a),
            None => return Err(ApduError::BadExtendedLength),
        };
        if after.is_empty() {
            // Case 2 extended: 00 Le1 Le2.
            return Ok((&[], Some(extended_ne(len))));
        }
        // Case 3/4 extended: 00 Lc1 Lc2 data [Le1 Le2].
        if len == 0 {
            return Err(ApduError::ZeroLc);
        }
        // `after` holds the data field and an optional 2-byte Le.
        match after.split_at_checked(len) {
            None => Err(ApduError::LcMismatch { announced: len, available: after.len() }),
            Some((data, [])) => Ok((data, None)),
            Some((data, [le1, le2])) => {
                Ok((data, Some(extended_ne(usize::from(u16::from_be_bytes([*le1, *le2]))))))
            }
            // A single byte cannot be an extended Le.
            Some((_, [_])) => Err(ApduError::BadExtendedLength),
            Some((_, [_, _, extra @ ..])) => Err(ApduError::TrailingBytes(extra.len())),
        }
    }

    /// Serialises the command in its recorded [`LengthForm`]; with the form it was parsed
    /// from, `encode(parse(b)) == b`.
    ///
    /// Case 1 (no data, no Le) has a single encoding, the 4-byte header, whatever the form;
    /// it parses back as [`LengthForm::Short`].
    pub fn encode(&self) -> Result<Vec<u8>, ApduError> {
        let mut out = Vec::with_capacity(self.data.len().saturating_add(9));
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        match self.form {
            LengthForm::Short => {
                if !self.data.is_empty() {
                    let lc = u8::try_from(self.data.len())
                        .map_err(|_| ApduError::DataTooLong(self.data.len()))?;
                    out.push(lc);
                    out.extend_from_slice(self.data);
                }
                if let Some(ne) = self.le {
                    match ne {
                        256 => out.push(0),
                        1..=255 => out.push(ne as u8),
                        _ => return Err(ApduError::DataTooLong(ne)),
                    }
                }
            }
            LengthForm::Extended if self.data.is_empty() && self.le.is_none() => {}
            LengthForm::Extended => {
                out.push(0);
                if !self.data.is_empty() {
                    let lc = u16::try_from(self.data.len())
                        .map_err(|_| ApduError::DataTooLong(self.data.len()))?;
                    out.extend_from_slice(&lc.to_be_bytes());
                    out.extend_from_slice(self.data);
                }
                if let Some(ne) = self.le {
                    match ne {
                        65536 => out.extend_from_slice(&[0, 0]),
                        1..=65535 => out.extend_from_slice(&(ne as u16).to_be_bytes()),
                        _ => return Err(ApduError::DataTooLong(ne)),
                    }
                }
            }
        }
        Ok(out)
    }

    /// Ne for building a response: Le absent counts as `00` (spec smart-tap §2).
    pub fn ne(&self) -> usize {
        self.le.unwrap_or(match self.form {
            LengthForm::Short => 256,
            LengthForm::Extended => 65536,
        })
    }

    /// Whether this is SELECT by DF name (`00 A4 04 xx`), the command that routes.
    pub fn is_select_by_name(&self) -> bool {
        self.cla == CLA_ISO && self.ins == INS_SELECT && self.p1 == SELECT_BY_NAME
    }
}

fn short_ne(le: u8) -> usize {
    if le == 0 {
        256
    } else {
        usize::from(le)
    }
}

fn extended_ne(le: usize) -> usize {
    if le == 0 {
        65536
    } else {
        le
    }
}

/// A response APDU: data field and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: StatusWord,
}

impl Response {
    pub fn new(data: Vec<u8>, sw: StatusWord) -> Self {
        Response { data, sw }
    }
    /// A response with no data.
    pub fn status(sw: StatusWord) -> Self {
        Response { data: Vec::new(), sw }
    }
    /// `data ‖ SW1 SW2`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len().saturating_add(2));
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }
    /// Splits `data ‖ SW1 SW2`; `None` if shorter than two bytes.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let (data, sw) = bytes.split_last_chunk::<2>()?;
        Some(Response { data: data.to_vec(), sw: StatusWord(u16::from_be_bytes(*sw)) })
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Response({} data bytes, {:?})", self.data.len(), self.sw)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn cases_round_trip() {
        let cases: &[&[u8]] = &[
            &[0x00, 0xA4, 0x04, 0x00],
            &[0x90, 0xC0, 0x00, 0x00, 0x00],
            &[0x00, 0xA4, 0x04, 0x00, 0x02, 0xAA, 0xBB],
            &[0x00, 0xA4, 0x04, 0x00, 0x02, 0xAA, 0xBB, 0x00],
            &[0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00],
            &[0x00, 0xD6, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0x22],
            &[0x00, 0xD6, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0x22, 0x00, 0x00],
        ];
        for bytes in cases {
            let cmd = Command::parse(bytes).unwrap();
            assert_eq!(&cmd.encode().unwrap(), bytes);
        }
    }

    #[test]
    fn ne_decoding() {
        assert_eq!(Command::parse(&[0, 0xA4, 4, 0, 0]).unwrap().le, Some(256));
        assert_eq!(Command::parse(&[0, 0xB0, 0, 0, 0, 0, 0]).unwrap().le, Some(65536));
        assert_eq!(Command::parse(&[0, 0xA4, 4, 0, 1, 9]).unwrap().ne(), 256);
    }

    #[test]
    fn malformed_lengths() {
        assert_eq!(Command::parse(&[0, 0xA4, 4]), Err(ApduError::TooShort(3)));
        assert_eq!(
            Command::parse(&[0, 0xA4, 4, 0, 5, 1, 2]),
            Err(ApduError::LcMismatch { announced: 5, available: 2 })
        );
        assert_eq!(Command::parse(&[0, 0xA4, 4, 0, 1, 1, 0, 0]), Err(ApduError::TrailingBytes(1)));
        assert_eq!(Command::parse(&[0, 0xA4, 4, 0, 0, 0, 0, 1]), Err(ApduError::ZeroLc));
        assert_eq!(Command::parse(&[0, 0xA4, 4, 0, 0, 0]), Err(ApduError::ZeroLc));
        assert_eq!(
            Command::parse(&[0, 0xD6, 0, 0, 0, 0, 1, 0xAA, 0]),
            Err(ApduError::BadExtendedLength)
        );
        assert_eq!(
            Command::parse(&[0, 0xD6, 0, 0, 0, 0, 1, 0xAA, 0, 0, 7]),
            Err(ApduError::TrailingBytes(1))
        );
    }

    #[test]
    fn extended_case_1_encodes_as_header_only() {
        let cmd = Command {
            cla: 0x80,
            ins: 0xCA,
            p1: 0,
            p2: 0,
            data: &[],
            le: None,
            form: LengthForm::Extended,
        };
        let bytes = cmd.encode().unwrap();
        assert_eq!(bytes, vec![0x80, 0xCA, 0, 0]);
        assert_eq!(Command::parse(&bytes).unwrap().le, None);
    }

    #[test]
    fn response_split() {
        let r = Response::parse(&[1, 2, 0x90, 0x00]).unwrap();
        assert_eq!(r.data, vec![1, 2]);
        assert_eq!(r.sw, sw::OK);
        assert!(Response::parse(&[0x90]).is_none());
        assert_eq!(r.to_bytes(), vec![1, 2, 0x90, 0x00]);
    }
}

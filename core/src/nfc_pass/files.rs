//! The pass's file system as a reader addresses it (ISO/IEC 7816-4 §7, §11.2–11.3): one
//! application DF (the AID) holding transparent EFs named by file ID; offsets and lengths of
//! READ BINARY / UPDATE BINARY checked against the current EF, and the FCI / FCP templates
//! SELECT answers with. Pure functions: the applet owns the state.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::ops::Range;

use super::model::{Aid, NfcFile};
use super::status;
use crate::apdu::{sw, StatusWord};

/// P1 b8 of READ/UPDATE BINARY: P1 b5–b1 is a short EF identifier (§11.3.3), not supported.
pub const P1_SHORT_EF: u8 = 0x80;
/// FCI template (§7.4.1).
pub const TAG_FCI: u8 = 0x6F;
/// FCP template (§7.4.1).
pub const TAG_FCP: u8 = 0x62;
/// DF name (the AID) inside the FCI.
pub const TAG_DF_NAME: u8 = 0x84;
/// Number of data bytes in the file, excluding structural information.
pub const TAG_FILE_SIZE: u8 = 0x80;
/// File descriptor byte.
pub const TAG_FILE_DESCRIPTOR: u8 = 0x82;
/// File identifier.
pub const TAG_FILE_ID: u8 = 0x83;
/// File descriptor: working EF, transparent structure.
pub const TRANSPARENT_EF: u8 = 0x01;

/// The 15-bit offset of READ/UPDATE BINARY (P1 b8 = 0), or `6A81` for a short EF identifier.
pub fn offset(p1: u8, p2: u8) -> Result<usize, StatusWord> {
    if p1 & P1_SHORT_EF != 0 {
        return Err(status::FUNCTION_NOT_SUPPORTED);
    }
    Ok(usize::from(u16::from_be_bytes([p1, p2])))
}

/// What READ BINARY sends from a file of `size` bytes: the byte range and the status word.
/// `ne_max` says the reader asked "all there is" (Le = `00`): then fewer bytes than Ne are a
/// normal answer; otherwise fewer bytes than asked answer `6282` (end of file reached).
/// An offset at or past the end answers `6B00`.
pub fn read_range(
    size: usize,
    offset: usize,
    ne: usize,
    ne_max: bool,
) -> Result<(Range<usize>, StatusWord), StatusWord> {
    if offset >= size {
        return Err(sw::WRONG_P1P2);
    }
    let available = size.saturating_sub(offset);
    let n = ne.min(available);
    let sw = if n < ne && !ne_max { status::END_OF_FILE } else { sw::OK };
    Ok((offset..offset.saturating_add(n), sw))
}

/// The range UPDATE BINARY overwrites: an offset past the end answers `6B00`, data that
/// would run past the end answers `6700` (Lc too long for the file).
pub fn write_range(size: usize, offset: usize, len: usize) -> Result<Range<usize>, StatusWord> {
    if offset >= size {
        return Err(sw::WRONG_P1P2);
    }
    match offset.checked_add(len) {
        Some(end) if end <= size => Ok(offset..end),
        _ => Err(sw::WRONG_LENGTH),
    }
}

/// `6F { 84 AID }`: the answer to SELECT of the application.
pub fn fci(aid: &Aid) -> Vec<u8> {
    let name = aid.as_bytes();
    // AIDs are at most 16 bytes: every length fits one byte.
    let inner = u8::try_from(name.len()).unwrap_or(0);
    let mut out = vec![TAG_FCI, inner.saturating_add(2), TAG_DF_NAME, inner];
    out.extend_from_slice(name);
    out
}

/// `62 { 80 size, 82 01, 83 FID }`: the answer to SELECT FILE (no access rules: a reader
/// learns them by trying).
pub fn fcp(file: &NfcFile) -> Vec<u8> {
    let size = u16::try_from(file.size()).unwrap_or(u16::MAX).to_be_bytes();
    let id = file.id.0.to_be_bytes();
    let mut out = vec![TAG_FCP, 11, TAG_FILE_SIZE, 2];
    out.extend_from_slice(&size);
    out.extend_from_slice(&[TAG_FILE_DESCRIPTOR, 1, TRANSPARENT_EF, TAG_FILE_ID, 2]);
    out.extend_from_slice(&id);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::nfc_pass::model::Access;

    #[test]
    fn ranges() {
        assert_eq!(read_range(10, 0, 4, false), Ok((0..4, sw::OK)));
        assert_eq!(read_range(10, 8, 4, false), Ok((8..10, status::END_OF_FILE)));
        assert_eq!(read_range(10, 8, 256, true), Ok((8..10, sw::OK)));
        assert_eq!(read_range(10, 10, 1, false), Err(sw::WRONG_P1P2));
        assert_eq!(read_range(0, 0, 1, true), Err(sw::WRONG_P1P2));
        assert_eq!(write_range(10, 9, 1), Ok(9..10));
        assert_eq!(write_range(10, 9, 2), Err(sw::WRONG_LENGTH));
        assert_eq!(write_range(10, 10, 1), Err(sw::WRONG_P1P2));
        assert_eq!(write_range(10, usize::MAX, 2), Err(sw::WRONG_P1P2));
        assert_eq!(offset(0x81, 0), Err(status::FUNCTION_NOT_SUPPORTED));
        assert_eq!(offset(0x7F, 0xFF), Ok(0x7FFF));
    }

    #[test]
    fn templates() {
        let aid = Aid::new(&[0xF0, 1, 2, 3, 4]).unwrap();
        assert_eq!(fci(&aid), vec![0x6F, 7, 0x84, 5, 0xF0, 1, 2, 3, 4]);
        let f = NfcFile::new(0x0101, 300, &[], Access::Always, Access::Never, "").unwrap();
        assert_eq!(fcp(&f), vec![0x62, 11, 0x80, 2, 0x01, 0x2C, 0x82, 1, 1, 0x83, 2, 0x01, 0x01]);
    }
}

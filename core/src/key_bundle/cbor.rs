//! A strict, zero-copy reader for the CBOR subset a bundle payload uses (RFC 8949 §3):
//! unsigned and negative integers, byte and text strings, arrays and maps, all with
//! definite lengths. Tags, floats, simple values and indefinite lengths are refused.
//!
//! Why not `ciborium`'s value tree: building one costs several allocations per item, about
//! 5 µs per issuer, which alone would take a 10,000-issuer bundle past its 50 ms budget
//! (issue #7). The payload layout is fixed and shallow, so the decoder reads it
//! front to back from the slice, borrowing strings, with no recursion and no allocation
//! beyond the decoded bundle. `ciborium` still writes payloads, and the golden-byte test
//! keeps both sides honest.

use std::fmt;

/// One CBOR data item header, with its string content borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Item<'a> {
    Uint(u64),
    /// The negative integer `-1 - n`.
    Nint(u64),
    Bytes(&'a [u8]),
    Text(&'a str),
    /// An array of this many items follows.
    Array(u64),
    /// A map of this many key/value pairs follows.
    Map(u64),
}

/// A syntax error: where, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SyntaxError {
    pub offset: usize,
    pub what: &'static str,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.offset)
    }
}

/// Reads items from the front of a slice.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub(super) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn fail<T>(&self, at: usize, what: &'static str) -> Result<T, SyntaxError> {
        Err(SyntaxError { offset: at, what })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SyntaxError> {
        let start = self.pos;
        match start.checked_add(n).and_then(|end| self.buf.get(start..end)) {
            Some(s) => {
                self.pos = start + n;
                Ok(s)
            }
            None => self.fail(start, "truncated"),
        }
    }

    /// The next item's header (and, for strings, its content).
    pub(super) fn item(&mut self) -> Result<Item<'a>, SyntaxError> {
        let start = self.pos;
        let initial = self.take(1)?[0];
        let (major, info) = (initial >> 5, initial & 0x1f);
        let arg = match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.take(1)?[0]),
            25 => self.take(2).map(|b| u64::from(u16::from_be_bytes([b[0], b[1]])))?,
            26 => self.take(4).map(|b| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))?,
            27 => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                u64::from_be_bytes(a)
            }
            31 => return self.fail(start, "indefinite length not supported"),
            _ => return self.fail(start, "reserved additional information"),
        };
        match major {
            0 => Ok(Item::Uint(arg)),
            1 => Ok(Item::Nint(arg)),
            2 | 3 => {
                let len = usize::try_from(arg).or_else(|_| self.fail(start, "truncated"))?;
                let content = self.take(len)?;
                if major == 2 {
                    return Ok(Item::Bytes(content));
                }
                match std::str::from_utf8(content) {
                    Ok(t) => Ok(Item::Text(t)),
                    Err(_) => self.fail(start, "text string is not UTF-8"),
                }
            }
            // Every element takes at least one byte: a count beyond what is left is a
            // truncated (or hostile) input, refused before anyone allocates for it.
            4 | 5 if arg > self.remaining() as u64 => self.fail(start, "truncated"),
            4 => Ok(Item::Array(arg)),
            5 => Ok(Item::Map(arg)),
            6 => self.fail(start, "tags are not supported"),
            _ => self.fail(start, "floats and simple values are not supported"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(bytes: &[u8]) -> Result<Vec<Item<'_>>, SyntaxError> {
        let mut r = Reader::new(bytes);
        let mut out = Vec::new();
        while r.remaining() > 0 {
            out.push(r.item()?);
        }
        Ok(out)
    }

    #[test]
    fn rfc8949_appendix_a_examples() {
        assert_eq!(items(&[0x00]), Ok(vec![Item::Uint(0)]));
        assert_eq!(items(&[0x17]), Ok(vec![Item::Uint(23)]));
        assert_eq!(items(&[0x18, 0x18]), Ok(vec![Item::Uint(24)]));
        assert_eq!(items(&[0x19, 0x03, 0xe8]), Ok(vec![Item::Uint(1000)]));
        assert_eq!(items(&[0x1a, 0x00, 0x0f, 0x42, 0x40]), Ok(vec![Item::Uint(1_000_000)]));
        let max = [0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(items(&max), Ok(vec![Item::Uint(u64::MAX)]));
        assert_eq!(items(&[0x20]), Ok(vec![Item::Nint(0)]));
        assert_eq!(items(&[0x38, 0x63]), Ok(vec![Item::Nint(99)]));
        assert_eq!(items(&[0x44, 1, 2, 3, 4]), Ok(vec![Item::Bytes(&[1, 2, 3, 4])]));
        assert_eq!(items(&[0x62, 0xc3, 0xbc]), Ok(vec![Item::Text("\u{fc}")]));
        assert_eq!(
            items(&[0x82, 0x01, 0x02]),
            Ok(vec![Item::Array(2), Item::Uint(1), Item::Uint(2)])
        );
        assert_eq!(
            items(&[0xa1, 0x01, 0x02]),
            Ok(vec![Item::Map(1), Item::Uint(1), Item::Uint(2)])
        );
    }

    #[test]
    fn refused_items() {
        let err = |b: &[u8]| items(b).unwrap_err().what;
        assert_eq!(err(&[0x5f, 0x41, 0x00, 0xff]), "indefinite length not supported");
        assert_eq!(err(&[0x9f, 0xff]), "indefinite length not supported");
        assert_eq!(err(&[0xc1, 0x00]), "tags are not supported");
        assert_eq!(err(&[0xf9, 0x3c, 0x00]), "floats and simple values are not supported");
        assert_eq!(err(&[0xf6]), "floats and simple values are not supported");
        assert_eq!(err(&[0x1c]), "reserved additional information");
        assert_eq!(err(&[0x62, 0xff, 0xfe]), "text string is not UTF-8");
        assert_eq!(err(&[0x19, 0x01]), "truncated");
        assert_eq!(err(&[0x45, 1, 2]), "truncated");
        assert_eq!(err(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), "truncated");
        // A huge element count is refused up front.
        assert_eq!(err(&[0x9b, 0, 0, 0, 1, 0, 0, 0, 0]), "truncated");
        assert_eq!(items(&[0x19, 0x01]).unwrap_err().to_string(), "truncated at byte 1");
    }
}

//! A strict BER-TLV reader for the SELECT OSE answer (ISO/IEC 7816-4 §5.2, smart-tap spec
//! §6.1). Written here because only the FCI needs it and it must fail loudly: lengths in
//! short form or `81`–`84`, no indefinite lengths, tags of up to three bytes, every value
//! inside its parent, no trailing bytes, nesting capped at [`MAX_DEPTH`].
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

/// Deepest nesting of constructed objects the reader descends into.
pub const MAX_DEPTH: usize = 8;

/// Why bytes are not well-formed BER-TLV.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    #[error("TLV truncated at offset {0}")]
    Truncated(usize),
    #[error("tag at offset {0} is longer than 3 bytes")]
    TagTooLong(usize),
    #[error("length at offset {offset} uses unsupported form {first:02X}")]
    BadLength { offset: usize, first: u8 },
    #[error("tag {tag:X} at offset {offset} announces {len} bytes, {available} remain")]
    Overrun { tag: u32, offset: usize, len: usize, available: usize },
    #[error("constructed objects nested deeper than {MAX_DEPTH}")]
    TooDeep,
}

/// One data object: its tag (as the big-endian number of its tag bytes) and either a
/// primitive value or children.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlv {
    pub tag: u32,
    pub value: Vec<u8>,
    pub children: Vec<Tlv>,
}

impl Tlv {
    /// Whether the tag's first byte has the constructed bit (`0x20`).
    pub fn constructed(tag: u32) -> bool {
        let first = tag.to_be_bytes().into_iter().find(|b| *b != 0).unwrap_or(0);
        first & 0x20 != 0
    }
    /// The first direct child with this tag.
    pub fn child(&self, tag: u32) -> Option<&Tlv> {
        self.children.iter().find(|c| c.tag == tag)
    }
    /// All direct children with this tag.
    pub fn children_with(&self, tag: u32) -> impl Iterator<Item = &Tlv> {
        self.children.iter().filter(move |c| c.tag == tag)
    }
}

/// Parses a complete sequence of data objects (no trailing bytes).
pub fn parse(bytes: &[u8]) -> Result<Vec<Tlv>, TlvError> {
    parse_at(bytes, 0, 0)
}

fn parse_at(bytes: &[u8], base: usize, depth: usize) -> Result<Vec<Tlv>, TlvError> {
    if depth > MAX_DEPTH {
        return Err(TlvError::TooDeep);
    }
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let start = pos;
        let at = |p: usize| bytes.get(p).copied().ok_or(TlvError::Truncated(base + p));
        // Tag: low five bits all set means more tag bytes follow while bit 8 is set.
        let first = at(pos)?;
        let mut tag = u32::from(first);
        pos += 1;
        if first & 0x1F == 0x1F {
            loop {
                let b = at(pos)?;
                pos += 1;
                tag = (tag << 8) | u32::from(b);
                if pos - start > 3 {
                    return Err(TlvError::TagTooLong(base + start));
                }
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        // Length.
        let len_at = pos;
        let l0 = at(pos)?;
        pos += 1;
        let len = match l0 {
            0x00..=0x7F => usize::from(l0),
            0x81..=0x84 => {
                let n = usize::from(l0 & 0x7F);
                let mut len = 0usize;
                for _ in 0..n {
                    len = (len << 8) | usize::from(at(pos)?);
                    pos += 1;
                }
                len
            }
            _ => return Err(TlvError::BadLength { offset: base + len_at, first: l0 }),
        };
        let rest = bytes.get(pos..).unwrap_or_default();
        let Some(value) = rest.get(..len) else {
            let available = rest.len();
            return Err(TlvError::Overrun { tag, offset: base + start, len, available });
        };
        let children = if Tlv::constructed(tag) {
            parse_at(value, base + pos, depth + 1)?
        } else {
            Vec::new()
        };
        out.push(Tlv {
            tag,
            value: if Tlv::constructed(tag) { Vec::new() } else { value.to_vec() },
            children,
        });
        pos += len;
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn nested_and_long_forms() {
        let t = parse(&hex::decode("6f81085003414243bf0c01ff").unwrap());
        assert!(matches!(t, Err(TlvError::Overrun { .. })), "{t:?}");
        let t = parse(&hex::decode("6f0b5003414243bf0c03c10100").unwrap()).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].child(0x50).unwrap().value, b"ABC");
        assert_eq!(t[0].child(0xBF0C).unwrap().child(0xC1).unwrap().value, vec![0]);
        assert_eq!(parse(&[0x50, 0x80]), Err(TlvError::BadLength { offset: 1, first: 0x80 }));
        assert_eq!(parse(&[0x5F]), Err(TlvError::Truncated(1)));
        assert_eq!(parse(&[0x5F, 0x81, 0x81, 0x01, 0]), Err(TlvError::TagTooLong(0)));
        assert_eq!(
            parse(&[0x50, 0x02, 0x00]).unwrap_err(),
            TlvError::Overrun { tag: 0x50, offset: 0, len: 2, available: 1 }
        );
        let mut deep = Vec::new();
        for _ in 0..12 {
            deep = [vec![0x61, deep.len() as u8], deep].concat();
        }
        assert_eq!(parse(&deep), Err(TlvError::TooDeep));
    }
}

//! The terminal's own BER-TLV (EMV Book 3 Annex B, payment-hce §5): a parser into a tree
//! and a builder. Written here, not taken from `hce_wallet_core::ber_tlv`, so that a codec
//! bug cannot hide itself by being on both sides of the exchange (see the module doc of
//! [`super`]).
//!
//! Rules: tags of one or more bytes (first byte `xF` low five bits all ones → more bytes,
//! each further byte with bit 8 set → one more), capped at 3 bytes; lengths `00–7F`,
//! `81 xx`, `82 xxxx` (nothing longer: no contactless answer exceeds 256 bytes); `00` and
//! `FF` padding between objects is skipped; a value must lie inside its parent; constructed
//! objects (tag bit 6 set) are parsed recursively, at most [`MAX_DEPTH`] deep.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

/// Deepest nesting the parser descends into.
pub const MAX_DEPTH: usize = 6;

/// Why bytes are not BER-TLV the terminal accepts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    #[error("TLV truncated at offset {0}")]
    Truncated(usize),
    #[error("tag at offset {0} is longer than 3 bytes")]
    TagTooLong(usize),
    #[error("length at offset {offset} has unsupported first byte {first:02X}")]
    BadLength { offset: usize, first: u8 },
    #[error("tag {tag:X} announces {len} bytes, {available} remain")]
    Overrun { tag: u32, len: usize, available: usize },
    #[error("constructed objects nested deeper than {MAX_DEPTH}")]
    TooDeep,
}

/// One data object. `tag` is the big-endian number of its tag bytes (`9F38` → 0x9F38).
/// For a constructed object `children` holds the parsed content and `value` the raw bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlv {
    pub tag: u32,
    pub value: Vec<u8>,
    pub children: Vec<Tlv>,
}

impl Tlv {
    /// First object with `tag` at any depth, depth first.
    pub fn find(&self, tag: u32) -> Option<&Tlv> {
        if self.tag == tag {
            return Some(self);
        }
        find_in(&self.children, tag)
    }
}

/// Whether a tag (as a number) is constructed: bit 6 of its first byte.
pub fn is_constructed(tag: u32) -> bool {
    first_byte(tag) & 0x20 != 0
}

fn first_byte(tag: u32) -> u8 {
    let bytes = tag.to_be_bytes();
    bytes.iter().copied().find(|b| *b != 0).unwrap_or(0)
}

/// First object with `tag` in `list` or below, depth first.
pub fn find_in(list: &[Tlv], tag: u32) -> Option<&Tlv> {
    list.iter().find_map(|t| t.find(tag))
}

/// Reads one tag at `pos`; returns (tag, bytes used).
pub fn read_tag(data: &[u8], pos: usize) -> Result<(u32, usize), TlvError> {
    let first = *data.get(pos).ok_or(TlvError::Truncated(pos))?;
    let mut tag = u32::from(first);
    let mut used = 1;
    if first & 0x1F == 0x1F {
        loop {
            let b = *data.get(pos + used).ok_or(TlvError::Truncated(pos + used))?;
            tag = (tag << 8) | u32::from(b);
            used += 1;
            if used > 3 {
                return Err(TlvError::TagTooLong(pos));
            }
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    Ok((tag, used))
}

/// Reads one length at `pos`; returns (length, bytes used).
pub fn read_len(data: &[u8], pos: usize) -> Result<(usize, usize), TlvError> {
    let first = *data.get(pos).ok_or(TlvError::Truncated(pos))?;
    let byte =
        |i: usize| data.get(pos + i).copied().map(usize::from).ok_or(TlvError::Truncated(pos + i));
    match first {
        0x00..=0x7F => Ok((usize::from(first), 1)),
        0x81 => Ok((byte(1)?, 2)),
        0x82 => Ok(((byte(1)? << 8) | byte(2)?, 3)),
        _ => Err(TlvError::BadLength { offset: pos, first }),
    }
}

/// Parses a whole buffer as a sequence of objects (padding `00`/`FF` skipped).
pub fn parse(data: &[u8]) -> Result<Vec<Tlv>, TlvError> {
    parse_at(data, 0)
}

fn parse_at(data: &[u8], depth: usize) -> Result<Vec<Tlv>, TlvError> {
    if depth > MAX_DEPTH {
        return Err(TlvError::TooDeep);
    }
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        if matches!(data.get(pos), Some(0x00 | 0xFF)) {
            pos += 1;
            continue;
        }
        let (tag, tag_len) = read_tag(data, pos)?;
        let (len, len_len) = read_len(data, pos + tag_len)?;
        let start = pos + tag_len + len_len;
        let available = data.len().saturating_sub(start);
        let value =
            data.get(start..start + len).ok_or(TlvError::Overrun { tag, len, available })?.to_vec();
        let children = if is_constructed(tag) { parse_at(&value, depth + 1)? } else { Vec::new() };
        out.push(Tlv { tag, value, children });
        pos = start + len;
    }
    Ok(out)
}

/// Appends the bytes of `tag` (no leading zero bytes).
pub fn push_tag(out: &mut Vec<u8>, tag: u32) {
    let bytes = tag.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(3);
    out.extend(bytes.iter().skip(skip));
}

/// Appends a minimal BER length (`00–7F`, `81 xx`, `82 xxxx`).
pub fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xFF {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
}

/// One encoded object: tag, minimal length, value.
pub fn build(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 5);
    push_tag(&mut out, tag);
    push_len(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

/// A constructed object from already-encoded children.
pub fn build_constructed(tag: u32, children: &[Vec<u8>]) -> Vec<u8> {
    build(tag, &children.concat())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_with_padding_and_long_lengths() {
        let fci = hex::decode("6F0C8402AABBA506BF0C03500141").unwrap();
        let tree = parse(&fci).unwrap();
        assert_eq!(tree.len(), 1);
        assert_eq!(find_in(&tree, 0x84).unwrap().value, vec![0xAA, 0xBB]);
        assert_eq!(find_in(&tree, 0x50).unwrap().value, vec![0x41]);
        assert_eq!(find_in(&tree, 0xBF0C).unwrap().children.len(), 1);
        let padded = parse(&hex::decode("00FF5A0112FF00").unwrap()).unwrap();
        assert_eq!(padded, vec![Tlv { tag: 0x5A, value: vec![0x12], children: vec![] }]);
        let long = build(0x57, &[0x11; 200]);
        assert_eq!(&long[..3], &[0x57, 0x81, 200]);
        assert_eq!(parse(&long).unwrap()[0].value.len(), 200);
        assert_eq!(build(0x9F26, &[0; 300])[..5], [0x9F, 0x26, 0x82, 0x01, 0x2C]);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(
            parse(&[0x5A, 0x05, 1, 2]),
            Err(TlvError::Overrun { tag: 0x5A, len: 5, available: 2 })
        );
        assert_eq!(parse(&[0x9F]), Err(TlvError::Truncated(1)));
        assert_eq!(
            parse(&[0x5A, 0x83, 0, 0, 1]),
            Err(TlvError::BadLength { offset: 1, first: 0x83 })
        );
        assert_eq!(parse(&[0x5F, 0x81, 0x82, 0x01]), Err(TlvError::TagTooLong(0)));
        let mut deep = vec![0x5A, 0x00];
        for _ in 0..8 {
            deep = build(0x70, &deep);
        }
        assert_eq!(parse(&deep), Err(TlvError::TooDeep));
    }
}

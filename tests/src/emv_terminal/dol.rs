//! Data object lists (PDOL 9F38, CDOL1 8C): parsing the tag+length list and answering it
//! (payment-hce §5): values concatenated in list order, each fitted to the listed length —
//! numeric (`n`) objects left-padded with zeros / truncated on the left, every other format
//! right-padded with zeros / truncated on the right; tags the terminal does not know are
//! zero-filled.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::tlv::{read_len, read_tag, TlvError};

/// One DOL entry: the tag the card asks for and the length it wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DolEntry {
    pub tag: u32,
    pub len: usize,
}

/// Parses a DOL: tag, length, tag, length, … (lengths use the BER length form).
pub fn parse_dol(dol: &[u8]) -> Result<Vec<DolEntry>, TlvError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < dol.len() {
        let (tag, t) = read_tag(dol, pos)?;
        let (len, l) = read_len(dol, pos + t)?;
        out.push(DolEntry { tag, len });
        pos += t + l;
    }
    Ok(out)
}

/// Tags of format `n` (BCD, right-aligned) among those a terminal fills.
pub fn is_numeric(tag: u32) -> bool {
    matches!(
        tag,
        0x9F02
            | 0x9F03
            | 0x9F1A
            | 0x5F2A
            | 0x9A
            | 0x9C
            | 0x9F21
            | 0x9F41
            | 0x9F15
            | 0x9F35
            | 0x5F36
    )
}

/// `value` fitted to `len` by the rules of the module doc.
pub fn fit(tag: u32, value: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let n = value.len().min(len);
    if is_numeric(tag) {
        // Right-aligned: keep the last n bytes of the value in the last n bytes of out.
        out.iter_mut().rev().zip(value.iter().rev()).take(n).for_each(|(o, v)| *o = *v);
    } else {
        out.iter_mut().zip(value.iter()).take(n).for_each(|(o, v)| *o = *v);
    }
    out
}

/// Answers a DOL from `lookup` (tag → value, `None` = unknown, zero-filled). Returns the
/// concatenated data and, per entry, the (tag, value) actually sent.
pub fn answer_dol(
    entries: &[DolEntry],
    lookup: impl Fn(u32) -> Option<Vec<u8>>,
) -> (Vec<u8>, Vec<(u32, Vec<u8>)>) {
    let mut data = Vec::new();
    let mut sent = Vec::with_capacity(entries.len());
    for e in entries {
        let v = match lookup(e.tag) {
            Some(v) => fit(e.tag, &v, e.len),
            None => vec![0u8; e.len],
        };
        data.extend_from_slice(&v);
        sent.push((e.tag, v));
    }
    (data, sent)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dol_parse_and_fit() {
        let dol = hex::decode("9F66049F02069A039C01DF0102").unwrap();
        let e = parse_dol(&dol).unwrap();
        assert_eq!(e.len(), 5);
        assert_eq!(e.get(4), Some(&DolEntry { tag: 0xDF01, len: 2 }));
        // Numeric: left padding / left truncation; binary: right padding / right truncation.
        assert_eq!(fit(0x9F02, &[0x10, 0x00], 6), vec![0, 0, 0, 0, 0x10, 0]);
        assert_eq!(fit(0x9F02, &[1, 2, 3, 4, 5, 6], 4), vec![3, 4, 5, 6]);
        assert_eq!(fit(0x9F66, &[0x36, 0, 0x40, 0], 6), vec![0x36, 0, 0x40, 0, 0, 0]);
        assert_eq!(fit(0x9F66, &[0x36, 0, 0x40, 0], 2), vec![0x36, 0]);
        let (data, sent) = answer_dol(&e, |t| (t == 0x9C).then(|| vec![0x09]));
        // Only 9C is known to this lookup: everything else zero-filled to its length.
        let mut want = vec![0u8; 4 + 6 + 3];
        want.extend([0x09, 0, 0]);
        assert_eq!(data, want);
        assert_eq!(sent.len(), 5);
        assert!(parse_dol(&[0x9F]).is_err());
    }
}

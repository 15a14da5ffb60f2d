//! ISO/IEC 8825-1 BER-TLV as EMV and ISO/IEC 7816-4 §5.2 use it: the encoding of the
//! SELECT OSE answer (smart-tap spec §6.1) and of EMV card data (payment spec §5).
//!
//! - Tags of one to three bytes (`xF`-style multi-byte tags such as `BF0C`, `DF62`,
//!   `9F38`). EMV's two-byte tags with small numbers (`9F02`) are accepted; a first
//!   subsequent byte of `80` (a zero-padded tag number) is not.
//! - Lengths in short form (`00`–`7F`) and long form `81`–`84`; the indefinite form `80`
//!   and `85`–`FF` are rejected, and so are non-minimal long forms (`81 05`, `82 00 FF`):
//!   with minimal lengths the encoding is a function of the tree, so
//!   `encode(parse(b)) == b` for every accepted `b` (deterministic encoding).
//! - A constructed tag (bit 6 of its first byte) always holds a sequence of TLVs and is
//!   decoded into children; nesting deeper than [`MAX_DEPTH`] is refused instead of
//!   recursing without bound.
//! - `00`/`FF` between objects are padding (EMV Book 3 Annex B). The strict decoder
//!   rejects them (they cannot be re-encoded byte-exact); [`DecodeOptions::skip_padding`]
//!   skips them for reading card data.
//!
//! Written here rather than taken from `iso7816-tlv` (unbounded recursion, stops silently
//! at the first error) or `iso7816::tlv` (lookups only): see `shared/STYLE.md` §7, §12.
//! Every error carries the byte offset where decoding failed.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::fmt;

/// Deepest nesting of constructed values the decoder descends into (the Smart Tap FCI
/// nests five levels: `6F/A5/BF0C/61/73`).
pub const MAX_DEPTH: usize = 16;
/// Longest tag field accepted, in bytes (ISO/IEC 7816-4 §5.2.2.1: one to three bytes).
pub const MAX_TAG_LEN: usize = 3;
/// Largest content length the long form `84 xx xx xx xx` can express.
pub const MAX_VALUE_LEN: usize = u32::MAX as usize;

/// First byte of a long-form length: `80 | number of length bytes`.
const LONG_FORM: u8 = 0x80;
/// Tag bits 5–1 all set: the tag number continues in subsequent bytes.
const TAG_NUMBER_FOLLOWS: u8 = 0x1F;
/// In subsequent tag bytes, bit 8 set: another byte follows.
const TAG_MORE: u8 = 0x80;
/// Bit 6 of the first tag byte: constructed encoding.
const CONSTRUCTED: u8 = 0x20;

/// Why bytes are not well-formed BER-TLV, or a tree cannot be built. `at` is the offset
/// of the offending field from the start of the decoded input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    #[error("no TLV object: the input is empty")]
    Empty,
    #[error("at {at}: tag field truncated")]
    TruncatedTag { at: usize },
    #[error("at {at}: tag field longer than {MAX_TAG_LEN} bytes")]
    TagTooLong { at: usize },
    #[error("at {at}: tag number is zero-padded (first subsequent byte 80)")]
    NonMinimalTag { at: usize },
    #[error("at {at}: {byte:02X} is padding, not a tag")]
    Padding { at: usize, byte: u8 },
    #[error("at {at}: length field truncated")]
    TruncatedLength { at: usize },
    #[error("at {at}: indefinite length (80) is not allowed")]
    IndefiniteLength { at: usize },
    #[error("at {at}: length form {byte:02X} is not supported (81-84 only)")]
    UnsupportedLengthForm { at: usize, byte: u8 },
    #[error("at {at}: length {len} is not minimally encoded")]
    NonMinimalLength { at: usize, len: usize },
    #[error("at {at}: value needs {needed} bytes, {available} left")]
    TruncatedValue { at: usize, needed: usize, available: usize },
    #[error("at {at}: {count} bytes after the TLV object")]
    TrailingBytes { at: usize, count: usize },
    #[error("at {at}: constructed values nested deeper than {MAX_DEPTH}")]
    TooDeep { at: usize },
    #[error("{0:#X} is not a well-formed tag")]
    InvalidTag(u32),
    #[error("tag {tag}: value kind does not match the tag (tag constructed: {constructed})")]
    KindMismatch { tag: Tag, constructed: bool },
    #[error("value of {0} bytes is too long to encode")]
    ValueTooLong(usize),
}

/// Tag class (bits 8–7 of the first tag byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    Universal,
    Application,
    ContextSpecific,
    Private,
}

/// A BER-TLV tag, held as its encoded bytes read big-endian (`BF0C` is `0xBF0C`).
/// Only well-formed tags can be constructed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(u32);

impl Tag {
    /// Validates an encoded tag given as a big-endian number (`0x6F`, `0xBF0C`, `0x9F38`).
    pub const fn new(raw: u32) -> Result<Tag, TlvError> {
        if well_formed(raw) {
            Ok(Tag(raw))
        } else {
            Err(TlvError::InvalidTag(raw))
        }
    }

    /// For constants: like [`Tag::new`], evaluated at compile time when used in a `const`
    /// item, where an ill-formed tag is a build error. Panics if `raw` is not well formed;
    /// never use it on input.
    pub const fn constant(raw: u32) -> Tag {
        assert!(well_formed(raw), "not a well-formed BER-TLV tag");
        Tag(raw)
    }

    /// Reads exactly one tag from `bytes` (no bytes may follow).
    pub fn from_bytes(bytes: &[u8]) -> Result<Tag, TlvError> {
        let mut cursor = Cursor::new(bytes, 0);
        let tag = read_tag(&mut cursor)?;
        let rest = cursor.rest().len();
        if rest != 0 {
            return Err(TlvError::TrailingBytes { at: cursor.at(), count: rest });
        }
        Ok(tag)
    }

    /// The encoded tag as a number (`0xBF0C`).
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// Number of bytes of the encoded tag (1–3).
    pub const fn len(self) -> usize {
        if self.0 > 0xFFFF {
            3
        } else if self.0 > 0xFF {
            2
        } else {
            1
        }
    }

    /// Always false: a tag has at least one byte (here for `len`'s sake).
    pub const fn is_empty(self) -> bool {
        false
    }

    /// The encoded tag bytes.
    pub fn to_bytes(self) -> Vec<u8> {
        let bytes = self.0.to_be_bytes();
        bytes.get(4usize.saturating_sub(self.len())..).unwrap_or(&[]).to_vec()
    }

    fn first_byte(self) -> u8 {
        self.to_bytes().first().copied().unwrap_or(0)
    }

    pub fn class(self) -> Class {
        match self.first_byte() >> 6 {
            0 => Class::Universal,
            1 => Class::Application,
            2 => Class::ContextSpecific,
            _ => Class::Private,
        }
    }

    /// Whether the value is a sequence of TLV objects.
    pub fn is_constructed(self) -> bool {
        self.first_byte() & CONSTRUCTED != 0
    }

    /// The tag number (bits 5–1 of a one-byte tag, else the 7-bit groups that follow).
    pub fn number(self) -> u32 {
        let bytes = self.to_bytes();
        match bytes.split_first() {
            Some((first, [])) => u32::from(first & TAG_NUMBER_FOLLOWS),
            Some((_, rest)) => {
                rest.iter().fold(0u32, |n, b| n.wrapping_shl(7) | u32::from(b & !TAG_MORE))
            }
            None => 0,
        }
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.to_bytes() {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// Tags this library writes or reads by name (ISO/IEC 7816-4 §5.2, EMV Book 3 Annex A,
/// smart-tap spec §6.1).
pub mod tags {
    use super::Tag;
    /// File Control Information template.
    pub const FCI: Tag = Tag::constant(0x6F);
    /// Application label (Smart Tap: wallet label "AndroidPay").
    pub const APPLICATION_LABEL: Tag = Tag::constant(0x50);
    /// Application identifier (ADF name) in a directory entry.
    pub const AID: Tag = Tag::constant(0x4F);
    /// DF name in an FCI.
    pub const DF_NAME: Tag = Tag::constant(0x84);
    /// Application priority indicator.
    pub const PRIORITY: Tag = Tag::constant(0x87);
    /// FCI proprietary template.
    pub const FCI_PROPRIETARY: Tag = Tag::constant(0xA5);
    /// FCI issuer discretionary data.
    pub const FCI_ISSUER_DISCRETIONARY: Tag = Tag::constant(0xBF0C);
    /// Application template / directory entry.
    pub const DIRECTORY_ENTRY: Tag = Tag::constant(0x61);
    /// Discretionary data template.
    pub const DISCRETIONARY_TEMPLATE: Tag = Tag::constant(0x73);
    /// Smart Tap (OSE): application version.
    pub const OSE_APP_VERSION: Tag = Tag::constant(0xC0);
    /// Smart Tap (OSE): transaction mode and capability bytes.
    pub const OSE_TRANSACTION_MODE: Tag = Tag::constant(0xC1);
    /// Smart Tap (OSE): handset nonce.
    pub const OSE_HANDSET_NONCE: Tag = Tag::constant(0xC2);
    /// Smart Tap (OSE): handset ephemeral public key.
    pub const OSE_HANDSET_EPHEMERAL_KEY: Tag = Tag::constant(0xC3);
    /// Smart Tap directory entry: minimum supported version.
    pub const SMART_TAP_MIN_VERSION: Tag = Tag::constant(0xDF6D);
    /// Smart Tap directory entry: maximum supported version.
    pub const SMART_TAP_MAX_VERSION: Tag = Tag::constant(0xDF4D);
    /// Smart Tap directory entry: capabilities.
    pub const SMART_TAP_CAPABILITIES: Tag = Tag::constant(0xDF62);
    /// Smart Tap directory entry: handset nonce (alternative to `C2`).
    pub const SMART_TAP_NONCE: Tag = Tag::constant(0xDF6E);
    /// Smart Tap directory entry: handset ephemeral key (alternative to `C3`).
    pub const SMART_TAP_EPHEMERAL_KEY: Tag = Tag::constant(0xDF6B);
    /// EMV: processing options data object list.
    pub const PDOL: Tag = Tag::constant(0x9F38);
    /// EMV: response message template format 1.
    pub const RESPONSE_FORMAT_1: Tag = Tag::constant(0x80);
    /// EMV: response message template format 2.
    pub const RESPONSE_FORMAT_2: Tag = Tag::constant(0x77);
    /// EMV: READ RECORD response template.
    pub const RECORD_TEMPLATE: Tag = Tag::constant(0x70);
    /// EMV: command template (GET PROCESSING OPTIONS data).
    pub const COMMAND_TEMPLATE: Tag = Tag::constant(0x83);
}

/// The value of a TLV object: bytes, or the objects a constructed tag holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    Primitive(Vec<u8>),
    Constructed(Vec<Tlv>),
}

/// One BER-TLV data object. The value kind always matches the tag's constructed bit
/// and the content fits the long form, so [`Tlv::encode`] cannot fail.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tlv {
    tag: Tag,
    value: Value,
}

impl Tlv {
    /// A primitive object; fails if `tag` is constructed or the value is too long.
    pub fn primitive(tag: Tag, value: impl Into<Vec<u8>>) -> Result<Tlv, TlvError> {
        Tlv::new(tag, Value::Primitive(value.into()))
    }

    /// A constructed object; fails if `tag` is primitive or the content is too long.
    pub fn constructed(tag: Tag, children: Vec<Tlv>) -> Result<Tlv, TlvError> {
        Tlv::new(tag, Value::Constructed(children))
    }

    /// An object with a value of the kind its tag demands.
    pub fn new(tag: Tag, value: Value) -> Result<Tlv, TlvError> {
        let constructed = matches!(value, Value::Constructed(_));
        if constructed != tag.is_constructed() {
            return Err(TlvError::KindMismatch { tag, constructed: tag.is_constructed() });
        }
        let tlv = Tlv { tag, value };
        match tlv.content_len() {
            Some(len) if len <= MAX_VALUE_LEN => Ok(tlv),
            Some(len) => Err(TlvError::ValueTooLong(len)),
            None => Err(TlvError::ValueTooLong(usize::MAX)),
        }
    }

    pub fn tag(&self) -> Tag {
        self.tag
    }

    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The bytes of a primitive object (`None` for a constructed one).
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.value {
            Value::Primitive(v) => Some(v),
            Value::Constructed(_) => None,
        }
    }

    /// The objects inside a constructed object (empty for a primitive one).
    pub fn children(&self) -> &[Tlv] {
        match &self.value {
            Value::Constructed(c) => c,
            Value::Primitive(_) => &[],
        }
    }

    /// The first direct child with this tag.
    pub fn find(&self, tag: Tag) -> Option<&Tlv> {
        self.children().iter().find(|t| t.tag == tag)
    }

    /// Follows a path of tags through direct children: `fci.find_path(&[A5, BF0C, 61])`.
    pub fn find_path(&self, path: &[Tag]) -> Option<&Tlv> {
        path.iter().try_fold(self, |node, &tag| node.find(tag))
    }

    /// The first object with this tag in a depth-first walk, this object included.
    pub fn find_recursive(&self, tag: Tag) -> Option<&Tlv> {
        if self.tag == tag {
            return Some(self);
        }
        self.children().iter().find_map(|c| c.find_recursive(tag))
    }

    /// Length of the value field (the L of TLV); `None` on overflow.
    pub fn content_len(&self) -> Option<usize> {
        match &self.value {
            Value::Primitive(v) => Some(v.len()),
            Value::Constructed(children) => {
                children.iter().try_fold(0usize, |sum, c| sum.checked_add(c.encoded_len()?))
            }
        }
    }

    /// Length of the whole encoding (T, L and V); `None` on overflow.
    pub fn encoded_len(&self) -> Option<usize> {
        let content = self.content_len()?;
        self.tag.len().checked_add(length_field_len(content))?.checked_add(content)
    }

    /// The deterministic encoding: minimal lengths, children in order.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len().unwrap_or(0));
        self.encode_into(&mut out);
        out
    }

    /// Appends the encoding to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.tag.to_bytes());
        write_length(self.content_len().unwrap_or(0), out);
        match &self.value {
            Value::Primitive(v) => out.extend_from_slice(v),
            Value::Constructed(children) => {
                for c in children {
                    c.encode_into(out);
                }
            }
        }
    }

    /// Decodes exactly one object; trailing bytes are an error.
    pub fn parse(bytes: &[u8]) -> Result<Tlv, TlvError> {
        let mut cursor = Cursor::new(bytes, 0);
        let tlv = read_tlv(&mut cursor, 0, &DecodeOptions::default())?;
        let rest = cursor.rest().len();
        if rest != 0 {
            return Err(TlvError::TrailingBytes { at: cursor.at(), count: rest });
        }
        Ok(tlv)
    }
}

/// Decoder settings. The default is strict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Nesting cap (at most [`MAX_DEPTH`] is sensible).
    pub max_depth: usize,
    /// Skip `00`/`FF` padding bytes before and between objects (EMV Book 3 Annex B).
    /// The result then no longer re-encodes to the input.
    pub skip_padding: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions { max_depth: MAX_DEPTH, skip_padding: false }
    }
}

/// Decodes a non-empty sequence of objects filling `bytes` exactly (strict).
pub fn parse_all(bytes: &[u8]) -> Result<Vec<Tlv>, TlvError> {
    parse_all_with(bytes, &DecodeOptions::default())
}

/// Decodes a sequence of objects filling `bytes` exactly, with the given options.
pub fn parse_all_with(bytes: &[u8], options: &DecodeOptions) -> Result<Vec<Tlv>, TlvError> {
    let objects = read_sequence(&mut Cursor::new(bytes, 0), 0, options)?;
    if objects.is_empty() {
        return Err(TlvError::Empty);
    }
    Ok(objects)
}

/// Encodes a sequence of objects back to back.
pub fn encode_all(objects: &[Tlv]) -> Vec<u8> {
    let mut out = Vec::new();
    for o in objects {
        o.encode_into(&mut out);
    }
    out
}

/// Decodes a data object list (EMV Book 3 §5.4: PDOL `9F38`, CDOL1 `8C`): tags each
/// followed by a length, without values. Returns the entries in order.
pub fn parse_dol(bytes: &[u8]) -> Result<Vec<(Tag, usize)>, TlvError> {
    let mut cursor = Cursor::new(bytes, 0);
    let mut entries = Vec::new();
    while !cursor.rest().is_empty() {
        let tag = read_tag(&mut cursor)?;
        let len = read_length(&mut cursor)?;
        entries.push((tag, len));
    }
    Ok(entries)
}

/// Encodes a data object list (the inverse of [`parse_dol`]).
pub fn encode_dol(entries: &[(Tag, usize)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (tag, len) in entries {
        out.extend_from_slice(&tag.to_bytes());
        write_length((*len).min(MAX_VALUE_LEN), &mut out);
    }
    out
}

/// A position in the input; `base` is the offset of `bytes` in the whole input.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Self {
        Cursor { bytes, pos: 0, base }
    }
    fn at(&self) -> usize {
        self.base.saturating_add(self.pos)
    }
    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or(&[])
    }
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }
    fn byte(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos = self.pos.saturating_add(1);
        Some(b)
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }
}

/// Whether `raw` (big-endian, no leading zero bytes) is a tag [`read_tag`] accepts.
const fn well_formed(raw: u32) -> bool {
    let [b0, b1, b2, b3] = raw.to_be_bytes();
    if b0 != 0 {
        false
    } else if b1 != 0 {
        // Three bytes: xF (not FF), 1xxxxxxx (not 80), 0xxxxxxx.
        leads(b1) && b2 & TAG_MORE != 0 && b2 != TAG_MORE && b3 & TAG_MORE == 0
    } else if b2 != 0 {
        // Two bytes: xF (not FF), 0xxxxxxx.
        leads(b2) && b3 & TAG_MORE == 0
    } else {
        !is_padding(b3) && b3 & TAG_NUMBER_FOLLOWS != TAG_NUMBER_FOLLOWS
    }
}

/// A first tag byte announcing subsequent bytes.
const fn leads(b: u8) -> bool {
    b & TAG_NUMBER_FOLLOWS == TAG_NUMBER_FOLLOWS && !is_padding(b)
}

const fn is_padding(b: u8) -> bool {
    b == 0x00 || b == 0xFF
}

fn read_tag(c: &mut Cursor<'_>) -> Result<Tag, TlvError> {
    let at = c.at();
    let first = c.byte().ok_or(TlvError::TruncatedTag { at })?;
    if is_padding(first) {
        return Err(TlvError::Padding { at, byte: first });
    }
    let mut raw = u32::from(first);
    if first & TAG_NUMBER_FOLLOWS != TAG_NUMBER_FOLLOWS {
        return Ok(Tag(raw));
    }
    for index in 1..MAX_TAG_LEN {
        let b = c.byte().ok_or(TlvError::TruncatedTag { at })?;
        if index == 1 && b == TAG_MORE {
            return Err(TlvError::NonMinimalTag { at });
        }
        raw = raw.wrapping_shl(8) | u32::from(b);
        if b & TAG_MORE == 0 {
            return Ok(Tag(raw));
        }
    }
    Err(TlvError::TagTooLong { at })
}

fn read_length(c: &mut Cursor<'_>) -> Result<usize, TlvError> {
    let at = c.at();
    let first = c.byte().ok_or(TlvError::TruncatedLength { at })?;
    if first & LONG_FORM == 0 {
        return Ok(usize::from(first));
    }
    let count = usize::from(first & !LONG_FORM);
    match count {
        0 => return Err(TlvError::IndefiniteLength { at }),
        1..=4 => {}
        _ => return Err(TlvError::UnsupportedLengthForm { at, byte: first }),
    }
    let bytes = c.take(count).ok_or(TlvError::TruncatedLength { at })?;
    let len = bytes.iter().fold(0u64, |n, &b| n.wrapping_shl(8) | u64::from(b));
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if length_field_len(len) != count.saturating_add(1) {
        return Err(TlvError::NonMinimalLength { at, len });
    }
    Ok(len)
}

/// Bytes of the minimal length field for a content length.
fn length_field_len(len: usize) -> usize {
    match len {
        0..=0x7F => 1,
        0x80..=0xFF => 2,
        0x100..=0xFFFF => 3,
        0x1_0000..=0xFF_FFFF => 4,
        _ => 5,
    }
}

fn write_length(len: usize, out: &mut Vec<u8>) {
    let field = length_field_len(len);
    let be = (len.min(MAX_VALUE_LEN) as u64).to_be_bytes();
    if field == 1 {
        out.extend_from_slice(be.get(7..).unwrap_or(&[]));
    } else {
        let count = field.saturating_sub(1);
        out.push(LONG_FORM | count as u8);
        out.extend_from_slice(be.get(8usize.saturating_sub(count)..).unwrap_or(&[]));
    }
}

fn read_tlv(c: &mut Cursor<'_>, depth: usize, opts: &DecodeOptions) -> Result<Tlv, TlvError> {
    let start = c.at();
    let tag = read_tag(c)?;
    let len = read_length(c)?;
    let value_at = c.at();
    let available = c.rest().len();
    let value =
        c.take(len).ok_or(TlvError::TruncatedValue { at: value_at, needed: len, available })?;
    let value = if tag.is_constructed() {
        if depth >= opts.max_depth {
            return Err(TlvError::TooDeep { at: start });
        }
        let depth = depth.saturating_add(1);
        Value::Constructed(read_sequence(&mut Cursor::new(value, value_at), depth, opts)?)
    } else {
        Value::Primitive(value.to_vec())
    };
    Ok(Tlv { tag, value })
}

/// Reads objects until the cursor's bytes are used up (possibly none).
fn read_sequence(
    c: &mut Cursor<'_>,
    depth: usize,
    opts: &DecodeOptions,
) -> Result<Vec<Tlv>, TlvError> {
    let mut objects = Vec::new();
    loop {
        if opts.skip_padding {
            while c.peek().is_some_and(is_padding) {
                c.byte();
            }
        }
        if c.rest().is_empty() {
            return Ok(objects);
        }
        objects.push(read_tlv(c, depth, opts)?);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use hex_literal::hex;

    const OSE_FCI: [u8; 135] = hex!(
        "6f8184500a416e64726f6964506179c0020001c108cc00000000008080c22056d2ec8f857f0049aa54f1ca1de2791b5693a7014e6e4565d5644b1c2a305136c32103dfee38dbdb68a607383ad622640b180cc7e27d796b4e788c40e5d994291c71fca523bf0c20611e4f09a000000476d0000111870101730edf6d020000df4d020001df620103"
    );

    #[test]
    fn ose_fci_round_trips_and_navigates() {
        let fci = Tlv::parse(&OSE_FCI).unwrap();
        assert_eq!(fci.tag(), tags::FCI);
        assert_eq!(fci.encode(), OSE_FCI.to_vec());
        let entry = fci
            .find_path(&[
                tags::FCI_PROPRIETARY,
                tags::FCI_ISSUER_DISCRETIONARY,
                tags::DIRECTORY_ENTRY,
            ])
            .unwrap();
        assert_eq!(entry.find(tags::AID).unwrap().bytes().unwrap(), hex!("a000000476d0000111"));
        let caps = fci.find_recursive(tags::SMART_TAP_CAPABILITIES).unwrap();
        assert_eq!(caps.bytes().unwrap(), [0x03]);
        assert_eq!(fci.find(tags::APPLICATION_LABEL).unwrap().bytes().unwrap(), b"AndroidPay");
    }

    #[test]
    fn tags_are_classified() {
        let t = Tag::new(0xBF0C).unwrap();
        assert_eq!(
            (t.class(), t.is_constructed(), t.number(), t.len()),
            (Class::ContextSpecific, true, 12, 2)
        );
        assert_eq!(Tag::new(0x9F02).unwrap().number(), 2);
        assert_eq!(Tag::new(0x5F20).unwrap().class(), Class::Application);
        assert_eq!(Tag::new(0xDF8101).unwrap().number(), 0x81);
        assert_eq!(Tag::new(0xDF8101).unwrap().to_bytes(), vec![0xDF, 0x81, 0x01]);
        assert_eq!(Tag::new(0x6F).unwrap().to_string(), "6F");
        for bad in [0, 0xFF, 0x1F, 0x9F80, 0xDF8080, 0x9F8181, 0x4F01, 0xFF01, 0x0100_0000] {
            assert_eq!(Tag::new(bad), Err(TlvError::InvalidTag(bad)), "{bad:X}");
        }
    }

    /// `Tag::new` (a bit test) agrees with the decoder on every 1- and 2-byte value and
    /// a sweep of 3-byte values.
    #[test]
    fn tag_validation_agrees_with_decoder() {
        let three = (0x1F_8000..0xFF_FFFF).step_by(97);
        for raw in (1u32..=0xFFFF).chain(three) {
            let bytes = raw.to_be_bytes();
            let start = bytes.iter().position(|&b| b != 0).unwrap();
            let decoded = Tag::from_bytes(&bytes[start..]).ok().map(Tag::raw);
            assert_eq!(Tag::new(raw).ok().map(Tag::raw), decoded, "{raw:X}");
        }
    }

    #[test]
    fn long_form_lengths_are_minimal() {
        let v = vec![0xAB; 200];
        let t = Tlv::primitive(Tag::new(0xC2).unwrap(), v.clone()).unwrap();
        let enc = t.encode();
        assert_eq!(&enc[..3], &[0xC2, 0x81, 200]);
        assert_eq!(Tlv::parse(&enc).unwrap(), t);
        let big = Tlv::primitive(Tag::new(0x04).unwrap(), vec![1; 300]).unwrap().encode();
        assert_eq!(&big[..4], &[0x04, 0x82, 0x01, 0x2C]);
        assert_eq!(
            Tlv::parse(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]),
            Err(TlvError::NonMinimalLength { at: 1, len: 5 })
        );
        assert_eq!(
            Tlv::parse(&[0x04, 0x82, 0x00, 0x81]),
            Err(TlvError::NonMinimalLength { at: 1, len: 0x81 })
        );
    }

    #[test]
    fn strict_errors_carry_offsets() {
        assert_eq!(parse_all(&[]), Err(TlvError::Empty));
        assert_eq!(Tlv::parse(&[0x6F, 0x80, 0, 0]), Err(TlvError::IndefiniteLength { at: 1 }));
        assert_eq!(
            Tlv::parse(&[0x6F, 0x85, 0, 0, 0, 0, 1]),
            Err(TlvError::UnsupportedLengthForm { at: 1, byte: 0x85 })
        );
        assert_eq!(Tlv::parse(&[0x6F, 0x82, 0x01]), Err(TlvError::TruncatedLength { at: 1 }));
        assert_eq!(
            Tlv::parse(&[0x50, 0x03, 1, 2]),
            Err(TlvError::TruncatedValue { at: 2, needed: 3, available: 2 })
        );
        assert_eq!(
            Tlv::parse(&[0x50, 0x01, 1, 2]),
            Err(TlvError::TrailingBytes { at: 3, count: 1 })
        );
        assert_eq!(Tlv::parse(&[0x9F]), Err(TlvError::TruncatedTag { at: 0 }));
        assert_eq!(Tlv::parse(&[0x9F, 0x80, 0x01, 0x00]), Err(TlvError::NonMinimalTag { at: 0 }));
        assert_eq!(
            Tlv::parse(&[0x9F, 0x81, 0x81, 0x01, 0x00]),
            Err(TlvError::TagTooLong { at: 0 })
        );
        // A truncated child inside a constructed value reports the absolute offset.
        assert_eq!(
            Tlv::parse(&[0x6F, 0x03, 0x50, 0x05, 0x00]),
            Err(TlvError::TruncatedValue { at: 4, needed: 5, available: 1 })
        );
        assert_eq!(parse_all(&[0x50, 0x00, 0x00]), Err(TlvError::Padding { at: 2, byte: 0 }));
    }

    #[test]
    fn padding_is_skipped_only_when_asked() {
        let bytes = [0x00, 0x50, 0x01, 0x41, 0xFF, 0xFF, 0x87, 0x01, 0x01, 0x00];
        assert!(parse_all(&bytes).is_err());
        let opts = DecodeOptions { skip_padding: true, ..DecodeOptions::default() };
        let objects = parse_all_with(&bytes, &opts).unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(encode_all(&objects), hex!("500141870101"));
    }

    #[test]
    fn depth_is_capped() {
        let mut t = Tlv::primitive(tags::AID, vec![1]).unwrap();
        for _ in 0..MAX_DEPTH {
            t = Tlv::constructed(tags::DISCRETIONARY_TEMPLATE, vec![t]).unwrap();
        }
        assert!(Tlv::parse(&t.encode()).is_ok());
        let deeper = Tlv::constructed(tags::DISCRETIONARY_TEMPLATE, vec![t]).unwrap();
        assert!(matches!(Tlv::parse(&deeper.encode()), Err(TlvError::TooDeep { .. })));
        // A constructed value that is not a TLV sequence is an error, not bytes.
        assert!(Tlv::parse(&[0x6F, 0x02, 0x00, 0x00]).is_err());
    }

    #[test]
    fn kinds_must_match_tags() {
        assert!(matches!(Tlv::primitive(tags::FCI, vec![]), Err(TlvError::KindMismatch { .. })));
        assert!(matches!(Tlv::constructed(tags::AID, vec![]), Err(TlvError::KindMismatch { .. })));
    }

    #[test]
    fn dol_round_trips() {
        let pdol = hex!("9f66049f02069f37049a035f2a02");
        let entries = parse_dol(&pdol).unwrap();
        assert_eq!(entries[0], (Tag::new(0x9F66).unwrap(), 4));
        assert_eq!(entries.len(), 5);
        assert_eq!(encode_dol(&entries), pdol.to_vec());
        assert!(parse_dol(&hex!("9f66")).is_err());
    }
}

//! NFC Forum NDEF 1.0 messages and records, strict on read and byte-exact on write.
//!
//! Written here (the `ndef` crate is GPL-3.0, `ndef-rs` returns `anyhow` and cannot
//! re-encode byte-exact): Smart Tap nests complete NDEF messages inside payloads
//! (smart-tap spec §4.1), so a record keeps the length form it arrived in (`SR` or
//! 4-byte) and chunk flags, and `encode(parse(b)) == b` for every accepted input.
//!
//! Strictness: MB on the first record only, ME on the last only, nothing after ME,
//! exact lengths, no IL flag with an empty ID, chunk sequences per NDEF §3.2.3 (a `CF` record followed by `TNF 6`
//! records with no type and no ID), TNF constraints per §3.2.6, and a nesting cap for
//! callers that descend into payloads ([`MAX_DEPTH`]).
//!
//! Writing: [`Message::encode`] is infallible for records whose type and ID fit the
//! one-byte length fields (everything parsed or built by this crate's constructors with
//! short names); [`Message::try_encode`] checks every field and the result instead.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

/// Header flag: message begin.
pub const MB: u8 = 0x80;
/// Header flag: message end.
pub const ME: u8 = 0x40;
/// Header flag: chunked record.
pub const CF: u8 = 0x20;
/// Header flag: short record (1-byte payload length).
pub const SR: u8 = 0x10;
/// Header flag: ID length present.
pub const IL: u8 = 0x08;
/// Deepest nesting of messages inside payloads a reader descends into.
pub const MAX_DEPTH: usize = 8;
/// Largest payload accepted (an HCE APDU never carries more than 64 KiB).
pub const MAX_PAYLOAD: usize = 1 << 20;
/// Longest type or ID (their length fields are one byte).
pub const MAX_NAME_LEN: usize = 255;
/// Largest payload the short-record (SR) form can carry.
const MAX_SHORT_PAYLOAD: usize = 255;

/// Type Name Format (NDEF §3.2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Tnf {
    Empty = 0,
    WellKnown = 1,
    Media = 2,
    AbsoluteUri = 3,
    External = 4,
    Unknown = 5,
    Unchanged = 6,
    Reserved = 7,
}

impl Tnf {
    pub const fn from_bits(b: u8) -> Tnf {
        match b & 0x07 {
            0 => Tnf::Empty,
            1 => Tnf::WellKnown,
            2 => Tnf::Media,
            3 => Tnf::AbsoluteUri,
            4 => Tnf::External,
            5 => Tnf::Unknown,
            6 => Tnf::Unchanged,
            _ => Tnf::Reserved,
        }
    }
}

/// Why bytes are not a well-formed NDEF message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NdefError {
    #[error("empty NDEF message")]
    Empty,
    #[error("record {record} truncated: {field} needs {needed} bytes, {available} left")]
    Truncated { record: usize, field: &'static str, needed: usize, available: usize },
    #[error("first record lacks the MB flag")]
    MissingBegin,
    #[error("record {0} sets MB but is not the first record")]
    UnexpectedBegin(usize),
    #[error("last record lacks the ME flag")]
    MissingEnd,
    #[error("{0} bytes follow the record that sets ME")]
    TrailingBytes(usize),
    #[error("record {record}: {reason}")]
    BadChunk { record: usize, reason: &'static str },
    #[error("record {record}: TNF {tnf:?} {reason}")]
    BadTnf { record: usize, tnf: Tnf, reason: &'static str },
    #[error("record {record}: payload of {len} bytes exceeds the {max}-byte cap")]
    PayloadTooLarge { record: usize, len: usize, max: usize },
    #[error("messages nested deeper than {MAX_DEPTH}")]
    TooDeep,
    #[error("record {0}: IL flag with an ID length of 0 (writers omit IL for an empty ID)")]
    EmptyId(usize),
    #[error("record {record}: {field} of {len} bytes exceeds the {max}-byte limit")]
    FieldTooLong { record: usize, field: &'static str, len: usize, max: usize },
}

/// One NDEF record as it appears on the wire.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Record {
    pub tnf: Tnf,
    pub record_type: Vec<u8>,
    pub id: Vec<u8>,
    pub payload: Vec<u8>,
    /// Encoded with the SR (1-byte length) form. Constructors set it whenever the
    /// payload is shorter than 256 bytes (spec §4.1 writing rule).
    pub short: bool,
    /// CF flag: this record is a chunk that continues in the next record.
    pub chunked: bool,
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Record({:?}, type {:?}, id {:?}, {} payload bytes)",
            self.tnf,
            String::from_utf8_lossy(&self.record_type),
            String::from_utf8_lossy(&self.id),
            self.payload.len()
        )
    }
}

impl Record {
    /// A record with the given fields, SR chosen by payload size, not chunked.
    pub fn new(tnf: Tnf, record_type: &[u8], id: &[u8], payload: Vec<u8>) -> Record {
        let short = payload.len() < 256;
        Record {
            tnf,
            record_type: record_type.to_vec(),
            id: id.to_vec(),
            payload,
            short,
            chunked: false,
        }
    }
    /// NFC Forum external type (TNF 4) with no ID: how Smart Tap names most records.
    pub fn external(record_type: &[u8], payload: Vec<u8>) -> Record {
        Record::new(Tnf::External, record_type, &[], payload)
    }
    /// Well-known type (TNF 1), e.g. `T` text with an ID naming the field.
    pub fn well_known(record_type: &[u8], id: &[u8], payload: Vec<u8>) -> Record {
        Record::new(Tnf::WellKnown, record_type, id, payload)
    }
    /// An external record whose payload is a nested message, optionally after a prefix
    /// (the 2-byte version of `ngr`/`srq`/`spr`, smart-tap spec §4.4).
    pub fn container(record_type: &[u8], prefix: &[u8], inner: &Message) -> Record {
        let mut payload = prefix.to_vec();
        inner.encode_into(&mut payload);
        Record::external(record_type, payload)
    }

    /// Parses `self.payload[offset..]` as a nested message one level below `depth`.
    pub fn nested(&self, offset: usize, depth: usize) -> Result<Message, NdefError> {
        let inner = self.payload.get(offset..).unwrap_or(&[]);
        Message::parse_at_depth(inner, depth.saturating_add(1))
    }

    fn encoded_len(&self) -> usize {
        let len_field = if self.uses_short_form() { 1 } else { 4 };
        let il = usize::from(!self.id.is_empty());
        [len_field, il, self.record_type.len(), self.id.len(), self.payload.len()]
            .iter()
            .fold(2usize, |sum, n| sum.saturating_add(*n))
    }

    fn uses_short_form(&self) -> bool {
        self.short && self.payload.len() <= MAX_SHORT_PAYLOAD
    }

    /// Checks that every field fits its length field and the payload cap.
    fn check_lengths(&self, record: usize) -> Result<(), NdefError> {
        let fields = [
            ("type", self.record_type.len(), MAX_NAME_LEN),
            ("ID", self.id.len(), MAX_NAME_LEN),
            ("payload", self.payload.len(), MAX_PAYLOAD),
        ];
        for (field, len, max) in fields {
            if len > max {
                return Err(NdefError::FieldTooLong { record, field, len, max });
            }
        }
        Ok(())
    }

    /// Writes the record. A type or ID longer than 255 bytes is cut to 255 (and a payload
    /// longer than 4 GiB to 4 GiB) so that the output stays well-formed; callers that
    /// may build such records use [`Message::try_encode`], which refuses them.
    fn encode_into(&self, out: &mut Vec<u8>, mb: bool, me: bool) {
        let short = self.uses_short_form();
        let mut header = self.tnf as u8;
        if mb {
            header |= MB;
        }
        if me {
            header |= ME;
        }
        if self.chunked {
            header |= CF;
        }
        if short {
            header |= SR;
        }
        if !self.id.is_empty() {
            header |= IL;
        }
        out.push(header);
        let record_type = clip(&self.record_type, MAX_NAME_LEN);
        let id = clip(&self.id, MAX_NAME_LEN);
        let payload = clip(&self.payload, u32::MAX as usize);
        out.push(u8::try_from(record_type.len()).unwrap_or(u8::MAX));
        if short {
            out.push(u8::try_from(payload.len()).unwrap_or(u8::MAX));
        } else {
            out.extend_from_slice(&u32::try_from(payload.len()).unwrap_or(u32::MAX).to_be_bytes());
        }
        if !id.is_empty() {
            out.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
        }
        out.extend_from_slice(record_type);
        out.extend_from_slice(id);
        out.extend_from_slice(payload);
    }
}

/// The first `max` bytes of `bytes`.
fn clip(bytes: &[u8], max: usize) -> &[u8] {
    bytes.get(..max).unwrap_or(bytes)
}

/// An NDEF message: one or more records, MB on the first and ME on the last.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Message {
    pub records: Vec<Record>,
}

impl Message {
    pub fn new(records: Vec<Record>) -> Message {
        Message { records }
    }

    /// Parses a complete top-level message (no trailing bytes).
    pub fn parse(bytes: &[u8]) -> Result<Message, NdefError> {
        Message::parse_at_depth(bytes, 0)
    }

    /// Parses a message found at nesting level `depth` (0 = top level).
    pub fn parse_at_depth(bytes: &[u8], depth: usize) -> Result<Message, NdefError> {
        if depth > MAX_DEPTH {
            return Err(NdefError::TooDeep);
        }
        if bytes.is_empty() {
            return Err(NdefError::Empty);
        }
        let mut records = Vec::new();
        let mut rest = bytes;
        let mut in_chunk = false;
        loop {
            let index = records.len();
            let (header, record, after) = parse_record(rest, index)?;
            let tnf = record.tnf;
            if index == 0 && header & MB == 0 {
                return Err(NdefError::MissingBegin);
            }
            if index > 0 && header & MB != 0 {
                return Err(NdefError::UnexpectedBegin(index));
            }
            // Chunk sequence rules (NDEF §3.2.3, §3.3.3).
            if in_chunk {
                if tnf != Tnf::Unchanged || !record.record_type.is_empty() || !record.id.is_empty()
                {
                    return Err(NdefError::BadChunk {
                        record: index,
                        reason: "middle or last chunk must be TNF 6 with no type and no ID",
                    });
                }
            } else if tnf == Tnf::Unchanged {
                return Err(NdefError::BadTnf {
                    record: index,
                    tnf,
                    reason: "outside a chunk sequence",
                });
            }
            if record.chunked && header & ME != 0 {
                return Err(NdefError::BadChunk {
                    record: index,
                    reason: "chunked record cannot end the message",
                });
            }
            in_chunk = record.chunked;
            records.push(record);
            rest = after;
            if header & ME != 0 {
                if !rest.is_empty() {
                    return Err(NdefError::TrailingBytes(rest.len()));
                }
                return Ok(Message { records });
            }
            if rest.is_empty() {
                return Err(NdefError::MissingEnd);
            }
        }
    }

    /// Serialises with MB on the first and ME on the last record (an empty message
    /// encodes to no bytes, which [`Message::parse`] rejects).
    pub fn encode(&self) -> Vec<u8> {
        let len = self.records.iter().map(Record::encoded_len).fold(0usize, usize::saturating_add);
        let mut out = Vec::with_capacity(len);
        self.encode_into(&mut out);
        out
    }

    /// Like [`Message::encode`], but refuses what the strict parser would refuse: an
    /// empty message, a type or ID over 255 bytes, a payload over [`MAX_PAYLOAD`], and
    /// records breaking the TNF or chunk rules. `Ok(b)` guarantees `parse(b)` succeeds.
    pub fn try_encode(&self) -> Result<Vec<u8>, NdefError> {
        for (index, record) in self.records.iter().enumerate() {
            record.check_lengths(index)?;
        }
        let out = self.encode();
        Message::parse(&out)?;
        Ok(out)
    }

    /// Appends the encoding to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let last = self.records.len().saturating_sub(1);
        for (i, r) in self.records.iter().enumerate() {
            r.encode_into(out, i == 0, i == last);
        }
    }

    /// Whether any record is chunked (Smart Tap rejects these, spec §4.1).
    pub fn has_chunks(&self) -> bool {
        self.records.iter().any(|r| r.chunked || r.tnf == Tnf::Unchanged)
    }
}

/// Reads one record; returns its header byte, the record and the bytes after it.
fn parse_record(bytes: &[u8], index: usize) -> Result<(u8, Record, &[u8]), NdefError> {
    let mut r = Reader { bytes, record: index };
    let header = r.byte("header")?;
    let tnf = Tnf::from_bits(header);
    let type_len = usize::from(r.byte("type length")?);
    let payload_len = if header & SR != 0 {
        usize::from(r.byte("payload length")?)
    } else {
        let b = r.take(4, "payload length")?;
        let mut be = [0u8; 4];
        be.copy_from_slice(b);
        usize::try_from(u32::from_be_bytes(be)).unwrap_or(usize::MAX)
    };
    if payload_len > MAX_PAYLOAD {
        return Err(NdefError::PayloadTooLarge {
            record: index,
            len: payload_len,
            max: MAX_PAYLOAD,
        });
    }
    let id_len = if header & IL != 0 { usize::from(r.byte("ID length")?) } else { 0 };
    // An empty ID announced by IL could not be re-encoded byte-exact: the record would
    // come back without IL. Android and every Smart Tap trace omit IL then.
    if header & IL != 0 && id_len == 0 {
        return Err(NdefError::EmptyId(index));
    }
    let record_type = r.take(type_len, "type")?.to_vec();
    let id = r.take(id_len, "ID")?.to_vec();
    let payload = r.take(payload_len, "payload")?.to_vec();
    // TNF constraints (NDEF §3.2.6).
    let bad = |reason| Err(NdefError::BadTnf { record: index, tnf, reason });
    match tnf {
        Tnf::Empty if type_len != 0 || id_len != 0 || payload_len != 0 => {
            return bad("must have no type, ID or payload")
        }
        Tnf::Unknown | Tnf::Unchanged if type_len != 0 => return bad("must have no type"),
        Tnf::WellKnown | Tnf::Media | Tnf::AbsoluteUri | Tnf::External if type_len == 0 => {
            return bad("requires a type")
        }
        Tnf::Reserved => return bad("is reserved"),
        _ => {}
    }
    let record = Record {
        tnf,
        record_type,
        id,
        payload,
        short: header & SR != 0,
        chunked: header & CF != 0,
    };
    Ok((header, record, r.bytes))
}

struct Reader<'a> {
    bytes: &'a [u8],
    record: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], NdefError> {
        if n > self.bytes.len() {
            return Err(NdefError::Truncated {
                record: self.record,
                field,
                needed: n,
                available: self.bytes.len(),
            });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }
    fn byte(&mut self, field: &'static str) -> Result<u8, NdefError> {
        self.take(1, field).map(|b| b.first().copied().unwrap_or(0))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn mdn_record_round_trips() {
        let bytes = hex!("dc0321036d646e6d646e0456d2ec8f857f0049aa54f1ca1de2791b5693a7014e6e4565d5644b1c2a305136");
        let m = Message::parse(&bytes).unwrap();
        assert_eq!(m.records.len(), 1);
        assert_eq!(m.records[0].record_type, b"mdn");
        assert_eq!(m.records[0].id, b"mdn");
        assert_eq!(m.encode(), bytes.to_vec());
    }

    #[test]
    fn long_form_is_kept() {
        let mut bytes = vec![MB | ME | 0x04, 1, 0, 0, 0, 2, b'x', 7, 8];
        let m = Message::parse(&bytes).unwrap();
        assert!(!m.records[0].short);
        assert_eq!(m.encode(), bytes);
        bytes.push(0);
        assert_eq!(Message::parse(&bytes), Err(NdefError::TrailingBytes(1)));
    }

    #[test]
    fn strict_flags() {
        assert_eq!(Message::parse(&[]), Err(NdefError::Empty));
        assert_eq!(Message::parse(&[0x54, 1, 0, b'x']), Err(NdefError::MissingBegin));
        assert_eq!(Message::parse(&[0x94, 1, 0, b'x']), Err(NdefError::MissingEnd));
        assert_eq!(
            Message::parse(&[0x94, 1, 0, b'x', 0xD4, 1, 0, b'y']),
            Err(NdefError::UnexpectedBegin(1))
        );
        assert!(matches!(Message::parse(&[0xD4, 1, 5, b'x']), Err(NdefError::Truncated { .. })));
        assert!(matches!(Message::parse(&[0xD4, 0, 0]), Err(NdefError::BadTnf { .. })));
        // Found by fuzzing: IL with an empty ID does not survive re-encoding.
        assert_eq!(Message::parse(&[0xDA, 1, 1, 0, 0, 0x18]), Err(NdefError::EmptyId(0)));
    }

    #[test]
    fn chunks_round_trip_and_validate() {
        let bytes = [0xB4, 1, 1, b'x', 1, 0x56, 0, 1, 2];
        let m = Message::parse(&bytes).unwrap();
        assert!(m.has_chunks());
        assert_eq!(m.encode(), bytes.to_vec());
        assert!(matches!(Message::parse(&[0xF4, 1, 1, b'x', 1]), Err(NdefError::BadChunk { .. })));
        assert!(matches!(
            Message::parse(&[0xB4, 1, 1, b'x', 1, 0x54, 1, 1, b'y', 2]),
            Err(NdefError::BadChunk { .. })
        ));
    }

    #[test]
    fn try_encode_refuses_what_parse_refuses() {
        let long = Message::new(vec![Record::external(&[b'x'; 256], vec![])]);
        assert!(matches!(long.try_encode(), Err(NdefError::FieldTooLong { field: "type", .. })));
        // `encode` still writes well-formed bytes (the type cut to 255).
        let parsed = Message::parse(&long.encode()).unwrap();
        assert_eq!(parsed.records[0].record_type.len(), 255);
        assert_eq!(Message::default().try_encode(), Err(NdefError::Empty));
        let bad_tnf = Message::new(vec![Record::new(Tnf::Empty, b"", b"", vec![1])]);
        assert!(matches!(bad_tnf.try_encode(), Err(NdefError::BadTnf { .. })));
        let ok = Message::new(vec![Record::well_known(b"T", b"n", b"\x002018".to_vec())]);
        assert_eq!(ok.try_encode().unwrap(), ok.encode());
    }

    #[test]
    fn depth_cap() {
        let mut m = Message::new(vec![Record::external(b"x", vec![])]);
        for _ in 0..=MAX_DEPTH + 1 {
            m = Message::new(vec![Record::container(b"c", &[], &m)]);
        }
        let mut rec = m.records[0].clone();
        let mut depth = 0;
        let err = loop {
            match rec.nested(0, depth) {
                Ok(inner) => {
                    rec = inner.records[0].clone();
                    depth += 1;
                }
                Err(e) => break e,
            }
        };
        assert_eq!(err, NdefError::TooDeep);
    }
}

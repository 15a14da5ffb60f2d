//! Round-trip laws of the codecs (proptest): build → encode → parse → equal, and for
//! arbitrary bytes, whatever the strict parsers accept re-encodes to the same bytes.

use hce_wallet_core::apdu::{Command, LengthForm, Response, StatusWord};
use hce_wallet_core::ber_tlv::{self, DecodeOptions, Tag, Tlv, TlvError, Value};
use hce_wallet_core::ndef::{self, Message, Record, Tnf};
use proptest::prelude::*;

// ---------------------------------------------------------------- APDU

/// A command in its normal form: case 1 is always `Short` (it has one encoding), Ne fits
/// the form, the data field fits Lc.
fn command() -> impl Strategy<Value = (u8, u8, u8, u8, Vec<u8>, Option<usize>, LengthForm)> {
    let header = any::<[u8; 4]>();
    let short = (
        prop::collection::vec(any::<u8>(), 0..=255),
        prop::option::of(1usize..=256),
        Just(LengthForm::Short),
    );
    let extended = (
        prop::collection::vec(any::<u8>(), 0..=700),
        prop::option::of(prop_oneof![1usize..=65536, Just(65536), Just(256)]),
        Just(LengthForm::Extended),
    );
    (header, prop_oneof![short, extended]).prop_map(|([cla, ins, p1, p2], (data, le, form))| {
        let form = if data.is_empty() && le.is_none() { LengthForm::Short } else { form };
        (cla, ins, p1, p2, data, le, form)
    })
}

proptest! {
    #[test]
    fn apdu_build_encode_parse((cla, ins, p1, p2, data, le, form) in command()) {
        let cmd = Command { cla, ins, p1, p2, data: &data, le, form };
        let bytes = cmd.encode().unwrap();
        prop_assert_eq!(Command::parse(&bytes).unwrap(), cmd);
    }

    #[test]
    fn apdu_parse_encode_is_identity(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(cmd) = Command::parse(&bytes) {
            prop_assert_eq!(cmd.encode().unwrap(), bytes);
        }
    }

    /// Header + a consistent short Lc: always parses (cases 3 and 4 short).
    #[test]
    fn apdu_short_case_4_parses(header in any::<[u8; 4]>(),
                                data in prop::collection::vec(any::<u8>(), 1..=255),
                                le in any::<u8>()) {
        let mut bytes = header.to_vec();
        bytes.push(data.len() as u8);
        bytes.extend_from_slice(&data);
        bytes.push(le);
        let cmd = Command::parse(&bytes).unwrap();
        prop_assert_eq!(cmd.data, &data[..]);
        prop_assert_eq!(cmd.le, Some(if le == 0 { 256 } else { usize::from(le) }));
        prop_assert_eq!(cmd.encode().unwrap(), bytes);
    }

    #[test]
    fn response_round_trips(data in prop::collection::vec(any::<u8>(), 0..300), sw in any::<u16>()) {
        let r = Response::new(data, StatusWord(sw));
        prop_assert_eq!(Response::parse(&r.to_bytes()).unwrap(), r);
    }
}

// ---------------------------------------------------------------- NDEF

fn name(min: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), min..=12)
}

/// A record that is not part of a chunk sequence; payloads may be nested messages.
fn record(payload: BoxedStrategy<Vec<u8>>) -> impl Strategy<Value = Record> {
    let typed = prop_oneof![
        Just(Tnf::WellKnown),
        Just(Tnf::Media),
        Just(Tnf::AbsoluteUri),
        Just(Tnf::External)
    ];
    prop_oneof![
        4 => (typed, name(1), name(0), payload.clone(), any::<bool>()).prop_map(|(tnf, t, id, p, long)| {
            let mut r = Record::new(tnf, &t, &id, p);
            // Either length form for small payloads; the long form is forced above 255.
            r.short = r.payload.len() < 256 && !long;
            r
        }),
        1 => (name(0), payload).prop_map(|(id, p)| Record::new(Tnf::Unknown, b"", &id, p)),
        1 => Just(Record::new(Tnf::Empty, b"", b"", Vec::new())),
    ]
}

fn payload_leaf() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..40),
        1 => prop::collection::vec(any::<u8>(), 250..300),
    ]
    .boxed()
}

/// A message of plain records and chunk sequences (a first `CF` record, middle chunks,
/// a last chunk of TNF 6 with no type and no ID).
fn message(payload: BoxedStrategy<Vec<u8>>) -> impl Strategy<Value = Message> {
    let chunk_part = prop::collection::vec(any::<u8>(), 0..20);
    let unit = prop_oneof![
        4 => record(payload.clone()).prop_map(|r| vec![r]),
        1 => (record(payload), prop::collection::vec(chunk_part, 1..4)).prop_filter_map(
            "chunk sequences start with a typed record",
            |(mut first, parts)| {
                if matches!(first.tnf, Tnf::Empty) {
                    return None;
                }
                first.chunked = true;
                let last = parts.len() - 1;
                let mut seq = vec![first];
                for (i, p) in parts.into_iter().enumerate() {
                    let mut r = Record::new(Tnf::Unchanged, b"", b"", p);
                    r.chunked = i != last;
                    seq.push(r);
                }
                Some(seq)
            }
        ),
    ];
    prop::collection::vec(unit, 1..5).prop_map(|units| Message::new(units.concat()))
}

/// Messages whose payloads are, recursively, messages (with a 0–2 byte prefix).
fn nested_message() -> impl Strategy<Value = Message> {
    let leaf = message(payload_leaf()).boxed();
    leaf.prop_recursive(3, 40, 4, |inner| {
        let nested = (inner, prop::collection::vec(any::<u8>(), 0..=2))
            .prop_map(|(m, prefix)| [prefix, m.encode()].concat())
            .boxed();
        message(prop_oneof![payload_leaf(), nested].boxed())
    })
}

proptest! {
    #[test]
    fn ndef_build_encode_parse(m in nested_message()) {
        let bytes = m.try_encode().unwrap();
        prop_assert_eq!(&bytes, &m.encode());
        prop_assert_eq!(Message::parse(&bytes).unwrap(), m);
    }

    /// A container record's nested message survives the outer round trip.
    #[test]
    fn ndef_nested_round_trips(inner in message(payload_leaf()), prefix in prop::collection::vec(any::<u8>(), 0..=2)) {
        let outer = Message::new(vec![Record::container(b"ngr", &prefix, &inner)]);
        let parsed = Message::parse(&outer.encode()).unwrap();
        prop_assert_eq!(parsed.records[0].nested(prefix.len(), 0).unwrap(), inner);
    }

    #[test]
    fn ndef_parse_encode_is_identity(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(m) = Message::parse(&bytes) {
            prop_assert_eq!(m.encode(), bytes);
        }
    }

    /// Mutating one byte of a valid message never panics and, if still accepted,
    /// still round-trips.
    #[test]
    fn ndef_mutations_stay_exact(m in message(payload_leaf()), at in any::<prop::sample::Index>(), b in any::<u8>()) {
        let mut bytes = m.encode();
        let i = at.index(bytes.len());
        bytes[i] = b;
        if let Ok(m) = Message::parse(&bytes) {
            prop_assert_eq!(m.encode(), bytes);
        }
    }
}

#[test]
fn ndef_depth_cap_holds_for_generated_nesting() {
    let mut m = Message::new(vec![Record::external(b"x", vec![1])]);
    for _ in 0..ndef::MAX_DEPTH + 2 {
        m = Message::new(vec![Record::container(b"c", &[], &m)]);
    }
    let mut depth = 0;
    let mut current = Message::parse(&m.encode()).unwrap();
    let err = loop {
        match current.records[0].nested(0, depth) {
            Ok(inner) => {
                current = inner;
                depth += 1;
            }
            Err(e) => break e,
        }
    };
    assert_eq!(err, ndef::NdefError::TooDeep);
    assert_eq!(depth, ndef::MAX_DEPTH);
}

// ---------------------------------------------------------------- BER-TLV

/// Any well-formed tag of one to three bytes with the requested constructed bit.
fn tag(constructed: bool) -> impl Strategy<Value = Tag> {
    let cbit = if constructed { 0x20u32 } else { 0 };
    let class = 0u32..4;
    prop_oneof![
        (class.clone(), 0u32..=30)
            .prop_filter_map("00 is padding", move |(c, n)| { Tag::new(c << 6 | cbit | n).ok() }),
        (class.clone(), 0u32..=0x7F).prop_filter_map("FF is padding", move |(c, n)| {
            Tag::new((c << 6 | cbit | 0x1F) << 8 | n).ok()
        }),
        (class, 0x81u32..=0xFF, 0u32..=0x7F).prop_filter_map("FF is padding", move |(c, a, b)| {
            Tag::new(((c << 6 | cbit | 0x1F) << 8 | a) << 8 | b).ok()
        }),
    ]
}

fn tlv() -> impl Strategy<Value = Tlv> {
    let leaf = (
        tag(false),
        prop_oneof![
            6 => prop::collection::vec(any::<u8>(), 0..140),
            1 => prop::collection::vec(any::<u8>(), 250..300),
        ],
    )
        .prop_map(|(t, v)| Tlv::primitive(t, v).unwrap());
    leaf.prop_recursive(6, 64, 5, |inner| {
        (tag(true), prop::collection::vec(inner, 0..5))
            .prop_map(|(t, children)| Tlv::constructed(t, children).unwrap())
    })
}

proptest! {
    #[test]
    fn tlv_build_encode_parse(t in tlv()) {
        let bytes = t.encode();
        prop_assert_eq!(Some(bytes.len()), t.encoded_len());
        prop_assert_eq!(Tlv::parse(&bytes).unwrap(), t);
    }

    #[test]
    fn tlv_sequences_round_trip(ts in prop::collection::vec(tlv(), 1..4)) {
        let bytes = ber_tlv::encode_all(&ts);
        prop_assert_eq!(ber_tlv::parse_all(&bytes).unwrap(), ts);
    }

    /// Deterministic encoding: every accepted input is the canonical encoding of its tree.
    #[test]
    fn tlv_parse_encode_is_identity(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(ts) = ber_tlv::parse_all(&bytes) {
            prop_assert_eq!(ber_tlv::encode_all(&ts), bytes);
        }
    }

    /// The same object with its length field one byte longer than needed is refused.
    #[test]
    fn tlv_non_minimal_length_is_refused(t in tag(false), v in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut bytes = t.to_bytes();
        // One byte more than the minimal form: 81 for short lengths, 82 00 xx, 83 00 xx xx.
        let len = v.len();
        match len {
            0..=0x7F => bytes.extend_from_slice(&[0x81, len as u8]),
            0x80..=0xFF => bytes.extend_from_slice(&[0x82, 0, len as u8]),
            _ => bytes.extend_from_slice(&[0x83, 0, (len >> 8) as u8, len as u8]),
        }
        bytes.extend_from_slice(&v);
        let refused = matches!(Tlv::parse(&bytes), Err(TlvError::NonMinimalLength { .. }));
        prop_assert!(refused);
    }

    /// Padding between objects is refused strictly and skipped on request.
    #[test]
    fn tlv_padding_is_optional(ts in prop::collection::vec(tlv(), 1..4), pad in prop::sample::select(vec![0x00u8, 0xFF])) {
        let mut bytes = Vec::new();
        for t in &ts {
            bytes.push(pad);
            t.encode_into(&mut bytes);
        }
        prop_assert!(ber_tlv::parse_all(&bytes).is_err());
        let opts = DecodeOptions { skip_padding: true, ..DecodeOptions::default() };
        prop_assert_eq!(ber_tlv::parse_all_with(&bytes, &opts).unwrap(), ts);
    }

    #[test]
    fn dol_round_trips(entries in prop::collection::vec((tag(false), 0usize..300), 0..8)) {
        let bytes = ber_tlv::encode_dol(&entries);
        prop_assert_eq!(ber_tlv::parse_dol(&bytes).unwrap(), entries);
    }

    /// A constructed value is always decoded into children, so `Value` matches the tag.
    #[test]
    fn tlv_kind_follows_tag(t in tlv()) {
        fn check(t: &Tlv) -> bool {
            matches!(t.value(), Value::Constructed(_)) == t.tag().is_constructed()
                && t.children().iter().all(check)
        }
        prop_assert!(check(&Tlv::parse(&t.encode()).unwrap()));
    }
}

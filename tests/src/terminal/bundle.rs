//! The decrypted service-object bundle (smart-tap spec §7.2–7.3): `NDEF[asv…]`, each `asv`
//! holding an `i` issuer record and one object record (`ly`, `of`, `gc`, …, or `cus`).
//!
//! Read the way both public readers read it (§13 item 6, §13a): the object record is found
//! by type, the redemption value is the payload of the record whose ID (else type) is `n`,
//! minus its first byte. Stricter than they are: the plaintext must be exactly one message,
//! every `asv` needs an `i` of at least two bytes, every pass object an `n` whose value is
//! ASCII (`smartTapRedemptionValue` is ASCII-only), `oid` must be `04` + 8 bytes.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use hce_wallet_core::ndef::Message;
use zeroize::Zeroizing;

use super::response::{binary_value, find, named, parse_message, ResponseError};

/// Object record names inside `asv` (§7.2) with what they are.
const OBJECT_KINDS: [(&[u8], ObjectKind); 10] = [
    (b"ly", ObjectKind::Loyalty),
    (b"of", ObjectKind::Offer),
    (b"gc", ObjectKind::GiftCard),
    (b"et", ObjectKind::EventTicket),
    (b"fl", ObjectKind::Flight),
    (b"tr", ObjectKind::Transit),
    (b"gr", ObjectKind::Generic),
    (b"gp", ObjectKind::GenericPrivate),
    (b"pl", ObjectKind::PrivateLabel),
    (b"cus", ObjectKind::Customer),
];

/// What an `asv` carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    Loyalty,
    Offer,
    GiftCard,
    EventTicket,
    Flight,
    Transit,
    Generic,
    GenericPrivate,
    PrivateLabel,
    Customer,
}

impl ObjectKind {
    /// Its record type (`ly`, `of`, …).
    pub fn record_name(self) -> &'static str {
        OBJECT_KINDS
            .iter()
            .find(|(_, k)| *k == self)
            .and_then(|(n, _)| std::str::from_utf8(n).ok())
            .unwrap_or("?")
    }
}

/// The `i` record: issuer type (`01` merchant, `02` wallet, …) and issuer ID bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issuer {
    pub issuer_type: u8,
    pub id: Vec<u8>,
}

impl Issuer {
    /// The ID as a big-endian number when it fits 8 bytes (this library sends 8, §7.3).
    pub fn id_u64(&self) -> Option<u64> {
        if self.id.len() > 8 {
            return None;
        }
        Some(self.id.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }
}

/// One decrypted service object.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceObject {
    pub issuer: Issuer,
    pub kind: ObjectKind,
    /// `oid` value (8 bytes), when present.
    pub object_ref: Option<[u8; 8]>,
    /// `smartTapRedemptionValue` (`n`), for pass objects.
    pub redemption_value: Option<Zeroizing<String>>,
    /// `cid` value, for the customer object.
    pub customer_id: Option<Vec<u8>>,
}

impl std::fmt::Debug for ServiceObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceObject")
            .field("issuer", &self.issuer)
            .field("kind", &self.kind)
            .field("object_ref", &self.object_ref.map(hex::encode))
            .field("redemption_value", &self.redemption_value.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn bad(field: &'static str, reason: impl Into<String>) -> ResponseError {
    ResponseError::BadField { field, reason: reason.into() }
}

/// Decodes a decrypted (and inflated) bundle.
pub fn parse_bundle(plaintext: &[u8]) -> Result<Vec<ServiceObject>, ResponseError> {
    let msg = parse_message(plaintext)?;
    let mut objects = Vec::new();
    for asv in msg.records.iter().filter(|r| named(r, b"asv")) {
        objects.push(parse_asv(&asv.nested(0, 0)?)?);
    }
    if objects.is_empty() {
        return Err(ResponseError::MissingRecord("asv"));
    }
    Ok(objects)
}

fn parse_asv(asv: &Message) -> Result<ServiceObject, ResponseError> {
    if asv.has_chunks() {
        return Err(ResponseError::Chunked);
    }
    let i = find(asv, b"i").ok_or(ResponseError::MissingRecord("i"))?;
    let issuer = match i.payload.as_slice() {
        [_format, issuer_type, id @ ..] => Issuer { issuer_type: *issuer_type, id: id.to_vec() },
        _ => return Err(bad("i", "shorter than 2 bytes")),
    };
    let (record, kind) = asv
        .records
        .iter()
        .find_map(|r| OBJECT_KINDS.iter().find(|(n, _)| r.record_type == *n).map(|(_, k)| (r, *k)))
        .ok_or(ResponseError::MissingRecord("service object (ly, of, gc, ...)"))?;
    let inner = record.nested(0, 1)?;
    if inner.has_chunks() {
        return Err(ResponseError::Chunked);
    }
    let mut object =
        ServiceObject { issuer, kind, object_ref: None, redemption_value: None, customer_id: None };
    if kind == ObjectKind::Customer {
        let cid = find(&inner, b"cid").ok_or(ResponseError::MissingRecord("cid"))?;
        object.customer_id = Some(binary_value("cid", &cid.payload)?.to_vec());
        return Ok(object);
    }
    if let Some(oid) = find(&inner, b"oid") {
        let value = binary_value("oid", &oid.payload)?;
        object.object_ref = Some(
            <[u8; 8]>::try_from(value)
                .map_err(|_| bad("oid", format!("{} bytes, expected 8", value.len())))?,
        );
    }
    // Google's sample looks the value up by ID only; K-reader by type or ID (§7.2).
    let n = inner.records.iter().find(|r| r.id == b"n").or_else(|| find(&inner, b"n"));
    let n = n.ok_or(ResponseError::MissingRecord("n"))?;
    let value = n.payload.get(1..).ok_or_else(|| bad("n", "empty"))?;
    if !value.is_ascii() {
        return Err(bad("n", "redemption value is not ASCII"));
    }
    let value = String::from_utf8(value.to_vec()).map_err(|_| bad("n", "not ASCII"))?;
    object.redemption_value = Some(Zeroizing::new(value));
    Ok(object)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use hce_wallet_core::ndef::Record;

    fn asv(records: Vec<Record>) -> Message {
        Message::new(vec![Record::container(b"asv", &[], &Message::new(records))])
    }

    #[test]
    fn vector_bundle_decodes() {
        let plain = hex::decode(
            "d4032d61737694010a6904012d50bf57545b8f5754021a6c799403096f6964049e2a2bb824e9975559010501546e0032303138",
        )
        .unwrap();
        let objects = parse_bundle(&plain).unwrap();
        assert_eq!(objects.len(), 1);
        let o = &objects[0];
        assert_eq!(o.kind, ObjectKind::Loyalty);
        assert_eq!(o.issuer.issuer_type, 1);
        assert_eq!(o.issuer.id_u64(), Some(3265320111641956183));
        assert_eq!(o.object_ref, Some(hex_literal::hex!("9e2a2bb824e99755")));
        assert_eq!(o.redemption_value.as_deref().map(String::as_str), Some("2018"));
        assert!(!format!("{o:?}").contains("2018"));
    }

    #[test]
    fn rejects_malformed_bundles() {
        let ly = |n: Vec<u8>| {
            Record::container(b"ly", &[], &Message::new(vec![Record::well_known(b"T", b"n", n)]))
        };
        let i = Record::external(b"i", vec![4, 1, 0, 0, 0, 0]);
        let ok = asv(vec![i.clone(), ly(b"\x002018".to_vec())]).encode();
        assert!(parse_bundle(&ok).is_ok());
        let mut trailing = ok.clone();
        trailing.push(0);
        assert!(parse_bundle(&trailing).is_err());
        assert!(parse_bundle(&asv(vec![ly(b"\x002018".to_vec())]).encode()).is_err());
        assert!(parse_bundle(&asv(vec![i.clone(), ly(vec![0, 0xC3, 0xA9])]).encode()).is_err());
        assert!(parse_bundle(&asv(vec![i.clone(), ly(vec![])]).encode()).is_err());
        let short_i = Record::external(b"i", vec![4]);
        assert!(parse_bundle(&asv(vec![short_i, ly(b"\x00x".to_vec())]).encode()).is_err());
        let other = Message::new(vec![Record::external(b"zz", vec![])]).encode();
        assert_eq!(parse_bundle(&other), Err(ResponseError::MissingRecord("asv")));
    }
}

//! GET SMART TAP DATA (`90 50`, spec §6.4) and GET MORE SMART TAP DATA (`90 C0`, §6.5):
//! parsing `srq`, the plaintext service-object bundle of §7.3, the `srs[ses, reb]`
//! answer, and response chaining with `9100`.

use zeroize::Zeroizing;

use crate::apdu::{Response, StatusWord};
use crate::ndef::{Message, Record, Tnf};
use crate::ports::{CollectorId, SmartTapPass};

use super::crypto;
use super::records::{
    self, encoded_len, name, write_header, ParseError, SessionRecord, FORMAT_BINARY,
    FORMAT_UNSPECIFIED, ISSUER_TYPE_MERCHANT, PCR_ZLIB,
};
use super::status;

/// Most responses a real reader reads for one answer: the first plus 10 GET MORE DATA
/// (smart-tap spec §13a, K-reader).
pub const MAX_CHAINED_ANSWERS: usize = 11;
/// Most bytes a real reader reassembles from one chained answer (spec §13a).
pub const MAX_CHAINED_BYTES: usize = 4096;

/// The longest answer a reader can reassemble when every slice is `slice` bytes:
/// [`MAX_CHAINED_ANSWERS`] slices, at most [`MAX_CHAINED_BYTES`].
pub fn max_answer_len(slice: usize) -> usize {
    slice.saturating_mul(MAX_CHAINED_ANSWERS).min(MAX_CHAINED_BYTES)
}

/// A parsed GET DATA request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetDataRequest {
    pub session: SessionRecord,
    /// The collector named in `mer`.
    pub collector: CollectorId,
    /// Requested service types (`str` values, spec §10), in order.
    pub service_types: Vec<u8>,
    /// `pcr` present with the zlib bit (spec §9): compress the bundle.
    pub zlib: bool,
    /// `pcr` byte 5, the terminal mode (spec §9: `01` pass only, `02` payment only, `04`
    /// pass and payment, `08` pass over payment), when sent.
    pub pos_mode: Option<u8>,
}

impl GetDataRequest {
    /// Parses `NDEF[srq(0001 | NDEF[ses, mer[cld …], slr[str …], pcr?])]`.
    pub fn parse(data: &[u8]) -> Result<GetDataRequest, ParseError> {
        let top = records::parse_message(data)?;
        let srq = records::require(&top, name::SRQ, "srq")?;
        let inner = records::versioned(srq, 0)?;
        let session = SessionRecord::parse(records::require(&inner, name::SES, "ses")?)?;
        let mer = records::nested(records::require(&inner, name::MER, "mer")?, 0, 1)?;
        let collector = records::collector_id(records::require(&mer, name::CLD, "cld")?)?;
        let slr = records::nested(records::require(&inner, name::SLR, "slr")?, 0, 1)?;
        let mut service_types = Vec::with_capacity(slr.records.len());
        for str_record in records::find_all(&slr, name::STR) {
            match str_record.payload.as_slice() {
                [value] => service_types.push(*value),
                other => {
                    return Err(ParseError::BadLength {
                        record: "str",
                        expected: "1",
                        got: other.len(),
                    })
                }
            }
        }
        if service_types.is_empty() {
            return Err(ParseError::Missing("str"));
        }
        let pos_mode = records::find(&inner, name::PCR).and_then(|pcr| pcr.payload.get(4).copied());
        let zlib = match records::find(&inner, name::PCR) {
            None => false,
            Some(pcr) => match pcr.payload.first() {
                Some(system) => system & PCR_ZLIB != 0,
                None => return Err(ParseError::BadLength { record: "pcr", expected: "5", got: 0 }),
            },
        };
        Ok(GetDataRequest { session, collector, service_types, zlib, pos_mode })
    }
}

/// The plaintext bundle `NDEF[asv[i, <type>[oid, n]]]` (spec §7.3), written straight
/// into a zeroizing buffer so that the redemption value leaves no unwiped copy. The
/// value is sent as its bytes after the `00` format byte; `smartTapRedemptionValue` is
/// ASCII by Google's definition, and a non-ASCII value goes out as UTF-8 unchanged.
pub fn bundle(pass: &SmartTapPass) -> Zeroizing<Vec<u8>> {
    let value = pass.redemption_value.as_bytes();
    let kind = pass.pass_type.record_type();
    let issuer_len = 2 + 8;
    let oid_len = 1 + 8;
    let n_len = value.len().saturating_add(1);
    let object_len = encoded_len(name::OID.len(), 0, oid_len).saturating_add(encoded_len(
        name::RTD_TEXT.len(),
        name::N.len(),
        n_len,
    ));
    let asv_len = encoded_len(name::ISSUER.len(), 0, issuer_len).saturating_add(encoded_len(
        kind.len(),
        0,
        object_len,
    ));
    let total = encoded_len(name::ASV.len(), 0, asv_len);

    let mut out = Zeroizing::new(Vec::with_capacity(total));
    write_header(&mut out, Tnf::External, name::ASV, &[], asv_len, true, true);
    write_header(&mut out, Tnf::External, name::ISSUER, &[], issuer_len, true, false);
    out.extend_from_slice(&[FORMAT_BINARY, ISSUER_TYPE_MERCHANT]);
    out.extend_from_slice(&pass.issuer_id.to_be_bytes());
    write_header(&mut out, Tnf::External, kind, &[], object_len, false, true);
    write_header(&mut out, Tnf::External, name::OID, &[], oid_len, true, false);
    out.push(FORMAT_BINARY);
    out.extend_from_slice(&crypto::object_ref(&pass.object_id));
    write_header(&mut out, Tnf::WellKnown, name::RTD_TEXT, name::N, n_len, false, true);
    out.push(FORMAT_UNSPECIFIED);
    out.extend_from_slice(value);
    out
}

/// The answer data `NDEF[srs(NDEF[ses, reb])]` (no version prefix).
pub fn answer(session: &SessionRecord, reb: Vec<u8>) -> Vec<u8> {
    let inner = Message::new(vec![session.reply().to_record(), Record::external(name::REB, reb)]);
    Message::new(vec![Record::container(name::SRS, &[], &inner)]).encode()
}

/// Response chaining state (spec §6.5).
#[derive(Debug, Default)]
pub enum Chain {
    /// No chained answer in this session: GET MORE DATA → `9404`.
    #[default]
    Idle,
    /// An answer is being sent in slices.
    Sending { data: Vec<u8>, sent: usize, final_sw: StatusWord },
    /// The last slice went out: GET MORE DATA → `9405`.
    Done,
}

impl Chain {
    /// Starts sending `data`: the whole answer with `final_sw` when it fits `limit`
    /// bytes, else the first `limit` bytes with `9100`.
    pub fn start(&mut self, data: Vec<u8>, final_sw: StatusWord, limit: usize) -> Response {
        *self = Chain::Sending { data, sent: 0, final_sw };
        self.next(limit)
    }

    /// The next slice of at most `limit` (≥ 1) bytes.
    pub fn next(&mut self, limit: usize) -> Response {
        let limit = limit.max(1);
        match std::mem::take(self) {
            Chain::Idle => Response::status(status::NO_MORE_DATA),
            Chain::Done => {
                *self = Chain::Done;
                Response::status(status::ALL_DATA_SENT)
            }
            Chain::Sending { data, sent, final_sw } => {
                let rest = data.get(sent..).unwrap_or(&[]);
                if rest.len() <= limit {
                    let slice = rest.to_vec();
                    *self = Chain::Done;
                    Response::new(slice, final_sw)
                } else {
                    let slice = rest.get(..limit).unwrap_or(&[]).to_vec();
                    let sent = sent.saturating_add(limit);
                    *self = Chain::Sending { data, sent, final_sw };
                    Response::new(slice, status::MORE_DATA)
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn readers_reassemble_eleven_slices_and_at_most_4096_bytes() {
        assert_eq!(max_answer_len(40), 440);
        assert_eq!(max_answer_len(256), 2816);
        assert_eq!(max_answer_len(1024), MAX_CHAINED_BYTES);
        assert_eq!(max_answer_len(usize::MAX), MAX_CHAINED_BYTES);
    }

    #[test]
    fn chain_slices_and_ends() {
        let mut c = Chain::default();
        assert_eq!(c.next(10).sw, status::NO_MORE_DATA);
        let first = c.start((0u8..25).collect(), status::OK, 10);
        assert_eq!((first.data.len(), first.sw), (10, status::MORE_DATA));
        let second = c.next(10);
        assert_eq!((second.data.clone(), second.sw), ((10u8..20).collect(), status::MORE_DATA));
        let last = c.next(10);
        assert_eq!((last.data, last.sw), ((20u8..25).collect(), status::OK));
        assert_eq!(c.next(10).sw, status::ALL_DATA_SENT);
        let one = c.start(vec![1, 2], status::OK, 2);
        assert_eq!((one.data, one.sw), (vec![1, 2], status::OK));
        assert_eq!(c.next(0).sw, status::ALL_DATA_SENT);
    }
}

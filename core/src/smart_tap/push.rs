//! PUSH SMART TAP DATA (`90 52`, spec §6.6): decoding `spr` into [`PushData`] and the
//! `psr[ses]` answer. Values of unknown encoding (`mon`, `sup`) are kept raw; texts are
//! decoded liberally (the published example's `ccd` is not well-formed RTD Text).

use crate::ndef::{Message, Record};
use crate::ports::{PushBalance, PushData, PushNotification, ServiceStatusUpdate, UsageUpdate};

use super::records::{self, name, ParseError, SessionRecord};

/// A parsed PUSH DATA request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushRequest {
    pub session: SessionRecord,
    pub data: PushData,
}

impl PushRequest {
    /// Parses `NDEF[spr(0001 | NDEF[ses, bpr?, nsr?, ssr*])]`.
    pub fn parse(data: &[u8]) -> Result<PushRequest, ParseError> {
        let top = records::parse_message(data)?;
        let spr = records::require(&top, name::SPR, "spr")?;
        let inner = records::versioned(spr, 0)?;
        let session = SessionRecord::parse(records::require(&inner, name::SES, "ses")?)?;
        let balance = records::find(&inner, name::BPR).map(balance).transpose()?;
        let notification = records::find(&inner, name::NSR).map(notification).transpose()?;
        let services = records::find_all(&inner, name::SSR)
            .map(service_update)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PushRequest { session, data: PushData { balance, notification, services } })
    }
}

/// Text of the record named `name` in `message`, if present.
fn text(message: &Message, record: &[u8]) -> Option<String> {
    records::find(message, record).map(|r| records::rtd_text(&r.payload))
}

fn balance(bpr: &Record) -> Result<PushBalance, ParseError> {
    let inner = records::nested(bpr, 0, 1)?;
    let amount_raw =
        records::find(&inner, name::MON).map(|r| r.payload.clone()).unwrap_or_default();
    Ok(PushBalance { amount_raw, currency: text(&inner, name::CCD) })
}

fn notification(nsr: &Record) -> Result<PushNotification, ParseError> {
    let (service_type, rest) = nsr.payload.split_first().ok_or(ParseError::BadLength {
        record: "nsr",
        expected: "at least 1",
        got: 0,
    })?;
    let (title, uri) = if rest.is_empty() {
        (None, None)
    } else {
        let inner = records::nested(nsr, 1, 1)?;
        let uri = records::find(&inner, name::NSU).map(|r| records::rtd_uri(&r.payload));
        (text(&inner, name::NST), uri)
    };
    Ok(PushNotification { service_type: *service_type, title, uri })
}

fn service_update(ssr: &Record) -> Result<ServiceStatusUpdate, ParseError> {
    let inner = records::nested(ssr, 0, 1)?;
    let oid = records::require(&inner, name::OID, "oid")?;
    let value = records::primitive_value(oid, "oid")?;
    let object_ref: [u8; 8] = value.try_into().map_err(|_| ParseError::BadLength {
        record: "oid",
        expected: "9",
        got: oid.payload.len(),
    })?;
    let usage = match records::find(&inner, name::SUG) {
        None => None,
        Some(sug) => {
            let (status, rest) = sug.payload.split_first().ok_or(ParseError::BadLength {
                record: "sug",
                expected: "at least 1",
                got: 0,
            })?;
            let (title, description) = if rest.is_empty() {
                (None, None)
            } else {
                let texts = records::nested(sug, 1, 2)?;
                (text(&texts, name::SUT), text(&texts, name::SUD))
            };
            Some(UsageUpdate { status: *status, title, description })
        }
    };
    let operation = match records::find(&inner, name::SUP) {
        None => None,
        Some(sup) => match sup.payload.split_first() {
            Some((op, value)) => Some((*op, value.to_vec())),
            None => {
                return Err(ParseError::BadLength { record: "sup", expected: "at least 1", got: 0 })
            }
        },
    };
    Ok(ServiceStatusUpdate { object_ref, usage, operation })
}

/// The answer data: `NDEF[psr(NDEF[ses])]` (no version prefix).
pub fn answer(session: &SessionRecord) -> Vec<u8> {
    let inner = Message::new(vec![session.reply().to_record()]);
    Message::new(vec![Record::container(name::PSR, &[], &inner)]).encode()
}

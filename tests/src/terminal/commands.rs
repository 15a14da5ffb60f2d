//! The C-APDUs a Smart Tap 2.1 terminal sends (smart-tap spec §6), built byte for byte the
//! way Google's sample terminal builds them (§13): short APDUs with Le = `00`, records
//! encoded with `core::ndef` (MB/ME/SR per §4.1), versioned containers `ngr`/`srq`/`spr`
//! prefixed with `00 01` (§4.4).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use hce_wallet_core::apdu::{Command, LengthForm, CLA_ISO, INS_SELECT, SELECT_BY_NAME};
use hce_wallet_core::ndef::{Message, Record};
use hce_wallet_core::ports::PushData;

/// OSE.VAS.01, the VAS directory (spec §3).
pub const AID_OSE: &[u8] = b"OSE.VAS.01";
/// Smart Tap 2 (spec §3).
pub const AID_SMART_TAP_2: &[u8] = &[0xA0, 0x00, 0x00, 0x04, 0x76, 0xD0, 0x00, 0x01, 0x11];
/// CLA of every Smart Tap command (spec §2).
pub const CLA_SMART_TAP: u8 = 0x90;
/// NEGOTIATE SECURE SMART TAP SESSION (§6.3).
pub const INS_NEGOTIATE: u8 = 0x53;
/// GET SMART TAP DATA (§6.4).
pub const INS_GET_DATA: u8 = 0x50;
/// GET MORE SMART TAP DATA (§6.5).
pub const INS_GET_MORE_DATA: u8 = 0xC0;
/// PUSH SMART TAP DATA (§6.6).
pub const INS_PUSH_DATA: u8 = 0x52;
/// Version prefix of `ngr`, `srq`, `spr`: Smart Tap 2.1 (§4.4).
pub const VERSION_2_1: [u8; 2] = [0x00, 0x01];
/// Format byte "binary" of primitive payloads (`cld`, `sig`, `oid`, §4.3).
pub const FORMAT_BINARY: u8 = 0x04;
/// `ses` status "OK" (§5).
pub const SESSION_OK: u8 = 0x01;
/// Authentication byte bit: live authentication (§6.3).
pub const AUTH_LIVE: u8 = 0x01;
/// POS capabilities with the zlib bit, as in the trace (`pcr 41 00 00 00 04`, §9).
pub const PCR_ZLIB: [u8; 5] = [0x41, 0x00, 0x00, 0x00, 0x04];

/// Why a command could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("command data of {0} bytes does not fit a short APDU")]
    TooLong(usize),
}

/// `ses` payload: session ID, sequence number, status (§5).
pub fn session_record(session_id: &[u8; 8], sequence: u8) -> Record {
    let mut payload = session_id.to_vec();
    payload.extend_from_slice(&[sequence, SESSION_OK]);
    Record::external(b"ses", payload)
}

/// `cld`: format byte + 4-byte collector ID (§6.3).
pub fn collector_record(collector: u32) -> Record {
    let mut payload = vec![FORMAT_BINARY];
    payload.extend_from_slice(&collector.to_be_bytes());
    Record::external(b"cld", payload)
}

/// A short case-4 APDU `CLA INS 00 00 Lc data 00`.
fn short_apdu(cla: u8, ins: u8, p1: u8, data: &[u8]) -> Result<Vec<u8>, CommandError> {
    Command { cla, ins, p1, p2: 0, data, le: Some(256), form: LengthForm::Short }
        .encode()
        .map_err(|_| CommandError::TooLong(data.len()))
}

/// SELECT by name with Le = `00` (§6.1, §6.2).
pub fn select(aid: &[u8]) -> Result<Vec<u8>, CommandError> {
    short_apdu(CLA_ISO, INS_SELECT, SELECT_BY_NAME, aid)
}

/// The fields of NEGOTIATE's `cpr` record (§6.3).
pub struct NegotiateFields<'a> {
    pub session_id: &'a [u8; 8],
    pub sequence: u8,
    pub terminal_nonce: &'a [u8; 32],
    pub live: bool,
    /// Terminal ephemeral public key, SEC1 compressed (33 bytes).
    pub ephemeral_public: &'a [u8],
    pub key_version: u32,
    /// DER signature over the signed blob (§11).
    pub signature_der: &'a [u8],
    pub collector: u32,
}

/// NEGOTIATE SECURE SMART TAP SESSION: `ngr[00 01 | ses, cpr[… | sig, cld]]`.
pub fn negotiate(f: &NegotiateFields<'_>) -> Result<Vec<u8>, CommandError> {
    let mut sig = vec![FORMAT_BINARY];
    sig.extend_from_slice(f.signature_der);
    let inner = Message::new(vec![Record::external(b"sig", sig), collector_record(f.collector)]);
    let mut cpr = f.terminal_nonce.to_vec();
    cpr.push(if f.live { AUTH_LIVE } else { 0 });
    cpr.extend_from_slice(f.ephemeral_public);
    cpr.extend_from_slice(&f.key_version.to_be_bytes());
    inner.encode_into(&mut cpr);
    let ngr =
        Message::new(vec![session_record(f.session_id, f.sequence), Record::external(b"cpr", cpr)]);
    let data = Message::new(vec![Record::container(b"ngr", &VERSION_2_1, &ngr)]).encode();
    short_apdu(CLA_SMART_TAP, INS_NEGOTIATE, 0, &data)
}

/// GET SMART TAP DATA: `srq[00 01 | ses, mer[cld], slr[str…], pcr?]` (§6.4).
pub fn get_data(
    session_id: &[u8; 8],
    sequence: u8,
    collector: u32,
    service_types: &[u8],
    pcr: Option<&[u8; 5]>,
) -> Result<Vec<u8>, CommandError> {
    let mer = Message::new(vec![collector_record(collector)]);
    let slr =
        Message::new(service_types.iter().map(|t| Record::external(b"str", vec![*t])).collect());
    let mut records = vec![
        session_record(session_id, sequence),
        Record::container(b"mer", &[], &mer),
        Record::container(b"slr", &[], &slr),
    ];
    if let Some(pcr) = pcr {
        records.push(Record::external(b"pcr", pcr.to_vec()));
    }
    let srq = Message::new(records);
    let data = Message::new(vec![Record::container(b"srq", &VERSION_2_1, &srq)]).encode();
    short_apdu(CLA_SMART_TAP, INS_GET_DATA, 0, &data)
}

/// GET MORE SMART TAP DATA: `90 C0 00 00 00`, no data field in 2.1 (§6.5).
pub fn get_more_data() -> Vec<u8> {
    vec![CLA_SMART_TAP, INS_GET_MORE_DATA, 0, 0, 0]
}

/// PUSH SMART TAP DATA: `spr[00 01 | ses, bpr?, nsr?, ssr*]` in the layout of the only
/// published example (§6.6, kormax trace): `ccd` carries the bare currency code like there,
/// text records use RTD Text with language `en`, `nsu` an RTD URI with its prefix code.
pub fn push_data(
    session_id: &[u8; 8],
    sequence: u8,
    push: &PushData,
) -> Result<Vec<u8>, CommandError> {
    let mut records = vec![session_record(session_id, sequence)];
    if let Some(balance) = &push.balance {
        let mut bpr = vec![Record::external(b"mon", balance.amount_raw.clone())];
        if let Some(currency) = &balance.currency {
            bpr.push(Record::well_known(b"T", b"ccd", currency.as_bytes().to_vec()));
        }
        records.push(Record::container(b"bpr", &[], &Message::new(bpr)));
    }
    if let Some(n) = &push.notification {
        let mut nsr = Vec::new();
        if let Some(title) = &n.title {
            nsr.push(Record::well_known(b"T", b"nst", rtd_text(title)));
        }
        if let Some(uri) = &n.uri {
            nsr.push(Record::well_known(b"U", b"nsu", rtd_uri(uri)));
        }
        let mut payload = vec![n.service_type];
        if !nsr.is_empty() {
            Message::new(nsr).encode_into(&mut payload);
        }
        records.push(Record::external(b"nsr", payload));
    }
    for s in &push.services {
        let mut oid = vec![FORMAT_BINARY];
        oid.extend_from_slice(&s.object_ref);
        let mut ssr = vec![Record::external(b"oid", oid)];
        if let Some(u) = &s.usage {
            let mut texts = Vec::new();
            if let Some(t) = &u.title {
                texts.push(Record::well_known(b"T", b"sut", rtd_text(t)));
            }
            if let Some(d) = &u.description {
                texts.push(Record::well_known(b"T", b"sud", rtd_text(d)));
            }
            let mut payload = vec![u.status];
            if !texts.is_empty() {
                Message::new(texts).encode_into(&mut payload);
            }
            ssr.push(Record::external(b"sug", payload));
        }
        if let Some((op, value)) = &s.operation {
            let mut payload = vec![*op];
            payload.extend_from_slice(value);
            ssr.push(Record::external(b"sup", payload));
        }
        records.push(Record::container(b"ssr", &[], &Message::new(ssr)));
    }
    let spr = Message::new(records);
    let data = Message::new(vec![Record::container(b"spr", &VERSION_2_1, &spr)]).encode();
    short_apdu(CLA_SMART_TAP, INS_PUSH_DATA, 0, &data)
}

/// NFC Forum RTD Text payload, UTF-8, language `en`.
fn rtd_text(text: &str) -> Vec<u8> {
    let mut payload = vec![2, b'e', b'n'];
    payload.extend_from_slice(text.as_bytes());
    payload
}

/// NFC Forum RTD URI payload with the abbreviation codes 1–4 (NFC Forum URI RTD §3.2.2).
fn rtd_uri(uri: &str) -> Vec<u8> {
    const PREFIXES: [(u8, &str); 4] =
        [(2, "https://www."), (1, "http://www."), (4, "https://"), (3, "http://")];
    for (code, prefix) in PREFIXES {
        if let Some(rest) = uri.strip_prefix(prefix) {
            let mut payload = vec![code];
            payload.extend_from_slice(rest.as_bytes());
            return payload;
        }
    }
    let mut payload = vec![0];
    payload.extend_from_slice(uri.as_bytes());
    payload
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn selects_match_the_spec() {
        assert_eq!(hex::encode(select(AID_OSE).unwrap()), "00a404000a4f53452e5641532e303100");
        assert_eq!(hex::encode(select(AID_SMART_TAP_2).unwrap()), "00a4040009a000000476d000011100");
        assert_eq!(select(&[0u8; 300]), Err(CommandError::TooLong(300)));
    }

    #[test]
    fn uri_prefixes() {
        assert_eq!(rtd_uri("https://example.com")[0], 4);
        assert_eq!(rtd_uri("https://www.example.com")[0], 2);
        assert_eq!(rtd_uri("tel:123"), b"\0tel:123".to_vec());
    }
}

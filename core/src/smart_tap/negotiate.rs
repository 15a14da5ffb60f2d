//! NEGOTIATE SECURE SMART TAP SESSION (`90 53`, spec §6.3): parsing `ngr[ses, cpr]`,
//! the 101 signed bytes, and the `nrs[ses, dpk]` answer.
//!
//! The terminal's nonce, ephemeral key and DER signature are kept exactly as received:
//! they are hashed and fed to HKDF byte for byte (spec §14).

use crate::ndef::{Message, Record};
use crate::ports::CollectorId;

use super::records::{self, name, ParseError, SessionRecord};

/// `cpr` layout (spec §6.3): nonce 32 | auth byte 1 | ephemeral key 33 | key version 4 |
/// NDEF[sig, cld].
const NONCE_LEN: usize = 32;
const KEY_LEN: usize = 33;
/// Live-authentication bit of the `cpr` auth byte.
pub const AUTH_LIVE: u8 = 0x01;
/// Length of the signed blob `Nt ‖ X ‖ C ‖ Et`.
pub const SIGNED_LEN: usize = NONCE_LEN + NONCE_LEN + 4 + KEY_LEN;

/// A parsed NEGOTIATE request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NegotiateRequest {
    pub session: SessionRecord,
    pub terminal_nonce: [u8; NONCE_LEN],
    pub auth: u8,
    /// `Et`, SEC1 compressed, as received.
    pub terminal_key: [u8; KEY_LEN],
    pub key_version: u32,
    /// The DER signature as received (without the `sig` format byte).
    pub signature: Vec<u8>,
    pub collector: CollectorId,
}

impl NegotiateRequest {
    /// Parses the command data `NDEF[ngr(0001 | NDEF[ses, cpr])]`.
    pub fn parse(data: &[u8]) -> Result<NegotiateRequest, ParseError> {
        let top = records::parse_message(data)?;
        let ngr = records::require(&top, name::NGR, "ngr")?;
        let inner = records::versioned(ngr, 0)?;
        let session = SessionRecord::parse(records::require(&inner, name::SES, "ses")?)?;
        let cpr = records::require(&inner, name::CPR, "cpr")?;
        Self::parse_cpr(cpr, session)
    }

    fn parse_cpr(cpr: &Record, session: SessionRecord) -> Result<NegotiateRequest, ParseError> {
        let short = || ParseError::BadLength {
            record: "cpr",
            expected: "at least 70 + nested message",
            got: cpr.payload.len(),
        };
        let p = cpr.payload.as_slice();
        let (terminal_nonce, p) = p.split_first_chunk::<NONCE_LEN>().ok_or_else(short)?;
        let (auth, p) = p.split_first().ok_or_else(short)?;
        let (terminal_key, p) = p.split_first_chunk::<KEY_LEN>().ok_or_else(short)?;
        let (version, _) = p.split_first_chunk::<4>().ok_or_else(short)?;
        let offset = NONCE_LEN + 1 + KEY_LEN + 4;
        let nested: Message = records::nested(cpr, offset, 1)?;
        let sig = records::require(&nested, name::SIG, "sig")?;
        let signature = records::primitive_value(sig, "sig")?.to_vec();
        let collector = records::collector_id(records::require(&nested, name::CLD, "cld")?)?;
        Ok(NegotiateRequest {
            session,
            terminal_nonce: *terminal_nonce,
            auth: *auth,
            terminal_key: *terminal_key,
            key_version: u32::from_be_bytes(*version),
            signature,
            collector,
        })
    }

    /// Whether the terminal asks for live authentication (signature over `Nh`).
    pub fn is_live(&self) -> bool {
        self.auth & AUTH_LIVE != 0
    }

    /// The signed blob (spec §6.3 step 6): `Nt ‖ X ‖ C ‖ Et`, where `X` is the handset
    /// nonce in live mode and 32 zero bytes otherwise.
    pub fn signed_bytes(&self, handset_nonce: &[u8; 32]) -> [u8; SIGNED_LEN] {
        let zeros = [0u8; NONCE_LEN];
        let x = if self.is_live() { handset_nonce } else { &zeros };
        self.blob(x)
    }

    /// The HKDF info (spec §11): `Nt ‖ Nh ‖ C ‖ Et`, always with the real handset nonce,
    /// followed by the DER signature (the caller appends it).
    pub fn info_prefix(&self, handset_nonce: &[u8; 32]) -> [u8; SIGNED_LEN] {
        self.blob(handset_nonce)
    }

    fn blob(&self, x: &[u8; NONCE_LEN]) -> [u8; SIGNED_LEN] {
        let mut out = [0u8; SIGNED_LEN];
        let parts: [&[u8]; 4] =
            [&self.terminal_nonce, x, &self.collector.to_be_bytes(), &self.terminal_key];
        let mut rest = out.as_mut_slice();
        for part in parts {
            let (head, tail) = rest.split_at_mut(part.len().min(rest.len()));
            head.copy_from_slice(part.get(..head.len()).unwrap_or(&[]));
            rest = tail;
        }
        out
    }
}

/// The answer data: `NDEF[nrs(NDEF[ses, dpk])]` (no version prefix, bare 33-byte `dpk`).
pub fn answer(session: &SessionRecord, handset_key: &[u8; 33]) -> Vec<u8> {
    let inner = Message::new(vec![
        session.reply().to_record(),
        Record::external(name::DPK, handset_key.to_vec()),
    ]);
    Message::new(vec![Record::container(name::NRS, &[], &inner)]).encode()
}

//! What the wallet sends to the token service, and where (payment spec §9.2, §12.3): the
//! three endpoints under one base URL the app configures, the body of a user's request
//! (report lost / resume / delete, delivered through the durable [`crate::sync::Outbox`]),
//! and the body of a replenishment request carrying the transaction-log evidence of §9.2.
//!
//! | endpoint | method | body sent | answer |
//! |---|---|---|---|
//! | `{base}/status/{device}` | GET, `If-None-Match` | — | a signed status window ([`super::status`]), 304 when unchanged |
//! | `{base}/requests` | POST, `Idempotency-Key` | [`UserRequestBody`] (JSON) | 2xx received; a resume is confirmed later by the status feed |
//! | `{base}/replenish` | POST | [`ReplenishmentRequest`] (JSON) | a signed provisioning payload for the same token: the new key batch |
//!
//! Card numbers, keys and track 2 never leave the device: the bodies name tokens by their
//! reference; the evidence is what the terminal already saw (ATC, unpredictable number,
//! amount, date, cryptogram) plus the key index each was made with, which is what the
//! issuer side needs to compare with its own records before it issues new keys.

use serde::{Deserialize, Serialize};

use super::token::{KeyBudget, TokenId, TransactionLogEntry};
use crate::sync::{OutboxEntry, OutboxError};
use crate::time::Timestamp;

/// The outbox channel of users' token requests (FIFO: a resume never overtakes the report
/// lost it undoes).
pub const REQUESTS_CHANNEL: &str = "token-requests";
/// Content type of both POST bodies.
pub const JSON: &str = "application/json";
/// Format version of the bodies (`"v"`).
pub const BODY_VERSION: u32 = 1;

/// What the user asked of the token service (§12.3 user-initiated operations).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserRequestKind {
    ReportLost,
    Resume,
    Delete,
}

impl UserRequestKind {
    /// The name in request bodies.
    pub fn wire_name(self) -> &'static str {
        match self {
            UserRequestKind::ReportLost => "report_lost",
            UserRequestKind::Resume => "resume",
            UserRequestKind::Delete => "delete",
        }
    }
}

/// The token service's endpoints, derived from one base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenServiceUrls {
    base: String,
}

impl TokenServiceUrls {
    /// `base` must be an http(s) URL; a trailing `/` is dropped.
    pub fn new(base: &str) -> Result<Self, OutboxError> {
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(OutboxError::Url(base.to_owned()));
        }
        Ok(TokenServiceUrls { base: base.trim_end_matches('/').to_owned() })
    }

    /// The device's status feed (the device ID percent-encoded as a path segment).
    pub fn status(&self, device: &str) -> String {
        format!("{}/status/{}", self.base, path_segment(device))
    }

    pub fn requests(&self) -> String {
        format!("{}/requests", self.base)
    }

    pub fn replenish(&self) -> String {
        format!("{}/replenish", self.base)
    }
}

/// RFC 3986 unreserved characters pass, everything else is percent-encoded.
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The body of a user's request (`POST {base}/requests`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRequestBody {
    pub v: u32,
    /// The same as the `Idempotency-Key` header: a status event confirming the request
    /// can name it.
    pub event_id: String,
    pub device: String,
    pub token: String,
    pub request: String,
    /// When the user asked, ms since the epoch.
    pub at_ms: i64,
}

/// The outbox entry carrying a user's request to the token service.
pub fn user_request_entry(
    urls: &TokenServiceUrls,
    device: &str,
    token: &TokenId,
    kind: UserRequestKind,
    event_id: &str,
    now: Timestamp,
) -> Result<OutboxEntry, OutboxError> {
    let body = UserRequestBody {
        v: BODY_VERSION,
        event_id: event_id.to_owned(),
        device: device.to_owned(),
        token: token.as_str().to_owned(),
        request: kind.wire_name().to_owned(),
        at_ms: now.0,
    };
    // Serializing plain strings and integers cannot fail.
    let body = serde_json::to_vec(&body).unwrap_or_default();
    OutboxEntry::new(event_id, REQUESTS_CHANNEL, urls.requests(), JSON, body, now)
}

/// Why a token asks for keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplenishWhy {
    /// Few transactions or little lifetime left.
    Low,
    /// Every key's count or amount threshold is reached.
    Exhausted,
    /// Every remaining key is past its lifetime.
    Expired,
    /// The token holds no key.
    NoKey,
}

impl ReplenishWhy {
    /// Whether a token with this budget needs keys now (`None`: it does not).
    pub fn of(budget: KeyBudget) -> Option<ReplenishWhy> {
        match budget {
            KeyBudget::Available { low: true, .. } => Some(ReplenishWhy::Low),
            KeyBudget::Available { low: false, .. } => None,
            KeyBudget::Exhausted => Some(ReplenishWhy::Exhausted),
            KeyBudget::Expired => Some(ReplenishWhy::Expired),
            KeyBudget::NoKey => Some(ReplenishWhy::NoKey),
        }
    }
}

/// One transaction as evidence (§9.2: the cloud may compare the phone's log with its own
/// records before it issues new keys). Byte strings as upper-case hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub atc: u16,
    pub key_index: String,
    pub un: String,
    pub amount: u64,
    pub currency: u16,
    pub date: String,
    #[serde(rename = "type")]
    pub transaction_type: u8,
    pub cdcvm: bool,
    /// The cryptogram and its CID, when one was produced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ac: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cid: Option<u8>,
    pub at_ms: i64,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

impl From<&TransactionLogEntry> for Evidence {
    fn from(e: &TransactionLogEntry) -> Self {
        Evidence {
            atc: e.atc.0,
            key_index: hex(&e.key_index),
            un: hex(&e.unpredictable_number),
            amount: e.amount,
            currency: e.currency,
            date: hex(&e.date),
            transaction_type: e.transaction_type,
            cdcvm: e.cdcvm,
            ac: e.cryptogram.map(|(ac, _)| hex(&ac)),
            cid: e.cryptogram.map(|(_, cid)| cid),
            at_ms: e.at.0,
        }
    }
}

/// The body of a replenishment request (`POST {base}/replenish`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplenishmentRequest {
    pub v: u32,
    pub device: String,
    pub token: String,
    pub reason: ReplenishWhy,
    /// The last transaction counter used.
    pub atc: u16,
    /// The transactions since the log began, oldest first.
    pub log: Vec<Evidence>,
}

impl ReplenishmentRequest {
    pub fn new(
        device: &str,
        token: &TokenId,
        reason: ReplenishWhy,
        atc: u16,
        log: &[TransactionLogEntry],
    ) -> Self {
        ReplenishmentRequest {
            v: BODY_VERSION,
            device: device.to_owned(),
            token: token.as_str().to_owned(),
            reason,
            atc,
            log: log.iter().map(Evidence::from).collect(),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        // Plain strings, integers and booleans: serializing cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::token::Atc;

    #[test]
    fn urls_and_bodies() {
        let urls = TokenServiceUrls::new("https://tsp.example/api/").unwrap();
        assert_eq!(urls.status("dev 1/é"), "https://tsp.example/api/status/dev%201%2F%C3%A9");
        assert_eq!(urls.requests(), "https://tsp.example/api/requests");
        assert!(TokenServiceUrls::new("ftp://x").is_err());
        let id = TokenId::new("tok-1").unwrap();
        let e = user_request_entry(
            &urls,
            "dev",
            &id,
            UserRequestKind::ReportLost,
            "ev-1",
            Timestamp(5),
        )
        .unwrap();
        assert_eq!((e.channel.as_str(), e.event_id.as_str()), (REQUESTS_CHANNEL, "ev-1"));
        let body: serde_json::Value = serde_json::from_slice(&e.body).unwrap();
        assert_eq!(body["request"], "report_lost");
        assert_eq!(body["token"], "tok-1");
        assert_eq!(body["event_id"], "ev-1");
    }

    #[test]
    fn evidence_carries_what_the_terminal_saw() {
        let entry = TransactionLogEntry {
            atc: Atc(7),
            key_index: [0x01, 0x02, 0x03, 0x04],
            unpredictable_number: [0xDE, 0xAD, 0xBE, 0xEF],
            amount: 1234,
            currency: 978,
            date: [0x26, 0x12, 0x06],
            transaction_type: 0,
            cdcvm: true,
            cryptogram: Some(([0xAA; 8], 0x80)),
            at: Timestamp(9),
        };
        let id = TokenId::new("tok-1").unwrap();
        let r = ReplenishmentRequest::new("dev", &id, ReplenishWhy::Exhausted, 7, &[entry]);
        let v: serde_json::Value = serde_json::from_slice(&r.to_json()).unwrap();
        assert_eq!(v["reason"], "exhausted");
        assert_eq!(v["log"][0]["un"], "DEADBEEF");
        assert_eq!(v["log"][0]["ac"], "AAAAAAAAAAAAAAAA");
        assert_eq!(v["log"][0]["cid"], 0x80);
        assert_eq!(v["log"][0]["date"], "261206");
        assert_eq!(
            ReplenishWhy::of(KeyBudget::Available { transactions_left: 5, low: false }),
            None
        );
    }
}

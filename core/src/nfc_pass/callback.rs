//! Issuer callbacks of NFC passes (issue 15): receive, delete and swipe events POSTed as
//! JSON to the pass's callback URL through the wallet's durable outbox
//! ([`crate::sync::outbox`]: written in the same transaction as the change, at-least-once
//! delivery with backoff, the event ID as `Idempotency-Key` so the issuer applies each once).
//!
//! One outbox channel per pass (`nfc-callback:<pass ID>`): a pass's events arrive in order,
//! an issuer that is down holds back only its own passes. The body carries identifiers
//! only — never file contents or keys:
//!
//! ```json
//! { "eventId": "…", "eventType": "RECEIVE" | "DELETE" | "SWIPE_CARD", "passId": "…",
//!   "aid": "F0…", "time": 1767225600000,
//!   "filesRead": ["0101"], "filesWritten": [], "authenticated": true }   (swipes only)
//! ```
//!
//! (`SWIPE_CARD` is the event type Huawei's NFC callback uses for a swipe.)
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use serde::Serialize;

use super::model::{Aid, FileId, NfcPass, PassId};
use crate::sync::{OutboxEntry, OutboxError};
use crate::time::Timestamp;

/// Prefix of the outbox channels of NFC pass callbacks.
pub const CHANNEL_PREFIX: &str = "nfc-callback:";
/// Content type of a callback body.
pub const CONTENT_TYPE: &str = "application/json";

/// What happened to the pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallbackEvent {
    /// The user received (imported) the pass.
    Receive,
    /// The user deleted the pass.
    Delete,
    /// A reader used the pass in one field session.
    Swipe { read: Vec<FileId>, written: Vec<FileId>, authenticated: bool },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    event_id: &'a str,
    event_type: &'static str,
    pass_id: &'a str,
    aid: String,
    time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    files_read: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    files_written: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authenticated: Option<bool>,
}

/// The outbox channel of one pass.
pub fn channel(pass: &PassId) -> String {
    format!("{CHANNEL_PREFIX}{pass}")
}

/// The outbox entry for `event` of `pass`, or `None` when the pass has no callback URL.
pub fn entry(
    pass: &NfcPass,
    event: &CallbackEvent,
    event_id: &str,
    now: Timestamp,
) -> Result<Option<OutboxEntry>, OutboxError> {
    let Some(url) = &pass.callback_url else { return Ok(None) };
    let ids = |f: &[FileId]| Some(f.iter().map(FileId::to_string).collect::<Vec<_>>());
    let (event_type, read, written, authenticated) = match event {
        CallbackEvent::Receive => ("RECEIVE", None, None, None),
        CallbackEvent::Delete => ("DELETE", None, None, None),
        CallbackEvent::Swipe { read, written, authenticated } => {
            ("SWIPE_CARD", ids(read), ids(written), Some(*authenticated))
        }
    };
    let body = Body {
        event_id,
        event_type,
        pass_id: pass.id.as_str(),
        aid: Aid::to_hex(&pass.aid),
        time: now.0,
        files_read: read,
        files_written: written,
        authenticated,
    };
    // Serialising a struct of strings and numbers cannot fail.
    let body = serde_json::to_vec(&body).unwrap_or_default();
    OutboxEntry::new(event_id, channel(&pass.id), url.clone(), CONTENT_TYPE, body, now).map(Some)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::nfc_pass::model::{Access, NfcFile};

    #[test]
    fn bodies_carry_identifiers_only() {
        let file = NfcFile::new(0x0101, 4, b"SECR", Access::Always, Access::Never, "").unwrap();
        let mut pass = NfcPass::new(
            PassId::new("p-1").unwrap(),
            "Org",
            Aid::new(&[0xF0, 1, 2, 3, 4]).unwrap(),
            vec![file],
            vec![],
        )
        .unwrap();
        assert_eq!(entry(&pass, &CallbackEvent::Receive, "e1", Timestamp(5)).unwrap(), None);
        pass.callback_url = Some("http://127.0.0.1:1/cb".into());
        let swipe = CallbackEvent::Swipe {
            read: vec![FileId(0x0101)],
            written: vec![],
            authenticated: false,
        };
        let e = entry(&pass, &swipe, "e2", Timestamp(5)).unwrap().unwrap();
        assert_eq!(e.channel, "nfc-callback:p-1");
        assert_eq!(
            String::from_utf8(e.body).unwrap(),
            r#"{"eventId":"e2","eventType":"SWIPE_CARD","passId":"p-1","aid":"F001020304","time":5,"filesRead":["0101"],"filesWritten":[],"authenticated":false}"#
        );
        pass.callback_url = Some("ftp://x".into());
        assert!(entry(&pass, &CallbackEvent::Delete, "e3", Timestamp(5)).is_err());
    }
}

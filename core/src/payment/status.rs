//! Status messages of the token service (payment spec §12.3): sequenced life-cycle events
//! (issuer suspend / resume / update / delete, card cascades, device lost / found / wipe,
//! and the confirmation of a user's resume), in the envelope of
//! [`super::provisioning`] (content type [`STATUS_CONTENT_TYPE`]).
//!
//! Two shapes, told apart by `"first"`:
//!
//! - **one message** (no `first`): its events are one unit numbered `seq`; it applies
//!   when `seq` is above the last sequence applied;
//! - **a window** (`first` given): the events are numbered `first ..= seq`, one sequence
//!   number each, and a device applies those above its last one. This is what a status
//!   *feed* publishes (one document per device at a fixed URL, fetched with `If-None-Match`
//!   like the key bundle): the server keeps the recent events, a device that was offline
//!   catches up from any point inside the window, and a device whose last sequence is
//!   below `first - 1` has missed events the server no longer keeps
//!   ([`ProvisioningError::Gap`]: re-provisioning, never a silent skip).
//!
//! ```text
//! status: { "v": 1, "seq": uint, "first"?: uint, "device": tstr, "iat": int,
//!   "events": [ { "token": tstr | "card": tstr | "device": DeviceEvent,
//!                 "op": "activate"|"suspend"|"resume"|"update"|"delete"|"reprovision",
//!                 "origin"?: "user", "reason"?: ReasonCode,
//!                 "exp_year"?, "exp_month"?, "art"? } ] }
//! ```
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use super::lifecycle::{DeviceEvent, LifecycleError, TokenBook, TokenUpdate, Transition};
use super::provisioning::{
    check_header, decode, encode, field, ProvisioningError, FORMAT_VERSION, MAX_MESSAGE_BYTES,
};
use super::token::{CardRef, Expiry, Origin, ReasonCode, TokenId};
use crate::events::PaymentEvent;
use crate::key_bundle::{sign_envelope, verify_envelope, PinnedRoots};
use crate::time::Timestamp;

/// Content type of a status message's envelope.
pub const STATUS_CONTENT_TYPE: &str = "application/vnd.hce-wallet.token-status+cbor";
/// Most events in one status message (or window).
pub const MAX_EVENTS: usize = 256;

/// One life-cycle operation a status message carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusTarget {
    Token(TokenId),
    Card(CardRef),
    Device(DeviceEvent),
}

/// One event of a status message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusEvent {
    pub target: StatusTarget,
    /// `None` for device events (the event is the operation).
    pub transition: Option<Transition>,
    pub origin: Origin,
    pub reason: Option<ReasonCode>,
}

/// A verified status message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusMessage {
    pub sequence: u64,
    pub issued_at: Timestamp,
    pub events: Vec<StatusEvent>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusWire {
    v: u64,
    seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    first: Option<u64>,
    device: String,
    iat: i64,
    events: Vec<EventWire>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct EventWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    card: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device: Option<DeviceEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    op: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<ReasonCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exp_year: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exp_month: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    art: Option<String>,
}
fn op_of(path: &str, e: &EventWire) -> Result<Transition, ProvisioningError> {
    let op =
        e.op.as_deref().ok_or_else(|| field(format!("{path}.op"), "required field missing"))?;
    Ok(match op {
        "activate" => Transition::Activate,
        "suspend" => Transition::Suspend,
        "resume" => Transition::Resume,
        "delete" => Transition::Delete,
        "update" => {
            let expiry = match (e.exp_year, e.exp_month) {
                (Some(y), Some(m)) => {
                    Some(Expiry::new(y, m).map_err(|err| field(format!("{path}.exp"), err))?)
                }
                (None, None) => None,
                _ => {
                    return Err(field(format!("{path}.exp"), "exp_year and exp_month go together"))
                }
            };
            Transition::Update(TokenUpdate {
                expiry,
                card_art: e.art.clone().map(Some),
                ..TokenUpdate::default()
            })
        }
        other => return Err(field(format!("{path}.op"), format!("unknown operation {other:?}"))),
    })
}

/// Verifies a status message for `device` whose sequence must exceed `last_sequence`.
/// For a window (`"first"`), the message returned holds only the events numbered above
/// `last_sequence` (every event was still checked).
pub fn verify_status(
    bytes: &[u8],
    roots: &PinnedRoots,
    device: &str,
    last_sequence: u64,
) -> Result<StatusMessage, ProvisioningError> {
    let signed = verify_envelope(bytes, STATUS_CONTENT_TYPE, roots, MAX_MESSAGE_BYTES)?;
    let wire: StatusWire = decode(&signed.payload)?;
    check_header(wire.v, wire.seq, &wire.device, device, last_sequence)?;
    let skip = window_skip(&wire, last_sequence)?;
    if wire.events.len() > MAX_EVENTS {
        return Err(ProvisioningError::Limit {
            what: "events",
            count: wire.events.len(),
            limit: MAX_EVENTS,
        });
    }
    let mut events = Vec::with_capacity(wire.events.len());
    for (i, e) in wire.events.iter().enumerate() {
        let path = format!("events[{i}]");
        let user = match e.origin.as_deref() {
            None => false,
            Some("user") => true,
            Some(o) => {
                return Err(field(format!("{path}.origin"), format!("unknown origin {o:?}")))
            }
        };
        let event = match (&e.token, &e.card, e.device) {
            (Some(t), None, None) => StatusEvent {
                target: StatusTarget::Token(
                    TokenId::new(t.as_str()).map_err(|err| field(format!("{path}.token"), err))?,
                ),
                transition: Some(op_of(&path, e)?),
                origin: if user { Origin::User } else { Origin::IssuerOnToken },
                reason: e.reason,
            },
            (None, Some(c), None) => StatusEvent {
                target: StatusTarget::Card(
                    CardRef::new(c.as_str()).map_err(|err| field(format!("{path}.card"), err))?,
                ),
                transition: Some(op_of(&path, e)?),
                origin: Origin::IssuerOnCard,
                reason: e.reason,
            },
            (None, None, Some(d)) if e.op.is_none() => StatusEvent {
                target: StatusTarget::Device(d),
                transition: None,
                origin: d.origin(),
                reason: e.reason,
            },
            _ => {
                return Err(field(
                    path,
                    "exactly one of token, card or device (a device event has no op)",
                ))
            }
        };
        events.push(event);
    }
    events.drain(..skip.min(events.len()));
    Ok(StatusMessage { sequence: wire.seq, issued_at: Timestamp::from_secs(wire.iat), events })
}

/// How many leading events of a window were applied already (0 for a single message).
fn window_skip(wire: &StatusWire, last: u64) -> Result<usize, ProvisioningError> {
    let Some(first) = wire.first else { return Ok(0) };
    let count = u64::try_from(wire.events.len()).unwrap_or(u64::MAX);
    if first == 0 || first > wire.seq || wire.seq - first + 1 != count {
        return Err(field(
            "first",
            format!("a window {first}..={} must number its {count} event(s) from 1 up", wire.seq),
        ));
    }
    if first > last.saturating_add(1) {
        return Err(ProvisioningError::Gap { first, last });
    }
    // `last < seq` (checked), so this is below `count`.
    usize::try_from(last.saturating_add(1) - first).map_err(|_| field("first", "too large"))
}

impl StatusMessage {
    /// Applies every event in order to `book`, all or nothing: on the first refused event
    /// the book is left as it was and the error says which event.
    pub fn apply(
        &self,
        book: &mut TokenBook,
        now: Timestamp,
    ) -> Result<Vec<PaymentEvent>, (usize, LifecycleError)> {
        let mut work = book.clone();
        let mut events = Vec::new();
        for (i, e) in self.events.iter().enumerate() {
            let out = match (&e.target, &e.transition) {
                (StatusTarget::Token(id), Some(t)) => {
                    work.apply(id, t.clone(), e.origin, e.reason, now)
                }
                (StatusTarget::Card(card), Some(t)) => {
                    work.apply_to_card(card, t.clone(), e.reason, now)
                }
                (StatusTarget::Device(d), _) => Ok(work.apply_device(*d, now)),
                (_, None) => Ok(Vec::new()),
            };
            events.extend(out.map_err(|err| (i, err))?);
        }
        *book = work;
        Ok(events)
    }

    /// Signs a status message for `device` (the token service's side: `hcectl`, tests).
    pub fn sign(
        &self,
        device: &str,
        key: &p256::ecdsa::SigningKey,
    ) -> Result<Vec<u8>, ProvisioningError> {
        self.sign_as(None, device, key)
    }

    /// Signs the events as a window numbered `sequence - events + 1 ..= sequence` (what a
    /// status feed publishes; see the module docs).
    pub fn sign_window(
        &self,
        device: &str,
        key: &p256::ecdsa::SigningKey,
    ) -> Result<Vec<u8>, ProvisioningError> {
        let count = u64::try_from(self.events.len()).unwrap_or(u64::MAX);
        let first = self.sequence.checked_add(1).and_then(|s| s.checked_sub(count));
        match first {
            Some(first) if first >= 1 && count >= 1 => self.sign_as(Some(first), device, key),
            _ => Err(field("first", "a window needs 1..=sequence events")),
        }
    }

    fn sign_as(
        &self,
        first: Option<u64>,
        device: &str,
        key: &p256::ecdsa::SigningKey,
    ) -> Result<Vec<u8>, ProvisioningError> {
        let events = self
            .events
            .iter()
            .map(|e| {
                let mut w = EventWire { reason: e.reason, ..EventWire::default() };
                match &e.target {
                    StatusTarget::Token(t) => w.token = Some(t.as_str().to_owned()),
                    StatusTarget::Card(c) => w.card = Some(c.as_str().to_owned()),
                    StatusTarget::Device(d) => w.device = Some(*d),
                }
                if e.origin == Origin::User {
                    w.origin = Some("user".into());
                }
                if let Some(Transition::Update(u)) = &e.transition {
                    w.exp_year = u.expiry.map(|x| x.year());
                    w.exp_month = u.expiry.map(|x| x.month());
                    w.art = u.card_art.clone().flatten();
                }
                w.op = e.transition.as_ref().map(|t| {
                    match t {
                        Transition::Activate => "activate",
                        Transition::Suspend => "suspend",
                        Transition::Resume => "resume",
                        Transition::Delete => "delete",
                        Transition::RequireReprovisioning => "reprovision",
                        Transition::Update(_) => "update",
                    }
                    .to_owned()
                });
                w
            })
            .collect();
        let wire = StatusWire {
            v: FORMAT_VERSION,
            seq: self.sequence,
            first,
            device: device.to_owned(),
            iat: self.issued_at.secs(),
            events,
        };
        Ok(sign_envelope(&encode(&wire)?, STATUS_CONTENT_TYPE, key)?)
    }
}

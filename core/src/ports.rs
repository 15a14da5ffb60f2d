//! Ports: the traits through which the sans-I/O core reaches everything outside it.
//!
//! The Smart Tap applet asks an [`IssuerKeyRing`] for collector public keys (spec §6.3
//! step 4), a [`PassSource`] for the pass to send (§12), hands PUSH DATA to a
//! [`PushListener`] (§6.6) and reports decisions to an [`EventSink`]. Randomness and time
//! come from [`RandomSource`] and [`Clock`]. The selection engine reads passes it has not
//! loaded through [`PassRecords`] (its own port, `selection::records`, re-exported here;
//! issue #12). The in-memory implementations used before a
//! store exists live next to the engines that own them; the encrypted store implements
//! the same traits.
//!
//! All port methods take `&self` and the traits require `Send + Sync`, so one store or
//! engine can serve the NFC thread and the UI thread at once.

use std::fmt;
use zeroize::Zeroizing;

use crate::events::WalletEvent;
use crate::time::Timestamp;

pub use crate::selection::records::{PassRecords, Records, RecordsError};

/// A Smart Tap collector ID (spec §1: Google-assigned, 4 bytes big-endian on the wire).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CollectorId(pub u32);

impl CollectorId {
    /// Wire form (`cld` payload after the format byte).
    pub const fn to_be_bytes(self) -> [u8; 4] {
        self.0.to_be_bytes()
    }
}
impl fmt::Debug for CollectorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CollectorId({})", self.0)
    }
}
impl fmt::Display for CollectorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A redemption issuer (Google Wallet issuer account) ID. Google issuer IDs are
/// 19-digit decimals and fit in a u64 (the vectors' demo issuer is 3265320111641956183).
pub type IssuerId = u64;

/// The Google Wallet pass verticals and their Smart Tap service-object record names (§7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PassType {
    Loyalty,
    GiftCard,
    Offer,
    EventTicket,
    Flight,
    Transit,
    Generic,
}

impl PassType {
    /// Every vertical, in Google Wallet's documentation order.
    pub const ALL: [PassType; 7] = [
        PassType::Loyalty,
        PassType::GiftCard,
        PassType::Offer,
        PassType::EventTicket,
        PassType::Flight,
        PassType::Transit,
        PassType::Generic,
    ];

    /// Inverse of [`PassType::record_type`].
    pub fn from_record_type(rt: &[u8]) -> Option<PassType> {
        PassType::ALL.into_iter().find(|t| t.record_type() == rt)
    }

    /// The service-type request value (`str`, spec §10) that asks for this vertical.
    pub const fn service_type(self) -> u8 {
        match self {
            PassType::Loyalty => 0x03,
            PassType::Offer => 0x04,
            PassType::GiftCard => 0x05,
            PassType::EventTicket => 0x07,
            PassType::Flight => 0x08,
            PassType::Transit => 0x09,
            PassType::Generic => 0x12,
        }
    }
    /// The record type of its service object inside `asv` (spec §7.2).
    pub const fn record_type(self) -> &'static [u8] {
        match self {
            PassType::Loyalty => b"ly",
            PassType::Offer => b"of",
            PassType::GiftCard => b"gc",
            PassType::EventTicket => b"et",
            PassType::Flight => b"fl",
            PassType::Transit => b"tr",
            PassType::Generic => b"gr",
        }
    }
    /// Whether a list of requested service types (spec §10) includes this vertical:
    /// `00` (all) and `01` (all except payment) match every pass type.
    pub fn requested_by(self, service_types: &[u8]) -> bool {
        service_types.iter().any(|&s| s == 0x00 || s == 0x01 || s == self.service_type())
    }
}

/// What the user is doing when the phone meets a terminal (spec §12.2 scenarios).
///
/// Fail-closed (issue 12): the default is [`UiContext::Locked`], so that until the app
/// first reports a context, a wallet configured to require unlock sends no pass.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum UiContext {
    /// One pass is open in the wallet app: only that pass may go.
    PassOpen(String),
    /// Home screen, nothing open.
    Home,
    /// Device unlocked, wallet app not in front.
    Unlocked,
    /// Device locked; also the context before the app reports any.
    #[default]
    Locked,
}

/// What GET SMART TAP DATA sends for one pass (spec §7.3). The redemption value is a
/// secret-ish user datum: it lives in a zeroizing string and is never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct SmartTapPass {
    /// The Google Wallet object ID (`issuerId.suffix`).
    pub object_id: String,
    /// The issuer that owns the pass class (`i` record).
    pub issuer_id: IssuerId,
    pub pass_type: PassType,
    /// `smartTapRedemptionValue`, ASCII only.
    pub redemption_value: Zeroizing<String>,
}

impl fmt::Debug for SmartTapPass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmartTapPass")
            .field("object_id", &self.object_id)
            .field("issuer_id", &self.issuer_id)
            .field("pass_type", &self.pass_type)
            .field("redemption_value", &"<redacted>")
            .finish()
    }
}

/// The answer to "which pass goes to this terminal?" (spec §12.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Send this pass.
    Send(SmartTapPass),
    /// No eligible pass: SW `9001`.
    NothingEligible,
    /// Several eligible and no recent choice: show the chooser, SW `9302`.
    ChooserRequired { candidates: Vec<String> },
    /// The device is locked and the product requires unlock: SW `9300`.
    UnlockRequired,
}

/// A selection question, asked once per GET SMART TAP DATA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectionRequest {
    /// The collector the terminal authenticated as in this field session.
    pub collector: CollectorId,
    /// The requested service types (`str` values, spec §10).
    pub service_types: Vec<u8>,
    /// The moment of the tap.
    pub now: Timestamp,
}

/// Looks up collector public keys (spec §6.3 step 4, §11).
pub trait IssuerKeyRing: Send + Sync {
    /// The long-term public key registered for exactly this (collector, key version)
    /// and valid at `now`; `None` if absent or outside its validity window. Never
    /// substitutes another key version (spec §14).
    fn collector_key(
        &self,
        collector: CollectorId,
        key_version: u32,
        now: Timestamp,
    ) -> Option<p256::PublicKey>;
}

/// Decides which pass, if any, goes to an authenticated collector (spec §12).
pub trait PassSource: Send + Sync {
    /// Whether any stored pass could be redeemed by this collector at all (class lists an
    /// issuer that owns it). Asked before authenticating: a wallet with nothing a terminal
    /// could redeem does not authenticate to it.
    fn could_redeem(&self, collector: CollectorId, now: Timestamp) -> bool;
    /// The decision for one GET DATA (rules 2–6 of §12.2 and the UI-context scenarios).
    fn select(&self, request: &SelectionRequest) -> Selection;
}

/// A decoded PUSH SMART TAP DATA (`spr`, spec §6.6). Values whose encoding is not known
/// are kept raw for the app.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PushData {
    /// `bpr`: raw `mon` payload and currency code text, when present.
    pub balance: Option<PushBalance>,
    /// `nsr`: a notification (type, title, URI; the URI is untrusted).
    pub notification: Option<PushNotification>,
    /// One `ssr` per pass.
    pub services: Vec<ServiceStatusUpdate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PushBalance {
    pub amount_raw: Vec<u8>,
    pub currency: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PushNotification {
    pub service_type: u8,
    pub title: Option<String>,
    pub uri: Option<String>,
}

/// `ssr`: an update for the pass whose `oid` value is `object_ref` (spec §6.6, §7.3).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ServiceStatusUpdate {
    /// The 8-byte `oid` value (first 8 bytes of SHA-256 of the object ID, §7.3).
    pub object_ref: [u8; 8],
    /// `sug`: usage status byte and texts.
    pub usage: Option<UsageUpdate>,
    /// `sup`: operation byte (`00` no-op, `01` remove, `02` set, `03` add, `04` subtract,
    /// `05` free) and its raw value.
    pub operation: Option<(u8, Vec<u8>)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct UsageUpdate {
    pub status: u8,
    pub title: Option<String>,
    pub description: Option<String>,
}

/// Receives PUSH SMART TAP DATA. `collector` is the collector authenticated in this field
/// session, if any; the listener applies an `ssr` only when that collector may redeem the
/// pass it names (spec §6.6 handset rules), and returns how many updates it applied.
///
/// What the terminal sees acknowledged must survive the process: a listener that keeps
/// pushes durably returns only once they are durable, and `Err` when they could not be
/// made so — the applet then answers `9203` (transient: the terminal retries), never
/// `9000` (spec §8).
pub trait PushListener: Send + Sync {
    fn on_push(
        &self,
        collector: Option<CollectorId>,
        push: &PushData,
        now: Timestamp,
    ) -> Result<usize, PushError>;
}

/// A push that could not be made durable: nothing was acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("push not saved: {0}")]
pub struct PushError(pub String);

/// Receives [`WalletEvent`]s. Must not block: it runs on the APDU path.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: WalletEvent);
}

/// An [`EventSink`] that drops everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEvents;
impl EventSink for NoEvents {
    fn emit(&self, _event: WalletEvent) {}
}

/// An [`EventSink`] that keeps events in memory (tests, `hcectl`).
#[derive(Debug, Default)]
pub struct EventLog(std::sync::Mutex<Vec<WalletEvent>>);
impl EventLog {
    /// Takes the events recorded so far.
    pub fn take(&self) -> Vec<WalletEvent> {
        match self.0.lock() {
            Ok(mut v) => std::mem::take(&mut *v),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        }
    }
}
impl EventSink for EventLog {
    fn emit(&self, event: WalletEvent) {
        match self.0.lock() {
            Ok(mut v) => v.push(event),
            Err(p) => p.into_inner().push(event),
        }
    }
}

/// Source of randomness (nonces, ephemeral keys, IVs). Tests inject fixed bytes.
pub trait RandomSource: Send {
    fn fill(&mut self, buf: &mut [u8]);
}

/// The current time, from the host.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// A clock that always says the same time (tests, and hosts that pass time per call).
#[derive(Clone, Copy, Debug, Default)]
pub struct FixedClock(pub Timestamp);
impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// The operating system's random generator.
#[cfg(feature = "os-rng")]
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandom;
#[cfg(feature = "os-rng")]
impl RandomSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        // The OS generator failing is unrecoverable for a wallet: no nonce, no tap.
        #[allow(clippy::expect_used)]
        getrandom::fill(buf).expect("operating system random generator failed");
    }
}

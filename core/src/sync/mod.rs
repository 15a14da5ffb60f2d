//! Talking to servers, sans-I/O: the shared foundation of every sync job, and issuer key
//! sync (issue #7) on top of it.
//!
//! - [`transport`]: the host's [`HttpTransport`] (GET and POST);
//! - [`schedule`]: [`Schedule`] — `Retry-After`, backoff with jitter, freshness,
//!   coalescing, abandoned requests — shared by every job;
//! - [`feed`]: [`Feed`] — one conditional GET (ETag) of a signed document on a schedule
//!   (key bundles, token status, later issuer feeds);
//! - [`outbox`]: [`Outbox`] — durable POSTs of events that happened, with an
//!   `Idempotency-Key`, retried on the schedule's backoff until a 2xx or a 4xx.
//!
//! Key sync keeps the key ring current whenever the device is online.
//!
//! Sans-I/O: [`SyncEngine`] decides when to fetch and what a response means; the host
//! makes the HTTP request through its [`HttpTransport`] and persists [`SyncState`] and the
//! key ring (through a [`BundleApplier`], one transaction per bundle).
//!
//! ```text
//! host                          engine                              applier (ring/store)
//! trigger(NetworkAvailable) ──▶ pending
//! poll(now) ──────────────────▶ Fetch(GET url, If-None-Match)
//! transport.send(..) ─ result ─▶ on_response: 304 → fresh again
//!                               200 → verify (pinned roots) ──────▶ apply_bundle (rules)
//!                               error → backoff with jitter, Retry-After
//! ◀──────────────────────────── SyncOutcome (forwarded as an event), status()
//! ```
//!
//! One whole bundle is fetched from one URL, whatever passes the device holds: the request
//! reveals nothing about them (see `docs/key-sync.md` for the trade-off). The redemption
//! issuers of the passes held are what [`SyncStatus`] reports on and what the
//! `PassAddedWithoutKeys` trigger names. Taps never wait for sync: they read a
//! [`crate::key_ring::SharedKeyRing`] snapshot.

mod engine;
pub mod feed;
pub mod headers;
pub mod outbox;
pub mod schedule;
pub mod transport;

pub use engine::{Skip, SyncConfig, SyncEngine, SyncOutcome, Trigger, ACCEPT};
pub use feed::{Feed, FeedConfig, FeedError, Fetched, Poll};
pub use outbox::{Delivery, Outbox, OutboxConfig, OutboxEntry, OutboxError, IDEMPOTENCY_KEY};
pub use schedule::{Due, Schedule, ScheduleConfig, SyncState, Urgency};
pub use transport::{HttpMethod, HttpRequest, HttpResponse, HttpTransport, TransportError};

use crate::key_bundle::{BundleError, VerifiedBundle};
use crate::key_ring::{ApplyError, ApplyReport, KeyInfo, SharedKeyRing};
use crate::ports::IssuerId;
use crate::time::Timestamp;

/// Where a verified bundle goes: the in-memory ring, or a store that writes the ring in
/// one transaction (all of a bundle or nothing) and then swaps its in-memory copy.
pub trait BundleApplier {
    /// The sequence of the bundle currently applied, if any.
    fn applied_sequence(&self) -> Option<u64>;
    /// Applies under the key ring rules ([`crate::key_ring::KeyRing::apply`]).
    fn apply_bundle(
        &self,
        bundle: &VerifiedBundle,
        now: Timestamp,
    ) -> Result<ApplyReport, ApplyFailure>;
}

/// Why an applier did not apply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApplyFailure {
    #[error(transparent)]
    Rejected(#[from] ApplyError),
    #[error("storing the key ring failed: {0}")]
    Storage(String),
}

impl BundleApplier for SharedKeyRing {
    fn applied_sequence(&self) -> Option<u64> {
        self.snapshot().applied_sequence()
    }
    fn apply_bundle(
        &self,
        bundle: &VerifiedBundle,
        now: Timestamp,
    ) -> Result<ApplyReport, ApplyFailure> {
        Ok(self.apply(bundle, now)?)
    }
}

/// Why a sync attempt failed. The message is what status shows as "last error".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("server answered HTTP {status}")]
    Http { status: u16 },
    #[error("bundle rejected: {0}")]
    Bundle(#[from] BundleError),
    #[error("bundle not applied: {0}")]
    Apply(ApplyError),
    #[error("storing the key ring failed: {0}")]
    Storage(String),
    #[error("server answered 304 Not Modified, but no bundle is held")]
    UnexpectedNotModified,
}

impl From<FeedError> for SyncError {
    fn from(e: FeedError) -> Self {
        match e {
            FeedError::Transport(e) => SyncError::Transport(e),
            FeedError::Http { status } => SyncError::Http { status },
            FeedError::UnexpectedNotModified => SyncError::UnexpectedNotModified,
        }
    }
}

impl From<ApplyFailure> for SyncError {
    fn from(e: ApplyFailure) -> Self {
        match e {
            ApplyFailure::Rejected(e) => SyncError::Apply(e),
            ApplyFailure::Storage(s) => SyncError::Storage(s),
        }
    }
}

/// Where key sync stands (queryable at any time; hosts also show it after each outcome).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SyncStatus {
    pub last_attempt: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    /// The most recent failure, kept after later successes (compare `last_error_at`).
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
    pub consecutive_failures: u32,
    /// When the engine will next fetch unless a new trigger comes sooner.
    pub next_attempt: Option<Timestamp>,
    pub in_flight: bool,
    pub bundle_sequence: Option<u64>,
    pub bundle_expires_at: Option<Timestamp>,
    /// Keys of the wanted issuers (all, if none declared) usable now that end within
    /// [`SyncConfig::expiring_soon_ms`].
    pub expiring_soon: Vec<KeyInfo>,
    /// Wanted issuers with no key usable now: their terminals cannot authenticate.
    pub issuers_without_keys: Vec<IssuerId>,
}

#[cfg(test)]
mod tests;

//! The key-sync state machine: which trigger leads to a fetch when, and what a response
//! does to the key ring. The scheduling (gates, coalescing, backoff, freshness) is the
//! shared [`Schedule`](super::schedule::Schedule); the conditional GET is the shared
//! [`Feed`]. Triggers map onto its urgencies:
//! - `Manual` is [`Urgency::Forced`]: only `Retry-After` holds it back;
//! - `PassAddedWithoutKeys` is [`Urgency::Urgent`]: backoff holds it back, freshness not;
//! - `NetworkAvailable` and `Periodic` are [`Urgency::Routine`]: every gate holds them.

use std::collections::BTreeSet;

use super::feed::{Feed, FeedConfig, Fetched, Poll};
use super::schedule::{ScheduleConfig, SyncState, Urgency, DAY};
use super::transport::{HttpResponse, HttpTransport, TransportError};
use super::{BundleApplier, SyncError, SyncStatus};
use crate::key_bundle::{verify, Limits, PinnedRoots};
use crate::key_ring::{ApplyOutcome, ApplyReport, KeyRing};
use crate::ports::{Clock, IssuerId, RandomSource};
use crate::time::Timestamp;

/// The media type asked for (RFC 9052 §9: COSE_Sign1).
pub const ACCEPT: &str = "application/cose; cose-type=\"cose-sign1\"";

/// How and how often to sync.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncConfig {
    /// Where the operator publishes the whole signed bundle.
    pub url: String,
    /// Fetch at least this often; `None` for no periodic sync.
    pub periodic_ms: Option<i64>,
    /// After a success, automatic triggers wait at least this long.
    pub min_interval_ms: i64,
    /// First backoff delay; doubles with each consecutive failure ...
    pub backoff_initial_ms: i64,
    /// ... up to this.
    pub backoff_max_ms: i64,
    /// Longest `Retry-After` or `max-age` honoured, so a bad header cannot stop sync.
    pub max_server_delay_ms: i64,
    /// Whole-request deadline handed to the transport.
    pub timeout_ms: u64,
    /// Keys ending within this window are reported as expiring soon.
    pub expiring_soon_ms: i64,
    /// Bounds on the bundle (its `max_bytes` is also the body cap).
    pub limits: Limits,
}

impl SyncConfig {
    /// Defaults: daily sync, 5 min minimum interval, backoff 30 s → 6 h, 30 s timeout
    /// ([`ScheduleConfig::default`]).
    pub fn new(url: impl Into<String>) -> Self {
        let s = ScheduleConfig::default();
        SyncConfig {
            url: url.into(),
            periodic_ms: s.periodic_ms,
            min_interval_ms: s.min_interval_ms,
            backoff_initial_ms: s.backoff_initial_ms,
            backoff_max_ms: s.backoff_max_ms,
            max_server_delay_ms: s.max_server_delay_ms,
            timeout_ms: s.timeout_ms,
            expiring_soon_ms: 7 * DAY,
            limits: Limits::default(),
        }
    }

    /// The schedule part of this configuration.
    pub fn schedule(&self) -> ScheduleConfig {
        ScheduleConfig {
            periodic_ms: self.periodic_ms,
            min_interval_ms: self.min_interval_ms,
            backoff_initial_ms: self.backoff_initial_ms,
            backoff_max_ms: self.backoff_max_ms,
            max_server_delay_ms: self.max_server_delay_ms,
            timeout_ms: self.timeout_ms,
        }
    }

    fn feed(&self) -> FeedConfig {
        FeedConfig {
            url: self.url.clone(),
            accept: ACCEPT.to_owned(),
            max_bytes: self.limits.max_bytes,
            schedule: self.schedule(),
        }
    }
}

/// What starts a sync (issue #7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The device came online.
    NetworkAvailable,
    /// A pass was added whose redemption issuers have no keys in the ring.
    PassAddedWithoutKeys { issuers: Vec<IssuerId> },
    /// The host's scheduler fired (the engine also schedules its own, see `periodic_ms`).
    Periodic,
    /// The user asked.
    Manual,
}

/// Why [`SyncEngine::run_once`] made no request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    NotDue { until: Timestamp },
    NothingPending,
    InFlight,
}

/// The result of one attempt; hosts forward it to the app as an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncOutcome {
    /// A newer bundle was verified and applied.
    Updated(ApplyReport),
    /// The server sent the bundle already applied (same sequence).
    Unchanged { sequence: u64, content_differs: bool },
    /// HTTP 304: nothing changed, nothing downloaded.
    NotModified,
    /// Nothing applied; the next attempt waits until `retry_at`.
    Failed { error: SyncError, retry_at: Timestamp },
    /// No request was made.
    Skipped(Skip),
}

/// The sans-I/O sync engine. Drive it with [`trigger`](Self::trigger),
/// [`poll`](Self::poll) and [`on_response`](Self::on_response), or with
/// [`run_once`](Self::run_once) when a blocking transport is at hand.
#[derive(Clone, Debug)]
pub struct SyncEngine {
    config: SyncConfig,
    roots: PinnedRoots,
    feed: Feed,
    /// The redemption issuers of the passes held (what status reports on).
    wanted: BTreeSet<IssuerId>,
}

impl SyncEngine {
    pub fn new(config: SyncConfig, roots: PinnedRoots, state: SyncState) -> Self {
        let feed = Feed::new(config.feed(), state);
        SyncEngine { config, roots, feed, wanted: BTreeSet::new() }
    }

    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    /// The state to persist after each attempt.
    pub fn state(&self) -> &SyncState {
        self.feed.state()
    }

    /// Declares the redemption issuers of the passes held; status reports on these.
    pub fn set_wanted_issuers(&mut self, issuers: impl IntoIterator<Item = IssuerId>) {
        self.wanted = issuers.into_iter().collect();
    }

    /// Records a trigger; several before the next fetch coalesce into it.
    pub fn trigger(&mut self, trigger: Trigger) {
        let urgency = match trigger {
            Trigger::NetworkAvailable | Trigger::Periodic => Urgency::Routine,
            Trigger::Manual => Urgency::Forced,
            Trigger::PassAddedWithoutKeys { issuers } => {
                if issuers.is_empty() {
                    return;
                }
                self.wanted.extend(issuers);
                Urgency::Urgent
            }
        };
        self.feed.trigger(urgency);
    }

    /// Decides whether to fetch now. `Fetch` marks the request in flight and consumes
    /// every pending trigger.
    pub fn poll(&mut self, now: Timestamp) -> Poll {
        self.feed.poll(now)
    }

    /// Takes the transport's result: verifies and applies a bundle, or schedules the retry.
    pub fn on_response(
        &mut self,
        result: Result<HttpResponse, TransportError>,
        applier: &dyn BundleApplier,
        rng: &mut dyn RandomSource,
        now: Timestamp,
    ) -> SyncOutcome {
        let held = applier.applied_sequence().is_some();
        let (roots, limits) = (&self.roots, &self.config.limits);
        let apply = |body: &[u8]| -> Result<ApplyReport, SyncError> {
            let verified = verify(body, roots, limits)?;
            Ok(applier.apply_bundle(&verified, now)?)
        };
        match self.feed.on_response(result, held, apply, rng, now) {
            Ok(Fetched::NotModified) => SyncOutcome::NotModified,
            Ok(Fetched::Applied(report)) => match report.outcome {
                ApplyOutcome::Applied => SyncOutcome::Updated(report),
                ApplyOutcome::AlreadyCurrent => SyncOutcome::Unchanged {
                    sequence: report.sequence,
                    content_differs: report.content_differs,
                },
            },
            Err((error, retry_at)) => SyncOutcome::Failed { error, retry_at },
        }
    }

    /// Polls, makes the request if one is due, and handles the answer.
    pub fn run_once(
        &mut self,
        transport: &dyn HttpTransport,
        applier: &dyn BundleApplier,
        rng: &mut dyn RandomSource,
        clock: &dyn Clock,
    ) -> SyncOutcome {
        match self.poll(clock.now()) {
            Poll::Fetch(request) => {
                let result = transport.send(&request);
                self.on_response(result, applier, rng, clock.now())
            }
            Poll::WaitUntil(until) => SyncOutcome::Skipped(Skip::NotDue { until }),
            Poll::Idle => SyncOutcome::Skipped(Skip::NothingPending),
            Poll::InFlight => SyncOutcome::Skipped(Skip::InFlight),
        }
    }

    /// Where sync stands, for the app's status screen.
    pub fn status(&self, ring: &KeyRing, now: Timestamp) -> SyncStatus {
        let until = now.plus_millis(self.config.expiring_soon_ms);
        let wanted = |issuer: &IssuerId| self.wanted.is_empty() || self.wanted.contains(issuer);
        let usable = ring.issuers_with_usable_keys(now);
        let s = self.feed.state();
        let schedule = self.feed.schedule();
        SyncStatus {
            last_attempt: s.last_attempt_ms.map(Timestamp),
            last_success: s.last_success_ms.map(Timestamp),
            last_error: s.last_error.clone(),
            last_error_at: s.last_error_ms.map(Timestamp),
            consecutive_failures: s.consecutive_failures,
            next_attempt: if schedule.in_flight() { None } else { schedule.next_due() },
            in_flight: schedule.in_flight(),
            bundle_sequence: ring.applied_sequence(),
            bundle_expires_at: ring.applied().map(|a| Timestamp(a.expires_at_ms)),
            expiring_soon: (ring.expiring_before(now, until).into_iter())
                .filter(|k| wanted(&k.key.issuer))
                .collect(),
            issuers_without_keys: self.wanted.difference(&usable).copied().collect(),
        }
    }
}

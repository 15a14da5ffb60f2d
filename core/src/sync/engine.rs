//! The key-sync state machine: which trigger leads to a fetch when, and what a response
//! does to the key ring and to the schedule.
//!
//! Gates, from hardest to softest:
//! - `Retry-After` from the server (429, 503 or any failed answer): every trigger waits;
//! - exponential backoff with jitter after a failure: every trigger but `Manual` waits;
//! - freshness after a success (`Cache-Control: max-age`, at least
//!   [`SyncConfig::min_interval_ms`]): `NetworkAvailable` and `Periodic` wait, while
//!   `Manual` and `PassAddedWithoutKeys` still make a conditional request.
//!
//! All pending triggers are satisfied by the one fetch that the first due trigger starts
//! (coalescing). A failure leaves a retry pending, due when its backoff ends.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::headers::{entity_tag, max_age_secs, retry_after_ms};
use super::transport::{HttpRequest, HttpResponse, HttpTransport, TransportError};
use super::{BundleApplier, SyncError, SyncStatus};
use crate::key_bundle::{verify, Limits, PinnedRoots};
use crate::key_ring::{ApplyOutcome, ApplyReport, KeyRing};
use crate::ports::{Clock, IssuerId, RandomSource};
use crate::time::Timestamp;

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

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
    /// Defaults: daily sync, 5 min minimum interval, backoff 30 s → 6 h, 30 s timeout.
    pub fn new(url: impl Into<String>) -> Self {
        SyncConfig {
            url: url.into(),
            periodic_ms: Some(DAY),
            min_interval_ms: 5 * MINUTE,
            backoff_initial_ms: 30 * SECOND,
            backoff_max_ms: 6 * HOUR,
            max_server_delay_ms: DAY,
            timeout_ms: 30_000,
            expiring_soon_ms: 7 * DAY,
            limits: Limits::default(),
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

/// The persistable part of the engine: a store saves it next to the key ring. Losing it
/// costs one unconditional fetch, nothing more.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// Entity tag of the response whose bundle is applied.
    pub etag: Option<String>,
    pub last_attempt_ms: Option<i64>,
    pub last_success_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
    pub consecutive_failures: u32,
    /// Backoff: no automatic attempt before this.
    pub backoff_until_ms: Option<i64>,
    /// `Retry-After`: no attempt at all before this.
    pub server_retry_at_ms: Option<i64>,
    /// Freshness: no `NetworkAvailable`/`Periodic` fetch before this.
    pub fresh_until_ms: Option<i64>,
    /// The engine's own periodic trigger.
    pub next_periodic_ms: Option<i64>,
    /// A failed attempt waits to be retried.
    pub retry_pending: bool,
}

/// What the host should do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Poll {
    /// Make this request and hand the result to [`SyncEngine::on_response`].
    Fetch(HttpRequest),
    /// Nothing is due before this moment; poll again then (or on a new trigger).
    WaitUntil(Timestamp),
    /// Nothing is pending and no periodic sync is configured.
    Idle,
    /// A request is out; wait for its response.
    InFlight,
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

#[derive(Clone, Debug, Default)]
struct Pending {
    network: bool,
    periodic: bool,
    manual: bool,
    issuers: BTreeSet<IssuerId>,
}

#[derive(Clone, Debug)]
struct InFlight {
    sent_etag: bool,
    started_ms: i64,
}

/// The sans-I/O sync engine. Drive it with [`trigger`](Self::trigger),
/// [`poll`](Self::poll) and [`on_response`](Self::on_response), or with
/// [`run_once`](Self::run_once) when a blocking transport is at hand.
#[derive(Clone, Debug)]
pub struct SyncEngine {
    config: SyncConfig,
    roots: PinnedRoots,
    state: SyncState,
    pending: Pending,
    in_flight: Option<InFlight>,
    /// The redemption issuers of the passes held (what status reports on).
    wanted: BTreeSet<IssuerId>,
}

impl SyncEngine {
    pub fn new(config: SyncConfig, roots: PinnedRoots, state: SyncState) -> Self {
        SyncEngine {
            config,
            roots,
            state,
            pending: Pending::default(),
            in_flight: None,
            wanted: BTreeSet::new(),
        }
    }

    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    /// The state to persist after each attempt.
    pub fn state(&self) -> &SyncState {
        &self.state
    }

    /// Declares the redemption issuers of the passes held; status reports on these.
    pub fn set_wanted_issuers(&mut self, issuers: impl IntoIterator<Item = IssuerId>) {
        self.wanted = issuers.into_iter().collect();
    }

    /// Records a trigger; several before the next fetch coalesce into it.
    pub fn trigger(&mut self, trigger: Trigger) {
        match trigger {
            Trigger::NetworkAvailable => self.pending.network = true,
            Trigger::Periodic => self.pending.periodic = true,
            Trigger::Manual => self.pending.manual = true,
            Trigger::PassAddedWithoutKeys { issuers } => {
                self.wanted.extend(issuers.iter().copied());
                self.pending.issuers.extend(issuers);
            }
        }
    }

    /// The earliest moment a fetch is due, if anything is pending or periodic.
    fn next_due(&self) -> Option<Timestamp> {
        let s = &self.state;
        let server = s.server_retry_at_ms.unwrap_or(i64::MIN);
        let backoff = server.max(s.backoff_until_ms.unwrap_or(i64::MIN));
        let fresh = backoff.max(s.fresh_until_ms.unwrap_or(i64::MIN));
        let p = &self.pending;
        let candidates = [
            p.manual.then_some(server),
            (!p.issuers.is_empty() || s.retry_pending).then_some(backoff),
            (p.network || p.periodic).then_some(fresh),
            self.config.periodic_ms.map(|_| fresh.max(s.next_periodic_ms.unwrap_or(i64::MIN))),
        ];
        candidates.into_iter().flatten().min().map(Timestamp)
    }

    /// Decides whether to fetch now. `Fetch` marks the request in flight and consumes
    /// every pending trigger.
    pub fn poll(&mut self, now: Timestamp) -> Poll {
        if let Some(flight) = &self.in_flight {
            if now.0.saturating_sub(flight.started_ms) <= self.abandon_after_ms() {
                return Poll::InFlight;
            }
            // The host never reported back (process killed, callback lost): forget the
            // request and retry it like a failed one, without counting a failure.
            self.in_flight = None;
            self.state.retry_pending = true;
        }
        match self.next_due() {
            None => Poll::Idle,
            Some(due) if due > now => Poll::WaitUntil(due),
            Some(_) => {
                self.pending = Pending::default();
                let mut headers = vec![("accept".to_owned(), ACCEPT.to_owned())];
                if let Some(etag) = &self.state.etag {
                    headers.push(("if-none-match".to_owned(), etag.clone()));
                }
                self.in_flight =
                    Some(InFlight { sent_etag: self.state.etag.is_some(), started_ms: now.0 });
                Poll::Fetch(HttpRequest {
                    url: self.config.url.clone(),
                    headers,
                    timeout_ms: self.config.timeout_ms,
                    max_body_bytes: self.config.limits.max_bytes as u64,
                })
            }
        }
    }

    /// Takes the transport's result: verifies and applies a bundle, or schedules the retry.
    pub fn on_response(
        &mut self,
        result: Result<HttpResponse, TransportError>,
        applier: &dyn BundleApplier,
        rng: &mut dyn RandomSource,
        now: Timestamp,
    ) -> SyncOutcome {
        let sent_etag = self.in_flight.take().is_some_and(|f| f.sent_etag);
        self.state.last_attempt_ms = Some(now.0);
        let (result, retry_after) = match result {
            Err(e) => (Err(SyncError::Transport(e)), None),
            Ok(response) => {
                let retry_after =
                    response.header("retry-after").and_then(|v| retry_after_ms(v, now));
                (self.handle(response, sent_etag, applier, now), retry_after)
            }
        };
        match result {
            Ok((outcome, max_age_ms)) => {
                self.succeeded(now, max_age_ms);
                outcome
            }
            Err(error) => {
                let retry_at = self.failed(&error, retry_after, rng, now);
                SyncOutcome::Failed { error, retry_at }
            }
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
                let result = transport.get(&request);
                self.on_response(result, applier, rng, clock.now())
            }
            Poll::WaitUntil(until) => SyncOutcome::Skipped(Skip::NotDue { until }),
            Poll::Idle => SyncOutcome::Skipped(Skip::NothingPending),
            Poll::InFlight => SyncOutcome::Skipped(Skip::InFlight),
        }
    }

    fn handle(
        &mut self,
        response: HttpResponse,
        sent_etag: bool,
        applier: &dyn BundleApplier,
        now: Timestamp,
    ) -> Result<(SyncOutcome, Option<i64>), SyncError> {
        let max_age_ms = (response.header("cache-control").and_then(max_age_secs))
            .map(|s| s.saturating_mul(SECOND));
        match response.status {
            304 if sent_etag && applier.applied_sequence().is_some() => {
                Ok((SyncOutcome::NotModified, max_age_ms))
            }
            304 => {
                self.state.etag = None;
                Err(SyncError::UnexpectedNotModified)
            }
            200 => {
                let limit = self.config.limits.max_bytes;
                if response.body.len() > limit {
                    return Err(TransportError::TooLarge { limit: limit as u64 }.into());
                }
                let verified = verify(&response.body, &self.roots, &self.config.limits)?;
                let report = applier.apply_bundle(&verified, now)?;
                self.state.etag = response.header("etag").and_then(entity_tag).map(str::to_owned);
                let outcome = match report.outcome {
                    ApplyOutcome::Applied => SyncOutcome::Updated(report),
                    ApplyOutcome::AlreadyCurrent => SyncOutcome::Unchanged {
                        sequence: report.sequence,
                        content_differs: report.content_differs,
                    },
                };
                Ok((outcome, max_age_ms))
            }
            status => Err(SyncError::Http { status }),
        }
    }

    fn succeeded(&mut self, now: Timestamp, max_age_ms: Option<i64>) {
        let max_age = max_age_ms.unwrap_or(0).clamp(0, self.config.max_server_delay_ms);
        let s = &mut self.state;
        s.last_success_ms = Some(now.0);
        s.consecutive_failures = 0;
        s.backoff_until_ms = None;
        s.server_retry_at_ms = None;
        s.retry_pending = false;
        s.fresh_until_ms = Some(now.0.saturating_add(max_age.max(self.config.min_interval_ms)));
        s.next_periodic_ms = self.config.periodic_ms.map(|p| now.0.saturating_add(p.max(max_age)));
    }

    fn failed(
        &mut self,
        error: &SyncError,
        retry_after_ms: Option<i64>,
        rng: &mut dyn RandomSource,
        now: Timestamp,
    ) -> Timestamp {
        let failures = self.state.consecutive_failures.saturating_add(1);
        let backoff_until = now.0.saturating_add(self.backoff_ms(failures, rng));
        let server =
            retry_after_ms.map(|d| now.0.saturating_add(d.min(self.config.max_server_delay_ms)));
        let s = &mut self.state;
        s.consecutive_failures = failures;
        s.last_error = Some(error.to_string());
        s.last_error_ms = Some(now.0);
        s.backoff_until_ms = Some(backoff_until);
        s.server_retry_at_ms = server;
        s.retry_pending = true;
        Timestamp(backoff_until.max(server.unwrap_or(i64::MIN)))
    }

    /// How long a request may stay unanswered before [`poll`](Self::poll) gives up on it:
    /// twice the transport deadline, at least a minute.
    fn abandon_after_ms(&self) -> i64 {
        i64::try_from(self.config.timeout_ms).unwrap_or(i64::MAX).saturating_mul(2).max(60_000)
    }

    /// "Equal jitter": half the exponential delay fixed, half drawn uniformly, so retries
    /// of many devices spread out but never come back sooner than half the delay.
    fn backoff_ms(&self, failures: u32, rng: &mut dyn RandomSource) -> i64 {
        let doublings = failures.saturating_sub(1).min(40);
        let initial = self.config.backoff_initial_ms.max(1);
        let delay =
            initial.saturating_mul(1i64 << doublings).min(self.config.backoff_max_ms.max(1));
        let half = delay / 2;
        let mut bytes = [0u8; 8];
        rng.fill(&mut bytes);
        let span = (delay - half) as u64 + 1;
        half + (u64::from_le_bytes(bytes) % span) as i64
    }

    /// Where sync stands, for the app's status screen.
    pub fn status(&self, ring: &KeyRing, now: Timestamp) -> SyncStatus {
        let until = now.plus_millis(self.config.expiring_soon_ms);
        let wanted = |issuer: &IssuerId| self.wanted.is_empty() || self.wanted.contains(issuer);
        let usable = ring.issuers_with_usable_keys(now);
        let s = &self.state;
        SyncStatus {
            last_attempt: s.last_attempt_ms.map(Timestamp),
            last_success: s.last_success_ms.map(Timestamp),
            last_error: s.last_error.clone(),
            last_error_at: s.last_error_ms.map(Timestamp),
            consecutive_failures: s.consecutive_failures,
            next_attempt: if self.in_flight.is_some() { None } else { self.next_due() },
            in_flight: self.in_flight.is_some(),
            bundle_sequence: ring.applied_sequence(),
            bundle_expires_at: ring.applied().map(|a| Timestamp(a.expires_at_ms)),
            expiring_soon: (ring.expiring_before(now, until).into_iter())
                .filter(|k| wanted(&k.key.issuer))
                .collect(),
            issuers_without_keys: self.wanted.difference(&usable).copied().collect(),
        }
    }
}

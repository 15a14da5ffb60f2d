//! Token sync (payment spec §9.2, §12.3): the wallet's side of the token service, over the
//! host's [`HttpTransport`] and the shared sync pieces of the core (`core::sync`), in the
//! order that keeps the user safe:
//!
//! 1. **user requests** (report lost / resume / delete): the durable outbox entries
//!    written with the local change ([`Store::user_token_request_posted`]) are POSTed in
//!    order with their `Idempotency-Key`; each delivery is written back with the request
//!    queue in one transaction ([`Store::settle_token_request`]);
//! 2. **the status feed**: one conditional GET (ETag) of the device's signed status window
//!    (`core::payment::status`), applied in one transaction with its sequence — all events
//!    or none, in order; a window already applied is "unchanged", an older one is refused
//!    (rollback), a gap is refused (re-provisioning);
//! 3. **replenishment**: for each Active token whose keys are low, exhausted or expired, a
//!    POST of the transaction-log evidence; the answer is a signed provisioning payload for
//!    that token, applied like any other ([`Store::provision_signed`]).
//!
//! Each job runs on its own [`Schedule`] (backoff with jitter, `Retry-After`, freshness),
//! whose state is saved in the store, so a restart neither hammers the server nor forgets
//! a retry. Taps never wait for any of this: the NFC path only reads the store.

use std::sync::{Mutex, PoisonError};

use hce_wallet_core::events::PaymentEvent;
use hce_wallet_core::key_bundle::PinnedRoots;
use hce_wallet_core::payment::provisioning::ProvisioningError;
use hce_wallet_core::payment::token::{TokenId, TokenState};
use hce_wallet_core::payment::token_service::{
    ReplenishWhy, ReplenishmentRequest, TokenServiceUrls, JSON, REQUESTS_CHANNEL,
};
use hce_wallet_core::ports::OsRandom;
use hce_wallet_core::sync::{
    Due, Feed, FeedConfig, FeedError, Fetched, HttpRequest, HttpTransport, Outbox, OutboxConfig,
    Poll, Schedule, ScheduleConfig, Urgency,
};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::token_sync::{RequestSettled, TokenSyncState};
use hce_wallet_store::tokens::TokenError;
use hce_wallet_store::Store;

use crate::{Wallet, WalletError};

const HOUR_MS: i64 = 3_600_000;
/// `Accept` of the status feed.
const STATUS_ACCEPT: &str = "application/cose; cose-type=\"cose-sign1\"";
/// Largest status window or replenishment answer read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What happened to the status feed in one sync.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusOutcome {
    /// A window was verified and its new events applied up to `sequence`; `changes`:
    /// the payment events they raised (state and default-card changes).
    Applied { sequence: u64, changes: u32 },
    /// HTTP 304, or the window applied already.
    NotModified,
    /// Not due yet (freshness, backoff or the server's `Retry-After`).
    Skipped { until: Option<Timestamp> },
    /// The fetch or the window failed; nothing was applied.
    Failed { reason: String, retry_at: Timestamp },
}

/// What one [`Wallet::sync_tokens`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSyncReport {
    /// User requests the token service answered for good in this sync: taken (2xx), or
    /// refused (other 4xx, also raised as `PaymentEvent::RequestRefused`).
    pub requests_sent: u32,
    /// User requests still waiting in the outbox (retried later).
    pub requests_waiting: u32,
    pub status: StatusOutcome,
    /// Tokens that received a key batch.
    pub replenished: Vec<String>,
    /// Why replenishment failed (it is retried with backoff), if it did.
    pub replenish_error: Option<String>,
}

/// The token service's jobs and their schedules.
pub(crate) struct TokenSync {
    urls: TokenServiceUrls,
    status: Feed,
    replenish: Schedule,
    outbox: Outbox,
}

/// Status feed: hourly, at most once a minute when nothing asks urgently.
fn status_schedule() -> ScheduleConfig {
    ScheduleConfig {
        periodic_ms: Some(HOUR_MS),
        min_interval_ms: 60_000,
        ..ScheduleConfig::default()
    }
}

/// Replenishment: only on demand (keys low or gone), backoff 30 s → 1 h.
fn replenish_schedule() -> ScheduleConfig {
    ScheduleConfig {
        periodic_ms: None,
        min_interval_ms: 0,
        backoff_max_ms: HOUR_MS,
        ..ScheduleConfig::default()
    }
}

impl TokenSync {
    pub(crate) fn new(
        base_url: &str,
        device: &str,
        state: TokenSyncState,
    ) -> Result<TokenSync, WalletError> {
        let urls = TokenServiceUrls::new(base_url).map_err(|_| {
            WalletError::Config(format!("token_service_url {base_url:?} is not an http(s) URL"))
        })?;
        let status = Feed::new(
            FeedConfig {
                url: urls.status(device),
                accept: STATUS_ACCEPT.into(),
                max_bytes: MAX_ANSWER_BYTES,
                schedule: status_schedule(),
            },
            state.status,
        );
        let replenish = Schedule::new(replenish_schedule(), state.replenish);
        Ok(TokenSync { urls, status, replenish, outbox: Outbox::new(OutboxConfig::default()) })
    }

    pub(crate) fn urls(&self) -> &TokenServiceUrls {
        &self.urls
    }

    fn state(&self) -> TokenSyncState {
        TokenSyncState {
            status: self.status.state().clone(),
            replenish: self.replenish.state().clone(),
        }
    }
}

/// Why the status window was not applied (the feed's error type).
#[derive(Debug, thiserror::Error)]
enum StatusError {
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error("status window refused: {0}")]
    Refused(String),
}

/// Who the wallet talks to in one sync, and what it collects for the listener.
struct Talk<'a> {
    transport: &'a dyn HttpTransport,
    roots: &'a PinnedRoots,
    device: &'a str,
    events: Vec<PaymentEvent>,
}

enum Applied {
    New { sequence: u64, events: Vec<PaymentEvent> },
    Unchanged,
}

impl Wallet {
    /// Talks to the token service now: sends the user's queued requests, fetches the status
    /// feed, and asks for keys for the tokens that need them (see [`crate::token_sync`]).
    /// `user_asked`: the user pulled to refresh (skips freshness and backoff, not the
    /// server's `Retry-After`). Life-cycle changes, new keys and refused requests also
    /// reach the listener as payment events.
    pub fn sync_tokens(&self, user_asked: bool) -> Result<TokenSyncReport, WalletError> {
        let urgency = if user_asked { Urgency::Forced } else { Urgency::Routine };
        self.run_token_sync(urgency)
    }

    pub(crate) fn run_token_sync(&self, urgency: Urgency) -> Result<TokenSyncReport, WalletError> {
        let sync = (self.token_sync.as_ref()).ok_or_else(|| {
            WalletError::Sync("token sync is not configured (no token_service_url)".into())
        })?;
        let transport = (self.transport.as_ref())
            .ok_or_else(|| WalletError::Sync("no HTTP transport was given".into()))?;
        let (roots, device) = self.token_service()?;
        let store = self.persist.store();
        let mut sync = sync.lock().unwrap_or_else(PoisonError::into_inner);
        let mut events = Vec::new();

        // 1. The user's requests, oldest first.
        let entries: Vec<_> =
            store.outbox()?.into_iter().filter(|e| e.channel == REQUESTS_CHANNEL).collect();
        let delivered =
            sync.outbox.deliver(&entries, transport.as_ref(), &mut OsRandom, &*self.clock, |d| {
                match store.settle_token_request(d)? {
                    RequestSettled::Refused { request, status } => {
                        if let Ok(token) = TokenId::new(request.token_ref) {
                            events.push(PaymentEvent::RequestRefused {
                                token,
                                request: request.kind,
                                status,
                            });
                        }
                    }
                    RequestSettled::Done(_) | RequestSettled::Kept => {}
                }
                Ok::<_, hce_wallet_store::StoreError>(())
            });
        let answered = delivered.as_ref().map_or(0, |d| d.iter().filter(|d| d.removes()).count());
        let sent = u32::try_from(answered).unwrap_or(u32::MAX);
        let waiting = entries.len().saturating_sub(answered);

        // 2. The status feed.
        let mut talk = Talk { transport: transport.as_ref(), roots, device, events };
        let status = self.poll_status(&mut sync, urgency, &mut talk);

        // 3. Keys for the tokens that need them.
        let (replenished, replenish_error) = self.replenish(&mut sync, urgency, &mut talk);

        let saved = store.save_token_sync_state(&sync.state());
        drop(sync);
        self.deliver(talk.events);
        delivered?;
        saved?;
        let report = TokenSyncReport {
            requests_sent: sent,
            requests_waiting: u32::try_from(waiting).unwrap_or(u32::MAX),
            status,
            replenished,
            replenish_error,
        };
        log::info!("token sync: {report:?}");
        Ok(report)
    }

    fn poll_status(
        &self,
        sync: &mut TokenSync,
        urgency: Urgency,
        talk: &mut Talk,
    ) -> StatusOutcome {
        let Talk { transport, roots, device, .. } = *talk;
        let store = self.persist.store();
        let now = self.clock.now();
        sync.status.trigger(urgency);
        let request = match sync.status.poll(now) {
            Poll::Fetch(request) => request,
            Poll::WaitUntil(t) => return StatusOutcome::Skipped { until: Some(t) },
            Poll::Idle | Poll::InFlight => return StatusOutcome::Skipped { until: None },
        };
        let held = store.token_sequences().map(|(_, status)| status > 0).unwrap_or(false);
        let result = transport.send(&request);
        let now = self.clock.now();
        let apply = |body: &[u8]| -> Result<Applied, StatusError> {
            match store.apply_status(body, roots, device, now) {
                Ok(events) => {
                    let sequence = store.token_sequences().map(|(_, s)| s).unwrap_or(0);
                    Ok(Applied::New { sequence, events })
                }
                Err(TokenError::Provisioning(ProvisioningError::Replayed { sequence, last }))
                    if sequence == last =>
                {
                    Ok(Applied::Unchanged)
                }
                Err(e) => Err(StatusError::Refused(WalletError::from(e).to_string())),
            }
        };
        match sync.status.on_response(result, held, apply, &mut OsRandom, now) {
            Ok(Fetched::Applied(Applied::New { sequence, events: new })) => {
                let count = u32::try_from(new.len()).unwrap_or(u32::MAX);
                talk.events.extend(new);
                StatusOutcome::Applied { sequence, changes: count }
            }
            Ok(Fetched::Applied(Applied::Unchanged) | Fetched::NotModified) => {
                StatusOutcome::NotModified
            }
            Err((error, retry_at)) => {
                log::warn!("token status feed: {error}");
                StatusOutcome::Failed { reason: error.to_string(), retry_at }
            }
        }
    }

    /// Active tokens whose keys need replenishing, with why.
    fn needing_keys(&self, store: &Store, now: Timestamp) -> Vec<(TokenId, ReplenishWhy, u16)> {
        let Ok(records) = store.token_records() else { return Vec::new() };
        records
            .iter()
            .filter(|r| r.state == TokenState::Active)
            .filter_map(|r| {
                let id = TokenId::new(r.token_ref.clone()).ok()?;
                let why = ReplenishWhy::of(r.key_budget(now))?;
                Some((id, why, r.atc))
            })
            .collect()
    }

    fn replenish(
        &self,
        sync: &mut TokenSync,
        urgency: Urgency,
        talk: &mut Talk,
    ) -> (Vec<String>, Option<String>) {
        let Talk { transport, roots, device, .. } = *talk;
        let store = self.persist.store();
        let needing = self.needing_keys(store, self.clock.now());
        if needing.is_empty() {
            return (Vec::new(), None);
        }
        sync.replenish.request(urgency.max(Urgency::Urgent));
        match sync.replenish.poll(self.clock.now()) {
            Due::Now => {}
            Due::WaitUntil(t) => return (Vec::new(), Some(format!("retry not before {t:?}"))),
            Due::Idle | Due::InFlight => return (Vec::new(), None),
        }
        let mut done = Vec::new();
        for (id, why, atc) in needing {
            let log = store.token_log(&id).unwrap_or_default();
            let body = ReplenishmentRequest::new(device, &id, why, atc, &log).to_json();
            let timeout = sync.replenish.config().timeout_ms;
            let request = HttpRequest::post(
                sync.urls.replenish(),
                JSON,
                body,
                timeout,
                MAX_ANSWER_BYTES as u64,
            )
            .with_header("accept", STATUS_ACCEPT);
            let now = self.clock.now();
            let outcome = match transport.send(&request) {
                Ok(r) if r.status == 200 => {
                    match store.replenish_signed(&r.body, roots, device, &id, now) {
                        Ok(keys) => {
                            talk.events
                                .push(PaymentEvent::KeysReplenished { token: id.clone(), keys });
                            Ok(())
                        }
                        Err(e) => Err((WalletError::from(e).to_string(), None)),
                    }
                }
                Ok(r) => Err((
                    format!("replenishment answered HTTP {}", r.status),
                    r.header("retry-after")
                        .and_then(|v| hce_wallet_core::sync::headers::retry_after_ms(v, now)),
                )),
                Err(e) => Err((e.to_string(), None)),
            };
            match outcome {
                Ok(()) => done.push(id.as_str().to_owned()),
                Err((error, retry_after)) => {
                    let at = sync.replenish.failed(&error, retry_after, &mut OsRandom, now);
                    log::warn!("replenishment of {id}: {error} (retry at {at:?})");
                    return (done, Some(error));
                }
            }
        }
        sync.replenish.succeeded(self.clock.now(), None);
        (done, None)
    }
}

/// The lock type the wallet keeps token sync in.
pub(crate) type TokenSyncCell = Mutex<TokenSync>;

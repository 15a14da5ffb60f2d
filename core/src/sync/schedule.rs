//! When to talk to a server: the scheduling every sync job shares (key bundles, token
//! status, token replenishment, outbox deliveries, later issuer feeds).
//!
//! Gates, from hardest to softest:
//! - `Retry-After` from the server (429, 503 or any failed answer): every request waits;
//! - exponential backoff with "equal jitter" after a failure: every request but a
//!   [`Urgency::Forced`] one waits;
//! - freshness after a success (`Cache-Control: max-age`, at least
//!   [`ScheduleConfig::min_interval_ms`]): only [`Urgency::Routine`] requests wait.
//!
//! All pending requests are satisfied by the one attempt the first due request starts
//! (coalescing). A failure leaves a retry pending, due when its backoff ends. A request
//! never answered (process killed, callback lost) is abandoned after twice the transport
//! deadline and retried without counting a failure.
//!
//! The state ([`SyncState`]) is serde and persisted by the host; losing it costs one
//! unconditional attempt.

use serde::{Deserialize, Serialize};

use crate::ports::RandomSource;
use crate::time::Timestamp;

pub(crate) const SECOND: i64 = 1000;
pub(crate) const MINUTE: i64 = 60 * SECOND;
pub(crate) const HOUR: i64 = 60 * MINUTE;
pub(crate) const DAY: i64 = 24 * HOUR;

/// How often and how patiently to ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleConfig {
    /// Ask at least this often; `None` for no periodic attempt.
    pub periodic_ms: Option<i64>,
    /// After a success, routine requests wait at least this long.
    pub min_interval_ms: i64,
    /// First backoff delay; doubles with each consecutive failure ...
    pub backoff_initial_ms: i64,
    /// ... up to this.
    pub backoff_max_ms: i64,
    /// Longest `Retry-After` or `max-age` honoured, so a bad header cannot stop sync.
    pub max_server_delay_ms: i64,
    /// Whole-request deadline handed to the transport.
    pub timeout_ms: u64,
}

impl Default for ScheduleConfig {
    /// Daily, 5 min minimum interval, backoff 30 s → 6 h, server delays capped at 24 h,
    /// 30 s timeout (the key-sync defaults, issue #7).
    fn default() -> Self {
        ScheduleConfig {
            periodic_ms: Some(DAY),
            min_interval_ms: 5 * MINUTE,
            backoff_initial_ms: 30 * SECOND,
            backoff_max_ms: 6 * HOUR,
            max_server_delay_ms: DAY,
            timeout_ms: 30_000,
        }
    }
}

impl ScheduleConfig {
    /// "Equal jitter": half the exponential delay for the `failures`-th consecutive
    /// failure fixed, half drawn uniformly from `rng`, so retries of many devices spread
    /// out but never come back sooner than half the delay.
    pub fn backoff_ms(&self, failures: u32, rng: &mut dyn RandomSource) -> i64 {
        let doublings = failures.saturating_sub(1).min(40);
        let initial = self.backoff_initial_ms.max(1);
        let delay = initial.saturating_mul(1i64 << doublings).min(self.backoff_max_ms.max(1));
        let half = delay / 2;
        let mut bytes = [0u8; 8];
        rng.fill(&mut bytes);
        let span = (delay - half) as u64 + 1;
        half + (u64::from_le_bytes(bytes) % span) as i64
    }

    /// A server-given delay (`Retry-After`, `max-age`) capped at
    /// [`max_server_delay_ms`](Self::max_server_delay_ms).
    pub fn server_delay_ms(&self, ms: i64) -> i64 {
        ms.clamp(0, self.max_server_delay_ms)
    }

    /// How long a request may stay unanswered before it is given up on: twice the
    /// transport deadline, at least a minute.
    pub fn abandon_after_ms(&self) -> i64 {
        i64::try_from(self.timeout_ms).unwrap_or(i64::MAX).saturating_mul(2).max(MINUTE)
    }
}

/// The persistable part of a schedule (and the entity tag of a document feed): a store
/// saves it next to what the job maintains.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// Entity tag of the response whose document is applied (document feeds only).
    pub etag: Option<String>,
    pub last_attempt_ms: Option<i64>,
    pub last_success_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
    pub consecutive_failures: u32,
    /// Backoff: no non-forced attempt before this.
    pub backoff_until_ms: Option<i64>,
    /// `Retry-After`: no attempt at all before this.
    pub server_retry_at_ms: Option<i64>,
    /// Freshness: no routine attempt before this.
    pub fresh_until_ms: Option<i64>,
    /// The schedule's own periodic attempt.
    pub next_periodic_ms: Option<i64>,
    /// A failed attempt waits to be retried.
    pub retry_pending: bool,
}

/// How much a request may jump the gates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// The device came online, the host's scheduler fired: waits for freshness.
    Routine,
    /// Something the user will notice needs it (a pass without keys, keys running low):
    /// skips freshness, waits for backoff.
    Urgent,
    /// The user asked: waits only for the server's `Retry-After`.
    Forced,
}

/// What [`Schedule::poll`] says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// Make the attempt now (it is marked in flight; pending requests are consumed).
    Now,
    /// Nothing is due before this moment.
    WaitUntil(Timestamp),
    /// Nothing is pending and no periodic attempt is configured.
    Idle,
    /// An attempt is out; wait for its result.
    InFlight,
}

#[derive(Clone, Copy, Debug, Default)]
struct Pending {
    routine: bool,
    urgent: bool,
    forced: bool,
}

/// The shared scheduler: gates, coalescing, backoff, freshness, abandoned attempts.
#[derive(Clone, Debug)]
pub struct Schedule {
    config: ScheduleConfig,
    state: SyncState,
    pending: Pending,
    in_flight_since: Option<i64>,
}

impl Schedule {
    pub fn new(config: ScheduleConfig, state: SyncState) -> Self {
        Schedule { config, state, pending: Pending::default(), in_flight_since: None }
    }

    pub fn config(&self) -> &ScheduleConfig {
        &self.config
    }

    /// The state to persist after each attempt.
    pub fn state(&self) -> &SyncState {
        &self.state
    }

    pub(crate) fn state_mut(&mut self) -> &mut SyncState {
        &mut self.state
    }

    /// Records a request; several before the next attempt coalesce into it.
    pub fn request(&mut self, urgency: Urgency) {
        match urgency {
            Urgency::Routine => self.pending.routine = true,
            Urgency::Urgent => self.pending.urgent = true,
            Urgency::Forced => self.pending.forced = true,
        }
    }

    pub fn in_flight(&self) -> bool {
        self.in_flight_since.is_some()
    }

    /// The earliest moment an attempt is due, if anything is pending or periodic.
    pub fn next_due(&self) -> Option<Timestamp> {
        let s = &self.state;
        let server = s.server_retry_at_ms.unwrap_or(i64::MIN);
        let backoff = server.max(s.backoff_until_ms.unwrap_or(i64::MIN));
        let fresh = backoff.max(s.fresh_until_ms.unwrap_or(i64::MIN));
        let p = &self.pending;
        let candidates = [
            p.forced.then_some(server),
            (p.urgent || s.retry_pending).then_some(backoff),
            p.routine.then_some(fresh),
            self.config.periodic_ms.map(|_| fresh.max(s.next_periodic_ms.unwrap_or(i64::MIN))),
        ];
        candidates.into_iter().flatten().min().map(Timestamp)
    }

    /// Decides whether to make the attempt now.
    pub fn poll(&mut self, now: Timestamp) -> Due {
        if let Some(started) = self.in_flight_since {
            if now.0.saturating_sub(started) <= self.config.abandon_after_ms() {
                return Due::InFlight;
            }
            // The host never reported back: retry like a failure, without counting one.
            self.in_flight_since = None;
            self.state.retry_pending = true;
        }
        match self.next_due() {
            None => Due::Idle,
            Some(due) if due > now => Due::WaitUntil(due),
            Some(_) => {
                self.pending = Pending::default();
                self.in_flight_since = Some(now.0);
                Due::Now
            }
        }
    }

    /// The attempt succeeded; `max_age_ms` is the server's freshness, if it gave one.
    pub fn succeeded(&mut self, now: Timestamp, max_age_ms: Option<i64>) {
        self.in_flight_since = None;
        let max_age = self.config.server_delay_ms(max_age_ms.unwrap_or(0));
        let s = &mut self.state;
        s.last_attempt_ms = Some(now.0);
        s.last_success_ms = Some(now.0);
        s.consecutive_failures = 0;
        s.backoff_until_ms = None;
        s.server_retry_at_ms = None;
        s.retry_pending = false;
        s.fresh_until_ms = Some(now.0.saturating_add(max_age.max(self.config.min_interval_ms)));
        s.next_periodic_ms = self.config.periodic_ms.map(|p| now.0.saturating_add(p.max(max_age)));
    }

    /// The attempt failed with `error`; `retry_after_ms` is the server's `Retry-After`.
    /// Returns when the retry is due.
    pub fn failed(
        &mut self,
        error: &str,
        retry_after_ms: Option<i64>,
        rng: &mut dyn RandomSource,
        now: Timestamp,
    ) -> Timestamp {
        self.in_flight_since = None;
        let failures = self.state.consecutive_failures.saturating_add(1);
        let backoff_until = now.0.saturating_add(self.config.backoff_ms(failures, rng));
        let server = retry_after_ms.map(|d| now.0.saturating_add(self.config.server_delay_ms(d)));
        let s = &mut self.state;
        s.last_attempt_ms = Some(now.0);
        s.consecutive_failures = failures;
        s.last_error = Some(error.to_owned());
        s.last_error_ms = Some(now.0);
        s.backoff_until_ms = Some(backoff_until);
        s.server_retry_at_ms = server;
        s.retry_pending = true;
        Timestamp(backoff_until.max(server.unwrap_or(i64::MIN)))
    }

    /// The attempt was not made after all (nothing to send): back to idle, no change.
    pub fn cancel(&mut self) {
        self.in_flight_since = None;
    }
}

//! The durable outbox: POSTs of events that happened (a user's token request, later an
//! issuer NFC-pass callback), delivered at least once, with an `Idempotency-Key` so the
//! server applies each once.
//!
//! Sans-I/O. A store keeps the [`OutboxEntry`]s, written in the **same transaction** as
//! the state change that caused them (nothing is lost across a restart, nothing is sent
//! that did not happen). The host hands the entries to [`Outbox::deliver`] (or drives
//! [`Outbox::due`], [`Outbox::request`] and [`Outbox::settle`] itself) and writes back
//! each [`Delivery`]:
//!
//! | answer | what happens to the entry |
//! |---|---|
//! | 2xx | removed ([`Delivery::Delivered`], with the response for the channel's owner) |
//! | 5xx, 408, 425, 429, transport failure | kept; `attempts + 1`, next attempt after the shared backoff with jitter, or the server's `Retry-After` if later ([`Delivery::Retry`]) |
//! | any other status (4xx: the server will never take it) | removed ([`Delivery::Refused`]: the host raises an event) |
//!
//! Entries of one channel go out in order (FIFO by `seq`): a channel whose head is not due
//! or fails waits as a whole, so "report lost" never overtakes nothing and "resume" never
//! arrives before the "report lost" it undoes. Channels are independent.

use serde::{Deserialize, Serialize};

use super::headers::retry_after_ms;
use super::schedule::ScheduleConfig;
use super::transport::{HttpRequest, HttpResponse, HttpTransport, TransportError};
use crate::ports::{Clock, RandomSource};
use crate::time::Timestamp;

/// The header carrying an entry's event ID (IETF draft `httpapi-idempotency-key-header`).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Longest event ID accepted (a header value; UUIDs and hex IDs are far shorter).
pub const MAX_EVENT_ID_LEN: usize = 128;

/// One POST waiting to be delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Order of enqueueing (assigned by the store; FIFO within a channel).
    pub seq: u64,
    /// Unique per event, sent as `Idempotency-Key`; retries send the same one.
    pub event_id: String,
    /// Who owns the entry (e.g. `token-requests`); deliveries are reported per channel.
    pub channel: String,
    pub url: String,
    pub content_type: String,
    pub body: Vec<u8>,
    pub created_ms: i64,
    /// Attempts made so far.
    pub attempts: u32,
    /// No attempt before this.
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
}

/// Why an entry could not be created.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OutboxError {
    #[error("event ID must be 1..={MAX_EVENT_ID_LEN} visible ASCII characters")]
    EventId,
    #[error("outbox URL {0:?} is not an http(s) URL")]
    Url(String),
    #[error("channel name must not be empty")]
    Channel,
}

impl OutboxEntry {
    /// A new entry, due at once. The event ID must be a valid header value.
    pub fn new(
        event_id: impl Into<String>,
        channel: impl Into<String>,
        url: impl Into<String>,
        content_type: impl Into<String>,
        body: Vec<u8>,
        now: Timestamp,
    ) -> Result<Self, OutboxError> {
        let (event_id, channel, url) = (event_id.into(), channel.into(), url.into());
        let visible = |s: &str| s.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if event_id.is_empty() || event_id.len() > MAX_EVENT_ID_LEN || !visible(&event_id) {
            return Err(OutboxError::EventId);
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(OutboxError::Url(url));
        }
        if channel.is_empty() {
            return Err(OutboxError::Channel);
        }
        Ok(OutboxEntry {
            seq: 0,
            event_id,
            channel,
            url,
            content_type: content_type.into(),
            body,
            created_ms: now.0,
            attempts: 0,
            next_attempt_ms: now.0,
            last_error: None,
        })
    }

    pub fn is_due(&self, now: Timestamp) -> bool {
        self.next_attempt_ms <= now.0
    }
}

/// What one attempt did to an entry; the host writes it back (remove or update).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// 2xx: remove the entry. The response is for the channel's owner (e.g. a signed
    /// answer to apply).
    Delivered { entry: OutboxEntry, response: HttpResponse },
    /// Transient failure: keep `entry` (attempts and next attempt updated).
    Retry { entry: OutboxEntry, error: String },
    /// The server will never take it: remove the entry and tell the user.
    Refused { entry: OutboxEntry, status: u16 },
}

impl Delivery {
    pub fn entry(&self) -> &OutboxEntry {
        match self {
            Delivery::Delivered { entry, .. }
            | Delivery::Retry { entry, .. }
            | Delivery::Refused { entry, .. } => entry,
        }
    }

    /// The entry leaves the outbox.
    pub fn removes(&self) -> bool {
        !matches!(self, Delivery::Retry { .. })
    }
}

/// How deliveries are made and retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxConfig {
    /// Backoff, server delay cap and timeout (periodic and freshness are unused).
    pub schedule: ScheduleConfig,
    /// Largest response body read.
    pub max_response_bytes: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig { schedule: ScheduleConfig::default(), max_response_bytes: 64 * 1024 }
    }
}

/// The outbox's rules (sans-I/O; the entries live in the host's store).
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    config: OutboxConfig,
}

/// Statuses that say "try again later" although they are not 5xx (RFC 9110 §15.5.9,
/// RFC 8470 §5.2, RFC 6585 §4).
const TRANSIENT_4XX: [u16; 3] = [408, 425, 429];

impl Outbox {
    pub fn new(config: OutboxConfig) -> Self {
        Outbox { config }
    }

    pub fn config(&self) -> &OutboxConfig {
        &self.config
    }

    /// The entries to attempt now, in order: per channel, the head and what follows it
    /// while due (`entries` in any order).
    pub fn due<'a>(&self, entries: &'a [OutboxEntry], now: Timestamp) -> Vec<&'a OutboxEntry> {
        let mut sorted: Vec<&OutboxEntry> = entries.iter().collect();
        sorted.sort_by_key(|e| e.seq);
        let mut blocked: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for e in sorted {
            if blocked.contains(&e.channel.as_str()) {
                continue;
            }
            if e.is_due(now) {
                out.push(e);
            } else {
                blocked.push(&e.channel);
            }
        }
        out
    }

    /// When the next entry is due, if any.
    pub fn next_due(&self, entries: &[OutboxEntry]) -> Option<Timestamp> {
        entries.iter().map(|e| e.next_attempt_ms).min().map(Timestamp)
    }

    /// The POST for `entry`.
    pub fn request(&self, entry: &OutboxEntry) -> HttpRequest {
        HttpRequest::post(
            entry.url.clone(),
            &entry.content_type,
            entry.body.clone(),
            self.config.schedule.timeout_ms,
            self.config.max_response_bytes,
        )
        .with_header(IDEMPOTENCY_KEY, entry.event_id.clone())
    }

    /// What the answer means for `entry`.
    pub fn settle(
        &self,
        mut entry: OutboxEntry,
        result: Result<HttpResponse, TransportError>,
        rng: &mut dyn RandomSource,
        now: Timestamp,
    ) -> Delivery {
        entry.attempts = entry.attempts.saturating_add(1);
        let (error, retry_after) = match result {
            Ok(r) if (200..300).contains(&r.status) => {
                entry.last_error = None;
                return Delivery::Delivered { entry, response: r };
            }
            Ok(r) if r.status >= 500 || TRANSIENT_4XX.contains(&r.status) => (
                format!("server answered HTTP {}", r.status),
                r.header("retry-after").and_then(|v| retry_after_ms(v, now)),
            ),
            Ok(r) => {
                entry.last_error = Some(format!("server refused with HTTP {}", r.status));
                return Delivery::Refused { entry, status: r.status };
            }
            Err(e) => (e.to_string(), None),
        };
        let s = &self.config.schedule;
        let backoff = now.0.saturating_add(s.backoff_ms(entry.attempts, rng));
        let server = retry_after.map(|d| now.0.saturating_add(s.server_delay_ms(d)));
        entry.next_attempt_ms = backoff.max(server.unwrap_or(i64::MIN));
        entry.last_error = Some(error.clone());
        Delivery::Retry { entry, error }
    }

    /// Delivers what is due through a blocking transport, in order, handing each result
    /// to `persist` (remove or update the entry) **before** the next request. A channel
    /// whose entry is kept for a retry sends nothing more this round. Stops at the first
    /// `persist` failure (the entry stays as stored: it is retried, the server dedups it
    /// by its `Idempotency-Key`).
    pub fn deliver<E>(
        &self,
        entries: &[OutboxEntry],
        transport: &dyn HttpTransport,
        rng: &mut dyn RandomSource,
        clock: &dyn Clock,
        mut persist: impl FnMut(&Delivery) -> Result<(), E>,
    ) -> Result<Vec<Delivery>, E> {
        let mut out: Vec<Delivery> = Vec::new();
        let mut held_back: Vec<String> = Vec::new();
        for entry in self.due(entries, clock.now()) {
            if held_back.contains(&entry.channel) {
                continue;
            }
            let result = transport.send(&self.request(entry));
            let delivery = self.settle(entry.clone(), result, rng, clock.now());
            persist(&delivery)?;
            if !delivery.removes() {
                held_back.push(entry.channel.clone());
            }
            out.push(delivery);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::FixedClock;
    use std::sync::Mutex;

    struct Zero;
    impl RandomSource for Zero {
        fn fill(&mut self, buf: &mut [u8]) {
            buf.fill(0);
        }
    }

    fn t(ms: i64) -> Timestamp {
        Timestamp(1_800_000_000_000 + ms)
    }

    fn entry(seq: u64, channel: &str) -> OutboxEntry {
        let mut e = OutboxEntry::new(
            format!("ev-{seq}"),
            channel,
            "http://x/p",
            "application/json",
            vec![1],
            t(0),
        )
        .unwrap();
        e.seq = seq;
        e
    }

    fn answer(status: u16, headers: &[(&str, &str)]) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status,
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: Vec::new(),
        })
    }

    #[test]
    fn entries_are_validated() {
        let new = |id: &str, url: &str, ch: &str| {
            OutboxEntry::new(id, ch, url, "text/plain", vec![], t(0)).err()
        };
        assert_eq!(new("", "http://x", "c"), Some(OutboxError::EventId));
        assert_eq!(new("a b", "http://x", "c"), Some(OutboxError::EventId));
        assert_eq!(new(&"a".repeat(129), "http://x", "c"), Some(OutboxError::EventId));
        assert!(matches!(new("a", "ftp://x", "c"), Some(OutboxError::Url(_))));
        assert_eq!(new("a", "https://x", ""), Some(OutboxError::Channel));
        assert_eq!(new("a", "https://x", "c"), None);
    }

    #[test]
    fn the_request_is_a_post_with_the_idempotency_key() {
        let r = Outbox::default().request(&entry(1, "c"));
        assert_eq!(r.method, crate::sync::HttpMethod::Post);
        assert_eq!(r.header("Idempotency-Key"), Some("ev-1"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.body, vec![1]);
    }

    #[test]
    fn answers_settle_entries() {
        let o = Outbox::default();
        let d = o.settle(entry(1, "c"), answer(204, &[]), &mut Zero, t(0));
        assert!(matches!(d, Delivery::Delivered { .. }) && d.removes());
        let d = o.settle(entry(1, "c"), answer(409, &[]), &mut Zero, t(0));
        assert!(matches!(d, Delivery::Refused { status: 409, .. }) && d.removes());
        // 5xx: backoff (equal jitter, byte 0 → half of 30 s); a second failure doubles it.
        let Delivery::Retry { entry: e, .. } =
            o.settle(entry(1, "c"), answer(503, &[]), &mut Zero, t(0))
        else {
            panic!()
        };
        assert_eq!((e.attempts, e.next_attempt_ms), (1, t(15_000).0));
        let Delivery::Retry { entry: e, .. } =
            o.settle(e, Err(TransportError::Timeout), &mut Zero, t(15_000))
        else {
            panic!()
        };
        assert_eq!((e.attempts, e.next_attempt_ms), (2, t(45_000).0));
        assert_eq!(e.last_error.as_deref(), Some("request timed out"));
        // 429 with Retry-After: the later of the two.
        let Delivery::Retry { entry: e, .. } =
            o.settle(entry(1, "c"), answer(429, &[("Retry-After", "120")]), &mut Zero, t(0))
        else {
            panic!()
        };
        assert_eq!(e.next_attempt_ms, t(120_000).0);
    }

    struct Scripted(Mutex<Vec<Result<HttpResponse, TransportError>>>, Mutex<Vec<String>>);
    impl HttpTransport for Scripted {
        fn send(&self, r: &HttpRequest) -> Result<HttpResponse, TransportError> {
            self.1.lock().unwrap().push(r.header(IDEMPOTENCY_KEY).unwrap_or("").to_owned());
            self.0.lock().unwrap().remove(0)
        }
    }

    #[test]
    fn a_channel_is_fifo_and_waits_behind_its_failed_head() {
        let o = Outbox::default();
        let entries = vec![entry(3, "a"), entry(1, "a"), entry(2, "b"), entry(4, "a")];
        let script =
            Scripted(Mutex::new(vec![answer(500, &[]), answer(200, &[])]), Mutex::default());
        let mut persisted = Vec::new();
        let out = o
            .deliver(&entries, &script, &mut Zero, &FixedClock(t(0)), |d| {
                persisted.push(d.entry().seq);
                Ok::<_, ()>(())
            })
            .unwrap();
        // ev-1 failed: ev-3 and ev-4 of channel a wait; channel b goes on.
        assert_eq!(*script.1.lock().unwrap(), vec!["ev-1", "ev-2"]);
        assert_eq!(persisted, vec![1, 2]);
        assert!(!out[0].removes() && out[1].removes());
        // A channel whose head is not due is skipped whole.
        let mut later = entry(1, "a");
        later.next_attempt_ms = t(10).0;
        assert!(o.due(&[later, entry(2, "a")], t(0)).is_empty());
    }

    #[test]
    fn a_persist_failure_stops_the_round() {
        let o = Outbox::default();
        let script = Scripted(Mutex::new(vec![answer(200, &[])]), Mutex::default());
        let r = o.deliver(
            &[entry(1, "a"), entry(2, "b")],
            &script,
            &mut Zero,
            &FixedClock(t(0)),
            |_| Err("disk full"),
        );
        assert_eq!(r, Err("disk full"));
        assert_eq!(script.1.lock().unwrap().len(), 1);
    }
}

//! One conditional GET of a signed document, on the shared [`Schedule`]: the step key
//! sync, the token-status feed and later issuer feeds have in common.
//!
//! The feed sends `If-None-Match` with the entity tag of the response whose document was
//! applied; a 304 then costs one round trip. A 304 when no document is held is an error
//! and drops the tag (the next attempt is unconditional). A body over the cap is refused
//! even if the transport let it through. The document itself is the caller's business:
//! [`Feed::on_response`] hands the body to an `apply` step (verify the signature, check
//! the sequence, write it in one transaction) and records the tag only once that step
//! succeeded. Any failure keeps what is held and schedules the retry (backoff, and the
//! server's `Retry-After`).

use super::headers::{entity_tag, max_age_secs, retry_after_ms};
use super::schedule::{Due, Schedule, ScheduleConfig, SyncState, Urgency, SECOND};
use super::transport::{HttpRequest, HttpResponse, TransportError};
use crate::ports::RandomSource;
use crate::time::Timestamp;

/// Where a document is published and what the feed accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedConfig {
    pub url: String,
    /// The `Accept` header sent.
    pub accept: String,
    /// Largest body accepted (also handed to the transport).
    pub max_bytes: usize,
    pub schedule: ScheduleConfig,
}

/// What the host should do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Poll {
    /// Make this request and hand the result to the feed's `on_response`.
    Fetch(HttpRequest),
    /// Nothing is due before this moment; poll again then (or on a new trigger).
    WaitUntil(Timestamp),
    /// Nothing is pending and no periodic sync is configured.
    Idle,
    /// A request is out; wait for its response.
    InFlight,
}

/// Why a fetch failed before the document reached the `apply` step.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("server answered HTTP {status}")]
    Http { status: u16 },
    #[error("server answered 304 Not Modified, but no document is held")]
    UnexpectedNotModified,
}

/// A successful fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fetched<T> {
    /// A document arrived and `apply` returned this.
    Applied(T),
    /// HTTP 304: nothing changed, nothing downloaded.
    NotModified,
}

/// A conditional GET of one signed document, scheduled.
#[derive(Clone, Debug)]
pub struct Feed {
    url: String,
    accept: String,
    max_bytes: usize,
    schedule: Schedule,
    sent_etag: bool,
}

impl Feed {
    pub fn new(config: FeedConfig, state: SyncState) -> Self {
        Feed {
            url: config.url,
            accept: config.accept,
            max_bytes: config.max_bytes,
            schedule: Schedule::new(config.schedule, state),
            sent_etag: false,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The state to persist after each attempt.
    pub fn state(&self) -> &SyncState {
        self.schedule.state()
    }

    /// Records a request for the document; several coalesce into one fetch.
    pub fn trigger(&mut self, urgency: Urgency) {
        self.schedule.request(urgency);
    }

    /// Decides whether to fetch now; `Fetch` marks the request in flight.
    pub fn poll(&mut self, now: Timestamp) -> Poll {
        match self.schedule.poll(now) {
            Due::Idle => Poll::Idle,
            Due::InFlight => Poll::InFlight,
            Due::WaitUntil(t) => Poll::WaitUntil(t),
            Due::Now => {
                let mut request = HttpRequest::get(
                    self.url.clone(),
                    self.schedule.config().timeout_ms,
                    self.max_bytes as u64,
                )
                .with_header("accept", self.accept.clone());
                self.sent_etag = false;
                if let Some(etag) = &self.schedule.state().etag {
                    request = request.with_header("if-none-match", etag.clone());
                    self.sent_etag = true;
                }
                Poll::Fetch(request)
            }
        }
    }

    /// Takes the transport's result. `held`: a document is applied already (a 304 is
    /// only believed then). `apply` verifies and stores a 200's body. On failure the
    /// error (whose text becomes the state's "last error") and when the retry is due.
    pub fn on_response<T, E>(
        &mut self,
        result: Result<HttpResponse, TransportError>,
        held: bool,
        apply: impl FnOnce(&[u8]) -> Result<T, E>,
        rng: &mut dyn RandomSource,
        now: Timestamp,
    ) -> Result<Fetched<T>, (E, Timestamp)>
    where
        E: From<FeedError> + std::fmt::Display,
    {
        let sent_etag = std::mem::take(&mut self.sent_etag);
        let (outcome, retry_after) = match result {
            Err(e) => (Err(E::from(FeedError::Transport(e))), None),
            Ok(response) => {
                let retry_after =
                    response.header("retry-after").and_then(|v| retry_after_ms(v, now));
                (self.handle(response, sent_etag, held, apply), retry_after)
            }
        };
        match outcome {
            Ok((fetched, max_age_ms)) => {
                self.schedule.succeeded(now, max_age_ms);
                Ok(fetched)
            }
            Err(error) => {
                let retry_at = self.schedule.failed(&error.to_string(), retry_after, rng, now);
                Err((error, retry_at))
            }
        }
    }

    fn handle<T, E: From<FeedError>>(
        &mut self,
        response: HttpResponse,
        sent_etag: bool,
        held: bool,
        apply: impl FnOnce(&[u8]) -> Result<T, E>,
    ) -> Result<(Fetched<T>, Option<i64>), E> {
        let max_age_ms = (response.header("cache-control").and_then(max_age_secs))
            .map(|s| s.saturating_mul(SECOND));
        match response.status {
            304 if sent_etag && held => Ok((Fetched::NotModified, max_age_ms)),
            304 => {
                self.schedule.state_mut().etag = None;
                Err(FeedError::UnexpectedNotModified.into())
            }
            200 => {
                if response.body.len() > self.max_bytes {
                    let limit = self.max_bytes as u64;
                    return Err(FeedError::Transport(TransportError::TooLarge { limit }).into());
                }
                let applied = apply(&response.body)?;
                self.schedule.state_mut().etag =
                    response.header("etag").and_then(entity_tag).map(str::to_owned);
                Ok((Fetched::Applied(applied), max_age_ms))
            }
            status => Err(FeedError::Http { status }.into()),
        }
    }
}

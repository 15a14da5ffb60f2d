//! Issuer pass-update feeds (issue #17) as the wallet runs them: one shared-engine
//! [`Feed`] per issuer (conditional GET with ETag, [`hce_wallet_core::sync::Schedule`]
//! backoff, through the host's [`HttpTransport`]), each bundle verified under that
//! issuer's pinned feed key (`hce_wallet_core::pass::update`), applied in one store
//! transaction, then mirrored in memory and reported as [`PassChange`] notices.
//!
//! A bundle whose sequence equals the applied one changes nothing and is reported as
//! not modified (a server that lost its ETag, or a crash between the apply and the sync
//! state write); an older one, a wrongly signed one or one for another issuer is refused
//! and changes nothing.

use std::sync::{Mutex, PoisonError};

use hce_wallet_core::key_bundle::PinnedRoots;
use hce_wallet_core::pass::update::{apply, verify_update, Applied, Held, UpdateError};
use hce_wallet_core::pass::ImportBatch;
use hce_wallet_core::ports::{Clock, IssuerId, RandomSource};
use hce_wallet_core::selection::SelectionEngine;
use hce_wallet_core::sync::{
    Feed, FeedConfig, FeedError, Fetched, HttpTransport, Poll, ScheduleConfig, Urgency,
};
use hce_wallet_store::Store;

use crate::WalletError;

pub use hce_wallet_core::pass::update::{FlightTime, PassChange};

/// Media type asked for.
pub const ACCEPT: &str = hce_wallet_core::pass::update::CONTENT_TYPE;

/// One issuer's feed, as the host configures it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassFeedConfig {
    pub issuer_id: IssuerId,
    /// Where the issuer publishes its signed bundles for this wallet.
    pub url: String,
    /// The issuer's feed public key (PEM SubjectPublicKeyInfo, P-256).
    pub feed_key_pem: String,
}

/// What one feed's sync did.
#[derive(Clone, Debug, PartialEq)]
pub enum PassFeedOutcome {
    /// A bundle was applied; `changes` were raised as notices.
    Updated { issuer_id: IssuerId, sequence: u64, changes: Vec<PassChange> },
    /// HTTP 304, or the bundle already applied.
    NotModified { issuer_id: IssuerId },
    /// Not due (fresh, backing off, or in flight).
    Skipped { issuer_id: IssuerId },
    /// Refused or failed; nothing changed. Retried after `retry_at_ms`.
    Failed { issuer_id: IssuerId, reason: String, retry_at_ms: i64 },
}

/// Why a fetched bundle was not applied.
#[derive(Debug, thiserror::Error)]
enum FeedFailure {
    #[error(transparent)]
    Fetch(#[from] FeedError),
    #[error(transparent)]
    Update(#[from] UpdateError),
    #[error("store: {0}")]
    Store(#[from] hce_wallet_store::StoreError),
}

struct IssuerFeed {
    issuer: IssuerId,
    key: PinnedRoots,
    feed: Mutex<Feed>,
}

/// Every configured feed.
pub(crate) struct PassFeeds {
    feeds: Vec<IssuerFeed>,
}

/// What a feed run needs of the wallet.
pub(crate) struct Parts<'a> {
    pub store: &'a Store,
    pub engine: &'a SelectionEngine,
    pub transport: &'a dyn HttpTransport,
    pub clock: &'a dyn Clock,
    pub rng: &'a mut dyn RandomSource,
}

impl PassFeeds {
    pub(crate) fn new(configs: &[PassFeedConfig], store: &Store) -> Result<Self, WalletError> {
        let mut feeds = Vec::new();
        for (i, c) in configs.iter().enumerate() {
            if !(c.url.starts_with("https://") || c.url.starts_with("http://")) {
                return Err(WalletError::Config(format!("pass_feeds[{i}].url is not http(s)")));
            }
            let key = crate::sync::pinned_roots(std::slice::from_ref(&c.feed_key_pem))
                .map_err(|e| WalletError::Config(format!("pass_feeds[{i}].feed_key_pem: {e}")))?;
            let state = store.pass_feed_state(c.issuer_id)?;
            let config = FeedConfig {
                url: c.url.clone(),
                accept: ACCEPT.into(),
                max_bytes: hce_wallet_core::pass::update::MAX_BUNDLE_BYTES,
                schedule: ScheduleConfig::default(),
            };
            feeds.push(IssuerFeed {
                issuer: c.issuer_id,
                key,
                feed: Mutex::new(Feed::new(config, state.sync)),
            });
        }
        Ok(PassFeeds { feeds })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.feeds.is_empty()
    }

    /// Runs every feed once (`urgency` decides whether fresh feeds are asked again).
    pub(crate) fn run(&self, urgency: Urgency, parts: &mut Parts<'_>) -> Vec<PassFeedOutcome> {
        self.feeds.iter().map(|f| run_one(f, urgency, parts)).collect()
    }
}

fn run_one(f: &IssuerFeed, urgency: Urgency, p: &mut Parts<'_>) -> PassFeedOutcome {
    let issuer_id = f.issuer;
    let mut feed = f.feed.lock().unwrap_or_else(PoisonError::into_inner);
    feed.trigger(urgency);
    let request = match feed.poll(p.clock.now()) {
        Poll::Fetch(r) => r,
        _ => return PassFeedOutcome::Skipped { issuer_id },
    };
    let result = p.transport.send(&request);
    let stored = match p.store.pass_feed_state(issuer_id) {
        Ok(s) => s,
        Err(e) => {
            let retry_at_ms = p.clock.now().0;
            return PassFeedOutcome::Failed { issuer_id, reason: e.to_string(), retry_at_ms };
        }
    };
    let applied_seq = stored.applied_sequence;
    let sync_before = feed.state().clone();
    let now = p.clock.now();
    let (store, engine) = (p.store, p.engine);
    let outcome = feed.on_response(
        result,
        applied_seq.is_some(),
        |body| -> Result<Option<Applied>, FeedFailure> {
            let update = verify_update(body, &f.key, issuer_id)?;
            if Some(update.sequence) == applied_seq {
                return Ok(None);
            }
            let snapshot = engine.snapshot();
            let held = Held::new(snapshot.classes, snapshot.objects);
            let applied = apply(&update, &held, applied_seq)?;
            store.apply_pass_update(issuer_id, &applied, &sync_before)?;
            mirror(engine, &applied);
            Ok(Some(applied))
        },
        p.rng,
        now,
    );
    // The feed's state (ETag, schedule) after the attempt.
    if let Err(e) = p.store.save_pass_feed_sync(issuer_id, feed.state()) {
        log::warn!("pass feed {issuer_id}: saving the sync state failed: {e}");
    }
    match outcome {
        Ok(Fetched::Applied(Some(a))) => {
            PassFeedOutcome::Updated { issuer_id, sequence: a.sequence, changes: a.changes }
        }
        Ok(Fetched::Applied(None)) | Ok(Fetched::NotModified) => {
            PassFeedOutcome::NotModified { issuer_id }
        }
        Err((e, retry_at)) => {
            log::warn!("pass feed {issuer_id}: {e}");
            PassFeedOutcome::Failed { issuer_id, reason: e.to_string(), retry_at_ms: retry_at.0 }
        }
    }
}

/// The store has the bundle: the engine follows (a failure here is logged; the store is
/// what the next open loads).
fn mirror(engine: &SelectionEngine, a: &Applied) {
    let batch = ImportBatch { classes: a.classes.clone(), objects: a.objects.clone() };
    if let Err(e) = engine.apply_import(batch) {
        log::error!("pass update applied to the store but not in memory: {e}");
    }
    for id in &a.removed {
        engine.remove_object(id);
    }
}

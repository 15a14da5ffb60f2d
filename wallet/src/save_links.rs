//! The issuer keys save-to-wallet links are verified with (`pass::save_link`): a JWKS the
//! app pins ([`crate::WalletConfig::save_link_jwks`]) or fetches through the host's
//! [`HttpTransport`] from [`crate::WalletConfig::save_link_jwks_url`] with the shared
//! [`Feed`] (conditional GET with ETag, schedule backoff). A pinned JWKS wins; a fetched
//! one is checked to parse before it replaces the held one, and kept in the encrypted
//! store (settings `save_link.jwks` and its sync state) so links verify offline.

use std::sync::{Mutex, PoisonError};

use hce_wallet_core::pass::save_link::{Jwks, SaveLinkError};
use hce_wallet_core::ports::{Clock, RandomSource};
use hce_wallet_core::sync::{
    Feed, FeedConfig, FeedError, Fetched, HttpTransport, Poll, ScheduleConfig, SyncState, Urgency,
};
use hce_wallet_store::Store;

use crate::{WalletConfig, WalletError};

const JWKS_SETTING: &str = "save_link.jwks";
const SYNC_SETTING: &str = "save_link.jwks_sync";
/// Largest JWKS document accepted.
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// What a JWKS refresh did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksRefresh {
    /// A new JWKS was fetched, checked and stored.
    Updated,
    /// HTTP 304, or not due yet.
    Unchanged,
}

#[derive(Debug, thiserror::Error)]
enum JwksFailure {
    #[error(transparent)]
    Fetch(#[from] FeedError),
    #[error(transparent)]
    Jwks(#[from] SaveLinkError),
    #[error("JWKS is not UTF-8")]
    Utf8,
}

pub(crate) struct SaveLinkKeys {
    pinned: Option<String>,
    fetched: Mutex<Option<String>>,
    feed: Option<Mutex<Feed>>,
}

impl SaveLinkKeys {
    pub(crate) fn new(config: &WalletConfig, store: &Store) -> Result<Self, WalletError> {
        if let Some(pinned) = &config.save_link_jwks {
            Jwks::from_json(pinned)
                .map_err(|e| WalletError::Config(format!("save_link_jwks: {e}")))?;
        }
        let feed = match &config.save_link_jwks_url {
            None => None,
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                let state: SyncState = (store.setting(SYNC_SETTING)?)
                    .and_then(|s| serde_json::from_str(&s).ok())
                    .unwrap_or_default();
                let config = FeedConfig {
                    url: url.clone(),
                    accept: "application/json".into(),
                    max_bytes: MAX_JWKS_BYTES,
                    schedule: ScheduleConfig::default(),
                };
                Some(Mutex::new(Feed::new(config, state)))
            }
            Some(_) => return Err(WalletError::Config("save_link_jwks_url is not http(s)".into())),
        };
        Ok(SaveLinkKeys {
            pinned: config.save_link_jwks.clone(),
            fetched: Mutex::new(store.setting(JWKS_SETTING)?),
            feed,
        })
    }

    /// The keys links verify with: the pinned JWKS, else the last fetched one.
    pub(crate) fn jwks(&self) -> Result<Jwks, WalletError> {
        let fetched = self.fetched.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let text = (self.pinned.clone().or(fetched)).ok_or_else(|| {
            WalletError::Import("no save-link keys: none pinned or fetched".into())
        })?;
        Jwks::from_json(&text).map_err(|e| WalletError::Config(e.to_string()))
    }

    /// Fetches the JWKS if due (`force`: the user asked).
    pub(crate) fn refresh(
        &self,
        force: bool,
        store: &Store,
        transport: &dyn HttpTransport,
        clock: &dyn Clock,
        rng: &mut dyn RandomSource,
    ) -> Result<JwksRefresh, WalletError> {
        let feed = (self.feed.as_ref())
            .ok_or_else(|| WalletError::Config("no save_link_jwks_url configured".into()))?;
        let mut feed = feed.lock().unwrap_or_else(PoisonError::into_inner);
        feed.trigger(if force { Urgency::Forced } else { Urgency::Routine });
        let Poll::Fetch(request) = feed.poll(clock.now()) else {
            return Ok(JwksRefresh::Unchanged);
        };
        let result = transport.send(&request);
        let held = self.fetched.lock().unwrap_or_else(PoisonError::into_inner).is_some();
        let outcome = feed.on_response(
            result,
            held,
            |body| -> Result<String, JwksFailure> {
                let text = std::str::from_utf8(body).map_err(|_| JwksFailure::Utf8)?;
                Jwks::from_json(text)?;
                Ok(text.to_owned())
            },
            rng,
            clock.now(),
        );
        let sync = serde_json::to_string(feed.state()).unwrap_or_default();
        match outcome {
            Ok(Fetched::Applied(text)) => {
                store.set_setting(JWKS_SETTING, &text)?;
                store.set_setting(SYNC_SETTING, &sync)?;
                *self.fetched.lock().unwrap_or_else(PoisonError::into_inner) = Some(text);
                Ok(JwksRefresh::Updated)
            }
            Ok(Fetched::NotModified) => {
                store.set_setting(SYNC_SETTING, &sync)?;
                Ok(JwksRefresh::Unchanged)
            }
            Err((e, _)) => {
                store.set_setting(SYNC_SETTING, &sync)?;
                Err(WalletError::Sync(format!("save-link keys: {e}")))
            }
        }
    }
}

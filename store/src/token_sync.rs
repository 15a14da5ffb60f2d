//! What token sync keeps in the store (payment spec §9.2, §12.3): the schedules of the
//! status feed and of replenishment, and how a user's request leaves the queue.
//!
//! A user's request (report lost / resume / delete) is queued with its outbox POST in one
//! transaction ([`Store::user_token_request_posted`]). It leaves the queue:
//! - report lost, delete: when the token service took the POST (2xx);
//! - resume: when the token is no longer Suspended after a status message (the server's
//!   resume with origin user confirms it; a delete makes it moot) — a 2xx only says the
//!   server received it;
//! - any: when the server refused the POST (4xx other than 408 / 425 / 429). A refused
//!   report lost keeps the local suspension (the safe side; the user may resume or delete).
//!
//! [`Store::settle_token_request`] writes the delivery and the queue change in one
//! transaction.

use hce_wallet_core::payment::token::TokenState;
use hce_wallet_core::sync::{Delivery, SyncState};
use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use crate::codec::Crypto;
use crate::error::{Result, StoreError};
use crate::store::Store;
use crate::tables::SETTINGS;
use crate::tokens::{load_all, read_requests, write_requests, UserRequestKind, UserTokenRequest};

/// The setting holding [`TokenSyncState`].
const TOKEN_SYNC: &str = "payment.token_sync";

/// The persistable state of token sync.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSyncState {
    /// The status feed (with the entity tag of the window applied last).
    pub status: SyncState,
    /// Replenishment requests.
    pub replenish: SyncState,
}

/// What a delivery did to the queue of user requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestSettled {
    /// The request is still queued (a retry, or a resume waiting for its confirmation).
    Kept,
    /// The token service took it; it left the queue.
    Done(UserTokenRequest),
    /// The token service refused it (HTTP `status`); it left the queue.
    Refused { request: UserTokenRequest, status: u16 },
}

/// Drops the queued resumes of tokens that are no longer Suspended (inside the caller's
/// transaction, after a status message was applied).
pub(crate) fn settle_resumes_in(txn: &WriteTransaction, crypto: &Crypto) -> Result<()> {
    let records = load_all(txn, crypto)?;
    let suspended = |token: &str| {
        records.iter().any(|r| r.token_ref == token && r.state == TokenState::Suspended)
    };
    let mut queue = read_requests(txn, crypto)?;
    let before = queue.len();
    queue.retain(|r| r.kind != UserRequestKind::Resume || suspended(&r.token_ref));
    if queue.len() != before {
        write_requests(txn, crypto, &queue)?;
    }
    Ok(())
}

impl Store {
    /// The saved token sync state (default before the first sync).
    pub fn token_sync_state(&self) -> Result<TokenSyncState> {
        match self.setting(TOKEN_SYNC)? {
            Some(v) => serde_json::from_str(&v)
                .map_err(|_| StoreError::Integrity { table: SETTINGS, reason: "token sync state" }),
            None => Ok(TokenSyncState::default()),
        }
    }

    pub fn save_token_sync_state(&self, state: &TokenSyncState) -> Result<()> {
        let value = serde_json::to_string(state).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.set_setting(TOKEN_SYNC, &value)
    }

    /// Writes the delivery of a user request's POST back to the outbox and settles the
    /// request in the queue (see the module docs), in one transaction.
    pub fn settle_token_request(&self, delivery: &Delivery) -> Result<RequestSettled> {
        self.journal(false, |txn, crypto| {
            crate::outbox::settle_in(txn, crypto, delivery)?;
            let event_id = delivery.entry().event_id.as_str();
            let mut queue = read_requests(txn, crypto)?;
            let Some(pos) = queue.iter().position(|r| r.event_id.as_deref() == Some(event_id))
            else {
                return Ok(RequestSettled::Kept);
            };
            let leaves = match delivery {
                Delivery::Retry { .. } => false,
                Delivery::Delivered { .. } => {
                    queue.get(pos).is_some_and(|r| r.kind != UserRequestKind::Resume)
                }
                Delivery::Refused { .. } => true,
            };
            if !leaves {
                return Ok(RequestSettled::Kept);
            }
            let request = queue.remove(pos);
            write_requests(txn, crypto, &queue)?;
            Ok(match delivery {
                Delivery::Refused { status, .. } => {
                    RequestSettled::Refused { request, status: *status }
                }
                _ => RequestSettled::Done(request),
            })
        })
    }
}

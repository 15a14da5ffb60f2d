//! Issuer pass-update feeds (issue #17): per issuer, the sequence last applied and the
//! feed's sync state (ETag, backoff), and the one transaction that applies a verified
//! bundle — passes written and removed, sequence advanced, one activity entry per change.
//!
//! The sequence is checked again inside the transaction (strictly increasing), so a
//! replayed or older bundle never reaches the file, whoever asks. State is a sealed
//! setting (`pass_feed.<issuer>`, JSON), like the key-sync state.

use hce_wallet_core::pass::update::Applied;
use hce_wallet_core::ports::IssuerId;
use hce_wallet_core::sync::SyncState;
use serde::{Deserialize, Serialize};

use crate::codec::{get, put};
use crate::error::{Result, StoreError};
use crate::model::write_models_in;
use crate::records::SettingRecord;
use crate::schema::CURRENT_SCHEMA;
use crate::store::{append_event, event, remove_in};
use crate::tables::{SETTINGS, SETTINGS_T};
use crate::Store;
use redb::ReadableDatabase;

/// What the store keeps for one issuer's pass-update feed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassFeedState {
    /// The sequence of the last bundle applied (`None`: none yet).
    pub applied_sequence: Option<u64>,
    /// The feed's schedule and entity tag.
    pub sync: SyncState,
}

fn setting_name(issuer: IssuerId) -> String {
    format!("pass_feed.{issuer}")
}

fn read(
    settings: &impl redb::ReadableTable<&'static [u8], &'static [u8]>,
    crypto: &crate::codec::Crypto,
    issuer: IssuerId,
) -> Result<PassFeedState> {
    let rec: Option<SettingRecord> =
        get(settings, crypto, CURRENT_SCHEMA, setting_name(issuer).as_bytes())?;
    match rec {
        None => Ok(PassFeedState::default()),
        Some(r) => serde_json::from_str(&r.value)
            .map_err(|_| StoreError::Integrity { table: SETTINGS, reason: "pass feed malformed" }),
    }
}

fn write(
    settings: &mut redb::Table<'_, &'static [u8], &'static [u8]>,
    crypto: &crate::codec::Crypto,
    issuer: IssuerId,
    state: &PassFeedState,
) -> Result<()> {
    let value = serde_json::to_string(state)
        .map_err(|e| StoreError::Invalid(format!("pass feed state: {e}")))?;
    put(settings, crypto, CURRENT_SCHEMA, &SettingRecord { name: setting_name(issuer), value })
}

impl Store {
    /// The state of `issuer`'s pass-update feed (default if never synced).
    pub fn pass_feed_state(&self, issuer: IssuerId) -> Result<PassFeedState> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        read(&txn.open_table(SETTINGS_T)?, &crypto, issuer)
    }

    /// Saves the feed's sync state after an attempt that applied nothing (304, failure);
    /// the applied sequence is kept as stored.
    pub fn save_pass_feed_sync(&self, issuer: IssuerId, sync: &SyncState) -> Result<()> {
        self.write(|txn, crypto| {
            let mut settings = txn.open_table(SETTINGS_T)?;
            let mut state = read(&settings, crypto, issuer)?;
            state.sync = sync.clone();
            write(&mut settings, crypto, issuer, &state)
        })
    }

    /// Applies a verified, applied-in-memory bundle of `issuer` in one transaction: its
    /// classes and objects written, its removals deleted, the sequence advanced (refused
    /// unless newer than the stored one), the sync state saved, and one activity entry per
    /// change. An error writes nothing.
    pub fn apply_pass_update(
        &self,
        issuer: IssuerId,
        applied: &Applied,
        sync: &SyncState,
    ) -> Result<()> {
        self.write(|txn, crypto| {
            let mut settings = txn.open_table(SETTINGS_T)?;
            let state = read(&settings, crypto, issuer)?;
            if state.applied_sequence.is_some_and(|s| applied.sequence <= s) {
                return Err(StoreError::Invalid("pass update rollback or replay refused".into()));
            }
            let next =
                PassFeedState { applied_sequence: Some(applied.sequence), sync: sync.clone() };
            write(&mut settings, crypto, issuer, &next)?;
            drop(settings);
            write_models_in(txn, crypto, &applied.classes, &applied.objects)?;
            for id in &applied.removed {
                remove_in(txn, crypto, id)?;
            }
            let detail = format!("issuer {issuer} seq {}", applied.sequence);
            for c in &applied.changes {
                let e = event(c.kind(), None, Some(c.object_id().to_owned()), detail.clone());
                append_event(txn, crypto, self.options.event_cap, e)?;
            }
            Ok(())
        })
    }
}

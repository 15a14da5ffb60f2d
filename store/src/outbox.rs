//! The durable outbox in the encrypted store (see `hce_wallet_core::sync::outbox` for the
//! delivery rules): one sealed record per entry, keyed by its event ID.
//!
//! An entry is written **in the same transaction** as the state change that caused it:
//! store methods that change state and owe the server a POST call [`enqueue_in`] inside
//! their own [`Store::journal`] transaction (e.g. [`Store::user_token_request_posted`]), so
//! a crash leaves either both or neither. [`Store::outbox_settle`] writes a delivery back
//! (2xx / refused: removed; retry: attempts and next time updated) in one transaction.

use hce_wallet_core::sync::{Delivery, OutboxEntry};
use redb::{ReadableDatabase, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::codec::{all, delete, get, put, Crypto};
use crate::error::{Result, StoreError};
use crate::records::Record;
use crate::schema::CURRENT_SCHEMA;
use crate::store::Store;
use crate::tables::{OUTBOX, OUTBOX_T};

/// Most entries kept; enqueueing beyond it is refused (the state change with it), so a
/// server that never answers cannot grow the file without bound.
pub const MAX_OUTBOX_ENTRIES: usize = 1024;

/// One outbox entry as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRecord {
    pub entry: OutboxEntry,
}

impl Record for OutboxRecord {
    const TABLE: &'static str = OUTBOX;
    fn raw_key(&self) -> Vec<u8> {
        self.entry.event_id.as_bytes().to_vec()
    }
}

fn entries_in(txn: &WriteTransaction, crypto: &Crypto) -> Result<Vec<OutboxEntry>> {
    let t = txn.open_table(OUTBOX_T)?;
    Ok(all::<OutboxRecord>(&t, crypto, CURRENT_SCHEMA)?.into_iter().map(|r| r.entry).collect())
}

/// Adds `entry` inside the caller's transaction: its `seq` is assigned here (after every
/// entry held). A second entry with the same event ID is refused (it would be the same
/// event twice). Returns the entry as stored.
pub(crate) fn enqueue_in(
    txn: &WriteTransaction,
    crypto: &Crypto,
    mut entry: OutboxEntry,
) -> Result<OutboxEntry> {
    let held = entries_in(txn, crypto)?;
    if held.iter().any(|e| e.event_id == entry.event_id) {
        return Err(StoreError::Invalid(format!("outbox event {} exists", entry.event_id)));
    }
    if held.len() >= MAX_OUTBOX_ENTRIES {
        return Err(StoreError::Invalid(format!("outbox full ({MAX_OUTBOX_ENTRIES} entries)")));
    }
    entry.seq = held.iter().map(|e| e.seq).max().unwrap_or(0).saturating_add(1);
    let rec = OutboxRecord { entry };
    put(&mut txn.open_table(OUTBOX_T)?, crypto, CURRENT_SCHEMA, &rec)?;
    Ok(rec.entry)
}

/// Removes the entry `event_id` inside the caller's transaction; whether it was there.
pub(crate) fn remove_in(txn: &WriteTransaction, crypto: &Crypto, event_id: &str) -> Result<bool> {
    delete::<OutboxRecord>(&mut txn.open_table(OUTBOX_T)?, crypto, event_id.as_bytes())
}

impl Store {
    /// Adds an entry on its own (for an event whose state change is not in this store).
    pub fn outbox_enqueue(&self, entry: OutboxEntry) -> Result<OutboxEntry> {
        self.journal(false, |txn, crypto| enqueue_in(txn, crypto, entry))
    }

    /// Every entry, in `seq` order.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        let t = txn.open_table(OUTBOX_T)?;
        let mut out: Vec<OutboxEntry> = all::<OutboxRecord>(&t, &crypto, CURRENT_SCHEMA)?
            .into_iter()
            .map(|r| r.entry)
            .collect();
        out.sort_by_key(|e| e.seq);
        Ok(out)
    }

    /// Writes one delivery back: removed (delivered, refused) or updated (retry). An entry
    /// no longer held is not brought back.
    pub fn outbox_settle(&self, delivery: &Delivery) -> Result<()> {
        self.journal(false, |txn, crypto| settle_in(txn, crypto, delivery))
    }

    /// Removes the entry `event_id`; whether it was there.
    pub fn outbox_remove(&self, event_id: &str) -> Result<bool> {
        self.journal(false, |txn, crypto| remove_in(txn, crypto, event_id))
    }
}

/// [`Store::outbox_settle`] inside the caller's transaction (so a channel's owner can
/// apply what a delivery answered and settle it atomically).
pub(crate) fn settle_in(
    txn: &WriteTransaction,
    crypto: &Crypto,
    delivery: &Delivery,
) -> Result<()> {
    let entry = delivery.entry();
    if delivery.removes() {
        remove_in(txn, crypto, &entry.event_id)?;
        return Ok(());
    }
    let mut t = txn.open_table(OUTBOX_T)?;
    let held: Option<OutboxRecord> = get(&t, crypto, CURRENT_SCHEMA, entry.event_id.as_bytes())?;
    if held.is_some() {
        put(&mut t, crypto, CURRENT_SCHEMA, &OutboxRecord { entry: entry.clone() })?;
    }
    Ok(())
}

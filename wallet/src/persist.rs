//! Where the wallet's state lives between runs: the encrypted store (`hce-wallet-store`,
//! redb + AES-256-GCM under keys derived from the host's root key).
//!
//! The wallet works on in-memory copies (the selection engine, the key ring); the engine
//! loads passes from here on demand (`SelectionEngine::backed` over the store's selection
//! index: at a tap, only the candidates of the collector's issuer); every management change is written here first-or-undone
//! (the caller rolls memory back when a write fails). PUSH DATA updates are written
//! during the tap, before the terminal sees them acknowledged (the store's durable journal
//! write, the one the payment ATC journal uses); the tap event log is written when the
//! field session ends (off the APDU's critical path).

use std::path::Path;
use std::sync::Arc;

use hce_wallet_core::key_ring::KeyRingState;
use hce_wallet_core::pass::{ImportBatch, Issuer, PassObject};
use hce_wallet_core::ports::CollectorId;
use hce_wallet_core::ports::EventSink;
use hce_wallet_core::sync::SyncState;
use hce_wallet_store::{RootKey, Store, StoreError};

use crate::WalletError;

/// Everything loaded at open: no pass (the selection engine reads them through the store
/// when a tap or the UI needs them; issue #12, cold start).
pub(crate) struct Saved {
    pub issuers: Vec<Issuer>,
    pub key_ring: KeyRingState,
    pub sync: SyncState,
}

/// The store, with the wallet's error mapping.
#[derive(Clone)]
pub(crate) struct Persist {
    store: Arc<Store>,
}

impl From<StoreError> for WalletError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::WrongKey => WalletError::WrongRootKey,
            StoreError::Locked => WalletError::StoreLocked,
            StoreError::Integrity { .. } | StoreError::Corrupt(_) | StoreError::Schema { .. } => {
                WalletError::StoreCorrupt(e.to_string())
            }
            other => WalletError::Store(other.to_string()),
        }
    }
}

impl Persist {
    pub(crate) fn open(path: &Path, root_key: &[u8; 32]) -> Result<Persist, WalletError> {
        let store = Store::open(path, &RootKey::from_bytes(*root_key))?;
        Ok(Persist { store: Arc::new(store) })
    }

    /// The store itself: the payment applet's token source and durable journal.
    pub(crate) fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub(crate) fn load(&self) -> Result<Saved, WalletError> {
        Ok(Saved {
            issuers: (self.store.issuers()?.into_iter())
                .map(|i| Issuer {
                    id: i.issuer_id,
                    name: i.name,
                    collector_ids: i.collectors.into_iter().map(CollectorId).collect(),
                })
                .collect(),
            key_ring: self.store.key_ring_state()?,
            sync: self.store.sync_state()?.unwrap_or_default(),
        })
    }

    /// The store's queueing event sink: tap events land in its encrypted log at
    /// [`Persist::flush_events`].
    pub(crate) fn event_log(&self) -> Arc<dyn EventSink> {
        self.store.clone()
    }

    pub(crate) fn import(&self, batch: &ImportBatch) -> Result<(), WalletError> {
        self.store.import_batch(batch).map(drop).map_err(WalletError::from)
    }

    /// Removes a pass; `false` if the store did not have it.
    pub(crate) fn remove(&self, object_id: &str) -> Result<bool, WalletError> {
        match self.store.remove_pass(object_id) {
            Ok(()) => Ok(true),
            Err(StoreError::NotFound(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn set_smart_tap_disabled(&self, id: &str, off: bool) -> Result<(), WalletError> {
        self.store.set_smart_tap_disabled(id, off).map_err(WalletError::from)
    }

    /// Writes objects PUSH DATA changed, durably, before the push is acknowledged.
    pub(crate) fn save_pushed(&self, objects: &[PassObject]) -> Result<(), WalletError> {
        self.store.save_objects_on_tap(objects).map(drop).map_err(WalletError::from)
    }

    pub(crate) fn save_keys(
        &self,
        ring: &KeyRingState,
        sync: &SyncState,
    ) -> Result<(), WalletError> {
        self.store.save_key_ring(ring, sync).map(drop).map_err(WalletError::from)
    }

    pub(crate) fn flush_events(&self) -> Result<(), WalletError> {
        self.store.flush_events().map(drop).map_err(WalletError::from)
    }

    /// The newest `limit` entries of the event log, oldest first.
    pub(crate) fn events(
        &self,
        limit: usize,
    ) -> Result<Vec<hce_wallet_store::EventRecord>, WalletError> {
        self.store.events(limit).map_err(WalletError::from)
    }
}

//! Where the wallet's state lives between runs: the passes (the selection engine's
//! snapshot), the key ring and the sync state.
//!
//! In-memory until the encrypted store is wired in: a wallet opened twice on the same
//! path does not yet see the first one's passes.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use hce_wallet_core::key_ring::KeyRingState;
use hce_wallet_core::selection::EngineSnapshot;
use hce_wallet_core::sync::SyncState;

use crate::WalletError;

/// Everything loaded at open.
#[derive(Default)]
pub(crate) struct Saved {
    pub passes: EngineSnapshot,
    pub key_ring: KeyRingState,
    pub sync: SyncState,
}

pub(crate) struct Persist {
    saved: Mutex<Saved>,
}

impl Persist {
    pub(crate) fn open(_path: &Path, _root_key: &[u8]) -> Result<Persist, WalletError> {
        Ok(Persist { saved: Mutex::new(Saved::default()) })
    }

    pub(crate) fn load(&self) -> Result<Saved, WalletError> {
        let s = self.saved.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(Saved { passes: s.passes.clone(), key_ring: s.key_ring.clone(), sync: s.sync.clone() })
    }

    pub(crate) fn save_passes(&self, passes: &EngineSnapshot) -> Result<(), WalletError> {
        self.saved.lock().unwrap_or_else(PoisonError::into_inner).passes = passes.clone();
        Ok(())
    }

    pub(crate) fn save_keys(
        &self,
        ring: &KeyRingState,
        sync: &SyncState,
    ) -> Result<(), WalletError> {
        let mut s = self.saved.lock().unwrap_or_else(PoisonError::into_inner);
        s.key_ring = ring.clone();
        s.sync = sync.clone();
        Ok(())
    }
}

//! `hcectl keys sync --store`: the encrypted store as the sync engine's [`BundleApplier`].
//!
//! The apply rules are the core key ring's ([`KeyRing::plan`], run against the keys the
//! store holds) so the store path refuses a rollback or an expired bundle with exactly the
//! same typed errors and reports the same added/removed/changed keys as the in-memory
//! path. The write itself is the store's one transaction
//! ([`Store::apply_verified_bundle`]), which checks the sequence again inside it.

use hce_wallet_core::key_bundle::VerifiedBundle;
use hce_wallet_core::key_ring::{ApplyOutcome, ApplyReport, KeyRing};
use hce_wallet_core::sync::{ApplyFailure, BundleApplier, SyncState};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::{BundleOutcome, Store};

/// Where `keys sync --store` keeps the engine's [`SyncState`] (JSON; the same setting a
/// `Wallet` on this file uses, `Store::sync_state`).
pub const SYNC_STATE_SETTING: &str = "key_sync.state";

/// Applies verified bundles to a [`Store`].
pub struct StoreApplier<'a>(pub &'a Store);

fn storage(e: impl std::fmt::Display) -> ApplyFailure {
    ApplyFailure::Storage(e.to_string())
}

impl StoreApplier<'_> {
    /// The store's key ring (for the rules and the report).
    fn current_ring(&self) -> Result<KeyRing, ApplyFailure> {
        KeyRing::from_state(&self.0.key_ring_state().map_err(storage)?).map_err(storage)
    }

    /// The persisted sync state, or a fresh one.
    pub fn sync_state(&self) -> Result<SyncState, String> {
        Ok(self.0.sync_state().map_err(|e| e.to_string())?.unwrap_or_default())
    }

    pub fn save_sync_state(&self, state: &SyncState) -> Result<(), String> {
        let json = serde_json::to_string(state).map_err(|e| e.to_string())?;
        self.0.set_setting(SYNC_STATE_SETTING, &json).map_err(|e| e.to_string())
    }
}

impl BundleApplier for StoreApplier<'_> {
    fn applied_sequence(&self) -> Option<u64> {
        Some(self.0.key_ring_state().ok()?.applied?.sequence)
    }

    fn apply_bundle(
        &self,
        bundle: &VerifiedBundle,
        now: Timestamp,
    ) -> Result<ApplyReport, ApplyFailure> {
        let (report, _) = self.current_ring()?.plan(bundle, now)?.into_parts();
        if report.outcome == ApplyOutcome::AlreadyCurrent {
            return Ok(report);
        }
        match self.0.apply_verified_bundle(bundle, now).map_err(storage)? {
            BundleOutcome::Applied { .. } => Ok(report),
            BundleOutcome::AlreadyCurrent => Ok(ApplyReport {
                outcome: ApplyOutcome::AlreadyCurrent,
                added: Vec::new(),
                removed: Vec::new(),
                changed: Vec::new(),
                ..report
            }),
        }
    }
}

//! `hcectl keys sync --store`: the encrypted store as the sync engine's [`BundleApplier`].
//!
//! The apply rules are the core key ring's ([`KeyRing::plan`], run against the keys the
//! store holds) so the store path refuses a rollback or an expired bundle with exactly the
//! same typed errors and reports the same added/removed/changed keys as the in-memory
//! path. The write itself is the store's one transaction
//! ([`Store::apply_verified_bundle`]), which checks the sequence again inside it.

use hce_wallet_core::key_bundle::{VerifiedBundle, SEC1_UNCOMPRESSED_LEN};
use hce_wallet_core::key_ring::{
    AppliedBundle, ApplyOutcome, ApplyReport, KeyRing, KeyRingState, StoredKey, STATE_FORMAT,
};
use hce_wallet_core::sync::{ApplyFailure, BundleApplier, SyncState};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::{BundleOutcome, CollectorKeyRecord, Store};
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::PublicKey;

/// The store's setting holding the applied bundle sequence (written by
/// `Store::apply_verified_bundle`).
const SEQUENCE_SETTING: &str = "key_bundle.sequence";
/// Where `keys sync --store` keeps the engine's [`SyncState`] (JSON).
pub const SYNC_STATE_SETTING: &str = "key_sync.state";

/// Applies verified bundles to a [`Store`].
pub struct StoreApplier<'a>(pub &'a Store);

fn storage(e: impl std::fmt::Display) -> ApplyFailure {
    ApplyFailure::Storage(e.to_string())
}

impl StoreApplier<'_> {
    /// The store's keys as a key ring (for the rules and the report).
    fn current_ring(&self) -> Result<KeyRing, ApplyFailure> {
        let records = self.0.collector_keys().map_err(storage)?;
        let keys = records.iter().map(stored_key).collect::<Result<Vec<_>, _>>()?;
        let applied = self.applied_sequence().map(|sequence| AppliedBundle {
            sequence,
            // The store keeps only the sequence; the rest does not enter the rules.
            issued_at_ms: 0,
            expires_at_ms: 0,
            applied_at_ms: 0,
            root_key_id: [0; 8],
            digest: [0; 32],
        });
        let state = KeyRingState { format: STATE_FORMAT, applied, keys };
        KeyRing::from_state(&state).map_err(storage)
    }

    /// The persisted sync state, or a fresh one.
    pub fn sync_state(&self) -> Result<SyncState, String> {
        match self.0.setting(SYNC_STATE_SETTING).map_err(|e| e.to_string())? {
            Some(json) => {
                serde_json::from_str(&json).map_err(|e| format!("{SYNC_STATE_SETTING}: {e}"))
            }
            None => Ok(SyncState::default()),
        }
    }

    pub fn save_sync_state(&self, state: &SyncState) -> Result<(), String> {
        let json = serde_json::to_string(state).map_err(|e| e.to_string())?;
        self.0.set_setting(SYNC_STATE_SETTING, &json).map_err(|e| e.to_string())
    }
}

fn stored_key(r: &CollectorKeyRecord) -> Result<StoredKey, ApplyFailure> {
    let point = PublicKey::from_sec1_bytes(&r.public_key_sec1).map_err(storage)?;
    let mut public_key = [0u8; SEC1_UNCOMPRESSED_LEN];
    public_key.copy_from_slice(point.to_sec1_point(false).as_bytes());
    Ok(StoredKey {
        issuer: r.issuer_id,
        collector: r.collector,
        version: r.key_version,
        public_key,
        not_before_ms: r.valid_from.unwrap_or(i64::MIN),
        // The store's `valid_until` is inclusive; the ring's end is exclusive.
        not_after_ms: r.valid_until.map_or(i64::MAX, |u| u.saturating_add(1)),
    })
}

impl BundleApplier for StoreApplier<'_> {
    fn applied_sequence(&self) -> Option<u64> {
        self.0.setting(SEQUENCE_SETTING).ok().flatten()?.parse().ok()
    }

    fn apply_bundle(
        &self,
        bundle: &VerifiedBundle,
        now: Timestamp,
    ) -> Result<ApplyReport, ApplyFailure> {
        let (mut report, _) = self.current_ring()?.plan(bundle, now)?.into_parts();
        if report.outcome == ApplyOutcome::AlreadyCurrent {
            // The store does not keep envelope digests: a same-sequence difference is unknown.
            report.content_differs = false;
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

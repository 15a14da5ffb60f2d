//! Key sync as the host sees it: outcomes and status (from the core's sync engine,
//! `core::sync`), and building the engine from the wallet configuration.

use hce_wallet_core::key_bundle::PinnedRoots;
use hce_wallet_core::sync::{self as core_sync, SyncConfig, SyncEngine, SyncState};
use hce_wallet_core::time::Timestamp;
use p256::pkcs8::DecodePublicKey;

use crate::WalletError;

/// The result of one key-sync attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncOutcome {
    /// A new bundle was verified and applied.
    Updated { sequence: u64, keys: u32 },
    /// The server said nothing changed (HTTP 304), or sent the bundle already applied.
    NotModified,
    /// Nothing was fetched: not due yet, or already in flight.
    Skipped { reason: String },
    /// The attempt failed; the next one waits until `retry_at`.
    Failed { reason: String, retry_at: Option<Timestamp> },
}

/// Where key sync stands.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SyncStatus {
    pub last_success: Option<Timestamp>,
    pub last_error: Option<String>,
    pub next_attempt: Option<Timestamp>,
    /// Applied bundle sequence, if any bundle was applied.
    pub bundle_sequence: Option<u64>,
    /// Redemption issuers of held passes with no usable key: their terminals cannot
    /// authenticate until a sync brings keys.
    pub issuers_without_keys: Vec<u64>,
    /// Number of keys that stop being valid soon.
    pub keys_expiring_soon: u32,
}

pub(crate) fn outcome_of(o: core_sync::SyncOutcome) -> SyncOutcome {
    use core_sync::SyncOutcome as O;
    match o {
        O::Updated(report) => SyncOutcome::Updated {
            sequence: report.sequence,
            keys: u32::try_from(report.keys).unwrap_or(u32::MAX),
        },
        O::Unchanged { .. } | O::NotModified => SyncOutcome::NotModified,
        O::Failed { error, retry_at } => {
            SyncOutcome::Failed { reason: error.to_string(), retry_at: Some(retry_at) }
        }
        O::Skipped(skip) => SyncOutcome::Skipped { reason: format!("{skip:?}") },
    }
}

pub(crate) fn status_of(s: core_sync::SyncStatus) -> SyncStatus {
    SyncStatus {
        last_success: s.last_success,
        last_error: s.last_error,
        next_attempt: s.next_attempt,
        bundle_sequence: s.bundle_sequence,
        issuers_without_keys: s.issuers_without_keys,
        keys_expiring_soon: u32::try_from(s.expiring_soon.len()).unwrap_or(u32::MAX),
    }
}

/// Parses the pinned bundle roots (PEM SubjectPublicKeyInfo, P-256).
pub(crate) fn pinned_roots(pems: &[String]) -> Result<PinnedRoots, WalletError> {
    let keys = pems
        .iter()
        .enumerate()
        .map(|(i, pem)| {
            p256::PublicKey::from_public_key_pem(pem.trim()).map_err(|e| {
                WalletError::Config(format!("pinned_bundle_roots[{i}] is not a P-256 PEM key: {e}"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PinnedRoots::new(keys))
}

pub(crate) fn engine(
    url: &str,
    roots: PinnedRoots,
    state: SyncState,
) -> Result<SyncEngine, WalletError> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(WalletError::Config(format!("sync_url {url:?} is not an http(s) URL")));
    }
    if roots.key_ids().next().is_none() {
        return Err(WalletError::Config(
            "sync_url is set but no pinned_bundle_roots: no bundle could be trusted".into(),
        ));
    }
    Ok(SyncEngine::new(SyncConfig::new(url), roots, state))
}

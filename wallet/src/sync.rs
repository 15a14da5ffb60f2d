//! Key-sync results and status as the host sees them.

use hce_wallet_core::time::Timestamp;

/// The result of one key-sync attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncOutcome {
    /// A new bundle was verified and applied.
    Updated { sequence: u64, keys: u32 },
    /// The server said nothing changed (HTTP 304), or the bundle was the one applied.
    NotModified,
    /// Nothing was fetched: not due yet, or sync not configured.
    Skipped { reason: String },
    /// The attempt failed; the next one is scheduled.
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
}

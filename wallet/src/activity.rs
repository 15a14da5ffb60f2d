//! The wallet's activity log as the app shows it ("recent activity"): what happened at
//! taps, imports, removals, pushes and key-bundle updates. Kept encrypted in the store
//! (capped, oldest dropped); entries carry identifiers only, never a redemption value.

use hce_wallet_store::EventRecord;

/// One entry of [`crate::Wallet::activity`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    /// Increasing sequence number.
    pub seq: u64,
    /// When it happened, ms since the Unix epoch.
    pub at_ms: i64,
    /// What happened: `tap.sent`, `tap.chooser`, `tap.auth_failed`, `import`, `remove`,
    /// `push`, `sync`, ...
    pub kind: String,
    /// The terminal's collector ID, for tap events.
    pub collector_id: Option<u32>,
    /// The pass concerned, if one.
    pub object_id: Option<String>,
    /// A short human-readable detail.
    pub detail: Option<String>,
}

impl From<EventRecord> for Activity {
    fn from(e: EventRecord) -> Self {
        Activity {
            seq: e.seq,
            at_ms: e.at,
            kind: e.kind,
            collector_id: e.collector,
            object_id: e.object_id,
            detail: e.detail,
        }
    }
}

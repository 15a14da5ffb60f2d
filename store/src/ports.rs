//! The core's ports implemented by the store for the APDU path (spec §6.3 step 4, §6.6,
//! §12). Every call reads the current [`TapSnapshot`]; nothing here waits for a writer or
//! touches the file — except PUSH DATA, which is acknowledged to the terminal, so it is
//! made durable before the answer ([`Store::journal`], the mechanism the payment journal
//! uses too). Events are queued in memory and written by [`Store::flush_events`] off the
//! NFC thread.

use hce_wallet_core::events::WalletEvent;
use hce_wallet_core::pass::{PassClass, PassObject};
use hce_wallet_core::ports::IssuerId;
use hce_wallet_core::ports::{
    CollectorId, EventSink, IssuerKeyRing, PassSource, PushData, PushError, PushListener,
    Selection, SelectionRequest,
};
use hce_wallet_core::selection::records::Records;
use hce_wallet_core::selection::{PassRecords, RecordsError};
use hce_wallet_core::time::Timestamp;
use std::collections::BTreeSet;

use crate::records::{EventRecord, PassClassRecord};
use crate::snapshot::{Candidate, TapSnapshot};
use crate::store::{event, Store};

/// Bound on queued events between flushes.
const MAX_PENDING_EVENTS: usize = 1024;

impl IssuerKeyRing for TapSnapshot {
    fn collector_key(
        &self,
        collector: CollectorId,
        key_version: u32,
        now: Timestamp,
    ) -> Option<p256::PublicKey> {
        TapSnapshot::collector_key(self, collector, key_version, now)
    }
}

impl IssuerKeyRing for Store {
    fn collector_key(
        &self,
        collector: CollectorId,
        key_version: u32,
        now: Timestamp,
    ) -> Option<p256::PublicKey> {
        self.prepare_tap().collector_key(collector, key_version, now)
    }
}

impl PassSource for Store {
    fn could_redeem(&self, collector: CollectorId, now: Timestamp) -> bool {
        self.prepare_tap().could_redeem(collector, now)
    }
    fn select(&self, request: &SelectionRequest) -> Selection {
        self.prepare_tap().select(request)
    }
}

/// The selection engine's records over one snapshot (one MVCC read transaction): a tap's
/// candidates are the selection-index record of the collector's issuer, only those passes
/// decrypted; the rest reads one pass, or all of them for listing.
impl PassRecords for TapSnapshot {
    fn candidates(&self, issuer: IssuerId) -> std::result::Result<Records, RecordsError> {
        let found = self.issuer_candidates(issuer).map_err(records_error)?;
        Ok(to_models(&found))
    }
    fn object(
        &self,
        id: &str,
    ) -> std::result::Result<Option<(PassClass, PassObject)>, RecordsError> {
        let found = self.read_pass(id).map_err(records_error)?;
        Ok(found.map(|c| (c.class.to_model(), c.object.to_model(&c.class))))
    }
    fn class(&self, id: &str) -> std::result::Result<Option<PassClass>, RecordsError> {
        Ok(self.read_class(id).map_err(records_error)?.map(|c| c.to_model()))
    }
    fn all(&self) -> std::result::Result<Records, RecordsError> {
        let (classes, found) = self.read_all().map_err(records_error)?;
        let objects = found.iter().map(|c| c.object.to_model(&c.class)).collect();
        Ok((classes.iter().map(PassClassRecord::to_model).collect(), objects))
    }
    fn redemption_issuers(&self) -> std::result::Result<BTreeSet<IssuerId>, RecordsError> {
        let classes = self.read_classes().map_err(records_error)?;
        Ok(classes.iter().flat_map(|c| c.redemption_issuers.iter().copied()).collect())
    }
}

/// The wallet's engine reads through the store's current snapshot (the latest commit).
impl PassRecords for Store {
    fn candidates(&self, issuer: IssuerId) -> std::result::Result<Records, RecordsError> {
        PassRecords::candidates(&*self.prepare_tap(), issuer)
    }
    fn object(
        &self,
        id: &str,
    ) -> std::result::Result<Option<(PassClass, PassObject)>, RecordsError> {
        PassRecords::object(&*self.prepare_tap(), id)
    }
    fn class(&self, id: &str) -> std::result::Result<Option<PassClass>, RecordsError> {
        PassRecords::class(&*self.prepare_tap(), id)
    }
    fn all(&self) -> std::result::Result<Records, RecordsError> {
        PassRecords::all(&*self.prepare_tap())
    }
    fn redemption_issuers(&self) -> std::result::Result<BTreeSet<IssuerId>, RecordsError> {
        PassRecords::redemption_issuers(&*self.prepare_tap())
    }
}

/// Core models of candidates (each class once).
fn to_models(found: &[Candidate]) -> Records {
    let mut seen = std::collections::HashSet::new();
    let mut classes: Vec<PassClass> = Vec::new();
    let mut objects = Vec::with_capacity(found.len());
    for c in found {
        if seen.insert(c.class.class_id.as_str()) {
            classes.push(c.class.to_model());
        }
        objects.push(c.object.to_model(&c.class));
    }
    (classes, objects)
}

fn records_error(e: crate::StoreError) -> RecordsError {
    RecordsError(e.to_string())
}

impl PushListener for Store {
    /// Applies the push durably ([`Store::apply_push`]: one journal write) before the
    /// applet acknowledges it; a failed write is an error, so nothing is acknowledged.
    fn on_push(
        &self,
        collector: Option<CollectorId>,
        push: &PushData,
        now: Timestamp,
    ) -> std::result::Result<usize, PushError> {
        if self.prepare_tap().applicable_updates(collector, push) == 0 {
            return Ok(0);
        }
        self.apply_push(collector, push, now).map_err(|e| PushError(e.to_string()))
    }
}

impl EventSink for Store {
    fn emit(&self, e: WalletEvent) {
        let rec = to_record(&e);
        let mut q = self.pending_events.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() < MAX_PENDING_EVENTS {
            q.push(rec);
        }
    }
}

/// The log form of a [`WalletEvent`] (identifiers only).
pub fn to_record(e: &WalletEvent) -> EventRecord {
    let s = String::new;
    match e {
        WalletEvent::Authenticated { collector, key_version } => {
            event("tap.authenticated", Some(collector.0), None, format!("key {key_version}"))
        }
        WalletEvent::AuthenticationFailed { collector, key_version, reason } => event(
            "tap.auth_failed",
            Some(collector.0),
            None,
            format!("key {key_version}: {reason:?}"),
        ),
        WalletEvent::PassSent { collector, object_id } => {
            event("tap.sent", Some(collector.0), Some(object_id.clone()), s())
        }
        WalletEvent::NothingEligible { collector } => {
            event("tap.nothing_eligible", Some(collector.0), None, s())
        }
        WalletEvent::ChooserRequired { collector, candidates } => event(
            "tap.chooser",
            Some(collector.0),
            None,
            format!("{} candidates", candidates.len()),
        ),
        WalletEvent::UnlockRequired { collector } => {
            event("tap.unlock_required", Some(collector.0), None, s())
        }
        WalletEvent::PushReceived { collector, updates } => {
            event("push.received", collector.map(|c| c.0), None, format!("{updates} updates"))
        }
        WalletEvent::Deactivated => event("tap.deactivated", None, None, s()),
        WalletEvent::AnswerTooLarge { collector, object_id, bytes, limit } => event(
            "tap.answer_too_large",
            Some(collector.0),
            Some(object_id.clone()),
            format!("{bytes} bytes, limit {limit}"),
        ),
        WalletEvent::Payment(p) => {
            event(p.name(), None, p.token().map(|t| t.as_str().to_owned()), p.detail())
        }
        WalletEvent::NfcPass(n) => {
            event(n.name(), None, n.pass().map(|p| p.as_str().to_owned()), n.detail())
        }
    }
}

//! Bridges from the core's types to store records: the pass model
//! (`hce_wallet_core::pass`, Google Wallet JSON import) and verified key bundles
//! (`hce_wallet_core::key_bundle`). The full core model is kept inside the record, so the
//! app reads back exactly what it imported and eligibility follows the core's rules.

use std::collections::BTreeMap;

use hce_wallet_core::key_bundle::VerifiedBundle;
use hce_wallet_core::key_ring::{ApplyOutcome, KeyRing};
use hce_wallet_core::pass::{
    ClassDisplay, DateTimeBound, ImportBatch, Issuer, ObjectDisplay, PassClass, PassObject,
    PassState, RedemptionValue, ValidTimeInterval,
};
use hce_wallet_core::ports::CollectorId;
use hce_wallet_core::selection::EngineSnapshot;
use hce_wallet_core::time::Timestamp;

use crate::codec::get;
use crate::error::{Result, StoreError};
use crate::records::{ObjectState, PassClassRecord, PassObjectRecord, SecretString};
use crate::schema::CURRENT_SCHEMA;
use crate::store::{append_event, event, import_in, validate_import, Store};
use crate::tables::PASS_CLASSES_T;

impl PassClassRecord {
    /// The store record of a core class (the model is kept whole).
    pub fn from_model(c: &PassClass) -> Self {
        PassClassRecord {
            class_id: c.id.clone(),
            issuer_id: c.issuer_id,
            pass_type: c.pass_type,
            smart_tap_enabled: c.enable_smart_tap,
            redemption_issuers: c.redemption_issuers.clone(),
            display: None,
            objects: Vec::new(),
            model: Some(c.clone()),
        }
    }
}

impl PassObjectRecord {
    /// The store record of a core object (the model is kept whole; validity bounds that are
    /// absolute instants are copied, local wall-clock ones are left to the core's rules).
    pub fn from_model(o: &PassObject) -> Self {
        let instant = |b: Option<DateTimeBound>| match b {
            Some(DateTimeBound::Instant { utc_ms }) => Some(utc_ms),
            _ => None,
        };
        PassObjectRecord {
            object_id: o.id.clone(),
            class_id: o.class_id.clone(),
            state: match o.state {
                PassState::Active => ObjectState::Active,
                PassState::Completed => ObjectState::Completed,
                PassState::Expired => ObjectState::Expired,
                PassState::Inactive => ObjectState::Inactive,
            },
            redemption_value: o
                .smart_tap_redemption_value
                .as_ref()
                .map(|v| SecretString(v.expose().clone())),
            valid_from: instant(o.valid_time_interval.start),
            valid_until: instant(o.valid_time_interval.end).map(|t| t.saturating_sub(1)),
            smart_tap_disabled: o.user_smart_tap_disabled,
            last_push: None,
            display: None,
            model: Some(o.clone()),
        }
    }
}

impl PassClassRecord {
    /// The core model of this class: the stored one, or one built from the record.
    pub fn to_model(&self) -> PassClass {
        let mut m = self.model.clone().unwrap_or_else(|| PassClass {
            id: self.class_id.clone(),
            issuer_id: self.issuer_id,
            pass_type: self.pass_type,
            enable_smart_tap: self.smart_tap_enabled,
            redemption_issuers: self.redemption_issuers.clone(),
            display: ClassDisplay::default(),
            details: Default::default(),
        });
        m.enable_smart_tap = self.smart_tap_enabled;
        m.redemption_issuers = self.redemption_issuers.clone();
        m
    }
}

impl PassObjectRecord {
    /// The core model of this object (`pass_type` comes from its class): the stored one
    /// with the store's mutable fields applied, or one built from the record.
    pub fn to_model(&self, class: &PassClassRecord) -> PassObject {
        let mut m = self.model.clone().unwrap_or_else(|| PassObject {
            id: self.object_id.clone(),
            class_id: self.class_id.clone(),
            pass_type: class.pass_type,
            state: PassState::Active,
            valid_time_interval: ValidTimeInterval {
                start: self.valid_from.map(|t| DateTimeBound::Instant { utc_ms: t }),
                // The record's end is inclusive, the model's exclusive.
                end: self
                    .valid_until
                    .map(|t| DateTimeBound::Instant { utc_ms: t.saturating_add(1) }),
            },
            smart_tap_redemption_value: self
                .redemption_value
                .as_ref()
                .and_then(|v| RedemptionValue::new(v.0.clone()).ok()),
            barcode: None,
            balance: None,
            user_smart_tap_disabled: false,
            display: ObjectDisplay::default(),
            last_terminal_update: None,
            details: Default::default(),
        });
        m.state = match self.state {
            ObjectState::Active => PassState::Active,
            ObjectState::Completed => PassState::Completed,
            ObjectState::Expired => PassState::Expired,
            ObjectState::Inactive => PassState::Inactive,
        };
        m.user_smart_tap_disabled = self.smart_tap_disabled;
        m
    }
}

/// What applying a verified bundle did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleOutcome {
    /// The bundle replaced the key ring.
    Applied { keys: usize },
    /// This sequence is already applied: nothing changed.
    AlreadyCurrent,
}

impl Store {
    /// Everything the core's `SelectionEngine` holds, for
    /// `SelectionEngine::from_snapshot` (hosts that want its UI-context, chooser-memory and
    /// lock policies on top of the store). Admin path: reads every pass.
    pub fn engine_snapshot(&self) -> Result<EngineSnapshot> {
        let issuers = self
            .issuers()?
            .into_iter()
            .map(|i| Issuer {
                id: i.issuer_id,
                name: i.name,
                collector_ids: i.collectors.into_iter().map(CollectorId).collect(),
            })
            .collect();
        let (classes, objects) = self.all_passes()?;
        let objects = objects
            .iter()
            .filter_map(|o| {
                let class = classes.iter().find(|c| c.class_id == o.class_id)?;
                Some(o.to_model(class))
            })
            .collect();
        let classes = classes.iter().map(PassClassRecord::to_model).collect();
        Ok(EngineSnapshot { issuers, classes, objects })
    }

    /// Imports a core [`ImportBatch`] (e.g. from `hce_wallet_core::pass::import_json`) in one
    /// transaction: classes with their objects; objects whose class is not in the batch
    /// join the stored class. Returns the number of objects written.
    pub fn import_batch(&self, batch: &ImportBatch) -> Result<usize> {
        self.write_models(&batch.classes, &batch.objects, "import", false)
    }

    /// Writes core classes and objects in one transaction (objects without their class
    /// here join the stored class); `kind` names the change in the event log.
    pub(crate) fn write_models(
        &self,
        classes: &[PassClass],
        objects: &[PassObject],
        kind: &str,
        on_tap: bool,
    ) -> Result<usize> {
        let body = |txn: &redb::WriteTransaction, crypto: &crate::codec::Crypto| {
            let n = write_models_in(txn, crypto, classes, objects)?;
            let e = event(kind, None, None, format!("{n} objects"));
            append_event(txn, crypto, self.options.event_cap, e)?;
            Ok(n)
        };
        if on_tap {
            self.journal(true, body)
        } else {
            self.write(body)
        }
    }

    /// Applies a signature-checked key bundle with the core's rules (`KeyRing::apply`): it
    /// replaces the whole key ring (issuers it does not list lose their keys); a lower
    /// sequence than the stored one is refused (rollback), an equal one is a no-op, an
    /// expired bundle is refused. Written in one transaction ([`Store::save_key_ring`]).
    pub fn apply_verified_bundle(
        &self,
        verified: &VerifiedBundle,
        now: Timestamp,
    ) -> Result<BundleOutcome> {
        let state = self.key_ring_state()?;
        let mut ring = KeyRing::from_state(&state).map_err(|_| StoreError::Integrity {
            table: crate::tables::COLLECTOR_KEYS,
            reason: "stored key ring does not load",
        })?;
        let report = ring.apply(verified, now).map_err(|e| StoreError::Invalid(e.to_string()))?;
        if report.outcome == ApplyOutcome::AlreadyCurrent {
            return Ok(BundleOutcome::AlreadyCurrent);
        }
        let sync = self.sync_state()?.unwrap_or_default();
        match self.save_key_ring(&ring.state(), &sync)? {
            true => Ok(BundleOutcome::Applied { keys: report.keys }),
            false => Ok(BundleOutcome::AlreadyCurrent),
        }
    }
}

/// Writes core classes and objects inside `txn` (objects without their class here join
/// the stored class). Returns the number of objects written.
pub(crate) fn write_models_in(
    txn: &redb::WriteTransaction,
    crypto: &crate::codec::Crypto,
    classes: &[PassClass],
    objects: &[PassObject],
) -> Result<usize> {
    let mut by_class: BTreeMap<&str, Vec<PassObjectRecord>> = BTreeMap::new();
    for o in objects {
        by_class.entry(o.class_id.as_str()).or_default().push(PassObjectRecord::from_model(o));
    }
    let classes: BTreeMap<&str, PassClassRecord> =
        classes.iter().map(|c| (c.id.as_str(), PassClassRecord::from_model(c))).collect();
    for (id, class) in &classes {
        let objects = by_class.remove(id).unwrap_or_default();
        validate_import(class, &objects)?;
        import_in(txn, crypto, class, &objects)?;
    }
    for (id, objects) in &by_class {
        let stored = get::<PassClassRecord>(
            &txn.open_table(PASS_CLASSES_T)?,
            crypto,
            CURRENT_SCHEMA,
            id.as_bytes(),
        )?
        .ok_or_else(|| StoreError::Invalid("object of an unknown class".into()))?;
        validate_import(&stored, objects)?;
        import_in(txn, crypto, &stored, objects)?;
    }
    Ok(objects.len())
}

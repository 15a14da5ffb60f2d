//! The tap snapshot: what the APDU path reads (issue: encrypted store, "Design", last
//! bullet; spec §6.3 step 4 and §12.2).
//!
//! A [`TapSnapshot`] is built after every commit from one redb read transaction (an MVCC
//! view that no writer can change or block) plus the small tables decoded up front: the
//! collector keys and the collector → issuer map. Passes are not loaded when the snapshot
//! is made (that would grow with the pass count); a tap reads only the selection-index
//! record of the collector's issuer and the objects it lists.
//!
//! The decision itself is the core's [`SelectionEngine`] over this snapshot as its
//! [`PassRecords`] (`crate::ports`): one implementation of the rules.
//!
//! Read errors at tap time (a tampered value) fail closed: the affected pass is treated as
//! not eligible and the error is logged; wrong data is never sent.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use hce_wallet_core::pass::Issuer;
use hce_wallet_core::ports::{
    CollectorId, IssuerId, PassSource, PassType, PushData, Selection, SelectionRequest,
    SmartTapPass,
};
use hce_wallet_core::selection::{LockPolicy, PassRecords, SelectionConfig, SelectionEngine};
use hce_wallet_core::time::Timestamp;
use redb::{ReadOnlyTable, ReadTransaction, ReadableTable};
use sha2::{Digest, Sha256};

use crate::codec::{all, get, Crypto};
use crate::error::Result;
use crate::records::{
    CollectorKeyRecord, IssuerRecord, PassClassRecord, PassObjectRecord, SelectionIndexRecord,
};
use crate::schema::CURRENT_SCHEMA;
use crate::tables::*;

struct KeyEntry {
    key: p256::PublicKey,
    valid_from: Option<i64>,
    valid_until: Option<i64>,
}

/// A pass that may go to a collector, with its class.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub class: PassClassRecord,
    pub object: PassObjectRecord,
}

impl Candidate {
    /// The Smart Tap view of the pass (spec §7.3).
    pub fn to_smart_tap(&self) -> Option<SmartTapPass> {
        Some(SmartTapPass {
            object_id: self.object.object_id.clone(),
            issuer_id: self.class.issuer_id,
            pass_type: self.class.pass_type,
            redemption_value: self.object.redemption_value.as_ref()?.0.clone(),
        })
    }

    /// The 8-byte `oid` of the pass (first 8 bytes of SHA-256 of the object ID, §7.3).
    pub fn object_ref(&self) -> [u8; 8] {
        object_ref(&self.object.object_id)
    }
}

/// First 8 bytes of SHA-256 of an object ID (spec §7.3 `oid`).
pub fn object_ref(object_id: &str) -> [u8; 8] {
    let d = Sha256::digest(object_id.as_bytes());
    let mut out = [0u8; 8];
    out.copy_from_slice(&d[..8]);
    out
}

/// An immutable view of the store for one or more taps.
pub struct TapSnapshot {
    txn: Option<ReadTransaction>,
    crypto: Arc<Crypto>,
    keys: HashMap<(u32, u32), KeyEntry>,
    collector_issuer: HashMap<u32, IssuerId>,
}

impl std::fmt::Debug for TapSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TapSnapshot")
            .field("keys", &self.keys.len())
            .field("collectors", &self.collector_issuer.len())
            .finish()
    }
}

impl TapSnapshot {
    /// A snapshot that knows nothing (used when building one failed: fail closed).
    pub(crate) fn empty(crypto: Arc<Crypto>) -> Self {
        TapSnapshot { txn: None, crypto, keys: HashMap::new(), collector_issuer: HashMap::new() }
    }

    pub(crate) fn build(txn: ReadTransaction, crypto: Arc<Crypto>) -> Result<Self> {
        let issuers: Vec<IssuerRecord> = all(&txn.open_table(ISSUERS_T)?, &crypto, CURRENT_SCHEMA)?;
        let key_records: Vec<CollectorKeyRecord> =
            all(&txn.open_table(COLLECTOR_KEYS_T)?, &crypto, CURRENT_SCHEMA)?;
        let mut collector_issuer = HashMap::new();
        for i in &issuers {
            for &c in &i.collectors {
                collector_issuer.insert(c, i.issuer_id);
            }
        }
        let mut keys = HashMap::new();
        for k in key_records {
            match p256::PublicKey::from_sec1_bytes(&k.public_key_sec1) {
                Ok(key) => {
                    let entry =
                        KeyEntry { key, valid_from: k.valid_from, valid_until: k.valid_until };
                    keys.insert((k.collector, k.key_version), entry);
                }
                // Keys are validated on write; a bad one here is skipped, never substituted.
                Err(_) => log::warn!("collector key {}/{} unusable", k.collector, k.key_version),
            }
        }
        Ok(TapSnapshot { txn: Some(txn), crypto, keys, collector_issuer })
    }

    /// Number of collector keys loaded.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// The issuer a collector belongs to.
    pub fn issuer_of(&self, collector: CollectorId) -> Option<IssuerId> {
        self.collector_issuer.get(&collector.0).copied()
    }

    /// The key for exactly (collector, version), if valid at `now` (spec §6.3 step 4, §14).
    pub fn collector_key(
        &self,
        collector: CollectorId,
        key_version: u32,
        now: Timestamp,
    ) -> Option<p256::PublicKey> {
        let e = self.keys.get(&(collector.0, key_version))?;
        let valid =
            e.valid_from.is_none_or(|t| now.0 >= t) && e.valid_until.is_none_or(|t| now.0 <= t);
        valid.then_some(e.key)
    }

    /// Every pass whose class lists the collector's issuer (from the selection index),
    /// eligible or not. Values that fail to authenticate are skipped and logged.
    pub fn candidates(&self, collector: CollectorId) -> Vec<Candidate> {
        match self.try_candidates(collector) {
            Ok(c) => c,
            Err(e) => {
                log::error!("tap snapshot read failed: {e}");
                Vec::new()
            }
        }
    }

    fn try_candidates(&self, collector: CollectorId) -> Result<Vec<Candidate>> {
        match self.issuer_of(collector) {
            Some(issuer) => self.issuer_candidates(issuer),
            None => Ok(Vec::new()),
        }
    }

    /// Every pass whose class lists `issuer` (its selection-index record), decrypting only
    /// those. Values that fail to authenticate are skipped and logged.
    pub fn issuer_candidates(&self, issuer: IssuerId) -> Result<Vec<Candidate>> {
        let Some(txn) = &self.txn else {
            return Ok(Vec::new());
        };
        let index = txn.open_table(SELECTION_INDEX_T)?;
        let Some(ix) = get::<SelectionIndexRecord>(
            &index,
            &self.crypto,
            CURRENT_SCHEMA,
            &issuer.to_be_bytes(),
        )?
        else {
            return Ok(Vec::new());
        };
        let objects = txn.open_table(PASS_OBJECTS_T)?;
        let classes = txn.open_table(PASS_CLASSES_T)?;
        Ok(load_candidates(&objects, &classes, &self.crypto, &ix.objects))
    }

    /// One pass with its class (`None` if absent or its class is missing).
    pub fn read_pass(&self, object_id: &str) -> Result<Option<Candidate>> {
        let Some(txn) = &self.txn else { return Ok(None) };
        let objects = txn.open_table(PASS_OBJECTS_T)?;
        let Some(object) =
            get::<PassObjectRecord>(&objects, &self.crypto, CURRENT_SCHEMA, object_id.as_bytes())?
        else {
            return Ok(None);
        };
        Ok(self.read_class(&object.class_id)?.map(|class| Candidate { class, object }))
    }

    /// One class.
    pub fn read_class(&self, class_id: &str) -> Result<Option<PassClassRecord>> {
        let Some(txn) = &self.txn else { return Ok(None) };
        get(&txn.open_table(PASS_CLASSES_T)?, &self.crypto, CURRENT_SCHEMA, class_id.as_bytes())
    }

    /// Every class (no objects).
    pub fn read_classes(&self) -> Result<Vec<PassClassRecord>> {
        let Some(txn) = &self.txn else { return Ok(Vec::new()) };
        all(&txn.open_table(PASS_CLASSES_T)?, &self.crypto, CURRENT_SCHEMA)
    }

    /// Every class, and every pass with its class. Reads the whole store: listing, never
    /// the tap path. As at a tap, a value that fails to authenticate is skipped and logged
    /// (the other passes stay listed), and so are objects whose class is missing.
    pub fn read_all(&self) -> Result<(Vec<PassClassRecord>, Vec<Candidate>)> {
        let Some(txn) = &self.txn else { return Ok((Vec::new(), Vec::new())) };
        let mut classes: HashMap<String, PassClassRecord> = HashMap::new();
        for entry in txn.open_table(PASS_CLASSES_T)?.iter()? {
            let (k, v) = entry?;
            match self.crypto.open::<PassClassRecord>(CURRENT_SCHEMA, k.value(), v.value()) {
                Ok(c) => drop(classes.insert(c.class_id.clone(), c)),
                Err(e) => log::error!("pass class unreadable: {e}"),
            }
        }
        let mut out = Vec::new();
        for entry in txn.open_table(PASS_OBJECTS_T)?.iter()? {
            let (k, v) = entry?;
            match self.crypto.open::<PassObjectRecord>(CURRENT_SCHEMA, k.value(), v.value()) {
                Ok(object) => match classes.get(&object.class_id) {
                    Some(class) => out.push(Candidate { class: class.clone(), object }),
                    None => log::error!("pass object without its class"),
                },
                Err(e) => log::error!("pass object unreadable: {e}"),
            }
        }
        let mut classes: Vec<PassClassRecord> = classes.into_values().collect();
        classes.sort_by(|a, b| a.class_id.cmp(&b.class_id));
        Ok((classes, out))
    }

    /// The core's selection engine over this snapshot (its [`PassRecords`]): the issuers
    /// known here, passes loaded on demand, home-screen context (no UI, lock policy or
    /// remembered choices: the wallet's engine has those). One implementation of the
    /// rules of spec §12.2, the core's.
    pub fn engine(self: &Arc<Self>) -> SelectionEngine {
        let mut issuers: BTreeMap<IssuerId, Vec<CollectorId>> = BTreeMap::new();
        for (&c, &i) in &self.collector_issuer {
            issuers.entry(i).or_default().push(CollectorId(c));
        }
        let issuers = issuers
            .into_iter()
            .map(|(id, mut collector_ids)| {
                collector_ids.sort();
                Issuer { id, name: String::new(), collector_ids }
            })
            .collect();
        let config = SelectionConfig { lock_policy: LockPolicy::Allow, ..Default::default() };
        let records: Arc<dyn PassRecords> = self.clone();
        SelectionEngine::backed(issuers, records, config).unwrap_or_else(|e| {
            // A collector has one issuer in the map, so this cannot conflict; fail closed.
            log::error!("tap snapshot engine: {e}");
            SelectionEngine::new(SelectionConfig::default())
        })
    }

    /// Whether any pass could go to this collector now (rules 2–5, the core's engine).
    pub fn could_redeem(self: &Arc<Self>, collector: CollectorId, now: Timestamp) -> bool {
        PassSource::could_redeem(&self.engine(), collector, now)
    }

    /// The home-screen decision of spec §12.2 (0 → nothing, 1 → send, several →
    /// chooser), made by the core's engine ([`Self::engine`]).
    pub fn select(self: &Arc<Self>, request: &SelectionRequest) -> Selection {
        self.engine().decide(request)
    }

    /// The `ssr` updates of a push that this collector may apply (spec §6.6 handset rules):
    /// only for passes whose class lists the collector's issuer.
    pub fn applicable_updates(&self, collector: Option<CollectorId>, push: &PushData) -> usize {
        let Some(c) = collector else { return 0 };
        if push.services.is_empty() {
            return 0;
        }
        let refs: Vec<[u8; 8]> = self.candidates(c).iter().map(Candidate::object_ref).collect();
        push.services.iter().filter(|s| refs.contains(&s.object_ref)).count()
    }
}

/// Loads the listed objects and their classes; skips (and logs) any that fail.
pub(crate) fn load_candidates(
    objects: &impl ReadableTable<&'static [u8], &'static [u8]>,
    classes: &impl ReadableTable<&'static [u8], &'static [u8]>,
    crypto: &Crypto,
    ids: &[String],
) -> Vec<Candidate> {
    let mut class_cache: BTreeMap<String, Option<PassClassRecord>> = BTreeMap::new();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let object = match get::<PassObjectRecord>(objects, crypto, CURRENT_SCHEMA, id.as_bytes()) {
            Ok(Some(o)) => o,
            Ok(None) => continue,
            Err(e) => {
                log::error!("pass object unreadable: {e}");
                continue;
            }
        };
        let class = class_cache.entry(object.class_id.clone()).or_insert_with(|| {
            get::<PassClassRecord>(classes, crypto, CURRENT_SCHEMA, object.class_id.as_bytes())
                .unwrap_or_else(|e| {
                    log::error!("pass class unreadable: {e}");
                    None
                })
        });
        if let Some(class) = class {
            out.push(Candidate { class: class.clone(), object });
        }
    }
    out.sort_by(|a, b| a.object.object_id.cmp(&b.object.object_id));
    out
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<TapSnapshot>();
    let _ = |_: ReadOnlyTable<&[u8], &[u8]>| ();
    let _ = PassType::Loyalty;
}

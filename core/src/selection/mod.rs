//! The selection engine: which pass, if any, goes to an authenticated terminal
//! (smart-tap spec §12.2), and which PUSH DATA updates a terminal may make (§6.6).
//!
//! [`SelectionEngine`] holds issuers, classes and objects, a collector → candidates
//! [`index`], the UI context the host sets, the [`chooser`] memory and the product policy
//! ([`SelectionConfig`]). It implements [`PassSource`] and [`PushListener`]. Its passes are
//! either all given up front ([`SelectionEngine::from_snapshot`]) or read on demand through
//! the [`PassRecords`] port ([`SelectionEngine::backed`], module `lazy`): a store-backed
//! engine opens in time independent of the pass count and decrypts only a tap's candidates. A decision
//! looks up the collector's candidates and checks [`rules`] on those only: its cost does
//! not grow with passes for other collectors. All methods take `&self` (one `RwLock`
//! inside; decisions take the read side), so one engine serves the NFC and UI threads.
//!
//! Decision (§12.2): an open pass that is eligible is sent; otherwise (nothing open, or
//! the open pass not eligible) 0 eligible → nothing, 1 → send it, ≥ 2 → the pass the user
//! chose for this collector within the chooser window if it is one of them, else the
//! chooser. With the device locked and [`LockPolicy::RequireUnlock`], a tap that would
//! have something to send asks for unlock instead; one with nothing eligible says so.
//! At most one pass per tap.

pub mod chooser;
pub mod index;
mod lazy;
pub mod records;
pub mod rules;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::{Deserialize, Serialize};

pub use chooser::{ChooserWindow, DEFAULT_CHOOSER_WINDOW_MS};
pub use index::CollectorTaken;
pub use records::{PassRecords, RecordsError};
pub use rules::Ineligible;

use crate::pass::model::pass_type_name;
use crate::pass::push::{apply_service_update, SupValueEncoding};
use crate::pass::{ImportBatch, Issuer, PassClass, PassObject};
use crate::ports::{
    CollectorId, IssuerId, PassSource, PassType, PushData, PushListener, Selection,
    SelectionRequest, SmartTapPass, UiContext,
};
use crate::time::Timestamp;
use chooser::ChooserMemory;
use index::CandidateIndex;

/// What a locked device does when a terminal asks for a pass (product policy, §12.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockPolicy {
    /// Answer "unlock required" (SW `9300`) and let the app prompt.
    #[default]
    RequireUnlock,
    /// Decide as on the home screen.
    Allow,
}

/// Product policy for the engine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelectionConfig {
    pub chooser_window: ChooserWindow,
    pub lock_policy: LockPolicy,
    /// How terminals encode PUSH DATA balance values (unknown by default, §6.6).
    pub sup_value_encoding: SupValueEncoding,
}

/// Everything the engine holds that a store persists; [`SelectionEngine::from_snapshot`]
/// rebuilds the engine (and its index) from it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineSnapshot {
    pub issuers: Vec<Issuer>,
    pub classes: Vec<PassClass>,
    pub objects: Vec<PassObject>,
}

/// What an import changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub classes_added: usize,
    pub classes_replaced: usize,
    pub objects_added: usize,
    pub objects_replaced: usize,
}

/// Why the engine refused a change. Nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    CollectorTaken(#[from] CollectorTaken),
    #[error(
        "pass {object_id} is a {object_type} pass but class {class_id} is a {class_type} class"
    )]
    TypeMismatch {
        object_id: String,
        class_id: String,
        object_type: &'static str,
        class_type: &'static str,
    },
    #[error("no pass with ID {0}")]
    UnknownPass(String),
}

struct State {
    config: SelectionConfig,
    issuers: HashMap<IssuerId, Issuer>,
    classes: HashMap<String, PassClass>,
    objects: HashMap<String, PassObject>,
    index: CandidateIndex,
    ui: UiContext,
    local_offset_secs: i32,
    chooser: ChooserMemory,
    loaded: lazy::Loaded,
}

/// The selection engine; see the module docs.
pub struct SelectionEngine {
    state: RwLock<State>,
    /// Where passes not yet in memory are read from ([`SelectionEngine::backed`]).
    records: Option<Arc<dyn PassRecords>>,
}

impl std::fmt::Debug for SelectionEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.read();
        f.debug_struct("SelectionEngine")
            .field("issuers", &st.issuers.len())
            .field("classes", &st.classes.len())
            .field("objects", &st.objects.len())
            .field("ui", &st.ui)
            .finish()
    }
}

impl Default for SelectionEngine {
    fn default() -> Self {
        SelectionEngine::new(SelectionConfig::default())
    }
}

fn mismatch(object: &PassObject, class_id: &str, class_type: PassType) -> EngineError {
    EngineError::TypeMismatch {
        object_id: object.id.clone(),
        class_id: class_id.to_owned(),
        object_type: pass_type_name::name(object.pass_type),
        class_type: pass_type_name::name(class_type),
    }
}

impl SelectionEngine {
    pub fn new(config: SelectionConfig) -> SelectionEngine {
        SelectionEngine {
            state: RwLock::new(State {
                config,
                issuers: HashMap::new(),
                classes: HashMap::new(),
                objects: HashMap::new(),
                index: CandidateIndex::default(),
                ui: UiContext::default(),
                local_offset_secs: 0,
                chooser: ChooserMemory::default(),
                loaded: lazy::Loaded::default(),
            }),
            records: None,
        }
    }

    /// Rebuilds an engine from persisted data (all or nothing), under one lock.
    pub fn from_snapshot(
        snapshot: EngineSnapshot,
        config: SelectionConfig,
    ) -> Result<SelectionEngine, EngineError> {
        let engine = SelectionEngine::new(config);
        {
            let mut st = engine.write();
            for issuer in snapshot.issuers {
                st.insert_issuer(issuer)?;
            }
            for class in snapshot.classes {
                st.insert_class(class)?;
            }
            for object in snapshot.objects {
                st.upsert_object(object)?;
            }
        }
        Ok(engine)
    }

    /// Everything a store persists, in ID order.
    pub fn snapshot(&self) -> EngineSnapshot {
        self.load_all();
        let st = self.read();
        let mut s = EngineSnapshot {
            issuers: st.issuers.values().cloned().collect(),
            classes: st.classes.values().cloned().collect(),
            objects: st.objects.values().cloned().collect(),
        };
        s.issuers.sort_by_key(|i| i.id);
        s.classes.sort_by(|a, b| a.id.cmp(&b.id));
        s.objects.sort_by(|a, b| a.id.cmp(&b.id));
        s
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }
    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    // ---- host settings -------------------------------------------------------------

    /// Sets what the user is doing (pass open, home, unlocked, locked).
    pub fn set_ui_context(&self, ui: UiContext) {
        self.write().ui = ui;
    }
    pub fn ui_context(&self) -> UiContext {
        self.read().ui.clone()
    }
    /// The user's UTC offset in seconds east, for offset-less validity times.
    pub fn set_local_utc_offset(&self, secs: i32) {
        self.write().local_offset_secs = secs;
    }
    pub fn set_config(&self, config: SelectionConfig) {
        self.write().config = config;
    }
    pub fn config(&self) -> SelectionConfig {
        self.read().config.clone()
    }

    /// The user picked `object_id` in the chooser at `now`: a re-tap at any collector that
    /// could redeem it sends it while the window lasts. Returns how many collectors the
    /// choice applies to.
    pub fn choose(&self, object_id: &str, now: Timestamp) -> Result<usize, EngineError> {
        self.load_object(object_id);
        let mut st = self.write();
        if !st.objects.contains_key(object_id) {
            return Err(EngineError::UnknownPass(object_id.to_owned()));
        }
        let collectors = st.index.collectors_for(object_id);
        let n = collectors.len();
        let State { chooser, config, .. } = &mut *st;
        chooser.record(collectors, object_id, now, &config.chooser_window);
        Ok(n)
    }
    /// Forgets every chooser pick.
    pub fn clear_choices(&self) {
        self.write().chooser.clear();
    }

    /// The user's per-pass Smart Tap toggle (§12.1): `true` switches Smart Tap off.
    pub fn set_user_smart_tap_disabled(
        &self,
        object_id: &str,
        disabled: bool,
    ) -> Result<(), EngineError> {
        self.load_object(object_id);
        let mut st = self.write();
        let o = st
            .objects
            .get_mut(object_id)
            .ok_or_else(|| EngineError::UnknownPass(object_id.to_owned()))?;
        o.user_smart_tap_disabled = disabled;
        Ok(())
    }

    // ---- data ----------------------------------------------------------------------

    /// Inserts or replaces an issuer and its collector IDs. A collector that belongs to
    /// another issuer is refused (remove or update that issuer first).
    pub fn insert_issuer(&self, issuer: Issuer) -> Result<(), EngineError> {
        self.write().insert_issuer(issuer)
    }

    pub fn remove_issuer(&self, id: IssuerId) -> Option<Issuer> {
        let mut st = self.write();
        // Removing every collector of an issuer cannot conflict.
        let _ = st.index.set_collectors(id, BTreeSet::new());
        st.issuers.remove(&id)
    }

    /// Inserts or replaces a class. Refused if objects of another vertical reference it.
    pub fn insert_class(&self, class: PassClass) -> Result<(), EngineError> {
        self.load_all();
        let mut st = self.write();
        st.loaded.removed_classes.remove(&class.id);
        st.insert_class(class)
    }

    /// Removes a class; its objects stay but are never eligible until it returns.
    pub fn remove_class(&self, id: &str) -> Option<PassClass> {
        self.load_all();
        let mut st = self.write();
        st.loaded.removed_classes.insert(id.to_owned());
        st.index.set_redeemers(id, BTreeSet::new());
        st.classes.remove(id)
    }

    /// Inserts or replaces an object exactly as given (store restore, issuer update).
    pub fn upsert_object(&self, object: PassObject) -> Result<(), EngineError> {
        self.load_class(&object.class_id);
        let mut st = self.write();
        st.loaded.removed_objects.remove(&object.id);
        st.upsert_object(object)
    }

    pub fn remove_object(&self, id: &str) -> Option<PassObject> {
        self.load_object(id);
        let mut st = self.write();
        st.loaded.removed_objects.insert(id.to_owned());
        st.index.set_object_class(id, None);
        st.chooser.forget_object(id);
        st.objects.remove(id)
    }

    /// Applies an import atomically: classes and objects replace those with the same ID
    /// (an issuer update), keeping the user's Smart Tap toggle and the last terminal
    /// update of replaced objects. Either everything is applied or nothing.
    pub fn apply_import(&self, batch: ImportBatch) -> Result<ImportReport, EngineError> {
        self.load_all();
        let mut st = self.write();
        let batch_types: HashMap<&str, PassType> =
            batch.classes.iter().map(|c| (c.id.as_str(), c.pass_type)).collect();
        let batch_objects: BTreeSet<&str> = batch.objects.iter().map(|o| o.id.as_str()).collect();
        for o in &batch.objects {
            let class_type = batch_types
                .get(o.class_id.as_str())
                .copied()
                .or_else(|| st.classes.get(&o.class_id).map(|c| c.pass_type));
            if let Some(t) = class_type.filter(|t| *t != o.pass_type) {
                return Err(mismatch(o, &o.class_id, t));
            }
        }
        for c in &batch.classes {
            let stale = st
                .objects_of_class(&c.id)
                .find(|o| o.pass_type != c.pass_type && !batch_objects.contains(o.id.as_str()));
            if let Some(o) = stale {
                return Err(mismatch(o, &c.id, c.pass_type));
            }
        }
        let mut report = ImportReport::default();
        for c in batch.classes {
            if st.put_class(c) {
                report.classes_replaced += 1;
            } else {
                report.classes_added += 1;
            }
        }
        for mut o in batch.objects {
            if let Some(old) = st.objects.get(&o.id) {
                o.user_smart_tap_disabled = old.user_smart_tap_disabled;
                o.last_terminal_update = old.last_terminal_update.clone();
            }
            if st.put_object(o) {
                report.objects_replaced += 1;
            } else {
                report.objects_added += 1;
            }
        }
        Ok(report)
    }

    // ---- queries -------------------------------------------------------------------

    /// Every redemption issuer of the stored classes (whose keys key sync must fetch).
    pub fn redemption_issuers(&self) -> BTreeSet<IssuerId> {
        let mut out = self.stored_redemption_issuers();
        let st = self.read();
        out.extend(st.classes.values().flat_map(|c| c.redemption_issuers.iter().copied()));
        out
    }

    pub fn object(&self, id: &str) -> Option<PassObject> {
        self.load_object(id);
        self.read().objects.get(id).cloned()
    }
    pub fn class(&self, id: &str) -> Option<PassClass> {
        self.load_class(id);
        self.read().classes.get(id).cloned()
    }
    pub fn issuer(&self, id: IssuerId) -> Option<Issuer> {
        self.read().issuers.get(&id).cloned()
    }
    /// Every issuer, in ID order (loads no pass).
    pub fn issuers(&self) -> Vec<Issuer> {
        let mut v: Vec<Issuer> = self.read().issuers.values().cloned().collect();
        v.sort_by_key(|i| i.id);
        v
    }
    /// Every object, in ID order.
    pub fn objects(&self) -> Vec<PassObject> {
        self.load_all();
        let mut v: Vec<PassObject> = self.read().objects.values().cloned().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
    /// How many objects are in memory now (loads nothing; for cold-start checks).
    pub fn loaded_object_count(&self) -> usize {
        self.read().objects.len()
    }
    pub fn object_count(&self) -> usize {
        self.load_all();
        self.read().objects.len()
    }
    /// The candidate passes of `collector` (class lists its issuer), eligible or not.
    pub fn candidates(&self, collector: CollectorId) -> Vec<String> {
        self.load_collector(collector);
        self.read().index.candidates(collector).into_iter().flatten().cloned().collect()
    }
    /// Why `object_id` is or is not eligible for `request` (for the app's pass details).
    pub fn eligibility(
        &self,
        object_id: &str,
        request: &SelectionRequest,
    ) -> Result<(), Ineligible> {
        self.load_object(object_id);
        self.load_collector(request.collector);
        let st = self.read();
        st.check(object_id, request)
    }

    /// Applies the `ssr` updates of a PUSH DATA from the authenticated `collector` to the
    /// passes it may redeem (§6.6); others are discarded. Returns the IDs of the passes
    /// updated, in order (a store persists exactly these).
    pub fn apply_push(
        &self,
        collector: CollectorId,
        push: &PushData,
        now: Timestamp,
    ) -> Vec<String> {
        self.load_collector(collector);
        let mut st = self.write();
        let mut updated = Vec::new();
        for update in &push.services {
            let targets: Vec<String> = st
                .index
                .objects_by_ref(&update.object_ref)
                .filter(|id| st.may_update(collector, id))
                .map(str::to_owned)
                .collect();
            let encoding = st.config.sup_value_encoding;
            for id in targets {
                if let Some(o) = st.objects.get_mut(&id) {
                    apply_service_update(o, update, encoding, collector, now);
                    updated.push(id);
                }
            }
        }
        updated
    }

    /// The decision for one GET SMART TAP DATA (module docs).
    pub fn decide(&self, request: &SelectionRequest) -> Selection {
        self.load_collector(request.collector);
        let st = self.read();
        st.decide(request)
    }
}

impl State {
    fn insert_issuer(&mut self, issuer: Issuer) -> Result<(), EngineError> {
        let collectors: BTreeSet<CollectorId> = issuer.collector_ids.iter().copied().collect();
        self.index.set_collectors(issuer.id, collectors)?;
        self.issuers.insert(issuer.id, issuer);
        Ok(())
    }

    fn insert_class(&mut self, class: PassClass) -> Result<(), EngineError> {
        if let Some(o) = self.objects_of_class(&class.id).find(|o| o.pass_type != class.pass_type) {
            return Err(mismatch(o, &class.id, class.pass_type));
        }
        self.put_class(class);
        Ok(())
    }

    fn upsert_object(&mut self, object: PassObject) -> Result<(), EngineError> {
        if let Some(c) = self.classes.get(&object.class_id) {
            if c.pass_type != object.pass_type {
                return Err(mismatch(&object, &c.id, c.pass_type));
            }
        }
        self.put_object(object);
        Ok(())
    }

    fn objects_of_class<'a>(&'a self, class_id: &str) -> impl Iterator<Item = &'a PassObject> + 'a {
        let ids: Vec<&'a str> = self.index.objects_of_class(class_id).collect();
        ids.into_iter().filter_map(move |id| self.objects.get(id))
    }

    /// Stores a class and re-indexes it; returns whether it replaced one.
    fn put_class(&mut self, class: PassClass) -> bool {
        self.index.set_redeemers(&class.id, class.redemption_issuers.iter().copied().collect());
        self.classes.insert(class.id.clone(), class).is_some()
    }

    /// Stores an object and re-indexes it; returns whether it replaced one.
    fn put_object(&mut self, object: PassObject) -> bool {
        self.index.set_object_class(&object.id, Some(&object.class_id));
        self.objects.insert(object.id.clone(), object).is_some()
    }

    fn check(&self, object_id: &str, request: &SelectionRequest) -> Result<(), Ineligible> {
        let object = self.objects.get(object_id).ok_or(Ineligible::UnknownPass)?;
        let class = self.classes.get(&object.class_id).ok_or(Ineligible::UnknownClass)?;
        let redeemable = self.index.is_candidate(request.collector, object_id);
        rules::check(class, object, redeemable, request, self.local_offset_secs)
    }

    fn eligible<'a>(&'a self, request: &'a SelectionRequest) -> impl Iterator<Item = &'a str> + 'a {
        self.index
            .candidates(request.collector)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(move |id| self.check(id, request).is_ok())
    }

    fn may_update(&self, collector: CollectorId, object_id: &str) -> bool {
        let Some(object) = self.objects.get(object_id) else { return false };
        let Some(class) = self.classes.get(&object.class_id) else { return false };
        self.index.is_candidate(collector, object_id)
            && class.enable_smart_tap
            && !object.user_smart_tap_disabled
    }

    fn pass(&self, object_id: &str) -> Selection {
        let found = self.objects.get(object_id).and_then(|o| {
            let class = self.classes.get(&o.class_id)?;
            let value = o.smart_tap_redemption_value.as_ref()?;
            Some(SmartTapPass {
                object_id: o.id.clone(),
                issuer_id: class.issuer_id,
                pass_type: class.pass_type,
                redemption_value: value.expose().clone(),
            })
        });
        // `found` is always Some for an eligible pass; stay safe if it is not.
        found.map_or(Selection::NothingEligible, Selection::Send)
    }

    fn decide(&self, request: &SelectionRequest) -> Selection {
        match &self.ui {
            UiContext::Locked if self.config.lock_policy == LockPolicy::RequireUnlock => {
                if self.eligible(request).next().is_some() {
                    Selection::UnlockRequired
                } else {
                    Selection::NothingEligible
                }
            }
            UiContext::PassOpen(id) if self.check(id, request).is_ok() => self.pass(id),
            _ => self.home(request),
        }
    }

    /// Home screen / unlocked, or an open pass that is not eligible (§12.2 fallback).
    fn home(&self, request: &SelectionRequest) -> Selection {
        let eligible: Vec<&str> = self.eligible(request).collect();
        match eligible.as_slice() {
            [] => Selection::NothingEligible,
            [one] => self.pass(one),
            many => {
                let window = self.config.chooser_window.for_collector(request.collector);
                match self.chooser.recent(request.collector, request.now, window) {
                    Some(chosen) if many.contains(&chosen) => self.pass(chosen),
                    _ => Selection::ChooserRequired {
                        candidates: many.iter().map(|s| (*s).to_owned()).collect(),
                    },
                }
            }
        }
    }
}

impl PassSource for SelectionEngine {
    /// Whether some pass of this collector's candidates meets rules 2–5 at `now` (the
    /// requested type is not known before GET DATA). A wallet that could send nothing
    /// does not authenticate to the terminal.
    fn could_redeem(&self, collector: CollectorId, now: Timestamp) -> bool {
        self.load_collector(collector);
        let st = self.read();
        let request = SelectionRequest { collector, service_types: Vec::new(), now };
        let Some(candidates) = st.index.candidates(collector) else { return false };
        candidates.iter().any(|id| {
            let Some(o) = st.objects.get(id) else { return false };
            let Some(c) = st.classes.get(&o.class_id) else { return false };
            rules::check_standing(c, o, &request, st.local_offset_secs).is_ok()
        })
    }

    fn select(&self, request: &SelectionRequest) -> Selection {
        self.decide(request)
    }
}

impl PushListener for SelectionEngine {
    fn on_push(
        &self,
        collector: Option<CollectorId>,
        push: &PushData,
        now: Timestamp,
    ) -> Result<usize, crate::ports::PushError> {
        Ok(match collector {
            Some(c) => self.apply_push(c, push, now).len(),
            None => 0,
        })
    }
}

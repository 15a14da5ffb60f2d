//! Loading on demand (issue #12, cold start O(1) in the number of passes): an engine made
//! with [`SelectionEngine::backed`] starts with the issuers only and reads passes through
//! its [`PassRecords`] port when a call needs them:
//!
//! - a tap (could redeem, decide, PUSH DATA, candidates) loads the candidates of the
//!   collector's issuer, once per issuer;
//! - a call about one pass loads that pass and its class;
//! - calls about every pass (listing, import checks, snapshot) load everything, once.
//!
//! What is in memory wins over the records: a pass changed or removed in memory (and being
//! written by the caller) is never replaced by the older stored copy. A read error fails
//! closed: the passes concerned stay unloaded (not eligible) and the next call retries.

use std::collections::HashSet;
use std::sync::Arc;

use super::records::{PassRecords, Records};
use super::{EngineError, SelectionConfig, SelectionEngine, State};
use crate::pass::Issuer;
use crate::ports::{CollectorId, IssuerId};

/// What has been loaded from the records so far.
#[derive(Debug, Default)]
pub(super) struct Loaded {
    /// Issuers whose candidates are in memory.
    issuers: HashSet<IssuerId>,
    /// Everything is in memory.
    all: bool,
    /// Objects and classes removed in memory: never loaded back.
    pub(super) removed_objects: HashSet<String>,
    pub(super) removed_classes: HashSet<String>,
}

impl SelectionEngine {
    /// An engine over `records` that knows `issuers` and loads passes on demand (module
    /// docs). Opening costs nothing per pass.
    pub fn backed(
        issuers: Vec<Issuer>,
        records: Arc<dyn PassRecords>,
        config: SelectionConfig,
    ) -> Result<SelectionEngine, EngineError> {
        let mut engine = SelectionEngine::new(config);
        engine.records = Some(records);
        {
            let mut st = engine.write();
            for issuer in issuers {
                st.insert_issuer(issuer)?;
            }
        }
        Ok(engine)
    }

    /// The records, unless everything is already in memory.
    fn pending_records(&self) -> Option<&Arc<dyn PassRecords>> {
        let records = self.records.as_ref()?;
        (!self.read().loaded.all).then_some(records)
    }

    /// Loads the candidates of `collector`'s issuer (a tap's working set).
    pub(super) fn load_collector(&self, collector: CollectorId) {
        let Some(records) = self.pending_records() else { return };
        let issuer = {
            let st = self.read();
            match st.index.owner(collector) {
                Some(i) if !st.loaded.issuers.contains(&i) => i,
                _ => return,
            }
        };
        match records.candidates(issuer) {
            Ok(found) => {
                let mut st = self.write();
                st.absorb(found);
                st.loaded.issuers.insert(issuer);
            }
            Err(e) => log::error!("candidates of issuer {issuer} not loaded: {e}"),
        }
    }

    /// Loads one object and its class.
    pub(super) fn load_object(&self, id: &str) {
        let Some(records) = self.pending_records() else { return };
        if self.read().objects.contains_key(id) {
            return;
        }
        match records.object(id) {
            Ok(Some((class, object))) => self.write().absorb((vec![class], vec![object])),
            Ok(None) => {}
            Err(e) => log::error!("pass not loaded: {e}"),
        }
    }

    /// Loads one class.
    pub(super) fn load_class(&self, id: &str) {
        let Some(records) = self.pending_records() else { return };
        if self.read().classes.contains_key(id) {
            return;
        }
        match records.class(id) {
            Ok(Some(class)) => self.write().absorb((vec![class], Vec::new())),
            Ok(None) => {}
            Err(e) => log::error!("class not loaded: {e}"),
        }
    }

    /// Loads every pass (the listing and import paths).
    pub(super) fn load_all(&self) {
        let Some(records) = self.pending_records() else { return };
        match records.all() {
            Ok(found) => {
                let mut st = self.write();
                st.absorb(found);
                st.loaded.all = true;
            }
            Err(e) => log::error!("passes not loaded: {e}"),
        }
    }

    /// The redemption issuers of the records not yet in memory (empty when all are).
    pub(super) fn stored_redemption_issuers(&self) -> std::collections::BTreeSet<IssuerId> {
        let Some(records) = self.pending_records() else { return Default::default() };
        records.redemption_issuers().unwrap_or_else(|e| {
            log::error!("redemption issuers not read: {e}");
            Default::default()
        })
    }
}

impl State {
    /// Adds records not already in memory (memory wins; removed ones stay removed).
    fn absorb(&mut self, (classes, objects): Records) {
        for class in classes {
            if !self.classes.contains_key(&class.id)
                && !self.loaded.removed_classes.contains(&class.id)
            {
                self.put_class(class);
            }
        }
        for object in objects {
            if self.objects.contains_key(&object.id)
                || self.loaded.removed_objects.contains(&object.id)
            {
                continue;
            }
            if let Err(e) = self.upsert_object(object) {
                log::error!("stored pass not loaded: {e}");
            }
        }
    }
}

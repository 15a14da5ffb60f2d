//! [`Store`]: opening, the write operations (each one redb write transaction: all or
//! nothing), and the snapshot swap after every commit.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use hce_wallet_core::ports::{CollectorId, IssuerId, PushData};
use hce_wallet_core::time::Timestamp;
use redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, StorageBackend,
    WriteTransaction,
};

use crate::codec::{all, delete, get, put, Crypto, CryptoCell};
use crate::error::{Result, StoreError};
use crate::keys::RootKey;
use crate::records::{
    CollectorKeyRecord, EventRecord, IssuerRecord, PassClassRecord, PassObjectRecord, PushRecord,
    SelectionIndexRecord, SettingRecord,
};
use crate::schema::{self, reseal_all, verify_check, write_header, CURRENT_SCHEMA, OLDEST_SCHEMA};
use crate::snapshot::{load_candidates, object_ref, TapSnapshot};
use crate::stamp::{IntegrityCheck, Stamper};
use crate::tables::*;

/// Tuning knobs for [`Store::open_with`].
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Events kept in the log; the oldest are dropped beyond it.
    pub event_cap: u64,
    /// redb page cache in bytes.
    pub cache_size: usize,
    /// When to verify every page checksum on open (redb's `check_integrity`): a file
    /// altered outside the store then fails to open as `Corrupt` instead of being trusted.
    /// By default only when the file's stamp shows it changed since this store last wrote
    /// it ([`IntegrityCheck::WhenChanged`], O(1) for an unchanged file).
    pub integrity_check: IntegrityCheck,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            event_cap: 10_000,
            cache_size: 16 << 20,
            integrity_check: IntegrityCheck::WhenChanged,
        }
    }
}

/// Keys of one redemption issuer, as a key bundle delivers them (issue: issuer key sync).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerKeys {
    pub issuer_id: IssuerId,
    pub name: String,
    pub collectors: Vec<u32>,
    pub keys: Vec<CollectorKeyRecord>,
}

/// A pass as the admin API lists it (no redemption value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassSummary {
    pub object_id: String,
    pub class_id: String,
    pub issuer_id: IssuerId,
    pub pass_type: hce_wallet_core::ports::PassType,
    pub state: crate::records::ObjectState,
    pub smart_tap_disabled: bool,
}

/// The encrypted store. Share it as `Arc<Store>`: taps read snapshots, writers serialize.
pub struct Store {
    // Field order is drop order: the snapshot's read transaction ends before the database
    // closes, and the stamp is written after redb's close wrote the file.
    snapshot: RwLock<Arc<TapSnapshot>>,
    pub(crate) db: Database,
    crypto: CryptoCell,
    /// Serializes writers so that snapshots are swapped in commit order.
    pub(crate) writer: Mutex<()>,
    /// A journal write changed passes: rebuild the snapshot at the next [`Store::prepare_tap`].
    snapshot_stale: AtomicBool,
    pub(crate) pending_events: Mutex<Vec<EventRecord>>,
    /// Volatile payment state (CDCVM window, per-tap pick): never written.
    pub(crate) payment: Mutex<crate::tokens::PaymentSession>,
    pub(crate) options: StoreOptions,
    /// Whether this open ran redb's whole-file integrity check.
    checked_at_open: bool,
    /// The file's stamp (none for in-memory backends).
    stamper: Option<Stamper>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("options", &self.options).finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Store {
    /// Opens (or creates, if missing) the store at `path` with default options.
    pub fn open(path: impl AsRef<Path>, root: &RootKey) -> Result<Self> {
        Self::open_with(path, root, StoreOptions::default())
    }

    /// Opens (or creates) the store at `path`.
    pub fn open_with(
        path: impl AsRef<Path>,
        root: &RootKey,
        options: StoreOptions,
    ) -> Result<Self> {
        let path = path.as_ref();
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().readonly() {
                return Err(StoreError::ReadOnly(path.display().to_string()));
            }
        }
        if !path.exists() {
            create_atomically(path, root, &options)?;
        }
        let crypto = CryptoCell::new(Arc::new(Crypto::from_root(root)?));
        let stamper = Stamper::new(path, crypto.clone());
        let check = match options.integrity_check {
            IntegrityCheck::Always => true,
            IntegrityCheck::WhenChanged => !stamper.matches(),
            IntegrityCheck::Never => false,
        };
        let db = builder(&options, check).open(path)?;
        let mut store = Self::init(db, crypto, options, check)?;
        stamper.record();
        store.stamper = Some(stamper);
        Ok(store)
    }

    /// Opens (or initialises) a store on any redb storage backend (tests inject faults
    /// this way; the fuzz target opens arbitrary bytes in memory).
    pub fn open_with_backend(
        backend: impl StorageBackend,
        root: &RootKey,
        options: StoreOptions,
    ) -> Result<Self> {
        let check = options.integrity_check != IntegrityCheck::Never;
        let db = builder(&options, check).create_with_backend(backend)?;
        Self::init(db, CryptoCell::new(Arc::new(Crypto::from_root(root)?)), options, check)
    }

    fn init(
        db: Database,
        crypto: CryptoCell,
        options: StoreOptions,
        checked_at_open: bool,
    ) -> Result<Self> {
        let keys = crypto.get();
        if !Self::verify_current(&db, &keys)? {
            Self::prepare(&db, &keys)?;
        }
        let snapshot = Arc::new(TapSnapshot::build(db.begin_read()?, keys)?);
        Ok(Store {
            db,
            crypto,
            snapshot: RwLock::new(snapshot),
            writer: Mutex::new(()),
            snapshot_stale: AtomicBool::new(false),
            pending_events: Mutex::new(Vec::new()),
            payment: Mutex::new(Default::default()),
            options,
            checked_at_open,
            stamper: None,
        })
    }

    /// Whether this open ran redb's whole-file integrity check (see
    /// [`StoreOptions::integrity_check`]).
    pub fn integrity_checked_at_open(&self) -> bool {
        self.checked_at_open
    }

    /// Stamps the file after a commit of this store ([`crate::stamp`]).
    fn stamp(&self) {
        if let Some(s) = &self.stamper {
            s.record();
        }
    }

    /// The common open: a read transaction finds a current-schema header for this key
    /// (`true`), so no write (and no fsync) is needed. `false`: new or older store.
    fn verify_current(db: &Database, crypto: &Crypto) -> Result<bool> {
        let txn = db.begin_read()?;
        let meta = match txn.open_table(META_T) {
            Ok(m) => m,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let field =
            |k: &str| -> Result<Option<Vec<u8>>> { Ok(meta.get(k)?.map(|v| v.value().to_vec())) };
        let (Some(format), Some(schema)) = (field(META_FORMAT)?, field(META_SCHEMA)?) else {
            return Ok(false);
        };
        if format != FORMAT_MARKER || schema != CURRENT_SCHEMA.to_be_bytes() {
            return Ok(false);
        }
        let key_id = field(META_KEY_ID)?
            .ok_or(StoreError::Integrity { table: META, reason: "header field missing" })?;
        if !crypto.key_id_matches(&key_id) {
            return Err(StoreError::WrongKey);
        }
        let check = field(META_CHECK)?
            .ok_or(StoreError::Integrity { table: META, reason: "header field missing" })?;
        verify_check(crypto, CURRENT_SCHEMA, &check)?;
        Ok(true)
    }

    /// Creates the header of a new store or migrates an older one, in one transaction.
    fn prepare(db: &Database, crypto: &Crypto) -> Result<()> {
        let txn = db.begin_write()?;
        let schema = read_schema(&txn)?;
        match schema {
            None => {
                write_header(&txn, crypto, CURRENT_SCHEMA)?;
                for def in BLIND_TABLES {
                    txn.open_table(def)?;
                }
                txn.open_table(EVENTS_T)?;
            }
            Some(found) => {
                let key_id = meta_bytes(&txn, META_KEY_ID)?;
                if !crypto.key_id_matches(&key_id) {
                    return Err(StoreError::WrongKey);
                }
                let check = meta_bytes(&txn, META_CHECK)?;
                verify_check(crypto, found, &check)?;
                // Tables added within the current schema (e.g. `outbox`) exist from here on.
                for def in BLIND_TABLES {
                    txn.open_table(def)?;
                }
                if found < CURRENT_SCHEMA {
                    let n = reseal_all(&txn, crypto, found, crypto)?;
                    log::info!(
                        "store migrated from schema {found} to {CURRENT_SCHEMA} ({n} values)"
                    );
                }
            }
        }
        txn.commit()?;
        Ok(())
    }

    pub(crate) fn crypto(&self) -> Arc<Crypto> {
        self.crypto.get()
    }

    /// The current tap snapshot. Cheap (an `Arc` clone); never waits for a writer's I/O.
    /// A snapshot holds a redb read transaction: drop it after the tap (a snapshot kept
    /// past the store's drop keeps the file open, and a reopen then reports `Locked`).
    pub fn prepare_tap(&self) -> Arc<TapSnapshot> {
        if self.snapshot_stale.swap(false, Ordering::AcqRel) {
            let _w = lock(&self.writer);
            self.refresh(self.crypto());
        }
        match self.snapshot.read() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Rebuilds the snapshot from the latest commit and swaps it in.
    fn refresh(&self, crypto: Arc<Crypto>) {
        let built = self
            .db
            .begin_read()
            .map_err(StoreError::from)
            .and_then(|txn| TapSnapshot::build(txn, crypto.clone()));
        let snap = match built {
            Ok(s) => s,
            Err(e) => {
                log::error!("tap snapshot rebuild failed, failing closed: {e}");
                TapSnapshot::empty(crypto)
            }
        };
        let snap = Arc::new(snap);
        match self.snapshot.write() {
            Ok(mut s) => *s = snap,
            Err(p) => *p.into_inner() = snap,
        }
    }

    /// Runs `f` in one write transaction; commits and swaps the snapshot if it succeeds.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&WriteTransaction, &Crypto) -> Result<T>,
    ) -> Result<T> {
        let _w = lock(&self.writer);
        let crypto = self.crypto();
        let txn = self.db.begin_write()?;
        let out = f(&txn, &crypto)?;
        txn.commit()?;
        self.stamp();
        self.refresh(crypto);
        Ok(out)
    }

    /// The durable journal write of the tap path (PUSH DATA acknowledgements, payment ATCs
    /// and key uses): one write transaction, committed with redb's default durability
    /// (`fsync` before `commit` returns), without the snapshot rebuild of [`Store::write`]
    /// — `affects_passes` only marks the snapshot stale for the next [`Store::prepare_tap`].
    /// When it returns `Ok`, what it wrote survives a crash; an `Err` wrote nothing.
    pub(crate) fn journal<T>(
        &self,
        affects_passes: bool,
        f: impl FnOnce(&WriteTransaction, &Crypto) -> Result<T>,
    ) -> Result<T> {
        let _w = lock(&self.writer);
        let crypto = self.crypto();
        let txn = self.db.begin_write()?;
        let out = f(&txn, &crypto)?;
        txn.commit()?;
        self.stamp();
        if affects_passes {
            self.snapshot_stale.store(true, Ordering::Release);
        }
        Ok(out)
    }

    // ---- passes -------------------------------------------------------------------------

    /// Imports a class with its objects in one transaction (upsert), updating the selection
    /// index. Objects not listed are kept.
    pub fn import_class(
        &self,
        class: &PassClassRecord,
        objects: &[PassObjectRecord],
    ) -> Result<()> {
        validate_import(class, objects)?;
        self.write(|txn, crypto| {
            import_in(txn, crypto, class, objects)?;
            let detail = format!("{} objects", objects.len());
            append_event(txn, crypto, self.options.event_cap, event("import", None, None, detail))
                .map(drop)
        })
    }

    /// Imports many classes with their objects in one transaction.
    pub fn import_many(&self, batch: &[(PassClassRecord, Vec<PassObjectRecord>)]) -> Result<()> {
        for (c, o) in batch {
            validate_import(c, o)?;
        }
        self.write(|txn, crypto| {
            for (c, o) in batch {
                import_in(txn, crypto, c, o)?;
            }
            let detail = format!("{} classes", batch.len());
            append_event(txn, crypto, self.options.event_cap, event("import", None, None, detail))
                .map(drop)
        })
    }

    /// Removes one pass object (and its index entries). `NotFound` if absent.
    pub fn remove_pass(&self, object_id: &str) -> Result<()> {
        self.write(|txn, crypto| {
            if !remove_in(txn, crypto, object_id)? {
                return Err(StoreError::NotFound("pass".into()));
            }
            let e = event("remove", None, Some(object_id.to_string()), String::new());
            append_event(txn, crypto, self.options.event_cap, e).map(drop)
        })
    }

    /// Switches Smart Tap off (`true`) or on for one pass (spec §12.1 toggle, rule 5).
    pub fn set_smart_tap_disabled(&self, object_id: &str, disabled: bool) -> Result<()> {
        self.write(|txn, crypto| {
            let mut objects = txn.open_table(PASS_OBJECTS_T)?;
            let mut obj =
                get::<PassObjectRecord>(&objects, crypto, CURRENT_SCHEMA, object_id.as_bytes())?
                    .ok_or_else(|| StoreError::NotFound("pass".into()))?;
            obj.smart_tap_disabled = disabled;
            if let Some(m) = obj.model.as_mut() {
                m.user_smart_tap_disabled = disabled;
            }
            put(&mut objects, crypto, CURRENT_SCHEMA, &obj)
        })
    }

    /// One pass with its class.
    pub fn pass(&self, object_id: &str) -> Result<Option<(PassClassRecord, PassObjectRecord)>> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        let objects = txn.open_table(PASS_OBJECTS_T)?;
        let Some(obj) =
            get::<PassObjectRecord>(&objects, &crypto, CURRENT_SCHEMA, object_id.as_bytes())?
        else {
            return Ok(None);
        };
        let classes = txn.open_table(PASS_CLASSES_T)?;
        let class =
            get::<PassClassRecord>(&classes, &crypto, CURRENT_SCHEMA, obj.class_id.as_bytes())?
                .ok_or(StoreError::Integrity {
                    table: PASS_CLASSES,
                    reason: "object without its class",
                })?;
        Ok(Some((class, obj)))
    }

    /// One class.
    pub fn class(&self, class_id: &str) -> Result<Option<PassClassRecord>> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        get(&txn.open_table(PASS_CLASSES_T)?, &crypto, CURRENT_SCHEMA, class_id.as_bytes())
    }

    /// Every pass, sorted by object ID (admin path: decrypts all objects).
    pub fn list_passes(&self) -> Result<Vec<PassSummary>> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        let objects: Vec<PassObjectRecord> =
            all(&txn.open_table(PASS_OBJECTS_T)?, &crypto, CURRENT_SCHEMA)?;
        let classes = txn.open_table(PASS_CLASSES_T)?;
        let mut out = Vec::with_capacity(objects.len());
        for o in objects {
            let c =
                get::<PassClassRecord>(&classes, &crypto, CURRENT_SCHEMA, o.class_id.as_bytes())?
                    .ok_or(StoreError::Integrity {
                    table: PASS_CLASSES,
                    reason: "object without its class",
                })?;
            out.push(PassSummary {
                object_id: o.object_id,
                class_id: o.class_id,
                issuer_id: c.issuer_id,
                pass_type: c.pass_type,
                state: o.state,
                smart_tap_disabled: o.smart_tap_disabled,
            });
        }
        out.sort_by(|a, b| a.object_id.cmp(&b.object_id));
        Ok(out)
    }

    /// Every class and every object record (admin path).
    pub fn all_passes(&self) -> Result<(Vec<PassClassRecord>, Vec<PassObjectRecord>)> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        let classes = all(&txn.open_table(PASS_CLASSES_T)?, &crypto, CURRENT_SCHEMA)?;
        let objects = all(&txn.open_table(PASS_OBJECTS_T)?, &crypto, CURRENT_SCHEMA)?;
        Ok((classes, objects))
    }

    /// Number of stored pass objects (no decryption).
    pub fn pass_count(&self) -> Result<u64> {
        let txn = self.db.begin_read()?;
        Ok(txn.open_table(PASS_OBJECTS_T)?.len()?)
    }

    // ---- issuers and keys ---------------------------------------------------------------

    /// Applies a key bundle in one transaction: for every listed issuer, its collectors and
    /// keys replace the stored ones (a collector claimed by another issuer moves). Every
    /// key is checked to be a P-256 point first; one bad key rejects the whole bundle.
    pub fn apply_key_bundle(&self, issuers: &[IssuerKeys]) -> Result<()> {
        validate_keys(issuers)?;
        self.write(|txn, crypto| {
            apply_keys_in(txn, crypto, issuers, false)?;
            let detail = format!("{} issuers", issuers.len());
            append_event(txn, crypto, self.options.event_cap, event("sync", None, None, detail))
                .map(drop)
        })
    }

    /// Every issuer record.
    pub fn issuers(&self) -> Result<Vec<IssuerRecord>> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        all(&txn.open_table(ISSUERS_T)?, &crypto, CURRENT_SCHEMA)
    }

    /// Every collector key record.
    pub fn collector_keys(&self) -> Result<Vec<CollectorKeyRecord>> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        all(&txn.open_table(COLLECTOR_KEYS_T)?, &crypto, CURRENT_SCHEMA)
    }

    // ---- push ---------------------------------------------------------------------------

    /// Applies one PUSH SMART TAP DATA (spec §6.6) in one transaction: each `ssr` naming a
    /// pass whose class lists `collector`'s issuer is recorded on that pass (raw, for the
    /// app); others are discarded. Returns the number applied.
    pub fn apply_push(
        &self,
        collector: Option<CollectorId>,
        push: &PushData,
        now: Timestamp,
    ) -> Result<usize> {
        let Some(collector) = collector else { return Ok(0) };
        if push.services.is_empty() {
            return Ok(0);
        }
        self.journal(true, |txn, crypto| {
            let issuers: Vec<IssuerRecord> =
                all(&txn.open_table(ISSUERS_T)?, crypto, CURRENT_SCHEMA)?;
            let Some(issuer) = issuers.iter().find(|i| i.collectors.contains(&collector.0)) else {
                return Ok(0);
            };
            let index = txn.open_table(SELECTION_INDEX_T)?;
            let ids = get::<SelectionIndexRecord>(
                &index,
                crypto,
                CURRENT_SCHEMA,
                &issuer.issuer_id.to_be_bytes(),
            )?
            .map(|ix| ix.objects)
            .unwrap_or_default();
            let mut objects = txn.open_table(PASS_OBJECTS_T)?;
            let classes = txn.open_table(PASS_CLASSES_T)?;
            let candidates = load_candidates(&objects, &classes, crypto, &ids);
            let mut applied = 0;
            for update in &push.services {
                let Some(c) = candidates
                    .iter()
                    .find(|c| object_ref(&c.object.object_id) == update.object_ref)
                else {
                    continue;
                };
                if !c.class.redemption_issuers.contains(&issuer.issuer_id) {
                    continue;
                }
                let mut obj = c.object.clone();
                obj.last_push = Some(PushRecord {
                    at: now.0,
                    collector: collector.0,
                    usage_status: update.usage.as_ref().map(|u| u.status),
                    usage_title: update.usage.as_ref().and_then(|u| u.title.clone()),
                    usage_description: update.usage.as_ref().and_then(|u| u.description.clone()),
                    operation: update.operation.clone(),
                });
                put(&mut objects, crypto, CURRENT_SCHEMA, &obj)?;
                applied += 1;
            }
            drop((index, objects, classes));
            let mut e = event("push", Some(collector.0), None, format!("{applied} updates"));
            e.at = now.0;
            append_event(txn, crypto, self.options.event_cap, e)?;
            Ok(applied)
        })
    }

    // ---- payment tokens: see crate::tokens ----------------------------------------------

    // ---- settings -----------------------------------------------------------------------

    /// Sets a named setting.
    pub fn set_setting(&self, name: &str, value: &str) -> Result<()> {
        let rec = SettingRecord { name: name.into(), value: value.into() };
        self.write(|txn, crypto| {
            put(&mut txn.open_table(SETTINGS_T)?, crypto, CURRENT_SCHEMA, &rec)
        })
    }

    /// Reads a named setting.
    pub fn setting(&self, name: &str) -> Result<Option<String>> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        let rec: Option<SettingRecord> =
            get(&txn.open_table(SETTINGS_T)?, &crypto, CURRENT_SCHEMA, name.as_bytes())?;
        Ok(rec.map(|r| r.value))
    }

    // ---- events -------------------------------------------------------------------------

    /// Appends one event (its `seq` is assigned here).
    pub fn append_event(&self, e: EventRecord) -> Result<u64> {
        self.write(|txn, crypto| append_event(txn, crypto, self.options.event_cap, e))
    }

    /// Writes the events queued by the APDU path ([`hce_wallet_core::ports::EventSink`])
    /// in one transaction.
    pub fn flush_events(&self) -> Result<usize> {
        let queued = std::mem::take(&mut *lock(&self.pending_events));
        if queued.is_empty() {
            return Ok(0);
        }
        let n = queued.len();
        let res = self.write(|txn, crypto| {
            for e in &queued {
                append_event(txn, crypto, self.options.event_cap, e.clone())?;
            }
            Ok(())
        });
        if let Err(e) = res {
            lock(&self.pending_events).splice(0..0, queued);
            return Err(e);
        }
        Ok(n)
    }

    /// The newest `limit` events, oldest first.
    pub fn events(&self, limit: usize) -> Result<Vec<EventRecord>> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        let t = txn.open_table(EVENTS_T)?;
        let mut out = Vec::new();
        for entry in t.iter()?.rev().take(limit) {
            let (k, v) = entry?;
            out.push(crypto.open_event(CURRENT_SCHEMA, k.value(), v.value())?);
        }
        out.reverse();
        Ok(out)
    }

    // ---- keys ---------------------------------------------------------------------------

    /// Re-encrypts (and re-blinds) everything under `new_root` in one transaction; returns
    /// the number of values re-sealed. On failure the store keeps the old key.
    ///
    /// In place: redb is copy-on-write, so pages that held values under the old key stay in
    /// the file's free space until they are reused. When the old key may be compromised,
    /// close the store and use [`Store::rekey_file`], which leaves nothing the old key
    /// decrypts.
    pub fn rekey(&self, new_root: &RootKey) -> Result<u64> {
        let _w = lock(&self.writer);
        let old = self.crypto();
        let new = Arc::new(Crypto::from_root(new_root)?);
        let txn = self.db.begin_write()?;
        let n = reseal_all(&txn, &old, CURRENT_SCHEMA, &new)?;
        txn.commit()?;
        self.crypto.set(new.clone());
        self.stamp();
        self.refresh(new);
        Ok(n)
    }

    /// Re-encrypts the (closed) store at `path` from `old_root` to `new_root` into a fresh
    /// file and swaps it in atomically (`rename`, then the directory synced): the new file
    /// never held a value sealed under the old key, so nothing in it decrypts with the old
    /// key, unlike [`Store::rekey`]'s freed pages. Returns the number of values re-sealed.
    /// A crash before the rename leaves the old file as it was (the `.rekey` file beside it
    /// is discarded by the next call); after it, the new file is whole. Fails while the
    /// store is open elsewhere in this process (redb's lock).
    pub fn rekey_file(
        path: impl AsRef<Path>,
        old_root: &RootKey,
        new_root: &RootKey,
        options: StoreOptions,
    ) -> Result<u64> {
        let path = path.as_ref();
        let old_store = Store::open_with(path, old_root, options.clone())?;
        let old = old_store.crypto();
        let new = Arc::new(Crypto::from_root(new_root)?);
        let tmp = fresh_sibling(path, ".rekey")?;
        let n = {
            let db = builder(&options, false).create(&tmp)?;
            let src = old_store.db.begin_read()?;
            let txn = db.begin_write()?;
            for def in BLIND_TABLES {
                txn.open_table(def)?;
            }
            txn.open_table(EVENTS_T)?;
            let n = schema::reseal_all_from(&txn, Some(&src), &old, CURRENT_SCHEMA, &new)?;
            txn.commit()?;
            n
        };
        drop(old_store);
        swap_in(&tmp, path)?;
        // The rename gave the file a new ctime: a stamp stamps as it is dropped.
        drop(Stamper::new(path, CryptoCell::new(new)));
        Ok(n)
    }

    /// The schema version of the open store (always [`CURRENT_SCHEMA`] after open).
    pub fn schema_version(&self) -> u32 {
        schema::CURRENT_SCHEMA
    }

    /// Verifies every value of every table decrypts; returns the number checked. Stops at
    /// the first integrity error.
    pub fn verify_all(&self) -> Result<u64> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        let mut n = 0;
        n += all::<IssuerRecord>(&txn.open_table(ISSUERS_T)?, &crypto, CURRENT_SCHEMA)?.len();
        n +=
            all::<CollectorKeyRecord>(&txn.open_table(COLLECTOR_KEYS_T)?, &crypto, CURRENT_SCHEMA)?
                .len();
        n += all::<PassClassRecord>(&txn.open_table(PASS_CLASSES_T)?, &crypto, CURRENT_SCHEMA)?
            .len();
        n += all::<PassObjectRecord>(&txn.open_table(PASS_OBJECTS_T)?, &crypto, CURRENT_SCHEMA)?
            .len();
        n += all::<SelectionIndexRecord>(
            &txn.open_table(SELECTION_INDEX_T)?,
            &crypto,
            CURRENT_SCHEMA,
        )?
        .len();
        n += all::<crate::tokens::PaymentTokenRecord>(
            &txn.open_table(PAYMENT_TOKENS_T)?,
            &crypto,
            CURRENT_SCHEMA,
        )?
        .len();
        n += all::<SettingRecord>(&txn.open_table(SETTINGS_T)?, &crypto, CURRENT_SCHEMA)?.len();
        n += all::<crate::outbox::OutboxRecord>(
            &txn.open_table(OUTBOX_T)?,
            &crypto,
            CURRENT_SCHEMA,
        )?
        .len();
        n += all::<crate::nfc_passes::NfcPassRecord>(
            &txn.open_table(NFC_PASSES_T)?,
            &crypto,
            CURRENT_SCHEMA,
        )?
        .len();
        let events = txn.open_table(EVENTS_T)?;
        for entry in events.iter()? {
            let (k, v) = entry?;
            crypto.open_event(CURRENT_SCHEMA, k.value(), v.value())?;
            n += 1;
        }
        Ok(n as u64)
    }
}

pub(crate) fn validate_keys(issuers: &[IssuerKeys]) -> Result<()> {
    for i in issuers {
        for k in &i.keys {
            if k.issuer_id != i.issuer_id || !i.collectors.contains(&k.collector) {
                return Err(StoreError::Invalid("key outside its issuer's collectors".into()));
            }
            if p256::PublicKey::from_sec1_bytes(&k.public_key_sec1).is_err() {
                return Err(StoreError::Invalid("key is not a P-256 point".into()));
            }
        }
    }
    Ok(())
}

/// Writes the keys of the listed issuers, replacing theirs. A collector claimed by a
/// listed issuer leaves any other issuer. With `replace_all`, issuers not listed lose all
/// their collectors and keys (a full key ring replacement).
pub(crate) fn apply_keys_in(
    txn: &WriteTransaction,
    crypto: &Crypto,
    issuers: &[IssuerKeys],
    replace_all: bool,
) -> Result<()> {
    let mut itab = txn.open_table(ISSUERS_T)?;
    let mut ktab = txn.open_table(COLLECTOR_KEYS_T)?;
    let existing: Vec<IssuerRecord> = all(&itab, crypto, CURRENT_SCHEMA)?;
    let listed: BTreeSet<IssuerId> = issuers.iter().map(|i| i.issuer_id).collect();
    let claimed: BTreeSet<u32> =
        issuers.iter().flat_map(|i| i.collectors.iter().copied()).collect();
    for mut old in existing {
        let cleared = replace_all || listed.contains(&old.issuer_id);
        let (gone, kept): (Vec<_>, Vec<_>) =
            old.keys.iter().partition(|(c, _)| cleared || claimed.contains(c));
        if gone.is_empty() && !old.collectors.iter().any(|c| cleared || claimed.contains(c)) {
            continue;
        }
        for (c, v) in gone {
            let raw = crate::records::collector_key_raw(CollectorId(c), v);
            delete::<CollectorKeyRecord>(&mut ktab, crypto, &raw)?;
        }
        if !listed.contains(&old.issuer_id) {
            old.keys = kept;
            old.collectors.retain(|c| !cleared && !claimed.contains(c));
            put(&mut itab, crypto, CURRENT_SCHEMA, &old)?;
        }
    }
    for i in issuers {
        for k in &i.keys {
            put(&mut ktab, crypto, CURRENT_SCHEMA, k)?;
        }
        let rec = IssuerRecord {
            issuer_id: i.issuer_id,
            name: i.name.clone(),
            collectors: i.collectors.clone(),
            keys: i.keys.iter().map(|k| (k.collector, k.key_version)).collect(),
        };
        put(&mut itab, crypto, CURRENT_SCHEMA, &rec)?;
    }
    Ok(())
}

/// Creates a new store at `path` so that a crash never leaves a half-initialised file
/// there: initialise a sibling temporary file (redb header + store header, both committed
/// durably), then rename it into place and sync the directory.
fn create_atomically(path: &Path, root: &RootKey, options: &StoreOptions) -> Result<()> {
    let tmp = fresh_sibling(path, ".init")?;
    let db = builder(options, false).create(&tmp)?;
    let crypto = CryptoCell::new(Arc::new(Crypto::from_root(root)?));
    drop(Store::init(db, crypto, options.clone(), false)?);
    swap_in(&tmp, path)
}

/// `path` with `suffix` appended to its file name, with any leftover of an interrupted
/// earlier attempt removed.
fn fresh_sibling(path: &Path, suffix: &str) -> Result<std::path::PathBuf> {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    let tmp = path.with_file_name(name);
    match std::fs::remove_file(&tmp) {
        Ok(()) => Ok(tmp),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(tmp),
        Err(e) => Err(e.into()),
    }
}

/// Renames the durably written `tmp` over `path` and syncs the directory, so the swap
/// itself survives a crash.
fn swap_in(tmp: &Path, path: &Path) -> Result<()> {
    std::fs::rename(tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn builder(options: &StoreOptions, check_integrity: bool) -> redb::Builder {
    let mut b = Database::builder();
    b.set_cache_size(options.cache_size);
    b.set_check_integrity_on_open(check_integrity);
    b
}

/// The schema in the header, or `None` for a new (empty) database.
fn read_schema(txn: &WriteTransaction) -> Result<Option<u32>> {
    let meta = txn.open_table(META_T)?;
    let Some(format) = meta.get(META_FORMAT)? else {
        drop(meta);
        // No header: only acceptable if nothing else is there either.
        for def in BLIND_TABLES {
            if txn.open_table(def)?.len()? != 0 {
                return Err(StoreError::Corrupt("store header missing".into()));
            }
        }
        if txn.open_table(EVENTS_T)?.len()? != 0 {
            return Err(StoreError::Corrupt("store header missing".into()));
        }
        return Ok(None);
    };
    if format.value() != FORMAT_MARKER {
        return Err(StoreError::Corrupt("not an hce-wallet store".into()));
    }
    let raw = meta
        .get(META_SCHEMA)?
        .ok_or_else(|| StoreError::Corrupt("schema version missing".into()))?;
    let bytes: [u8; 4] = raw
        .value()
        .try_into()
        .map_err(|_| StoreError::Corrupt("schema version malformed".into()))?;
    let found = u32::from_be_bytes(bytes);
    if !(OLDEST_SCHEMA..=CURRENT_SCHEMA).contains(&found) {
        return Err(StoreError::Schema { found, expected: CURRENT_SCHEMA });
    }
    Ok(Some(found))
}

fn meta_bytes(txn: &WriteTransaction, key: &str) -> Result<Vec<u8>> {
    let meta = txn.open_table(META_T)?;
    let v = meta
        .get(key)?
        .ok_or(StoreError::Integrity { table: META, reason: "header field missing" })?;
    Ok(v.value().to_vec())
}

pub(crate) fn validate_import(class: &PassClassRecord, objects: &[PassObjectRecord]) -> Result<()> {
    if class.class_id.is_empty() {
        return Err(StoreError::Invalid("empty class id".into()));
    }
    let mut seen = BTreeSet::new();
    for o in objects {
        if o.object_id.is_empty() || o.class_id != class.class_id {
            return Err(StoreError::Invalid("object id empty or of another class".into()));
        }
        if !seen.insert(o.object_id.as_str()) {
            return Err(StoreError::Invalid("duplicate object id".into()));
        }
        if o.redemption_value.as_ref().is_some_and(|v| !v.expose().is_ascii()) {
            return Err(StoreError::Invalid("redemption value must be ASCII".into()));
        }
    }
    Ok(())
}

pub(crate) fn import_in(
    txn: &WriteTransaction,
    crypto: &Crypto,
    class: &PassClassRecord,
    objects: &[PassObjectRecord],
) -> Result<()> {
    let mut ctab = txn.open_table(PASS_CLASSES_T)?;
    let mut otab = txn.open_table(PASS_OBJECTS_T)?;
    let mut itab = txn.open_table(SELECTION_INDEX_T)?;
    let old = get::<PassClassRecord>(&ctab, crypto, CURRENT_SCHEMA, class.class_id.as_bytes())?;
    let mut ids: Vec<String> = old.as_ref().map(|c| c.objects.clone()).unwrap_or_default();
    for o in objects {
        if let Some(prev) =
            get::<PassObjectRecord>(&otab, crypto, CURRENT_SCHEMA, o.object_id.as_bytes())?
        {
            if prev.class_id != class.class_id {
                return Err(StoreError::Invalid(
                    "object already stored under another class".into(),
                ));
            }
        }
        if !ids.contains(&o.object_id) {
            ids.push(o.object_id.clone());
        }
        put(&mut otab, crypto, CURRENT_SCHEMA, o)?;
    }
    if let Some(old) = &old {
        for issuer in &old.redemption_issuers {
            if !class.redemption_issuers.contains(issuer) {
                index_update(&mut itab, crypto, *issuer, |v| v.retain(|o| !ids.contains(o)))?;
            }
        }
    }
    for issuer in &class.redemption_issuers {
        index_update(&mut itab, crypto, *issuer, |v| {
            for id in &ids {
                if !v.contains(id) {
                    v.push(id.clone());
                }
            }
        })?;
    }
    let mut stored = class.clone();
    stored.objects = ids;
    put(&mut ctab, crypto, CURRENT_SCHEMA, &stored)
}

/// Removes one pass object and its index entries inside `txn`; `false` if absent.
pub(crate) fn remove_in(txn: &WriteTransaction, crypto: &Crypto, object_id: &str) -> Result<bool> {
    let mut objects = txn.open_table(PASS_OBJECTS_T)?;
    let Some(obj) =
        get::<PassObjectRecord>(&objects, crypto, CURRENT_SCHEMA, object_id.as_bytes())?
    else {
        return Ok(false);
    };
    delete::<PassObjectRecord>(&mut objects, crypto, object_id.as_bytes())?;
    let mut classes = txn.open_table(PASS_CLASSES_T)?;
    let class = get::<PassClassRecord>(&classes, crypto, CURRENT_SCHEMA, obj.class_id.as_bytes())?;
    if let Some(mut class) = class {
        class.objects.retain(|o| o != object_id);
        put(&mut classes, crypto, CURRENT_SCHEMA, &class)?;
        let mut index = txn.open_table(SELECTION_INDEX_T)?;
        for issuer in &class.redemption_issuers {
            index_update(&mut index, crypto, *issuer, |ids| ids.retain(|o| o != object_id))?;
        }
    }
    Ok(true)
}

fn index_update(
    table: &mut redb::Table<'_, &'static [u8], &'static [u8]>,
    crypto: &Crypto,
    issuer: IssuerId,
    f: impl FnOnce(&mut Vec<String>),
) -> Result<()> {
    let raw = issuer.to_be_bytes();
    let mut ix = get::<SelectionIndexRecord>(table, crypto, CURRENT_SCHEMA, &raw)?
        .unwrap_or(SelectionIndexRecord { issuer_id: issuer, objects: Vec::new() });
    f(&mut ix.objects);
    if ix.objects.is_empty() {
        delete::<SelectionIndexRecord>(table, crypto, &raw)?;
        Ok(())
    } else {
        put(table, crypto, CURRENT_SCHEMA, &ix)
    }
}

pub(crate) fn event(
    kind: &str,
    collector: Option<u32>,
    object_id: Option<String>,
    detail: String,
) -> EventRecord {
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    EventRecord {
        seq: 0,
        at,
        kind: kind.into(),
        collector,
        object_id,
        detail: (!detail.is_empty()).then_some(detail),
    }
}

/// Appends `e` at the next sequence number and drops the oldest beyond `cap`.
pub(crate) fn append_event(
    txn: &WriteTransaction,
    crypto: &Crypto,
    cap: u64,
    mut e: EventRecord,
) -> Result<u64> {
    let mut meta = txn.open_table(META_T)?;
    let next = match meta.get(META_NEXT_EVENT)? {
        Some(v) => {
            let b: [u8; 8] = v.value().try_into().map_err(|_| StoreError::Integrity {
                table: META,
                reason: "event counter malformed",
            })?;
            u64::from_be_bytes(b)
        }
        None => 0,
    };
    let following = next
        .checked_add(1)
        .ok_or(StoreError::Integrity { table: META, reason: "event counter exhausted" })?;
    meta.insert(META_NEXT_EVENT, &following.to_be_bytes()[..])?;
    e.seq = next;
    let sealed = crypto.seal_event(CURRENT_SCHEMA, &e)?;
    let mut t = txn.open_table(EVENTS_T)?;
    t.insert(next, &sealed[..])?;
    while t.len()? > cap {
        if t.pop_first()?.is_none() {
            break;
        }
    }
    Ok(next)
}

//! The [`Wallet`] object: wiring and the host-facing calls. Protocol behaviour lives in
//! the core (applet, selection engine, key ring, sync engine); this file connects them.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use hce_wallet_core::key_ring::{KeyRing, SharedKeyRing};
use hce_wallet_core::pass::{import_json, PassClass, PassObject};
use hce_wallet_core::ports::{Clock, IssuerId, OsRandom, UiContext};
use hce_wallet_core::router::{Deactivation, Router};
use hce_wallet_core::selection::{
    ChooserWindow, EngineSnapshot, LockPolicy, SelectionConfig, SelectionEngine,
};
use hce_wallet_core::smart_tap::{SmartTapApplet, SmartTapConfig, SmartTapPorts};
use hce_wallet_core::sync::{HttpTransport, SyncEngine, Trigger};

use crate::issuers::refresh_issuers;
use crate::notify::{Notice, Notifier, WalletListener};
use crate::passes::PassInfo;
use crate::persist::Persist;
use crate::sync::{outcome_of, status_of, SyncOutcome, SyncStatus};
use crate::{LockedPolicy, WalletConfig, WalletError};

/// Length of the host-held root key (wraps the store's keys).
pub const ROOT_KEY_LEN: usize = 32;

/// The wall clock (the core never reads one; the wallet is the host-side layer that does).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> hce_wallet_core::time::Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        hce_wallet_core::time::Timestamp(ms)
    }
}

/// What the host plugs in besides the store location and key.
pub struct Host {
    /// Receives every [`Notice`].
    pub listener: Option<Arc<dyn WalletListener>>,
    /// The app's HTTP client for key sync.
    pub transport: Option<Arc<dyn HttpTransport>>,
    /// The time source (tests inject a fixed clock).
    pub clock: Arc<dyn Clock>,
}

impl Default for Host {
    fn default() -> Self {
        Host { listener: None, transport: None, clock: Arc::new(SystemClock) }
    }
}

/// The wallet. See the crate docs for the threading model.
pub struct Wallet {
    router: Mutex<Router>,
    engine: Arc<SelectionEngine>,
    keys: Arc<SharedKeyRing>,
    sync: Option<Mutex<SyncEngine>>,
    transport: Option<Arc<dyn HttpTransport>>,
    notifier: Arc<Notifier>,
    clock: Arc<dyn Clock>,
    persist: Persist,
    config: WalletConfig,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("passes", &self.engine.object_count())
            .field("keys", &self.keys.snapshot().key_count())
            .finish_non_exhaustive()
    }
}

fn selection_config(config: &WalletConfig) -> Result<SelectionConfig, WalletError> {
    let window = i64::try_from(config.chooser_window_ms)
        .map_err(|_| WalletError::Config("chooser_window_ms is too large".into()))?;
    Ok(SelectionConfig {
        chooser_window: ChooserWindow { default_ms: window, ..ChooserWindow::default() },
        lock_policy: match config.locked_policy {
            LockedPolicy::RequireUnlock => LockPolicy::RequireUnlock,
            LockedPolicy::Allow => LockPolicy::Allow,
        },
        ..SelectionConfig::default()
    })
}

impl Wallet {
    /// Opens (or creates) the wallet stored at `path`, unlocked with the host's root key.
    pub fn open(
        path: &Path,
        root_key: &[u8],
        config: WalletConfig,
        host: Host,
    ) -> Result<Wallet, WalletError> {
        if root_key.len() != ROOT_KEY_LEN {
            return Err(WalletError::RootKeyLength(root_key.len()));
        }
        let roots = crate::sync::pinned_roots(&config.pinned_bundle_roots)?;
        let persist = Persist::open(path, root_key)?;
        let saved = persist.load()?;

        let engine = Arc::new(
            SelectionEngine::from_snapshot(saved.passes, selection_config(&config)?)
                .map_err(|e| WalletError::Store(format!("stored passes do not load: {e}")))?,
        );
        let ring = KeyRing::from_state(&saved.key_ring)
            .map_err(|e| WalletError::Store(format!("stored key ring does not load: {e}")))?;
        let keys = Arc::new(SharedKeyRing::new(ring));
        refresh_issuers(&engine, &keys.snapshot());

        let sync = match &config.sync_url {
            Some(url) => Some(Mutex::new(crate::sync::engine(url, roots, saved.sync)?)),
            None => None,
        };
        let notifier = Arc::new(Notifier::new(host.listener));
        let applet = SmartTapApplet::new(
            SmartTapPorts {
                key_ring: keys.clone(),
                passes: engine.clone(),
                push: Some(engine.clone()),
                events: notifier.clone(),
                random: Box::new(OsRandom),
                clock: host.clock.clone(),
            },
            SmartTapConfig::default(),
        )
        .map_err(|e| WalletError::Config(e.to_string()))?;
        let mut applet = applet;
        applet.arm();
        let mut router = Router::new();
        router.register(Box::new(applet));
        let wallet = Wallet {
            router: Mutex::new(router),
            engine,
            keys,
            sync,
            transport: host.transport,
            notifier,
            clock: host.clock,
            persist,
            config,
        };
        wallet.update_wanted_issuers();
        log::info!("wallet opened: {:?}", wallet);
        Ok(wallet)
    }

    // ---- the APDU path --------------------------------------------------------------

    /// Answers one command APDU with `data ‖ SW`. Never fails and never panics.
    pub fn process_apdu(&self, apdu: &[u8]) -> Vec<u8> {
        let response = self.router.lock().unwrap_or_else(PoisonError::into_inner).process(apdu);
        self.after_tap_step();
        response
    }

    /// The NFC field session ended (Android `onDeactivated`): wipe per-tap state and
    /// prepare the next tap.
    pub fn on_deactivated(&self, reason: Deactivation) {
        {
            // The applet wipes the session and re-arms itself for the next tap.
            self.router.lock().unwrap_or_else(PoisonError::into_inner).deactivate(reason);
        }
        self.after_tap_step();
    }

    /// Delivers queued events and persists what a PUSH DATA changed.
    fn after_tap_step(&self) {
        let pushes = self.notifier.take_push_count();
        if pushes > 0 {
            if let Err(e) = self.save_passes() {
                log::error!("persisting a PUSH DATA update failed: {e}");
            }
        }
        self.notifier.flush();
    }

    // ---- passes ----------------------------------------------------------------------

    /// Imports Google Wallet JSON (REST resources, a list, or a save-to-wallet JWT
    /// payload). All or nothing. Returns the imported object IDs.
    pub fn import_pass_json(&self, json: &str) -> Result<Vec<String>, WalletError> {
        let batch = import_json(json).map_err(|e| WalletError::Import(e.to_string()))?;
        let ids: Vec<String> = batch.objects.iter().map(|o| o.id.clone()).collect();
        let issuers: Vec<IssuerId> =
            batch.classes.iter().flat_map(|c| c.redemption_issuers.iter().copied()).collect();
        let before = self.engine.snapshot();
        self.engine.apply_import(batch).map_err(|e| WalletError::Import(e.to_string()))?;
        if let Err(e) = self.save_passes() {
            self.restore_passes(before);
            return Err(e);
        }
        self.update_wanted_issuers();
        let ring = self.keys.snapshot();
        let now = self.clock.now();
        let missing: Vec<IssuerId> =
            issuers.into_iter().filter(|i| !ring.has_usable_key(*i, now)).collect();
        if let (Some(sync), false) = (&self.sync, missing.is_empty()) {
            sync.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .trigger(Trigger::PassAddedWithoutKeys { issuers: missing });
        }
        Ok(ids)
    }

    /// Every pass, sorted by object ID.
    pub fn list_passes(&self) -> Vec<PassInfo> {
        let mut out: Vec<PassInfo> = self.engine.objects().iter().map(|o| self.info(o)).collect();
        out.sort_by(|a, b| a.object_id.cmp(&b.object_id));
        out
    }

    /// One pass.
    pub fn get_pass(&self, object_id: &str) -> Result<PassInfo, WalletError> {
        let object = (self.engine.object(object_id))
            .ok_or_else(|| WalletError::NoSuchPass(object_id.to_owned()))?;
        Ok(self.info(&object))
    }

    fn info(&self, object: &PassObject) -> PassInfo {
        let class: Option<PassClass> = self.engine.class(&object.class_id);
        PassInfo::new(object, class.as_ref())
    }

    /// Removes a pass. Returns whether it existed.
    pub fn remove_pass(&self, object_id: &str) -> Result<bool, WalletError> {
        let before = self.engine.snapshot();
        if self.engine.remove_object(object_id).is_none() {
            return Ok(false);
        }
        if let Err(e) = self.save_passes() {
            self.restore_passes(before);
            return Err(e);
        }
        self.update_wanted_issuers();
        Ok(true)
    }

    /// The user's per-pass Smart Tap switch (`false` = never send this pass).
    pub fn set_smart_tap_enabled(&self, object_id: &str, enabled: bool) -> Result<(), WalletError> {
        self.engine
            .set_user_smart_tap_disabled(object_id, !enabled)
            .map_err(|_| WalletError::NoSuchPass(object_id.to_owned()))?;
        self.save_passes()
    }

    /// What the user is doing (pass open, home, unlocked, locked).
    pub fn set_ui_context(&self, context: UiContext) {
        self.engine.set_ui_context(context);
    }

    pub fn ui_context(&self) -> UiContext {
        self.engine.ui_context()
    }

    /// The user picked this pass in the chooser: the next tap (within the chooser
    /// window) at a terminal that can redeem it sends it.
    pub fn choose_pass(&self, object_id: &str) -> Result<(), WalletError> {
        self.engine
            .choose(object_id, self.clock.now())
            .map(|_| ())
            .map_err(|_| WalletError::NoSuchPass(object_id.to_owned()))
    }

    fn save_passes(&self) -> Result<(), WalletError> {
        self.persist.save_passes(&self.engine.snapshot())
    }

    fn restore_passes(&self, before: EngineSnapshot) {
        // Undo an in-memory change whose write failed, so memory matches the store.
        for o in self.engine.objects() {
            self.engine.remove_object(&o.id);
        }
        for c in before.classes {
            let _ = self.engine.insert_class(c);
        }
        for o in before.objects {
            let _ = self.engine.upsert_object(o);
        }
    }

    fn update_wanted_issuers(&self) {
        if let Some(sync) = &self.sync {
            let snapshot = self.engine.snapshot();
            let wanted = snapshot.classes.iter().flat_map(|c| c.redemption_issuers.clone());
            sync.lock().unwrap_or_else(PoisonError::into_inner).set_wanted_issuers(wanted);
        }
    }

    // ---- key sync --------------------------------------------------------------------

    /// The device came online: fetch the key bundle if one is due.
    pub fn on_network_available(&self) -> Result<SyncOutcome, WalletError> {
        self.sync(Trigger::NetworkAvailable)
    }

    /// Fetch the key bundle now (the user asked).
    pub fn sync_now(&self) -> Result<SyncOutcome, WalletError> {
        self.sync(Trigger::Manual)
    }

    fn sync(&self, trigger: Trigger) -> Result<SyncOutcome, WalletError> {
        let sync = (self.sync.as_ref())
            .ok_or_else(|| WalletError::Sync("key sync is not configured (no sync URL)".into()))?;
        let transport = (self.transport.as_ref())
            .ok_or_else(|| WalletError::Sync("no HTTP transport was given".into()))?;
        let (outcome, state) = {
            let mut engine = sync.lock().unwrap_or_else(PoisonError::into_inner);
            engine.trigger(trigger);
            let outcome =
                engine.run_once(transport.as_ref(), &*self.keys, &mut OsRandom, &*self.clock);
            (outcome, engine.state().clone())
        };
        let ring = self.keys.snapshot();
        refresh_issuers(&self.engine, &ring);
        let saved = self.persist.save_keys(&ring.state(), &state);
        let outcome = outcome_of(outcome);
        log::info!("key sync: {outcome:?}");
        self.notifier.push(Notice::Sync(outcome.clone()));
        self.notifier.flush();
        saved?;
        Ok(outcome)
    }

    /// Where key sync stands.
    pub fn sync_status(&self) -> SyncStatus {
        let ring = self.keys.snapshot();
        match &self.sync {
            Some(sync) => status_of(
                sync.lock().unwrap_or_else(PoisonError::into_inner).status(&ring, self.clock.now()),
            ),
            None => {
                SyncStatus { bundle_sequence: ring.applied_sequence(), ..SyncStatus::default() }
            }
        }
    }

    pub fn config(&self) -> &WalletConfig {
        &self.config
    }
}

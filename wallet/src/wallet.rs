//! The [`Wallet`] object: wiring and the host-facing calls. Protocol behaviour lives in
//! the core (applet, selection engine, key ring, sync engine); this file connects them.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use hce_wallet_core::events::{PaymentEvent, WalletEvent};
use hce_wallet_core::key_bundle::PinnedRoots;
use hce_wallet_core::key_ring::{KeyRing, SharedKeyRing};
use hce_wallet_core::pass::{
    import_json, import_resource, ImportBatch, PassClass, PassObject, ResourceKind,
};
use hce_wallet_core::payment::applet::{PaymentApplet, PaymentConfig, PaymentPorts};
use hce_wallet_core::payment::cryptogram::GenericProfile;
use hce_wallet_core::payment::lifecycle::DeviceEvent;
use hce_wallet_core::payment::ports::{CdcvmMethod, Verification};
use hce_wallet_core::payment::token::{TokenId, TokenState};
use hce_wallet_core::payment::token_service::user_request_entry;
use hce_wallet_core::ports::EventSink;
use hce_wallet_core::ports::{
    Clock, CollectorId, IssuerId, OsRandom, PushData, PushError, PushListener, RandomSource,
    UiContext,
};
use hce_wallet_core::router::{Deactivation, Router};
use hce_wallet_core::selection::{
    ChooserWindow, LockPolicy, PassRecords, SelectionConfig, SelectionEngine,
};
use hce_wallet_core::smart_tap::{SmartTapApplet, SmartTapConfig, SmartTapPorts};
use hce_wallet_core::sync::{HttpTransport, SyncEngine, Trigger, Urgency};
use hce_wallet_core::time::Timestamp;
use zeroize::Zeroizing;

use crate::activity::Activity;
use crate::aids::{AidCategory, AidSet};
use crate::issuers::refresh_issuers;
use crate::notify::{Notice, Notifier, WalletListener};
use crate::pass_feeds::{PassFeedOutcome, PassFeeds};
use crate::passes::PassInfo;
use crate::persist::Persist;
use crate::save_links::{JwksRefresh, SaveLinkKeys};
use crate::sync::{outcome_of, status_of, SyncOutcome, SyncStatus};
use crate::token_sync::{TokenSync, TokenSyncCell};
use crate::tokens::{pinned_keys, TokenInfo, TokenRequest, UserRequestKind};
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

/// Applies PUSH DATA to the engine (the next tap sees it) and writes the passes it changed
/// to the store **before** the applet acknowledges the push (one durable journal write,
/// `Store::save_objects_on_tap`): what the terminal saw acknowledged survives the process
/// being killed right after. If the write fails, memory is rolled back and the push is
/// refused (`9203`, the terminal retries), so a retried "add 5 points" is not applied twice.
struct PushRecorder {
    engine: Arc<SelectionEngine>,
    persist: Persist,
}

impl PushListener for PushRecorder {
    fn on_push(
        &self,
        collector: Option<CollectorId>,
        push: &PushData,
        now: Timestamp,
    ) -> Result<usize, PushError> {
        let Some(collector) = collector else { return Ok(0) };
        let before: Vec<PassObject> = self
            .engine
            .candidates(collector)
            .iter()
            .filter_map(|id| self.engine.object(id))
            .collect();
        let updated = self.engine.apply_push(collector, push, now);
        if updated.is_empty() {
            return Ok(0);
        }
        let objects: Vec<PassObject> =
            updated.iter().filter_map(|id| self.engine.object(id)).collect();
        match self.persist.save_pushed(&objects) {
            Ok(()) => Ok(updated.len()),
            Err(e) => {
                for o in before.into_iter().filter(|o| updated.contains(&o.id)) {
                    if let Err(err) = self.engine.upsert_object(o) {
                        log::error!("rolling back a refused push failed: {err}");
                    }
                }
                Err(PushError(e.to_string()))
            }
        }
    }
}

/// The wallet. See the crate docs for the threading model.
pub struct Wallet {
    router: Mutex<Router>,
    engine: Arc<SelectionEngine>,
    keys: Arc<SharedKeyRing>,
    sync: Option<Mutex<SyncEngine>>,
    /// Token sync (status feed, user requests, replenishment), when a token service is
    /// configured.
    pub(crate) token_sync: Option<TokenSyncCell>,
    pub(crate) transport: Option<Arc<dyn HttpTransport>>,
    pub(crate) notifier: Arc<Notifier>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) persist: Persist,
    /// The pinned token-service keys (empty: no token can be provisioned).
    token_keys: PinnedRoots,
    /// The AID set last reported to the host (see [`Wallet::aid_set`]).
    aids: Mutex<AidSet>,
    /// Issuer pass-update feeds ([`crate::pass_feeds`]).
    pass_feeds: PassFeeds,
    /// The keys save-to-wallet links verify with ([`crate::save_links`]).
    save_links: SaveLinkKeys,
    /// Key sync has been told the redemption issuers (not at open: reading them is not
    /// on the cold-start path, issue #12).
    wanted_known: AtomicBool,
    config: WalletConfig,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("engine", &self.engine)
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
        let root_key: Zeroizing<[u8; ROOT_KEY_LEN]> = Zeroizing::new(
            root_key.try_into().map_err(|_| WalletError::RootKeyLength(root_key.len()))?,
        );
        let roots = crate::sync::pinned_roots(&config.pinned_bundle_roots)?;
        let token_keys = pinned_keys(&config.pinned_token_service_keys)?;
        let persist = Persist::open(path, &root_key)?;
        let saved = persist.load()?;
        let pass_feeds = PassFeeds::new(&config.pass_feeds, persist.store())?;
        let save_links = SaveLinkKeys::new(&config, persist.store())?;

        // Passes load on demand through the store's selection index (issue #12).
        let records: Arc<dyn PassRecords> = persist.store().clone();
        let engine = Arc::new(
            SelectionEngine::backed(saved.issuers, records, selection_config(&config)?).map_err(
                |e| WalletError::StoreCorrupt(format!("stored issuers do not load: {e}")),
            )?,
        );
        let ring = KeyRing::from_state(&saved.key_ring).map_err(|e| {
            WalletError::StoreCorrupt(format!("stored key ring does not load: {e}"))
        })?;
        let keys = Arc::new(SharedKeyRing::new(ring));
        refresh_issuers(&engine, &keys.snapshot());

        let sync = match &config.sync_url {
            Some(url) => Some(Mutex::new(crate::sync::engine(url, roots, saved.sync)?)),
            None => None,
        };
        let token_sync = match (&config.token_service_url, config.device_id.as_deref()) {
            (Some(url), Some(device)) => {
                let state = persist.store().token_sync_state()?;
                Some(Mutex::new(TokenSync::new(url, device, state)?))
            }
            (Some(_), None) => {
                return Err(WalletError::Config(
                    "token_service_url is set but no device_id: the token service could not \
                     tell which device asks"
                        .into(),
                ))
            }
            (None, _) => None,
        };
        let notifier = Arc::new(Notifier::new(host.listener, Some(persist.event_log())));
        let pushed = Arc::new(PushRecorder { engine: engine.clone(), persist: persist.clone() });
        let applet = SmartTapApplet::new(
            SmartTapPorts {
                key_ring: keys.clone(),
                passes: engine.clone(),
                push: Some(pushed.clone()),
                events: notifier.clone(),
                random: Box::new(OsRandom),
                clock: host.clock.clone(),
                payment: Some(persist.store().clone()),
            },
            SmartTapConfig::default(),
        )
        .map_err(|e| WalletError::Config(e.to_string()))?;
        let mut applet = applet;
        applet.arm();
        // The EMV payment applet beside Smart Tap (payment spec §6): the store is its token
        // source and its durable journal (every ATC committed before the answer leaves).
        let store = persist.store().clone();
        let mut payment = PaymentApplet::new(
            PaymentConfig::default(),
            PaymentPorts {
                tokens: store.clone(),
                journal: store,
                events: notifier.clone(),
                clock: host.clock.clone(),
                engine: Arc::new(GenericProfile),
            },
        )
        .map_err(|e| WalletError::Config(e.to_string()))?;
        payment.prepare();
        // Issuer NFC passes (issue 15): the store is the pass source and the durable journal
        // of reader writes and retry counters.
        let nfc = hce_wallet_core::nfc_pass::applet::NfcPassApplet::new(
            hce_wallet_core::nfc_pass::applet::NfcPassPorts {
                source: persist.store().clone(),
                journal: persist.store().clone(),
                events: Arc::new(crate::nfc::NfcCallbacks {
                    store: persist.store().clone(),
                    clock: host.clock.clone(),
                    inner: notifier.clone(),
                }),
                random: Box::new(OsRandom),
            },
        );
        let mut router = Router::new();
        router.register(Box::new(applet));
        router.register(Box::new(payment));
        router.register(Box::new(nfc));
        let wallet = Wallet {
            router: Mutex::new(router),
            engine,
            keys,
            sync,
            token_sync,
            transport: host.transport,
            notifier,
            clock: host.clock,
            persist,
            token_keys,
            aids: Mutex::new(AidSet::for_tokens(&[])),
            pass_feeds,
            save_links,
            wanted_known: AtomicBool::new(false),
            config,
        };
        wallet.refresh_aid_set();
        log::info!("wallet opened: {:?}", wallet);
        Ok(wallet)
    }

    // ---- the APDU path --------------------------------------------------------------

    /// Answers one command APDU with `data ‖ SW`. Never fails and never panics. Smart Tap
    /// never touches the store file here; a payment GPO commits its ATC and key use to it
    /// (one durable write) before the answer leaves.
    pub fn process_apdu(&self, apdu: &[u8]) -> Vec<u8> {
        let response = self.router.lock().unwrap_or_else(PoisonError::into_inner).process(apdu);
        self.notifier.flush();
        response
    }

    /// The NFC field session ended (Android `onDeactivated`): wipe per-tap state, prepare
    /// the next tap, then write what the tap changed (PUSH DATA updates, the event log).
    pub fn on_deactivated(&self, reason: Deactivation) {
        {
            // The applet wipes the session and re-arms itself for the next tap.
            self.router.lock().unwrap_or_else(PoisonError::into_inner).deactivate(reason);
        }
        self.notifier.flush();
        if let Err(e) = self.persist_tap() {
            log::error!("saving the tap's changes failed (kept for the next attempt): {e}");
        }
    }

    /// Writes the queued event log (PUSH DATA is already on file: see [`PushRecorder`]).
    /// What fails stays queued.
    fn persist_tap(&self) -> Result<(), WalletError> {
        self.persist.flush_events()
    }

    /// The newest `limit` entries of the wallet's encrypted activity log (taps, imports,
    /// removals, pushes, key bundles), oldest first. Identifiers only, never values.
    pub fn activity(&self, limit: usize) -> Result<Vec<Activity>, WalletError> {
        if let Err(e) = self.persist_tap() {
            log::warn!("activity: pending tap changes not yet saved: {e}");
        }
        Ok(self.persist.events(limit)?.into_iter().map(Activity::from).collect())
    }

    // ---- passes ----------------------------------------------------------------------

    /// Imports Google Wallet JSON (REST resources, a list, or a save-to-wallet JWT
    /// payload). All or nothing. Returns the imported object IDs.
    ///
    /// A save-to-wallet JWT is refused here (it must be verified:
    /// [`Wallet::import_save_link`]) unless the test-only
    /// [`WalletConfig::allow_unverified_save_links`] is set.
    pub fn import_pass_json(&self, json: &str) -> Result<Vec<String>, WalletError> {
        let trimmed = json.trim();
        let is_jwt = !trimmed.starts_with('{') && trimmed.split('.').count() == 3;
        if is_jwt && !self.config.allow_unverified_save_links {
            return Err(WalletError::Import(
                "a save-to-wallet JWT must be verified: use import_save_link".into(),
            ));
        }
        let batch = import_json(json).map_err(|e| WalletError::Import(e.to_string()))?;
        self.import_batch(batch)
    }

    /// Imports a save-to-wallet link's JWT after verifying it (`pass::save_link`): RS256
    /// against the pinned [`WalletConfig::save_link_jwks`] (else the JWKS last fetched by
    /// [`Wallet::refresh_save_link_keys`]), `aud`, `typ`, `iat`/`exp`, and
    /// `origins` against `origin` (where the link was opened) when both are known. A link
    /// that does not verify stores nothing. Returns the imported object IDs.
    pub fn import_save_link(
        &self,
        token: &str,
        origin: Option<&str>,
    ) -> Result<Vec<String>, WalletError> {
        use hce_wallet_core::pass::save_link::{import_verified, SaveLinkPolicy};
        let jwks = self.save_links.jwks()?;
        let policy = SaveLinkPolicy {
            audience: self.config.save_link_audience.clone(),
            max_age_ms: 7 * 24 * 3_600_000,
            leeway_ms: 5 * 60_000,
        };
        let batch = import_verified(token, &jwks, &policy, origin, self.clock.now())
            .map_err(|e| WalletError::Import(e.to_string()))?;
        self.import_batch(batch)
    }

    /// Imports one bare Google Wallet REST resource as issuers keep it (the body sent to
    /// the REST `insert` method, no `kind` needed), of `resource_type`: `loyaltyClass`,
    /// `LoyaltyObject`, `walletobjects#giftCardClass`, ... A `kind` field in the body must
    /// agree. All or nothing. Returns the imported object IDs.
    pub fn import_pass_resource(
        &self,
        json: &str,
        resource_type: &str,
    ) -> Result<Vec<String>, WalletError> {
        let kind = ResourceKind::from_name(resource_type).ok_or_else(|| {
            WalletError::Import(format!(
                "unknown resource type {resource_type:?}: expected a Google Wallet class or \
                 object name such as loyaltyClass, loyaltyObject or walletobjects#offerClass"
            ))
        })?;
        let batch = import_resource(kind, json).map_err(|e| WalletError::Import(e.to_string()))?;
        self.import_batch(batch)
    }

    fn import_batch(&self, batch: ImportBatch) -> Result<Vec<String>, WalletError> {
        let ids: Vec<String> = batch.objects.iter().map(|o| o.id.clone()).collect();
        let issuers: Vec<IssuerId> =
            batch.classes.iter().flat_map(|c| c.redemption_issuers.iter().copied()).collect();
        // What the import replaces, to undo it in memory if the write fails.
        let classes_before: Vec<(String, Option<PassClass>)> =
            batch.classes.iter().map(|c| (c.id.clone(), self.engine.class(&c.id))).collect();
        let objects_before: Vec<(String, Option<PassObject>)> =
            batch.objects.iter().map(|o| (o.id.clone(), self.engine.object(&o.id))).collect();
        self.engine.apply_import(batch.clone()).map_err(|e| WalletError::Import(e.to_string()))?;
        // Persist what the engine holds: a re-import keeps the user's Smart Tap switch and
        // the last terminal update of the passes it replaces.
        let stored = ImportBatch {
            objects: batch.objects.iter().filter_map(|o| self.engine.object(&o.id)).collect(),
            classes: batch.classes,
        };
        if let Err(e) = self.persist.import(&stored) {
            self.undo_import(classes_before, objects_before);
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

    /// A gift card's PIN, for the moment the user asks to see it (never logged; `None` if
    /// the pass has none).
    pub fn gift_card_pin(&self, object_id: &str) -> Result<Option<Zeroizing<String>>, WalletError> {
        let info = self.get_pass(object_id)?;
        Ok(match info.details.vertical {
            hce_wallet_core::pass::Vertical::GiftCard(g) => {
                g.pin.map(|p| Zeroizing::new(p.expose().to_owned()))
            }
            _ => None,
        })
    }

    fn info(&self, object: &PassObject) -> PassInfo {
        let class: Option<PassClass> = self.engine.class(&object.class_id);
        PassInfo::new(object, class.as_ref())
    }

    /// Removes a pass. Returns whether it existed.
    pub fn remove_pass(&self, object_id: &str) -> Result<bool, WalletError> {
        let Some(removed) = self.engine.remove_object(object_id) else {
            return Ok(false);
        };
        if let Err(e) = self.persist.remove(object_id) {
            let _ = self.engine.upsert_object(removed);
            return Err(e);
        }
        self.update_wanted_issuers();
        Ok(true)
    }

    /// The user's per-pass Smart Tap switch (`false` = never send this pass).
    pub fn set_smart_tap_enabled(&self, object_id: &str, enabled: bool) -> Result<(), WalletError> {
        let was = self.engine.object(object_id).map(|o| o.user_smart_tap_disabled);
        let Some(was) = was else { return Err(WalletError::NoSuchPass(object_id.to_owned())) };
        self.engine
            .set_user_smart_tap_disabled(object_id, !enabled)
            .map_err(|_| WalletError::NoSuchPass(object_id.to_owned()))?;
        if let Err(e) = self.persist.set_smart_tap_disabled(object_id, !enabled) {
            let _ = self.engine.set_user_smart_tap_disabled(object_id, was);
            return Err(e);
        }
        Ok(())
    }

    /// What the user is doing (pass open, home, unlocked, locked). A wallet starts
    /// [`UiContext::Locked`] (fail-closed): until the app reports a context, a wallet
    /// with [`crate::LockedPolicy::RequireUnlock`] sends no pass.
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

    /// Puts back what an import replaced (objects first: a class may only change vertical
    /// once no object of the other vertical refers to it).
    fn undo_import(
        &self,
        classes: Vec<(String, Option<PassClass>)>,
        objects: Vec<(String, Option<PassObject>)>,
    ) {
        for (id, before) in objects {
            match before {
                Some(o) => drop(self.engine.upsert_object(o)),
                None => drop(self.engine.remove_object(&id)),
            }
        }
        for (id, before) in classes {
            match before {
                Some(c) => drop(self.engine.insert_class(c)),
                None => drop(self.engine.remove_class(&id)),
            }
        }
    }

    fn update_wanted_issuers(&self) {
        if let Some(sync) = &self.sync {
            let wanted = self.engine.redemption_issuers();
            sync.lock().unwrap_or_else(PoisonError::into_inner).set_wanted_issuers(wanted);
            self.wanted_known.store(true, Ordering::Release);
        }
    }

    /// Tells key sync the redemption issuers if it was not told since open (they read
    /// every class record, so `Wallet::open` leaves it to the first sync or status call).
    fn ensure_wanted_issuers(&self) {
        if !self.wanted_known.load(Ordering::Acquire) {
            self.update_wanted_issuers();
        }
    }

    // ---- key sync --------------------------------------------------------------------

    /// The device came online: the token service first when one is configured (the
    /// user's queued requests, the status window, keys where they run low), then every
    /// issuer pass feed that is due (changes arrive as [`Notice::PassChanged`]), the issuer
    /// NFC-pass callbacks that wait, then the key bundle if one is due. Token and feed failures are logged and retried on their
    /// own schedules (see [`Wallet::sync_tokens`], [`Wallet::sync_pass_feeds`]). Returns key
    /// sync's outcome (`Skipped` when key sync is not configured).
    pub fn on_network_available(&self) -> Result<SyncOutcome, WalletError> {
        if self.token_sync.is_some() {
            if let Err(e) = self.run_token_sync(Urgency::Routine) {
                log::warn!("token sync on network available: {e}");
            }
        }
        if let Err(e) = self.sync_pass_feeds(false) {
            log::warn!("pass feeds: {e}");
        }
        if self.transport.is_some() {
            // Issuer NFC-pass callbacks (receive, delete, swipe) that wait in the outbox.
            match self.deliver_nfc_callbacks() {
                Ok(n) if n > 0 => log::info!("{n} NFC pass callback(s) delivered"),
                Ok(_) => {}
                Err(e) => log::warn!("NFC pass callbacks: {e}"),
            }
        }
        if self.sync.is_none() {
            return Ok(SyncOutcome::Skipped { reason: "key sync is not configured".into() });
        }
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
        self.ensure_wanted_issuers();
        let ring_before = self.keys.snapshot();
        let (outcome, state, state_changed) = {
            let mut engine = sync.lock().unwrap_or_else(PoisonError::into_inner);
            let before = engine.state().clone();
            engine.trigger(trigger);
            let outcome =
                engine.run_once(transport.as_ref(), &*self.keys, &mut OsRandom, &*self.clock);
            let state = engine.state().clone();
            let changed = state != before;
            (outcome, state, changed)
        };
        let ring = self.keys.snapshot();
        let ring_changed = !Arc::ptr_eq(&ring_before, &ring);
        if ring_changed {
            refresh_issuers(&self.engine, &ring);
        }
        // A sync that was not due changes nothing: no write (and no fsync) then.
        let saved = match ring_changed || state_changed {
            true => self.persist.save_keys(&ring.state(), &state),
            false => Ok(()),
        };
        let outcome = outcome_of(outcome);
        log::info!("key sync: {outcome:?}");
        self.notifier.push(Notice::Sync(outcome.clone()));
        self.notifier.flush();
        saved?;
        Ok(outcome)
    }

    /// Fetches every issuer's pass-update feed that is due (`force`: the user asked, so
    /// freshness is skipped; only a server's `Retry-After` holds it back), applies new
    /// bundles and raises what changed as [`Notice::PassChanged`].
    pub fn sync_pass_feeds(&self, force: bool) -> Result<Vec<PassFeedOutcome>, WalletError> {
        if self.pass_feeds.is_empty() {
            return Ok(Vec::new());
        }
        let transport = (self.transport.as_ref())
            .ok_or_else(|| WalletError::Sync("no HTTP transport was given".into()))?;
        let urgency = if force { Urgency::Forced } else { Urgency::Routine };
        let outcomes = self.pass_feeds.run(
            urgency,
            &mut crate::pass_feeds::Parts {
                store: self.persist.store(),
                engine: &self.engine,
                transport: transport.as_ref(),
                clock: &*self.clock,
                rng: &mut OsRandom,
            },
        );
        for o in &outcomes {
            if let PassFeedOutcome::Updated { changes, .. } = o {
                for c in changes {
                    self.notifier.push(Notice::PassChanged(c.clone()));
                }
            }
        }
        self.update_wanted_issuers();
        self.notifier.flush();
        Ok(outcomes)
    }

    /// Fetches the save-link JWKS from [`WalletConfig::save_link_jwks_url`] through the
    /// host transport if due (`force`: now). A JWKS that does not parse is refused and the
    /// held one kept.
    pub fn refresh_save_link_keys(&self, force: bool) -> Result<JwksRefresh, WalletError> {
        let transport = (self.transport.as_ref())
            .ok_or_else(|| WalletError::Sync("no HTTP transport was given".into()))?;
        self.save_links.refresh(
            force,
            self.persist.store(),
            transport.as_ref(),
            &*self.clock,
            &mut OsRandom,
        )
    }

    /// Where key sync stands.
    pub fn sync_status(&self) -> SyncStatus {
        self.ensure_wanted_issuers();
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

    // ---- payment tokens (payment spec §9.2, §10, §12) ---------------------------------

    /// Every AID the host should route to this wallet, by category (see [`crate::aids`]):
    /// what `CardEmulation.registerAidsForService` takes. Read from the store.
    pub fn aid_set(&self) -> Result<AidSet, WalletError> {
        use hce_wallet_core::nfc_pass::ports::NfcPassSource;
        let store = self.persist.store();
        let mut set = AidSet::for_tokens(&store.token_records()?);
        for aid in store.aids() {
            set.add(AidCategory::Other, aid.as_bytes());
        }
        Ok(set)
    }

    /// Tells the host (and only when it changed) which AIDs to route to the wallet: after
    /// token changes and NFC-pass imports and removals.
    pub(crate) fn announce_aid_set(&self) {
        if let Some(changed) = self.refresh_aid_set() {
            self.notifier.push(Notice::AidSetChanged(changed));
            self.notifier.flush();
        }
    }

    /// Recomputes the AID set; returns it when it differs from the one last reported. The
    /// lock is held across the read so that two token changes at once report in order.
    fn refresh_aid_set(&self) -> Option<AidSet> {
        let mut last = self.aids.lock().unwrap_or_else(PoisonError::into_inner);
        let set = match self.aid_set() {
            Ok(set) => set,
            Err(e) => {
                log::warn!("AID set not recomputed: {e}");
                return None;
            }
        };
        if *last == set {
            return None;
        }
        *last = set.clone();
        Some(set)
    }

    /// The pinned token-service keys and this device's id, or why tokens are off.
    pub(crate) fn token_service(&self) -> Result<(&PinnedRoots, &str), WalletError> {
        if self.token_keys.key_ids().next().is_none() {
            return Err(WalletError::TokensNotConfigured(
                "no pinned_token_service_keys: no token-service message can be trusted".into(),
            ));
        }
        let device = (self.config.device_id.as_deref())
            .filter(|d| !d.is_empty())
            .ok_or_else(|| WalletError::TokensNotConfigured("no device_id".into()))?;
        Ok((&self.token_keys, device))
    }

    /// Hands life-cycle events to the listener (and the activity log), followed by
    /// [`Notice::AidSetChanged`] when they changed which AIDs the host must route.
    pub(crate) fn deliver(&self, events: Vec<PaymentEvent>) {
        for e in events {
            self.notifier.emit(WalletEvent::Payment(e));
        }
        self.announce_aid_set();
        self.notifier.flush();
        if let Err(e) = self.persist_tap() {
            log::warn!("token events not yet in the activity log: {e}");
        }
    }

    fn token_id(token: &str) -> Result<TokenId, WalletError> {
        TokenId::new(token).map_err(|_| WalletError::NoSuchToken(token.to_owned()))
    }

    /// Adds a token from a **signed** provisioning payload of the pinned token service
    /// (Pending, or Active when the payload says so; the first Active token becomes the
    /// default), or, for a token already held, adds the replenishment batch it carries.
    /// A wrong signature, a replayed or older payload, another device's payload, a second
    /// token for the same card: a typed error, and nothing changes.
    pub fn provision_token(&self, payload: &[u8]) -> Result<(), WalletError> {
        let (keys, device) = self.token_service()?;
        let events =
            self.persist.store().provision_signed(payload, keys, device, self.clock.now())?;
        log::info!("token provisioned or replenished ({} event(s))", events.len());
        self.deliver(events);
        Ok(())
    }

    /// Applies a **signed**, sequenced status message of the token service (issuer
    /// suspend / resume / update / delete, card cascades, device events, the confirmation
    /// of a user's resume): all events or none, in order; a replayed or older one changes
    /// nothing.
    pub fn apply_token_status(&self, message: &[u8]) -> Result<(), WalletError> {
        let (keys, device) = self.token_service()?;
        let events = self.persist.store().apply_status(message, keys, device, self.clock.now())?;
        log::info!("token status message applied ({} event(s))", events.len());
        self.deliver(events);
        Ok(())
    }

    /// Every token not Deleted, in load order.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, WalletError> {
        let store = self.persist.store();
        let now = self.clock.now();
        let pending = store.pending_token_requests()?;
        let records = store.token_records()?;
        Ok(records
            .iter()
            .filter(|r| r.state != TokenState::Deleted)
            .map(|r| {
                let budget = r.key_budget(now);
                let resume_requested = r.state == TokenState::Suspended
                    && pending
                        .iter()
                        .any(|q| q.token_ref == r.token_ref && q.kind == UserRequestKind::Resume);
                TokenInfo::new(r, budget, resume_requested)
            })
            .collect())
    }

    /// The user picks the default card (an Active token).
    pub fn set_default_token(&self, token: &str) -> Result<(), WalletError> {
        let id = Self::token_id(token)?;
        let events = self.persist.store().set_default_token(&id)?;
        self.deliver(events);
        Ok(())
    }

    fn user_request(&self, token: &str, kind: UserRequestKind) -> Result<(), WalletError> {
        let id = Self::token_id(token)?;
        let now = self.clock.now();
        let post = match (&self.token_sync, self.config.device_id.as_deref()) {
            (Some(sync), Some(device)) => {
                let sync = sync.lock().unwrap_or_else(PoisonError::into_inner);
                let mut raw = [0u8; 16];
                OsRandom.fill(&mut raw);
                let event_id: String = raw.iter().map(|b| format!("{b:02x}")).collect();
                let entry = user_request_entry(sync.urls(), device, &id, kind, &event_id, now)
                    .map_err(|e| WalletError::Config(e.to_string()))?;
                Some(entry)
            }
            _ => None,
        };
        let events = self.persist.store().user_token_request_posted(&id, kind, now, post)?;
        log::info!("user request {kind:?} for token {id} queued");
        self.deliver(events);
        Ok(())
    }

    /// The user reports the token lost (§12.3 挂失): Suspended at once (origin user,
    /// reason lost) so terminals stop seeing it before the server confirms; the request
    /// is queued for the token service.
    pub fn report_lost(&self, token: &str) -> Result<(), WalletError> {
        self.user_request(token, UserRequestKind::ReportLost)
    }

    /// The user un-reports a token reported lost (§12.3 解挂): queued for the token
    /// service; the token becomes Active only when the server confirms (a status message
    /// with origin user). Refused unless the token is Suspended by the user.
    pub fn resume_token(&self, token: &str) -> Result<(), WalletError> {
        self.user_request(token, UserRequestKind::Resume)
    }

    /// The user deletes a token (§12.3 注销): Deleted at once, keys wiped; queued for the
    /// token service.
    pub fn delete_token(&self, token: &str) -> Result<(), WalletError> {
        self.user_request(token, UserRequestKind::Delete)
    }

    /// User requests not yet acknowledged by the token service, oldest first.
    pub fn pending_token_requests(&self) -> Result<Vec<TokenRequest>, WalletError> {
        Ok(self
            .persist
            .store()
            .pending_token_requests()?
            .into_iter()
            .map(TokenRequest::from)
            .collect())
    }

    /// The token service received every request up to `through_seq`. Returns how many
    /// left the queue.
    pub fn acknowledge_token_requests(&self, through_seq: u64) -> Result<usize, WalletError> {
        Ok(self.persist.store().acknowledge_token_requests(through_seq)?)
    }

    /// The user verified on the phone (CDCVM, §10) by `method`; the next taps within
    /// `valid_for_ms` carry "CDCVM performed". Volatile: never outlives the process.
    pub fn user_verified(&self, method: CdcvmMethod, valid_for_ms: u64) {
        let now = self.clock.now();
        let until = now.0.saturating_add(i64::try_from(valid_for_ms).unwrap_or(i64::MAX));
        self.persist
            .store()
            .set_verification(Verification { until: Some(Timestamp(until)), method: Some(method) });
    }

    /// A device or account event the host observed (§12.3): credential removed → tokens
    /// suspended, credential set → lifted, sign-out / wipe → deleted with keys wiped,
    /// restore → Pending re-provisioning, lost / found.
    pub fn on_device_event(&self, event: DeviceEvent) -> Result<(), WalletError> {
        let events = self.persist.store().device_event(event, self.clock.now())?;
        log::info!("device event {event:?}: {} change(s)", events.len());
        self.deliver(events);
        Ok(())
    }
}

impl Drop for Wallet {
    /// A wallet closed mid-session still writes what the last tap changed.
    fn drop(&mut self) {
        if let Err(e) = self.persist_tap() {
            log::error!("saving the last tap's changes at close failed: {e}");
        }
    }
}

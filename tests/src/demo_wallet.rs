//! The embedded demo wallet: what `hcectl tap --demo` taps and `hcectl vpcd` serves.
//!
//! The passes are Google Wallet REST JSON (`tests/data/demo-passes.json`) imported through
//! the core's importer into the selection engine; the issuer accounts map the seeds'
//! collectors (smart-tap spec §12.1): Google's demo issuer → collector 20180608, fooPizza
//! 1990 → 12345678, yumPie 2018 → 18802001, the aggregator 8088 → 8088. With that data:
//! - 20180608 has exactly one eligible pass (value "2018"): sent at once;
//! - 12345678 (fooPizza) has two (its loyalty card and the aggregator's offer, which lists
//!   1990 and 2018 as redemption issuers): the chooser, then the re-tap;
//! - 18802001 (yumPie) has one (the aggregator's offer);
//! - 8088 can redeem nothing (no class lists the aggregator as a redemption issuer), so the
//!   wallet does not even authenticate to it (SW `9500`).
//!
//! Beside the passes it holds one payment token ([`crate::demo_pay`]): the payment applet
//! answers PPSE and the token's AID, and the Smart Tap OSE answer says payment is enabled.
//!
//! `hcectl tap --demo` runs on an encrypted store file created on first use
//! ([`EmbeddedDemoWallet::on_store`]): `$HCE_DEMO_STORE`, or `hce-wallet/demo.redb` under
//! `$XDG_DATA_HOME` (default `~/.local/share`), with a random root key written beside it
//! (`demo.redb.key`, mode 0600). The passes and the demo collectors' keys are imported into
//! it once; every run after that reads them back from the store.

use std::sync::Arc;

use hce_wallet_core::events::WalletEvent;
use hce_wallet_core::pass::google_wallet::import_json;
use hce_wallet_core::pass::Issuer;
use hce_wallet_core::ports::{Clock, CollectorId, EventLog, IssuerKeyRing, OsRandom, UiContext};
use hce_wallet_core::router::Router;
use hce_wallet_core::selection::{SelectionConfig, SelectionEngine};
use hce_wallet_core::smart_tap::{SmartTapApplet, SmartTapConfig, SmartTapPorts};
use hce_wallet_core::time::Timestamp;

use std::path::{Path, PathBuf};

use hce_wallet_store::{CollectorKeyRecord, IssuerKeys, RootKey, Store};

use crate::card::{Card, RouterCard};
use crate::cli::tap::DemoWallet;
use crate::demo::{public_key, DemoKeyRing, DEMO_COLLECTORS};
use crate::demo_pay::{self, PayOptions};
use hce_wallet_core::payment::memory::InMemoryTokens;
use hce_wallet_core::payment::ports::{CdcvmMethod, PaymentJournal, TokenSource, Verification};
use hce_wallet_core::payment::token::KeyBudget;

/// The demo passes, as an issuer would publish them.
pub const DEMO_PASSES_JSON: &str = include_str!("../data/demo-passes.json");

/// The host's wall clock (the core never reads one itself).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp(ms)
    }
}

/// Why the demo wallet could not be built (a defect in the embedded data).
#[derive(Debug, thiserror::Error)]
pub enum DemoWalletError {
    #[error("demo passes: {0}")]
    Import(String),
    #[error("demo applet: {0}")]
    Applet(String),
    #[error("demo store: {0}")]
    Store(String),
}

/// The selection engine holding the demo issuers and passes, home-screen context.
pub fn engine() -> Result<SelectionEngine, DemoWalletError> {
    let engine = SelectionEngine::new(SelectionConfig::default());
    for c in &DEMO_COLLECTORS {
        engine
            .insert_issuer(Issuer {
                id: c.issuer,
                name: c.name.to_owned(),
                collector_ids: vec![c.collector],
            })
            .map_err(|e| DemoWalletError::Import(e.to_string()))?;
    }
    let batch =
        import_json(DEMO_PASSES_JSON).map_err(|e| DemoWalletError::Import(e.to_string()))?;
    engine.apply_import(batch).map_err(|e| DemoWalletError::Import(e.to_string()))?;
    engine.set_ui_context(UiContext::Home);
    Ok(engine)
}

/// A router with the Smart Tap applet over `engine`, the demo key ring and OS randomness,
/// armed so the first tap costs only verify + ECDH + HKDF.
pub fn router(
    engine: Arc<SelectionEngine>,
    events: Arc<EventLog>,
    pay: &PayOptions,
) -> Result<Router, DemoWalletError> {
    let tokens = Arc::new(InMemoryTokens::new(events.clone()));
    tokens
        .provision(
            demo_pay::demo_token(),
            demo_pay::demo_keys(0, SystemClock.now()),
            true,
            SystemClock.now(),
        )
        .map_err(|e| DemoWalletError::Applet(e.to_string()))?;
    if pay.pay_verified {
        tokens.set_verification(session_verification());
    }
    router_with_keys(Arc::new(DemoKeyRing), engine, events, (tokens.clone(), tokens), pay)
}

/// "The user verified on the phone" for the rest of the session (`--pay-verified`).
pub fn session_verification() -> Verification {
    Verification {
        until: Some(SystemClock.now().plus_millis(24 * 3_600_000)),
        method: Some(CdcvmMethod::Biometric),
    }
}

/// [`router`] with another key ring and payment side (a store's).
fn router_with_keys(
    key_ring: Arc<dyn IssuerKeyRing>,
    engine: Arc<SelectionEngine>,
    events: Arc<EventLog>,
    (tokens, journal): (Arc<dyn TokenSource>, Arc<dyn PaymentJournal>),
    pay: &PayOptions,
) -> Result<Router, DemoWalletError> {
    let ports = SmartTapPorts {
        key_ring,
        passes: engine.clone(),
        push: Some(engine),
        events: events.clone(),
        random: Box::new(OsRandom),
        clock: Arc::new(SystemClock),
        payment: Some(tokens.clone()),
    };
    let mut applet = SmartTapApplet::new(ports, SmartTapConfig::default())
        .map_err(|e| DemoWalletError::Applet(e.to_string()))?;
    applet.arm();
    let payment =
        demo_pay::payment_applet(tokens, journal, events, pay).map_err(DemoWalletError::Applet)?;
    let mut router = Router::new();
    router.register(Box::new(applet));
    router.register(Box::new(payment));
    Ok(router)
}

/// The demo wallet as `hcectl tap --demo` drives it: the demo user answers the chooser by
/// picking the first candidate the wallet offered.
pub struct EmbeddedDemoWallet {
    card: RouterCard,
    engine: Arc<SelectionEngine>,
    events: Arc<EventLog>,
}

impl EmbeddedDemoWallet {
    /// The demo wallet in memory only.
    pub fn in_memory() -> Result<Self, DemoWalletError> {
        let engine = Arc::new(engine()?);
        let events = Arc::new(EventLog::default());
        let card = RouterCard::new(router(engine.clone(), events.clone(), &PayOptions::default())?);
        Ok(EmbeddedDemoWallet { card, engine, events })
    }

    /// The demo wallet on its default store file, created and filled on first use.
    pub fn new() -> Result<Self, DemoWalletError> {
        let path = default_store_path()?;
        let key = demo_root_key(&path)?;
        Self::on_store(&path, &key)
    }

    /// The demo wallet on the store at `path`: filled with the demo issuers, keys and passes
    /// if it holds no pass yet; the selection engine is rebuilt from the store's snapshot
    /// and the store is the key ring.
    pub fn on_store(path: &Path, key: &RootKey) -> Result<Self, DemoWalletError> {
        let fail = |e: hce_wallet_store::StoreError| DemoWalletError::Store(e.to_string());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DemoWalletError::Store(e.to_string()))?;
        }
        let store = Arc::new(Store::open(path, key).map_err(fail)?);
        if store.pass_count().map_err(fail)? == 0 {
            let batch = import_json(DEMO_PASSES_JSON)
                .map_err(|e| DemoWalletError::Import(e.to_string()))?;
            store.import_batch(&batch).map_err(fail)?;
            store.apply_key_bundle(&demo_issuer_keys()?).map_err(fail)?;
        }
        let snapshot = store.engine_snapshot().map_err(fail)?;
        let engine = Arc::new(
            SelectionEngine::from_snapshot(snapshot, SelectionConfig::default())
                .map_err(|e| DemoWalletError::Import(e.to_string()))?,
        );
        engine.set_ui_context(UiContext::Home);
        ensure_demo_token(&store)?;
        let events = Arc::new(EventLog::default());
        let router = router_with_keys(
            store.clone(),
            engine.clone(),
            events.clone(),
            (store.clone(), store),
            &PayOptions::default(),
        )?;
        Ok(EmbeddedDemoWallet { card: RouterCard::new(router), engine, events })
    }
    /// The engine (UI context, chooser, passes).
    pub fn engine(&self) -> &SelectionEngine {
        &self.engine
    }
    /// Takes the wallet events recorded since the last call.
    pub fn take_events(&self) -> Vec<WalletEvent> {
        self.events.take()
    }
}

impl DemoWallet for EmbeddedDemoWallet {
    fn pays(&self) -> bool {
        true
    }
    fn begin_tap(&mut self) -> &mut dyn Card {
        self.card.deactivate();
        &mut self.card
    }
    fn choose(&mut self, collector: CollectorId) -> Option<String> {
        let candidates = self.events.take().into_iter().rev().find_map(|e| match e {
            WalletEvent::ChooserRequired { collector: c, candidates } if c == collector => {
                Some(candidates)
            }
            _ => None,
        })?;
        let pick = candidates.first()?.clone();
        self.engine.choose(&pick, SystemClock.now()).ok()?;
        Some(pick)
    }
}

/// The demo token on a store: provisioned on first use, and topped up with the next key
/// batch when its keys ran out (the host's replenishment, payment spec §9.2).
fn ensure_demo_token(store: &Store) -> Result<(), DemoWalletError> {
    let fail = |e: String| DemoWalletError::Store(e);
    let token = demo_pay::demo_token();
    let now = SystemClock.now();
    let held = store.token_records().map_err(|e| fail(e.to_string()))?;
    let Some(record) = held.iter().find(|r| r.token_ref == token.id.as_str()) else {
        return store
            .provision_token(&token, &demo_pay::demo_keys(0, now), true, now)
            .map(drop)
            .map_err(|e| fail(e.to_string()));
    };
    if !matches!(store.current_key(&token.id, now).budget, KeyBudget::Available { low: false, .. })
    {
        let batch = u8::try_from(record.keys.len() / usize::from(demo_pay::KEYS_PER_BATCH))
            .unwrap_or(u8::MAX);
        store
            .replenish_token(&token.id, &demo_pay::demo_keys(batch, now))
            .map_err(|e| fail(e.to_string()))?;
    }
    Ok(())
}

/// The demo issuers with their collectors' public keys, as a key bundle would bring them.
fn demo_issuer_keys() -> Result<Vec<IssuerKeys>, DemoWalletError> {
    DEMO_COLLECTORS
        .iter()
        .map(|c| {
            let key = public_key(c.collector)
                .ok_or_else(|| DemoWalletError::Import(format!("no key for {}", c.collector)))?;
            Ok(IssuerKeys {
                issuer_id: c.issuer,
                name: c.name.to_owned(),
                collectors: vec![c.collector.0],
                keys: vec![CollectorKeyRecord {
                    collector: c.collector.0,
                    key_version: c.key_version,
                    issuer_id: c.issuer,
                    public_key_sec1: key.to_sec1_bytes().to_vec(),
                    valid_from: None,
                    valid_until: None,
                }],
            })
        })
        .collect()
}

/// `$HCE_DEMO_STORE`, else `$XDG_DATA_HOME/hce-wallet/demo.redb`, else
/// `$HOME/.local/share/hce-wallet/demo.redb`.
pub fn default_store_path() -> Result<PathBuf, DemoWalletError> {
    if let Some(p) = std::env::var_os("HCE_DEMO_STORE") {
        return Ok(PathBuf::from(p));
    }
    let base = match std::env::var_os("XDG_DATA_HOME") {
        Some(d) => PathBuf::from(d),
        None => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".local").join("share"))
            .ok_or_else(|| {
                DemoWalletError::Store("set HOME, XDG_DATA_HOME or HCE_DEMO_STORE".into())
            })?,
    };
    Ok(base.join("hce-wallet").join("demo.redb"))
}

/// The demo store's root key, kept in `<store>.key` (created with a random key on first use,
/// readable by the owner only). On a phone the app keeps this key in Android Keystore.
fn demo_root_key(store: &Path) -> Result<RootKey, DemoWalletError> {
    let io = |e: std::io::Error| DemoWalletError::Store(e.to_string());
    let mut key_path = store.as_os_str().to_owned();
    key_path.push(".key");
    let key_path = PathBuf::from(key_path);
    if !key_path.exists() {
        if let Some(dir) = key_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        hce_wallet_core::ports::RandomSource::fill(&mut OsRandom, &mut bytes[..]);
        let hex = zeroize::Zeroizing::new(hex::encode(&bytes[..]));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        std::io::Write::write_all(&mut opts.open(&key_path).map_err(io)?, hex.as_bytes())
            .map_err(io)?;
    }
    RootKey::from_hex_file(&key_path).map_err(|e| DemoWalletError::Store(e.to_string()))
}

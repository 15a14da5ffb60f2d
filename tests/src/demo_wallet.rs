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

use std::sync::Arc;

use hce_wallet_core::events::WalletEvent;
use hce_wallet_core::pass::google_wallet::import_json;
use hce_wallet_core::pass::Issuer;
use hce_wallet_core::ports::{Clock, CollectorId, EventLog, OsRandom, UiContext};
use hce_wallet_core::router::Router;
use hce_wallet_core::selection::{SelectionConfig, SelectionEngine};
use hce_wallet_core::smart_tap::{SmartTapApplet, SmartTapConfig, SmartTapPorts};
use hce_wallet_core::time::Timestamp;

use crate::card::{Card, RouterCard};
use crate::cli::tap::DemoWallet;
use crate::demo::{DemoKeyRing, DEMO_COLLECTORS};

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
) -> Result<Router, DemoWalletError> {
    let ports = SmartTapPorts {
        key_ring: Arc::new(DemoKeyRing),
        passes: engine.clone(),
        push: Some(engine),
        events,
        random: Box::new(OsRandom),
        clock: Arc::new(SystemClock),
    };
    let mut applet = SmartTapApplet::new(ports, SmartTapConfig::default())
        .map_err(|e| DemoWalletError::Applet(e.to_string()))?;
    applet.arm();
    let mut router = Router::new();
    router.register(Box::new(applet));
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
    pub fn new() -> Result<Self, DemoWalletError> {
        let engine = Arc::new(engine()?);
        let events = Arc::new(EventLog::default());
        let card = RouterCard::new(router(engine.clone(), events.clone())?);
        Ok(EmbeddedDemoWallet { card, engine, events })
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

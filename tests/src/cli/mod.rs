//! `hcectl` subcommands, one module each; `src/bin/hcectl.rs` only parses and dispatches.

use std::path::PathBuf;

use hce_wallet_core::router::Router;

use crate::card::CardError;
use crate::loopback::Loopback;

pub mod decode;
pub mod keys;
pub mod nfc;
pub mod passes;
pub mod pay;
pub mod pay_qr;
pub mod pay_sign;
pub mod pay_sync;
pub mod pay_tap;
pub mod run;
pub mod tap;
pub mod vpcd;
pub mod wallet;

/// What a subcommand that only prints returns: its exit code, or an error to print.
pub type CliResult = Result<std::process::ExitCode, Box<dyn std::error::Error>>;

/// Why a subcommand could not do its job (a failed script is not an error: see `run`).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Card(#[from] CardError),
}

/// What the in-process card is built from.
#[derive(Clone, Debug, Default)]
pub struct CardOptions {
    /// `--store PATH`: a wallet store to serve instead of the built-in wallet.
    pub store: Option<PathBuf>,
    /// `--vector-wallet` (hidden): serve [`crate::vector_wallet`], which answers exactly
    /// as the shared e2e Smart Tap vector says (transport tests).
    pub vector_wallet: bool,
    /// How the payment applet meets desktop readers.
    pub pay: crate::demo_pay::PayOptions,
    /// `--nfc PATH` (repeatable): issuer NFC pass fixtures to serve instead of the demo
    /// door key ([`crate::demo_nfc`]).
    pub nfc: Vec<PathBuf>,
}

/// The project's shared directory: `$HCE_SHARED_DIR`, else `shared/` beside the workspace.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("HCE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

/// Builds the in-process card (`hcectl run` without `--pcsc`, `hcectl vpcd`).
pub type CardFactory<'a> = &'a dyn Fn(&CardOptions) -> Result<Router, CliError>;

/// The card `hcectl` serves by default: the applets this build has. For now that is the
/// embedded demo wallet ([`crate::demo_wallet`]) and the [`Loopback`] transport-test applet.
pub fn default_card(options: &CardOptions) -> Result<Router, CliError> {
    if let Some(path) = &options.store {
        return store_router(path, &options.pay, &options.nfc);
    }
    if options.vector_wallet {
        return crate::vector_wallet::router(&shared_dir())
            .map_err(|e| CliError::Usage(format!("--vector-wallet: {e}")));
    }
    // The embedded demo wallet (Smart Tap), plus the transport-test applet.
    let engine = std::sync::Arc::new(
        crate::demo_wallet::engine().map_err(|e| CliError::Usage(e.to_string()))?,
    );
    let events = std::sync::Arc::new(hce_wallet_core::ports::EventLog::default());
    let mut router = crate::demo_wallet::router(engine, events.clone(), &options.pay)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    router.register(Box::new(nfc_applet(&options.nfc, events)?));
    router.register(Box::new(Loopback::new()));
    Ok(router)
}

/// The issuer NFC pass applet over the `--nfc` fixtures, or the demo door key without any;
/// the passes live in memory for the life of the card (durable storage: issue 15, step 5).
pub fn nfc_applet(
    paths: &[PathBuf],
    events: std::sync::Arc<dyn hce_wallet_core::ports::EventSink>,
) -> Result<hce_wallet_core::nfc_pass::applet::NfcPassApplet, CliError> {
    let passes = if paths.is_empty() {
        vec![crate::demo_nfc::demo_pass().map_err(|e| CliError::Usage(e.to_string()))?]
    } else {
        crate::demo_nfc::load(paths).map_err(|e| CliError::Usage(format!("--nfc {e}")))?
    };
    let store =
        std::sync::Arc::new(hce_wallet_core::nfc_pass::memory::InMemoryNfcPasses::new(passes));
    Ok(crate::demo_nfc::applet(store, events))
}

/// The Smart Tap and payment applets over a real encrypted store (`--store PATH`), its root
/// key from `HCE_WALLET_KEY` (64 hex digits). The store is the key ring, the pass source
/// (home-screen decisions from its tap snapshot), the push listener, the event log, the
/// token source and the durable ATC journal (`hcectl pay` manages its tokens); a missing
/// file is created empty. Issuer NFC passes are the store's (`--nfc` fixtures are imported
/// into it first; `hcectl nfc import` does the same). The CDCVM window is the one `hcectl pay verify` recorded (or
/// the whole session with `--pay-verified`).
pub fn store_router(
    path: &std::path::Path,
    pay: &crate::demo_pay::PayOptions,
    nfc: &[PathBuf],
) -> Result<Router, CliError> {
    use hce_wallet_core::ports::OsRandom;
    use hce_wallet_core::smart_tap::{SmartTapApplet, SmartTapConfig, SmartTapPorts};
    use hce_wallet_store::{RootKey, Store};
    let fail = |e: hce_wallet_store::StoreError| {
        CliError::Usage(format!("--store {}: {e}", path.display()))
    };
    let key = RootKey::from_env().map_err(fail)?;
    let store = std::sync::Arc::new(Store::open(path, &key).map_err(fail)?);
    store.set_verification(if pay.pay_verified {
        crate::demo_wallet::session_verification()
    } else {
        pay::desktop_verification(&store)
    });
    let ports = SmartTapPorts {
        key_ring: store.clone(),
        passes: store.clone(),
        push: Some(store.clone()),
        events: store.clone(),
        random: Box::new(OsRandom),
        clock: std::sync::Arc::new(crate::demo_wallet::SystemClock),
        payment: Some(store.clone()),
    };
    let mut applet = SmartTapApplet::new(ports, SmartTapConfig::default())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    applet.arm();
    let payment = crate::demo_pay::payment_applet(store.clone(), store.clone(), store.clone(), pay)
        .map_err(CliError::Usage)?;
    let mut router = Router::new();
    router.register(Box::new(applet));
    router.register(Box::new(payment));
    // Issuer NFC passes from the store; `--nfc` fixtures are imported into it first.
    for pass in crate::demo_nfc::load(nfc).map_err(|e| CliError::Usage(format!("--nfc {e}")))? {
        store.put_nfc_pass(&pass).map_err(fail)?;
    }
    router.register(Box::new(hce_wallet_core::nfc_pass::applet::NfcPassApplet::new(
        hce_wallet_core::nfc_pass::applet::NfcPassPorts {
            source: store.clone(),
            journal: store.clone(),
            events: store,
            random: Box::new(OsRandom),
        },
    )));
    router.register(Box::new(Loopback::new()));
    Ok(router)
}

//! `hcectl pay --store PATH sync --url BASE --service-key PEM --device ID`: one token sync
//! of a store file against a token service (payment spec §9.2, §12.3), through the same
//! `Wallet::sync_tokens` an app calls: the queued user requests are POSTed, the device's
//! signed status window is fetched and applied, and tokens whose keys run low ask for a
//! new batch. Prints the report and the token events it raised.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use hce_wallet::{Host, Notice, Wallet, WalletConfig, WalletEvent, WalletListener};

use super::CliError;
use crate::http::UreqTransport;

#[derive(clap::Args, Debug)]
pub struct SyncArgs {
    /// The token service's base URL (`{base}/status/{device}`, `/requests`, `/replenish`)
    #[arg(long)]
    pub url: String,
    /// The token service's public key (PEM, P-256) that signs status windows and batches
    #[arg(long, value_name = "PEM")]
    pub service_key: PathBuf,
    /// This device's identity at the token service
    #[arg(long)]
    pub device: String,
}

#[derive(Default)]
struct Collect(Mutex<Vec<Notice>>);
impl WalletListener for Collect {
    fn on_notice(&self, notice: Notice) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(notice);
    }
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// Opens the store as a wallet, syncs once (as if the user asked), prints what happened.
/// Exit status 0 when every job that ran succeeded, 1 otherwise.
pub fn sync_cmd(
    store: &std::path::Path,
    key_file: Option<&std::path::Path>,
    a: &SyncArgs,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    let key = match key_file {
        Some(f) => hce_wallet_store::RootKey::from_hex_file(f)
            .map_err(|e| usage(format!("--key-file {}: {e}", f.display())))?,
        None => hce_wallet_store::RootKey::from_env()
            .map_err(|e| usage(format!("HCE_WALLET_KEY: {e}")))?,
    };
    let pem = std::fs::read_to_string(&a.service_key)
        .map_err(|e| usage(format!("--service-key {}: {e}", a.service_key.display())))?;
    let config = WalletConfig {
        pinned_token_service_keys: vec![pem],
        device_id: Some(a.device.clone()),
        token_service_url: Some(a.url.clone()),
        ..WalletConfig::default()
    };
    let listener = Arc::new(Collect::default());
    let host = Host {
        listener: Some(listener.clone()),
        transport: Some(Arc::new(UreqTransport::new())),
        ..Host::default()
    };
    let wallet = Wallet::open(store, key.bytes(), config, host)
        .map_err(|e| usage(format!("--store {}: {e}", store.display())))?;
    let report = match wallet.sync_tokens(true) {
        Ok(r) => r,
        Err(e) => {
            writeln!(out, "refused: {e}")?;
            return Ok(1);
        }
    };
    writeln!(out, "requests sent {}, waiting {}", report.requests_sent, report.requests_waiting)?;
    writeln!(out, "status: {:?}", report.status)?;
    for t in &report.replenished {
        writeln!(out, "replenished {t}")?;
    }
    if let Some(e) = &report.replenish_error {
        writeln!(out, "replenishment: {e}")?;
    }
    let notices =
        std::mem::take(&mut *listener.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    for n in notices {
        if let Notice::Tap(WalletEvent::Payment(e)) = n {
            let token = e.token().map(|t| t.as_str().to_owned()).unwrap_or_else(|| "-".into());
            writeln!(out, "{}\t{token}\t{}", e.name(), e.detail())?;
        }
    }
    let failed = matches!(report.status, hce_wallet::StatusOutcome::Failed { .. })
        || report.replenish_error.is_some()
        || report.requests_waiting > 0;
    Ok(u8::from(failed))
}

//! `hcectl wallet --store PATH …`: manage the passes of a real encrypted store file.
//!
//! The root key comes from `--key-file` (64 hex digits) or `HCE_WALLET_KEY`; a missing file
//! is created empty. `import` takes Google Wallet JSON (REST objects, lists, the `payload`
//! of a save-to-wallet JWT, or the JWT itself; with `--type loyaltyClass` etc. a bare REST
//! resource without `kind`) and lands all of a file or none of it.
//! Redemption values are never printed.

use std::io::Write;
use std::path::PathBuf;

use hce_wallet_core::pass::{import_json_as, ResourceKind};
use hce_wallet_store::{EventRecord, RootKey, Store};

use super::CliError;

#[derive(clap::Args, Debug)]
pub struct WalletArgs {
    /// The store file (created empty if missing).
    #[arg(long, value_name = "PATH")]
    pub store: PathBuf,
    /// File holding the 64-hex-digit root key (default: $HCE_WALLET_KEY).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    #[command(subcommand)]
    pub action: WalletAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum WalletAction {
    /// Import Google Wallet pass JSON (or a save-to-wallet JWT) from files
    Import {
        /// The files are bare REST resources of this type (no `kind` needed):
        /// loyaltyClass, loyaltyObject, walletobjects#offerClass, ...
        #[arg(long = "type", value_name = "RESOURCE")]
        resource_type: Option<String>,
        files: Vec<PathBuf>,
    },
    /// List the stored passes
    List,
    /// Show one pass (the redemption value is not printed)
    Show { object_id: String },
    /// Remove one pass
    Remove { object_id: String },
    /// Re-encrypt the store under a new root key into a fresh file swapped in atomically:
    /// nothing in the file decrypts with the old key afterwards
    Rekey {
        /// File holding the new 64-hex-digit root key
        #[arg(long, value_name = "FILE")]
        new_key_file: PathBuf,
    },
    /// Print the event log, newest last
    Events {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

fn store_error(path: &std::path::Path) -> impl Fn(hce_wallet_store::StoreError) -> CliError + '_ {
    move |e| CliError::Usage(format!("--store {}: {e}", path.display()))
}

/// Runs one `hcectl wallet` action. Exit status 0 on success.
pub fn run(args: &WalletArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let key = match &args.key_file {
        Some(f) => RootKey::from_hex_file(f).map_err(|e| {
            CliError::Usage(format!(
                "--key-file {}: {e} (the file must hold the root key as 64 hex digits)",
                f.display()
            ))
        })?,
        None => RootKey::from_env().map_err(|e| {
            CliError::Usage(format!(
                "HCE_WALLET_KEY: {e} (set it to 64 hex digits, or give --key-file FILE)"
            ))
        })?,
    };
    if let WalletAction::Rekey { new_key_file } = &args.action {
        let new = RootKey::from_hex_file(new_key_file).map_err(|e| {
            CliError::Usage(format!(
                "--new-key-file {}: {e} (64 hex digits)",
                new_key_file.display()
            ))
        })?;
        let n =
            Store::rekey_file(&args.store, &key, &new, hce_wallet_store::StoreOptions::default())
                .map_err(store_error(&args.store))?;
        writeln!(out, "rekeyed {n} values into a fresh file")?;
        return Ok(0);
    }
    let store = Store::open(&args.store, &key).map_err(store_error(&args.store))?;
    let fail = store_error(&args.store);
    match &args.action {
        WalletAction::Import { resource_type, files } => {
            if files.is_empty() {
                return Err(CliError::Usage("import: name at least one JSON or JWT file".into()));
            }
            let kind = match resource_type {
                None => None,
                Some(t) => Some(ResourceKind::from_name(t).ok_or_else(|| {
                    CliError::Usage(format!(
                        "--type {t}: expected a Google Wallet class or object name such as \
                         loyaltyClass, loyaltyObject or walletobjects#offerClass"
                    ))
                })?),
            };
            for f in files {
                let text = std::fs::read_to_string(f).map_err(|e| {
                    CliError::Usage(format!(
                        "import {}: {e} (expected a Google Wallet JSON or JWT text file)",
                        f.display()
                    ))
                })?;
                let batch = import_json_as(&text, kind)
                    .map_err(|e| CliError::Usage(format!("import {}: {e}", f.display())))?;
                let n = store.import_batch(&batch).map_err(&fail)?;
                store
                    .append_event(EventRecord {
                        seq: 0,
                        at: now_ms(),
                        kind: "import".into(),
                        collector: None,
                        object_id: None,
                        detail: Some(format!("{n} objects from {}", f.display())),
                    })
                    .map_err(&fail)?;
                writeln!(out, "imported {n} pass objects from {}", f.display())?;
            }
        }
        WalletAction::List => {
            let passes = store.list_passes().map_err(&fail)?;
            for p in &passes {
                writeln!(
                    out,
                    "{}\t{:?}\t{:?}\tissuer {}\tclass {}{}",
                    p.object_id,
                    p.pass_type,
                    p.state,
                    p.issuer_id,
                    p.class_id,
                    if p.smart_tap_disabled { "\tsmart tap off" } else { "" }
                )?;
            }
            writeln!(out, "{} passes", passes.len())?;
        }
        WalletAction::Show { object_id } => {
            let Some((class, object)) = store.pass(object_id).map_err(&fail)? else {
                writeln!(out, "no pass {object_id}")?;
                return Ok(1);
            };
            writeln!(out, "object      {}", object.object_id)?;
            writeln!(out, "class       {}", object.class_id)?;
            writeln!(out, "issuer      {}", class.issuer_id)?;
            writeln!(out, "type        {:?}", class.pass_type)?;
            writeln!(
                out,
                "smart tap   {}",
                if class.smart_tap_enabled { "enabled" } else { "off" }
            )?;
            writeln!(out, "redeemers   {:?}", class.redemption_issuers)?;
            writeln!(out, "state       {:?}", object.state)?;
            writeln!(out, "valid       {:?} .. {:?} (ms)", object.valid_from, object.valid_until)?;
            let value = if object.redemption_value.is_some() { "present" } else { "absent" };
            writeln!(out, "value       {value} (not shown)")?;
            writeln!(out, "user toggle {}", if object.smart_tap_disabled { "off" } else { "on" })?;
        }
        WalletAction::Remove { object_id } => {
            if store.pass(object_id).map_err(&fail)?.is_none() {
                writeln!(out, "no pass {object_id}")?;
                return Ok(1);
            }
            store.remove_pass(object_id).map_err(&fail)?;
            writeln!(out, "removed {object_id}")?;
        }
        WalletAction::Rekey { .. } => {
            return Err(CliError::Usage("rekey runs before the store opens".into()))
        }
        WalletAction::Events { limit } => {
            for e in store.events(*limit).map_err(&fail)? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    e.seq,
                    e.at,
                    e.kind,
                    e.collector.map(|c| c.to_string()).unwrap_or_default(),
                    e.object_id.unwrap_or_default(),
                    e.detail.unwrap_or_default()
                )?;
            }
        }
    }
    Ok(0)
}

fn now_ms() -> i64 {
    use hce_wallet_core::ports::Clock;
    crate::demo_wallet::SystemClock.now().0
}

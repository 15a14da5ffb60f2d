//! `hcectl passes`: signed pass-update bundles for issuers (issue #17), like
//! `hcectl keys bundle` for key bundles.
//!
//! - `passes bundle --feed-key PEM --in update.json --out FILE` signs a bundle (a tagged
//!   COSE_Sign1 with the issuer's feed key, see `core::pass::update`) for publishing on
//!   the issuer's feed URL. `iat` defaults to now. The wallet's own decoder checks the
//!   payload first, so a bundle every wallet would refuse is never signed.
//! - `passes show FILE --feed-key-pub PEM --issuer ID` verifies one and lists its changes.
//!
//! `update.json` is the payload itself:
//!
//! ```json
//! { "v": 1, "issuer": "3388000000022334455", "seq": 2,
//!   "changes": [ { "upsert": { "giftCardObjects": [ … ] } },
//!                { "addMessage": { "id": "3388….club", "message": { "header": "…" } } },
//!                { "expire": { "id": "…" } }, { "remove": { "id": "…" } } ] }
//! ```
//!
//! Feed keys are P-256 key pairs: `hcectl keys new-root` makes one.

use std::io::Write;
use std::path::PathBuf;

use hce_wallet_core::pass::update::{sign_update, verify_update, Change};

use super::keys::{
    read_private_key, read_roots, read_text, shown, stdout_error, unix_now, write_atomic,
    KeysError, PUBLIC_MODE,
};

/// Arguments of `hcectl passes`.
#[derive(Debug, Clone, clap::Args)]
pub struct PassesArgs {
    #[command(subcommand)]
    pub command: PassesCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum PassesCommand {
    /// Sign a pass-update bundle from its JSON payload with the issuer's feed key.
    Bundle(BundleArgs),
    /// Verify a signed pass-update bundle and list its changes.
    Show(ShowArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct BundleArgs {
    /// The issuer's feed private key (PKCS#8 or SEC1 PEM).
    #[arg(long, value_name = "PEM")]
    pub feed_key: PathBuf,
    /// The payload (see `hcectl passes --help`).
    #[arg(long = "in", value_name = "JSON")]
    pub input: PathBuf,
    /// Where to write the signed bundle.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ShowArgs {
    /// A signed bundle.
    pub file: PathBuf,
    /// The issuer's feed public key (SPKI PEM).
    #[arg(long, value_name = "PEM")]
    pub feed_key_pub: PathBuf,
    /// The issuer the feed belongs to.
    #[arg(long, value_name = "ID")]
    pub issuer: u64,
}

/// Runs `hcectl passes …`; returns the process exit status.
pub fn run(args: &PassesArgs, out: &mut dyn Write) -> Result<u8, KeysError> {
    match &args.command {
        PassesCommand::Bundle(a) => bundle(a, out),
        PassesCommand::Show(a) => show(a, out),
    }
    .map(|()| 0)
}

fn bundle(args: &BundleArgs, out: &mut dyn Write) -> Result<(), KeysError> {
    let key = read_private_key(&args.feed_key)?;
    let text = read_text(&args.input)?;
    let mut payload: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| KeysError::Json { path: shown(&args.input), message: e.to_string() })?;
    let Some(map) = payload.as_object_mut() else {
        return Err(KeysError::Input(format!("{}: not a JSON object", shown(&args.input))));
    };
    map.entry("iat").or_insert_with(|| unix_now().into());
    let json = payload.to_string();
    let bytes = sign_update(json.as_bytes(), &key)
        .map_err(|e| KeysError::Input(format!("{}: {e}", shown(&args.input))))?;
    write_atomic(&args.out, &bytes, PUBLIC_MODE)?;
    writeln!(
        out,
        "signed pass update issuer {} sequence {} ({} bytes) -> {}",
        payload["issuer"],
        payload["seq"],
        bytes.len(),
        args.out.display()
    )
    .map_err(stdout_error)
}

fn show(args: &ShowArgs, out: &mut dyn Write) -> Result<(), KeysError> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| KeysError::Io { path: shown(&args.file), source: e })?;
    let key = read_roots(std::slice::from_ref(&args.feed_key_pub))?;
    let update = verify_update(&bytes, &key, args.issuer)
        .map_err(|e| KeysError::Input(format!("{}: {e}", shown(&args.file))))?;
    let mut w = |s: String| writeln!(out, "{s}").map_err(stdout_error);
    w(format!(
        "verified: issuer {} sequence {} issued {} ms, {} changes",
        update.issuer,
        update.sequence,
        update.issued_at_ms,
        update.changes.len()
    ))?;
    for c in &update.changes {
        w(match c {
            Change::Upsert(b) => {
                format!("  upsert {} classes, {} objects", b.classes.len(), b.objects.len())
            }
            Change::AddMessage { target, .. } => format!("  addMessage {target}"),
            Change::Expire { object_id } => format!("  expire {object_id}"),
            Change::Remove { object_id } => format!("  remove {object_id}"),
        })?;
    }
    Ok(())
}

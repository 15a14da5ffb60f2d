//! `hcectl pay sign-provisioning` / `hcectl pay sign-status`: the token service's side for
//! tests and fixtures (payment spec §9.2, §12.3) — a signed provisioning payload (or a
//! replenishment batch: same format, a token already held) of a sample token of the
//! generic profile, and a signed, sequenced status message of one life-cycle event. The
//! token-service key is a PEM file (PKCS#8 or SEC1, like `hcectl keys bundle`). No store
//! is opened.
//!
//! Key batch `b` of sample token `n` holds keys with key index `00 (01+b) kk nn` and LUK =
//! the §9.4 test LUK with byte 15 XOR `kk`, byte 14 XOR `n`, byte 13 XOR `b`, so batches
//! never share a key index. `--luks-out` writes `key-index luk` hex lines: the issuer side
//! a test terminal needs to verify cryptograms (test keys only).

use std::io::Write;
use std::path::PathBuf;

use hce_wallet_core::payment::lifecycle::{DeviceEvent, TokenUpdate, Transition};
use hce_wallet_core::payment::provisioning::{
    sign_provisioning, Provisioning, StatusEvent, StatusMessage, StatusTarget,
};
use hce_wallet_core::payment::sample::{sample_keys, sample_token};
use hce_wallet_core::payment::token::{CardRef, CvmPolicy, Expiry, LimitedUseKey, Origin, TokenId};
use hce_wallet_core::time::Timestamp;
use p256::ecdsa::SigningKey;
use p256::pkcs8::DecodePrivateKey;
use p256::SecretKey;
use zeroize::Zeroizing;

use super::pay::{DeviceArg, ReasonArg};
use super::CliError;

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// What every signed message needs.
#[derive(clap::Args, Debug)]
pub struct SignCommon {
    /// The token service's private key (PEM, PKCS#8 or SEC1)
    #[arg(long, value_name = "PEM")]
    pub key: PathBuf,
    /// The device the message is for
    #[arg(long)]
    pub device: String,
    /// Sequence number (must exceed the last one the device applied, per message kind)
    #[arg(long)]
    pub seq: u64,
    /// Issued-at, seconds since the epoch (default: now); also the keys' issue time
    #[arg(long)]
    pub issued_at: Option<i64>,
    /// Where to write the signed message (COSE_Sign1 bytes)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct SignProvisioningArgs {
    #[command(flatten)]
    pub common: SignCommon,
    /// Sample token number (0: the spec's fixture MPAN …0008; tok-N, card-N)
    #[arg(long, default_value_t = 0)]
    pub token: usize,
    /// Key batch number (0 at provisioning, 1, 2, … for replenishments)
    #[arg(long, default_value_t = 0)]
    pub batch: u8,
    /// Keys in the batch
    #[arg(long, default_value_t = 2)]
    pub keys: u8,
    /// Transactions per key
    #[arg(long, default_value_t = 10)]
    pub per_key: u32,
    /// Key lifetime in days
    #[arg(long, default_value_t = 30)]
    pub ttl_days: i64,
    /// Leave the token Pending (the service activates it later)
    #[arg(long)]
    pub pending: bool,
    /// Verify the user on the phone for every transaction
    #[arg(long)]
    pub every_transaction_cvm: bool,
    /// Also write `key-index luk` hex lines (the issuer side of a test terminal)
    #[arg(long, value_name = "FILE")]
    pub luks_out: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum OpArg {
    Activate,
    Suspend,
    Resume,
    Update,
    Delete,
}

#[derive(clap::Args, Debug)]
pub struct SignStatusArgs {
    #[command(flatten)]
    pub common: SignCommon,
    /// The token the event is about
    #[arg(long, conflicts_with_all = ["card", "device_event"])]
    pub token_ref: Option<String>,
    /// The card reference (the event cascades to its token)
    #[arg(long, conflicts_with = "device_event")]
    pub card: Option<String>,
    /// A device event instead (no --op)
    #[arg(long, value_enum)]
    pub device_event: Option<DeviceArg>,
    /// The operation on the token or card
    #[arg(long, value_enum)]
    pub op: Option<OpArg>,
    /// The server confirms a user's request (e.g. the user's un-report)
    #[arg(long)]
    pub user: bool,
    #[arg(long, value_enum)]
    pub reason: Option<ReasonArg>,
    /// For --op update: the new expiry, YYYY-MM
    #[arg(long)]
    pub expiry: Option<String>,
    /// Sign as a status window (the event numbered --seq), the form a status feed serves
    #[arg(long)]
    pub window: bool,
}

fn signing_key(path: &std::path::Path) -> Result<SigningKey, CliError> {
    let pem = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| usage(format!("--key {}: {e}", path.display())))?,
    );
    let secret = SecretKey::from_pkcs8_pem(&pem)
        .or_else(|_| SecretKey::from_sec1_pem(&pem))
        .map_err(|_| usage(format!("--key {}: not a P-256 private key PEM", path.display())))?;
    Ok(SigningKey::from(secret))
}

fn issued_at(c: &SignCommon) -> Timestamp {
    match c.issued_at {
        Some(s) => Timestamp::from_secs(s),
        None => {
            use hce_wallet_core::ports::Clock;
            crate::demo_wallet::SystemClock.now()
        }
    }
}

/// Key batch `batch` of sample token `n` (see the module doc).
pub fn batch_keys(
    n: usize,
    batch: u8,
    count: u8,
    per_key: u32,
    ttl_secs: i64,
    at: Timestamp,
) -> Vec<LimitedUseKey> {
    let mut keys = sample_keys(n, count, per_key, at);
    for k in &mut keys {
        if let Some(b) = k.key_index.get_mut(1) {
            *b = 0x01u8.wrapping_add(batch);
        }
        if let Some(b) = k.key.get_mut(13) {
            *b ^= batch;
        }
        k.thresholds.lifetime_secs = ttl_secs;
    }
    keys
}

fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|e| usage(format!("{}: {e}", path.display())))
}

/// `hcectl pay sign-provisioning`.
pub fn sign_provisioning_cmd(
    a: &SignProvisioningArgs,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    if a.keys == 0 || a.per_key == 0 || a.ttl_days <= 0 {
        return Err(usage("--keys, --per-key and --ttl-days must be at least 1"));
    }
    let key = signing_key(&a.common.key)?;
    let at = issued_at(&a.common);
    let mut token = sample_token(a.token);
    if a.every_transaction_cvm {
        token.profile.cvm_policy = CvmPolicy::EveryTransaction;
    }
    let keys =
        batch_keys(a.token, a.batch, a.keys, a.per_key, a.ttl_days.saturating_mul(86_400), at);
    let p = Provisioning {
        sequence: a.common.seq,
        issued_at: at,
        token,
        keys: keys.clone(),
        active: !a.pending,
    };
    let signed = sign_provisioning(&p, &a.common.device, &key)
        .map_err(|e| usage(format!("signing failed: {e}")))?;
    write_file(&a.common.out, &signed)?;
    if let Some(path) = &a.luks_out {
        let mut text = Zeroizing::new(String::new());
        for k in &keys {
            text.push_str(&format!(
                "{} {}\n",
                hex::encode_upper(k.key_index),
                hex::encode_upper(k.key.as_ref())
            ));
        }
        write_file(path, text.as_bytes())?;
    }
    writeln!(
        out,
        "signed provisioning seq {} for device {}: {} …{} with {} key(s) of batch {} → {}",
        a.common.seq,
        a.common.device,
        p.token.id,
        p.token.mpan.last_four(),
        keys.len(),
        a.batch,
        a.common.out.display()
    )?;
    Ok(0)
}

/// `hcectl pay sign-status`.
pub fn sign_status_cmd(a: &SignStatusArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let key = signing_key(&a.common.key)?;
    let at = issued_at(&a.common);
    let transition = match a.op {
        None => None,
        Some(OpArg::Activate) => Some(Transition::Activate),
        Some(OpArg::Suspend) => Some(Transition::Suspend),
        Some(OpArg::Resume) => Some(Transition::Resume),
        Some(OpArg::Delete) => Some(Transition::Delete),
        Some(OpArg::Update) => {
            let expiry = match &a.expiry {
                Some(e) => {
                    let (y, m) = e.split_once('-').ok_or_else(|| usage("--expiry: YYYY-MM"))?;
                    let y = y.parse().map_err(|_| usage("--expiry: YYYY-MM"))?;
                    let m = m.parse().map_err(|_| usage("--expiry: YYYY-MM"))?;
                    Some(Expiry::new(y, m).map_err(|e| usage(format!("--expiry: {e}")))?)
                }
                None => None,
            };
            Some(Transition::Update(TokenUpdate { expiry, ..TokenUpdate::default() }))
        }
    };
    let event = match (&a.token_ref, &a.card, a.device_event) {
        (Some(t), None, None) => StatusEvent {
            target: StatusTarget::Token(
                TokenId::new(t.as_str()).map_err(|e| usage(format!("--token-ref: {e}")))?,
            ),
            transition: Some(transition.ok_or_else(|| usage("--token-ref needs --op"))?),
            origin: if a.user { Origin::User } else { Origin::IssuerOnToken },
            reason: a.reason.map(Into::into),
        },
        (None, Some(c), None) => StatusEvent {
            target: StatusTarget::Card(
                CardRef::new(c.as_str()).map_err(|e| usage(format!("--card: {e}")))?,
            ),
            transition: Some(transition.ok_or_else(|| usage("--card needs --op"))?),
            origin: Origin::IssuerOnCard,
            reason: a.reason.map(Into::into),
        },
        (None, None, Some(d)) if transition.is_none() => {
            let d: DeviceEvent = d.into();
            StatusEvent {
                target: StatusTarget::Device(d),
                transition: None,
                origin: d.origin(),
                reason: a.reason.map(Into::into),
            }
        }
        _ => {
            return Err(usage(
                "give one of --token-ref/--card (with --op) or --device-event (without --op)",
            ))
        }
    };
    let msg = StatusMessage { sequence: a.common.seq, issued_at: at, events: vec![event] };
    let signed = match a.window {
        true => msg.sign_window(&a.common.device, &key),
        false => msg.sign(&a.common.device, &key),
    }
    .map_err(|e| usage(format!("signing failed: {e}")))?;
    write_file(&a.common.out, &signed)?;
    writeln!(
        out,
        "signed status seq {} for device {}: {:?} → {}",
        a.common.seq,
        a.common.device,
        msg.events,
        a.common.out.display()
    )?;
    Ok(0)
}

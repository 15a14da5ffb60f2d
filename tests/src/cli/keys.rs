//! `hcectl keys`: issuer key bundles for operators and a one-shot key sync (issue #7).
//!
//! - `keys bundle --root-key PEM --in keys.json --out FILE` signs a bundle (a tagged
//!   COSE_Sign1, see `core::key_bundle`) for publishing as a static file on a CDN.
//! - `keys show FILE [--root PEM]…` decodes one; with roots it also verifies it.
//! - `keys sync (--store PATH [--store-key FILE] | --state FILE) --url URL --root PEM…`
//!   makes one manual sync with the desktop transport. With `--store` the bundle goes into
//!   the encrypted wallet store in one transaction (root key from the file or
//!   `$HCE_WALLET_KEY`); with `--state` the key ring and sync state live in a JSON file
//!   (written atomically).
//! - `keys new-root --out PEM --public PEM` makes an operator root key pair (tests, demos).
//!
//! `keys.json` mirrors Google's issuer API (`authenticationKeys[{id, publicKeyPem}]`):
//!
//! ```json
//! { "sequence": 3, "issued_at": 1800000000, "expires_at": 1802592000,
//!   "issuers": [ { "issuer_id": 3265320111641956183, "collectors": [
//!     { "collector_id": 20180608, "keys": [
//!       { "version": 1, "public_key_pem": "-----BEGIN PUBLIC KEY-----…",
//!         "not_before": 1790000000, "not_after": 1830000000 } ] } ] } ] }
//! ```
//!
//! Times are Unix seconds; `issued_at` defaults to now and `expires_at` to 30 days later.
//! A key may be given as `public_key_hex` (SEC1, compressed or not) instead of PEM.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hce_wallet_core::key_bundle::{
    decode_payload, encode_payload, inspect, sign, verify, BundleError, CollectorEntry,
    IssuerEntry, KeyBundle, KeyEntry, Limits, PinnedRoots,
};
use hce_wallet_core::key_ring::{KeyRing, KeyRingState, SharedKeyRing, StateError};
use hce_wallet_core::ports::{CollectorId, FixedClock, OsRandom};
use hce_wallet_core::sync::{SyncConfig, SyncEngine, SyncError, SyncOutcome, SyncState, Trigger};
use hce_wallet_core::time::Timestamp;
use p256::ecdsa::SigningKey;
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use p256::{PublicKey, SecretKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::http::UreqTransport;
use hce_wallet_store::{RootKey, Store};

mod store_applier;
pub use store_applier::{StoreApplier, SYNC_STATE_SETTING};

const DEFAULT_VALIDITY: Duration = Duration::from_secs(30 * 86_400);

/// Arguments of `hcectl keys`.
#[derive(Debug, Clone, clap::Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum KeysCommand {
    /// Sign a key bundle from a keys.json with the operator's root key.
    Bundle(BundleArgs),
    /// Decode a signed bundle (and verify it when roots are given).
    Show(ShowArgs),
    /// Fetch the bundle at URL once and apply it to a key-ring state file.
    Sync(SyncArgs),
    /// Make an operator root key pair (PKCS#8 private, SPKI public PEM).
    NewRoot(NewRootArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct BundleArgs {
    /// The operator root private key (PKCS#8 or SEC1 PEM).
    #[arg(long, value_name = "PEM")]
    pub root_key: PathBuf,
    /// The bundle content (see `hcectl keys --help`).
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
    /// Pinned root public keys (SPKI PEM) to verify against; repeatable.
    #[arg(long = "root", value_name = "PEM")]
    pub roots: Vec<PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["state", "store"])))]
pub struct SyncArgs {
    /// Key ring and sync state in a JSON file; created if missing.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// An encrypted wallet store (hce-wallet-store); created if missing.
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// The store's root key (64 hex digits) in a file; default: $HCE_WALLET_KEY.
    #[arg(long, value_name = "FILE", requires = "store")]
    pub store_key: Option<PathBuf>,
    /// Where the signed bundle is published.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// Pinned root public keys (SPKI PEM); repeatable, at least one.
    #[arg(long = "root", value_name = "PEM", required = true)]
    pub roots: Vec<PathBuf>,
    /// Whole-request timeout in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, clap::Args)]
pub struct NewRootArgs {
    /// Private key output (PKCS#8 PEM, mode 0600).
    #[arg(long, value_name = "PEM")]
    pub out: PathBuf,
    /// Public key output (SPKI PEM): what wallets pin.
    #[arg(long, value_name = "PEM")]
    pub public: PathBuf,
}

/// What can go wrong in `hcectl keys`; messages name files, never key material.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}: {message}")]
    Json { path: String, message: String },
    #[error("{path}: not a P-256 {what} key in PEM")]
    Pem { path: String, what: &'static str },
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error("{path}: key ring state unusable: {source}")]
    State { path: String, source: StateError },
    #[error("{path}: store: {message}")]
    Store { path: String, message: String },
    #[error("sync failed: {error}; next attempt after {retry_at}")]
    Sync { error: SyncError, retry_at: String },
}

impl KeysError {
    /// `1` when a sync ran and failed (e.g. a rollback was refused), `2` for bad input.
    pub fn exit_status(&self) -> u8 {
        match self {
            KeysError::Sync { .. } => 1,
            _ => 2,
        }
    }
}

/// The state file of `keys sync`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct StateFile {
    pub key_ring: KeyRingState,
    pub sync: SyncState,
}

/// Runs `hcectl keys …`; returns the process exit status.
pub fn run(args: &KeysArgs, out: &mut dyn Write) -> Result<u8, KeysError> {
    match &args.command {
        KeysCommand::Bundle(a) => bundle(a, out),
        KeysCommand::Show(a) => show(a, out),
        KeysCommand::Sync(a) => sync(a, out),
        KeysCommand::NewRoot(a) => new_root(a, out),
    }
    .map(|()| 0)
}

fn bundle(args: &BundleArgs, out: &mut dyn Write) -> Result<(), KeysError> {
    let root = read_private_key(&args.root_key)?;
    let text = read_text(&args.input)?;
    let input: BundleInput = serde_json::from_str(&text)
        .map_err(|e| KeysError::Json { path: shown(&args.input), message: e.to_string() })?;
    let bundle = input.into_bundle(Timestamp::from_secs(unix_now()))?;
    // Run the wallet's own decoder over the payload first: duplicates, empty windows and
    // limits are caught here rather than on every phone.
    decode_payload(&encode_payload(&bundle)?, &Limits::default())?;
    let bytes = sign(&bundle, &root)?;
    write_atomic(&args.out, &bytes, PUBLIC_MODE)?;
    writeln!(
        out,
        "signed bundle sequence {} ({} issuers, {} keys, {} bytes) -> {}",
        bundle.sequence,
        bundle.issuers.len(),
        bundle.key_count(),
        bytes.len(),
        args.out.display()
    )
    .map_err(stdout_error)
}

fn show(args: &ShowArgs, out: &mut dyn Write) -> Result<(), KeysError> {
    let bytes = fs::read(&args.file).map_err(|e| io_error(&args.file, e))?;
    let limits = Limits::default();
    let (bundle, info) = inspect(&bytes, &limits)?;
    let verdict = if args.roots.is_empty() {
        "not verified (no --root given)".to_owned()
    } else {
        let roots = read_roots(&args.roots)?;
        match verify(&bytes, &roots, &limits) {
            Ok(_) => "signature verifies with a pinned root".to_owned(),
            Err(e) => format!("REJECTED: {e}"),
        }
    };
    let mut text = String::new();
    text += &format!("bundle    sequence {}\n", bundle.sequence);
    text += &format!("issued    {}\n", utc(bundle.issued_at));
    text += &format!("expires   {}\n", utc(bundle.expires_at));
    text += &format!("signer    root key id {}\n", hex::encode(&info.root_key_id));
    text += &format!("sha-256   {}\n", hex::encode(info.digest));
    text += &format!("verdict   {verdict}\n");
    text += &format!("issuers   {} ({} keys)\n", bundle.issuers.len(), bundle.key_count());
    for issuer in &bundle.issuers {
        text += &format!("  issuer {}\n", issuer.issuer_id);
        for c in &issuer.collectors {
            text += &format!("    collector {}\n", c.collector_id);
            for k in &c.keys {
                text += &format!(
                    "      version {:<4} key {}…  valid {} .. {}\n",
                    k.version,
                    fingerprint(&k.public_key),
                    utc(k.not_before),
                    utc(k.not_after)
                );
            }
        }
    }
    out.write_all(text.as_bytes()).map_err(stdout_error)
}

fn sync(args: &SyncArgs, out: &mut dyn Write) -> Result<(), KeysError> {
    let roots = read_roots(&args.roots)?;
    let mut config = SyncConfig::new(args.url.clone());
    config.timeout_ms = args.timeout_ms;
    let clock = FixedClock(Timestamp(unix_now_ms()));
    let transport = UreqTransport::new();
    let outcome = match (&args.state, &args.store) {
        (Some(path), _) => {
            let state: StateFile = match fs::read_to_string(path) {
                Ok(text) => serde_json::from_str(&text)
                    .map_err(|e| KeysError::Json { path: shown(path), message: e.to_string() })?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => StateFile::default(),
                Err(e) => return Err(io_error(path, e)),
            };
            let ring = KeyRing::from_state(&state.key_ring)
                .map_err(|source| KeysError::State { path: shown(path), source })?;
            let ring = SharedKeyRing::new(ring);
            let mut engine = SyncEngine::new(config, roots, state.sync);
            engine.trigger(Trigger::Manual);
            let outcome = engine.run_once(&transport, &ring, &mut OsRandom, &clock);
            // The sync state changes on failures too (backoff, last error): always save it.
            let new_state =
                StateFile { key_ring: ring.snapshot().state(), sync: engine.state().clone() };
            let json = serde_json::to_vec_pretty(&new_state)
                .map_err(|e| KeysError::Json { path: shown(path), message: e.to_string() })?;
            write_atomic(path, &json, PRIVATE_MODE)?;
            outcome
        }
        (None, Some(path)) => {
            let key = match &args.store_key {
                Some(file) => RootKey::from_hex_file(file),
                None => RootKey::from_env(),
            }
            .map_err(|e| KeysError::Store { path: shown(path), message: e.to_string() })?;
            let store = Store::open(path, &key)
                .map_err(|e| KeysError::Store { path: shown(path), message: e.to_string() })?;
            let applier = StoreApplier(&store);
            let store_error = |message| KeysError::Store { path: shown(path), message };
            let mut engine =
                SyncEngine::new(config, roots, applier.sync_state().map_err(store_error)?);
            engine.trigger(Trigger::Manual);
            let outcome = engine.run_once(&transport, &applier, &mut OsRandom, &clock);
            applier.save_sync_state(engine.state()).map_err(store_error)?;
            outcome
        }
        (None, None) => return Err(KeysError::Input("give --state FILE or --store PATH".into())),
    };
    let line = match outcome {
        SyncOutcome::Updated(r) => format!(
            "updated: sequence {} -> {} ({} issuers, {} keys; +{} -{} ~{})",
            r.previous_sequence.map_or("none".to_owned(), |s| s.to_string()),
            r.sequence,
            r.issuers,
            r.keys,
            r.added.len(),
            r.removed.len(),
            r.changed.len()
        ),
        SyncOutcome::Unchanged { sequence, content_differs } => format!(
            "unchanged: sequence {sequence} already applied{}",
            if content_differs {
                " (WARNING: different content under the same sequence)"
            } else {
                ""
            }
        ),
        SyncOutcome::NotModified => "not modified (304)".to_owned(),
        SyncOutcome::Skipped(skip) => format!("skipped: {skip:?}"),
        SyncOutcome::Failed { error, retry_at } => {
            return Err(KeysError::Sync { error, retry_at: utc(retry_at) })
        }
    };
    writeln!(out, "{line}").map_err(stdout_error)
}

fn new_root(args: &NewRootArgs, out: &mut dyn Write) -> Result<(), KeysError> {
    let secret = random_secret();
    let pem = secret
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeysError::Input(format!("encoding the key failed: {e}")))?;
    let public = secret
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeysError::Input(format!("encoding the key failed: {e}")))?;
    write_atomic(&args.out, pem.as_bytes(), PRIVATE_MODE)?;
    write_atomic(&args.public, public.as_bytes(), PUBLIC_MODE)?;
    let kid = hce_wallet_core::key_bundle::root_key_id(&secret.public_key());
    writeln!(
        out,
        "root key id {} -> {} (public: {})",
        hex::encode(kid),
        args.out.display(),
        args.public.display()
    )
    .map_err(stdout_error)
}

/// A fresh P-256 key from the operating system's generator (a 32-byte draw is a valid
/// scalar except with probability ~2^-32; draw again then).
fn random_secret() -> SecretKey {
    loop {
        let mut bytes = Zeroizing::new([0u8; 32]);
        hce_wallet_core::ports::RandomSource::fill(&mut OsRandom, bytes.as_mut());
        if let Ok(secret) = SecretKey::from_slice(bytes.as_ref()) {
            return secret;
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BundleInput {
    sequence: u64,
    issued_at: Option<i64>,
    expires_at: Option<i64>,
    issuers: Vec<IssuerInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerInput {
    issuer_id: u64,
    collectors: Vec<CollectorInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CollectorInput {
    collector_id: u32,
    keys: Vec<KeyInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyInput {
    version: u32,
    public_key_pem: Option<String>,
    public_key_hex: Option<String>,
    not_before: i64,
    not_after: i64,
}

impl BundleInput {
    fn into_bundle(self, now: Timestamp) -> Result<KeyBundle, KeysError> {
        let issued_at = self.issued_at.map_or(now, Timestamp::from_secs);
        let expires_at = (self.expires_at.map(Timestamp::from_secs))
            .unwrap_or(issued_at.plus_millis(DEFAULT_VALIDITY.as_millis() as i64));
        let mut issuers = Vec::with_capacity(self.issuers.len());
        for i in self.issuers {
            let mut collectors = Vec::with_capacity(i.collectors.len());
            for c in i.collectors {
                let mut keys = Vec::with_capacity(c.keys.len());
                for k in c.keys {
                    let what = format!(
                        "issuer {} collector {} version {}",
                        i.issuer_id, c.collector_id, k.version
                    );
                    keys.push(KeyEntry {
                        version: k.version,
                        public_key: k.public_key(&what)?,
                        not_before: Timestamp::from_secs(k.not_before),
                        not_after: Timestamp::from_secs(k.not_after),
                    });
                }
                collectors.push(CollectorEntry { collector_id: CollectorId(c.collector_id), keys });
            }
            issuers.push(IssuerEntry { issuer_id: i.issuer_id, collectors });
        }
        Ok(KeyBundle { sequence: self.sequence, issued_at, expires_at, issuers })
    }
}

impl KeyInput {
    fn public_key(&self, what: &str) -> Result<PublicKey, KeysError> {
        match (&self.public_key_pem, &self.public_key_hex) {
            (Some(pem), None) => PublicKey::from_public_key_pem(pem).map_err(|_| {
                KeysError::Input(format!("{what}: public_key_pem is not a P-256 SPKI PEM"))
            }),
            (None, Some(h)) => hex::decode(h.trim())
                .ok()
                .and_then(|b| PublicKey::from_sec1_bytes(&b).ok())
                .ok_or_else(|| {
                    KeysError::Input(format!("{what}: public_key_hex is not a P-256 SEC1 point"))
                }),
            _ => Err(KeysError::Input(format!(
                "{what}: give exactly one of public_key_pem, public_key_hex"
            ))),
        }
    }
}

fn read_text(path: &Path) -> Result<String, KeysError> {
    fs::read_to_string(path).map_err(|e| io_error(path, e))
}

pub(crate) fn read_private_key(path: &Path) -> Result<SigningKey, KeysError> {
    let pem = Zeroizing::new(read_text(path)?);
    let secret = SecretKey::from_pkcs8_pem(&pem)
        .or_else(|_| SecretKey::from_sec1_pem(&pem))
        .map_err(|_| KeysError::Pem { path: shown(path), what: "private" })?;
    Ok(SigningKey::from(secret))
}

pub(crate) fn read_roots(paths: &[PathBuf]) -> Result<PinnedRoots, KeysError> {
    let mut keys = Vec::with_capacity(paths.len());
    for p in paths {
        let key = PublicKey::from_public_key_pem(&read_text(p)?)
            .map_err(|_| KeysError::Pem { path: shown(p), what: "public" })?;
        keys.push(key);
    }
    Ok(PinnedRoots::new(keys))
}

/// First 8 bytes of SHA-256 over the uncompressed point, as hex.
fn fingerprint(key: &PublicKey) -> String {
    hex::encode(&Sha256::digest(key.to_sec1_point(false).as_bytes())[..8])
}

/// Writes a file whole or not at all: a temp file in the same directory (created 0600,
/// so a private key is never readable by others), synced, given `mode`, then renamed.
fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeysError> {
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io_error(path, e))?;
    tmp.write_all(bytes).map_err(|e| io_error(path, e))?;
    let file = tmp.as_file();
    file.set_permissions(fs::Permissions::from_mode(mode)).map_err(|e| io_error(path, e))?;
    file.sync_all().map_err(|e| io_error(path, e))?;
    tmp.persist(path).map_err(|e| io_error(path, e.error))?;
    Ok(())
}

const PUBLIC_MODE: u32 = 0o644;
const PRIVATE_MODE: u32 = 0o600;

fn io_error(path: &Path, source: io::Error) -> KeysError {
    KeysError::Io { path: shown(path), source }
}

fn stdout_error(source: io::Error) -> KeysError {
    KeysError::Io { path: "stdout".to_owned(), source }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn unix_now_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

fn unix_now() -> i64 {
    unix_now_ms() / 1000
}

/// `2027-01-15T08:00:00Z` (proleptic Gregorian, H. Hinnant's civil-from-days).
pub fn utc(t: Timestamp) -> String {
    let secs = t.secs();
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = hce_wallet_core::time::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(Timestamp(0)), "1970-01-01T00:00:00Z");
        assert_eq!(utc(Timestamp::from_secs(1_800_000_000)), "2027-01-15T08:00:00Z");
        assert_eq!(utc(Timestamp::from_secs(1_835_438_400)), "2028-02-29T12:00:00Z");
        assert_eq!(utc(Timestamp::from_secs(-1)), "1969-12-31T23:59:59Z");
    }
}

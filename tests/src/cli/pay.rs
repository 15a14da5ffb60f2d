//! `hcectl pay --store PATH …`: payment tokens of a real encrypted store file (payment spec
//! §12): provision a test token of the generic profile (§9.4; given or random LUKs), list,
//! show counters, keys and the transaction log, every life-cycle operation with its origin
//! and reason (§12.3), device events, the default card, key replenishment, and the desktop
//! stand-in for the app's "user verified" call (CDCVM, §10).
//!
//! The root key comes from `--key-file` (64 hex digits) or `HCE_WALLET_KEY`. Card numbers
//! print as their last four digits; keys never print (only their key index).
//!
//! CDCVM is volatile in the store (it never outlives the app process). `verify` records a
//! desktop-only setting, [`CDCVM_SETTING`], that `hcectl vpcd --store` and `hcectl tap
//! --pay --store` read when they start, so a desktop session can play "the user verified
//! on the phone for N seconds".

use std::io::Write;
use std::path::PathBuf;

use hce_wallet_core::payment::lifecycle::{DeviceEvent, Transition};
use hce_wallet_core::payment::ports::{CdcvmMethod, PaymentJournal, TokenSource, Verification};
use hce_wallet_core::payment::sample::{sample_keys, sample_token, with_luhn_digit};
use hce_wallet_core::payment::token::{
    CardRef, CvmPolicy, LimitedUseKey, Mpan, Origin, ReasonCode, TokenId, LUK_LEN,
};
use hce_wallet_core::ports::Clock;
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::{RootKey, Store};
use zeroize::Zeroizing;

use super::CliError;

/// The store setting `hcectl pay verify` writes: `<until ms> <method>`.
pub const CDCVM_SETTING: &str = "desktop.cdcvm";

#[derive(clap::Args, Debug)]
pub struct PayArgs {
    /// The store file (created empty if missing); every action but sign-* needs it.
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// File holding the 64-hex-digit root key (default: $HCE_WALLET_KEY).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    #[command(subcommand)]
    pub action: PayAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum PayAction {
    /// Provision a test token of the generic profile (Active unless --pending)
    Provision(ProvisionArgs),
    /// List the tokens: reference, state, last four, default, keys left
    List,
    /// One token: card data (last four only), ATC, keys (index only), log, history
    Show { token: String },
    /// Pending → Active (the token service activated it)
    Activate { token: String },
    /// Suspend (report lost when --origin user)
    Suspend(ChangeArgs),
    /// Lift the origin's suspension (un-report, issuer resume, card un-report, device found)
    Resume(ChangeArgs),
    /// Delete (cancel): keys wiped, terminal state
    Delete(ChangeArgs),
    /// An issuer event on the physical card, cascaded to its token
    Card {
        card_ref: String,
        #[arg(value_enum)]
        op: CardOp,
        #[arg(long, value_enum)]
        reason: Option<ReasonArg>,
    },
    /// A device or account event
    Device {
        #[arg(value_enum)]
        event: DeviceArg,
    },
    /// Make a token the default card
    Default { token: String },
    /// Add a fresh key batch
    Replenish {
        token: String,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// A consumer-presented payment QR (EMV QRCPS) from the default token: spends an ATC
    /// like a tap; needs a `verify` window. Prints the base64 payload and the code.
    Qr {
        /// Also write the code as a PBM image (for a scanner such as zbarimg)
        #[arg(long, value_name = "FILE")]
        pbm: Option<PathBuf>,
    },
    /// Sign a provisioning payload (or replenishment batch) as the token service (no store)
    SignProvisioning(super::pay_sign::SignProvisioningArgs),
    /// Sign a status message of one life-cycle event as the token service (no store)
    SignStatus(super::pay_sign::SignStatusArgs),
    /// Talk to the token service once (as the app's Wallet.syncTokens): send the queued
    /// user requests, apply the device's signed status window, replenish low keys
    Sync(super::pay_sync::SyncArgs),
    /// The user verified on the phone for N seconds (desktop stand-in, read at start by
    /// `hcectl vpcd --store` and `hcectl tap --pay --store`)
    Verify {
        #[arg(long, default_value_t = 60)]
        seconds: u32,
        #[arg(long, value_enum, default_value_t = MethodArg::Biometric)]
        method: MethodArg,
    },
}

#[derive(clap::Args, Debug)]
pub struct ProvisionArgs {
    /// Token reference (default: tok-N, N = tokens stored + 1)
    #[arg(long)]
    pub token_ref: Option<String>,
    /// Opaque card reference (default: card-N); at most one live token per card
    #[arg(long)]
    pub card_ref: Option<String>,
    /// The MPAN, 12–19 digits passing Luhn (default: the spec's fixture for N = 0, else a
    /// synthetic 6231… number)
    #[arg(long)]
    pub mpan: Option<String>,
    /// Application AID in hex (default: UnionPay credit A000000333010102)
    #[arg(long)]
    pub aid: Option<String>,
    /// Application label (default "UP CREDIT")
    #[arg(long)]
    pub label: Option<String>,
    /// Verify the user on the phone for every transaction (Huawei Pay's policy)
    #[arg(long)]
    pub every_transaction_cvm: bool,
    /// Leave the token Pending (activate it later)
    #[arg(long)]
    pub pending: bool,
    #[command(flatten)]
    pub keys: KeyArgs,
}

#[derive(clap::Args, Debug)]
pub struct KeyArgs {
    /// The first LUK, 32 hex digits (default: the §9.4 test LUK for a sample key batch)
    #[arg(long, value_name = "HEX")]
    pub luk: Option<String>,
    /// Random LUKs from the OS generator instead
    #[arg(long, conflicts_with = "luk")]
    pub random_luk: bool,
    /// Keys in the batch
    #[arg(long, default_value_t = 2)]
    pub keys: u8,
    /// Transactions per key
    #[arg(long, default_value_t = 10)]
    pub per_key: u32,
}

#[derive(clap::Args, Debug)]
pub struct ChangeArgs {
    pub token: String,
    #[arg(long, value_enum, default_value_t = OriginArg::User)]
    pub origin: OriginArg,
    #[arg(long, value_enum)]
    pub reason: Option<ReasonArg>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum OriginArg {
    User,
    Issuer,
    Card,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum CardOp {
    Suspend,
    Resume,
    Update,
    Delete,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ReasonArg {
    Lost,
    Stolen,
    Fraudulent,
    Found,
    FraudCleared,
    AccountClosed,
    ConsumerDeleted,
    Reissued,
    Other,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum DeviceArg {
    Lost,
    Found,
    Wiped,
    Restored,
    SignedOut,
    CredentialRemoved,
    CredentialSet,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum MethodArg {
    Biometric,
    Passcode,
    WalletPin,
}

impl From<OriginArg> for Origin {
    fn from(o: OriginArg) -> Origin {
        match o {
            OriginArg::User => Origin::User,
            OriginArg::Issuer => Origin::IssuerOnToken,
            OriginArg::Card => Origin::IssuerOnCard,
        }
    }
}
impl From<ReasonArg> for ReasonCode {
    fn from(r: ReasonArg) -> ReasonCode {
        match r {
            ReasonArg::Lost => ReasonCode::Lost,
            ReasonArg::Stolen => ReasonCode::Stolen,
            ReasonArg::Fraudulent => ReasonCode::Fraudulent,
            ReasonArg::Found => ReasonCode::Found,
            ReasonArg::FraudCleared => ReasonCode::FraudCleared,
            ReasonArg::AccountClosed => ReasonCode::AccountClosed,
            ReasonArg::ConsumerDeleted => ReasonCode::ConsumerDeleted,
            ReasonArg::Reissued => ReasonCode::Reissued,
            ReasonArg::Other => ReasonCode::Other,
        }
    }
}
impl From<DeviceArg> for DeviceEvent {
    fn from(d: DeviceArg) -> DeviceEvent {
        match d {
            DeviceArg::Lost => DeviceEvent::Lost,
            DeviceArg::Found => DeviceEvent::Found,
            DeviceArg::Wiped => DeviceEvent::Wiped,
            DeviceArg::Restored => DeviceEvent::Restored,
            DeviceArg::SignedOut => DeviceEvent::SignedOut,
            DeviceArg::CredentialRemoved => DeviceEvent::CredentialRemoved,
            DeviceArg::CredentialSet => DeviceEvent::CredentialSet,
        }
    }
}
impl From<MethodArg> for CdcvmMethod {
    fn from(m: MethodArg) -> CdcvmMethod {
        match m {
            MethodArg::Biometric => CdcvmMethod::Biometric,
            MethodArg::Passcode => CdcvmMethod::DevicePasscode,
            MethodArg::WalletPin => CdcvmMethod::WalletPin,
        }
    }
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

fn now() -> Timestamp {
    crate::demo_wallet::SystemClock.now()
}

/// Opens the store named by `--store` with the key of `--key-file` or `HCE_WALLET_KEY`.
pub fn open_store(
    store: &std::path::Path,
    key_file: Option<&std::path::Path>,
) -> Result<Store, CliError> {
    let key = match key_file {
        Some(f) => RootKey::from_hex_file(f)
            .map_err(|e| usage(format!("--key-file {}: {e}", f.display())))?,
        None => RootKey::from_env().map_err(|e| usage(format!("HCE_WALLET_KEY: {e}")))?,
    };
    Store::open(store, &key).map_err(|e| usage(format!("--store {}: {e}", store.display())))
}

/// The CDCVM window a desktop session recorded with `hcectl pay verify`, if still open.
pub fn desktop_verification(store: &Store) -> Verification {
    let Ok(Some(v)) = store.setting(CDCVM_SETTING) else { return Verification::default() };
    let mut parts = v.split(' ');
    let until = parts.next().and_then(|s| s.parse::<i64>().ok());
    let method = match parts.next() {
        Some("Biometric") => Some(CdcvmMethod::Biometric),
        Some("DevicePasscode") => Some(CdcvmMethod::DevicePasscode),
        Some("WalletPin") => Some(CdcvmMethod::WalletPin),
        _ => None,
    };
    Verification { until: until.map(Timestamp::from_secs), method }
}

fn parse_hex16(flag: &str, hex: &str) -> Result<Zeroizing<[u8; LUK_LEN]>, CliError> {
    let bytes = Zeroizing::new(
        hex::decode(hex.trim()).map_err(|_| usage(format!("{flag}: expected 32 hex digits")))?,
    );
    let arr: [u8; LUK_LEN] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| usage(format!("{flag}: expected 32 hex digits, got {}", hex.trim().len())))?;
    Ok(Zeroizing::new(arr))
}

fn key_batch(n: usize, args: &KeyArgs) -> Result<Vec<LimitedUseKey>, CliError> {
    if args.keys == 0 || args.per_key == 0 {
        return Err(usage("--keys and --per-key must be at least 1"));
    }
    let mut keys = sample_keys(n, args.keys, args.per_key, now());
    if let Some(hex) = &args.luk {
        let first = parse_hex16("--luk", hex)?;
        if let Some(k) = keys.first_mut() {
            k.key = first;
        }
    }
    if args.random_luk {
        for k in &mut keys {
            getrandom_fill(k.key.as_mut())?;
        }
    }
    Ok(keys)
}

fn getrandom_fill(buf: &mut [u8]) -> Result<(), CliError> {
    use hce_wallet_core::ports::{OsRandom, RandomSource};
    OsRandom.fill(buf);
    Ok(())
}

fn token_id(s: &str) -> Result<TokenId, CliError> {
    TokenId::new(s).map_err(|e| usage(format!("TOKEN {s:?}: {e}")))
}

fn run_signing(action: &PayAction, out: &mut dyn Write) -> Result<u8, CliError> {
    match action {
        PayAction::SignProvisioning(a) => super::pay_sign::sign_provisioning_cmd(a, out),
        PayAction::SignStatus(a) => super::pay_sign::sign_status_cmd(a, out),
        _ => Err(usage("not a signing action")),
    }
}

/// Runs one `hcectl pay` action. Exit status 0 on success, 1 when the operation was
/// refused (the reason is printed), errors for bad input.
pub fn run(args: &PayArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    if let PayAction::SignProvisioning(_) | PayAction::SignStatus(_) = &args.action {
        // The token service's side: no store.
        return run_signing(&args.action, out);
    }
    let store_path = args.store.as_deref().ok_or_else(|| usage("--store PATH is required"))?;
    if let PayAction::Sync(a) = &args.action {
        // Through the wallet facade, which opens the store itself.
        return super::pay_sync::sync_cmd(store_path, args.key_file.as_deref(), a, out);
    }
    let store = open_store(store_path, args.key_file.as_deref())?;
    let fail =
        |e: hce_wallet_store::StoreError| usage(format!("--store {}: {e}", store_path.display()));
    let refused = |out: &mut dyn Write, e: &dyn std::fmt::Display| -> Result<u8, CliError> {
        writeln!(out, "refused: {e}")?;
        Ok(1)
    };
    let events = |out: &mut dyn Write,
                  ev: Vec<hce_wallet_core::events::PaymentEvent>|
     -> Result<u8, CliError> {
        for e in ev {
            writeln!(
                out,
                "{}\t{}\t{}",
                e.name(),
                e.token().map(|t| t.as_str()).unwrap_or("-"),
                e.detail()
            )?;
        }
        Ok(0)
    };
    match &args.action {
        PayAction::Provision(p) => {
            let n = store.token_records().map_err(fail)?.len().saturating_add(1);
            let mut token = sample_token(n);
            if n == 1 && p.mpan.is_none() {
                token.mpan = sample_token(0).mpan;
            }
            if let Some(r) = &p.token_ref {
                token.id = token_id(r)?;
            }
            if let Some(c) = &p.card_ref {
                token.card =
                    CardRef::new(c.as_str()).map_err(|e| usage(format!("--card-ref: {e}")))?;
            }
            if let Some(m) = &p.mpan {
                token.mpan = Mpan::new(m).map_err(|e| {
                    usage(format!("--mpan: {e} (e.g. {})", with_luhn_digit("623100000000000")))
                })?;
            }
            if let Some(a) = &p.aid {
                let aid = hex::decode(a).map_err(|_| usage("--aid: expected hex"))?;
                if !(5..=16).contains(&aid.len()) {
                    return Err(usage(format!("--aid: expected 5 to 16 bytes, got {}", aid.len())));
                }
                token.profile.aid = aid;
            }
            if let Some(l) = &p.label {
                if l.is_empty() || l.len() > 16 || !l.is_ascii() {
                    return Err(usage("--label: expected 1 to 16 ASCII characters"));
                }
                token.profile.label = l.clone();
            }
            if p.every_transaction_cvm {
                token.profile.cvm_policy = CvmPolicy::EveryTransaction;
            }
            let keys = key_batch(n, &p.keys)?;
            match store.provision_token(&token, &keys, !p.pending, now()) {
                Ok(ev) => {
                    writeln!(
                        out,
                        "provisioned {} …{} ({} keys)",
                        token.id,
                        token.mpan.last_four(),
                        keys.len()
                    )?;
                    events(out, ev)
                }
                Err(e) => refused(out, &e),
            }
        }
        PayAction::List => {
            let records = store.token_records().map_err(fail)?;
            for r in &records {
                let id = token_id(&r.token_ref)?;
                let left = match store.current_key(&id, now()).budget {
                    hce_wallet_core::payment::token::KeyBudget::Available {
                        transactions_left,
                        low,
                    } => {
                        format!("{transactions_left} left{}", if low { " (low)" } else { "" })
                    }
                    other => format!("{other:?}"),
                };
                let last4 =
                    r.mpan.expose().get(r.mpan.expose().len().saturating_sub(4)..).unwrap_or("");
                writeln!(
                    out,
                    "{}\t{:?}\t…{}\t{}\tATC {:04X}\tkeys {}\t{}",
                    r.token_ref,
                    r.state,
                    last4,
                    if r.is_default { "default" } else { "-" },
                    r.atc,
                    left,
                    r.label
                )?;
            }
            writeln!(out, "{} tokens", records.len())?;
            Ok(0)
        }
        PayAction::Show { token } => {
            let id = token_id(token)?;
            let Some(t) = store.token(&id) else {
                writeln!(out, "no token {token}")?;
                return Ok(1);
            };
            writeln!(out, "token       {}", t.token.id)?;
            writeln!(out, "card        {}", t.token.card.as_str())?;
            writeln!(out, "mpan        …{}", t.token.mpan.last_four())?;
            writeln!(
                out,
                "expiry      {:04}-{:02}",
                t.token.expiry.year(),
                t.token.expiry.month()
            )?;
            writeln!(out, "aid         {}", hex::encode_upper(&t.token.profile.aid))?;
            writeln!(
                out,
                "state       {:?}{}",
                t.state,
                if t.is_default { " (default)" } else { "" }
            )?;
            writeln!(out, "cvm         {:?}", t.token.profile.cvm_policy)?;
            writeln!(out, "atc         {:04X}", store.last_atc(&id).map(|a| a.0).unwrap_or(0))?;
            let cur = store.current_key(&id, now());
            writeln!(
                out,
                "key         {} {:?}",
                cur.key.map(|k| hex::encode_upper(k.key_index)).unwrap_or_else(|| "-".into()),
                cur.budget
            )?;
            for e in store.token_log(&id).map_err(fail)? {
                writeln!(
                    out,
                    "log         ATC {:04X} key {} amount {} currency {:04X} cdcvm {} {}",
                    e.atc.0,
                    hex::encode_upper(e.key_index),
                    e.amount,
                    e.currency,
                    e.cdcvm,
                    e.cryptogram
                        .map(|(ac, cid)| format!("AC {} CID {cid:02X}", hex::encode_upper(ac)))
                        .unwrap_or_default()
                )?;
            }
            if let Some(r) = store.token_book().map_err(fail)?.get(&id) {
                for h in &r.history {
                    writeln!(
                        out,
                        "history     {} {:?} -> {:?} by {:?} ({:?})",
                        h.operation, h.from, h.to, h.origin, h.reason
                    )?;
                }
            }
            Ok(0)
        }
        PayAction::Activate { token } => {
            match store.apply_token(
                &token_id(token)?,
                Transition::Activate,
                Origin::IssuerOnToken,
                None,
                now(),
            ) {
                Ok(ev) => events(out, ev),
                Err(e) => refused(out, &e),
            }
        }
        PayAction::Suspend(c) | PayAction::Resume(c) | PayAction::Delete(c) => {
            let transition = match &args.action {
                PayAction::Suspend(_) => Transition::Suspend,
                PayAction::Resume(_) => Transition::Resume,
                _ => Transition::Delete,
            };
            match store.apply_token(
                &token_id(&c.token)?,
                transition,
                c.origin.into(),
                c.reason.map(Into::into),
                now(),
            ) {
                Ok(ev) => events(out, ev),
                Err(e) => refused(out, &e),
            }
        }
        PayAction::Card { card_ref, op, reason } => {
            let card =
                CardRef::new(card_ref.as_str()).map_err(|e| usage(format!("CARD_REF: {e}")))?;
            let transition = match op {
                CardOp::Suspend => Transition::Suspend,
                CardOp::Resume => Transition::Resume,
                CardOp::Update => Transition::Update(Default::default()),
                CardOp::Delete => Transition::Delete,
            };
            match store.apply_card(&card, transition, reason.map(Into::into), now()) {
                Ok(ev) => events(out, ev),
                Err(e) => refused(out, &e),
            }
        }
        PayAction::Device { event } => match store.device_event((*event).into(), now()) {
            Ok(ev) => events(out, ev),
            Err(e) => refused(out, &e),
        },
        PayAction::Default { token } => match store.set_default_token(&token_id(token)?) {
            Ok(ev) => events(out, ev),
            Err(e) => refused(out, &e),
        },
        PayAction::Replenish { token, keys } => {
            let id = token_id(token)?;
            let n = store
                .token_records()
                .map_err(fail)?
                .iter()
                .position(|r| r.token_ref == id.as_str())
                .unwrap_or(0);
            let mut batch = key_batch(n.saturating_add(1), keys)?;
            // Fresh key indexes: the batch number goes into the second byte.
            let held = store
                .token_records()
                .map_err(fail)?
                .iter()
                .find(|r| r.token_ref == id.as_str())
                .map_or(0, |r| r.keys.len());
            for (i, k) in batch.iter_mut().enumerate() {
                k.key_index[1] =
                    u8::try_from(held.saturating_add(i).saturating_add(2) % 256).unwrap_or(0);
            }
            match store.replenish_token(&id, &batch) {
                Ok(()) => {
                    writeln!(out, "replenished {id}: {} keys", batch.len())?;
                    Ok(0)
                }
                Err(e) => refused(out, &e),
            }
        }
        PayAction::Qr { pbm } => {
            store.set_verification(desktop_verification(&store));
            let mut un = [0u8; 4];
            getrandom_fill(&mut un)?;
            let engine = hce_wallet_core::payment::cryptogram::GenericProfile;
            match hce_wallet_core::payment::qr::present(&store, &store, &engine, now(), un) {
                Ok(qr) => {
                    let text = qr.base64();
                    writeln!(out, "token {} ATC {:04X}", qr.token, qr.atc.0)?;
                    writeln!(out, "{text}")?;
                    super::pay_qr::render(&text, out, pbm.as_deref())?;
                    Ok(0)
                }
                Err(e) => refused(out, &e),
            }
        }
        PayAction::Verify { seconds, method } => {
            let until = now().secs().saturating_add(i64::from(*seconds));
            let method: CdcvmMethod = (*method).into();
            store.set_setting(CDCVM_SETTING, &format!("{until} {method:?}")).map_err(fail)?;
            writeln!(out, "user verified ({method:?}) for {seconds} s")?;
            Ok(0)
        }
        PayAction::SignProvisioning(_) | PayAction::SignStatus(_) | PayAction::Sync(_) => {
            run_signing(&args.action, out)
        }
    }
}

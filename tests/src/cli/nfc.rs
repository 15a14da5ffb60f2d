//! `hcectl nfc show|read`: issuer NFC passes on the desktop.
//!
//! - `show [--nfc PATH]… | --store PATH`: each pass's AID, files (ID, size, access
//!   conditions, remark) and keys by number, algorithm and tries left — never a key value or
//!   file content; with `--store`, also the store's NFC use log (`nfc.*` events).
//! - `import --store PATH FILE…`: puts passes into an encrypted store: fixtures, Huawei
//!   `HwWalletObject` JSON (`--huawei`), Google generic objects with the `hceWalletNfc`
//!   extension (`--google`), or signed packages (`--issuer-key PEM`, verified
//!   against the issuer's public key before anything is parsed; a tampered one exits 1).
//! - `sign --key PEM --out FILE JSON`: signs an `HwWalletObject` as a package (demos, tests).
//! - `read --key HEX [--pcsc [READER]]`: the reference reader ([`crate::nfc_reader`]) opens
//!   the door: SELECT, EXTERNAL and INTERNAL AUTHENTICATE, READ BINARY of the file. In
//!   process (no `--pcsc`) it then prints the use log the applet reported.
//!   Exit 0 with the file in hex; 1 when the card refused (the status word is printed).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use hce_wallet_core::events::WalletEvent;
use hce_wallet_core::nfc_pass::applet::{NfcPassApplet, NfcPassPorts};
use hce_wallet_core::nfc_pass::model::{Access, KeyAlgorithm, NfcPass};
use hce_wallet_core::ports::{EventLog, EventSink, OsRandom};
use hce_wallet_core::router::Router;
use hce_wallet_store::Store;

use crate::card::RouterCard;
use crate::cli::keys::{read_private_key, read_roots};
use crate::cli::pay::open_store;
use crate::cli::{nfc_applet, CliError};
use crate::nfc_reader::{NfcReader, ReaderAlgorithm, ReaderError, ReaderKey};
use crate::pcsc::PcscCard;
use hce_wallet_core::key_bundle::sign_envelope;
use hce_wallet_core::nfc_pass::{fixture, huawei};

#[derive(Debug, clap::Args)]
pub struct NfcArgs {
    #[command(subcommand)]
    pub command: NfcCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum NfcCommand {
    /// Files and key IDs of NFC pass fixtures (the demo door key without --nfc) or of a store
    Show {
        #[arg(long, value_name = "PATH", conflicts_with = "store")]
        nfc: Vec<PathBuf>,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Put NFC passes into an encrypted store (fixtures, Huawei JSON, signed packages)
    Import {
        #[command(flatten)]
        store: StoreArg,
        /// The files are Huawei `HwWalletObject` JSON with an NFC part
        #[arg(long, conflicts_with = "google")]
        huawei: bool,
        /// The files are Google Wallet generic objects with the `hceWalletNfc` extension
        #[arg(long)]
        google: bool,
        /// The files are signed packages: verify them against this issuer public key (SPKI PEM)
        #[arg(long = "issuer-key", value_name = "PEM", conflicts_with_all = ["huawei", "google"])]
        issuer_key: Vec<PathBuf>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Sign an `HwWalletObject` JSON as an NFC pass package
    Sign {
        /// The issuer's private key (PKCS#8 or SEC1 PEM)
        #[arg(long, value_name = "PEM")]
        key: PathBuf,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        json: PathBuf,
    },
    /// The reference reader authenticates and reads one file
    Read(ReadArgs),
}

/// An encrypted store file and its key.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArg {
    /// The wallet store file
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// File holding the 64-hex-digit root key (default: $HCE_WALLET_KEY)
    #[arg(long, value_name = "FILE", requires = "store")]
    pub key_file: Option<PathBuf>,
}

impl StoreArg {
    fn open(&self) -> Result<Option<Arc<Store>>, CliError> {
        match &self.store {
            Some(path) => Ok(Some(Arc::new(open_store(path, self.key_file.as_deref())?))),
            None => Ok(None),
        }
    }
}

/// How many `nfc.*` events `show --store` prints at most.
const USE_LOG: usize = 20;

#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// The pass's AID in hex (default: the demo door key's)
    #[arg(long, value_name = "HEX")]
    pub aid: Option<String>,
    /// The file ID in hex
    #[arg(long, value_name = "FID", default_value = "0101")]
    pub file: String,
    /// The key number (EXTERNAL AUTHENTICATE P2)
    #[arg(long, default_value_t = 1)]
    pub key_number: u8,
    /// The 16-byte key in hex
    #[arg(long, value_name = "HEX")]
    pub key: String,
    /// The key is two-key TDES (default AES-128)
    #[arg(long)]
    pub tdes: bool,
    /// Read a PC/SC card (the first reader with a card, or the first whose name contains READER)
    #[arg(long, value_name = "READER", num_args = 0..=1, default_missing_value = "")]
    pub pcsc: Option<String>,
    /// In process: serve these fixtures instead of the demo door key
    #[arg(long, value_name = "PATH", conflicts_with_all = ["pcsc", "store"])]
    pub nfc: Vec<PathBuf>,
    /// In process: serve the NFC passes of this store (writes, counters and the use log
    /// are saved in it)
    #[command(flatten)]
    pub store: StoreArg,
}

fn access(a: Access) -> String {
    match a {
        Access::Always => "always".into(),
        Access::Never => "never".into(),
        Access::Key(k) => format!("key {k}"),
    }
}

/// Writes the description of one pass (no secrets).
pub fn show(pass: &NfcPass, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "pass {} ({}), {:?}", pass.id, pass.organization, pass.state)?;
    writeln!(out, "  AID {}", pass.aid)?;
    if let Some(url) = &pass.callback_url {
        writeln!(out, "  callback {url}")?;
    }
    writeln!(out, "  sync across devices: {}", pass.sync_across_devices)?;
    for f in pass.files() {
        writeln!(
            out,
            "  file {} {:>5} bytes  read {:<7} write {:<7} {}",
            f.id,
            f.size(),
            access(f.read),
            access(f.write),
            f.remark
        )?;
    }
    for k in pass.keys() {
        let algorithm = match k.algorithm {
            KeyAlgorithm::Aes128 => "AES-128",
            KeyAlgorithm::Tdes2Key => "TDES-2KEY",
        };
        writeln!(
            out,
            "  key {} {algorithm}, {}/{} tries left",
            k.number, k.remaining, k.max_tries
        )?;
    }
    Ok(())
}

fn hex_arg<const N: usize>(name: &str, text: &str) -> Result<[u8; N], CliError> {
    hex::decode(text.replace(' ', ""))
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| CliError::Usage(format!("--{name}: expected {N} bytes in hex")))
}

pub fn run(args: &NfcArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    match &args.command {
        NfcCommand::Import { store, huawei, google, issuer_key, files } => {
            let Some(store) = store.open()? else {
                return Err(CliError::Usage("import needs --store PATH".into()));
            };
            let roots = if issuer_key.is_empty() {
                None
            } else {
                Some(read_roots(issuer_key).map_err(|e| CliError::Usage(e.to_string()))?)
            };
            for path in files {
                let shown = path.display();
                let bytes =
                    std::fs::read(path).map_err(|e| CliError::Usage(format!("{shown}: {e}")))?;
                let pass = match (&roots, huawei) {
                    _ if *google => {
                        hce_wallet_core::nfc_pass::google::import_generic_object(&bytes)
                            .map_err(|e| e.to_string())
                    }
                    (Some(roots), _) => huawei::import_signed(&bytes, roots)
                        .map(|h| h.pass)
                        .map_err(|e| e.to_string()),
                    (None, true) => {
                        huawei::import_json(&bytes).map(|h| h.pass).map_err(|e| e.to_string())
                    }
                    (None, false) => fixture::parse(&bytes).map_err(|e| e.to_string()),
                };
                let pass = match pass {
                    Ok(p) => p,
                    Err(e) => {
                        writeln!(out, "refused {shown}: {e}")?;
                        return Ok(1);
                    }
                };
                store.put_nfc_pass(&pass).map_err(|e| CliError::Usage(e.to_string()))?;
                writeln!(out, "imported {} (AID {})", pass.id, pass.aid)?;
            }
            Ok(0)
        }
        NfcCommand::Sign { key, out: path, json } => {
            let key = read_private_key(key).map_err(|e| CliError::Usage(e.to_string()))?;
            let body = std::fs::read(json)
                .map_err(|e| CliError::Usage(format!("{}: {e}", json.display())))?;
            let package = sign_envelope(&body, huawei::PACKAGE_CONTENT_TYPE, &key)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            std::fs::write(path, &package)?;
            writeln!(out, "signed {} bytes into {}", package.len(), path.display())?;
            Ok(0)
        }
        NfcCommand::Show { nfc, store } => {
            if let Some(store) = store.open()? {
                let passes = store.nfc_passes().map_err(|e| CliError::Usage(e.to_string()))?;
                for p in &passes {
                    show(p, out)?;
                }
                let events =
                    store.events(usize::MAX).map_err(|e| CliError::Usage(e.to_string()))?;
                let uses: Vec<_> = events.iter().filter(|e| e.kind.starts_with("nfc.")).collect();
                writeln!(out, "use log ({} event(s), last {USE_LOG}):", uses.len())?;
                for e in uses.iter().rev().take(USE_LOG).rev() {
                    writeln!(
                        out,
                        "  #{} {} {} {}",
                        e.seq,
                        e.kind,
                        e.object_id.as_deref().unwrap_or("-"),
                        e.detail.as_deref().unwrap_or("")
                    )?;
                }
                return Ok(0);
            }
            let passes = if nfc.is_empty() {
                vec![crate::demo_nfc::demo_pass().map_err(|e| CliError::Usage(e.to_string()))?]
            } else {
                crate::demo_nfc::load(nfc).map_err(CliError::Usage)?
            };
            for p in &passes {
                show(p, out)?;
            }
            Ok(0)
        }
        NfcCommand::Read(read) => run_read(read, out),
    }
}

fn run_read(args: &ReadArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let aid = match &args.aid {
        Some(a) => {
            hex::decode(a.replace(' ', "")).map_err(|e| CliError::Usage(format!("--aid: {e}")))?
        }
        None => crate::demo_nfc::DEMO_AID.to_vec(),
    };
    let fid = u16::from_be_bytes(hex_arg::<2>("file", &args.file)?);
    let algorithm = if args.tdes { ReaderAlgorithm::Tdes2Key } else { ReaderAlgorithm::Aes128 };
    let key = ReaderKey::new(args.key_number, algorithm, hex_arg::<16>("key", &args.key)?);
    let mut rnd_ifd = [0u8; 8];
    hce_wallet_core::ports::RandomSource::fill(&mut OsRandom, &mut rnd_ifd);
    let events = Arc::new(EventLog::default());
    let (result, transcript) = match &args.pcsc {
        Some(reader) => {
            let card = PcscCard::connect(Some(reader.as_str()).filter(|r| !r.is_empty()))?;
            eprintln!("hcectl nfc read: PC/SC reader {:?}", card.reader());
            let mut reader = NfcReader::new(card);
            (reader.open_door(&aid, &key, fid, rnd_ifd), reader.transcript)
        }
        None => {
            let store = args.store.open()?;
            let mut router = Router::new();
            match &store {
                Some(store) => router.register(Box::new(NfcPassApplet::new(NfcPassPorts {
                    source: store.clone(),
                    journal: store.clone(),
                    events: Arc::new(Tee(store.clone(), events.clone())),
                    random: Box::new(OsRandom),
                }))),
                None => router.register(Box::new(nfc_applet(&args.nfc, events.clone())?)),
            };
            let mut reader = NfcReader::new(RouterCard::new(router));
            let result = reader.open_door(&aid, &key, fid, rnd_ifd);
            // The phone leaves the field: the applet reports the use.
            reader.card_mut().deactivate();
            if let Some(store) = &store {
                store.flush_events().map_err(|e| CliError::Usage(e.to_string()))?;
            }
            (result, reader.transcript)
        }
    };
    for r in &transcript {
        if let Some((_, sw)) = r.split_last_chunk::<2>() {
            writeln!(out, "< {} bytes, SW {}", r.len().saturating_sub(2), hex::encode_upper(sw))?;
        }
    }
    for e in events.take() {
        if let WalletEvent::NfcPass(n) = e {
            writeln!(
                out,
                "event {} {}: {}",
                n.name(),
                n.pass().map_or("-", |p| p.as_str()),
                n.detail()
            )?;
        }
    }
    match result {
        Ok(data) => {
            writeln!(out, "file {fid:04X}: {}", hex::encode_upper(&data))?;
            Ok(0)
        }
        Err(ReaderError::Card(e)) => Err(e.into()),
        Err(e) => {
            writeln!(out, "refused: {e}")?;
            Ok(1)
        }
    }
}

/// Events to the store's log and to the printed list at once.
struct Tee(Arc<Store>, Arc<EventLog>);
impl EventSink for Tee {
    fn emit(&self, event: WalletEvent) {
        self.0.emit(event.clone());
        self.1.emit(event);
    }
}

//! `hcectl vpcd [--host H --port P] [--store PATH]`: serves the in-process card to
//! vsmartcard's vpcd driver (see [`crate::vpcd`]) until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};

use crate::cli::{CardFactory, CardOptions, CliError};
use crate::vpcd::{self, Config, Event};

#[derive(Debug, clap::Args)]
pub struct VpcdArgs {
    /// Where vpcd listens
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// vpcd's port (its reader.conf CHANNELID; 35963 is the first slot)
    #[arg(long, default_value_t = vpcd::DEFAULT_PORT)]
    pub port: u16,
    /// Serve this wallet store instead of the built-in wallet
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
    #[command(flatten)]
    pub pay: crate::demo_pay::PayOptions,
    /// Serve these issuer NFC pass fixtures (JSON) instead of the demo door key
    #[arg(long, value_name = "PATH")]
    pub nfc: Vec<PathBuf>,
    /// Serve the shared e2e Smart Tap vector's wallet (transport tests)
    #[arg(long, hide = true, conflicts_with = "store")]
    pub vector_wallet: bool,
    /// The ATR to present, in hex
    #[arg(long, value_name = "HEX")]
    pub atr: Option<String>,
    /// Print only connections and errors, not every APDU
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: &VpcdArgs, factory: CardFactory<'_>) -> Result<(), CliError> {
    let mut config = Config { host: args.host.clone(), port: args.port, ..Config::default() };
    if let Some(atr) = &args.atr {
        config.atr = hex::decode(atr.replace(' ', ""))
            .map_err(|e| CliError::Usage(format!("--atr {atr}: {e} (expected hex bytes)")))?;
    }
    let mut card = factory(&CardOptions {
        store: args.store.clone(),
        vector_wallet: args.vector_wallet,
        pay: args.pay.clone(),
        nfc: args.nfc.clone(),
    })?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // The first signal asks the bridge to stop; a second one exits at once.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))?;
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    eprintln!("hcectl vpcd: serving on {}:{} (Ctrl-C stops)", config.host, config.port);
    let quiet = args.quiet;
    let stats = vpcd::serve(&config, &mut card, &stop, &mut |event| match event {
        Event::Connected(to) => eprintln!("hcectl vpcd: connected to vpcd at {to}"),
        Event::Disconnected(why) => {
            eprintln!("hcectl vpcd: vpcd connection lost ({why}); reconnecting")
        }
        Event::Unknown(body) => {
            eprintln!("hcectl vpcd: ignored unknown message {}", hex::encode(body))
        }
        _ if quiet => {}
        Event::Apdu { command_len, sw } => {
            eprintln!("hcectl vpcd: APDU {command_len} bytes -> SW {}", hex::encode_upper(sw))
        }
        Event::PowerOn => eprintln!("hcectl vpcd: power on"),
        Event::PowerOff => eprintln!("hcectl vpcd: power off (field session ended)"),
        Event::Reset => eprintln!("hcectl vpcd: reset (field session ended)"),
    })?;
    eprintln!(
        "hcectl vpcd: stopped after {} connection(s), {} APDU(s)",
        stats.connections, stats.apdus
    );
    Ok(())
}

//! `hcectl tap`: one Smart Tap read by the reference terminal, printed as an annotated
//! transcript ending in the decrypted `smartTapRedemptionValue` (smart-tap spec §6, §8).
//!
//! Cards: the embedded demo wallet (default, and `--demo` which taps every demo collector),
//! a PC/SC reader (`--pcsc [READER]`), the vpcd virtual reader (`--vpcd`), or a recorded
//! APDU script (`--replay FILE`, e.g. `shared/vectors/smart-tap/e2e-loyalty-2018.apdu` with
//! the vector's terminal randomness injected through the hidden `--session-id`,
//! `--terminal-nonce`, `--terminal-ephemeral`).
//!
//! The demo wallet and the PC/SC and vpcd transports are built by other parts of the
//! harness; [`wiring`] is the one place that connects them.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Write;
use std::path::PathBuf;

use hce_wallet_core::ports::{CollectorId, PushData};
use p256::ecdsa::SigningKey;
use p256::SecretKey;

use crate::card::{Card, CardError, RouterCard, ScriptedCard};
use crate::demo;
use crate::terminal::commands::PCR_ZLIB;
use crate::terminal::{
    sw_meaning, SForm, TapOutcome, TapResult, Terminal, TerminalConfig, TerminalError,
};

/// Arguments of `hcectl tap`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TapArgs {
    /// Tap every demo collector against the embedded demo wallet; needs no other argument.
    #[arg(long, conflicts_with_all = ["collector", "key", "pcsc", "vpcd", "replay"])]
    pub demo: bool,
    /// Collector ID (decimal); default 20180608, Google's test collector.
    #[arg(long, value_name = "ID")]
    pub collector: Option<u32>,
    /// Key version of the collector key.
    #[arg(long, value_name = "V", default_value_t = demo::DEMO_KEY_VERSION)]
    pub key_version: u32,
    /// The collector's private key (SEC1 or PKCS#8 PEM); default: the demo key of
    /// --collector.
    #[arg(long, value_name = "PEM")]
    pub key: Option<PathBuf>,
    /// Read through a PC/SC reader (the first one, or the one whose name contains READER).
    #[arg(long, value_name = "READER", num_args = 0..=1, default_missing_value = "",
          conflicts_with_all = ["vpcd", "replay"])]
    pub pcsc: Option<String>,
    /// Read through pcscd's vpcd virtual reader.
    #[arg(long, conflicts_with = "replay")]
    pub vpcd: bool,
    /// Replay the R-APDUs of an APDU script (`>`/`<` lines); commands must match it.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Skip SELECT Smart Tap 2 when the handset's FCI allows it (kormax's reader does).
    #[arg(long)]
    pub no_second_select: bool,
    /// Advertise zlib (`pcr 41 00 00 00 04`) and ask for all services (`str 00`).
    #[arg(long)]
    pub zlib: bool,
    /// Service types to request (hex, repeatable); default 03 (loyalty), or 00 with --zlib.
    #[arg(long = "service-type", value_name = "HEX", value_parser = parse_u8_hex)]
    pub service_types: Vec<u8>,
    /// Pre-signed authentication (auth byte 00) instead of live.
    #[arg(long)]
    pub pre_signed: bool,
    /// Send the high-S form of the signature.
    #[arg(long)]
    pub high_s: bool,
    /// After the read, PUSH a usage update (status 01) for the pass that was read.
    #[arg(long)]
    pub push_usage: bool,
    /// A payment tap instead (reference EMV terminal: PPSE → SELECT → GPO → READ RECORD →
    /// GENERATE AC when offered), the cryptogram verified against the LUK
    #[arg(long)]
    pub pay: bool,
    /// The LUK the payment cryptogram is verified with (32 hex digits); default: the demo
    /// issuer's key for the key index in 9F10
    #[arg(long, value_name = "HEX", requires = "pay")]
    pub luk: Option<String>,
    #[arg(long, hide = true, value_name = "HEX")]
    pub session_id: Option<String>,
    #[arg(long, hide = true, value_name = "HEX")]
    pub terminal_nonce: Option<String>,
    #[arg(long, hide = true, value_name = "HEX")]
    pub terminal_ephemeral: Option<String>,
}

fn parse_luk(hex: &str) -> Result<[u8; 16], TapCliError> {
    hex::decode(hex.trim())
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| TapCliError::Usage("--luk: expected 32 hex digits".into()))
}

fn parse_u8_hex(s: &str) -> Result<u8, String> {
    u8::from_str_radix(s.trim_start_matches("0x"), 16)
        .map_err(|e| format!("{s:?}: {e} (expected one hex byte, e.g. 03)"))
}

/// Why `hcectl tap` could not run a tap at all.
#[derive(Debug, thiserror::Error)]
pub enum TapCliError {
    #[error("{0}")]
    Usage(String),
    #[error("{flag} {path}: cannot read: {source}")]
    Read { flag: &'static str, path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Card(#[from] CardError),
    #[error("output: {0}")]
    Output(#[from] std::io::Error),
}

/// The demo wallet as `hcectl tap --demo` drives it.
pub trait DemoWallet {
    /// The wallet in the reader's field; each call starts a new field session (new tap).
    fn begin_tap(&mut self) -> &mut dyn Card;
    /// A tap for `collector` ended with `9302`: the demo user picks a pass in the chooser.
    /// Returns a description of the choice, or `None` if there was nothing to choose.
    fn choose(&mut self, collector: CollectorId) -> Option<String>;
    /// Whether the wallet holds a payment token, so the demo ends with a payment tap.
    fn pays(&self) -> bool {
        false
    }
}

/// A [`DemoWallet`] over any wallet behind the core's AID router: every tap starts with a
/// link loss (the phone left the field after the previous tap), and the chooser is answered
/// by `choose`, e.g. by picking the first candidate in the wallet's selection engine.
pub struct RouterWallet<F: FnMut(CollectorId) -> Option<String>> {
    card: RouterCard,
    choose: F,
}

impl<F: FnMut(CollectorId) -> Option<String>> RouterWallet<F> {
    pub fn new(card: RouterCard, choose: F) -> Self {
        RouterWallet { card, choose }
    }
}

impl<F: FnMut(CollectorId) -> Option<String>> DemoWallet for RouterWallet<F> {
    fn begin_tap(&mut self) -> &mut dyn Card {
        self.card.deactivate();
        &mut self.card
    }
    fn choose(&mut self, collector: CollectorId) -> Option<String> {
        (self.choose)(collector)
    }
}

/// Where the lead connects the demo wallet and the PC/SC and vpcd transports.
pub mod wiring {
    use super::DemoWallet;
    use crate::card::{Card, CardError};

    /// The embedded demo wallet (applet + selection engine + demo passes).
    pub fn demo_wallet() -> Result<Box<dyn DemoWallet>, CardError> {
        crate::demo_wallet::EmbeddedDemoWallet::new()
            .map(|w| Box::new(w) as Box<dyn DemoWallet>)
            .map_err(|e| CardError::Unavailable(e.to_string()))
    }
    /// A PC/SC reader; `reader` selects by substring of its name.
    pub fn pcsc_card(reader: Option<&str>) -> Result<Box<dyn Card>, CardError> {
        Ok(Box::new(crate::pcsc::PcscCard::connect(reader)?))
    }
    /// pcscd's vpcd virtual reader (the card `hcectl vpcd` serves).
    pub fn vpcd_card() -> Result<Box<dyn Card>, CardError> {
        pcsc_card(Some(crate::vpcd::READER_NAME))
    }
}

/// Exit status: 0 a pass was read, 1 the tap failed, 2 the handset declined or sent nothing.
pub fn run(args: &TapArgs, out: &mut dyn Write) -> Result<u8, TapCliError> {
    if args.demo {
        let mut wallet = wiring::demo_wallet()?;
        return run_demo(args, wallet.as_mut(), out);
    }
    if args.pay {
        let luk = match &args.luk {
            Some(hex) => Some(parse_luk(hex)?),
            None => None,
        };
        let params = super::pay_tap::todays_params();
        let mut card: Box<dyn Card> = if let Some(reader) = &args.pcsc {
            wiring::pcsc_card(Some(reader.as_str()).filter(|r| !r.is_empty()))?
        } else if args.vpcd {
            wiring::vpcd_card()?
        } else {
            let mut wallet = wiring::demo_wallet()?;
            return super::pay_tap::pay_once(wallet.begin_tap(), params, luk, out);
        };
        return super::pay_tap::pay_once(card.as_mut(), params, luk, out);
    }
    let terminal = Terminal::new(config(args)?);
    let mut card: Box<dyn Card> = if let Some(path) = &args.replay {
        let text = std::fs::read_to_string(path).map_err(|source| TapCliError::Read {
            flag: "--replay",
            path: path.clone(),
            source,
        })?;
        Box::new(ScriptedCard::from_apdu_script(&text).map_err(TapCliError::Usage)?)
    } else if let Some(reader) = &args.pcsc {
        wiring::pcsc_card(Some(reader.as_str()).filter(|r| !r.is_empty()))?
    } else if args.vpcd {
        wiring::vpcd_card()?
    } else {
        let mut wallet = wiring::demo_wallet()?;
        let outcome = tap_once(&terminal, wallet.begin_tap(), args.push_usage, out)?;
        return Ok(exit_status(&outcome));
    };
    let outcome = tap_once(&terminal, card.as_mut(), args.push_usage, out)?;
    Ok(exit_status(&outcome))
}

/// Taps every demo collector; a `9302` gets the demo user's choice and a second tap.
pub fn run_demo(
    args: &TapArgs,
    wallet: &mut dyn DemoWallet,
    out: &mut dyn Write,
) -> Result<u8, TapCliError> {
    let mut status = 0;
    for c in &demo::DEMO_COLLECTORS {
        // The demo terminals ask for all services (`str 00`, as kormax's reader does), so
        // offers count too and fooPizza's two eligible passes bring up the chooser.
        let service_types =
            if args.service_types.is_empty() { vec![0x00] } else { args.service_types.clone() };
        let args = TapArgs { collector: Some(c.collector.0), service_types, ..args.clone() };
        let terminal = Terminal::new(config(&args)?);
        writeln!(out, "=== {} (collector {}, key version {})", c.name, c.collector, c.key_version)?;
        let outcome = tap_once(&terminal, wallet.begin_tap(), false, out)?;
        let chooser = matches!(outcome.result, Ok(TapResult::Ended { sw, .. }) if sw.0 == 0x9302);
        let choice = if chooser { wallet.choose(c.collector) } else { None };
        let outcome = match choice {
            Some(choice) => {
                writeln!(out, "--- the user picks {choice} in the chooser and taps again")?;
                tap_once(&terminal, wallet.begin_tap(), false, out)?
            }
            None => outcome,
        };
        if outcome.result.is_err() {
            status = 1;
        }
        writeln!(out)?;
    }
    // The same phone pays at a contactless POS (payment spec §2): a new field session.
    if wallet.pays() {
        writeln!(out, "=== payment terminal (PPSE, generic profile)")?;
        let params = super::pay_tap::todays_params();
        if super::pay_tap::pay_once(wallet.begin_tap(), params, None, out)? != 0 {
            status = 1;
        }
    }
    Ok(status)
}

fn exit_status(outcome: &TapOutcome) -> u8 {
    match &outcome.result {
        Ok(TapResult::Read { .. }) if !outcome.redemption_values().is_empty() => 0,
        Ok(_) => 2,
        Err(_) => 1,
    }
}

/// Runs one tap (and the optional push), printing the transcript and the result.
pub fn tap_once(
    terminal: &Terminal,
    card: &mut dyn Card,
    push_usage: bool,
    out: &mut dyn Write,
) -> Result<TapOutcome, TapCliError> {
    let mut outcome = terminal.tap(card);
    let mut push_result = None;
    if push_usage {
        let objects = match &outcome.result {
            Ok(TapResult::Read { objects, .. }) => objects.clone(),
            _ => Vec::new(),
        };
        if let Some(object_ref) = objects.iter().find_map(|o| o.object_ref) {
            let push = usage_push(object_ref);
            push_result = Some(terminal.push(card, &mut outcome, &push));
        }
    }
    write!(out, "{}", outcome.transcript)?;
    print_result(&outcome.result, out)?;
    match push_result {
        Some(Ok(sw)) => writeln!(out, "PUSH DATA: SW {sw} ({})", sw_meaning(sw))?,
        Some(Err(e)) => writeln!(out, "PUSH DATA failed: {e}")?,
        None => {}
    }
    Ok(outcome)
}

fn usage_push(object_ref: [u8; 8]) -> PushData {
    use hce_wallet_core::ports::{ServiceStatusUpdate, UsageUpdate};
    PushData {
        services: vec![ServiceStatusUpdate {
            object_ref,
            usage: Some(UsageUpdate {
                status: 0x01,
                title: Some("Redeemed".into()),
                description: Some("hcectl tap".into()),
            }),
            operation: None,
        }],
        ..PushData::default()
    }
}

fn print_result(
    result: &Result<TapResult, TerminalError>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match result {
        Ok(TapResult::Read { sw, objects }) => {
            if objects.is_empty() {
                writeln!(out, "RESULT: SW {sw} ({}): no service object", sw_meaning(*sw))?;
            }
            for o in objects {
                match &o.redemption_value {
                    Some(v) => writeln!(
                        out,
                        "RESULT: {} pass of issuer {}: smartTapRedemptionValue = {}",
                        o.kind.record_name(),
                        o.issuer
                            .id_u64()
                            .map_or_else(|| hex::encode(&o.issuer.id), |i| i.to_string()),
                        v.as_str()
                    )?,
                    None => writeln!(out, "RESULT: {} object", o.kind.record_name())?,
                }
            }
        }
        Ok(TapResult::Ended { step, sw }) => {
            writeln!(out, "RESULT: {step} ended the tap: SW {sw} ({})", sw_meaning(*sw))?
        }
        Err(e) => writeln!(out, "FAILED: {e}")?,
    }
    Ok(())
}

fn hex_array<const N: usize>(name: &str, value: &str) -> Result<[u8; N], TapCliError> {
    let expected = || format!("--{name}: expected {} hex digits ({N} bytes)", N * 2);
    let bytes =
        hex::decode(value).map_err(|e| TapCliError::Usage(format!("{}, got {e}", expected())))?;
    <[u8; N]>::try_from(bytes.as_slice())
        .map_err(|_| TapCliError::Usage(format!("{}, got {} bytes", expected(), bytes.len())))
}

/// Builds the terminal configuration from the arguments.
pub fn config(args: &TapArgs) -> Result<TerminalConfig, TapCliError> {
    let collector = CollectorId(args.collector.unwrap_or(demo::GOOGLE_TEST_COLLECTOR.0));
    let signing_key = match &args.key {
        Some(path) => {
            let pem = std::fs::read_to_string(path).map_err(|source| TapCliError::Read {
                flag: "--key",
                path: path.clone(),
                source,
            })?;
            let key = SecretKey::from_pem(&pem).map_err(|e| {
                TapCliError::Usage(format!(
                    "--key {}: {e} (expected a P-256 private key in PEM)",
                    path.display()
                ))
            })?;
            SigningKey::from(key)
        }
        None => demo::signing_key(collector).ok_or_else(|| {
            TapCliError::Usage(format!("collector {collector} is not a demo collector: give --key"))
        })?,
    };
    let mut config = TerminalConfig::new(collector, args.key_version, signing_key);
    config.live_auth = !args.pre_signed;
    config.second_select = !args.no_second_select;
    if args.zlib {
        config.pcr = Some(PCR_ZLIB);
        config.service_types = vec![0x00];
    }
    if !args.service_types.is_empty() {
        config.service_types = args.service_types.clone();
    }
    if args.high_s {
        config.s_form = SForm::High;
    }
    if let Some(v) = &args.session_id {
        config.session_id = Some(hex_array("session-id", v)?);
    }
    if let Some(v) = &args.terminal_nonce {
        config.nonce = Some(hex_array("terminal-nonce", v)?);
    }
    if let Some(v) = &args.terminal_ephemeral {
        let bytes: [u8; 32] = hex_array("terminal-ephemeral", v)?;
        let key = SecretKey::from_slice(&bytes).map_err(|_| {
            TapCliError::Usage(
                "--terminal-ephemeral: expected a P-256 scalar (64 hex digits, 0 < k < n)".into(),
            )
        })?;
        config.ephemeral = Some(key);
    }
    Ok(config)
}

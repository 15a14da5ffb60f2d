//! `hcectl`: the desktop front door to hce-wallet (run `hcectl help`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hce_wallet_harness::cli::{self, CliError};

#[derive(Parser)]
#[command(name = "hcectl", version, about = "Desktop tools for hce-wallet")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Annotated reading of a C-APDU, R-APDU, BER-TLV or NDEF message given in hex
    Decode(cli::decode::DecodeArgs),
    /// Issuer key bundles: sign, show, sync
    Keys(cli::keys::KeysArgs),
    /// Issuer pass-update bundles: sign, show
    Passes(cli::passes::PassesArgs),
    /// Run an APDU script against the core in-process or a PC/SC card
    Run(cli::run::RunArgs),
    /// Serve the core as a virtual card through vsmartcard's vpcd driver (pcscd)
    Vpcd(cli::vpcd::VpcdArgs),
    /// Run one Smart Tap read with the reference terminal and print the annotated transcript
    Tap(cli::tap::TapArgs),
    /// Manage the passes of an encrypted store file (import, list, show, remove, events)
    Wallet(cli::wallet::WalletArgs),
    /// Payment tokens of an encrypted store file (provision, list, life cycle, keys, verify)
    Pay(cli::pay::PayArgs),
    /// Issuer NFC passes: show files and key IDs, read one with the reference reader
    Nfc(cli::nfc::NfcArgs),
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Decode(args) => cli::decode::run(args).map_err(|e| CliError::Usage(e.to_string())),
        Command::Keys(args) => {
            let mut stdout = std::io::stdout().lock();
            let status = cli::keys::run(args, &mut stdout).unwrap_or_else(|e| {
                eprintln!("hcectl: {e}");
                e.exit_status()
            });
            Ok(ExitCode::from(status))
        }
        Command::Passes(args) => {
            let mut stdout = std::io::stdout().lock();
            let status = cli::passes::run(args, &mut stdout).unwrap_or_else(|e| {
                eprintln!("hcectl: {e}");
                e.exit_status()
            });
            Ok(ExitCode::from(status))
        }
        Command::Run(args) => cli::run::run(args, &cli::default_card),
        Command::Vpcd(args) => cli::vpcd::run(args, &cli::default_card).map(|()| ExitCode::SUCCESS),
        Command::Wallet(args) => {
            let mut stdout = std::io::stdout().lock();
            cli::wallet::run(args, &mut stdout).map(ExitCode::from)
        }
        Command::Pay(args) => {
            let mut stdout = std::io::stdout().lock();
            cli::pay::run(args, &mut stdout).map(ExitCode::from)
        }
        Command::Nfc(args) => {
            let mut stdout = std::io::stdout().lock();
            cli::nfc::run(args, &mut stdout).map(ExitCode::from)
        }
        Command::Tap(args) => {
            let mut stdout = std::io::stdout().lock();
            cli::tap::run(args, &mut stdout)
                .map(ExitCode::from)
                .map_err(|e| CliError::Usage(e.to_string()))
        }
    };
    result.unwrap_or_else(|e: CliError| {
        eprintln!("hcectl: {e}");
        ExitCode::from(2)
    })
}

//! `hcectl`: the desktop front door of hce-wallet.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hce_wallet_harness::cli;

#[derive(Parser, Debug)]
#[command(name = "hcectl", version, about = "hce-wallet desktop tool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Issuer key bundles: sign, show, sync.
    Keys(cli::keys::KeysArgs),
    /// Run one Smart Tap read with the reference terminal and print the annotated transcript.
    Tap(cli::tap::TapArgs),
}

fn main() -> ExitCode {
    env_logger::init();
    let cli = Cli::parse();
    let mut stdout = std::io::stdout().lock();
    // Each subcommand has its own error type; only the message crosses to the user.
    let result: Result<u8, String> = match &cli.command {
        Command::Keys(args) => cli::keys::run(args, &mut stdout).map_err(|e| e.to_string()),
        Command::Tap(args) => cli::tap::run(args, &mut stdout).map_err(|e| e.to_string()),
    };
    match result {
        Ok(status) => ExitCode::from(status),
        Err(e) => {
            eprintln!("hcectl: {e}");
            ExitCode::from(1)
        }
    }
}

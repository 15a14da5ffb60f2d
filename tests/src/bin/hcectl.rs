//! `hcectl`: the desktop front door of hce-wallet (run `hcectl help`).

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
    /// Run one Smart Tap read with the reference terminal and print the annotated transcript.
    Tap(cli::tap::TapArgs),
    /// Run an APDU script against the core in-process or a PC/SC card
    Run(cli::run::RunArgs),
    /// Serve the core as a virtual card through vsmartcard's vpcd driver (pcscd)
    Vpcd(cli::vpcd::VpcdArgs),
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    match &cli.command {
        Command::Tap(args) => match cli::tap::run(args, &mut std::io::stdout().lock()) {
            Ok(status) => ExitCode::from(status),
            Err(e) => {
                eprintln!("hcectl: {e}");
                ExitCode::from(1)
            }
        },
        Command::Run(args) => cli::run::run(args, &cli::default_card).unwrap_or_else(|e| {
            eprintln!("hcectl: {e}");
            ExitCode::from(2)
        }),
        Command::Vpcd(args) => match cli::vpcd::run(args, &cli::default_card) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("hcectl: {e}");
                ExitCode::from(2)
            }
        },
    }
}

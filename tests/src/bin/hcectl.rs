//! `hcectl`, the desktop front door of hce-wallet. Each subcommand lives in its own module
//! under `hce_wallet_harness::cli`; this file only lists them.

use std::process::ExitCode;

use hce_wallet_harness::cli::{self, Subcommand};

/// The subcommands, one line each.
const SUBCOMMANDS: &[Subcommand] = &[cli::decode::SUBCOMMAND];

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let app = SUBCOMMANDS.iter().fold(
        clap::Command::new("hcectl")
            .about("hce-wallet desktop harness: decode, run and serve APDUs")
            .version(env!("CARGO_PKG_VERSION"))
            .subcommand_required(true)
            .arg_required_else_help(true),
        |app, sub| app.subcommand((sub.command)()),
    );
    let matches = app.get_matches();
    let Some((name, sub_matches)) = matches.subcommand() else {
        return ExitCode::FAILURE;
    };
    let Some(sub) = SUBCOMMANDS.iter().find(|s| s.name() == name) else {
        return ExitCode::FAILURE;
    };
    match (sub.run)(sub_matches) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hcectl {name}: error: {e}");
            ExitCode::FAILURE
        }
    }
}

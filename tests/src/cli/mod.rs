//! `hcectl` subcommands, one module each. A module exposes `SUBCOMMAND`, a [`Subcommand`]
//! naming its clap definition and its entry point; `src/bin/hcectl.rs` lists them, so adding
//! a subcommand is one `pub mod` line here and one line in that list.

use std::process::ExitCode;

pub mod decode;

/// What a subcommand returns: its exit code, or an error printed as `hcectl: error: …`.
pub type CliResult = Result<ExitCode, Box<dyn std::error::Error>>;

/// One `hcectl` subcommand.
#[derive(Clone, Copy)]
pub struct Subcommand {
    /// Its clap definition (name, help, arguments).
    pub command: fn() -> clap::Command,
    /// Runs it with the matches of its own arguments.
    pub run: fn(&clap::ArgMatches) -> CliResult,
}

impl Subcommand {
    pub fn name(&self) -> String {
        (self.command)().get_name().to_string()
    }
}

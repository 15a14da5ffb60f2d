//! `hcectl` subcommands, one module each; `src/bin/hcectl.rs` only parses and dispatches.

use std::path::PathBuf;

use hce_wallet_core::router::Router;

use crate::card::CardError;
use crate::loopback::Loopback;

pub mod keys;
pub mod run;
pub mod tap;
pub mod vpcd;

/// Why a subcommand could not do its job (a failed script is not an error: see `run`).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Card(#[from] CardError),
}

/// What the in-process card is built from.
#[derive(Clone, Debug, Default)]
pub struct CardOptions {
    /// `--store PATH`: a wallet store to serve instead of the built-in wallet.
    pub store: Option<PathBuf>,
}

/// Builds the in-process card (`hcectl run` without `--pcsc`, `hcectl vpcd`).
pub type CardFactory<'a> = &'a dyn Fn(&CardOptions) -> Result<Router, CliError>;

/// The card `hcectl` serves by default: the applets this build has. For now that is the
/// [`Loopback`] transport-test applet; wallet applets are registered here as they land.
pub fn default_card(options: &CardOptions) -> Result<Router, CliError> {
    if let Some(path) = &options.store {
        return Err(CliError::Usage(format!(
            "--store {}: this build has no wallet store to open",
            path.display()
        )));
    }
    let mut router = Router::new();
    router.register(Box::new(Loopback::new()));
    Ok(router)
}

//! # hce-wallet-ffi
//!
//! The Kotlin API of the wallet: UniFFI proc-macro bindings (no UDL) of one [`Wallet`]
//! object with plain records and enums ([`types`]), the foreign traits the app implements
//! ([`WalletListener`], [`HttpTransport`], [`LogSink`]), one error enum ([`WalletError`],
//! Kotlin `WalletException`), and a JNI fast path for the per-APDU call
//! ([`fast_path`], Kotlin `HceBridge`). Translation only: the behaviour lives in the
//! `hce-wallet` crate (STYLE §2, "the bridging layer is not API").
//!
//! No Rust panic crosses the boundary: management calls run in [`error::guard`] and
//! become `WalletException.Internal`; the APDU path answers a status word.
#![deny(unsafe_code)]

uniffi::setup_scaffolding!();

pub mod aids;
pub mod display;
pub mod error;
pub mod fast_path;
pub mod http;
pub mod listener;
pub mod logging;
pub mod nfc;
pub mod pass_feed;
pub mod types;
pub mod wallet;

pub use aids::{AidCategory, AidGroup, AidSet};
pub use display::*;
pub use error::WalletError;
pub use http::{HttpError, HttpHeader, HttpMethod, HttpRequest, HttpResponse, HttpTransport};
pub use listener::WalletListener;
pub use logging::{set_log_sink, LogLevel, LogSink};
pub use pass_feed::{FlightTime, PassChange, PassFeedConfig, PassFeedOutcome};
pub use types::*;
pub use wallet::Wallet;

/// The bench's floor on the UniFFI path: same signature as `processApdu`, no work.
#[cfg(feature = "test-hooks")]
#[uniffi::export]
pub fn empty_call(apdu: Vec<u8>) -> Vec<u8> {
    apdu.get(apdu.len().saturating_sub(2)..).map(<[u8]>::to_vec).unwrap_or_default()
}

/// Provokes a panic inside the guarded call path, for the test that checks it arrives in
/// Kotlin as `WalletException.Internal` (built only with `test-hooks`).
#[cfg(feature = "test-hooks")]
#[uniffi::export]
pub fn provoke_internal_panic() -> Result<(), WalletError> {
    error::guard("provokeInternalPanic", || panic!("provoked by a test"))
}

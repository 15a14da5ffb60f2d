//! The one error enum at the FFI boundary (Kotlin: `WalletException`), converted from the
//! wallet's errors in one place ([`From<hce_wallet::WalletError>`]), and the panic guard
//! every exported call runs in. Messages are the Rust `Display` texts; none carries key
//! material or pass contents (STYLE §3).

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Errors of management calls. `processApdu` never throws: it answers status words.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum WalletError {
    /// The root key is not 32 bytes.
    #[error("{0}")]
    InvalidRootKey(String),
    /// A configuration value is unusable.
    #[error("{0}")]
    InvalidConfig(String),
    /// The root key does not open this store (another key wrote it, e.g. the Keystore
    /// key was lost): the data cannot be read with this key.
    #[error("{0}")]
    WrongRootKey(String),
    /// The store is already open in another `Wallet` (close that one first).
    #[error("{0}")]
    StoreLocked(String),
    /// The store failed an integrity check (tampered or damaged file).
    #[error("{0}")]
    StoreCorrupt(String),
    /// The store could not be opened, read or written (I/O, permissions).
    #[error("{0}")]
    Store(String),
    /// Pass JSON could not be imported; the message names the JSON path.
    #[error("{0}")]
    Import(String),
    /// No pass with that object ID.
    #[error("{0}")]
    NoSuchPass(String),
    /// Key sync failed or is not configured.
    #[error("{0}")]
    Sync(String),
    /// Payment tokens are not configured (no pinned token-service key or no device id).
    #[error("{0}")]
    TokensNotConfigured(String),
    /// No payment token (or no token of the card) with that reference.
    #[error("{0}")]
    NoSuchToken(String),
    /// The card already has a token on this device, or the token reference was used.
    #[error("{0}")]
    DuplicateToken(String),
    /// The token's state does not allow the operation (e.g. resume of a token the user
    /// did not report lost; anything on a deleted token).
    #[error("{0}")]
    TokenStateRefused(String),
    /// Only an Active token can be the default card.
    #[error("{0}")]
    DefaultNotActive(String),
    /// A token-service message whose signature does not verify with the pinned keys.
    #[error("{0}")]
    TokenMessageSignature(String),
    /// A token-service message already applied, or older than the last one.
    #[error("{0}")]
    TokenMessageReplayed(String),
    /// A token-service message for another device.
    #[error("{0}")]
    TokenMessageOtherDevice(String),
    /// A token-service message that does not decode (the text names the field), or a
    /// status message one of whose events was refused (nothing applied).
    #[error("{0}")]
    TokenMessageInvalid(String),
    /// A bug inside the library (a caught panic). The wallet stays usable.
    #[error("internal error in {0}")]
    Internal(String),
}

impl From<hce_wallet::WalletError> for WalletError {
    fn from(e: hce_wallet::WalletError) -> Self {
        use hce_wallet::WalletError as W;
        let message = e.to_string();
        match e {
            W::RootKeyLength(_) => WalletError::InvalidRootKey(message),
            W::Config(_) => WalletError::InvalidConfig(message),
            W::WrongRootKey => WalletError::WrongRootKey(message),
            W::StoreLocked => WalletError::StoreLocked(message),
            W::StoreCorrupt(_) => WalletError::StoreCorrupt(message),
            W::Store(_) => WalletError::Store(message),
            W::Import(_) => WalletError::Import(message),
            W::NoSuchPass(_) => WalletError::NoSuchPass(message),
            W::Sync(_) => WalletError::Sync(message),
            W::TokensNotConfigured(_) => WalletError::TokensNotConfigured(message),
            W::NoSuchToken(_) | W::NoSuchCard(_) => WalletError::NoSuchToken(message),
            W::DuplicateCard { .. } | W::DuplicateToken(_) => WalletError::DuplicateToken(message),
            W::TokenStateRefused { .. } => WalletError::TokenStateRefused(message),
            W::DefaultNotActive { .. } => WalletError::DefaultNotActive(message),
            W::TokenMessageSignature(_) => WalletError::TokenMessageSignature(message),
            W::TokenMessageReplayed { .. } => WalletError::TokenMessageReplayed(message),
            W::TokenMessageOtherDevice(_) => WalletError::TokenMessageOtherDevice(message),
            W::TokenMessageInvalid(_) | W::StatusEventRefused { .. } => {
                WalletError::TokenMessageInvalid(message)
            }
        }
    }
}

/// Runs an exported call so that no panic crosses the boundary: a panic becomes
/// [`WalletError::Internal`] naming the operation and the panic message.
pub(crate) fn guard<T>(
    operation: &'static str,
    f: impl FnOnce() -> Result<T, WalletError>,
) -> Result<T, WalletError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            log::error!("panic caught in {operation}: {detail}");
            Err(WalletError::Internal(format!("{operation}: {detail}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let _serial = crate::logging::TEST_LOGGER.lock().unwrap_or_else(|p| p.into_inner());
        let r: Result<(), _> = guard("test op", || panic!("provoked"));
        match r {
            Err(WalletError::Internal(m)) => assert_eq!(m, "test op: provoked"),
            other => panic!("expected Internal, got {other:?}"),
        }
        assert_eq!(guard("ok", || Ok(5)).unwrap(), 5);
    }

    #[test]
    fn wallet_errors_keep_their_message() {
        let e: WalletError = hce_wallet::WalletError::RootKeyLength(3).into();
        assert!(
            matches!(&e, WalletError::InvalidRootKey(m) if m == "root key must be 32 bytes, got 3")
        );
    }
}

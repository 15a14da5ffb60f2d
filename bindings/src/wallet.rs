//! The `Wallet` object as Kotlin sees it. Each method converts arguments, runs the
//! wallet's method inside [`guard`] and converts the result; nothing else happens here.

use std::path::PathBuf;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::error::{guard, WalletError};
use crate::http::HttpTransport;
use crate::listener::{ListenerAdapter, WalletListener};
use crate::types::{DeactivationReason, SyncOutcome, SyncStatus, UiContext, WalletConfig};

/// The wallet. Safe to call from the HCE binder thread and the UI thread at once.
#[derive(uniffi::Object)]
pub struct Wallet {
    inner: Arc<hce_wallet::Wallet>,
    #[allow(dead_code)] // handed to key sync once it is wired
    transport: Option<Arc<dyn HttpTransport>>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").finish_non_exhaustive()
    }
}

#[uniffi::export]
impl Wallet {
    /// Opens (or creates) the wallet at `path` with the host's 32-byte root key (keep it
    /// in the Android Keystore; the copy passed here is wiped on the Rust side).
    #[uniffi::constructor]
    pub fn open(
        path: String,
        root_key: Vec<u8>,
        config: WalletConfig,
        listener: Option<Arc<dyn WalletListener>>,
        transport: Option<Arc<dyn HttpTransport>>,
    ) -> Result<Arc<Self>, WalletError> {
        crate::logging::init();
        let root_key = Zeroizing::new(root_key);
        guard("Wallet.open", || {
            let listener = listener
                .map(|l| Arc::new(ListenerAdapter(l)) as Arc<dyn hce_wallet::WalletListener>);
            let inner = hce_wallet::Wallet::open(
                &PathBuf::from(path),
                &root_key,
                config.into(),
                listener,
            )?;
            Ok(Arc::new(Wallet { inner: Arc::new(inner), transport }))
        })
    }

    /// Answers one command APDU (`data ‖ SW`). Never throws: a failure is a status word.
    pub fn process_apdu(&self, apdu: Vec<u8>) -> Vec<u8> {
        self.inner.process_apdu(&apdu)
    }

    /// The NFC link went away or another service's AID was selected.
    pub fn on_deactivated(&self, reason: DeactivationReason) {
        let _ = guard("Wallet.onDeactivated", || {
            self.inner.on_deactivated(reason.into());
            Ok(())
        });
    }

    /// What the user is doing (pass open, home, unlocked, locked).
    pub fn set_ui_context(&self, context: UiContext) {
        let _ = guard("Wallet.setUiContext", || {
            self.inner.set_ui_context(context.into());
            Ok(())
        });
    }

    /// Routes `HceBridge.processApdu` (the JNI fast path) to this wallet.
    pub fn register_fast_path(&self) {
        crate::fast_path::register(self.inner.clone());
    }

    /// Stops routing the fast path to this wallet (it answers `6A82` afterwards).
    pub fn unregister_fast_path(&self) {
        crate::fast_path::unregister(Some(&self.inner));
    }
}

impl Drop for Wallet {
    fn drop(&mut self) {
        crate::fast_path::unregister(Some(&self.inner));
    }
}

#[allow(dead_code)]
fn _types_in_use(_: SyncOutcome, _: SyncStatus) {}

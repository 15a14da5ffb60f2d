//! The app's event listener, a foreign trait (Kotlin `WalletListener`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::types::WalletEvent;

/// Receives every decision and occurrence (pass sent, nothing eligible, chooser required,
/// unlock required, authentication failed, push applied, sync result). Called on the
/// thread that called the wallet, after the wallet released its locks: it may call back
/// into the wallet, and it should return quickly when that thread is the HCE one.
#[uniffi::export(with_foreign)]
pub trait WalletListener: Send + Sync {
    fn on_event(&self, event: WalletEvent);
}

/// Adapts the foreign listener to the wallet's Rust listener trait. A listener that
/// throws is logged and ignored: it must not break a tap.
pub(crate) struct ListenerAdapter(pub(crate) Arc<dyn WalletListener>);

impl hce_wallet::WalletListener for ListenerAdapter {
    fn on_notice(&self, notice: hce_wallet::Notice) {
        let event = WalletEvent::from(notice);
        if catch_unwind(AssertUnwindSafe(|| self.0.on_event(event))).is_err() {
            log::warn!("WalletListener.onEvent failed; event dropped");
        }
    }
}

//! Issuer NFC passes through the `Wallet` (issue 15): import (Huawei `HwWalletObject` JSON
//! or a signed package checked against the issuer's key), removal, and the issuer
//! callbacks.
//!
//! Android routing: an APDU reaches the app only for AIDs it registered. Issuer AIDs arrive
//! with passes: they are in the `Other` group of the wallet's one AID set
//! ([`Wallet::aid_set`], `crate::aids`), and every import or removal that changes it sends
//! [`crate::Notice::AidSetChanged`], on which the app calls
//! `CardEmulation.registerAidsForService(service, CATEGORY_OTHER, aids)`. When another app
//! already holds one of those AIDs in category `other`, Android asks the user to pick an app
//! at the tap (or routes by the foreground preference the user set); the wallet cannot
//! prevent that conflict, only show it (docs/nfc-pass.md).
//!
//! Callbacks: receive, delete and every swipe (one field session) are queued in the store's
//! durable outbox with the change ([`hce_wallet_store::nfc_passes`]); the host calls
//! [`Wallet::deliver_nfc_callbacks`] when online. Each event has a random event ID, sent as
//! `Idempotency-Key`: an issuer that saw a retry applies it once.

use std::sync::Arc;

use hce_wallet_core::events::{NfcPassEvent, WalletEvent};
use hce_wallet_core::key_bundle::PinnedRoots;
use hce_wallet_core::nfc_pass::callback::{CallbackEvent, CHANNEL_PREFIX};
use hce_wallet_core::nfc_pass::huawei;
use hce_wallet_core::nfc_pass::model::{NfcPass, PassId};
use hce_wallet_core::ports::{Clock, EventSink, OsRandom, RandomSource};
use hce_wallet_core::sync::{Delivery, Outbox, OutboxConfig};
use hce_wallet_store::Store;

use crate::{Wallet, WalletError};

/// A fresh event ID: 16 random bytes in hex.
fn event_id() -> String {
    let mut bytes = [0u8; 16];
    OsRandom.fill(&mut bytes);
    hex_lower(&bytes)
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The NFC applet's event sink: queues the swipe callback durably, then tells the app.
pub(crate) struct NfcCallbacks {
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    pub inner: Arc<dyn EventSink>,
}

impl EventSink for NfcCallbacks {
    fn emit(&self, event: WalletEvent) {
        if let WalletEvent::NfcPass(NfcPassEvent::Used {
            pass, read, written, authenticated, ..
        }) = &event
        {
            let swipe = CallbackEvent::Swipe {
                read: read.clone(),
                written: written.clone(),
                authenticated: *authenticated,
            };
            let now = self.clock.now();
            if let Err(e) = self.store.record_nfc_swipe(pass, &swipe, &event_id(), now) {
                log::warn!("nfc: swipe callback of pass {pass} not queued: {e}");
            }
        }
        self.inner.emit(event);
    }
}

impl Wallet {
    /// Imports an `HwWalletObject` with an NFC part; returns the pass ID.
    pub fn import_huawei_nfc_pass(&self, json: &[u8]) -> Result<String, WalletError> {
        let hw = huawei::import_json(json).map_err(|e| WalletError::Import(e.to_string()))?;
        self.receive(hw.pass)
    }

    /// Imports a Google Wallet `genericObject` with the `hceWalletNfc` extension; returns the
    /// pass ID.
    pub fn import_google_nfc_pass(&self, json: &[u8]) -> Result<String, WalletError> {
        let pass = hce_wallet_core::nfc_pass::google::import_generic_object(json)
            .map_err(|e| WalletError::Import(e.to_string()))?;
        self.receive(pass)
    }

    /// Imports a signed Huawei NFC pass package, verified against `issuer` before anything is
    /// parsed or stored; returns the pass ID.
    pub fn import_signed_nfc_pass(
        &self,
        package: &[u8],
        issuer: &PinnedRoots,
    ) -> Result<String, WalletError> {
        let hw = huawei::import_signed(package, issuer)
            .map_err(|e| WalletError::Import(e.to_string()))?;
        self.receive(hw.pass)
    }

    /// [`Wallet::import_signed_nfc_pass`] with the issuer's public key as SPKI PEM.
    pub fn import_signed_nfc_pass_pem(
        &self,
        package: &[u8],
        issuer_public_key_pem: &str,
    ) -> Result<String, WalletError> {
        use p256::pkcs8::DecodePublicKey;
        let key = p256::PublicKey::from_public_key_pem(issuer_public_key_pem.trim())
            .map_err(|e| WalletError::Config(format!("issuer public key: {e}")))?;
        self.import_signed_nfc_pass(package, &PinnedRoots::new([key]))
    }

    /// Removes an NFC pass (queueing its `DELETE` callback); whether it existed.
    pub fn remove_nfc_pass(&self, id: &str) -> Result<bool, WalletError> {
        let id = PassId::new(id).map_err(|e| WalletError::Import(e.to_string()))?;
        let now = self.clock.now();
        let removed = self
            .persist
            .store()
            .delete_nfc_pass(&id, &event_id(), now)
            .map_err(|e| WalletError::Store(e.to_string()))?;
        self.announce_aid_set();
        Ok(removed)
    }

    /// A signed request of the pass's issuer app (Huawei's `readNFCCard` / `modifyNFCCard`),
    /// checked against the pass's issuer key and its replay counter, applied atomically:
    /// the bytes read, or empty for a write.
    pub fn issuer_nfc_request(
        &self,
        pass_id: &str,
        request: &[u8],
    ) -> Result<Vec<u8>, WalletError> {
        let id = PassId::new(pass_id).map_err(|e| WalletError::Import(e.to_string()))?;
        self.persist
            .store()
            .apply_issuer_request(&id, request)
            .map_err(|e| WalletError::Store(e.to_string()))?
            .map_err(|e| WalletError::Import(format!("issuer request refused: {e}")))
    }

    /// POSTs the queued issuer callbacks through the host transport; returns how many were
    /// delivered (2xx). Failures stay queued with backoff; nothing is lost across restarts.
    pub fn deliver_nfc_callbacks(&self) -> Result<usize, WalletError> {
        let transport = self
            .transport
            .as_ref()
            .ok_or_else(|| WalletError::Config("no HTTP transport for NFC callbacks".into()))?;
        let store = self.persist.store();
        let entries: Vec<_> = store
            .outbox()
            .map_err(|e| WalletError::Store(e.to_string()))?
            .into_iter()
            .filter(|e| e.channel.starts_with(CHANNEL_PREFIX))
            .collect();
        let deliveries = Outbox::new(OutboxConfig::default()).deliver(
            &entries,
            transport.as_ref(),
            &mut OsRandom,
            self.clock.as_ref(),
            |d| store.outbox_settle(d),
        );
        let deliveries = deliveries.map_err(|e| WalletError::Store(e.to_string()))?;
        Ok(deliveries.iter().filter(|d| matches!(d, Delivery::Delivered { .. })).count())
    }

    fn receive(&self, pass: NfcPass) -> Result<String, WalletError> {
        let now = self.clock.now();
        self.persist
            .store()
            .receive_nfc_pass(&pass, &event_id(), now)
            .map_err(|e| WalletError::Store(e.to_string()))?;
        self.announce_aid_set();
        Ok(pass.id.as_str().to_owned())
    }
}

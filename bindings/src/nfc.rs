//! Issuer NFC passes on the Kotlin `Wallet` (issue 15): translation only, each method runs
//! the wallet's in [`guard`]. Their AIDs are in the `OTHER` group of `Wallet.aidSet()`; the
//! host re-registers on `WalletEvent.AidSetChanged`.

use crate::error::{guard, WalletError};
use crate::wallet::Wallet;

#[uniffi::export]
impl Wallet {
    /// Imports a Huawei `HwWalletObject` with its NFC part; returns the pass ID.
    pub fn import_huawei_nfc_pass(&self, json: String) -> Result<String, WalletError> {
        guard("Wallet.importHuaweiNfcPass", || {
            Ok(self.inner.import_huawei_nfc_pass(json.as_bytes())?)
        })
    }

    /// Imports a Google Wallet generic object with the `hceWalletNfc` extension.
    pub fn import_google_nfc_pass(&self, json: String) -> Result<String, WalletError> {
        guard("Wallet.importGoogleNfcPass", || {
            Ok(self.inner.import_google_nfc_pass(json.as_bytes())?)
        })
    }

    /// Imports a signed NFC pass package, verified against the issuer's public key (SPKI
    /// PEM) before anything is stored.
    pub fn import_signed_nfc_pass(
        &self,
        package: Vec<u8>,
        issuer_public_key_pem: String,
    ) -> Result<String, WalletError> {
        guard("Wallet.importSignedNfcPass", || {
            Ok(self.inner.import_signed_nfc_pass_pem(&package, &issuer_public_key_pem)?)
        })
    }

    /// Removes an NFC pass (its issuer is told); whether it existed.
    pub fn remove_nfc_pass(&self, pass_id: String) -> Result<bool, WalletError> {
        guard("Wallet.removeNfcPass", || Ok(self.inner.remove_nfc_pass(&pass_id)?))
    }

    /// A signed read/write request of the pass's issuer app: the bytes read (empty for a write).
    pub fn issuer_nfc_request(
        &self,
        pass_id: String,
        request: Vec<u8>,
    ) -> Result<Vec<u8>, WalletError> {
        guard("Wallet.issuerNfcRequest", || {
            Ok(self.inner.issuer_nfc_request(&pass_id, &request)?)
        })
    }

    /// POSTs queued issuer callbacks through the host transport; how many were delivered.
    pub fn deliver_nfc_callbacks(&self) -> Result<u32, WalletError> {
        guard("Wallet.deliverNfcCallbacks", || {
            let n = self.inner.deliver_nfc_callbacks()?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }
}

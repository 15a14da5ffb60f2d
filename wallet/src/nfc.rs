//! Issuer NFC passes through the `Wallet` (issue 15): import (Huawei `HwWalletObject` JSON
//! or a signed package checked against the issuer's key) and the AID set the host registers
//! with Android at run time.
//!
//! Android routing: an APDU reaches the app only for AIDs it registered. Issuer AIDs arrive
//! with passes, so after every import or removal the app reads [`Wallet::nfc_aids`] and calls
//! `CardEmulation.registerAidsForService(service, CATEGORY_OTHER, aids)`. When another app
//! already holds one of those AIDs in category `other`, Android asks the user to pick an app
//! at the tap (or routes by the foreground preference the user set); the wallet cannot
//! prevent that conflict, only show it (docs/nfc-pass.md).

use hce_wallet_core::key_bundle::PinnedRoots;
use hce_wallet_core::nfc_pass::huawei;
use hce_wallet_core::nfc_pass::model::PassId;
use hce_wallet_core::nfc_pass::ports::NfcPassSource;

use crate::{Wallet, WalletError};

impl Wallet {
    /// The AIDs of every Active NFC pass, upper-case hex, sorted: what the host registers
    /// for its `HostApduService` in category `other`.
    pub fn nfc_aids(&self) -> Vec<String> {
        self.persist.store().aids().iter().map(|a| a.to_hex()).collect()
    }

    /// Imports an `HwWalletObject` with an NFC part; returns the pass ID.
    pub fn import_huawei_nfc_pass(&self, json: &[u8]) -> Result<String, WalletError> {
        let hw = huawei::import_json(json).map_err(|e| WalletError::Import(e.to_string()))?;
        self.put_nfc(hw.pass)
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
        self.put_nfc(hw.pass)
    }

    /// Removes an NFC pass; whether it existed.
    pub fn remove_nfc_pass(&self, id: &str) -> Result<bool, WalletError> {
        let id = PassId::new(id).map_err(|e| WalletError::Import(e.to_string()))?;
        self.persist.store().remove_nfc_pass(&id).map_err(|e| WalletError::Store(e.to_string()))
    }

    fn put_nfc(
        &self,
        pass: hce_wallet_core::nfc_pass::model::NfcPass,
    ) -> Result<String, WalletError> {
        self.persist.store().put_nfc_pass(&pass).map_err(|e| WalletError::Store(e.to_string()))?;
        Ok(pass.id.as_str().to_owned())
    }
}

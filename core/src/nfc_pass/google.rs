//! A Google Wallet generic pass carrying an NFC section (issue 15): Google's `genericObject`
//! REST resource has no NFC part of its own, so this project documents one, the extension
//! field `hceWalletNfc` on the object, holding the same NFC parameters as the Huawei
//! importer's `linkDevicePass.nfcParameters` ([`super::huawei`]) plus the issuer's key:
//!
//! ```json
//! { "id": "3388000000012345.door-7", "classId": "3388000000012345.doors",
//!   "state": "ACTIVE", "cardTitle": { "defaultValue": { "language": "en", "value": "…" } },
//!   "hceWalletNfc": { "organizationName": "…", "issuerPublicKey": "<SPKI PEM or base64 DER>",
//!                     "aid": "F0…", "externalAuthKeys": [ … ], "fileParameters": [ … ],
//!                     "callbackUrl": "…", "syncAcrossDevices": false } }
//! ```
//!
//! The pass ID is the object ID; `state` other than `ACTIVE` keeps the pass Suspended.
//! Errors and caps are the Google Wallet importer's (JSON paths, never values).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use super::huawei::{issuer_key, nfc_parameters, MAX_ID, MAX_TEXT};
use super::model::{NfcPass, NfcPassState};
use crate::pass::json_reader::{self, Item, Path};
use crate::pass::ImportError;

/// The extension field on a `genericObject`.
pub const EXTENSION: &str = "hceWalletNfc";
/// Google object IDs are `issuerId.identifier`, at most this long here.
pub const MAX_OBJECT_ID: usize = 128;

/// Imports a Google Wallet `genericObject` with the `hceWalletNfc` extension.
pub fn import_generic_object(text: &[u8]) -> Result<NfcPass, ImportError> {
    let parsed = json_reader::parse(text)?;
    let root = Path::Root("");
    let doc = Item { v: &parsed.0, path: &root }.obj()?;
    let id = doc.req_str("id", MAX_OBJECT_ID)?;
    if !id.contains('.') || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
        return Err(doc.invalid("id", "expected issuerId.identifier"));
    }
    let state = match doc.opt_str("state", MAX_ID)? {
        None => NfcPassState::Active,
        Some(s) if s.eq_ignore_ascii_case("active") => NfcPassState::Active,
        Some(_) => NfcPassState::Suspended,
    };
    let title = doc
        .opt_obj("cardTitle", |t| {
            t.opt_obj("defaultValue", |d| d.opt_string("value", MAX_TEXT)).map(Option::flatten)
        })?
        .flatten();
    let (mut pass, callback_url, sync) = doc.required(EXTENSION, |i| {
        let nfc = i.obj()?;
        let organization =
            nfc.opt_string("organizationName", MAX_ID)?.or(title).unwrap_or_default();
        let key = issuer_key(nfc.req_str("issuerPublicKey", 4096)?)
            .ok_or_else(|| nfc.invalid("issuerPublicKey", "not a P-256 public key"))?;
        let (mut pass, url, sync) = nfc_parameters(nfc, id, &organization)?;
        pass.issuer_key = Some(key);
        Ok((pass, url, sync))
    })?;
    pass.state = state;
    pass.callback_url = callback_url;
    pass.sync_across_devices = sync;
    Ok(pass)
}

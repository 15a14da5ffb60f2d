//! Import of Huawei Wallet passes with an NFC part (issue 15): the `HwWalletObject` JSON
//! (Huawei Wallet Kit server reference, "HwWalletObject" and "LinkDevicePass") and signed
//! pass packages.
//!
//! Read from the `HwWalletObject`: `passVersion`, `passTypeIdentifier`,
//! `passStyleIdentifier`, `organizationName`, `organizationPassId`, `serialNumber` (Huawei's
//! rules: at most 64 bytes of letters, digits, `.`, `-`, `_`; the serial number is the pass
//! ID), `fields.status.state` (`active` answers readers; anything else is kept Suspended) and
//! `linkDevicePass` (`nfcType` must be `"1"`, Huawei's "NFC enabled"; `spPublickey`, the
//! issuer's public key — here a P-256 SPKI, PEM or base64 DER — becomes the key the issuer's
//! signed read/write requests are checked against, [`super::issuer`]; `serialNumber` and
//! `webServiceURL` are reported beside the pass). Huawei delivers the card's NFC
//! parameters — AID, external-authentication key, file parameter definitions — in a
//! DevicePass package fetched from the issuer's server; this importer takes them inline as
//! this project's documented extension `linkDevicePass.nfcParameters`:
//!
//! ```json
//! "nfcParameters": { "aid": "F0…", "callbackUrl": "https://…", "syncAcrossDevices": false,
//!   "externalAuthKeys": [ { "keyId": 1, "algorithm": "AES-128" | "TDES-2KEY",
//!                           "key": "<32 hex>", "retryLimit": 3 } ],
//!   "fileParameters": [ { "fileId": "0101", "size": 16, "content": "<hex>",
//!                         "read": "always" | "never" | "key:N", "write": …, "remark": "…" } ] }
//! ```
//!
//! Errors and caps are the Google Wallet importer's ([`crate::pass::ImportError`]: the JSON
//! path of the offending field, never its value; size, depth, length and count caps).
//!
//! A **signed package** is the wallet's one signed envelope
//! ([`crate::key_bundle::verify_envelope`]: COSE_Sign1, ES256) with the content type
//! [`PACKAGE_CONTENT_TYPE`] and the `HwWalletObject` JSON as payload, verified against the
//! issuer's public key before the JSON is even parsed. (Huawei signs with RSA; the wallet's
//! signature stack is P-256 and one envelope serves every signed object.)
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use zeroize::Zeroizing;

use super::model::{
    Access, Aid, KeyAlgorithm, KeyNumber, NfcFile, NfcKey, NfcPass, NfcPassState, PassId,
    MAX_FILES, MAX_KEYS,
};
use crate::key_bundle::{verify_envelope, BundleError, PinnedRoots};
use crate::pass::json_reader::{self, Item, Obj, Path};
use crate::pass::ImportError;

/// Content type of a signed NFC pass package's envelope.
pub const PACKAGE_CONTENT_TYPE: &str = "application/vnd.hce-wallet.huawei-nfc-pass+json";
/// Largest signed package accepted.
pub const MAX_PACKAGE_BYTES: usize = 256 * 1024;
/// Huawei's cap on identifier fields.
pub const MAX_ID: usize = 64;
/// Cap on free text (organization name, remarks).
pub const MAX_TEXT: usize = 256;
/// Cap on URLs.
pub const MAX_URL: usize = 2048;
/// Cap on a file's content in hex.
pub const MAX_CONTENT_HEX: usize = 2 * super::model::MAX_FILE_SIZE;

/// Why a signed package is refused.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The envelope or its signature: nothing was parsed.
    #[error("signed package refused: {0}")]
    Signature(#[from] BundleError),
    #[error("signed package payload: {0}")]
    Import(#[from] ImportError),
}

/// What the `HwWalletObject` says besides the NFC pass (for display and the issuer link).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HuaweiPass {
    pub pass: NfcPass,
    pub pass_version: String,
    pub pass_type_identifier: String,
    pub pass_style_identifier: String,
    pub organization_pass_id: String,
    /// `linkDevicePass.serialNumber`: the issuer's NFC pass ID.
    pub nfc_serial_number: String,
    /// `linkDevicePass.webServiceURL`.
    pub web_service_url: Option<String>,
}

/// Verifies a signed package against the issuer's key, then imports its payload.
pub fn import_signed(bytes: &[u8], issuer: &PinnedRoots) -> Result<HuaweiPass, PackageError> {
    let signed = verify_envelope(bytes, PACKAGE_CONTENT_TYPE, issuer, MAX_PACKAGE_BYTES)?;
    let payload = Zeroizing::new(signed.payload);
    Ok(import_json(&payload)?)
}

/// Imports an `HwWalletObject` with an NFC part (see the module doc).
pub fn import_json(text: &[u8]) -> Result<HuaweiPass, ImportError> {
    let parsed = json_reader::parse(text)?;
    let root = Path::Root("");
    let doc = Item { v: &parsed.0, path: &root }.obj()?;
    let id = |key: &'static str| -> Result<String, ImportError> {
        let s = doc.req_str(key, MAX_ID)?;
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
            return Err(doc.invalid(key, "letters, digits, '.', '-', '_' only"));
        }
        Ok(s.to_owned())
    };
    let pass_version = id("passVersion")?;
    let pass_type_identifier = id("passTypeIdentifier")?;
    let pass_style_identifier = id("passStyleIdentifier")?;
    let organization_pass_id = id("organizationPassId")?;
    let serial_number = id("serialNumber")?;
    let organization = doc.req_str("organizationName", MAX_ID)?.to_owned();
    let state = doc
        .opt_obj("fields", |f| f.opt_obj("status", |s| s.opt_string("state", MAX_ID)))?
        .flatten()
        .flatten();
    let state = match state.as_deref() {
        None | Some("active") | Some("ACTIVE") => NfcPassState::Active,
        Some(_) => NfcPassState::Suspended,
    };
    let (mut pass, callback_url, sync, nfc_serial_number, web_service_url) = doc
        .required("linkDevicePass", |i| {
            link_device_pass(i.obj()?, &serial_number, &organization)
        })?;
    pass.state = state;
    pass.callback_url = callback_url;
    pass.sync_across_devices = sync;
    Ok(HuaweiPass {
        pass,
        pass_version,
        pass_type_identifier,
        pass_style_identifier,
        organization_pass_id,
        nfc_serial_number,
        web_service_url,
    })
}

fn hex_field(
    o: &Obj<'_, '_>,
    key: &'static str,
    max: usize,
) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let text = o.req_str(key, max)?;
    hex::decode(text).map(Zeroizing::new).map_err(|_| o.invalid(key, "not hex"))
}

fn access(o: &Obj<'_, '_>, key: &'static str) -> Result<Access, ImportError> {
    match o.req_str(key, 8)? {
        "always" => Ok(Access::Always),
        "never" => Ok(Access::Never),
        other => other
            .strip_prefix("key:")
            .and_then(|n| n.parse::<u8>().ok())
            .and_then(|n| KeyNumber::new(n).ok())
            .map(Access::Key)
            .ok_or_else(|| {
                o.invalid(key, "expected \"always\", \"never\" or \"key:N\" (N 1..=31)")
            }),
    }
}

/// `linkDevicePass`: Huawei's NFC switch and link, and the NFC parameters.
#[allow(clippy::type_complexity)]
fn link_device_pass(
    link: Obj<'_, '_>,
    serial_number: &str,
    organization: &str,
) -> Result<(NfcPass, Option<String>, bool, String, Option<String>), ImportError> {
    if link.req_str("nfcType", 8)? != "1" {
        return Err(link.invalid("nfcType", "NFC is enabled only by \"1\""));
    }
    let nfc_serial_number = link.req_str("serialNumber", MAX_ID)?.to_owned();
    let web_service_url = link.opt_string("webServiceURL", MAX_URL)?;
    let issuer_key = issuer_key(link.req_str("spPublickey", 4096)?).ok_or_else(|| {
        link.invalid("spPublickey", "not a P-256 public key (SPKI PEM or base64 DER)")
    })?;
    let (mut pass, callback_url, sync) =
        link.required("nfcParameters", |i| nfc_parameters(i.obj()?, serial_number, organization))?;
    pass.issuer_key = Some(issuer_key);
    Ok((pass, callback_url, sync, nfc_serial_number, web_service_url))
}

/// The issuer's key as SEC1 bytes, from SPKI PEM or base64 SPKI DER.
pub(super) fn issuer_key(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use p256::elliptic_curve::sec1::ToSec1Point;
    use p256::pkcs8::DecodePublicKey;
    let text = text.trim();
    let key = if text.starts_with("-----BEGIN") {
        p256::PublicKey::from_public_key_pem(text).ok()?
    } else {
        let der = base64::engine::general_purpose::STANDARD.decode(text).ok()?;
        p256::PublicKey::from_public_key_der(&der).ok()?
    };
    Some(key.to_sec1_point(false).as_bytes().to_vec())
}

pub(super) fn nfc_parameters(
    o: Obj<'_, '_>,
    serial_number: &str,
    organization: &str,
) -> Result<(NfcPass, Option<String>, bool), ImportError> {
    let aid_bytes = hex_field(&o, "aid", 32)?;
    let aid = Aid::new(&aid_bytes).map_err(|e| o.invalid("aid", e.to_string()))?;
    let keys = o.array("externalAuthKeys", MAX_KEYS, |i| {
        let k = i.obj()?;
        let number = k.required("keyId", |i| i.i64())?;
        let number = u8::try_from(number).map_err(|_| k.invalid("keyId", "1..=31"))?;
        let algorithm = match k.req_str("algorithm", 16)? {
            "AES-128" => KeyAlgorithm::Aes128,
            "TDES-2KEY" => KeyAlgorithm::Tdes2Key,
            _ => return Err(k.invalid("algorithm", "expected \"AES-128\" or \"TDES-2KEY\"")),
        };
        let value = hex_field(&k, "key", 32)?;
        let tries = k.required("retryLimit", |i| i.i64())?;
        let tries = u8::try_from(tries).map_err(|_| k.invalid("retryLimit", "1..=15"))?;
        NfcKey::new(number, algorithm, &value, tries).map_err(|e| k.invalid("key", e.to_string()))
    })?;
    let files = o.array("fileParameters", MAX_FILES, |i| {
        let f = i.obj()?;
        let id = hex_field(&f, "fileId", 4)?;
        let id: [u8; 2] =
            id.as_slice().try_into().map_err(|_| f.invalid("fileId", "2 bytes in hex"))?;
        let size = f.required("size", |i| i.i64())?;
        let size = usize::try_from(size).map_err(|_| f.invalid("size", "not a size"))?;
        let content = match f.opt_str("content", MAX_CONTENT_HEX)? {
            Some(_) => hex_field(&f, "content", MAX_CONTENT_HEX)?,
            None => Zeroizing::new(Vec::new()),
        };
        let remark = f.opt_string("remark", MAX_TEXT)?.unwrap_or_default();
        NfcFile::new(
            u16::from_be_bytes(id),
            size,
            &content,
            access(&f, "read")?,
            access(&f, "write")?,
            remark,
        )
        .map_err(|e| f.invalid("size", e.to_string()))
    })?;
    let callback_url = o.opt_string("callbackUrl", MAX_URL)?;
    let sync = o.opt_bool("syncAcrossDevices")?.unwrap_or(false);
    let id = PassId::new(serial_number).map_err(|e| o.invalid("aid", e.to_string()))?;
    let pass = NfcPass::new(id, organization, aid, files, keys)
        .map_err(|e| o.invalid("fileParameters", e.to_string()))?;
    Ok((pass, callback_url, sync))
}

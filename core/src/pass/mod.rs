//! Passes: the model ([`model`]) and its display details ([`display`]), Google Wallet
//! JSON import ([`google_wallet`]) and
//! PUSH SMART TAP DATA updates ([`push`]), per smart-tap spec §12 and §6.6.
//!
//! Which pass goes to which terminal is decided by [`crate::selection`]; this module only
//! describes and imports passes.

pub mod datetime;
pub mod display;
pub mod google_wallet;
pub(crate) mod json_reader;
mod jwt;
pub mod model;
pub mod push;
pub mod save_link;
pub mod update;

pub use datetime::{parse_date_time, parse_date_time_with_offset, DateTimeBound, DateTimeError};
pub use display::{Details, DisplayDateTime, Message, MessageType, Modules, SecretText, Vertical};
pub use google_wallet::{
    import_json, import_json_as, import_jwt, import_resource, ImportBatch, ImportError,
    ResourceKind,
};
pub use model::{
    Balance, BalanceValue, Barcode, ClassDisplay, Issuer, Money, ObjectDisplay, PassClass,
    PassObject, PassState, RedemptionValue, RedemptionValueError, ValidTimeInterval, Validity,
};
pub use push::{SupValueEncoding, TerminalUpdate};

use sha2::{Digest, Sha256};

/// The 8-byte `oid` value that names a pass on the wire: the first 8 bytes of SHA-256 of
/// its object ID (smart-tap spec §7.3, this project's convention; vector
/// `e2e-loyalty-2018.json` → `pass.oid`).
pub fn object_ref(object_id: &str) -> [u8; 8] {
    let digest = Sha256::digest(object_id.as_bytes());
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

//! Issuer NFC passes (issue 15; Huawei Wallet style door keys, smart locks, access and
//! campus cards): an ISO/IEC 7816-4 file applet whose AID, files, access conditions and keys
//! come from pass data.
//!
//! Module map, one concern each:
//! - [`model`]: the pass — AID, files with read/write access conditions, AES-128 or two-key
//!   TDES keys with retry counters — validated on construction.
//! - [`auth`]: ISO/IEC 9798-2-style challenge–response for EXTERNAL and INTERNAL
//!   AUTHENTICATE over the RustCrypto ciphers.
//! - [`security`]: the security state of one selection (challenge, proven keys).
//! - [`files`]: offsets and lengths of READ/UPDATE BINARY, the FCI and FCP templates.
//! - [`status`]: the status words beyond [`crate::apdu::sw`].
//! - [`ports`]: [`ports::NfcPassSource`] (which pass answers an AID) and
//!   [`ports::NfcPassJournal`] (reader writes and retry counters durable before the answer).
//! - [`memory`]: in-memory implementations of both ports.
//! - [`fixture`]: the JSON fixture form of a pass (demos, `hcectl vpcd --nfc`, tests).
//! - [`huawei`]: import of Huawei Wallet `HwWalletObject` JSON with its NFC part, and of
//!   signed pass packages (verified before anything is parsed).
//! - [`callback`]: receive / delete / swipe callbacks to the issuer, as outbox entries.
//! - [`google`]: a Google Wallet generic pass with the documented `hceWalletNfc` extension.
//! - [`issuer`]: the issuer's signed read/write requests (replay-protected).
//! - [`applet`]: the applet behind the router.

pub mod applet;
pub mod auth;
pub mod callback;
pub mod files;
pub mod fixture;
pub mod google;
pub mod huawei;
pub mod issuer;
pub mod memory;
pub mod model;
pub mod ports;
pub mod security;
pub mod status;

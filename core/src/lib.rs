//! # hce-wallet-core
//!
//! The sans-I/O heart of an Android host-card-emulation wallet. Bytes from an NFC
//! terminal come in through [`router::Router::process`], answers go out; nothing in
//! this crate opens a file, a socket or a thread, or reads a clock. Time, randomness,
//! the key ring and the pass store reach it through the traits in [`ports`].
//!
//! Module map (one concern each, named after the standard it implements):
//! - [`apdu`]: ISO/IEC 7816-4 command and response APDUs, status words.
//! - [`ndef`]: NFC Forum NDEF 1.0 messages, including nested messages.
//! - [`ber_tlv`]: ISO/IEC 8825-1 BER-TLV as EMV uses it (FCI, card data objects).
//! - [`router`]: the AID router Android's `HostApduService` hands APDUs to.
//! - [`ports`]: the traits hosts and stores implement; [`events`]: what the host hears.
//! - [`payment`]: EMV contactless card emulation over device tokens (payment spec).
//! - [`nfc_pass`]: issuer NFC passes (door keys, access cards): an ISO 7816-4 file applet.
#![forbid(unsafe_code)]

pub mod apdu;
pub mod ber_tlv;
pub mod events;
pub mod key_bundle;
pub mod key_ring;
pub mod ndef;
pub mod nfc_pass;
pub mod pass;
pub mod payment;
pub mod ports;
pub mod router;
pub mod selection;
pub mod smart_tap;
pub mod sync;
pub mod time;

//! EMV contactless payment over device tokens (spec `shared/spec/payment-hce.md`).
//!
//! The phone is a contactless EMV card for the **device tokens** the wallet holds: a bank
//! card becomes a device-specific token (MPAN) that pays offline from limited-use keys
//! (LUKs), verifies the user on the phone (CDCVM, §10) and never repeats a transaction
//! counter (ATC, §17.2).
//!
//! Module map, one concern each:
//! - [`token`]: the entities of §12.1 — card reference, token, limited-use keys and their
//!   thresholds, ATC, transaction-log entries — and the life-cycle vocabulary of §12.3
//!   (states, origins, reason codes).
//! - [`lifecycle`]: the §12.4 state machine over all tokens of one device, with its
//!   invariants (one token per card reference, exactly one default among Active tokens).
//! - [`ports`]: what the applet asks of the outside — a [`ports::TokenSource`] for the tap
//!   and a [`ports::PaymentJournal`] it commits the ATC and key use to **before** answering.
//! - [`memory`]: in-memory implementations of both ports (tests, `hcectl`); the encrypted
//!   store implements the same traits.
//! - [`dol`]: data object lists (PDOL, CDOL1/2, §5) and the values a terminal sent.
//! - [`cryptogram`]: the cryptogram engine trait (scheme profiles are licensed plug-ins,
//!   §17.1) and the generic verifiable profile of §9.4.
//! - [`profile`]: the card profile of one AID — FCI, PDOL, AIP, AFL, records (§6.2–6.4, §8).
//! - [`provisioning`]: the token service's signed provisioning payloads and sequenced
//!   status messages (§9.2, §12.3), verified before anything is applied.
//! - [`qr`]: the consumer-presented payment QR (EMV QRCPS) under the same ATC rules.
//! - [`sample`]: the spec's synthetic fixture tokens and the §9.4 test key (demos, tests).
//! - [`applet`]: the EMV applet behind the router — SELECT PPSE / AID, GET PROCESSING
//!   OPTIONS, READ RECORD, GENERATE AC, GET DATA (§6, §7, §13).

pub mod applet;
pub mod cryptogram;
pub mod dol;
pub mod lifecycle;
pub mod memory;
pub mod ports;
pub mod profile;
pub mod provisioning;
pub mod qr;
pub mod sample;
pub mod status;
pub mod token;
pub mod token_service;

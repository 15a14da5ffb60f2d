//! # hce-wallet-store
//!
//! The wallet's encrypted, crash-safe store (issue: encrypted store).
//!
//! - **Engine**: [`redb`] (pure Rust, ACID, copy-on-write B-trees with checksummed pages,
//!   MVCC readers beside one writer). Every multi-record change is one write transaction.
//! - **Values**: CBOR of versioned record types ([`records`]), sealed with AES-256-GCM under
//!   a fresh random nonce; the AAD binds table, record key and schema version
//!   ([`envelope`]). Record keys that would reveal something are HMAC-blinded.
//! - **Keys**: one host-held [`RootKey`]; HKDF-SHA256 subkeys per purpose ([`keys`]). A
//!   wrong key is [`StoreError::WrongKey`]; [`Store::rekey`] re-seals everything at once.
//! - **Schema**: versioned with in-transaction migrations ([`schema`]).
//! - **Tamper check at open**: redb's whole-file integrity check runs when the file is not
//!   as this store last left it, which a MAC'd stamp of the file's identity tells in O(1)
//!   (`stamp.rs`, [`IntegrityCheck`]).
//! - **Taps**: [`Store::prepare_tap`] hands out an `Arc<TapSnapshot>` rebuilt after every
//!   commit; the store and the snapshot implement the core's `IssuerKeyRing`,
//!   `PassSource`, `PushListener` and the selection engine's `PassRecords` ([`ports`])
//!   without waiting for writers.
//! - **Core model**: Google Wallet JSON imported by `hce_wallet_core::pass` is stored whole
//!   ([`Store::import_batch`]); every selection is the core's `SelectionEngine` reading the
//!   store as its `PassRecords` (the selection index of the collector's issuer, only those
//!   passes decrypted: issue #12); [`Store::engine_snapshot`] reads every pass; signature-checked
//!   key bundles replace the key ring with rollback protection
//!   ([`Store::apply_verified_bundle`]) ([`model`]).
//! - **Issuer NFC passes**: AID, files and keys sealed like every record; the store is the
//!   NFC applet's pass source and its durable write / retry-counter journal ([`nfc_passes`]).
//! - **Host wallet state**: the core's key ring and key-sync state, and pass objects
//!   changed by PUSH DATA ([`Store::key_ring_state`], [`Store::save_key_ring`],
//!   [`Store::save_objects`]); crate `hce-wallet` persists through these.
//!
//! Tests (`cargo test -p hce-wallet-store`): API behaviour, v1 fixture migration, a
//! differential test against the core's `SelectionEngine`, the lazy engine over the store
//! (`tests/lazy_engine.rs`), crash consistency (fault
//! injection at every write/flush point, SIGKILLed writer processes), tamper (byte flips,
//! swapped values), concurrency (taps during a 10,000-pass import). Long variants:
//! `make stress`. Benchmarks: `cargo bench -p hce-wallet-store --bench store`.
#![forbid(unsafe_code)]

mod codec;
mod envelope;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod keys;
pub mod model;
pub mod nfc_passes;
pub mod outbox;
pub mod pass_feed;
pub mod ports;
pub mod records;
pub mod schema;
pub mod snapshot;
mod stamp;
mod store;
mod tables;
pub mod token_sync;
pub mod tokens;
mod wallet_state;

pub use error::{Result, StoreError};
pub use keys::{RootKey, KEY_ENV_VAR};
pub use model::BundleOutcome;
pub use pass_feed::PassFeedState;
pub use records::*;
/// The database engine, re-exported for [`Store::open_with_backend`].
pub use redb;
pub use schema::CURRENT_SCHEMA;
pub use snapshot::{object_ref, Candidate, TapSnapshot};
pub use stamp::IntegrityCheck;
pub use store::{IssuerKeys, PassSummary, Store, StoreOptions};

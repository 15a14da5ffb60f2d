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
//! - **Taps**: [`Store::prepare_tap`] hands out an `Arc<TapSnapshot>` rebuilt after every
//!   commit; the store and the snapshot implement the core's `IssuerKeyRing`,
//!   `PassSource` and `PushListener` ([`ports`]) without waiting for writers.
#![forbid(unsafe_code)]

mod codec;
#[doc(hidden)]
pub mod fuzzing;
mod envelope;
pub mod error;
pub mod keys;
pub mod ports;
pub mod records;
pub mod schema;
pub mod snapshot;
mod store;
mod tables;

pub use error::{Result, StoreError};
pub use keys::{RootKey, KEY_ENV_VAR};
pub use records::*;
pub use schema::CURRENT_SCHEMA;
pub use snapshot::{object_ref, Candidate, TapSnapshot};
pub use store::{IssuerKeys, PassSummary, Store, StoreOptions};
/// The database engine, re-exported for [`Store::open_with_backend`].
pub use redb;

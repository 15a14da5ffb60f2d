//! Signed, sequenced pass-update bundles (issue #17): how an issuer changes passes the
//! user already saved — extends an end date, raises a balance, moves a gate, cancels a
//! flight, sends a message — and what the wallet tells the user about it.
//!
//! Envelope: the COSE_Sign1 / ES256 envelope of the issuer key bundles
//! ([`crate::key_bundle::verify_envelope`]), content type [`CONTENT_TYPE`] (a key that
//! signs other objects cannot have them taken for pass updates), signed by the issuer's
//! *feed key*, pinned in the wallet per issuer. The payload is JSON, since what it carries
//! is Google Wallet REST resources and messages, read by the same capped, path-naming
//! importer as a saved pass ([`super::google_wallet`]):
//!
//! ```text
//! { "v": 1, "issuer": "3388000000022334455", "seq": 7, "iat": 1804320000,
//!   "changes": [
//!     { "upsert": { "flightClasses": [ … ], "giftCardObjects": [ … ] } },
//!     { "addMessage": { "id": "3388….object-or-class", "message": { Google Message } } },
//!     { "expire": { "id": "3388….object" } },
//!     { "remove": { "id": "3388….object" } } ] }
//! ```
//!
//! `upsert` carries resources as they now stand (REST `update` semantics: the issuer
//! sends the whole resource; the wallet diffs). Every class and object ID must belong to
//! the bundle's issuer, which must be the feed's. `seq` must exceed the last applied one
//! (a replayed or older bundle is refused, [`UpdateError::Stale`]); `iat` is whole
//! seconds since the epoch. Applying ([`apply`]) is pure; the wallet writes the result in
//! one store transaction, then raises the [`PassChange`]s [`diff`] found.
// Works on untrusted bundles: no panics.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod apply;
mod decode;
mod diff;

pub use apply::{apply, Applied, Held};
pub use decode::{decode_payload, Change, PassUpdate};
pub use diff::{diff, FlightTime, PassChange};

use p256::ecdsa::SigningKey;

use super::google_wallet::ImportError;
use crate::key_bundle::{sign_envelope, verify_envelope, BundleError, PinnedRoots};
use crate::ports::IssuerId;

/// The protected `content type` of a pass-update envelope.
pub const CONTENT_TYPE: &str = "application/vnd.hce-wallet.pass-update+json";
/// The payload format version this build reads.
pub const FORMAT_VERSION: u64 = 1;
/// Largest envelope accepted (the importer's own document cap applies to the payload).
pub const MAX_BUNDLE_BYTES: usize = 1 << 20;
/// Most changes in one bundle.
pub const MAX_CHANGES: usize = 1000;

/// Why a pass-update bundle was refused. Nothing of it was applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    #[error("pass update envelope: {0}")]
    Envelope(#[from] BundleError),
    #[error("pass update payload: {0}")]
    Payload(#[from] ImportError),
    #[error("unsupported pass update format version {0} (this build reads {FORMAT_VERSION})")]
    Version(u64),
    #[error("bundle is for issuer {found}, this feed is issuer {expected}'s")]
    WrongIssuer { expected: IssuerId, found: IssuerId },
    #[error("{path}: belongs to issuer {owner}, not to the bundle's issuer {issuer}")]
    ForeignResource { path: String, owner: IssuerId, issuer: IssuerId },
    #[error("bundle sequence {found} is not newer than the applied {applied} (replayed or older)")]
    Stale { applied: u64, found: u64 },
    #[error("{path}: names class {class_id}, which is neither held nor in the bundle")]
    UnknownClass { path: String, class_id: String },
    #[error("{path}: the pass would no longer be valid: {reason}")]
    Invalid { path: String, reason: String },
}

/// Verifies a bundle from `issuer`'s feed: envelope and signature under the feed key,
/// payload, issuer, resource ownership. The sequence is checked by [`apply`].
pub fn verify_update(
    bytes: &[u8],
    feed_key: &PinnedRoots,
    issuer: IssuerId,
) -> Result<PassUpdate, UpdateError> {
    let signed = verify_envelope(bytes, CONTENT_TYPE, feed_key, MAX_BUNDLE_BYTES)?;
    let update = decode_payload(&signed.payload)?;
    if update.issuer != issuer {
        return Err(UpdateError::WrongIssuer { expected: issuer, found: update.issuer });
    }
    Ok(update)
}

/// Signs a payload (the JSON above) with an issuer's feed key, for publishing
/// (`hcectl passes bundle`). The payload is checked first: a bundle this build would
/// refuse is never signed.
pub fn sign_update(payload_json: &[u8], feed_key: &SigningKey) -> Result<Vec<u8>, UpdateError> {
    decode_payload(payload_json)?;
    Ok(sign_envelope(payload_json, CONTENT_TYPE, feed_key)?)
}

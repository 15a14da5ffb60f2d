//! The port through which the engine reads the passes it has not loaded yet (issue #12,
//! cold start). A store implements it over its selection index (smart-tap spec §12.1: the
//! collector's issuer → the objects whose class lists it), so an engine opened over a
//! store loads nothing per pass at open and, at a tap, decrypts only the candidates of the
//! collector's issuer. The rules stay in the engine ([`super::rules`]); this trait only
//! hands records over.

use std::collections::BTreeSet;

use crate::pass::{PassClass, PassObject};
use crate::ports::IssuerId;

/// The records could not be read (the engine fails closed: those passes are not loaded).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("pass records unreadable: {0}")]
pub struct RecordsError(pub String);

/// Classes and objects, as read from a [`PassRecords`].
pub type Records = (Vec<PassClass>, Vec<PassObject>);

/// Where an engine's passes live (see the module docs). Implementations must not call back
/// into the engine.
pub trait PassRecords: Send + Sync {
    /// The objects whose class lists `issuer` as a redemption issuer, with their classes.
    fn candidates(&self, issuer: IssuerId) -> Result<Records, RecordsError>;
    /// One object with its class (`None` if it is not stored).
    fn object(&self, id: &str) -> Result<Option<(PassClass, PassObject)>, RecordsError>;
    /// One class.
    fn class(&self, id: &str) -> Result<Option<PassClass>, RecordsError>;
    /// Every class and object (listing for the UI; never on the tap path).
    fn all(&self) -> Result<Records, RecordsError>;
    /// Every redemption issuer of the stored classes.
    fn redemption_issuers(&self) -> Result<BTreeSet<IssuerId>, RecordsError>;
}

//! The NFC pass applet's ports, shaped like the payment applet's
//! ([`crate::payment::ports`]): an [`NfcPassSource`] that says which passes answer which AID,
//! and an [`NfcPassJournal`] every reader write and every retry-counter change is committed
//! to **before** the answer that acknowledges it leaves.
//!
//! The contract: the applet answers `9000` to UPDATE BINARY only after
//! [`NfcPassJournal::commit_write`] returned `Ok` (implementations make the bytes durable —
//! the store: one ACID write); a failed commit answers `6581` and the session copy stays as
//! it was. A failed EXTERNAL AUTHENTICATE answers `63Cx` only after
//! [`NfcPassJournal::commit_tries`] made the lower count durable, so pulling the phone away
//! cannot reset the counter. All methods take `&self`; the traits are `Send + Sync`.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::fmt;

use super::model::{Aid, FileId, KeyNumber, NfcPass, NfcPassState, PassId};

/// Which passes exist for the applet (the store, or [`super::memory::InMemoryNfcPasses`]).
pub trait NfcPassSource: Send + Sync {
    /// The AIDs of every Active pass (for the router and the host's AID registration).
    fn aids(&self) -> Vec<Aid>;
    /// Every pass with this AID, in any state (the applet decides, [`resolve`]).
    fn passes_with_aid(&self, aid: &[u8]) -> Vec<NfcPass>;
    /// The pass the user chose to present (the wallet's "open pass"), if any.
    fn chosen(&self) -> Option<PassId>;
}

/// Why the journal refused a commit. Every refusal means: nothing was acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NfcJournalError {
    #[error("unknown pass")]
    UnknownPass,
    #[error("pass has no file {0}")]
    UnknownFile(FileId),
    #[error("pass has no key {0}")]
    UnknownKey(KeyNumber),
    #[error("write of {len} bytes at {offset} leaves the file")]
    OutOfRange { offset: usize, len: usize },
    /// The durable write failed.
    #[error("journal storage failed: {0}")]
    Storage(String),
}

/// Where reader writes and retry counters become durable before the answer (module doc).
pub trait NfcPassJournal: Send + Sync {
    /// Writes `data` at `offset` of `file`; returns only when durable.
    fn commit_write(
        &self,
        pass: &PassId,
        file: FileId,
        offset: usize,
        data: &[u8],
    ) -> Result<(), NfcJournalError>;
    /// Sets the tries left of `key`; returns only when durable.
    fn commit_tries(
        &self,
        pass: &PassId,
        key: KeyNumber,
        remaining: u8,
    ) -> Result<(), NfcJournalError>;
}

/// Who answers a SELECT of one AID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// This pass.
    Pass(Box<NfcPass>),
    /// No Active pass has the AID.
    None,
    /// Several Active passes share the AID and the user chose none of them: nobody answers
    /// (a reader must never open the wrong door); the app asks the user to choose.
    Ambiguous(Vec<PassId>),
}

/// The rule for a SELECT (issue 15): among the Active passes with the AID, the user's chosen
/// pass; else the only one; else none.
pub fn resolve(candidates: Vec<NfcPass>, chosen: Option<&PassId>) -> Resolution {
    let mut active: Vec<NfcPass> =
        candidates.into_iter().filter(|p| p.state == NfcPassState::Active).collect();
    if let Some(pos) = chosen.and_then(|c| active.iter().position(|p| &p.id == c)) {
        return Resolution::Pass(Box::new(active.swap_remove(pos)));
    }
    match active.len() {
        0 => Resolution::None,
        1 => active.pop().map_or(Resolution::None, |p| Resolution::Pass(Box::new(p))),
        _ => Resolution::Ambiguous(active.into_iter().map(|p| p.id).collect()),
    }
}

impl fmt::Debug for dyn NfcPassSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dyn NfcPassSource")
    }
}
impl fmt::Debug for dyn NfcPassJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dyn NfcPassJournal")
    }
}

/// A reader's write into `pass`, as every [`NfcPassJournal`] applies it before making it
/// durable (one rule for the bounds, whatever the storage).
pub fn apply_write(
    pass: &mut NfcPass,
    file: FileId,
    offset: usize,
    data: &[u8],
) -> Result<(), NfcJournalError> {
    let f = pass.file_mut(file).ok_or(NfcJournalError::UnknownFile(file))?;
    f.write_at(offset, data).ok_or(NfcJournalError::OutOfRange { offset, len: data.len() })
}

/// Sets the tries left of `key` in `pass` (capped at its maximum), as every
/// [`NfcPassJournal`] applies it.
pub fn apply_tries(
    pass: &mut NfcPass,
    key: KeyNumber,
    remaining: u8,
) -> Result<(), NfcJournalError> {
    let k = pass.key_mut(key).ok_or(NfcJournalError::UnknownKey(key))?;
    k.remaining = remaining.min(k.max_tries);
    Ok(())
}

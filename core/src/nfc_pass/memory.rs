//! In-memory implementation of both NFC pass ports (tests, `hcectl`); the encrypted store
//! implements the same traits durably. "Durable" here means "in this object": a committed
//! write is what the next selection reads. A failure switch lets tests see that a write
//! the journal refused is never acknowledged.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::sync::{Mutex, MutexGuard};

use super::model::{Aid, FileId, KeyNumber, NfcPass, NfcPassState, PassId};
use super::ports::{NfcJournalError, NfcPassJournal, NfcPassSource};

#[derive(Default)]
struct Inner {
    passes: Vec<NfcPass>,
    chosen: Option<PassId>,
    failing: bool,
}

/// NFC passes in memory. Share it with `Arc`.
#[derive(Default)]
pub struct InMemoryNfcPasses(Mutex<Inner>);

impl std::fmt::Debug for InMemoryNfcPasses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryNfcPasses").finish_non_exhaustive()
    }
}

impl InMemoryNfcPasses {
    pub fn new(passes: Vec<NfcPass>) -> InMemoryNfcPasses {
        InMemoryNfcPasses(Mutex::new(Inner { passes, ..Inner::default() }))
    }
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// Adds or replaces (same ID) a pass.
    pub fn put(&self, pass: NfcPass) {
        let mut inner = self.lock();
        inner.passes.retain(|p| p.id != pass.id);
        inner.passes.push(pass);
    }
    /// The pass as stored now.
    pub fn pass(&self, id: &PassId) -> Option<NfcPass> {
        self.lock().passes.iter().find(|p| &p.id == id).cloned()
    }
    pub fn passes(&self) -> Vec<NfcPass> {
        self.lock().passes.clone()
    }
    /// The user's choice for the next tap (`None`: no choice).
    pub fn choose(&self, id: Option<PassId>) {
        self.lock().chosen = id;
    }
    pub fn set_state(&self, id: &PassId, state: NfcPassState) {
        if let Some(p) = self.lock().passes.iter_mut().find(|p| &p.id == id) {
            p.state = state;
        }
    }
    /// Makes every commit fail (a full disk, a crashed store) until switched back.
    pub fn set_failing(&self, failing: bool) {
        self.lock().failing = failing;
    }
}

impl NfcPassSource for InMemoryNfcPasses {
    fn aids(&self) -> Vec<Aid> {
        let mut aids: Vec<Aid> = self
            .lock()
            .passes
            .iter()
            .filter(|p| p.state == NfcPassState::Active)
            .map(|p| p.aid.clone())
            .collect();
        aids.sort();
        aids.dedup();
        aids
    }
    fn passes_with_aid(&self, aid: &[u8]) -> Vec<NfcPass> {
        self.lock().passes.iter().filter(|p| p.aid.as_bytes() == aid).cloned().collect()
    }
    fn chosen(&self) -> Option<PassId> {
        self.lock().chosen.clone()
    }
}

impl NfcPassJournal for InMemoryNfcPasses {
    fn commit_write(
        &self,
        pass: &PassId,
        file: FileId,
        offset: usize,
        data: &[u8],
    ) -> Result<(), NfcJournalError> {
        let mut inner = self.lock();
        if inner.failing {
            return Err(NfcJournalError::Storage("failure switch on".into()));
        }
        let p =
            inner.passes.iter_mut().find(|p| &p.id == pass).ok_or(NfcJournalError::UnknownPass)?;
        super::ports::apply_write(p, file, offset, data)
    }
    fn commit_tries(
        &self,
        pass: &PassId,
        key: KeyNumber,
        remaining: u8,
    ) -> Result<(), NfcJournalError> {
        let mut inner = self.lock();
        if inner.failing {
            return Err(NfcJournalError::Storage("failure switch on".into()));
        }
        let p =
            inner.passes.iter_mut().find(|p| &p.id == pass).ok_or(NfcJournalError::UnknownPass)?;
        super::ports::apply_tries(p, key, remaining)
    }
}

//! In-memory implementations of the payment ports: [`InMemoryTokens`] is a
//! [`TokenSource`] and a [`PaymentJournal`] over a [`TokenBook`], the tokens' key batches,
//! ATCs and transaction logs, and the host's CDCVM window. Tests, benches and `hcectl` use
//! it; the encrypted store implements the same traits durably. Nothing here survives the
//! process: "durable" means "in this object" (the journal contract of [`super::ports`]
//! still holds — a committed ATC is never offered again).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::lifecycle::{DeviceEvent, LifecycleError, TokenBook, Transition};
use super::ports::{CurrentKey, JournalError, PaymentJournal, TapToken, TokenSource, Verification};
use super::token::{
    check_next_atc, Atc, KeyBatch, KeyBudget, LimitedUseKey, Origin, ReasonCode, Token, TokenId,
    TokenState, TransactionLogEntry,
};
use crate::events::{PaymentEvent, WalletEvent};
use crate::ports::{EventSink, NoEvents};
use crate::time::Timestamp;

/// Keys with this many transactions left (or fewer) count as low (§9.2: replenish early).
pub const DEFAULT_LOW_KEYS: u32 = 2;
/// Longest transaction log kept per token in memory.
pub const MAX_LOG: usize = 256;

#[derive(Default)]
struct Inner {
    book: TokenBook,
    keys: HashMap<TokenId, KeyBatch>,
    atc: HashMap<TokenId, Atc>,
    log: HashMap<TokenId, Vec<TransactionLogEntry>>,
    verification: Verification,
    picked: Option<TokenId>,
}

/// Tokens, keys, counters and logs in memory. Cheap to share: clone the `Arc`.
pub struct InMemoryTokens {
    inner: Mutex<Inner>,
    events: Arc<dyn EventSink>,
    low_at: u32,
}

impl Default for InMemoryTokens {
    fn default() -> Self {
        InMemoryTokens::new(Arc::new(NoEvents))
    }
}

impl std::fmt::Debug for InMemoryTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryTokens").finish_non_exhaustive()
    }
}

/// Why a management call on [`InMemoryTokens`] was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenStoreError {
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    #[error("token {0} is Deleted")]
    Deleted(TokenId),
}

impl InMemoryTokens {
    /// Life-cycle events go to `events` as [`WalletEvent::Payment`].
    pub fn new(events: Arc<dyn EventSink>) -> InMemoryTokens {
        InMemoryTokens { inner: Mutex::new(Inner::default()), events, low_at: DEFAULT_LOW_KEYS }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn emit(&self, events: Vec<PaymentEvent>) {
        for e in events {
            self.events.emit(WalletEvent::Payment(e));
        }
    }

    /// Loads a token with its key batch (Active at once when `active`, else Pending).
    pub fn provision(
        &self,
        token: Token,
        keys: Vec<LimitedUseKey>,
        active: bool,
        now: Timestamp,
    ) -> Result<(), TokenStoreError> {
        let id = token.id.clone();
        let events = {
            let mut inner = self.lock();
            let events = inner.book.load(token, active, now)?;
            inner.keys.insert(id.clone(), KeyBatch::new(keys));
            inner.atc.insert(id, Atc(0));
            events
        };
        self.emit(events);
        Ok(())
    }

    /// Adds a replenished key batch to a live token (keys already held are kept).
    pub fn replenish(&self, id: &TokenId, keys: Vec<LimitedUseKey>) -> Result<(), TokenStoreError> {
        let mut inner = self.lock();
        match inner.book.get(id).map(|r| r.state) {
            None => return Err(LifecycleError::UnknownToken(id.clone()).into()),
            Some(TokenState::Deleted) => return Err(TokenStoreError::Deleted(id.clone())),
            Some(_) => {}
        }
        let batch = inner.keys.entry(id.clone()).or_default();
        batch.extend(keys);
        Ok(())
    }

    /// One life-cycle operation; a delete wipes the token's keys.
    pub fn apply(
        &self,
        id: &TokenId,
        transition: Transition,
        origin: Origin,
        reason: Option<ReasonCode>,
        now: Timestamp,
    ) -> Result<(), TokenStoreError> {
        let events = {
            let mut inner = self.lock();
            let events = inner.book.apply(id, transition, origin, reason, now)?;
            Self::wipe_dead(&mut inner);
            events
        };
        self.emit(events);
        Ok(())
    }

    /// A device or account event (§12.3).
    pub fn device_event(&self, event: DeviceEvent, now: Timestamp) {
        let events = {
            let mut inner = self.lock();
            let events = inner.book.apply_device(event, now);
            Self::wipe_dead(&mut inner);
            events
        };
        self.emit(events);
    }

    /// The user picks the default card.
    pub fn set_default(&self, id: &TokenId) -> Result<(), TokenStoreError> {
        let events = self.lock().book.set_default(id)?;
        self.emit(events);
        Ok(())
    }

    /// The host reports "the user verified until `until` by `method`" (§10).
    pub fn set_verification(&self, verification: Verification) {
        self.lock().verification = verification;
    }

    /// The user picked this token for the next tap (offered before the default), or `None`.
    pub fn pick_for_tap(&self, id: Option<TokenId>) {
        self.lock().picked = id;
    }

    /// A copy of the life-cycle book.
    pub fn book(&self) -> TokenBook {
        self.lock().book.clone()
    }

    /// The transaction log of a token, oldest first.
    pub fn log(&self, id: &TokenId) -> Vec<TransactionLogEntry> {
        self.lock().log.get(id).cloned().unwrap_or_default()
    }

    /// Sets the last committed ATC (tests and vectors start a token mid-life).
    pub fn set_last_atc(&self, id: &TokenId, atc: Atc) {
        self.lock().atc.insert(id.clone(), atc);
    }

    /// Deleted (and re-provisioning) tokens hold no keys (§12.3: wipe keys on delete).
    fn wipe_dead(inner: &mut Inner) {
        let dead: Vec<TokenId> = inner
            .book
            .records()
            .iter()
            .filter(|r| matches!(r.state, TokenState::Deleted | TokenState::Pending))
            .map(|r| r.token.id.clone())
            .filter(|id| inner.keys.get(id).is_some_and(|b| !b.keys.is_empty()))
            .collect();
        for id in dead {
            let deleted = inner.book.get(&id).is_some_and(|r| r.state == TokenState::Deleted);
            // A Pending token that never had an active life keeps its first batch.
            let was_active = inner
                .book
                .get(&id)
                .is_some_and(|r| r.history.iter().any(|h| h.to == TokenState::Active));
            if deleted || was_active {
                inner.keys.remove(&id);
            }
        }
        if let Some(p) = inner.picked.clone() {
            if inner.book.get(&p).map(|r| r.state) != Some(TokenState::Active) {
                inner.picked = None;
            }
        }
    }

    fn tap_token(inner: &Inner, id: &TokenId) -> Option<TapToken> {
        inner.book.get(id).map(|r| TapToken {
            token: r.token.clone(),
            state: r.state,
            is_default: inner.book.default_token() == Some(id),
        })
    }
}

impl TokenSource for InMemoryTokens {
    fn offered(&self, _now: Timestamp) -> Vec<TapToken> {
        let inner = self.lock();
        let mut ids: Vec<TokenId> = inner.picked.iter().cloned().collect();
        if let Some(d) = inner.book.default_token() {
            if !ids.contains(d) {
                ids.push(d.clone());
            }
        }
        ids.iter()
            .filter_map(|id| Self::tap_token(&inner, id))
            .filter(|t| t.state == TokenState::Active)
            .collect()
    }

    fn token(&self, id: &TokenId) -> Option<TapToken> {
        Self::tap_token(&self.lock(), id)
    }

    fn current_key(&self, id: &TokenId, now: Timestamp) -> CurrentKey {
        match self.lock().keys.get(id) {
            Some(batch) => batch.current(now, self.low_at),
            None => CurrentKey { key: None, budget: KeyBudget::NoKey },
        }
    }

    fn verification(&self, _now: Timestamp) -> Verification {
        self.lock().verification
    }
}

impl PaymentJournal for InMemoryTokens {
    fn last_atc(&self, id: &TokenId) -> Result<Atc, JournalError> {
        self.lock().atc.get(id).copied().ok_or(JournalError::UnknownToken)
    }

    fn commit(&self, id: &TokenId, entry: &TransactionLogEntry) -> Result<(), JournalError> {
        let mut inner = self.lock();
        let state = inner.book.get(id).map(|r| r.state).ok_or(JournalError::UnknownToken)?;
        if state != TokenState::Active {
            return Err(JournalError::NotActive(state));
        }
        check_next_atc(inner.atc.get(id).copied().unwrap_or_default(), entry.atc)?;
        let low_at = self.low_at;
        let batch = inner.keys.get_mut(id).ok_or(JournalError::KeyUnusable)?;
        batch.spend(entry.key_index, entry.amount, entry.at, low_at)?;
        inner.atc.insert(id.clone(), entry.atc);
        let log = inner.log.entry(id.clone()).or_default();
        if log.len() >= MAX_LOG {
            log.remove(0);
        }
        log.push(entry.clone());
        inner.book.mark_used(id, entry.at);
        Ok(())
    }

    fn record_cryptogram(
        &self,
        id: &TokenId,
        atc: Atc,
        cryptogram: [u8; 8],
        cid: u8,
    ) -> Result<(), JournalError> {
        let mut inner = self.lock();
        let log = inner.log.get_mut(id).ok_or(JournalError::UnknownToken)?;
        match log.iter_mut().rev().find(|e| e.atc == atc) {
            Some(e) => {
                e.cryptogram = Some((cryptogram, cid));
                Ok(())
            }
            None => Err(JournalError::AtcNotNext { offered: atc.0, last: atc.0 }),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::payment::sample::{sample_keys, sample_token};
    use crate::payment::token::KEY_INDEX_LEN;
    use crate::ports::EventLog;

    fn now() -> Timestamp {
        Timestamp::from_secs(1_800_000_000)
    }

    fn entry(atc: u16, key_index: [u8; KEY_INDEX_LEN]) -> TransactionLogEntry {
        TransactionLogEntry {
            atc: Atc(atc),
            key_index,
            unpredictable_number: [1, 2, 3, 4],
            amount: 1000,
            currency: 0x0156,
            date: [0x26, 0x11, 0x22],
            transaction_type: 0,
            cdcvm: true,
            cryptogram: None,
            at: now(),
        }
    }

    #[test]
    fn journal_accepts_only_the_next_atc_and_spends_keys() {
        let events = Arc::new(EventLog::default());
        let t = InMemoryTokens::new(events.clone());
        let tok = sample_token(0);
        let id = tok.id.clone();
        t.provision(tok, sample_keys(0, 2, 2, now()), true, now()).unwrap();
        assert!(events
            .take()
            .iter()
            .any(|e| matches!(e, WalletEvent::Payment(PaymentEvent::DefaultChanged { .. }))));
        assert_eq!(t.offered(now()).len(), 1);
        assert!(t.payment_ready(now()));
        let k0 = t.current_key(&id, now()).key.unwrap().key_index;
        assert_eq!(
            t.commit(&id, &entry(2, k0)),
            Err(JournalError::AtcNotNext { offered: 2, last: 0 })
        );
        t.commit(&id, &entry(1, k0)).unwrap();
        assert_eq!(
            t.commit(&id, &entry(1, k0)),
            Err(JournalError::AtcNotNext { offered: 1, last: 1 })
        );
        t.commit(&id, &entry(2, k0)).unwrap();
        // Key 0 spent: the batch moves on to key 1, and is low.
        let cur = t.current_key(&id, now());
        let k1 = cur.key.unwrap().key_index;
        assert_ne!(k0, k1);
        assert_eq!(cur.budget, KeyBudget::Available { transactions_left: 2, low: true });
        assert_eq!(t.commit(&id, &entry(3, k0)), Err(JournalError::WrongKey(k0)));
        t.commit(&id, &entry(3, k1)).unwrap();
        t.commit(&id, &entry(4, k1)).unwrap();
        assert_eq!(t.current_key(&id, now()).budget, KeyBudget::Exhausted);
        assert_eq!(t.commit(&id, &entry(5, k1)), Err(JournalError::KeyUnusable));
        assert_eq!(t.last_atc(&id), Ok(Atc(4)));
        assert_eq!(t.log(&id).len(), 4);
        // Replenished: the next ATC goes on from 5, with the new key.
        let mut fresh = sample_keys(0, 1, 5, now());
        fresh[0].key_index = [9, 9, 9, 9];
        t.replenish(&id, fresh).unwrap();
        let k2 = t.current_key(&id, now()).key.unwrap().key_index;
        assert_eq!(k2, [9, 9, 9, 9]);
        t.commit(&id, &entry(5, k2)).unwrap();
    }

    #[test]
    fn suspended_tokens_are_not_offered_and_cannot_commit_and_delete_wipes_keys() {
        let t = InMemoryTokens::default();
        let (a, b) = (sample_token(0), sample_token(1));
        let (ia, ib) = (a.id.clone(), b.id.clone());
        t.provision(a, sample_keys(0, 1, 5, now()), true, now()).unwrap();
        t.provision(b, sample_keys(1, 1, 5, now()), true, now()).unwrap();
        t.pick_for_tap(Some(ib.clone()));
        let offered: Vec<TokenId> = t.offered(now()).into_iter().map(|x| x.token.id).collect();
        assert_eq!(offered, vec![ib.clone(), ia.clone()], "picked first, then the default");
        t.apply(&ia, Transition::Suspend, Origin::User, Some(ReasonCode::Lost), now()).unwrap();
        let offered: Vec<TokenId> = t.offered(now()).into_iter().map(|x| x.token.id).collect();
        assert_eq!(offered, vec![ib.clone()], "b is the new default and still picked");
        let k = t.current_key(&ia, now()).key.unwrap().key_index;
        assert_eq!(
            t.commit(&ia, &entry(1, k)),
            Err(JournalError::NotActive(TokenState::Suspended))
        );
        t.apply(&ia, Transition::Delete, Origin::User, None, now()).unwrap();
        assert_eq!(t.current_key(&ia, now()).budget, KeyBudget::NoKey);
        assert_eq!(
            t.replenish(&ia, sample_keys(0, 1, 5, now())),
            Err(TokenStoreError::Deleted(ia))
        );
    }
}

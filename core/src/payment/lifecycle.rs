//! The token life cycle of one device (payment spec §12.3–12.4) as one type, [`TokenBook`].
//!
//! ```text
//!             load ok                   suspend (user / issuer / card / device lost / credential removed)
//! (none) ──▶ Pending ──activate──▶ Active ─────────────────────────▶ Suspended
//!               │                    ▲  │                              │
//!               │                    │  └─ update (state kept)         │ resume (clears its holds)
//!               ▼                    └─────────────────────────────────┘
//!            Deleted ◀── delete (any state; user, issuer, card cancel, wipe, sign-out)
//! ```
//!
//! Every change names its [`Origin`] and, where the server gave one, a [`ReasonCode`];
//! an operation the current state does not allow is a typed [`LifecycleError`], never a
//! silent no-op. Invariants, kept by every method and checked by [`TokenBook::check`]:
//!
//! - **one token per card reference** among tokens that are not Deleted (§12.2 rule 1);
//! - **exactly one default among Active tokens** whenever any token is Active, none
//!   otherwise (§12.2 rule 2, §17.6). When the default stops being Active, the **promotion
//!   rule** picks the Active token used most recently, else the one loaded earliest, and a
//!   [`PaymentEvent::DefaultChanged`] tells the app (which may ask the user to pick);
//! - **Deleted is terminal**; a token reference is never reused (a re-load is a new token).
//!
//! Suspensions are **holds**, one per origin: a token reported lost by the user *and*
//! suspended because the device was lost stays Suspended until both are lifted. A resume
//! lifts the holds its origin may lift ([`Origin::lifts`]): the issuer (authoritative over
//! its token) lifts user and issuer holds, the card issuer its card holds, "device found"
//! the device-lost hold, and the host's "device credential set" the credential hold.
//! Device restore moves every live token back to Pending: keys are device-bound and must
//! be re-provisioned (§12.3).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeSet;

use super::token::{CardRef, Expiry, Mpan, Origin, ReasonCode, Token, TokenId, TokenState};
use crate::events::PaymentEvent;
use crate::time::Timestamp;

/// Longest life-cycle history kept per token (oldest entries are dropped first).
pub const MAX_HISTORY: usize = 64;

/// An operation on one token (§12.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Pending → Active (the token service activated the token).
    Activate,
    /// Active or Suspended → Suspended, adding a hold for the origin.
    Suspend,
    /// Lifts the origin's holds; Suspended → Active when none is left.
    Resume,
    /// Replaces card data; the state is kept (§12.3 "update").
    Update(TokenUpdate),
    /// Any state but Deleted → Deleted.
    Delete,
    /// Active or Suspended → Pending: the token must be provisioned again (device restore).
    RequireReprovisioning,
}

/// The operation names a history keeps ([`HistoryEntry::operation`]).
pub const OPERATIONS: [&str; 7] =
    ["load", "activate", "suspend", "resume", "update", "delete", "require re-provisioning"];

/// The static name of a stored operation name (`"unknown"` for one this build does not know).
pub fn operation_name(stored: &str) -> &'static str {
    OPERATIONS.iter().find(|o| **o == stored).copied().unwrap_or("unknown")
}

impl Transition {
    fn name(&self) -> &'static str {
        match self {
            Transition::Activate => "activate",
            Transition::Suspend => "suspend",
            Transition::Resume => "resume",
            Transition::Update(_) => "update",
            Transition::Delete => "delete",
            Transition::RequireReprovisioning => "require re-provisioning",
        }
    }
}

/// What an issuer "update" may replace (§12.3: expiry, keys, card art, or the MPAN).
/// Keys are replaced through the key store, not here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenUpdate {
    pub mpan: Option<Mpan>,
    pub expiry: Option<Expiry>,
    pub psn: Option<u8>,
    /// `Some(None)` removes the card art reference.
    pub card_art: Option<Option<String>>,
}

/// Device- and account-level events from the host or the server (§12.3 "device", "user
/// account"); each maps onto per-token transitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DeviceEvent {
    /// Reported lost: every Active token Suspended.
    Lost,
    /// Found again: the device-lost holds are lifted.
    Found,
    /// Contents wiped: every token Deleted (keys destroyed).
    Wiped,
    /// Restored from a backup: every live token Pending re-provisioning.
    Restored,
    /// Signed out of the wallet account: every token Deleted.
    SignedOut,
    /// Screen lock / biometrics removed: no CDCVM possible, every Active token Suspended.
    CredentialRemoved,
    /// A device credential is set again: the credential holds are lifted.
    CredentialSet,
}

impl DeviceEvent {
    /// The origin the event's transitions carry.
    pub fn origin(self) -> Origin {
        self.transition().1
    }

    fn transition(self) -> (Transition, Origin) {
        match self {
            DeviceEvent::Lost => (Transition::Suspend, Origin::DeviceLost),
            DeviceEvent::Found => (Transition::Resume, Origin::DeviceFound),
            DeviceEvent::Wiped => (Transition::Delete, Origin::DeviceWipe),
            DeviceEvent::Restored => (Transition::RequireReprovisioning, Origin::DeviceRestore),
            DeviceEvent::SignedOut => (Transition::Delete, Origin::AccountSignOut),
            DeviceEvent::CredentialRemoved => {
                (Transition::Suspend, Origin::DeviceCredentialRemoved)
            }
            DeviceEvent::CredentialSet => (Transition::Resume, Origin::DeviceCredentialSet),
        }
    }
}

/// The kind of suspension a hold stands for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Hold {
    /// The user reported the token lost (or the bank's app did for the user).
    User,
    Issuer,
    Card,
    DeviceLost,
    Credential,
}

impl Origin {
    /// The hold a suspension from this origin places, if it may suspend at all.
    pub fn hold(self) -> Option<Hold> {
        match self {
            Origin::User => Some(Hold::User),
            Origin::IssuerOnToken => Some(Hold::Issuer),
            Origin::IssuerOnCard => Some(Hold::Card),
            Origin::DeviceLost => Some(Hold::DeviceLost),
            Origin::DeviceCredentialRemoved => Some(Hold::Credential),
            Origin::DeviceFound
            | Origin::DeviceWipe
            | Origin::DeviceRestore
            | Origin::AccountSignOut
            | Origin::DeviceCredentialSet => None,
        }
    }
    /// The holds a resume from this origin lifts.
    pub fn lifts(self) -> &'static [Hold] {
        match self {
            Origin::User => &[Hold::User],
            Origin::IssuerOnToken => &[Hold::User, Hold::Issuer],
            Origin::IssuerOnCard => &[Hold::Card],
            Origin::DeviceFound => &[Hold::DeviceLost],
            Origin::DeviceCredentialSet => &[Hold::Credential],
            Origin::DeviceLost
            | Origin::DeviceWipe
            | Origin::DeviceRestore
            | Origin::AccountSignOut
            | Origin::DeviceCredentialRemoved => &[],
        }
    }
}

/// Why a life-cycle operation was refused. Nothing changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("no token {0}")]
    UnknownToken(TokenId),
    #[error("token {0} already exists (token references are never reused)")]
    DuplicateToken(TokenId),
    #[error("card {0:?} already has token {1} on this device")]
    DuplicateCard(CardRef, TokenId),
    #[error("cannot {op} token {token} in state {from:?} (origin {origin:?})")]
    Illegal { token: TokenId, from: TokenState, op: &'static str, origin: Origin },
    #[error("only an Active token can be the default; {0} is {1:?}")]
    DefaultNotActive(TokenId, TokenState),
    #[error("card {0:?} has no token on this device")]
    UnknownCard(CardRef),
}

/// One life-cycle change as kept in a token's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at: Timestamp,
    pub from: Option<TokenState>,
    pub to: TokenState,
    pub origin: Origin,
    pub reason: Option<ReasonCode>,
    pub operation: &'static str,
}

/// One token of the device and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub token: Token,
    pub state: TokenState,
    /// The suspensions in force (empty unless Suspended).
    pub holds: BTreeSet<Hold>,
    pub loaded_at: Timestamp,
    /// The last tap that produced a cryptogram (the promotion rule's first criterion).
    pub last_used: Option<Timestamp>,
    pub history: Vec<HistoryEntry>,
}

/// Every token of one device, their states and the default card.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenBook {
    /// In load order (the promotion rule's second criterion).
    records: Vec<TokenRecord>,
    default: Option<TokenId>,
}

impl TokenBook {
    pub fn new() -> TokenBook {
        TokenBook::default()
    }

    /// Rebuilds a book from persisted records (the store), re-establishing the default
    /// invariant if the records disagree with it.
    pub fn from_records(records: Vec<TokenRecord>, default: Option<TokenId>) -> TokenBook {
        let mut book = TokenBook { records, default };
        let mut ignored = Vec::new();
        book.settle_default(&mut ignored);
        book
    }

    /// All tokens, Deleted ones included, in load order.
    pub fn records(&self) -> &[TokenRecord] {
        &self.records
    }
    pub fn get(&self, id: &TokenId) -> Option<&TokenRecord> {
        self.records.iter().find(|r| &r.token.id == id)
    }
    /// The default card, if any token is Active.
    pub fn default_token(&self) -> Option<&TokenId> {
        self.default.as_ref()
    }
    /// The live (not Deleted) token of a card reference.
    pub fn token_of_card(&self, card: &CardRef) -> Option<&TokenRecord> {
        self.records.iter().find(|r| &r.token.card == card && r.state != TokenState::Deleted)
    }

    /// Loads (provisions) a token: Pending, or Active at once when the token service
    /// activated it in the same step (`active`). Refuses a second token for a card
    /// reference that has a live one, and a token reference seen before.
    pub fn load(
        &mut self,
        token: Token,
        active: bool,
        now: Timestamp,
    ) -> Result<Vec<PaymentEvent>, LifecycleError> {
        if self.get(&token.id).is_some() {
            return Err(LifecycleError::DuplicateToken(token.id));
        }
        if let Some(existing) = self.token_of_card(&token.card) {
            return Err(LifecycleError::DuplicateCard(token.card, existing.token.id.clone()));
        }
        let id = token.id.clone();
        let mut events = Vec::new();
        self.records.push(TokenRecord {
            token,
            state: TokenState::Pending,
            holds: BTreeSet::new(),
            loaded_at: now,
            last_used: None,
            history: Vec::new(),
        });
        self.record(&id, None, TokenState::Pending, Origin::User, None, "load", now, &mut events);
        if active {
            self.change(&id, TokenState::Active, Origin::User, None, "activate", now, &mut events);
        }
        self.settle_default(&mut events);
        Ok(events)
    }

    /// Applies one operation to one token.
    pub fn apply(
        &mut self,
        id: &TokenId,
        transition: Transition,
        origin: Origin,
        reason: Option<ReasonCode>,
        now: Timestamp,
    ) -> Result<Vec<PaymentEvent>, LifecycleError> {
        let mut events = Vec::new();
        self.apply_one(id, transition, origin, reason, now, &mut events)?;
        self.settle_default(&mut events);
        Ok(events)
    }

    /// An issuer event on the physical card, cascaded to its live token (§12.3: the card's
    /// report lost / un-report / update / cancel reach every token of that card).
    pub fn apply_to_card(
        &mut self,
        card: &CardRef,
        transition: Transition,
        reason: Option<ReasonCode>,
        now: Timestamp,
    ) -> Result<Vec<PaymentEvent>, LifecycleError> {
        let id = match self.token_of_card(card) {
            Some(r) => r.token.id.clone(),
            None => return Err(LifecycleError::UnknownCard(card.clone())),
        };
        self.apply(&id, transition, Origin::IssuerOnCard, reason, now)
    }

    /// A device or account event, applied to every token it concerns; tokens in a state
    /// the event does not touch are skipped (a device-lost suspend leaves Pending tokens).
    pub fn apply_device(&mut self, event: DeviceEvent, now: Timestamp) -> Vec<PaymentEvent> {
        let (transition, origin) = event.transition();
        let ids: Vec<TokenId> = self
            .records
            .iter()
            .filter(|r| match transition {
                Transition::Suspend => r.state == TokenState::Active,
                Transition::Resume => r.state == TokenState::Suspended,
                Transition::RequireReprovisioning => {
                    matches!(r.state, TokenState::Active | TokenState::Suspended)
                }
                _ => r.state != TokenState::Deleted,
            })
            .map(|r| r.token.id.clone())
            .collect();
        let mut events = Vec::new();
        for id in ids {
            // Filtered to the states the transition accepts: cannot fail.
            let _ = self.apply_one(&id, transition.clone(), origin, None, now, &mut events);
        }
        self.settle_default(&mut events);
        events
    }

    /// The user picks the default card; it must be Active.
    pub fn set_default(&mut self, id: &TokenId) -> Result<Vec<PaymentEvent>, LifecycleError> {
        let record = self.get(id).ok_or_else(|| LifecycleError::UnknownToken(id.clone()))?;
        if record.state != TokenState::Active {
            return Err(LifecycleError::DefaultNotActive(id.clone(), record.state));
        }
        if self.default.as_ref() == Some(id) {
            return Ok(Vec::new());
        }
        let from = self.default.replace(id.clone());
        Ok(vec![PaymentEvent::DefaultChanged { from, to: Some(id.clone()) }])
    }

    /// A tap used this token (the promotion rule prefers the most recently used).
    pub fn mark_used(&mut self, id: &TokenId, now: Timestamp) {
        if let Some(r) = self.records.iter_mut().find(|r| &r.token.id == id) {
            r.last_used = Some(now);
        }
    }

    /// Checks every invariant of the module doc; `Err` names the first one broken.
    pub fn check(&self) -> Result<(), String> {
        let live: Vec<&TokenRecord> =
            self.records.iter().filter(|r| r.state != TokenState::Deleted).collect();
        for (i, a) in live.iter().enumerate() {
            if live.iter().skip(i.saturating_add(1)).any(|b| b.token.card == a.token.card) {
                return Err(format!("two live tokens for card {:?}", a.token.card));
            }
        }
        let any_active = live.iter().any(|r| r.state == TokenState::Active);
        match (&self.default, any_active) {
            (None, false) => {}
            (None, true) => return Err("Active tokens but no default".into()),
            (Some(d), _) => match self.get(d) {
                Some(r) if r.state == TokenState::Active => {}
                Some(r) => return Err(format!("default {d} is {:?}", r.state)),
                None => return Err(format!("default {d} does not exist")),
            },
        }
        for r in &self.records {
            if (r.state == TokenState::Suspended) == r.holds.is_empty() {
                return Err(format!(
                    "token {} is {:?} with holds {:?}",
                    r.token.id, r.state, r.holds
                ));
            }
        }
        Ok(())
    }

    fn apply_one(
        &mut self,
        id: &TokenId,
        transition: Transition,
        origin: Origin,
        reason: Option<ReasonCode>,
        now: Timestamp,
        events: &mut Vec<PaymentEvent>,
    ) -> Result<(), LifecycleError> {
        let record = self.get(id).ok_or_else(|| LifecycleError::UnknownToken(id.clone()))?;
        let from = record.state;
        let op = transition.name();
        let illegal = || LifecycleError::Illegal { token: id.clone(), from, op, origin };
        match transition {
            Transition::Activate if from == TokenState::Pending => {
                self.change(id, TokenState::Active, origin, reason, op, now, events);
            }
            Transition::Suspend if matches!(from, TokenState::Active | TokenState::Suspended) => {
                let hold = origin.hold().ok_or_else(illegal)?;
                self.with(id, |r| r.holds.insert(hold));
                if from == TokenState::Active {
                    self.change(id, TokenState::Suspended, origin, reason, op, now, events);
                } else {
                    self.record(id, Some(from), from, origin, reason, op, now, events);
                }
            }
            Transition::Resume if from == TokenState::Suspended => {
                let lifts = origin.lifts();
                let had = record.holds.clone();
                if !had.iter().any(|h| lifts.contains(h)) {
                    return Err(illegal());
                }
                self.with(id, |r| r.holds.retain(|h| !lifts.contains(h)));
                if self.get(id).is_some_and(|r| r.holds.is_empty()) {
                    self.change(id, TokenState::Active, origin, reason, op, now, events);
                } else {
                    self.record(id, Some(from), from, origin, reason, op, now, events);
                }
            }
            Transition::Update(update) if from != TokenState::Deleted => {
                self.with(id, |r| {
                    if let Some(mpan) = update.mpan {
                        r.token.mpan = mpan;
                    }
                    if let Some(expiry) = update.expiry {
                        r.token.expiry = expiry;
                    }
                    if let Some(psn) = update.psn {
                        r.token.psn = psn;
                    }
                    if let Some(art) = update.card_art {
                        r.token.card_art = art;
                    }
                });
                self.record(id, Some(from), from, origin, reason, op, now, events);
            }
            Transition::Delete if from != TokenState::Deleted => {
                self.with(id, |r| r.holds.clear());
                self.change(id, TokenState::Deleted, origin, reason, op, now, events);
            }
            Transition::RequireReprovisioning
                if matches!(from, TokenState::Active | TokenState::Suspended) =>
            {
                self.with(id, |r| r.holds.clear());
                self.change(id, TokenState::Pending, origin, reason, op, now, events);
            }
            _ => return Err(illegal()),
        }
        Ok(())
    }

    fn with<R>(&mut self, id: &TokenId, f: impl FnOnce(&mut TokenRecord) -> R) -> Option<R> {
        self.records.iter_mut().find(|r| &r.token.id == id).map(f)
    }

    #[allow(clippy::too_many_arguments)]
    fn change(
        &mut self,
        id: &TokenId,
        to: TokenState,
        origin: Origin,
        reason: Option<ReasonCode>,
        op: &'static str,
        now: Timestamp,
        events: &mut Vec<PaymentEvent>,
    ) {
        let from = self.with(id, |r| std::mem::replace(&mut r.state, to));
        self.record(id, from, to, origin, reason, op, now, events);
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        id: &TokenId,
        from: Option<TokenState>,
        to: TokenState,
        origin: Origin,
        reason: Option<ReasonCode>,
        operation: &'static str,
        now: Timestamp,
        events: &mut Vec<PaymentEvent>,
    ) {
        self.with(id, |r| {
            if r.history.len() >= MAX_HISTORY {
                r.history.remove(0);
            }
            r.history.push(HistoryEntry { at: now, from, to, origin, reason, operation });
        });
        events.push(PaymentEvent::StateChanged { token: id.clone(), from, to, origin, reason });
    }

    /// Re-establishes "exactly one default among Active tokens" after any change.
    fn settle_default(&mut self, events: &mut Vec<PaymentEvent>) {
        let still_active = self
            .default
            .as_ref()
            .and_then(|d| self.get(d))
            .is_some_and(|r| r.state == TokenState::Active);
        if still_active {
            return;
        }
        let promoted = self
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.state == TokenState::Active)
            // Most recently used first; never-used ones after, earliest loaded first.
            .max_by(|(ia, a), (ib, b)| a.last_used.cmp(&b.last_used).then(ib.cmp(ia)))
            .map(|(_, r)| r.token.id.clone());
        if self.default != promoted {
            let from = std::mem::replace(&mut self.default, promoted.clone());
            events.push(PaymentEvent::DefaultChanged { from, to: promoted });
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::payment::sample::sample_token as test_token;

    fn t(n: i64) -> Timestamp {
        Timestamp::from_secs(1_800_000_000 + n)
    }

    fn book(n: usize) -> (TokenBook, Vec<TokenId>) {
        let mut b = TokenBook::new();
        let ids: Vec<TokenId> = (0..n)
            .map(|i| {
                let tok = test_token(i);
                let id = tok.id.clone();
                b.load(tok, true, t(i as i64)).unwrap();
                id
            })
            .collect();
        (b, ids)
    }

    #[test]
    fn first_active_token_becomes_default_and_load_refuses_duplicates() {
        let mut b = TokenBook::new();
        let ev = b.load(test_token(0), true, t(0)).unwrap();
        assert_eq!(b.default_token(), Some(&test_token(0).id));
        assert!(ev.iter().any(|e| matches!(e, PaymentEvent::DefaultChanged { from: None, .. })));
        assert_eq!(
            b.load(test_token(0), true, t(1)),
            Err(LifecycleError::DuplicateToken(test_token(0).id))
        );
        let mut same_card = test_token(1);
        same_card.card = test_token(0).card;
        assert!(matches!(b.load(same_card, false, t(1)), Err(LifecycleError::DuplicateCard(..))));
        b.check().unwrap();
    }

    #[test]
    fn suspending_the_default_promotes_most_recently_used_else_earliest() {
        let (mut b, ids) = book(3);
        assert_eq!(b.default_token(), Some(&ids[0]));
        b.mark_used(&ids[2], t(50));
        let ev = b.apply(&ids[0], Transition::Suspend, Origin::User, Some(ReasonCode::Lost), t(60));
        assert_eq!(b.default_token(), Some(&ids[2]));
        assert!(ev.unwrap().contains(&PaymentEvent::DefaultChanged {
            from: Some(ids[0].clone()),
            to: Some(ids[2].clone())
        }));
        b.apply(&ids[2], Transition::Delete, Origin::IssuerOnToken, None, t(61)).unwrap();
        assert_eq!(b.default_token(), Some(&ids[1]), "never used: earliest loaded live one");
        b.apply(&ids[1], Transition::Suspend, Origin::IssuerOnToken, None, t(62)).unwrap();
        assert_eq!(b.default_token(), None);
        b.check().unwrap();
        // Resume brings back a default.
        b.apply(&ids[1], Transition::Resume, Origin::IssuerOnToken, None, t(63)).unwrap();
        assert_eq!(b.default_token(), Some(&ids[1]));
    }

    #[test]
    fn holds_stack_and_only_their_origin_lifts_them() {
        let (mut b, ids) = book(1);
        let id = &ids[0];
        b.apply(id, Transition::Suspend, Origin::User, Some(ReasonCode::Lost), t(1)).unwrap();
        b.apply_device(DeviceEvent::Lost, t(2)); // already Suspended: not touched by the device event
        assert_eq!(b.get(id).unwrap().holds, BTreeSet::from([Hold::User]));
        b.apply(id, Transition::Suspend, Origin::IssuerOnCard, None, t(3)).unwrap();
        // Device found lifts nothing it did not place.
        assert!(b.apply_device(DeviceEvent::Found, t(4)).is_empty());
        assert!(matches!(
            b.apply(id, Transition::Resume, Origin::DeviceFound, None, t(4)),
            Err(LifecycleError::Illegal { .. })
        ));
        b.apply(id, Transition::Resume, Origin::IssuerOnToken, None, t(5)).unwrap();
        assert_eq!(b.get(id).unwrap().state, TokenState::Suspended, "card hold remains");
        b.apply_to_card(&test_token(0).card, Transition::Resume, None, t(6)).unwrap();
        assert_eq!(b.get(id).unwrap().state, TokenState::Active);
        b.check().unwrap();
    }

    #[test]
    fn illegal_transitions_are_typed_and_change_nothing() {
        let (mut b, ids) = book(1);
        let before = b.clone();
        for (tr, origin) in [
            (Transition::Activate, Origin::IssuerOnToken),
            (Transition::Resume, Origin::User),
            (Transition::Suspend, Origin::DeviceWipe),
        ] {
            let err = b.apply(&ids[0], tr, origin, None, t(1)).unwrap_err();
            assert!(matches!(err, LifecycleError::Illegal { from: TokenState::Active, .. }));
        }
        assert_eq!(b, before);
        b.apply(&ids[0], Transition::Delete, Origin::User, None, t(2)).unwrap();
        for tr in [Transition::Activate, Transition::Resume, Transition::Delete] {
            assert!(b.apply(&ids[0], tr, Origin::IssuerOnToken, None, t(3)).is_err());
        }
        assert_eq!(b.get(&ids[0]).unwrap().state, TokenState::Deleted);
    }

    #[test]
    fn device_events_cover_every_token() {
        let (mut b, ids) = book(3);
        b.apply_device(DeviceEvent::CredentialRemoved, t(1));
        assert!(ids.iter().all(|i| b.get(i).unwrap().state == TokenState::Suspended));
        assert_eq!(b.default_token(), None);
        b.apply_device(DeviceEvent::CredentialSet, t(2));
        assert!(ids.iter().all(|i| b.get(i).unwrap().state == TokenState::Active));
        assert!(b.default_token().is_some());
        b.apply_device(DeviceEvent::Restored, t(3));
        assert!(ids.iter().all(|i| b.get(i).unwrap().state == TokenState::Pending));
        b.apply_device(DeviceEvent::SignedOut, t(4));
        assert!(ids.iter().all(|i| b.get(i).unwrap().state == TokenState::Deleted));
        b.check().unwrap();
        // A re-load of the same card is a new token.
        let mut again = test_token(0);
        again.id = TokenId::new("tok-new").unwrap();
        b.load(again, true, t(5)).unwrap();
        b.check().unwrap();
    }

    #[test]
    fn update_keeps_state_and_history_names_origins() {
        let (mut b, ids) = book(1);
        let update =
            TokenUpdate { expiry: Some(Expiry::new(2031, 6).unwrap()), ..Default::default() };
        b.apply(
            &ids[0],
            Transition::Update(update),
            Origin::IssuerOnCard,
            Some(ReasonCode::Reissued),
            t(9),
        )
        .unwrap();
        let r = b.get(&ids[0]).unwrap();
        assert_eq!(r.state, TokenState::Active);
        assert_eq!(r.token.expiry, Expiry::new(2031, 6).unwrap());
        let last = r.history.last().unwrap();
        assert_eq!(
            (last.origin, last.reason, last.operation),
            (Origin::IssuerOnCard, Some(ReasonCode::Reissued), "update")
        );
    }
}

//! The payment applet's ports (like [`crate::ports::PassSource`] for Smart Tap): a
//! [`TokenSource`] that says which tokens a terminal may see in this tap and with which
//! key, and a [`PaymentJournal`] the applet commits every ATC and key use to **before** the
//! answer that uses it leaves (payment spec §6.3, §13, §17.2).
//!
//! The contract that makes an ATC never repeat: the applet reads [`PaymentJournal::last_atc`],
//! computes with `last + 1`, and answers only after [`PaymentJournal::commit`] of that ATC
//! returned `Ok` — which implementations make durable (the store: one ACID write, or a
//! write-ahead reservation) and refuse for any ATC other than `last + 1`. A crash after the
//! commit loses nothing (the ATC is spent); a crash before it sent nothing.
//!
//! All methods take `&self` and the traits require `Send + Sync`: one store serves the NFC
//! thread and the UI thread at once.

use std::fmt;

use super::token::{
    Atc, KeyBudget, LimitedUseKey, Token, TokenId, TokenState, TransactionLogEntry, KEY_INDEX_LEN,
};
use crate::time::Timestamp;

/// One token as the applet sees it during a tap: its card data and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TapToken {
    pub token: Token,
    pub state: TokenState,
    /// The device's default card (§12.4: exactly one among Active tokens).
    pub is_default: bool,
}

/// How the user was verified on the device (§10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CdcvmMethod {
    Biometric,
    DevicePasscode,
    WalletPin,
}

/// The consumer-device verification in force: "the user verified until `until`, by
/// `method`" as the host reported it (§10: a pre-authenticated window is a wallet decision).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Verification {
    pub until: Option<Timestamp>,
    pub method: Option<CdcvmMethod>,
}

impl Verification {
    /// Whether the window is open at `now`.
    pub fn is_valid(&self, now: Timestamp) -> bool {
        self.method.is_some() && self.until.is_some_and(|until| now < until)
    }
}

/// The key a token would use for its next transaction, and whether it may.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentKey {
    /// `None` when the token has no key left at all.
    pub key: Option<LimitedUseKey>,
    pub budget: KeyBudget,
}

/// Which tokens a terminal may see and with which keys (§4, §12.5, §13).
pub trait TokenSource: Send + Sync {
    /// The tokens offered in this tap, in PPSE order: the token the user picked for this
    /// tap (if any) first, then the default; Active tokens only (§4, §12.5).
    fn offered(&self, now: Timestamp) -> Vec<TapToken>;
    /// One token in whatever state it is (SELECT of a token not offered is answered as
    /// absent; the applet decides from the state, §12.5).
    fn token(&self, id: &TokenId) -> Option<TapToken>;
    /// The key the next transaction of `id` would use, with its budget at `now` (§17.3:
    /// checked before any GPO work).
    fn current_key(&self, id: &TokenId, now: Timestamp) -> CurrentKey;
    /// The consumer-device verification in force at `now` (§10).
    fn verification(&self, now: Timestamp) -> Verification;
    /// Whether a payment could be made now (an Active default with a usable key): the
    /// Smart Tap OSE answer says payment is enabled from this (smart-tap spec §6.1).
    fn payment_ready(&self, now: Timestamp) -> bool {
        self.offered(now).iter().any(|t| {
            t.is_default
                && matches!(self.current_key(&t.token.id, now).budget, KeyBudget::Available { .. })
        })
    }
}

/// Why the journal refused a commit. Every refusal means: nothing was answered with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    #[error("unknown token")]
    UnknownToken,
    #[error("token is {0:?}, not Active")]
    NotActive(TokenState),
    #[error("ATC {offered:#06x} is not the next one (last committed {last:#06x})")]
    AtcNotNext { offered: u16, last: u16 },
    #[error("the ATC of this token is spent (FFFF used)")]
    AtcSpent,
    #[error("key {0:02X?} is not the token's current key")]
    WrongKey([u8; KEY_INDEX_LEN]),
    #[error("the token's key is exhausted or expired")]
    KeyUnusable,
    /// The durable write failed: the applet must not answer with this ATC.
    #[error("journal storage failed: {0}")]
    Storage(String),
}

/// Where ATCs and key uses become durable before the answer leaves (§13 step 3, §17.2).
pub trait PaymentJournal: Send + Sync {
    /// The last ATC committed for `id` (`Atc(0)` before the first transaction).
    fn last_atc(&self, id: &TokenId) -> Result<Atc, JournalError>;
    /// Commits one transaction: `entry.atc` must be `last_atc + 1`; counts one use of the
    /// key `entry.key_index` (and the amount) and appends `entry` to the transaction log.
    /// Returns only when all of it is durable.
    fn commit(&self, id: &TokenId, entry: &TransactionLogEntry) -> Result<(), JournalError>;
    /// Adds a cryptogram produced later in the same tap (GENERATE AC after a GPO that
    /// committed the ATC) to the log entry of `atc`, durably.
    fn record_cryptogram(
        &self,
        id: &TokenId,
        atc: Atc,
        cryptogram: [u8; 8],
        cid: u8,
    ) -> Result<(), JournalError>;
}

impl fmt::Debug for dyn TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dyn TokenSource")
    }
}
impl fmt::Debug for dyn PaymentJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dyn PaymentJournal")
    }
}

//! Payment tokens as the app sees them (payment spec §12): what [`crate::Wallet::tokens`]
//! lists, the user requests queued for the token service, and the mapping of the store's
//! token refusals onto typed [`WalletError`]s. Card numbers appear as their last four
//! digits only; keys never leave the store.

use hce_wallet_core::key_bundle::PinnedRoots;
use hce_wallet_core::payment::lifecycle::{Hold, LifecycleError};
use hce_wallet_core::payment::provisioning::ProvisioningError;
use hce_wallet_core::payment::token::{KeyBudget, Mpan, Product, TokenState};
use hce_wallet_store::tokens::{PaymentTokenRecord, TokenError, UserTokenRequest};
use p256::pkcs8::DecodePublicKey;

pub use hce_wallet_store::tokens::UserRequestKind;

use crate::WalletError;

/// Whether a token's keys can pay (§9.2, §12.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// Usable; `low` when replenishment should be asked for now.
    Available { transactions_left: u32, low: bool },
    /// Every key's count or amount threshold is reached: taps are declined (`6985`).
    Exhausted,
    /// Every remaining key is past its lifetime.
    Expired,
    /// No key at all (deleted, restored from a backup, or never provisioned).
    NoKey,
}

impl From<KeyBudget> for KeyStatus {
    fn from(b: KeyBudget) -> Self {
        match b {
            KeyBudget::Available { transactions_left, low } => {
                KeyStatus::Available { transactions_left, low }
            }
            KeyBudget::Exhausted => KeyStatus::Exhausted,
            KeyBudget::Expired => KeyStatus::Expired,
            KeyBudget::NoKey => KeyStatus::NoKey,
        }
    }
}

/// One payment token as listed to the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    pub token_ref: String,
    /// The opaque card reference (never the card number).
    pub card_ref: String,
    pub state: TokenState,
    pub last_four: String,
    pub expiry_year: u16,
    pub expiry_month: u8,
    /// The device's default card (exactly one among Active tokens).
    pub is_default: bool,
    pub keys: KeyStatus,
    /// Limited-use keys held (used or not).
    pub keys_held: u32,
    /// The last transaction counter used (rises with every tap, never repeats).
    pub atc: u16,
    pub card_art: Option<String>,
    pub label: String,
    pub aid: Vec<u8>,
    pub product: Product,
    /// The user asked to resume and the token service has not confirmed yet.
    pub resume_requested: bool,
    /// Who holds a Suspended token suspended (§12.3; empty otherwise): only a user hold
    /// can be lifted by the user's resume, and each hold needs its own lifting.
    pub holds: Vec<Hold>,
}

impl TokenInfo {
    pub(crate) fn new(r: &PaymentTokenRecord, keys: KeyBudget, resume_requested: bool) -> Self {
        let last_four = Mpan::new(r.mpan.expose())
            .map(|m| m.last_four().to_owned())
            .unwrap_or_else(|_| "????".to_owned());
        TokenInfo {
            token_ref: r.token_ref.clone(),
            card_ref: r.card_ref.clone(),
            state: r.state,
            last_four,
            expiry_year: r.expiry_year,
            expiry_month: r.expiry_month,
            is_default: r.is_default,
            keys: keys.into(),
            keys_held: u32::try_from(r.keys.len()).unwrap_or(u32::MAX),
            atc: r.atc,
            card_art: r.card_art.clone(),
            label: r.label.clone(),
            aid: r.aid.clone(),
            product: r.product,
            resume_requested,
            holds: r.holds.clone(),
        }
    }
}

/// A user request waiting to be sent to the token service (§12.3: report lost, resume,
/// delete apply locally as the spec says and are queued durably).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    pub seq: u64,
    pub token_ref: String,
    pub kind: UserRequestKind,
    pub at_ms: i64,
}

impl From<UserTokenRequest> for TokenRequest {
    fn from(r: UserTokenRequest) -> Self {
        TokenRequest { seq: r.seq, token_ref: r.token_ref, kind: r.kind, at_ms: r.at }
    }
}

/// Parses the pinned token-service keys (PEM SubjectPublicKeyInfo, P-256).
pub(crate) fn pinned_keys(pems: &[String]) -> Result<PinnedRoots, WalletError> {
    let keys = pems
        .iter()
        .enumerate()
        .map(|(i, pem)| {
            p256::PublicKey::from_public_key_pem(pem.trim()).map_err(|e| {
                WalletError::Config(format!(
                    "pinned_token_service_keys[{i}] is not a P-256 PEM key: {e}"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PinnedRoots::new(keys))
}

impl From<LifecycleError> for WalletError {
    fn from(e: LifecycleError) -> Self {
        match e {
            LifecycleError::UnknownToken(t) => WalletError::NoSuchToken(t.as_str().to_owned()),
            LifecycleError::DuplicateToken(t) => WalletError::DuplicateToken(t.as_str().to_owned()),
            LifecycleError::DuplicateCard(c, t) => WalletError::DuplicateCard {
                card: c.as_str().to_owned(),
                token: t.as_str().to_owned(),
            },
            LifecycleError::Illegal { token, from, op, .. } => WalletError::TokenStateRefused {
                token: token.as_str().to_owned(),
                state: from,
                operation: op.to_owned(),
            },
            LifecycleError::DefaultNotActive(t, state) => {
                WalletError::DefaultNotActive { token: t.as_str().to_owned(), state }
            }
            LifecycleError::UnknownCard(c) => WalletError::NoSuchCard(c.as_str().to_owned()),
        }
    }
}

impl From<TokenError> for WalletError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Lifecycle(e) => e.into(),
            TokenError::Provisioning(p) => match p {
                ProvisioningError::Envelope(e) => WalletError::TokenMessageSignature(e.to_string()),
                ProvisioningError::Replayed { sequence, last } => {
                    WalletError::TokenMessageReplayed { sequence, last }
                }
                ProvisioningError::OtherDevice(d) => WalletError::TokenMessageOtherDevice(d),
                other => WalletError::TokenMessageInvalid(other.to_string()),
            },
            TokenError::StatusRefused { index, error } => WalletError::StatusEventRefused {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                reason: error.to_string(),
            },
            TokenError::NotReplenishment { .. } => WalletError::TokenMessageInvalid(e.to_string()),
            TokenError::Store(e) => e.into(),
        }
    }
}

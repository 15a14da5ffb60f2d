//! The wallet's one error type. Messages name what went wrong and where, never a key,
//! a redemption value or pass contents (STYLE §3).

use hce_wallet_core::payment::token::TokenState;

/// Everything a management call of [`crate::Wallet`] can fail with. The APDU path never
/// fails: it answers status words.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The root key handed in by the host is not 32 bytes.
    #[error("root key must be 32 bytes, got {0}")]
    RootKeyLength(usize),
    /// A configuration value is unusable (which one, and why).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The root key does not open this store (a different key wrote it).
    #[error("the root key does not open this wallet's store")]
    WrongRootKey,
    /// The store is open in another `Wallet` (this process or another).
    #[error("the wallet's store is already open elsewhere")]
    StoreLocked,
    /// The store failed an integrity check (tampered, damaged, or from a newer schema).
    #[error("the wallet's store is damaged: {0}")]
    StoreCorrupt(String),
    /// The store could not be opened or written (I/O, permissions, a refused write).
    #[error("store: {0}")]
    Store(String),
    /// Pass JSON that could not be imported (the message names the JSON path).
    #[error("pass import: {0}")]
    Import(String),
    /// No pass with this object ID.
    #[error("no pass with object id {0:?}")]
    NoSuchPass(String),
    /// Key sync failed or is not configured.
    #[error("key sync: {0}")]
    Sync(String),
    /// Payment tokens are not set up: no pinned token-service key or no device id.
    #[error("payment tokens are not configured: {0}")]
    TokensNotConfigured(String),
    /// No payment token with this reference.
    #[error("no payment token {0:?}")]
    NoSuchToken(String),
    /// No token of this card reference on this device.
    #[error("no payment token for card {0:?}")]
    NoSuchCard(String),
    /// The card already has a live token on this device (§12.2: one per card).
    #[error("card {card:?} already has token {token:?} on this device")]
    DuplicateCard { card: String, token: String },
    /// This token reference was already used (references are never reused).
    #[error("token {0:?} already exists")]
    DuplicateToken(String),
    /// The token's state does not allow the operation (e.g. resume of a token that is not
    /// reported lost, anything on a Deleted token).
    #[error("cannot {operation} token {token:?} while it is {state:?}")]
    TokenStateRefused { token: String, state: TokenState, operation: String },
    /// Only an Active token can be the default card.
    #[error("token {token:?} is {state:?}; only an Active token can be the default")]
    DefaultNotActive { token: String, state: TokenState },
    /// A provisioning payload or status message whose signature (or envelope) does not
    /// verify against the pinned token-service keys.
    #[error("token-service message refused: {0}")]
    TokenMessageSignature(String),
    /// A message whose sequence is not above the last one applied: replayed or older.
    #[error("token-service message replayed or older: sequence {sequence}, last applied {last}")]
    TokenMessageReplayed { sequence: u64, last: u64 },
    /// A message for another device.
    #[error("token-service message is for device {0:?}, not this one")]
    TokenMessageOtherDevice(String),
    /// A message that verifies but does not decode (the text names the field).
    #[error("token-service message invalid: {0}")]
    TokenMessageInvalid(String),
    /// A status message one of whose events the token book refused; nothing was applied.
    #[error("status message event {index} refused: {reason}")]
    StatusEventRefused { index: u32, reason: String },
}

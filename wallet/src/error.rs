//! The wallet's one error type. Messages name what went wrong and where, never a key,
//! a redemption value or pass contents (STYLE §3).

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
}

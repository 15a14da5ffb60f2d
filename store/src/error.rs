//! The store's error type. Messages name tables and operations, never record contents,
//! keys or pass data (they may end up in logs or crash reports).

use std::io;

/// Everything that can go wrong opening or using a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The root key handed to `open` is not the key this store was written with.
    #[error("wrong root key for this store")]
    WrongKey,
    /// A value failed authentication (tampered, moved between records or tables, or
    /// replayed from another schema version) or did not decode after decryption.
    #[error("integrity check failed in table `{table}`: {reason}")]
    Integrity { table: &'static str, reason: &'static str },
    /// The file is damaged below the record layer (redb page checksums, headers, layout).
    #[error("store file is corrupt: {0}")]
    Corrupt(String),
    /// Another handle (this process or another) has the store open.
    #[error("store file is locked by another open handle")]
    Locked,
    /// The file or its directory cannot be written.
    #[error("store file is read-only: {0}")]
    ReadOnly(String),
    /// The file was written by a schema this build cannot read.
    #[error("unsupported store schema version {found} (this build reads up to {expected})")]
    Schema { found: u32, expected: u32 },
    /// A root key that is not 32 bytes of hex, or a missing key file or variable.
    #[error("invalid root key: {0}")]
    InvalidKey(&'static str),
    /// A request that cannot be satisfied (unknown pass, value out of range, ...).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The record named does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// An operating-system I/O failure.
    #[error("store I/O error: {0}")]
    Io(#[from] io::Error),
    /// Any other failure reported by the database engine.
    #[error("database error: {0}")]
    Database(String),
}

/// Result alias for store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

fn from_io(err: io::Error) -> StoreError {
    match err.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            StoreError::ReadOnly(err.to_string())
        }
        io::ErrorKind::InvalidData => StoreError::Corrupt(err.to_string()),
        _ => StoreError::Io(err),
    }
}

impl From<redb::StorageError> for StoreError {
    fn from(err: redb::StorageError) -> Self {
        match err {
            redb::StorageError::Corrupted(msg) => StoreError::Corrupt(msg),
            redb::StorageError::Io(e) => from_io(e),
            other => StoreError::Database(other.to_string()),
        }
    }
}

impl From<redb::DatabaseError> for StoreError {
    fn from(err: redb::DatabaseError) -> Self {
        match err {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked,
            redb::DatabaseError::Storage(s) => s.into(),
            redb::DatabaseError::RepairAborted => {
                StoreError::Corrupt("repair needed but aborted".into())
            }
            other => StoreError::Database(other.to_string()),
        }
    }
}

impl From<redb::TransactionError> for StoreError {
    fn from(err: redb::TransactionError) -> Self {
        match err {
            redb::TransactionError::Storage(s) => s.into(),
            other => StoreError::Database(other.to_string()),
        }
    }
}

impl From<redb::TableError> for StoreError {
    fn from(err: redb::TableError) -> Self {
        match err {
            redb::TableError::Storage(s) => s.into(),
            other => StoreError::Corrupt(other.to_string()),
        }
    }
}

impl From<redb::CommitError> for StoreError {
    fn from(err: redb::CommitError) -> Self {
        match err {
            redb::CommitError::Storage(s) => s.into(),
            other => StoreError::Database(other.to_string()),
        }
    }
}

impl From<redb::SetDurabilityError> for StoreError {
    fn from(err: redb::SetDurabilityError) -> Self {
        StoreError::Database(err.to_string())
    }
}

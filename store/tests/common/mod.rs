//! Builders shared by the store's integration tests.
#![allow(dead_code)]

use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use hce_wallet_core::ports::PassType;
use hce_wallet_store::redb::backends::FileBackend;
use hce_wallet_store::redb::{BackendError, StorageBackend};
use hce_wallet_store::{
    CollectorKeyRecord, IssuerKeys, ObjectState, PassClassRecord, PassObjectRecord, RootKey,
    SecretString,
};

pub const ISSUER: u64 = 3265320111641956183;
pub const COLLECTOR: u32 = 20180608;

pub fn key(n: u8) -> RootKey {
    RootKey::from_bytes([n; 32])
}

pub fn class(id: &str, redemption_issuers: Vec<u64>) -> PassClassRecord {
    PassClassRecord {
        class_id: id.to_string(),
        issuer_id: ISSUER,
        pass_type: PassType::Loyalty,
        smart_tap_enabled: true,
        redemption_issuers,
        display: None,
        objects: Vec::new(),
        model: None,
    }
}

pub fn object(class_id: &str, id: &str, value: &str) -> PassObjectRecord {
    PassObjectRecord {
        object_id: id.to_string(),
        class_id: class_id.to_string(),
        state: ObjectState::Active,
        redemption_value: Some(SecretString::new(value)),
        valid_from: None,
        valid_until: None,
        smart_tap_disabled: false,
        last_push: None,
        display: None,
        model: None,
    }
}

/// A P-256 public key (SEC1) from a fixed scalar.
pub fn sec1(seed: u8) -> Vec<u8> {
    let sk = p256::SecretKey::from_slice(&[seed.max(1); 32]).unwrap();
    sk.public_key().to_sec1_bytes().to_vec()
}

pub fn issuer_keys(issuer: u64, collector: u32, versions: &[u32], seed: u8) -> IssuerKeys {
    IssuerKeys {
        issuer_id: issuer,
        name: format!("issuer {issuer}"),
        collectors: vec![collector],
        keys: versions
            .iter()
            .map(|&v| CollectorKeyRecord {
                collector,
                key_version: v,
                issuer_id: issuer,
                public_key_sec1: sec1(seed.wrapping_add(v as u8)),
                valid_from: None,
                valid_until: None,
            })
            .collect(),
    }
}

/// A class `c{n}` of issuer `issuer` with `per_class` objects `c{n}.o{i}` valued `v{n}.{i}`.
pub fn batch(n: usize, per_class: usize, issuer: u64) -> (PassClassRecord, Vec<PassObjectRecord>) {
    let cid = format!("{issuer}.c{n}");
    let objects = (0..per_class)
        .map(|i| object(&cid, &format!("{cid}.o{i}"), &format!("v{n}.{i}")))
        .collect();
    (class(&cid, vec![issuer]), objects)
}

/// A redb file backend that fails its `fail_at`-th write, flush or resize and every I/O
/// point after it (the process is gone), counting points in `points`.
#[derive(Debug)]
pub struct FaultyBackend {
    pub inner: FileBackend,
    pub points: Arc<AtomicU64>,
    /// Fail the n-th write/flush/resize and everything after it (0: never).
    pub fail_at: u64,
}

impl FaultyBackend {
    fn point(&self) -> std::io::Result<()> {
        let n = self.points.fetch_add(1, Ordering::SeqCst) + 1;
        if self.fail_at != 0 && n >= self.fail_at {
            return Err(std::io::Error::other("injected failure"));
        }
        Ok(())
    }
}

impl StorageBackend for FaultyBackend {
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.point()?;
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.point()?;
        self.inner.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.point()?;
        self.inner.write(offset, data)
    }
    fn close(&self) -> std::io::Result<()> {
        self.inner.close()
    }
    fn try_lock_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(s, e)
    }
    fn try_lock_shared_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(s, e)
    }
    fn lock_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(s, e)
    }
    fn lock_shared_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(s, e)
    }
    fn unlock_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(s, e)
    }
    fn query_lock_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(s, e)
    }
}

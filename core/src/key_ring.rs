//! The issuer key ring (issue #7): collector public keys by (collector ID, key version), as
//! NEGOTIATE needs them (spec §6.3 step 4, §11), filled from verified key bundles.
//!
//! Apply rules ([`KeyRing::apply`], [`KeyRing::plan`]):
//! - only a [`VerifiedBundle`] can be applied, so the signature has been checked against a
//!   pinned root before anything here runs;
//! - a sequence number lower than the applied one is refused ([`ApplyError::Rollback`]);
//!   an equal one is a no-op ([`ApplyOutcome::AlreadyCurrent`]);
//! - a bundle at or past its expiry is refused ([`ApplyError::Expired`]);
//! - otherwise the bundle replaces the whole ring: a key version a newer bundle no longer
//!   lists stops being used at once. It is all or nothing: the new ring is built aside and
//!   swapped in only when complete.
//!
//! Lookups ([`IssuerKeyRing::collector_key`]) return a key only for exactly the
//! (collector, version) asked, and only inside its validity window (spec §14).
//!
//! Persistence: [`KeyRing::state`] / [`KeyRing::from_state`] convert to and from
//! [`KeyRingState`], a serde type (hex strings in JSON, byte strings in CBOR) that a store
//! writes in the same transaction as the bundle's sequence. [`SharedKeyRing`] lets taps read
//! a consistent snapshot while a sync swaps in the next ring.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use p256::elliptic_curve::sec1::ToSec1Point;
use p256::PublicKey;
use serde::{Deserialize, Serialize};

use crate::key_bundle::{parse_uncompressed_key, VerifiedBundle};
use crate::key_bundle::{ROOT_KEY_ID_LEN, SEC1_UNCOMPRESSED_LEN};
use crate::ports::{CollectorId, IssuerId, IssuerKeyRing};
use crate::time::Timestamp;

mod serde_bytes_hex;

/// The [`KeyRingState`] format this library writes and reads.
pub const STATE_FORMAT: u32 = 1;

/// Names one key version of one collector of one issuer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyRef {
    pub issuer: IssuerId,
    pub collector: CollectorId,
    pub version: u32,
}

/// One key as the ring holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    pub key: KeyRef,
    pub public_key: PublicKey,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
}

impl KeyInfo {
    /// Whether NEGOTIATE may use the key at `now`.
    pub fn valid_at(&self, now: Timestamp) -> bool {
        self.not_before <= now && now < self.not_after
    }
}

/// What the ring remembers about the bundle it was built from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedBundle {
    pub sequence: u64,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
    pub applied_at_ms: i64,
    #[serde(with = "serde_bytes_hex")]
    pub root_key_id: [u8; ROOT_KEY_ID_LEN],
    #[serde(with = "serde_bytes_hex")]
    pub digest: [u8; 32],
}

/// One key in [`KeyRingState`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    pub issuer: IssuerId,
    pub collector: u32,
    pub version: u32,
    /// Uncompressed SEC1 point.
    #[serde(with = "serde_bytes_hex")]
    pub public_key: [u8; SEC1_UNCOMPRESSED_LEN],
    pub not_before_ms: i64,
    pub not_after_ms: i64,
}

/// The persistable form of a [`KeyRing`]; keys sorted by (issuer, collector, version).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRingState {
    pub format: u32,
    pub applied: Option<AppliedBundle>,
    pub keys: Vec<StoredKey>,
}

impl Default for KeyRingState {
    fn default() -> Self {
        KeyRingState { format: STATE_FORMAT, applied: None, keys: Vec::new() }
    }
}

/// Why a [`KeyRingState`] could not be loaded (a corrupt or foreign store record).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("unsupported key ring state format {0}")]
    Format(u32),
    #[error("stored key {0:?} is not a valid P-256 point")]
    BadKey(KeyRef),
    #[error("stored key {0:?} has an empty validity window")]
    Window(KeyRef),
    #[error("collector {collector} key version {version} stored twice")]
    Duplicate { collector: CollectorId, version: u32 },
}

/// Why a verified bundle was not applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error(
        "bundle sequence {offered} is older than the applied sequence {applied}: rollback refused"
    )]
    Rollback { applied: u64, offered: u64 },
    #[error("bundle sequence {sequence} expired at {expired_at_ms} ms (now {now_ms} ms)")]
    Expired { sequence: u64, expired_at_ms: i64, now_ms: i64 },
}

/// Whether applying changed anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    /// Same sequence as the ring already holds: nothing changed.
    AlreadyCurrent,
}

/// What applying a bundle did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyReport {
    pub outcome: ApplyOutcome,
    pub previous_sequence: Option<u64>,
    pub sequence: u64,
    /// Key versions new in this bundle, sorted.
    pub added: Vec<KeyRef>,
    /// Key versions the previous ring had and this bundle drops: no longer used.
    pub removed: Vec<KeyRef>,
    /// Key versions kept with a different key or validity window.
    pub changed: Vec<KeyRef>,
    /// Issuers and keys the ring holds afterwards.
    pub issuers: usize,
    pub keys: usize,
    /// `AlreadyCurrent`, yet the envelope differs from the applied one: the operator
    /// published two bundles under one sequence number.
    pub content_differs: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct RingKey {
    issuer: IssuerId,
    public_key: PublicKey,
    not_before: Timestamp,
    not_after: Timestamp,
}

/// Collector keys by (collector ID, key version). Cheap to query from the APDU path.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeyRing {
    applied: Option<AppliedBundle>,
    keys: HashMap<(CollectorId, u32), RingKey>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("sequence", &self.applied.as_ref().map(|a| a.sequence))
            .field("keys", &self.keys.len())
            .finish()
    }
}

/// The result of [`KeyRing::plan`]: the report, and the ring to install unless no-op.
#[derive(Clone, Debug)]
pub struct Plan {
    pub report: ApplyReport,
    next: Option<KeyRing>,
}

impl Plan {
    /// The ring after applying; `None` when the bundle was already current.
    pub fn ring(&self) -> Option<&KeyRing> {
        self.next.as_ref()
    }
    pub fn into_parts(self) -> (ApplyReport, Option<KeyRing>) {
        (self.report, self.next)
    }
}

impl KeyRing {
    /// An empty ring: no bundle applied, no keys.
    pub fn new() -> Self {
        KeyRing::default()
    }

    /// The bundle the ring was built from, if any.
    pub fn applied(&self) -> Option<&AppliedBundle> {
        self.applied.as_ref()
    }

    pub fn applied_sequence(&self) -> Option<u64> {
        self.applied.as_ref().map(|a| a.sequence)
    }

    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Every key, sorted by (issuer, collector, version).
    pub fn keys(&self) -> Vec<KeyInfo> {
        let mut out: Vec<KeyInfo> = self.keys.iter().map(|(&id, k)| info(id, k)).collect();
        out.sort_unstable_by_key(|k| k.key);
        out
    }

    /// The issuers the ring has any key for.
    pub fn issuer_ids(&self) -> BTreeSet<IssuerId> {
        self.keys.values().map(|k| k.issuer).collect()
    }

    /// Whether `issuer` has at least one key usable at `now`.
    pub fn has_usable_key(&self, issuer: IssuerId, now: Timestamp) -> bool {
        self.keys.iter().any(|(&id, k)| k.issuer == issuer && info(id, k).valid_at(now))
    }

    /// The issuers with at least one key usable at `now` (one pass over the ring).
    pub fn issuers_with_usable_keys(&self, now: Timestamp) -> BTreeSet<IssuerId> {
        (self.keys.iter())
            .filter(|(&id, k)| info(id, k).valid_at(now))
            .map(|(_, k)| k.issuer)
            .collect()
    }

    /// Keys usable at `now` that stop being usable before `until`, sorted.
    pub fn expiring_before(&self, now: Timestamp, until: Timestamp) -> Vec<KeyInfo> {
        let mut out: Vec<KeyInfo> = (self.keys.iter().map(|(&id, k)| info(id, k)))
            .filter(|k| k.valid_at(now) && k.not_after < until)
            .collect();
        out.sort_unstable_by_key(|k| k.key);
        out
    }

    /// Applies a verified bundle in place, all or nothing (see the module doc for the rules).
    pub fn apply(
        &mut self,
        bundle: &VerifiedBundle,
        now: Timestamp,
    ) -> Result<ApplyReport, ApplyError> {
        let (report, next) = self.plan(bundle, now)?.into_parts();
        if let Some(next) = next {
            *self = next;
        }
        Ok(report)
    }

    /// Checks the apply rules and builds the next ring without touching this one: a store
    /// writes `plan.ring()`'s state in one transaction, then installs it.
    pub fn plan(&self, verified: &VerifiedBundle, now: Timestamp) -> Result<Plan, ApplyError> {
        let bundle = verified.bundle();
        let previous_sequence = self.applied_sequence();
        if let Some(applied) = &self.applied {
            if bundle.sequence < applied.sequence {
                return Err(ApplyError::Rollback {
                    applied: applied.sequence,
                    offered: bundle.sequence,
                });
            }
            if bundle.sequence == applied.sequence {
                let report = ApplyReport {
                    outcome: ApplyOutcome::AlreadyCurrent,
                    previous_sequence,
                    sequence: bundle.sequence,
                    added: Vec::new(),
                    removed: Vec::new(),
                    changed: Vec::new(),
                    issuers: self.issuer_ids().len(),
                    keys: self.keys.len(),
                    content_differs: applied.digest != verified.digest(),
                };
                return Ok(Plan { report, next: None });
            }
        }
        if now >= bundle.expires_at {
            return Err(ApplyError::Expired {
                sequence: bundle.sequence,
                expired_at_ms: bundle.expires_at.0,
                now_ms: now.0,
            });
        }
        let mut keys = HashMap::with_capacity(bundle.key_count());
        for issuer in &bundle.issuers {
            for collector in &issuer.collectors {
                for k in &collector.keys {
                    let entry = RingKey {
                        issuer: issuer.issuer_id,
                        public_key: k.public_key,
                        not_before: k.not_before,
                        not_after: k.not_after,
                    };
                    // The decoder refuses duplicate (collector, version) pairs.
                    keys.insert((collector.collector_id, k.version), entry);
                }
            }
        }
        let (mut added, mut changed) = (Vec::new(), Vec::new());
        for (&id, new) in &keys {
            match self.keys.get(&id) {
                None => added.push(key_ref(id, new)),
                Some(old) if old != new => changed.push(key_ref(id, new)),
                Some(_) => {}
            }
        }
        let mut removed: Vec<KeyRef> = (self.keys.iter())
            .filter(|(id, _)| !keys.contains_key(id))
            .map(|(&id, k)| key_ref(id, k))
            .collect();
        added.sort_unstable();
        changed.sort_unstable();
        removed.sort_unstable();
        let next = KeyRing {
            applied: Some(AppliedBundle {
                sequence: bundle.sequence,
                issued_at_ms: bundle.issued_at.0,
                expires_at_ms: bundle.expires_at.0,
                applied_at_ms: now.0,
                root_key_id: verified.root_key_id(),
                digest: verified.digest(),
            }),
            keys,
        };
        let report = ApplyReport {
            outcome: ApplyOutcome::Applied,
            previous_sequence,
            sequence: bundle.sequence,
            added,
            removed,
            changed,
            issuers: next.issuer_ids().len(),
            keys: next.keys.len(),
            content_differs: false,
        };
        Ok(Plan { report, next: Some(next) })
    }

    /// The persistable form.
    pub fn state(&self) -> KeyRingState {
        let keys = (self.keys().into_iter())
            .map(|k| {
                let mut public_key = [0u8; SEC1_UNCOMPRESSED_LEN];
                public_key.copy_from_slice(k.public_key.to_sec1_point(false).as_bytes());
                StoredKey {
                    issuer: k.key.issuer,
                    collector: k.key.collector.0,
                    version: k.key.version,
                    public_key,
                    not_before_ms: k.not_before.0,
                    not_after_ms: k.not_after.0,
                }
            })
            .collect();
        KeyRingState { format: STATE_FORMAT, applied: self.applied.clone(), keys }
    }

    /// Rebuilds a ring from its persisted form, checking every key.
    pub fn from_state(state: &KeyRingState) -> Result<Self, StateError> {
        if state.format != STATE_FORMAT {
            return Err(StateError::Format(state.format));
        }
        let mut keys = HashMap::with_capacity(state.keys.len());
        for s in &state.keys {
            let collector = CollectorId(s.collector);
            let id = KeyRef { issuer: s.issuer, collector, version: s.version };
            let public_key =
                parse_uncompressed_key(&s.public_key).map_err(|_| StateError::BadKey(id))?;
            let (not_before, not_after) = (Timestamp(s.not_before_ms), Timestamp(s.not_after_ms));
            if not_after <= not_before {
                return Err(StateError::Window(id));
            }
            let entry = RingKey { issuer: s.issuer, public_key, not_before, not_after };
            if keys.insert((collector, s.version), entry).is_some() {
                return Err(StateError::Duplicate { collector, version: s.version });
            }
        }
        Ok(KeyRing { applied: state.applied.clone(), keys })
    }
}

fn key_ref((collector, version): (CollectorId, u32), k: &RingKey) -> KeyRef {
    KeyRef { issuer: k.issuer, collector, version }
}

fn info(id: (CollectorId, u32), k: &RingKey) -> KeyInfo {
    KeyInfo {
        key: key_ref(id, k),
        public_key: k.public_key,
        not_before: k.not_before,
        not_after: k.not_after,
    }
}

impl IssuerKeyRing for KeyRing {
    fn collector_key(
        &self,
        collector: CollectorId,
        key_version: u32,
        now: Timestamp,
    ) -> Option<PublicKey> {
        let k = self.keys.get(&(collector, key_version))?;
        (k.not_before <= now && now < k.not_after).then_some(k.public_key)
    }
}

/// A key ring shared between the APDU path and sync. A tap takes a [`snapshot`] when it
/// begins and uses it throughout, so it never waits for a sync and never sees half of
/// one; sync builds the next ring aside and swaps it in under a lock held for a pointer
/// copy.
///
/// [`snapshot`]: SharedKeyRing::snapshot
#[derive(Debug, Default)]
pub struct SharedKeyRing {
    current: RwLock<Arc<KeyRing>>,
    /// Serialises appliers so two syncs cannot both build on the same base.
    writer: Mutex<()>,
}

impl SharedKeyRing {
    pub fn new(ring: KeyRing) -> Self {
        SharedKeyRing { current: RwLock::new(Arc::new(ring)), writer: Mutex::new(()) }
    }

    /// The ring as it is now; later applies do not change it.
    pub fn snapshot(&self) -> Arc<KeyRing> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Installs a ring (for example one a store has just committed).
    pub fn replace(&self, ring: KeyRing) {
        let _w = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(ring);
    }

    /// Applies a verified bundle: plans against the current ring, then swaps.
    pub fn apply(
        &self,
        bundle: &VerifiedBundle,
        now: Timestamp,
    ) -> Result<ApplyReport, ApplyError> {
        let _w = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let (report, next) = self.snapshot().plan(bundle, now)?.into_parts();
        if let Some(next) = next {
            *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(next);
        }
        Ok(report)
    }
}

impl IssuerKeyRing for SharedKeyRing {
    fn collector_key(
        &self,
        collector: CollectorId,
        key_version: u32,
        now: Timestamp,
    ) -> Option<PublicKey> {
        self.snapshot().collector_key(collector, key_version, now)
    }
}

#[cfg(test)]
mod tests;

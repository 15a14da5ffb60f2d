//! What a host wallet (crate `hce-wallet`) keeps beside the passes: the core's key ring
//! ([`KeyRingState`]) and the key-sync engine's [`SyncState`], and pass objects changed in
//! memory by PUSH DATA (spec `smart-tap.md` §6.6).
//!
//! The key ring is stored in the store's own tables (`issuers`, `collector_keys`) plus two
//! sealed settings, so the store's tap path, `hcectl wallet` and a wallet opened on the same
//! file all see one key ring. Ring, bundle sequence and sync state are written in one
//! transaction, and a sequence lower than the stored one is refused here too (a rollback
//! never reaches the file, whoever asks).

use std::collections::BTreeMap;

use hce_wallet_core::key_ring::{AppliedBundle, KeyRingState, StoredKey, STATE_FORMAT};
use hce_wallet_core::pass::PassObject;
use hce_wallet_core::sync::SyncState;
use p256::elliptic_curve::sec1::ToSec1Point;
use redb::ReadableDatabase;

use crate::codec::{all, get, put};
use crate::error::{Result, StoreError};
use crate::records::{CollectorKeyRecord, SettingRecord};
use crate::schema::CURRENT_SCHEMA;
use crate::store::{append_event, apply_keys_in, event, validate_keys, IssuerKeys};
use crate::tables::{COLLECTOR_KEYS_T, SETTINGS, SETTINGS_T};
use crate::Store;

/// Settings holding the applied bundle's sequence (shared with
/// [`Store::apply_verified_bundle`]), its other metadata, and the sync state (JSON).
const BUNDLE_SEQUENCE: &str = "key_bundle.sequence";
const BUNDLE_APPLIED: &str = "key_bundle.applied";
const SYNC_STATE: &str = "key_sync.state";

fn setting_json<T: serde::de::DeserializeOwned>(
    settings: &impl redb::ReadableTable<&'static [u8], &'static [u8]>,
    crypto: &crate::codec::Crypto,
    name: &str,
) -> Result<Option<T>> {
    let rec: Option<SettingRecord> = get(settings, crypto, CURRENT_SCHEMA, name.as_bytes())?;
    rec.map(|r| serde_json::from_str(&r.value))
        .transpose()
        .map_err(|_| StoreError::Integrity { table: SETTINGS, reason: "setting malformed" })
}

fn put_json<T: serde::Serialize>(
    settings: &mut redb::Table<'_, &'static [u8], &'static [u8]>,
    crypto: &crate::codec::Crypto,
    name: &str,
    value: &T,
) -> Result<()> {
    let value =
        serde_json::to_string(value).map_err(|e| StoreError::Invalid(format!("{name}: {e}")))?;
    put(settings, crypto, CURRENT_SCHEMA, &SettingRecord { name: name.into(), value })
}

/// The stored form of one ring key: the record's window is inclusive, the ring's end
/// exclusive.
fn record_of(k: &StoredKey) -> CollectorKeyRecord {
    CollectorKeyRecord {
        collector: k.collector,
        key_version: k.version,
        issuer_id: k.issuer,
        public_key_sec1: k.public_key.to_vec(),
        valid_from: Some(k.not_before_ms),
        valid_until: Some(k.not_after_ms.saturating_sub(1)),
    }
}

fn stored_key_of(r: &CollectorKeyRecord) -> Result<StoredKey> {
    let bad = || StoreError::Integrity { table: crate::tables::COLLECTOR_KEYS, reason: "bad key" };
    let point = p256::PublicKey::from_sec1_bytes(&r.public_key_sec1).map_err(|_| bad())?;
    let public_key = point.to_sec1_point(false).as_bytes().try_into().map_err(|_| bad())?;
    Ok(StoredKey {
        issuer: r.issuer_id,
        collector: r.collector,
        version: r.key_version,
        public_key,
        not_before_ms: r.valid_from.unwrap_or(i64::MIN),
        not_after_ms: r.valid_until.map_or(i64::MAX, |t| t.saturating_add(1)),
    })
}

impl Store {
    /// The key ring as the core's [`KeyRingState`] (for `KeyRing::from_state`).
    pub fn key_ring_state(&self) -> Result<KeyRingState> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        let records: Vec<CollectorKeyRecord> =
            all(&txn.open_table(COLLECTOR_KEYS_T)?, &crypto, CURRENT_SCHEMA)?;
        let mut keys = records.iter().map(stored_key_of).collect::<Result<Vec<_>>>()?;
        keys.sort_by_key(|k| (k.issuer, k.collector, k.version));
        let applied: Option<AppliedBundle> =
            setting_json(&txn.open_table(SETTINGS_T)?, &crypto, BUNDLE_APPLIED)?;
        Ok(KeyRingState { format: STATE_FORMAT, applied, keys })
    }

    /// The key-sync state last saved with [`Store::save_key_ring`].
    pub fn sync_state(&self) -> Result<Option<SyncState>> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        setting_json(&txn.open_table(SETTINGS_T)?, &crypto, SYNC_STATE)
    }

    /// Replaces the stored key ring with `ring` and saves `sync` with it, in one
    /// transaction. Refused if `ring`'s bundle sequence is lower than the stored one;
    /// `Ok(false)` if it is the stored one (only `sync` is written then).
    pub fn save_key_ring(&self, ring: &KeyRingState, sync: &SyncState) -> Result<bool> {
        let names: BTreeMap<u64, String> =
            self.issuers()?.into_iter().map(|i| (i.issuer_id, i.name)).collect();
        let mut by_issuer: BTreeMap<u64, IssuerKeys> = BTreeMap::new();
        for k in &ring.keys {
            let entry = by_issuer.entry(k.issuer).or_insert_with(|| IssuerKeys {
                issuer_id: k.issuer,
                name: names.get(&k.issuer).cloned().unwrap_or_default(),
                collectors: Vec::new(),
                keys: Vec::new(),
            });
            if !entry.collectors.contains(&k.collector) {
                entry.collectors.push(k.collector);
            }
            entry.keys.push(record_of(k));
        }
        let issuers: Vec<IssuerKeys> = by_issuer.into_values().collect();
        validate_keys(&issuers)?;
        self.write(|txn, crypto| {
            let mut settings = txn.open_table(SETTINGS_T)?;
            let stored: Option<SettingRecord> =
                get(&settings, crypto, CURRENT_SCHEMA, BUNDLE_SEQUENCE.as_bytes())?;
            let stored = match stored {
                Some(s) => Some(s.value.parse::<u64>().map_err(|_| StoreError::Integrity {
                    table: SETTINGS,
                    reason: "bundle sequence malformed",
                })?),
                None => None,
            };
            let new = ring.applied.as_ref().map(|a| a.sequence);
            if stored.is_some_and(|s| new.is_none_or(|n| n < s)) {
                return Err(StoreError::Invalid("key bundle rollback refused".into()));
            }
            put_json(&mut settings, crypto, SYNC_STATE, sync)?;
            if new == stored {
                return Ok(false);
            }
            if let Some(applied) = &ring.applied {
                put_json(&mut settings, crypto, BUNDLE_APPLIED, applied)?;
                let seq = applied.sequence.to_string();
                let rec = SettingRecord { name: BUNDLE_SEQUENCE.into(), value: seq };
                put(&mut settings, crypto, CURRENT_SCHEMA, &rec)?;
            }
            drop(settings);
            apply_keys_in(txn, crypto, &issuers, true)?;
            let detail = format!("bundle {} ({} keys)", new.unwrap_or(0), ring.keys.len());
            append_event(txn, crypto, self.options.event_cap, event("sync", None, None, detail))?;
            Ok(true)
        })
    }

    /// Writes pass objects changed in memory (e.g. by PUSH DATA) back, in one transaction.
    /// Each must belong to a stored class; `kind` names the change in the event log.
    pub fn save_objects(&self, objects: &[PassObject], kind: &str) -> Result<usize> {
        self.write_models(&[], objects, kind, false)
    }

    /// Writes pass objects a terminal changed during a tap (PUSH DATA), durably, before
    /// the applet acknowledges the push ([`Store::journal`]).
    pub fn save_objects_on_tap(&self, objects: &[PassObject]) -> Result<usize> {
        self.write_models(&[], objects, "push", true)
    }
}

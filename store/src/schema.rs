//! Schema versions and migrations.
//!
//! The schema version is stored in the clear in `meta` and bound into every value's AAD, so
//! a value replayed from another version fails to authenticate. A migration re-seals every
//! value under the new version inside the one write transaction that opens the store, so a
//! crash mid-migration leaves the old version intact. The same re-sealing pass implements
//! [`crate::Store::rekey`].
//!
//! Versions:
//! - **1**: issuers, collector keys, pass classes, pass objects (without the per-pass Smart
//!   Tap toggle and the last push), selection index, settings, events.
//! - **2**: pass objects gain `smart_tap_disabled` and `last_push`; the
//!   `payment_tokens` table exists (a placeholder record nothing provisioned).
//! - **3** (current): `payment_tokens` holds [`crate::tokens::PaymentTokenRecord`] (card
//!   data, life cycle, keys, ATC, log). Migrating from 2 drops the placeholder records: no
//!   build could provision a token before schema 3. The `outbox` table
//!   ([`crate::outbox`]) came later within schema 3: opening a file without it creates it
//!   empty (older builds ignore it). The core models kept in pass records gained their
//!   display `details` (issue #17) within schema 3 too: the field is `serde(default)`, so
//!   a record without it decodes with empty details and an older build skips it (serde
//!   ignores unknown map keys); no value changed meaning, so no re-sealing migration.
//!
//! `tests/fixtures/store-v1.redb` is a frozen v1 file (written by the ignored generator test
//! below); `tests/schema.rs` must keep opening it.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::codec::{put, Crypto};
use crate::envelope::decode_cbor;
use crate::error::{Result, StoreError};
use crate::records::{
    CollectorKeyRecord, IssuerRecord, ObjectState, PassClassRecord, PassObjectRecord, Record,
    SecretString, SelectionIndexRecord, SettingRecord,
};
use crate::tables::*;

/// The schema this build writes.
pub const CURRENT_SCHEMA: u32 = 3;
/// The oldest schema this build migrates from.
pub const OLDEST_SCHEMA: u32 = 1;

/// The sealed key-check record in `meta`: proves the key and the plaintext header belong
/// together (a tampered header is an integrity error, not a wrong key).
#[derive(Serialize, Deserialize)]
pub(crate) struct KeyCheck {
    pub(crate) schema: u32,
    pub(crate) key_id: Vec<u8>,
}

pub(crate) fn seal_check(crypto: &Crypto, schema: u32) -> Result<Vec<u8>> {
    let check = KeyCheck { schema, key_id: crypto.key_id().to_vec() };
    crypto.record_sealer().seal(schema, META, META_CHECK.as_bytes(), &check)
}

pub(crate) fn verify_check(crypto: &Crypto, schema: u32, sealed: &[u8]) -> Result<()> {
    let check: KeyCheck =
        crypto.record_sealer().open(schema, META, META_CHECK.as_bytes(), sealed)?;
    if check.schema != schema || !crypto.key_id_matches(&check.key_id) {
        return Err(StoreError::Integrity { table: META, reason: "header does not match check" });
    }
    Ok(())
}

/// Writes the plaintext header and the key check for `schema`.
pub(crate) fn write_header(txn: &WriteTransaction, crypto: &Crypto, schema: u32) -> Result<()> {
    let mut meta = txn.open_table(META_T)?;
    meta.insert(META_FORMAT, FORMAT_MARKER)?;
    meta.insert(META_SCHEMA, &schema.to_be_bytes()[..])?;
    meta.insert(META_KEY_ID, &crypto.key_id()[..])?;
    let check = seal_check(crypto, schema)?;
    meta.insert(META_CHECK, &check[..])?;
    Ok(())
}

/// A v1 pass object.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PassObjectV1 {
    pub(crate) object_id: String,
    pub(crate) class_id: String,
    pub(crate) state: ObjectState,
    pub(crate) redemption_value: Option<SecretString>,
    pub(crate) valid_from: Option<i64>,
    pub(crate) valid_until: Option<i64>,
    pub(crate) display: Option<String>,
}

impl From<PassObjectV1> for PassObjectRecord {
    fn from(v: PassObjectV1) -> Self {
        PassObjectRecord {
            object_id: v.object_id,
            class_id: v.class_id,
            state: v.state,
            redemption_value: v.redemption_value,
            valid_from: v.valid_from,
            valid_until: v.valid_until,
            smart_tap_disabled: false,
            last_push: None,
            display: v.display,
            model: None,
        }
    }
}

fn decode_object(schema: u32, plain: &[u8]) -> Result<PassObjectRecord> {
    if schema == 1 {
        decode_cbor::<PassObjectV1>(PASS_OBJECTS, plain).map(Into::into)
    } else {
        decode_cbor(PASS_OBJECTS, plain)
    }
}

/// Re-seals every value written under (`old`, `old_schema`) for (`new`, current schema),
/// migrating record layouts on the way, and rewrites the header. Returns the number of
/// values re-sealed. Runs inside the caller's transaction: all or nothing.
pub(crate) fn reseal_all(
    txn: &WriteTransaction,
    old: &Crypto,
    old_schema: u32,
    new: &Crypto,
) -> Result<u64> {
    reseal_all_from(txn, None, old, old_schema, new)
}

/// [`reseal_all`], reading from `src` (another database's snapshot) when given: the
/// values are written to `txn`'s empty tables, so the file behind `txn` never held them
/// under the old key ([`crate::Store::rekey_file`]).
pub(crate) fn reseal_all_from(
    txn: &WriteTransaction,
    src: Option<&ReadTransaction>,
    old: &Crypto,
    old_schema: u32,
    new: &Crypto,
) -> Result<u64> {
    let mut n = 0;
    n += reseal::<IssuerRecord>(txn, src, ISSUERS_T, old, old_schema, new, |p| {
        decode_cbor(ISSUERS, p)
    })?;
    n += reseal::<CollectorKeyRecord>(txn, src, COLLECTOR_KEYS_T, old, old_schema, new, |p| {
        decode_cbor(COLLECTOR_KEYS, p)
    })?;
    n += reseal::<PassClassRecord>(txn, src, PASS_CLASSES_T, old, old_schema, new, |p| {
        decode_cbor(PASS_CLASSES, p)
    })?;
    n += reseal::<PassObjectRecord>(txn, src, PASS_OBJECTS_T, old, old_schema, new, |p| {
        decode_object(old_schema, p)
    })?;
    n += reseal::<SelectionIndexRecord>(txn, src, SELECTION_INDEX_T, old, old_schema, new, |p| {
        decode_cbor(SELECTION_INDEX, p)
    })?;
    if old_schema < 3 {
        txn.open_table(PAYMENT_TOKENS_T)?.retain(|_, _| false)?;
    } else {
        n += reseal::<crate::tokens::PaymentTokenRecord>(
            txn,
            src,
            PAYMENT_TOKENS_T,
            old,
            old_schema,
            new,
            |p| decode_cbor(PAYMENT_TOKENS, p),
        )?;
    }
    n += reseal::<SettingRecord>(txn, src, SETTINGS_T, old, old_schema, new, |p| {
        decode_cbor(SETTINGS, p)
    })?;
    n += reseal::<crate::outbox::OutboxRecord>(txn, src, OUTBOX_T, old, old_schema, new, |p| {
        decode_cbor(OUTBOX, p)
    })?;
    n += reseal::<crate::nfc_passes::NfcPassRecord>(
        txn,
        src,
        NFC_PASSES_T,
        old,
        old_schema,
        new,
        |p| decode_cbor(NFC_PASSES, p),
    )?;
    {
        let mut events = txn.open_table(EVENTS_T)?;
        let mut all = Vec::new();
        let mut read = |k: u64, v: &[u8]| -> Result<()> {
            all.push(old.open_event(old_schema, k, v)?);
            Ok(())
        };
        match src {
            Some(src) => {
                for entry in src.open_table(EVENTS_T)?.iter()? {
                    let (k, v) = entry?;
                    read(k.value(), v.value())?;
                }
            }
            None => {
                for entry in events.iter()? {
                    let (k, v) = entry?;
                    read(k.value(), v.value())?;
                }
            }
        }
        for e in &all {
            let sealed = new.seal_event(CURRENT_SCHEMA, e)?;
            events.insert(e.seq, &sealed[..])?;
        }
        n += all.len() as u64;
    }
    write_header(txn, new, CURRENT_SCHEMA)?;
    Ok(n)
}

fn reseal<R: Record>(
    txn: &WriteTransaction,
    src: Option<&ReadTransaction>,
    def: TableDefinition<&'static [u8], &'static [u8]>,
    old: &Crypto,
    old_schema: u32,
    new: &Crypto,
    decode: impl Fn(&[u8]) -> Result<R>,
) -> Result<u64> {
    let mut table = txn.open_table(def)?;
    let mut records = Vec::new();
    let mut read = |k: &[u8], v: &[u8]| -> Result<()> {
        records.push(old.open_with(old_schema, k, v, &decode)?);
        Ok(())
    };
    match src {
        Some(src) => {
            for entry in src.open_table(def)?.iter()? {
                let (k, v) = entry?;
                read(k.value(), v.value())?;
            }
        }
        None => {
            for entry in table.iter()? {
                let (k, v) = entry?;
                read(k.value(), v.value())?;
            }
        }
    }
    table.retain(|_, _| false)?;
    for r in &records {
        put(&mut table, new, CURRENT_SCHEMA, r)?;
    }
    Ok(records.len() as u64)
}

#[cfg(test)]
pub(crate) mod v1_fixture {
    //! Writes the frozen v1 fixture. Run once with `HCE_STORE_WRITE_FIXTURE=1 cargo test -p
    //! hce-wallet-store --lib -- --ignored generate_v1_fixture` and commit the file; never
    //! regenerate it for a newer schema (add a new fixture instead). Without the variable
    //! (e.g. under `make stress`, which runs ignored tests) it does nothing.
    use super::*;
    use crate::codec::put;
    use crate::keys::RootKey;
    use crate::records::{CollectorKeyRecord, EventRecord};

    /// Root key of the fixture (test-only, public knowledge).
    pub(crate) const FIXTURE_KEY: [u8; 32] = [0x42; 32];

    #[test]
    #[ignore = "generator: writes tests/fixtures/store-v1.redb"]
    fn generate_v1_fixture() {
        if std::env::var_os("HCE_STORE_WRITE_FIXTURE").is_none() {
            return;
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store-v1.redb");
        let _ = std::fs::remove_file(path);
        let db = redb::Database::create(path).unwrap();
        let crypto = Crypto::from_root(&RootKey::from_bytes(FIXTURE_KEY)).unwrap();
        let txn = db.begin_write().unwrap();
        write_header(&txn, &crypto, 1).unwrap();
        let issuer = 3265320111641956183u64;
        let sk = p256::SecretKey::from_slice(&[0x11; 32]).unwrap();
        let sec1 = sk.public_key().to_sec1_bytes().to_vec();
        {
            let mut t = txn.open_table(ISSUERS_T).unwrap();
            let r = IssuerRecord {
                issuer_id: issuer,
                name: "Demo issuer".into(),
                collectors: vec![20180608],
                keys: vec![(20180608, 1)],
            };
            put(&mut t, &crypto, 1, &r).unwrap();
            let mut t = txn.open_table(COLLECTOR_KEYS_T).unwrap();
            let k = CollectorKeyRecord {
                collector: 20180608,
                key_version: 1,
                issuer_id: issuer,
                public_key_sec1: sec1,
                valid_from: None,
                valid_until: None,
            };
            put(&mut t, &crypto, 1, &k).unwrap();
            let mut t = txn.open_table(PASS_CLASSES_T).unwrap();
            let c = PassClassRecord {
                class_id: format!("{issuer}.loyalty"),
                issuer_id: issuer,
                pass_type: hce_wallet_core::ports::PassType::Loyalty,
                smart_tap_enabled: true,
                redemption_issuers: vec![issuer],
                display: Some("{\"programName\":\"Demo\"}".into()),
                objects: vec![format!("{issuer}.member-1"), format!("{issuer}.member-2")],
                model: None,
            };
            put(&mut t, &crypto, 1, &c).unwrap();
            let mut objs = txn.open_table(PASS_OBJECTS_T).unwrap();
            for (i, state) in [(1, ObjectState::Active), (2, ObjectState::Inactive)] {
                let o = PassObjectV1 {
                    object_id: format!("{issuer}.member-{i}"),
                    class_id: format!("{issuer}.loyalty"),
                    state,
                    redemption_value: Some(SecretString::new(format!("MEMBER-{i}"))),
                    valid_from: None,
                    valid_until: None,
                    display: None,
                };
                let key = crypto.key::<PassObjectRecord>(o.object_id.as_bytes());
                let v = crypto.record_sealer().seal(1, PASS_OBJECTS, &key, &o).unwrap();
                objs.insert(&key[..], &v[..]).unwrap();
            }
            let mut t = txn.open_table(SELECTION_INDEX_T).unwrap();
            let ix = SelectionIndexRecord { issuer_id: issuer, objects: c.objects.clone() };
            put(&mut t, &crypto, 1, &ix).unwrap();
            let mut t = txn.open_table(SETTINGS_T).unwrap();
            let s = SettingRecord { name: "locale".into(), value: "en-GB".into() };
            put(&mut t, &crypto, 1, &s).unwrap();
            let mut t = txn.open_table(EVENTS_T).unwrap();
            let e = EventRecord {
                seq: 0,
                at: 1_700_000_000_000,
                kind: "import".into(),
                collector: None,
                object_id: None,
                detail: Some("2 objects".into()),
            };
            let v = crypto.seal_event(1, &e).unwrap();
            t.insert(0u64, &v[..]).unwrap();
            let mut m = txn.open_table(META_T).unwrap();
            m.insert(META_NEXT_EVENT, &1u64.to_be_bytes()[..]).unwrap();
        }
        txn.commit().unwrap();
        drop(db);
        let len = std::fs::metadata(path).unwrap().len();
        println!("wrote {path} ({len} bytes)");
    }
}

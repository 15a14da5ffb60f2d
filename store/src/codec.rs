//! Typed access to sealed tables: blind the key, seal/open the value, and check that the
//! record found under a blinded key is the one that key names.

use std::sync::{Arc, RwLock};

use redb::{ReadableTable, Table};
use subtle::ConstantTimeEq;

use crate::envelope::{decode_cbor, Blinder, Sealer, BLIND_LEN};
use crate::error::{Result, StoreError};
use crate::keys::{RootKey, KEY_LEN};
use crate::records::{EventRecord, Record};
use crate::tables::EVENTS;

/// The keys of the store's current root key, swapped whole by a rekey. Cloning shares it:
/// the store and its file stamp ([`crate::stamp`]) read the same one.
#[derive(Clone)]
pub(crate) struct CryptoCell(Arc<RwLock<Arc<Crypto>>>);

impl CryptoCell {
    pub(crate) fn new(crypto: Arc<Crypto>) -> Self {
        CryptoCell(Arc::new(RwLock::new(crypto)))
    }

    pub(crate) fn get(&self) -> Arc<Crypto> {
        match self.0.read() {
            Ok(c) => c.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub(crate) fn set(&self, crypto: Arc<Crypto>) {
        match self.0.write() {
            Ok(mut c) => *c = crypto,
            Err(p) => *p.into_inner() = crypto,
        }
    }
}

/// All keys of one root key, ready to use.
pub(crate) struct Crypto {
    record: Sealer,
    events: Sealer,
    blinder: Blinder,
    stamper: Blinder,
    key_id: [u8; KEY_LEN],
}

impl Crypto {
    pub(crate) fn from_root(root: &RootKey) -> Result<Self> {
        let keys = root.derive();
        Ok(Crypto {
            record: Sealer::new(&keys.record),
            events: Sealer::new(&keys.events),
            blinder: Blinder::new(&keys.blind)?,
            stamper: Blinder::new(&keys.file_stamp)?,
            key_id: *keys.key_id.bytes(),
        })
    }

    pub(crate) fn key_id(&self) -> &[u8; KEY_LEN] {
        &self.key_id
    }

    /// The MAC of a store file's identity ([`crate::stamp`]).
    pub(crate) fn file_stamp(&self, identity: &[u8]) -> [u8; BLIND_LEN] {
        self.stamper.blind("file-stamp", identity)
    }

    pub(crate) fn key_id_matches(&self, stored: &[u8]) -> bool {
        stored.len() == KEY_LEN && bool::from(stored.ct_eq(&self.key_id[..]))
    }

    pub(crate) fn record_sealer(&self) -> &Sealer {
        &self.record
    }

    /// The stored key of record `raw` in `R`'s table.
    pub(crate) fn key<R: Record>(&self, raw: &[u8]) -> [u8; BLIND_LEN] {
        self.blinder.blind(R::TABLE, raw)
    }

    pub(crate) fn seal<R: Record>(&self, schema: u32, r: &R) -> Result<([u8; BLIND_LEN], Vec<u8>)> {
        let key = self.key::<R>(&r.raw_key());
        let value = self.record.seal(schema, R::TABLE, &key, r)?;
        Ok((key, value))
    }

    /// Opens a value stored under `key`; `decode` turns the plaintext CBOR into `R` (it is
    /// `decode_cbor` except during migrations).
    pub(crate) fn open_with<R: Record>(
        &self,
        schema: u32,
        key: &[u8],
        value: &[u8],
        decode: impl FnOnce(&[u8]) -> Result<R>,
    ) -> Result<R> {
        let plain = self.record.open_bytes(schema, R::TABLE, key, value)?;
        let record = decode(&plain)?;
        let expected = self.key::<R>(&record.raw_key());
        if !bool::from(expected.ct_eq(key)) {
            return Err(StoreError::Integrity {
                table: R::TABLE,
                reason: "record does not match its key",
            });
        }
        Ok(record)
    }

    pub(crate) fn open<R: Record>(&self, schema: u32, key: &[u8], value: &[u8]) -> Result<R> {
        self.open_with(schema, key, value, |p| decode_cbor(R::TABLE, p))
    }

    pub(crate) fn seal_event(&self, schema: u32, e: &EventRecord) -> Result<Vec<u8>> {
        self.events.seal(schema, EVENTS, &e.seq.to_be_bytes(), e)
    }

    pub(crate) fn open_event(&self, schema: u32, seq: u64, value: &[u8]) -> Result<EventRecord> {
        let e: EventRecord = self.events.open(schema, EVENTS, &seq.to_be_bytes(), value)?;
        if e.seq != seq {
            return Err(StoreError::Integrity { table: EVENTS, reason: "event out of place" });
        }
        Ok(e)
    }
}

/// Reads record `raw` of type `R`.
pub(crate) fn get<R: Record>(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    crypto: &Crypto,
    schema: u32,
    raw: &[u8],
) -> Result<Option<R>> {
    let key = crypto.key::<R>(raw);
    match table.get(&key[..])? {
        Some(v) => crypto.open(schema, &key, v.value()).map(Some),
        None => Ok(None),
    }
}

/// Writes `r` (replacing any previous value under its key).
pub(crate) fn put<R: Record>(
    table: &mut Table<'_, &'static [u8], &'static [u8]>,
    crypto: &Crypto,
    schema: u32,
    r: &R,
) -> Result<()> {
    let (key, value) = crypto.seal(schema, r)?;
    table.insert(&key[..], &value[..])?;
    Ok(())
}

/// Deletes record `raw`; returns whether it existed.
pub(crate) fn delete<R: Record>(
    table: &mut Table<'_, &'static [u8], &'static [u8]>,
    crypto: &Crypto,
    raw: &[u8],
) -> Result<bool> {
    let key = crypto.key::<R>(raw);
    Ok(table.remove(&key[..])?.is_some())
}

/// Reads every record of a table (admin paths only, never at tap time).
pub(crate) fn all<R: Record>(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    crypto: &Crypto,
    schema: u32,
) -> Result<Vec<R>> {
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (k, v) = entry?;
        out.push(crypto.open(schema, k.value(), v.value())?);
    }
    Ok(out)
}

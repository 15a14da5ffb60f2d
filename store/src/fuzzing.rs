//! Entry points for the fuzz targets (`fuzz/fuzz_targets/store_*.rs`). Not API: they exist so
//! the fuzzer reaches private decoders and tables. All must return without panicking on any
//! input.

use std::sync::{Arc, RwLock};

use redb::backends::InMemoryBackend;
use redb::{Database, ReadableTable, ReadableTableMetadata, StorageBackend};

use crate::codec::Crypto;
use crate::envelope::decode_cbor;
use crate::keys::RootKey;
use crate::records::*;
use crate::schema::CURRENT_SCHEMA;
use crate::stamp::IntegrityCheck;
use crate::store::{Store, StoreOptions};
use crate::tables::{BLIND_TABLES, EVENTS_T, META_T};

const FUZZ_KEY: [u8; 32] = [0x5a; 32];

/// Feeds `data` to the record decoder: as a sealed value of every record type (the AEAD
/// path), and as plaintext CBOR of every record type (the decoder behind it, which random
/// bytes would never reach through authentication).
pub fn decode_record(data: &[u8]) {
    let Ok(crypto) = Crypto::from_root(&RootKey::from_bytes(FUZZ_KEY)) else { return };
    let key = [0u8; 32];
    let _ = crypto.open::<PassObjectRecord>(CURRENT_SCHEMA, &key, data);
    let _ = crypto.open::<PassClassRecord>(CURRENT_SCHEMA, &key, data);
    let _ = crypto.open_event(CURRENT_SCHEMA, 0, data);
    let _ = decode_cbor::<PassObjectRecord>("f", data);
    let _ = decode_cbor::<PassClassRecord>("f", data);
    let _ = decode_cbor::<IssuerRecord>("f", data);
    let _ = decode_cbor::<CollectorKeyRecord>("f", data);
    let _ = decode_cbor::<SelectionIndexRecord>("f", data);
    let _ = decode_cbor::<crate::tokens::PaymentTokenRecord>("f", data);
    let _ = decode_cbor::<SettingRecord>("f", data);
    let _ = decode_cbor::<EventRecord>("f", data);
    let _ = decode_cbor::<crate::schema::PassObjectV1>("f", data);
}

/// Opens `data` as a store file (in memory) and reads everything it holds.
pub fn open_file_bytes(data: &[u8]) {
    let backend = InMemoryBackend::new();
    if backend.set_len(data.len() as u64).is_err() || backend.write(0, data).is_err() {
        return;
    }
    let opts = StoreOptions { cache_size: 1 << 20, ..Default::default() };
    let Ok(store) = Store::open_with_backend(backend, &RootKey::from_bytes(FUZZ_KEY), opts) else {
        return;
    };
    let _ = store.verify_all();
    let _ = store.list_passes();
    let _ = store.events(16);
}

/// A store file in memory that outlives the database using it (redb's own in-memory
/// backend is consumed by the database), so one image can be written by raw redb and then
/// opened by the store.
#[derive(Clone, Debug, Default)]
struct SharedFile(Arc<RwLock<Vec<u8>>>);

impl SharedFile {
    fn bytes(&self) -> Vec<u8> {
        self.0.read().map(|b| b.clone()).unwrap_or_default()
    }
}

fn io_error() -> std::io::Error {
    std::io::Error::from(std::io::ErrorKind::InvalidInput)
}

impl StorageBackend for SharedFile {
    fn len(&self) -> Result<u64, std::io::Error> {
        Ok(self.0.read().map_err(|_| io_error())?.len() as u64)
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        let file = self.0.read().map_err(|_| io_error())?;
        let start = usize::try_from(offset).map_err(|_| io_error())?;
        let src = file.get(start..start.saturating_add(out.len())).ok_or_else(io_error)?;
        out.copy_from_slice(src);
        Ok(())
    }
    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        let len = usize::try_from(len).map_err(|_| io_error())?;
        self.0.write().map_err(|_| io_error())?.resize(len, 0);
        Ok(())
    }
    fn sync_data(&self) -> Result<(), std::io::Error> {
        Ok(())
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        let mut file = self.0.write().map_err(|_| io_error())?;
        let start = usize::try_from(offset).map_err(|_| io_error())?;
        let dst = file.get_mut(start..start.saturating_add(data.len())).ok_or_else(io_error)?;
        dst.copy_from_slice(data);
        Ok(())
    }
}

/// The file image of a store under the fuzz key that `populate` filled through the API.
pub fn store_image(populate: impl FnOnce(&Store)) -> Option<Vec<u8>> {
    let file = SharedFile::default();
    let store =
        Store::open_with_backend(file.clone(), &RootKey::from_bytes(FUZZ_KEY), fuzz_options())
            .ok()?;
    populate(&store);
    drop(store);
    Some(file.bytes())
}

fn fuzz_options() -> StoreOptions {
    StoreOptions { cache_size: 1 << 20, ..Default::default() }
}

/// Edits the tables of `image` with raw redb, as anyone holding the file could (values
/// replaced, moved under other keys, removed, bit-flipped; header fields rewritten), then
/// opens it as a store and reads everything. Every read returns the record its key names
/// or an error, never another record and never a panic.
///
/// `edits`: a sequence of `table entry op len bytes…` (table: 0-8 the blinded-key tables,
/// 9 the event log, 10 the header; entry: index into the table, modulo its length; op:
/// 0 replace the value, 1 remove, 2 copy the value under the key `bytes`, 3 flip bits of
/// the value (`bytes` = offset, mask)).
pub fn edit_and_read(image: &[u8], edits: &[u8]) {
    let file = SharedFile(Arc::new(RwLock::new(image.to_vec())));
    {
        let Ok(db) = Database::builder().create_with_backend(file.clone()) else { return };
        let Ok(txn) = db.begin_write() else { return };
        let mut rest = edits;
        while let [table, entry, op, len, tail @ ..] = rest {
            let (bytes, next) = tail.split_at(usize::from(*len).min(tail.len()));
            rest = next;
            let _ = edit(&txn, *table, *entry, *op, bytes);
        }
        if txn.commit().is_err() {
            return;
        }
    }
    // redb itself wrote every edit, so its whole-file check has nothing to find: skip it.
    let opts = StoreOptions { integrity_check: IntegrityCheck::Never, ..fuzz_options() };
    let Ok(store) = Store::open_with_backend(file, &RootKey::from_bytes(FUZZ_KEY), opts) else {
        return;
    };
    read_everything(&store);
}

/// One raw edit; errors only mean the edit did not apply.
fn edit(
    txn: &redb::WriteTransaction,
    table: u8,
    entry: u8,
    op: u8,
    bytes: &[u8],
) -> Result<(), redb::Error> {
    match table % 11 {
        t @ 0..=8 => {
            let mut t = txn.open_table(BLIND_TABLES[usize::from(t)])?;
            let Some((k, v)) = nth_row(&t, entry)? else { return Ok(()) };
            match op % 4 {
                1 => drop(t.remove(k.as_slice())?),
                2 => drop(t.insert(bytes, v.as_slice())?),
                _ => drop(t.insert(k.as_slice(), changed(&v, op, bytes).as_slice())?),
            }
        }
        9 => {
            let mut t = txn.open_table(EVENTS_T)?;
            let Some((k, v)) = nth_row(&t, entry)? else { return Ok(()) };
            let k = <u64 as redb::Value>::from_bytes(&k);
            match op % 4 {
                1 => drop(t.remove(k)?),
                2 => drop(t.insert(k.wrapping_add(u64::from(entry)), v.as_slice())?),
                _ => drop(t.insert(k, changed(&v, op, bytes).as_slice())?),
            }
        }
        _ => {
            let mut t = txn.open_table(META_T)?;
            let keys = ["format", "schema", "key_id", "check", "next_event"];
            let key = keys[usize::from(entry) % keys.len()];
            let old = t.get(key)?.map(|v| v.value().to_vec()).unwrap_or_default();
            match op % 4 {
                1 => drop(t.remove(key)?),
                _ => drop(t.insert(key, changed(&old, op, bytes).as_slice())?),
            }
        }
    }
    Ok(())
}

/// A row as bytes: the key in redb's encoding, and the value.
type Row = (Vec<u8>, Vec<u8>);

/// Row `entry` (modulo the table's length) of `t`.
fn nth_row<K: redb::Key + 'static>(
    t: &redb::Table<'_, K, &'static [u8]>,
    entry: u8,
) -> Result<Option<Row>, redb::Error> {
    let len = t.len()?;
    if len == 0 {
        return Ok(None);
    }
    let nth = usize::try_from(u64::from(entry) % len).unwrap_or(0);
    let Some(row) = t.iter()?.nth(nth) else { return Ok(None) };
    let (k, v) = row?;
    let key = K::as_bytes(&k.value()).as_ref().to_vec();
    Ok(Some((key, v.value().to_vec())))
}

/// An edit's new value: `bytes` itself, or for op 3 `value` with `bytes[1]` XORed into
/// it at offset `bytes[0]` (modulo its length).
fn changed(value: &[u8], op: u8, bytes: &[u8]) -> Vec<u8> {
    if op % 4 != 3 {
        return bytes.to_vec();
    }
    let mut v = value.to_vec();
    if let (Some(&at), Some(&mask), Some(len)) =
        (bytes.first(), bytes.get(1), std::num::NonZeroUsize::new(v.len()))
    {
        if let Some(b) = v.get_mut(usize::from(at) % len) {
            *b ^= mask;
        }
    }
    v
}

/// Every read of the store's API; what a key names is what comes back, or an error.
fn read_everything(store: &Store) {
    let _ = store.verify_all();
    if let Ok(list) = store.list_passes() {
        for p in list {
            if let Ok(Some((_, object))) = store.pass(&p.object_id) {
                assert_eq!(object.object_id, p.object_id, "a pass read under another's ID");
            }
        }
    }
    if let Ok(passes) = store.nfc_passes() {
        for p in passes {
            if let Ok(Some(again)) = store.nfc_pass(&p.id) {
                assert_eq!(again.id, p.id, "an NFC pass read under another's ID");
            }
        }
    }
    let _ = store.setting("locale");
    let _ = store.events(64);
    let _ = store.token_records();
    let _ = store.token_book();
    let _ = store.outbox();
    let _ = store.engine_snapshot();
    let _ = store.key_ring_state();
    let tap = store.prepare_tap();
    for c in [20180608, 1, 2018] {
        let _ = tap.candidates(hce_wallet_core::ports::CollectorId(c));
    }
}

//! Entry points for the fuzz targets (`fuzz/fuzz_targets/store_*.rs`). Not API: they exist so
//! the fuzzer reaches private decoders. Both must return without panicking on any input.

use redb::backends::InMemoryBackend;
use redb::StorageBackend;

use crate::codec::Crypto;
use crate::envelope::decode_cbor;
use crate::keys::RootKey;
use crate::records::*;
use crate::schema::CURRENT_SCHEMA;
use crate::store::{Store, StoreOptions};

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

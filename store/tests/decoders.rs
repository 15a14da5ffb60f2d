//! Property tests over the hostile-input entry points (the same functions the fuzz targets
//! call) and a round-trip law for sealed values.

mod common;

use hce_wallet_store::fuzzing::{decode_record, open_file_bytes};
use hce_wallet_store::Store;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn record_decoder_never_panics(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        decode_record(&data);
    }

    #[test]
    fn opening_arbitrary_bytes_never_panics(data in proptest::collection::vec(any::<u8>(), 0..8192)) {
        open_file_bytes(&data);
    }

    /// A redb magic number followed by junk reaches redb's header parser.
    #[test]
    fn opening_junk_after_magic_never_panics(data in proptest::collection::vec(any::<u8>(), 0..8192)) {
        let mut bytes = vec![b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];
        bytes.extend_from_slice(&data);
        open_file_bytes(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// What is written is what is read back, for any text, across a reopen.
    #[test]
    fn settings_round_trip(name in ".{0,40}", value in ".{0,200}") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.redb");
        let store = Store::open(&path, &common::key(3)).unwrap();
        store.set_setting(&name, &value).unwrap();
        drop(store);
        let store = Store::open(&path, &common::key(3)).unwrap();
        prop_assert_eq!(store.setting(&name).unwrap(), Some(value));
    }
}

//! The store's tables edited by someone holding the file (raw redb: values replaced, moved
//! under other keys, removed, bit-flipped; header fields rewritten), then opened and read
//! through the whole API: a read returns the record its key names or an error, never
//! another record and never a panic (`hce_wallet_store::fuzzing::edit_and_read`). Unlike
//! `store_open`, whose raw bytes rarely get past redb's page checksums, every edit here is a
//! valid redb file, so the store's own checks are what stands in the way.
#![no_main]

use std::sync::LazyLock;

use hce_wallet_core::nfc_pass::fixture;
use hce_wallet_core::pass::google_wallet::import_json;
use hce_wallet_core::payment::sample::{sample_keys, sample_token};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::fuzzing::{edit_and_read, store_image};
use hce_wallet_store::records::CollectorKeyRecord;
use hce_wallet_store::IssuerKeys;
use libfuzzer_sys::fuzz_target;

const PASSES: &str = include_str!("../../tests/data/demo-passes.json");
const DOOR: &str = include_str!("../../tests/data/nfc-door-key.json");
const NOW: Timestamp = Timestamp(1_800_000_000_000);

/// A store with a bit of everything: passes, issuer keys, a token with keys, an NFC pass,
/// a setting, events.
static IMAGE: LazyLock<Vec<u8>> = LazyLock::new(|| {
    store_image(|store| {
        store.import_batch(&import_json(PASSES).expect("demo passes")).expect("import");
        let key = p256::SecretKey::from_slice(&[3; 32]).expect("scalar");
        let keys = IssuerKeys {
            issuer_id: 1990,
            name: "fooPizza".into(),
            collectors: vec![20180608],
            keys: vec![CollectorKeyRecord {
                collector: 20180608,
                key_version: 1,
                issuer_id: 1990,
                public_key_sec1: key.public_key().to_sec1_bytes().to_vec(),
                valid_from: None,
                valid_until: None,
            }],
        };
        store.apply_key_bundle(&[keys]).expect("keys");
        let token = sample_token(0);
        store.provision_token(&token, &sample_keys(0, 3, 10, NOW), true, NOW).expect("token");
        store.put_nfc_pass(&fixture::parse(DOOR.as_bytes()).expect("door")).expect("nfc");
        store.set_setting("locale", "fr-FR").expect("setting");
    })
    .expect("store image")
});

fuzz_target!(|data: &[u8]| {
    edit_and_read(&IMAGE, data);
});

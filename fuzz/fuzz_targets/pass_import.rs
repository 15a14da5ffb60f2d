//! Google Wallet pass import (`core::pass::google_wallet`): any bytes either import into a
//! complete, valid batch or fail with an error; a batch holds only ASCII redemption
//! values, round-trips through CBOR (what the store persists), and can be applied to the
//! selection engine and decided on without panicking.
#![no_main]

use hce_wallet_core::pass::{import_json, PassObject};
use hce_wallet_core::ports::{CollectorId, PassSource, SelectionRequest};
use hce_wallet_core::selection::SelectionEngine;
use hce_wallet_core::time::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(batch) = import_json(text) else { return };
    for o in &batch.objects {
        if let Some(v) = &o.smart_tap_redemption_value {
            assert!(v.expose().bytes().all(|b| (0x20..=0x7e).contains(&b)));
        }
        let mut buf = Vec::new();
        ciborium::into_writer(o, &mut buf).expect("CBOR encode");
        let back: PassObject = ciborium::from_reader(&buf[..]).expect("CBOR decode");
        assert_eq!(&back, o);
    }
    let engine = SelectionEngine::default();
    let issuers: Vec<u64> =
        batch.classes.iter().flat_map(|c| c.redemption_issuers.iter().copied()).collect();
    if engine.apply_import(batch).is_ok() {
        for (k, id) in issuers.iter().enumerate().take(8) {
            let collector = CollectorId(k as u32 + 1);
            let issuer = hce_wallet_core::pass::Issuer {
                id: *id,
                name: String::new(),
                collector_ids: vec![collector],
            };
            if engine.insert_issuer(issuer).is_ok() {
                let r = SelectionRequest {
                    collector,
                    service_types: vec![0x00],
                    now: Timestamp(1_800_000_000_000),
                };
                let _ = engine.could_redeem(collector, r.now);
                let _ = engine.select(&r);
            }
        }
    }
});

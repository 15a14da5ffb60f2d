//! Pass-update payloads (`core::pass::update`, issue #17): any bytes either decode into a
//! bundle whose every resource belongs to its issuer, or fail with an error; a decoded
//! bundle applies to a wallet of the display fixtures (flight, gift card) or is refused,
//! never panics, and a refused sequence changes nothing.
#![no_main]

use hce_wallet_core::pass::import_json;
use hce_wallet_core::pass::update::{apply, decode_payload, Change, Held, UpdateError};
use libfuzzer_sys::fuzz_target;

const FLIGHT: &str = include_str!("../../core/tests/fixtures/passes/display/flight.json");
const GIFT: &str = include_str!("../../core/tests/fixtures/passes/display/gift-card.json");

fuzz_target!(|data: &[u8]| {
    let Ok(update) = decode_payload(data) else { return };
    for c in &update.changes {
        if let Change::Upsert(b) = c {
            for o in &b.objects {
                assert!(o.id.starts_with(&format!("{}.", update.issuer)));
            }
        }
    }
    let mut classes = Vec::new();
    let mut objects = Vec::new();
    for text in [FLIGHT, GIFT] {
        let b = import_json(text).expect("fixture imports");
        classes.extend(b.classes);
        objects.extend(b.objects);
    }
    let held = Held::new(classes, objects);
    if let Ok(a) = apply(&update, &held, None) {
        assert_eq!(a.sequence, update.sequence);
        for id in &a.removed {
            assert!(held.objects.contains_key(id));
        }
    }
    assert!(matches!(
        apply(&update, &held, Some(update.sequence)),
        Err(UpdateError::Stale { .. })
    ));
});

//! Random APDUs against the NFC pass applet (proptest): no panic, every refusal a bare status
//! word, read-only files never change, and the credential file never leaves the card —
//! random bytes cannot produce the reader's token for a fresh challenge.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod nfc_support;

use std::sync::Arc;

use hce_wallet_core::nfc_pass::memory::InMemoryNfcPasses;
use hce_wallet_core::nfc_pass::model::{FileId, PassId};
use hce_wallet_core::ports::EventLog;
use hce_wallet_core::router::{Deactivation, Router};
use hce_wallet_harness::demo_nfc::{self, DEMO_AID};
use nfc_support::{fixture_file, Counter};
use proptest::prelude::*;

/// A command: mostly CLA 00 with the applet's instructions and small P1P2, sometimes
/// anything; an optional SELECT of the demo AID or a link loss in between.
fn step() -> impl Strategy<Value = Vec<u8>> {
    let ins = prop_oneof![
        Just(0xA4u8),
        Just(0xB0),
        Just(0xD6),
        Just(0x84),
        Just(0x82),
        Just(0x88),
        any::<u8>()
    ];
    let cla = prop_oneof![4 => Just(0x00u8), 1 => any::<u8>()];
    let structured = (cla, ins, 0u8..4, any::<u8>(), prop::collection::vec(any::<u8>(), 0..40))
        .prop_map(|(cla, ins, p1, p2, tail)| [vec![cla, ins, p1, p2], tail].concat());
    let select = Just([&[0x00, 0xA4, 0x04, 0x00, 0x08][..], &DEMO_AID, &[0x00]].concat());
    let file = prop_oneof![Just(0x01u8), Just(0x02), Just(0x03), Just(0x04), any::<u8>()]
        .prop_map(|f| vec![0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, f]);
    prop_oneof![
        4 => structured,
        1 => prop::collection::vec(any::<u8>(), 0..300),
        1 => select,
        1 => file,
        1 => Just(vec![]), // link loss
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn random_apdus_only_status_words(steps in prop::collection::vec(step(), 1..40)) {
        let store = Arc::new(InMemoryNfcPasses::new(vec![demo_nfc::demo_pass().unwrap()]));
        let applet = demo_nfc::applet_with_random(
            store.clone(), Arc::new(EventLog::default()), Box::new(Counter(1)));
        let mut router = Router::new();
        router.register(Box::new(applet));
        let credential = fixture_file("0101");
        for apdu in &steps {
            if apdu.is_empty() {
                router.deactivate(Deactivation::LinkLoss);
                continue;
            }
            // `dispatch`, not `process`: a panic fails the test instead of becoming 6F00.
            let r = router.dispatch(apdu);
            prop_assert_ne!(r.sw.0, 0x6F00);
            if r.sw.0 != 0x9000 && r.sw.0 != 0x6282 {
                prop_assert!(r.data.is_empty(), "{:02X?} -> data with {:?}", apdu, r.sw);
            }
            prop_assert!(!r.data.windows(6).any(|w| credential.windows(6).any(|c| c == w)));
        }
        let pass = store.pass(&PassId::new("campus-door-0001").unwrap()).unwrap();
        prop_assert_eq!(pass.file(FileId(0x0101)).unwrap().content(), &credential[..]);
        prop_assert_eq!(pass.file(FileId(0x0103)).unwrap().content(), &fixture_file("0103")[..]);
        prop_assert_eq!(pass.file(FileId(0x0104)).unwrap().content(), &fixture_file("0104")[..]);
    }
}

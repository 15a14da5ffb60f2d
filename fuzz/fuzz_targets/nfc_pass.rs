//! The issuer NFC pass applet behind the router (issue 15) under a sequence of APDUs and
//! deactivations (the shared frame driver), with the demo door key, a second pass on its
//! own AID and a third sharing the first one's AID. It never panics; every refusal is a
//! bare status word; read-only files never change; reader writes land only in files the
//! pass lets readers write. The harness's challenges are all zero, so a seeded EXTERNAL
//! AUTHENTICATE (fuzz/seed_corpora.py) opens the authenticated paths to the fuzzer.
#![no_main]

mod frames;

use std::sync::{Arc, OnceLock};

use hce_wallet_core::nfc_pass::applet::{NfcPassApplet, NfcPassPorts};
use hce_wallet_core::nfc_pass::fixture;
use hce_wallet_core::nfc_pass::memory::InMemoryNfcPasses;
use hce_wallet_core::nfc_pass::model::{Access, NfcPass};
use hce_wallet_core::ports::{NoEvents, RandomSource};
use hce_wallet_core::router::Router;
use libfuzzer_sys::fuzz_target;

const DOOR: &str = include_str!("../../tests/data/nfc-door-key.json");

struct Zeros;
impl RandomSource for Zeros {
    fn fill(&mut self, buf: &mut [u8]) {
        buf.fill(0);
    }
}

/// Parsed once per process: the fixture parser is not what this target measures.
fn passes() -> Vec<NfcPass> {
    static PASSES: OnceLock<Vec<NfcPass>> = OnceLock::new();
    PASSES.get_or_init(parse_passes).clone()
}

fn parse_passes() -> Vec<NfcPass> {
    let door = fixture::parse(DOOR.as_bytes()).unwrap();
    let other = DOOR
        .replace("campus-door-0001", "gym-0001")
        .replace("F0484345444F4F52", "F047594D30303031");
    let twin = DOOR.replace("campus-door-0001", "campus-door-0002");
    let mut twin = fixture::parse(twin.as_bytes()).unwrap();
    twin.state = hce_wallet_core::nfc_pass::model::NfcPassState::Suspended;
    vec![door, fixture::parse(other.as_bytes()).unwrap(), twin]
}

fuzz_target!(|data: &[u8]| {
    let before = passes();
    let store = Arc::new(InMemoryNfcPasses::new(before.clone()));
    let applet = NfcPassApplet::new(NfcPassPorts {
        source: store.clone(),
        journal: store.clone(),
        events: Arc::new(NoEvents),
        random: Box::new(Zeros),
    });
    let mut router = Router::new();
    router.register(Box::new(applet));
    frames::drive_checked(&mut router, data, |r| {
        if r.sw.0 != 0x9000 && r.sw.0 != 0x6282 {
            assert!(r.data.is_empty(), "SW {:04X} with {} data bytes", r.sw.0, r.data.len());
        }
    });
    for (old, new) in before.iter().zip(store.passes()) {
        for (f, g) in old.files().iter().zip(new.files()) {
            if f.write == Access::Never {
                assert_eq!(f.content(), g.content(), "read-only file {} changed", f.id);
            }
        }
    }
});

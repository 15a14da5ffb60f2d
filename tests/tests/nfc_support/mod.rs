//! Shared by the NFC pass tests: the demo pass on an in-process router, and the reader's
//! keys read from the fixture JSON by the test itself (not through the core's parser).
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;

use hce_wallet_core::nfc_pass::memory::InMemoryNfcPasses;
use hce_wallet_core::nfc_pass::model::NfcPass;
use hce_wallet_core::ports::{EventLog, RandomSource};
use hce_wallet_core::router::Router;
use hce_wallet_harness::card::RouterCard;
use hce_wallet_harness::demo_nfc::{self, DEMO_JSON};
use hce_wallet_harness::nfc_reader::{NfcReader, ReaderAlgorithm, ReaderKey};

/// A deterministic generator (challenges differ from call to call).
pub struct Counter(pub u64);
impl RandomSource for Counter {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *b = (self.0 >> 56) as u8;
        }
    }
}

pub struct Door {
    pub reader: NfcReader<RouterCard>,
    pub store: Arc<InMemoryNfcPasses>,
    pub events: Arc<EventLog>,
}

pub fn door_with(passes: Vec<NfcPass>) -> Door {
    let store = Arc::new(InMemoryNfcPasses::new(passes));
    let events = Arc::new(EventLog::default());
    let applet = demo_nfc::applet_with_random(store.clone(), events.clone(), Box::new(Counter(7)));
    let mut router = Router::new();
    router.register(Box::new(applet));
    Door { reader: NfcReader::new(RouterCard::new(router)), store, events }
}

pub fn door() -> Door {
    door_with(vec![demo_nfc::demo_pass().unwrap()])
}

/// Key `number` of the fixture, as the issuer hands it to its readers.
pub fn fixture_key(number: u8) -> ReaderKey {
    let doc: serde_json::Value = serde_json::from_str(DEMO_JSON).unwrap();
    let k = doc["keys"].as_array().unwrap().iter().find(|k| k["number"] == number).unwrap();
    let value: [u8; 16] = hex::decode(k["value"].as_str().unwrap()).unwrap().try_into().unwrap();
    let algorithm = match k["algorithm"].as_str().unwrap() {
        "AES-128" => ReaderAlgorithm::Aes128,
        _ => ReaderAlgorithm::Tdes2Key,
    };
    ReaderKey::new(number, algorithm, value)
}

/// The content of file `fid` in the fixture, padded to its size.
pub fn fixture_file(fid: &str) -> Vec<u8> {
    let doc: serde_json::Value = serde_json::from_str(DEMO_JSON).unwrap();
    let f = doc["files"].as_array().unwrap().iter().find(|f| f["id"] == fid).unwrap();
    let mut bytes = hex::decode(f["content"].as_str().unwrap()).unwrap();
    bytes.resize(f["size"].as_u64().unwrap() as usize, 0);
    bytes
}

/// Whether any 6-byte run of `needle` occurs in an answer the reader received (6: the
/// demo AID "\xF0HCEDOOR" and the credential "DOOR-KEY-…" share 4 bytes by design).
pub fn leaked(transcript: &[Vec<u8>], needle: &[u8]) -> bool {
    transcript.iter().any(|r| r.windows(6).any(|w| needle.windows(6).any(|n| n == w)))
}

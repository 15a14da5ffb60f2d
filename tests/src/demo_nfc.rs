//! The demo issuer NFC pass (a campus door key, `tests/data/nfc-door-key.json`) and the
//! NFC pass applet over in-memory passes, as `hcectl` serves them beside Smart Tap and
//! payment. The fixture's keys are demo keys, published on purpose.

use std::path::Path;
use std::sync::Arc;

use hce_wallet_core::nfc_pass::applet::{NfcPassApplet, NfcPassPorts};
use hce_wallet_core::nfc_pass::fixture::{self, FixtureError};
use hce_wallet_core::nfc_pass::memory::InMemoryNfcPasses;
use hce_wallet_core::nfc_pass::model::NfcPass;
use hce_wallet_core::ports::{EventSink, OsRandom, RandomSource};

/// The demo door key as JSON.
pub const DEMO_JSON: &str = include_str!("../data/nfc-door-key.json");
/// Its AID (`F0` + "HCEDOOR").
pub const DEMO_AID: [u8; 8] = *b"\xF0HCEDOOR";
/// The door credential file (read after authentication with key 1).
pub const DEMO_CREDENTIAL_FILE: u16 = 0x0101;
/// The visit counter a lock updates (write after key 1).
pub const DEMO_COUNTER_FILE: u16 = 0x0102;

/// The demo pass.
pub fn demo_pass() -> Result<NfcPass, FixtureError> {
    fixture::parse(DEMO_JSON.as_bytes())
}

/// Passes from fixture files (`hcectl vpcd --nfc PATH`).
pub fn load(paths: &[impl AsRef<Path>]) -> Result<Vec<NfcPass>, String> {
    paths
        .iter()
        .map(|p| {
            let p = p.as_ref();
            let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            fixture::parse(&bytes).map_err(|e| format!("{}: {e}", p.display()))
        })
        .collect()
}

/// The applet over `passes` (both ports), with the OS generator for challenges.
pub fn applet(passes: Arc<InMemoryNfcPasses>, events: Arc<dyn EventSink>) -> NfcPassApplet {
    applet_with_random(passes, events, Box::new(OsRandom))
}

/// The applet with a chosen random source (tests).
pub fn applet_with_random(
    passes: Arc<InMemoryNfcPasses>,
    events: Arc<dyn EventSink>,
    random: Box<dyn RandomSource>,
) -> NfcPassApplet {
    NfcPassApplet::new(NfcPassPorts { source: passes.clone(), journal: passes, events, random })
}

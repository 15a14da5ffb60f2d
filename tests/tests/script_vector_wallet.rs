//! The shared e2e Smart Tap script through the script runner against the vector wallet
//! (`tests/src/vector_wallet.rs`): byte for byte, tap after tap.

use hce_wallet_harness::card::{Card, RouterCard};
use hce_wallet_harness::cli::shared_dir;
use hce_wallet_harness::script::{NoNotes, Script};
use hce_wallet_harness::vector_wallet;

#[test]
fn e2e_vector_script_matches_on_every_tap() {
    let shared = shared_dir();
    let text =
        std::fs::read_to_string(shared.join("vectors/smart-tap/e2e-loyalty-2018.apdu")).unwrap();
    let script = Script::parse(&text).unwrap();
    let mut card = RouterCard::new(vector_wallet::router(&shared).unwrap());
    for tap in 0..3 {
        let transcript = script.run(&mut card, false);
        assert!(transcript.passed(), "tap {tap}:\n{}", transcript.render(&NoNotes));
        assert_eq!(transcript.exchanges.len(), 4);
        card.deactivate();
    }
    // An aborted tap (SELECTs only) does not shift the replayed randomness.
    for step in &script.steps[..2] {
        card.transmit(&step.command).unwrap();
    }
    card.deactivate();
    assert!(script.run(&mut card, false).passed());
}

#[test]
fn missing_vector_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let e = vector_wallet::router(dir.path()).unwrap_err();
    assert!(e.to_string().contains("e2e-loyalty-2018.json"), "{e}");
}

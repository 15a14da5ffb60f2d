//! `hcectl tap --demo` end to end: the embedded demo wallet read by the reference terminal,
//! in process and through the real binary. Each collector's outcome is the spec §12.2
//! decision for the demo data (see `tests/src/demo_wallet.rs`).

use hce_wallet_core::events::{AuthFailure, WalletEvent};
use hce_wallet_core::ports::Clock;
use hce_wallet_core::ports::CollectorId;
use hce_wallet_harness::cli::tap::{self, DemoWallet, TapArgs};
use hce_wallet_harness::demo::DEMO_COLLECTORS;
use hce_wallet_harness::demo_wallet::{EmbeddedDemoWallet, SystemClock};
use hce_wallet_harness::terminal::{TapResult, Terminal};

fn tap(
    wallet: &mut EmbeddedDemoWallet,
    collector: u32,
) -> (Result<TapResult, String>, Vec<WalletEvent>) {
    let args = TapArgs {
        collector: Some(collector),
        key_version: 1,
        service_types: vec![0x00],
        ..Default::default()
    };
    let terminal = Terminal::new(tap::config(&args).unwrap());
    let outcome = terminal.tap(wallet.begin_tap());
    (outcome.result.map_err(|e| e.to_string()), wallet.take_events())
}

fn values(r: &Result<TapResult, String>) -> Vec<String> {
    match r {
        Ok(TapResult::Read { objects, .. }) => objects
            .iter()
            .filter_map(|o| o.redemption_value.as_ref().map(|v| v.to_string()))
            .collect(),
        _ => vec![],
    }
}

fn ended_sw(r: &Result<TapResult, String>) -> Option<u16> {
    match r {
        Ok(TapResult::Ended { sw, .. }) => Some(sw.0),
        _ => None,
    }
}

#[test]
fn single_match_is_sent_at_once() {
    let mut w = EmbeddedDemoWallet::in_memory().unwrap();
    let (r, events) = tap(&mut w, 20180608);
    assert_eq!(values(&r), vec!["2018".to_string()]);
    assert!(events.iter().any(|e| matches!(e, WalletEvent::PassSent { object_id, .. }
        if object_id == "3265320111641956183.0619_googleDemoTest-obj01")));
}

#[test]
fn two_matches_need_the_chooser_then_the_retap_gets_the_choice() {
    let mut w = EmbeddedDemoWallet::in_memory().unwrap();
    let (r, events) = tap(&mut w, 12345678);
    assert_eq!(ended_sw(&r), Some(0x9302), "{r:?}");
    let candidates = events
        .iter()
        .find_map(|e| match e {
            WalletEvent::ChooserRequired { collector, candidates } => {
                assert_eq!(*collector, CollectorId(12345678));
                Some(candidates.clone())
            }
            _ => None,
        })
        .expect("a ChooserRequired event");
    let mut sorted = candidates.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["1990.foo-member-7731".to_string(), "8088.deal-42".to_string()]);
    // The user picks the offer this time (not simply the first candidate).
    w.engine().choose("8088.deal-42", SystemClock.now()).unwrap();
    let (r, _) = tap(&mut w, 12345678);
    assert_eq!(values(&r), vec!["DEAL-42".to_string()]);
}

#[test]
fn aggregator_offer_reaches_a_listed_redemption_issuer_and_nothing_reaches_the_aggregator() {
    let mut w = EmbeddedDemoWallet::in_memory().unwrap();
    let (r, _) = tap(&mut w, 18802001);
    assert_eq!(values(&r), vec!["DEAL-42".to_string()]);
    let (r, events) = tap(&mut w, 8088);
    assert_eq!(ended_sw(&r), Some(0x9500), "{r:?}");
    assert!(events.iter().any(|e| matches!(
        e,
        WalletEvent::AuthenticationFailed { reason: AuthFailure::NoRedeemablePass, .. }
    )));
}

#[test]
fn hcectl_tap_demo_prints_the_whole_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("demo.redb");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_hcectl"))
            .args(["tap", "--demo"])
            .env("HCE_DEMO_STORE", &store)
            .output()
            .unwrap()
    };
    // First use creates the store (and its key); the second run reads it back.
    let first = run();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(store.exists() && dir.path().join("demo.redb.key").exists());
    let out = run();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    for c in &DEMO_COLLECTORS {
        assert!(text.contains(&format!("collector {}", c.collector)), "{text}");
    }
    for needle in [
        "smartTapRedemptionValue = 2018",
        "SW 9302",
        "the user picks",
        "smartTapRedemptionValue = FOO-7731",
        "smartTapRedemptionValue = DEAL-42",
        "SW 9500",
        "NEGOTIATE SECURE SMART TAP SESSION",
        "=== payment terminal",
        "token …0008 (AID A000000333010102)",
        "cryptogram verified",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    // The payment tap's ATC is durable in the demo store: the second run pays with 0002.
    let first_text = String::from_utf8_lossy(&first.stdout);
    assert!(first_text.contains("ATC 0001,"), "{first_text}");
    assert!(text.contains("ATC 0002,"), "{text}");
}

#[test]
fn the_demo_store_is_filled_once_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    let key = hce_wallet_store::RootKey::from_hex(&"42".repeat(32)).unwrap();
    let mut w = EmbeddedDemoWallet::on_store(&path, &key).unwrap();
    let (r, _) = tap(&mut w, 20180608);
    assert_eq!(values(&r), vec!["2018".to_string()]);
    drop(w);
    // Remove a pass behind the wallet's back: a re-open must not re-import it.
    let s = hce_wallet_store::Store::open(&path, &key).unwrap();
    s.remove_pass("8088.deal-42").unwrap();
    drop(s);
    let mut w = EmbeddedDemoWallet::on_store(&path, &key).unwrap();
    let (r, _) = tap(&mut w, 18802001);
    // Nothing left that yumPie could redeem: the wallet does not even authenticate.
    assert_eq!(ended_sw(&r), Some(0x9500), "the offer is gone from the store: {r:?}");
    let (r, _) = tap(&mut w, 12345678);
    assert_eq!(values(&r), vec!["FOO-7731".to_string()], "one fooPizza pass left: no chooser");
}

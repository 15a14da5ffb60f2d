//! The facade end to end in Rust: open, sync keys from a served bundle, import, list,
//! get, remove, UI context, chooser, events, errors; SELECT answers through the router.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use hce_wallet::{
    Deactivation, Host, Notice, SyncOutcome, UiContext, Wallet, WalletConfig, WalletError,
    WalletEvent,
};
use support::*;

const URL: &str = "https://keys.example.invalid/bundle";

fn open(dir: &tempfile::TempDir, rec: Arc<Recorder>, transport: Arc<OneFile>) -> Wallet {
    let config = WalletConfig {
        pinned_bundle_roots: vec![bundle_root_pem()],
        sync_url: Some(URL.into()),
        ..WalletConfig::default()
    };
    let host = Host { listener: Some(rec), transport: Some(transport), ..Host::default() };
    Wallet::open(&dir.path().join("w.redb"), &[7u8; 32], config, host).unwrap()
}

/// Fail-closed (issue 12): a wallet is Locked until the app reports a context.
#[test]
fn a_new_wallet_assumes_the_device_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let w = open(&dir, Arc::new(Recorder::default()), OneFile::new(URL, demo_bundle()));
    assert_eq!(w.ui_context(), UiContext::Locked);
    w.set_ui_context(UiContext::Home);
    drop(w);
    let w = open(&dir, Arc::new(Recorder::default()), OneFile::new(URL, demo_bundle()));
    assert_eq!(w.ui_context(), UiContext::Locked, "not persisted: each open starts locked");
}

/// Issue 12: bare REST bodies (no `kind`) import with the resource type as a parameter.
#[test]
fn bare_rest_resources_import_with_their_type() {
    let dir = tempfile::tempdir().unwrap();
    let w = open(&dir, Arc::new(Recorder::default()), OneFile::new(URL, demo_bundle()));
    let good = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/fixtures/passes/good/");
    let class = std::fs::read_to_string(format!("{good}loyalty-class-rest-bare.json")).unwrap();
    let object = std::fs::read_to_string(format!("{good}loyalty-object-rest-bare.json")).unwrap();
    assert!(matches!(w.import_pass_json(&class), Err(WalletError::Import(_))));
    let err = w.import_pass_resource(&class, "loyaltyThing").unwrap_err();
    assert!(err.to_string().contains("loyaltyThing"), "{err}");
    assert_eq!(w.import_pass_resource(&class, "loyaltyClass").unwrap(), Vec::<String>::new());
    let ids = w.import_pass_resource(&object, "walletobjects#loyaltyObject").unwrap();
    assert_eq!(ids, vec!["3265320111641956183.bare-rest-object".to_string()]);
    let pass = w.get_pass(&ids[0]).unwrap();
    assert!(pass.has_redemption_value && pass.smart_tap_enabled);
}

#[test]
fn whole_api() {
    let dir = tempfile::tempdir().unwrap();
    let rec = Arc::new(Recorder::default());
    let http = OneFile::new(URL, demo_bundle());
    let w = open(&dir, rec.clone(), http.clone());

    // Passes.
    let ids = w.import_pass_json(&loyalty_json(&[("a", "RV-A"), ("b", "RV-B")])).unwrap();
    assert_eq!(ids, vec![format!("{DEMO_ISSUER}.a"), format!("{DEMO_ISSUER}.b")]);
    let list = w.list_passes();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|p| p.smart_tap_enabled && p.has_redemption_value));
    assert_eq!(list[0].redemption_issuers, vec![DEMO_ISSUER]);
    assert_eq!(w.get_pass(&ids[0]).unwrap().barcode_value.as_deref(), Some("bc-a"));
    assert!(!format!("{list:?}").contains("RV-A"), "redemption values never listed");

    // Keys: the import asked for keys of an issuer the ring lacks; sync brings them.
    let status = w.sync_status();
    assert_eq!(status.issuers_without_keys, vec![DEMO_ISSUER]);
    let outcome = w.sync_now().unwrap();
    assert_eq!(outcome, SyncOutcome::Updated { sequence: 1, keys: 1 });
    assert_eq!(http.requests.lock().unwrap().len(), 1);
    let status = w.sync_status();
    assert_eq!(status.bundle_sequence, Some(1));
    assert!(status.issuers_without_keys.is_empty());
    assert!(rec.0.lock().unwrap().contains(&Notice::Sync(outcome)));

    // UI context and chooser.
    w.set_ui_context(UiContext::PassOpen(ids[1].clone()));
    assert_eq!(w.ui_context(), UiContext::PassOpen(ids[1].clone()));
    w.choose_pass(&ids[0]).unwrap();
    assert!(matches!(w.choose_pass("nope"), Err(WalletError::NoSuchPass(_))));

    // The router answers SELECT OSE with the FCI, and a deactivation is an event.
    let fci = w.process_apdu(&hex::decode("00a404000a4f53452e5641532e303100").unwrap());
    assert_eq!(&fci[fci.len() - 2..], &[0x90, 0x00]);
    assert_eq!(fci[0], 0x6F);
    w.on_deactivated(Deactivation::LinkLoss);
    assert!(rec.0.lock().unwrap().contains(&Notice::Tap(WalletEvent::Deactivated)));

    // Remove.
    assert!(w.remove_pass(&ids[0]).unwrap());
    assert!(!w.remove_pass(&ids[0]).unwrap());
    assert!(matches!(w.get_pass(&ids[0]), Err(WalletError::NoSuchPass(_))));
    assert_eq!(w.list_passes().len(), 1);
}

#[test]
fn errors_are_precise() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.redb");
    let err = Wallet::open(&p, &[1u8; 5], WalletConfig::default(), Host::default()).unwrap_err();
    assert_eq!(err.to_string(), "root key must be 32 bytes, got 5");

    let bad_root = WalletConfig { pinned_bundle_roots: vec!["nope".into()], ..Default::default() };
    let err = Wallet::open(&p, &[1u8; 32], bad_root, Host::default()).unwrap_err();
    assert!(err.to_string().contains("pinned_bundle_roots[0]"), "{err}");

    let no_roots = WalletConfig { sync_url: Some(URL.into()), ..Default::default() };
    let err = Wallet::open(&p, &[1u8; 32], no_roots, Host::default()).unwrap_err();
    assert!(matches!(err, WalletError::Config(_)), "{err}");

    let w = Wallet::open(&p, &[1u8; 32], WalletConfig::default(), Host::default()).unwrap();
    let err = w.import_pass_json(r#"{"loyaltyObjects":[{"id":"1.x"}]}"#).unwrap_err();
    assert!(err.to_string().contains("loyaltyObjects[0].classId"), "{err}");
    assert!(w.list_passes().is_empty(), "nothing half-imported");
    assert!(matches!(w.sync_now(), Err(WalletError::Sync(_))));
    // The APDU path never fails.
    assert_eq!(w.process_apdu(&[]), vec![0x67, 0x00]);
}

#[test]
fn sync_failures_are_outcomes_and_events() {
    let dir = tempfile::tempdir().unwrap();
    let rec = Arc::new(Recorder::default());
    let http = OneFile::new(URL, b"not a bundle".to_vec());
    let w = open(&dir, rec.clone(), http);
    match w.sync_now().unwrap() {
        SyncOutcome::Failed { reason, retry_at } => {
            assert!(reason.contains("bundle"), "{reason}");
            assert!(retry_at.is_some());
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(w.sync_status().last_error.is_some());
    assert!(matches!(rec.0.lock().unwrap().last(), Some(Notice::Sync(SyncOutcome::Failed { .. }))));
}

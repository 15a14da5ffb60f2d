//! `hcectl vpcd --store PATH` / `hcectl run --store PATH`: the in-process card serves a real
//! encrypted store file. A store holding the demo passes and the test collector's key is
//! read by the reference terminal; a collector without a key in the store is refused.

use hce_wallet_core::pass::import_json;
use hce_wallet_harness::card::RouterCard;
use hce_wallet_harness::cli::tap::{self, TapArgs};
use hce_wallet_harness::cli::{default_card, CardOptions};
use hce_wallet_harness::demo::{public_key, GOOGLE_TEST_COLLECTOR};
use hce_wallet_harness::demo_wallet::DEMO_PASSES_JSON;
use hce_wallet_harness::terminal::{TapResult, Terminal};
use hce_wallet_store::{CollectorKeyRecord, IssuerKeys, RootKey, Store};

fn tap(card: &mut RouterCard, collector: u32) -> Result<TapResult, String> {
    let args = TapArgs { collector: Some(collector), key_version: 1, ..Default::default() };
    let terminal = Terminal::new(tap::config(&args).unwrap());
    card.deactivate();
    terminal.tap(card).result.map_err(|e| e.to_string())
}

#[test]
fn a_store_file_is_served_as_the_card() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.redb");
    let hex_key = "5a".repeat(32);
    {
        let store = Store::open(&path, &RootKey::from_hex(&hex_key).unwrap()).unwrap();
        store.import_batch(&import_json(DEMO_PASSES_JSON).unwrap()).unwrap();
        let google_issuer = 3265320111641956183;
        let sec1 = public_key(GOOGLE_TEST_COLLECTOR).unwrap().to_sec1_bytes().to_vec();
        store
            .apply_key_bundle(&[IssuerKeys {
                issuer_id: google_issuer,
                name: "Google demo".into(),
                collectors: vec![GOOGLE_TEST_COLLECTOR.0],
                keys: vec![CollectorKeyRecord {
                    collector: GOOGLE_TEST_COLLECTOR.0,
                    key_version: 1,
                    issuer_id: google_issuer,
                    public_key_sec1: sec1,
                    valid_from: None,
                    valid_until: None,
                }],
            }])
            .unwrap();
    }
    // The only test in this binary, so setting the variable races nothing.
    std::env::set_var(hce_wallet_store::KEY_ENV_VAR, &hex_key);
    let router =
        default_card(&CardOptions { store: Some(path.clone()), ..Default::default() }).unwrap();
    let mut card = RouterCard::new(router);
    match tap(&mut card, GOOGLE_TEST_COLLECTOR.0) {
        Ok(TapResult::Read { objects, .. }) => {
            let values: Vec<String> = objects
                .iter()
                .filter_map(|o| o.redemption_value.as_ref().map(|v| v.to_string()))
                .collect();
            assert_eq!(values, vec!["2018".to_string()]);
        }
        other => panic!("expected the pass, got {other:?}"),
    }
    // fooPizza's collector has no key in this store: no authentication, nothing sent.
    match tap(&mut card, 12345678) {
        Ok(TapResult::Ended { sw, .. }) => assert_eq!(sw.0, 0x9500),
        other => panic!("expected 9500, got {other:?}"),
    }
    drop(card);
    // A wrong root key is refused with a clear error, not served.
    std::env::set_var(hce_wallet_store::KEY_ENV_VAR, "a5".repeat(32));
    let err = default_card(&CardOptions { store: Some(path), ..Default::default() }).unwrap_err();
    assert!(err.to_string().to_lowercase().contains("key"), "{err}");
}

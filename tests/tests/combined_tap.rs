//! Smart Tap and payment in one field session (payment issue; smart-tap spec §6.1, §9):
//! the reference Smart Tap terminal reads the demo pass, then — without the phone leaving
//! the field — the independent reference EMV terminal selects the PPSE and pays, and its
//! cryptogram verifies. The OSE answer says payment is enabled (C1 bit 0x80) because the
//! wallet has a default Active token that can pay; the router keeps the applets apart.

use hce_wallet_core::events::{PaymentEvent, WalletEvent};
use hce_wallet_harness::cli::pay_tap::todays_params;
use hce_wallet_harness::cli::tap::{self, DemoWallet, TapArgs};
use hce_wallet_harness::demo_pay::{demo_luk, key_index_of_iad};
use hce_wallet_harness::demo_wallet::EmbeddedDemoWallet;
use hce_wallet_harness::emv_terminal::{self, verify};
use hce_wallet_harness::terminal::{TapResult, Terminal};

const OSE_SELECT: &str = "00a404000a4f53452e5641532e303100";

#[test]
fn a_pass_read_then_a_payment_in_the_same_field_session() {
    let mut wallet = EmbeddedDemoWallet::in_memory().unwrap();
    let args = TapArgs { collector: Some(20180608), key_version: 1, ..Default::default() };
    let smart_tap = Terminal::new(tap::config(&args).unwrap());
    let card = wallet.begin_tap();

    // The OSE FCI advertises payment: C1's first byte has bit 0x80.
    let fci = card.transmit(&hex::decode(OSE_SELECT).unwrap()).unwrap();
    let c1 = fci.windows(2).position(|w| w == [0xC1, 0x08]).expect("C1 in the OSE FCI");
    assert_eq!(fci[c1 + 2] & 0x80, 0x80, "payment enabled: {}", hex::encode(&fci));

    let outcome = smart_tap.tap(card);
    let Ok(TapResult::Read { objects, .. }) = &outcome.result else {
        panic!("{}", outcome.transcript)
    };
    assert!(!objects.is_empty(), "{}", outcome.transcript);

    // Same field session: no deactivation between the two terminals.
    let result = emv_terminal::Terminal::new(card, todays_params()).run().unwrap();
    assert!(result.pan.ends_with("0008"));
    let luk = demo_luk(key_index_of_iad(result.iad.as_deref().unwrap()).unwrap()).unwrap();
    verify(&result, &luk).unwrap();
    let mut wrong = luk;
    wrong[3] ^= 0x10;
    assert!(verify(&result, &wrong).is_err(), "the check can fail");

    let events = wallet.take_events();
    assert!(events.iter().any(|e| matches!(e, WalletEvent::PassSent { .. })), "{events:?}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, WalletEvent::Payment(PaymentEvent::Cryptogram { atc: 1, .. }))),
        "{events:?}"
    );
}

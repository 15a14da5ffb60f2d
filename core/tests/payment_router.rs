//! Smart Tap and payment in one field session (smart-tap spec §6.1 `C1` payment bits,
//! §8 `9101`/`9102`, §9 terminal modes; payment spec §6): both applets behind one router,
//! their states kept apart.

mod payment_support;
mod smart_tap_support;

use std::sync::Arc;

use hce_wallet_core::ber_tlv::{Tag, Tlv};
use hce_wallet_core::events::WalletEvent;
use hce_wallet_core::payment::applet::PaymentConfig;
use hce_wallet_core::payment::ports::TokenSource;
use hce_wallet_core::payment::token::{CvmPolicy, KeyBudget, TokenState};
use hce_wallet_core::ports::{EventLog, Selection};
use hce_wallet_core::smart_tap::SmartTapConfig;
use payment_support as pay;
use smart_tap_support as st;

const OSE: &str = "00a404000a4f53452e5641532e303100";

/// A Smart Tap rig (vector randomness, the demo pass) whose router also holds the payment
/// applet over `tokens`; `payment_port` says whether Smart Tap sees the token source.
fn combined(
    payment_port: bool,
    passes: st::TestPasses,
) -> (st::Rig, Arc<pay::TestTokens>, Arc<pay::TestJournal>) {
    let tokens = pay::TestTokens::default();
    tokens.add(
        pay::token("tok-1", pay::MPAN, CvmPolicy::WhenReaderRequires),
        TokenState::Active,
        true,
        pay::luk(&pay::h(pay::LUK_HEX), [0, 1, 0, 0]),
    );
    tokens.verify_until(Some(pay::now().plus_millis(60_000)));
    let tokens = Arc::new(tokens);
    let journal = Arc::new(pay::TestJournal::default());
    let v = st::e2e();
    let random = st::ScriptedRandom::default();
    random.push(st::hx(&v, "/handset/nonce_hex"));
    random.push(st::hx(&v, "/handset/ephemeral_private_key_hex"));
    let port: Option<Arc<dyn TokenSource>> =
        payment_port.then(|| tokens.clone() as Arc<dyn TokenSource>);
    let mut rig = st::Rig::build_with_payment(
        SmartTapConfig::default(),
        random,
        passes,
        st::vector_key_ring(),
        port,
    );
    let events = Arc::new(EventLog::default());
    rig.router.register(Box::new(pay::Rig::applet(
        PaymentConfig::default(),
        &tokens,
        &journal,
        &events,
    )));
    (rig, tokens, journal)
}

fn demo_passes() -> st::TestPasses {
    st::TestPasses { passes: vec![(st::COLLECTOR, st::demo_pass())], ..Default::default() }
}

fn c1_mode(rig: &mut st::Rig) -> u8 {
    let (fci, sw) = rig.send(&pay::h(OSE));
    assert_eq!(sw, 0x9000);
    let t = Tlv::parse(&fci).unwrap();
    t.find(Tag::new(0xC1).unwrap()).unwrap().bytes().unwrap()[0]
}

fn negotiate(rig: &mut st::Rig) {
    let v = st::e2e();
    assert_eq!(rig.send(&st::hx(&v, "/steps/2/command_hex")).1, 0x9000);
}

/// GET DATA variant A (no `pcr`) or B (`pcr 41 00 00 00 04`: zlib, pass and payment).
fn get_data(rig: &mut st::Rig, variant: usize) -> u16 {
    let v = st::e2e();
    let cmd = st::hx(&v, &format!("/get_data/variants/{variant}/command_hex"));
    rig.send(&cmd).1
}

#[test]
fn ose_says_payment_enabled_when_a_default_token_can_pay() {
    let (mut rig, tokens, _) = combined(true, demo_passes());
    assert_eq!(c1_mode(&mut rig), 0x8C, "payment enabled + pass enabled/requested");
    tokens.set_budget("tok-1", KeyBudget::Exhausted);
    assert_eq!(c1_mode(&mut rig), 0x0C, "exhausted keys: payment not enabled");
    tokens.set_budget("tok-1", KeyBudget::Available { transactions_left: 1, low: true });
    assert_eq!(c1_mode(&mut rig), 0x8C);
    tokens.set_state("tok-1", TokenState::Suspended);
    assert_eq!(c1_mode(&mut rig), 0x0C, "no Active default");
    let (mut pass_only, _, _) = combined(false, demo_passes());
    assert_eq!(c1_mode(&mut pass_only), 0x0C, "no payment port: as configured");
}

#[test]
fn payment_not_ready_answers_9101_and_9102_to_payment_mode_terminals() {
    let (mut rig, tokens, _) = combined(true, demo_passes());
    c1_mode(&mut rig);
    negotiate(&mut rig);
    assert_eq!(get_data(&mut rig, 1), 0x9000, "payment ready");
    assert_eq!(get_data(&mut rig, 0), 0x9000, "no pcr");
    tokens.set_budget("tok-1", KeyBudget::Expired);
    assert_eq!(get_data(&mut rig, 1), 0x9101, "pass sent, payment not ready");
    assert_eq!(get_data(&mut rig, 0), 0x9000, "terminal without pcr: unchanged");
    *rig.passes.forced.lock().unwrap() = Some(Selection::NothingEligible);
    assert_eq!(get_data(&mut rig, 1), 0x9102, "no pass, payment not ready");
    assert_eq!(get_data(&mut rig, 0), 0x9001);
    let (mut pass_only, _, _) = combined(false, demo_passes());
    c1_mode(&mut pass_only);
    negotiate(&mut pass_only);
    assert_eq!(get_data(&mut pass_only, 1), 0x9000, "no payment port: 9000 as before");
}

#[test]
fn ppse_after_a_smart_tap_exchange_pays_in_the_same_field_session() {
    let (mut rig, _, journal) = combined(true, demo_passes());
    assert_eq!(c1_mode(&mut rig), 0x8C);
    negotiate(&mut rig);
    assert_eq!(get_data(&mut rig, 1), 0x9000);
    assert!(rig.events().iter().any(|e| matches!(e, WalletEvent::PassSent { .. })));
    // The terminal switches to payment without a new field.
    assert_eq!(rig.send(&pay::h(pay::SELECT_PPSE)).1, 0x9000);
    assert_eq!(rig.send(&pay::h(pay::SELECT_AID)).1, 0x9000);
    let (gpo, sw) = rig.send(&pay::h(pay::GPO_V1));
    assert_eq!(sw, 0x9000);
    assert_eq!(
        gpo,
        pay::h("7743 82020000 940408010100 57116231000000000008D30122010000000000 5F340100 9F1006010001000080 9F26088A2F83D66C35B30F 9F270180 9F36020001 9F6C020080")
    );
    assert_eq!(rig.send(&pay::h(pay::READ_RECORD_1)).1, 0x9000);
    assert_eq!(journal.last("tok-1"), 1);
    // Smart Tap commands do not reach the payment applet, nor EMV ones Smart Tap.
    assert_eq!(rig.send(&pay::h("9050000000")).1, 0x6E00);
    // Back to Smart Tap: its session was wiped by the deselect, the payment tap too.
    assert_eq!(rig.send(&pay::h(OSE)).1, 0x9000);
    assert_eq!(get_data(&mut rig, 1), 0x9001, "no NEGOTIATE in this selection");
    assert_eq!(rig.send(&pay::h(pay::GPO_V1)).1, 0x6E00, "GPO is not Smart Tap");
    assert_eq!(rig.send(&pay::h(pay::SELECT_AID)).1, 0x9000);
    assert_eq!(rig.send(&pay::h(pay::GPO_V1)).1, 0x9000, "a new transaction");
    assert_eq!(journal.last("tok-1"), 2);
}

#[test]
fn payment_first_then_smart_tap() {
    let (mut rig, _, journal) = combined(true, demo_passes());
    rig.send(&pay::h(pay::SELECT_PPSE));
    rig.send(&pay::h(pay::SELECT_AID));
    assert_eq!(rig.send(&pay::h(pay::GPO_V1)).1, 0x9000);
    assert_eq!(c1_mode(&mut rig), 0x8C);
    negotiate(&mut rig);
    assert_eq!(get_data(&mut rig, 0), 0x9000);
    assert_eq!(journal.last("tok-1"), 1);
}

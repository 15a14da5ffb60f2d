//! The payment applet's refusals and decisions (payment spec §6–§13): every path that
//! must not produce a cryptogram, the ATC rules, CDCVM binding, GENERATE AC, the status
//! words of §7, response sizes, and the log.

mod payment_support;

use std::sync::atomic::Ordering;

use hce_wallet_core::ber_tlv::{Tag, Tlv};
use hce_wallet_core::events::{CryptogramKind, DeclineReason, PaymentEvent, ReplenishReason};
use hce_wallet_core::payment::applet::PaymentConfig;
use hce_wallet_core::payment::cryptogram::{retail_mac, GenericProfile};
use hce_wallet_core::payment::dol::Dol;
use hce_wallet_core::payment::profile::ProfileSettings;
use hce_wallet_core::payment::token::{Atc, CvmPolicy, KeyBudget, TokenState};
use hce_wallet_core::router::Deactivation;
use payment_support::*;

fn find(data: &[u8], tag: u32) -> Vec<u8> {
    let t = Tlv::parse(data).unwrap();
    t.find_recursive(Tag::new(tag).unwrap()).unwrap().bytes().unwrap().to_vec()
}

fn selected(policy: CvmPolicy) -> Rig {
    let mut rig = Rig::standard(PaymentConfig::default(), policy);
    assert_eq!(rig.sw(SELECT_PPSE), 0x9000);
    assert_eq!(rig.sw(SELECT_AID), 0x9000);
    rig.payment_events();
    rig
}

fn gac_config() -> PaymentConfig {
    PaymentConfig {
        profile: ProfileSettings { offer_generate_ac: true, ..Default::default() },
        ..Default::default()
    }
}

/// CDOL1 data (the §9.4 objects in §9.4 order): vector 1's terminal values.
const CDOL1_DATA: &str = "000000001000 000000000000 0156 0000000000 0156 261122 00 12345678";

fn gac(p1: u8, data: &str) -> Vec<u8> {
    let d = h(data);
    let mut apdu = vec![0x80, 0xAE, p1, 0x00, d.len() as u8];
    apdu.extend_from_slice(&d);
    apdu.push(0);
    apdu
}

#[test]
fn gpo_length_and_template_checks() {
    let mut rig = selected(CvmPolicy::WhenReaderRequires);
    // 83 length ≠ PDOL total (32 instead of 33).
    let mut short = h(GPO_V1);
    short.remove(10);
    short[4] = 0x22;
    short[6] = 0x20;
    assert_eq!(rig.send(&short).1, 0x6700);
    // 83 L disagrees with the data that follows.
    let mut lying = h(GPO_V1);
    lying[6] = 0x20;
    assert_eq!(rig.send(&lying).1, 0x6700);
    // emvtool's 83 00 is refused in strict mode.
    assert_eq!(rig.sw("80A8000002830000"), 0x6700);
    // Data not starting with 83.
    let mut not83 = h(GPO_V1);
    not83[5] = 0x84;
    assert_eq!(rig.send(&not83).1, 0x6A80);
    assert_eq!(rig.sw("80A8000000"), 0x6A80);
    // P1/P2.
    let mut p1 = h(GPO_V1);
    p1[2] = 0x01;
    assert_eq!(rig.send(&p1).1, 0x6A86);
    // None of it spent an ATC; the terminal may still send a good GPO.
    assert_eq!(rig.journal.last("tok-1"), 0);
    assert_eq!(rig.sw(GPO_V1), 0x9000);
    assert_eq!(rig.journal.last("tok-1"), 1);
}

#[test]
fn lenient_empty_pdol_behind_its_switch() {
    let config = PaymentConfig { lenient_empty_pdol: true, ..Default::default() };
    let mut rig = Rig::standard(config, CvmPolicy::WhenReaderRequires);
    rig.sw(SELECT_AID);
    let (data, sw) = rig.send(&h("80A8000002830000"));
    assert_eq!(sw, 0x9000);
    // All values zero: the AC is over zeros ‖ AIP ‖ ATC ‖ CVR.
    let sk = GenericProfile::session_key(&h(LUK_HEX).try_into().unwrap(), Atc(1));
    let mut input = vec![0u8; 29];
    input.extend_from_slice(&[0, 0, 0, 1, 0x80]);
    assert_eq!(find(&data, 0x9F26), retail_mac(&sk, &input).to_vec());
    assert!(!PaymentConfig::default().lenient_empty_pdol);
}

#[test]
fn gpo_before_select_and_second_gpo() {
    let mut rig = Rig::standard(PaymentConfig::default(), CvmPolicy::WhenReaderRequires);
    assert_eq!(rig.sw(GPO_V1), 0x6985, "nothing selected");
    rig.sw(SELECT_PPSE);
    assert_eq!(rig.sw(GPO_V1), 0x6985, "PPSE is not an ADF");
    rig.sw(SELECT_AID);
    assert_eq!(rig.sw(GPO_V1), 0x9000);
    assert_eq!(rig.sw(GPO_V1), 0x6985, "second GPO in one transaction");
    assert_eq!(rig.journal.last("tok-1"), 1, "one ATC only");
    // A new SELECT starts a new transaction.
    rig.sw(SELECT_AID);
    assert_eq!(rig.sw(GPO_V1), 0x9000);
    assert_eq!(rig.journal.last("tok-1"), 2);
}

#[test]
fn read_record_status_words() {
    let mut rig = selected(CvmPolicy::WhenReaderRequires);
    assert_eq!(rig.sw(READ_RECORD_1), 0x9000, "static record readable before GPO");
    assert_eq!(rig.sw("00B2020C00"), 0x6A83, "record 2");
    assert_eq!(rig.sw("00B2011400"), 0x6A83, "SFI 2");
    assert_eq!(rig.sw("00B2010800"), 0x6A86, "P2 mode bits");
    assert_eq!(rig.sw("00B2000C00"), 0x6A86, "record 0");
    assert_eq!(rig.sw("00B201FC00"), 0x6A86, "SFI 31");
    assert_eq!(rig.sw("80B2010C00"), 0x6E00, "READ RECORD with CLA 80");
    rig.sw(SELECT_PPSE);
    assert_eq!(rig.sw(READ_RECORD_1), 0x6A83, "the PPSE has no records");
}

#[test]
fn class_and_instruction_status_words() {
    let mut rig = selected(CvmPolicy::WhenReaderRequires);
    assert_eq!(rig.sw("802A8E80040000000000"), 0x6D00, "COMPUTE CRYPTOGRAPHIC CHECKSUM");
    assert_eq!(rig.sw("0020008008241234FFFFFFFFFF"), 0x6D00, "VERIFY");
    assert_eq!(rig.sw("00DA9F4F0100"), 0x6D00, "PUT DATA");
    assert_eq!(rig.sw("80EE0000"), 0x6D00, "unknown INS");
    assert_eq!(rig.sw("00A8000002830000"), 0x6E00, "GPO with CLA 00");
    assert_eq!(rig.sw("84A8000002830000"), 0x6E00, "secure-messaging CLA");
    assert_eq!(rig.sw("90500000"), 0x6E00, "Smart Tap CLA at the payment applet");
    assert_eq!(rig.sw("00A4000C023F00"), 0x6A86, "SELECT by file id");
    assert_eq!(rig.sw("00AE800000"), 0x6E00, "GENERATE AC with CLA 00");
    assert_eq!(rig.sw("80AE800000"), 0x6D00, "GENERATE AC not offered");
}

#[test]
fn get_data() {
    let mut rig = selected(CvmPolicy::WhenReaderRequires);
    assert_eq!(rig.send(&h("80CA9F3600")), (h("9F36020000"), 0x9000));
    rig.sw(GPO_V1);
    assert_eq!(rig.send(&h("80CA9F3600")), (h("9F36020001"), 0x9000));
    for tag in ["9F13", "9F17", "9F4D", "9F4F", "9F7F", "DF60"] {
        assert_eq!(rig.sw(&format!("80CA{tag}00")), 0x6A88, "GET DATA {tag}");
    }
}

#[test]
fn token_states_per_12_5() {
    for state in [TokenState::Suspended, TokenState::Pending, TokenState::Deleted] {
        let mut rig = Rig::standard(PaymentConfig::default(), CvmPolicy::WhenReaderRequires);
        // A tap in progress is not affected until the next SELECT (§12.4).
        rig.sw(SELECT_AID);
        rig.tokens.set_state("tok-1", state);
        assert_eq!(rig.sw(SELECT_PPSE), 0x6A82, "{state:?}: not listed");
        assert_eq!(rig.sw(SELECT_AID), 0x6A82, "{state:?}: hidden");
        assert_eq!(rig.sw(GPO_V1), 0x6985, "{state:?}: no GPO");
        assert_eq!(rig.journal.last("tok-1"), 0);
        assert!(rig.payment_events().iter().all(|e| !matches!(e, PaymentEvent::Cryptogram { .. })));
    }
}

#[test]
fn a_suspend_mid_tap_takes_effect_at_the_next_select() {
    let mut rig = selected(CvmPolicy::WhenReaderRequires);
    rig.tokens.set_state("tok-1", TokenState::Suspended);
    assert_eq!(rig.sw(SELECT_AID), 0x6A82);
    assert_eq!(rig.sw(GPO_V1), 0x6985, "the earlier selection is gone");
    assert_eq!(rig.journal.last("tok-1"), 0);
}

#[test]
fn expired_token_and_spent_atc_decline() {
    let tokens = TestTokens::default();
    let mut t = token("tok-1", MPAN, CvmPolicy::WhenReaderRequires);
    t.expiry = hce_wallet_core::payment::token::Expiry::new(2026, 10).unwrap();
    tokens.add(t, TokenState::Active, true, luk(&h(LUK_HEX), [0, 1, 0, 0]));
    tokens.verify_until(Some(now().plus_millis(60_000)));
    let mut rig = Rig::new(PaymentConfig::default(), tokens);
    rig.sw(SELECT_AID);
    assert_eq!(rig.send(&h(GPO_V1)), (vec![], 0x6985));
    assert!(rig
        .payment_events()
        .iter()
        .any(|e| matches!(e, PaymentEvent::Declined { reason: DeclineReason::TokenExpired, .. })));

    let mut rig = selected(CvmPolicy::WhenReaderRequires);
    rig.journal.set_last("tok-1", 0xFFFF);
    assert_eq!(rig.send(&h(GPO_V1)), (vec![], 0x6985));
    assert!(rig
        .payment_events()
        .iter()
        .any(|e| matches!(e, PaymentEvent::Declined { reason: DeclineReason::AtcSpent, .. })));
    rig.journal.set_last("tok-1", 0xFFFE);
    let (data, sw) = rig.send(&h(GPO_V1));
    assert_eq!(sw, 0x9000, "FFFF is the last usable ATC");
    assert_eq!(find(&data, 0x9F36), h("FFFF"));
}

#[test]
fn two_tokens_sharing_one_aid_the_offered_one_answers() {
    let tokens = TestTokens::default();
    let key = luk(&h(LUK_HEX), [0, 0, 0, 1]);
    tokens.add(
        token("tok-a", MPAN, CvmPolicy::WhenReaderRequires),
        TokenState::Active,
        true,
        key.clone(),
    );
    tokens.add(
        token("tok-b", "6231000000000016", CvmPolicy::WhenReaderRequires),
        TokenState::Active,
        false,
        key,
    );
    let mut rig = Rig::new(PaymentConfig::default(), tokens);
    let (ppse, _) = rig.send(&h(SELECT_PPSE));
    assert_eq!(ppse.windows(8).filter(|w| *w == AID).count(), 1, "one entry per AID");
    rig.sw(SELECT_AID);
    rig.sw(GPO_V1);
    let (record, _) = rig.send(&h(READ_RECORD_1));
    assert_eq!(find(&record, 0x5A), h("6231000000000008"), "the default answers");
    // The user picks tok-b for this tap: it is listed first and answers.
    *rig.tokens.picked.lock().unwrap() =
        Some(hce_wallet_core::payment::token::TokenId::new("tok-b").unwrap());
    rig.router.deactivate(Deactivation::LinkLoss);
    rig.sw(SELECT_PPSE);
    rig.sw(SELECT_AID);
    let (gpo, sw) = rig.send(&h(GPO_V1));
    assert_eq!(sw, 0x9000);
    assert_eq!(&find(&gpo, 0x57)[..8], h("6231000000000016").as_slice());
    assert_eq!(rig.journal.last("tok-b"), 1);
    assert_eq!(rig.journal.last("tok-a"), 1);
}

#[test]
fn exhausted_expired_and_missing_keys_decline_and_ask_for_replenishment() {
    let cases = [
        (KeyBudget::Exhausted, DeclineReason::KeysExhausted, ReplenishReason::Exhausted),
        (KeyBudget::Expired, DeclineReason::KeyExpired, ReplenishReason::Expired),
        (KeyBudget::NoKey, DeclineReason::NoKey, ReplenishReason::NoKey),
    ];
    for (budget, decline, replenish) in cases {
        let mut rig = selected(CvmPolicy::WhenReaderRequires);
        rig.tokens.set_budget("tok-1", budget);
        assert_eq!(rig.send(&h(GPO_V1)), (vec![], 0x6985), "{budget:?}");
        assert_eq!(rig.journal.last("tok-1"), 0, "{budget:?}: no ATC spent");
        let events = rig.payment_events();
        assert!(events
            .iter()
            .any(|e| matches!(e, PaymentEvent::Declined { reason, .. } if *reason == decline)));
        assert!(events.iter().any(|e| matches!(e, PaymentEvent::ReplenishmentNeeded { reason, .. } if *reason == replenish)));
        assert!(!events.iter().any(|e| matches!(e, PaymentEvent::Cryptogram { .. })));
    }
}

#[test]
fn low_keys_pay_then_ask_for_replenishment() {
    let mut rig = selected(CvmPolicy::WhenReaderRequires);
    rig.tokens.set_budget("tok-1", KeyBudget::Available { transactions_left: 1, low: true });
    assert_eq!(rig.sw(GPO_V1), 0x9000);
    let events = rig.payment_events();
    let crypto = events.iter().position(|e| matches!(e, PaymentEvent::Cryptogram { .. })).unwrap();
    let low = events
        .iter()
        .position(|e| {
            matches!(e, PaymentEvent::ReplenishmentNeeded { reason: ReplenishReason::Low, .. })
        })
        .unwrap();
    assert!(crypto < low);
}

#[test]
fn every_transaction_policy_sends_the_user_to_the_phone() {
    let mut rig = selected(CvmPolicy::EveryTransaction);
    rig.tokens.verify_until(None);
    assert_eq!(rig.send(&h(GPO_V1)), (vec![], 0x6986));
    assert_eq!(rig.journal.last("tok-1"), 0, "no ATC, no cryptogram");
    let events = rig.payment_events();
    assert!(matches!(events.as_slice(), [PaymentEvent::VerificationRequired { .. }]));
    // An expired window counts as unverified.
    rig.tokens.verify_until(Some(now().plus_millis(-1)));
    assert_eq!(rig.sw(GPO_V1), 0x6986);
    // Even a reader that requires no CVM.
    assert_eq!(rig.send(&gpo_with_ttq("36000000")).1, 0x6986);
    // The user verifies; the terminal retries.
    rig.tokens.verify_until(Some(now().plus_millis(30_000)));
    let (data, sw) = rig.send(&h(GPO_V1));
    assert_eq!(sw, 0x9000);
    assert_eq!(find(&data, 0x9F6C), h("0080"));
    assert_eq!(find(&data, 0x9F10), h("010001000080"));
}

#[test]
fn when_reader_requires_follows_ttq_byte_2_bit_7() {
    let mut rig = selected(CvmPolicy::WhenReaderRequires);
    rig.tokens.verify_until(None);
    assert_eq!(rig.send(&gpo_with_ttq("36404000")).1, 0x6986, "TTQ 2.7: CVM required");
    assert!(matches!(rig.payment_events().as_slice(), [PaymentEvent::VerificationRequired { .. }]));
    let (data, sw) = rig.send(&h(GPO_V1));
    assert_eq!(sw, 0x9000, "TTQ 36004000, no CVM required: pay without CDCVM");
    assert_eq!(find(&data, 0x9F6C), h("0000"));
    assert_eq!(find(&data, 0x9F10), h("010001000000"));
}

#[test]
fn cdcvm_flag_is_bound_into_the_ac() {
    let mut acs = Vec::new();
    for verified in [true, false] {
        let mut rig = selected(CvmPolicy::WhenReaderRequires);
        rig.tokens.verify_until(verified.then(|| now().plus_millis(1000)));
        let (data, sw) = rig.send(&h(GPO_V1));
        assert_eq!(sw, 0x9000);
        assert_eq!(find(&data, 0x9F36), h("0001"), "same ATC");
        assert_eq!(find(&data, 0x9F6C)[1] & 0x80 != 0, verified);
        assert_eq!(*find(&data, 0x9F10).last().unwrap() == 0x80, verified);
        acs.push(find(&data, 0x9F26));
    }
    assert_ne!(acs[0], acs[1], "flipping CDCVM changes the AC");
}

#[test]
fn offline_only_reader_gets_an_aac() {
    let mut rig = selected(CvmPolicy::WhenReaderRequires);
    let (data, sw) = rig.send(&gpo_with_ttq("3E004000"));
    assert_eq!(sw, 0x9000);
    assert_eq!(find(&data, 0x9F27), h("00"), "AAC");
    let events = rig.payment_events();
    assert!(events
        .iter()
        .any(|e| matches!(e, PaymentEvent::Cryptogram { kind: CryptogramKind::Aac, .. })));
    assert!(events.iter().any(|e| matches!(
        e,
        PaymentEvent::Declined { reason: DeclineReason::OfflineOnlyReader, .. }
    )));
    assert!(!events
        .iter()
        .any(|e| matches!(e, PaymentEvent::Cryptogram { kind: CryptogramKind::Arqc, .. })));
}

#[test]
fn journal_commit_failure_lets_no_cryptogram_leave() {
    let mut rig = selected(CvmPolicy::WhenReaderRequires);
    rig.journal.fail_commit.store(true, Ordering::SeqCst);
    assert_eq!(rig.send(&h(GPO_V1)), (vec![], 0x6985));
    let events = rig.payment_events();
    assert!(events
        .iter()
        .any(|e| matches!(e, PaymentEvent::Declined { reason: DeclineReason::JournalFailed, .. })));
    assert!(!events.iter().any(|e| matches!(e, PaymentEvent::Cryptogram { .. })));
    rig.journal.fail_commit.store(false, Ordering::SeqCst);
    assert_eq!(rig.sw(GPO_V1), 0x9000, "nothing was spent: the retry uses ATC 1");
    assert_eq!(rig.journal.last("tok-1"), 1);
}

#[test]
fn crash_between_commit_and_answer_never_repeats_the_atc() {
    let mut rig = selected(CvmPolicy::WhenReaderRequires);
    rig.journal.crash_after_commit.store(true, Ordering::SeqCst);
    // The router contains the panic: 6F00, no data — the cryptogram never left.
    assert_eq!(rig.router.process(&h(GPO_V1)), vec![0x6F, 0x00]);
    assert_eq!(rig.journal.last("tok-1"), 1, "ATC 1 is spent");
    // The process restarts: a fresh applet over the same store.
    let journal = rig.journal.clone();
    let tokens = rig.tokens.clone();
    drop(rig);
    let events = std::sync::Arc::new(hce_wallet_core::ports::EventLog::default());
    let mut router = hce_wallet_core::router::Router::new();
    router.register(Box::new(Rig::applet(PaymentConfig::default(), &tokens, &journal, &events)));
    router.process(&h(SELECT_PPSE));
    router.process(&h(SELECT_AID));
    let answer = router.process(&h(GPO_V1));
    assert_eq!(&answer[answer.len() - 2..], &[0x90, 0x00]);
    let atc = find(&answer[..answer.len() - 2], 0x9F36);
    assert_eq!(atc, h("0002"), "strictly greater than the crashed tap's ATC");
    let commits: Vec<u16> = journal.commits.lock().unwrap().iter().map(|c| c.1).collect();
    assert_eq!(commits, vec![1, 2]);
}

#[test]
fn le_smaller_than_the_answer_is_6700_and_spends_nothing() {
    let mut rig = selected(CvmPolicy::WhenReaderRequires);
    let mut apdu = h(GPO_V1);
    *apdu.last_mut().unwrap() = 0x10;
    assert_eq!(rig.send(&apdu), (vec![], 0x6700));
    assert_eq!(rig.journal.last("tok-1"), 0);
    assert_eq!(rig.sw("00B2010C10"), 0x6700);
    assert_eq!(rig.sw("00B2010C1B"), 0x9000, "Le exactly the record length");
    // No Le at all counts as 256.
    let mut no_le = h(GPO_V1);
    no_le.pop();
    assert_eq!(rig.send(&no_le).1, 0x9000);
}

#[test]
fn generate_ac_rules() {
    let mut rig = Rig::standard(gac_config(), CvmPolicy::WhenReaderRequires);
    rig.sw(SELECT_AID);
    // The record lists CDOL1 and CDOL2.
    let (record, _) = rig.send(&h(READ_RECORD_1));
    let cdol1 = Dol::parse(&find(&record, 0x8C)).unwrap();
    assert_eq!(cdol1.total_len(), 29);
    assert_eq!(rig.sw(&hex::encode(gac(0x80, CDOL1_DATA))), 0x6985, "before GPO");
    let (gpo, _) = rig.send(&h(GPO_V1));
    assert_eq!(rig.sw(&hex::encode(gac(0x80, "00"))), 0x6700, "CDOL1 length");
    assert_eq!(rig.sw(&hex::encode(gac(0xC0, CDOL1_DATA))), 0x6A86, "RFU type");
    // TC asked first: ARQC (online-only), same ATC, no second increment.
    let (data, sw) = rig.send(&gac(0x50, CDOL1_DATA));
    assert_eq!(sw, 0x9000);
    assert_eq!(find(&data, 0x9F27), h("80"));
    assert_eq!(find(&data, 0x9F36), h("0001"));
    assert_eq!(rig.journal.last("tok-1"), 1);
    assert!(Tlv::parse(&data).unwrap().find(Tag::new(0x9F4B).unwrap()).is_none(), "no CDA");
    // The AC verifies against the LUK over the CDOL1 data (same profile, same ATC).
    let sk = GenericProfile::session_key(&h(LUK_HEX).try_into().unwrap(), Atc(1));
    let mut input = h(CDOL1_DATA);
    input.extend_from_slice(&[0, 0, 0, 1, 0x80]);
    assert_eq!(find(&data, 0x9F26), retail_mac(&sk, &input).to_vec());
    assert_eq!(find(&data, 0x9F26), find(&gpo, 0x9F26), "same data, same AC as the GPO");
    // Second GENERATE AC with CDOL2 (8A first): TC as asked.
    let cdol2 = format!("3030{CDOL1_DATA}");
    assert_eq!(rig.sw(&hex::encode(gac(0x80, &cdol2))), 0x6A86, "ARQC on the second");
    let (data, sw) = rig.send(&gac(0x40, &cdol2));
    assert_eq!(sw, 0x9000);
    assert_eq!(find(&data, 0x9F27), h("40"));
    assert_eq!(find(&data, 0x9F36), h("0001"));
    assert_eq!(rig.sw(&hex::encode(gac(0x40, &cdol2))), 0x6985, "a third");
    let recorded = rig.journal.cryptograms.lock().unwrap().clone();
    assert_eq!(recorded.iter().map(|r| (r.1, r.3)).collect::<Vec<_>>(), vec![(1, 0x80), (1, 0x40)]);
    assert_eq!(rig.journal.last("tok-1"), 1);
}

#[test]
fn generate_ac_aac_and_failures() {
    let mut rig = Rig::standard(gac_config(), CvmPolicy::WhenReaderRequires);
    rig.sw(SELECT_AID);
    rig.sw(GPO_V1);
    let (data, _) = rig.send(&gac(0x00, CDOL1_DATA));
    assert_eq!(find(&data, 0x9F27), h("00"), "AAC when asked");
    assert_eq!(rig.sw(&hex::encode(gac(0x40, &format!("3030{CDOL1_DATA}")))), 0x6985, "closed");
    // After an offline-only GPO, every GENERATE AC is an AAC.
    rig.sw(SELECT_AID);
    rig.send(&gpo_with_ttq("3E004000"));
    let (data, _) = rig.send(&gac(0x80, CDOL1_DATA));
    assert_eq!(find(&data, 0x9F27), h("00"));
    // Journal failure on record_cryptogram: nothing leaves.
    rig.sw(SELECT_AID);
    rig.sw(GPO_V1);
    rig.journal.fail_record.store(true, Ordering::SeqCst);
    rig.payment_events();
    assert_eq!(rig.send(&gac(0x80, CDOL1_DATA)), (vec![], 0x6985));
    assert!(!rig.payment_events().iter().any(|e| matches!(e, PaymentEvent::Cryptogram { .. })));
}

#[test]
fn deactivation_wipes_the_tap() {
    let mut rig = selected(CvmPolicy::WhenReaderRequires);
    rig.sw(GPO_V1);
    rig.router.deactivate(Deactivation::LinkLoss);
    assert_eq!(rig.sw(READ_RECORD_1), 0x6985);
    assert_eq!(rig.sw(GPO_V1), 0x6985);
}

#[test]
fn contact_pse_behind_its_switch() {
    let mut rig = Rig::standard(PaymentConfig::default(), CvmPolicy::WhenReaderRequires);
    assert_eq!(rig.sw("00A404000E315041592E5359532E444446303100"), 0x6A82, "default off");
    let config = PaymentConfig { contact_pse: true, ..Default::default() };
    let mut rig = Rig::standard(config, CvmPolicy::WhenReaderRequires);
    let (fci, sw) = rig.send(&h("00A404000E315041592E5359532E444446303100"));
    assert_eq!(sw, 0x9000);
    assert_eq!(find(&fci, 0x88), vec![1]);
    let (record, sw) = rig.send(&h("00B2010C00"));
    assert_eq!(sw, 0x9000);
    assert_eq!(find(&record, 0x4F), AID.to_vec());
    assert_eq!(find(&record, 0x50), b"UP CREDIT".to_vec());
    assert_eq!(rig.sw("00B2020C00"), 0x6A83);
    assert_eq!(rig.sw(GPO_V1), 0x6985, "the PSE is not an ADF");
}

#[test]
fn nothing_sensitive_is_logged() {
    let capture = capture_logs();
    let mut rig = Rig::standard(gac_config(), CvmPolicy::WhenReaderRequires);
    for apdu in [SELECT_PPSE, SELECT_AID, GPO_V1, READ_RECORD_1] {
        rig.sw(apdu);
    }
    rig.send(&gac(0x80, CDOL1_DATA));
    rig.tokens.set_budget("tok-1", KeyBudget::Exhausted);
    rig.sw(SELECT_AID);
    rig.sw(GPO_V1);
    rig.journal.fail_commit.store(true, Ordering::SeqCst);
    rig.tokens.set_budget("tok-1", KeyBudget::Available { transactions_left: 3, low: true });
    rig.sw(SELECT_AID);
    rig.sw(GPO_V1);
    let events = rig.payment_events();
    let lines = capture.lines();
    assert!(lines.iter().any(|l| l.contains("payment:")), "the applet logs its decisions");
    let secrets = [
        MPAN.to_string(),
        LUK_HEX.to_string(),
        LUK_HEX.to_lowercase(),
        "6231000000000008D3012".to_string(),
        "8A2F83D66C35B30F".to_string(),
        "8a2f83d66c35b30f".to_string(),
        "12345678".to_string(),
    ];
    for line in lines
        .iter()
        .chain(events.iter().map(|e| format!("{e:?} {}", e.detail())).collect::<Vec<_>>().iter())
    {
        for s in &secrets {
            assert!(!line.contains(s.as_str()), "secret in {line:?}");
        }
    }
}

//! The applet's state machine, chaining, selection outcomes, PUSH DATA and the
//! instruction/class/parameter errors (spec §5, §6.1–6.7, §8).

mod smart_tap_support;

use std::sync::Arc;

use hce_wallet_core::apdu::{Command, StatusWord};
use hce_wallet_core::events::WalletEvent;
use hce_wallet_core::ndef::{Message, Record};
use hce_wallet_core::ports::{
    EventLog, FixedClock, PassType, Selection, ServiceStatusUpdate, SmartTapPass,
};
use hce_wallet_core::router::{Applet, Deactivation};
use hce_wallet_core::smart_tap::{
    NegotiationBudget, SmartTapApplet, SmartTapConfig, SmartTapPorts,
};
use serde_json::Value;
use smart_tap_support::*;
use zeroize::Zeroizing;

const OSE: &str = "00a404000a4f53452e5641532e303100";
const ST2: &str = "00a4040009a000000476d000011100";
const GET_MORE: &str = "90c0000000";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn negotiate_cmd(v: &Value) -> Vec<u8> {
    hx(v, "/steps/2/command_hex")
}

fn get_data_cmd(v: &Value) -> Vec<u8> {
    hx(v, "/get_data/variants/0/command_hex")
}

fn authed_rig(config: SmartTapConfig, passes: TestPasses) -> Rig {
    let v = e2e();
    let random = ScriptedRandom::default();
    random.push(hx(&v, "/handset/nonce_hex"));
    random.push(hx(&v, "/handset/ephemeral_private_key_hex"));
    let mut rig = Rig::build(config, random, passes, vector_key_ring());
    assert_eq!(rig.send(&h(OSE)).1, 0x9000);
    assert_eq!(rig.send(&negotiate_cmd(&v)).1, 0x9000);
    rig.events();
    rig
}

fn one_pass(value: &str) -> TestPasses {
    let mut pass = demo_pass();
    pass.redemption_value = Zeroizing::new(value.to_owned());
    TestPasses { passes: vec![(COLLECTOR, pass)], ..Default::default() }
}

/// Reads a chained answer; returns the concatenated data and the SW of every frame.
fn read_chain(rig: &mut Rig, first: (Vec<u8>, u16), get_more: &[u8]) -> (Vec<u8>, Vec<u16>) {
    let (mut all, mut sw) = first;
    let mut sws = vec![sw];
    while sw == 0x9100 {
        let (d, s) = rig.send(get_more);
        all.extend_from_slice(&d);
        sw = s;
        sws.push(s);
        assert!(sws.len() < 1000);
    }
    (all, sws)
}

#[test]
fn large_bundle_is_chained_and_reassembles() {
    // 1500 bytes of value in 200-byte slices: 9 answers, within the 11 a reader reads.
    let value = "7".repeat(1500);
    let config = SmartTapConfig { chunk_size: 200, ..Default::default() };
    let mut rig = authed_rig(config, one_pass(&value));
    let first = rig.send(&get_data_cmd(&e2e()));
    assert_eq!((first.0.len(), first.1), (200, 0x9100));
    let (all, sws) = read_chain(&mut rig, first, &h(GET_MORE));
    assert_eq!(*sws.last().unwrap(), 0x9000);
    assert!(sws[..sws.len() - 1].iter().all(|&s| s == 0x9100));
    assert_eq!(sws.len(), all.len().div_ceil(200));
    assert!(sws.len() <= 11);
    let (enc, mac) = vector_keys();
    let opened = open_srs(&all, &enc, &mac);
    let bundle = Message::parse(&opened.body).unwrap();
    let asv = bundle.records[0].nested(0, 0).unwrap();
    let ly = asv.records[1].nested(0, 1).unwrap();
    assert_eq!(ly.records[1].payload[1..], *value.as_bytes());
    // Everything sent: 9405; a new GET DATA starts over.
    assert_eq!(rig.send(&h(GET_MORE)), (vec![], 0x9405));
    assert_eq!(rig.send(&h(GET_MORE)), (vec![], 0x9405));
    assert_eq!(rig.send(&get_data_cmd(&e2e())).1, 0x9100);
}

#[test]
fn slices_never_exceed_ne() {
    // Short enough that 11 slices of 64 bytes hold it (spec §13a).
    let value = "x".repeat(500);
    let mut rig = authed_rig(SmartTapConfig::default(), one_pass(&value));
    // GET DATA with Le = 0x40, GET MORE with Le = 0x20.
    let mut cmd = get_data_cmd(&e2e());
    *cmd.last_mut().unwrap() = 0x40;
    let first = rig.send(&cmd);
    assert_eq!((first.0.len(), first.1), (0x40, 0x9100));
    let (d, sw) = rig.send(&h("90c0000020"));
    assert_eq!((d.len(), sw), (0x20, 0x9100));
    // Default chunk size 256 with Le = 00.
    let (d, sw) = rig.send(&h(GET_MORE));
    assert_eq!((d.len(), sw), (256, 0x9100));
    // GET MORE DATA ignores a data field (spec §6.5).
    let (_, sw) = rig.send(&h("90c0000001aa00"));
    assert!(sw == 0x9100 || sw == 0x9000);
}

#[test]
fn get_more_without_pending_answer_is_9404() {
    let mut rig = authed_rig(SmartTapConfig::default(), one_pass("2018"));
    assert_eq!(rig.send(&h(GET_MORE)), (vec![], 0x9404));
    // A single-frame answer leaves nothing to continue.
    assert_eq!(rig.send(&get_data_cmd(&e2e())).1, 0x9000);
    assert_eq!(rig.send(&h(GET_MORE)), (vec![], 0x9405));
}

#[test]
fn reselect_keeps_nonce_and_key_but_wipes_the_session() {
    let v = e2e();
    let mut rig = Rig::vector(SmartTapConfig::default());
    let ose1 = rig.send(&h(OSE));
    let st2 = rig.send(&h(ST2));
    let ose2 = rig.send(&h(OSE));
    assert_eq!(ose1, ose2);
    // The mdn nonce is the C2 nonce.
    assert_eq!(&st2.0[st2.0.len() - 32..], &hx(&v, "/handset/nonce_hex")[..]);
    assert_eq!(rig.send(&negotiate_cmd(&v)).1, 0x9000);
    assert_eq!(rig.send(&h(ST2)), st2);
    assert_eq!(rig.send(&get_data_cmd(&v)), (vec![], 0x9001));
    // Still the same ephemeral key: the vector's NEGOTIATE succeeds again.
    assert_eq!(rig.send(&negotiate_cmd(&v)), (hx(&v, "/steps/2/response_data_hex"), 0x9000));
}

#[test]
fn deactivate_wipes_and_rearms_with_fresh_randomness() {
    let v = e2e();
    let mut rig = authed_rig(SmartTapConfig::default(), one_pass("2018"));
    let before = rig.send(&h(OSE)).0;
    assert_eq!(rig.send(&negotiate_cmd(&v)).1, 0x9000);
    rig.router.deactivate(Deactivation::LinkLoss);
    assert!(rig.events().contains(&WalletEvent::Deactivated));
    assert_eq!(rig.send(&get_data_cmd(&v)).1, 0x6985); // router: nothing selected
    let after = rig.send(&h(OSE)).0;
    assert_ne!(before, after, "new nonce and key after deactivation");
    assert_eq!(rig.send(&get_data_cmd(&v)), (vec![], 0x9001));
    // The vector's signature covers the old nonce: refused now.
    assert_eq!(rig.send(&negotiate_cmd(&v)), (vec![], 0x9500));
}

fn bare_applet(random: ScriptedRandom, events: Arc<EventLog>) -> SmartTapApplet {
    let ports = SmartTapPorts {
        key_ring: Arc::new(vector_key_ring()),
        passes: Arc::new(one_pass("2018")),
        push: None,
        events,
        random: Box::new(random),
        clock: Arc::new(FixedClock(NOW)),
        payment: None,
    };
    SmartTapApplet::new(ports, SmartTapConfig::default()).unwrap()
}

#[test]
fn arming_is_explicit_lazy_and_repeated_after_deactivation() {
    let v = e2e();
    let random = ScriptedRandom::default();
    random.push(hx(&v, "/handset/nonce_hex"));
    random.push(hx(&v, "/handset/ephemeral_private_key_hex"));
    let events = Arc::new(EventLog::default());
    let mut applet = bare_applet(random.clone(), events.clone());
    assert!(!applet.is_armed());
    assert!(applet.arm());
    assert_eq!(random.pending(), 0, "arming drew the nonce and key");
    assert!(applet.arm());
    // NEGOTIATE before any SELECT: 9400 even though armed.
    let cmd = negotiate_cmd(&v);
    assert_eq!(applet.process(&Command::parse(&cmd).unwrap()).sw, StatusWord(0x9400));
    let select = h(OSE);
    let r = applet.select(b"OSE.VAS.01", &Command::parse(&select).unwrap());
    assert_eq!(r.to_bytes(), hx(&v, "/steps/0/response_apdu_hex"));
    let r = applet.process(&Command::parse(&cmd).unwrap());
    assert_eq!(r.sw, StatusWord(0x9000));
    assert_eq!(applet.authenticated_collector(), Some(COLLECTOR));
    applet.deactivate(Deactivation::Deselected);
    assert_eq!(applet.authenticated_collector(), None);
    assert!(applet.is_armed(), "re-armed for the next tap");
    assert_eq!(events.take().last(), Some(&WalletEvent::Deactivated));

    // Lazily armed at the first SELECT.
    let random = ScriptedRandom::default();
    random.push(hx(&v, "/handset/nonce_hex"));
    random.push(hx(&v, "/handset/ephemeral_private_key_hex"));
    let mut lazy = bare_applet(random.clone(), Arc::new(EventLog::default()));
    let r = lazy.select(b"OSE.VAS.01", &Command::parse(&select).unwrap());
    assert_eq!(r.to_bytes(), hx(&v, "/steps/0/response_apdu_hex"));
    assert!(lazy.is_armed());
}

#[test]
fn out_of_range_scalar_draws_are_redrawn() {
    let v = e2e();
    let random = ScriptedRandom::default();
    random.push(hx(&v, "/handset/nonce_hex"));
    random.push(vec![0; 32]); // zero scalar
    random.push(vec![0xFF; 32]); // above the group order
    random.push(hx(&v, "/handset/ephemeral_private_key_hex"));
    let mut applet = bare_applet(random, Arc::new(EventLog::default()));
    let r = applet.select(b"OSE.VAS.01", &Command::parse(&h(OSE)).unwrap());
    assert_eq!(r.to_bytes(), hx(&v, "/steps/0/response_apdu_hex"));
}

#[test]
fn selection_outcomes_map_to_status_words_and_events() {
    let v = e2e();
    let cases = [
        (Selection::NothingEligible, 0x9001, WalletEvent::NothingEligible { collector: COLLECTOR }),
        (
            Selection::ChooserRequired { candidates: vec!["a".into(), "b".into()] },
            0x9302,
            WalletEvent::ChooserRequired {
                collector: COLLECTOR,
                candidates: vec!["a".into(), "b".into()],
            },
        ),
        (Selection::UnlockRequired, 0x9300, WalletEvent::UnlockRequired { collector: COLLECTOR }),
    ];
    for (selection, sw, event) in cases {
        let rig_passes = one_pass("2018");
        *rig_passes.forced.lock().unwrap() = Some(selection);
        let mut rig = authed_rig(SmartTapConfig::default(), rig_passes);
        assert_eq!(rig.send(&get_data_cmd(&v)), (vec![], sw));
        assert_eq!(rig.events(), vec![event]);
        assert_eq!(rig.send(&h(GET_MORE)), (vec![], 0x9404));
    }
}

#[test]
fn two_eligible_passes_need_the_chooser() {
    let mut passes = one_pass("2018");
    let mut second = demo_pass();
    second.object_id = "3265320111641956183.other".into();
    passes.passes.push((COLLECTOR, second));
    // An offer for the same collector is not requested by `str 03`.
    let offer = SmartTapPass { pass_type: PassType::Offer, ..demo_pass() };
    passes.passes.push((COLLECTOR, offer));
    let mut rig = authed_rig(SmartTapConfig::default(), passes);
    assert_eq!(rig.send(&get_data_cmd(&e2e())), (vec![], 0x9302));
}

#[test]
fn sequence_number_is_request_plus_one_mod_256() {
    let v = e2e();
    let mut rig = Rig::vector(SmartTapConfig::default());
    rig.send(&h(OSE));
    // `ses` is not signed: change the NEGOTIATE's sequence from 01 to ff.
    let cmd =
        hex::encode(negotiate_cmd(&v)).replace("063f5d538c2bb8280101", "063f5d538c2bb828ff01");
    let (data, sw) = rig.send(&h(&cmd));
    assert_eq!(sw, 0x9000);
    let expected = hex::encode(hx(&v, "/steps/2/response_data_hex"))
        .replace("063f5d538c2bb8280201", "063f5d538c2bb8280001");
    assert_eq!(hex::encode(data), expected);
    // GET DATA repeating the handset's number (Google's sample style) is fine.
    let cmd = hex::encode(get_data_cmd(&v)).replace("063f5d538c2bb8280301", "063f5d538c2bb8280001");
    let (data, sw) = rig.send(&h(&cmd));
    assert_eq!(sw, 0x9000);
    let (enc, mac) = vector_keys();
    assert_eq!(open_srs(&data, &enc, &mac).ses, h("063f5d538c2bb8280101"));
}

#[test]
fn later_negotiations_replace_or_wipe_the_session() {
    let v = e2e();
    let n = load_json("negative.json");
    let flipped = hx(&n, "/negotiate/4/command_hex");
    let mut rig = Rig::vector(SmartTapConfig::default());
    rig.send(&h(OSE));
    assert_eq!(rig.send(&flipped).1, 0x9500);
    assert_eq!(rig.send(&negotiate_cmd(&v)).1, 0x9000);
    assert_eq!(rig.send(&get_data_cmd(&v)).1, 0x9000);
    assert_eq!(rig.send(&flipped).1, 0x9500);
    assert_eq!(rig.send(&get_data_cmd(&v)), (vec![], 0x9001));
}

#[test]
fn too_many_failed_negotiations_answer_9406() {
    let v = e2e();
    let n = load_json("negative.json");
    let flipped = hx(&n, "/negotiate/4/command_hex");
    let budget = NegotiationBudget { burst: 2, refill_ms: 60_000 };
    let config = SmartTapConfig { negotiation_budget: budget, ..Default::default() };
    let mut rig = Rig::vector(config);
    rig.send(&h(OSE));
    assert_eq!(rig.send(&flipped).1, 0x9500);
    assert_eq!(rig.send(&h("905300000354000000")).1, 0x9402);
    assert_eq!(rig.send(&negotiate_cmd(&v)), (vec![], 0x9406));
    assert_eq!(rig.send(&get_data_cmd(&v)), (vec![], 0x9001));
}

/// The failed-NEGOTIATE budget is a rate over time across field sessions (issue 12):
/// tapping again does not refill it, only time does, one failure per interval.
#[test]
fn the_failure_budget_survives_deactivation_and_refills_with_time() {
    let n = load_json("negative.json");
    let flipped = hx(&n, "/negotiate/4/command_hex");
    let budget = NegotiationBudget { burst: 3, refill_ms: 10_000 };
    let config = SmartTapConfig { negotiation_budget: budget, ..Default::default() };
    let mut rig = Rig::vector(config);
    let tap = |rig: &mut Rig| {
        rig.router.deactivate(Deactivation::LinkLoss);
        assert_eq!(rig.send(&h(OSE)).1, 0x9000);
        rig.send(&flipped).1
    };
    // Three taps, one probe each, spend the burst; a fourth tap gets 9406 at once.
    for _ in 0..3 {
        assert_eq!(tap(&mut rig), 0x9500);
    }
    assert_eq!(tap(&mut rig), 0x9406);
    assert_eq!(tap(&mut rig), 0x9406);
    // 9.999 s later: still nothing; at 10 s exactly one more failure is allowed.
    rig.clock.advance_ms(9_999);
    assert_eq!(tap(&mut rig), 0x9406);
    rig.clock.advance_ms(1);
    assert_eq!(tap(&mut rig), 0x9500);
    assert_eq!(tap(&mut rig), 0x9406);
    // A long pause refills up to the burst, not beyond.
    rig.clock.advance_ms(3_600_000);
    for _ in 0..3 {
        assert_eq!(tap(&mut rig), 0x9500);
    }
    assert_eq!(tap(&mut rig), 0x9406);
}

/// A success neither refills nor spends the budget, and a spent budget also stops the
/// valid terminal (the budget cannot tell terminals apart).
#[test]
fn a_success_does_not_refill_the_budget() {
    let v = e2e();
    let n = load_json("negative.json");
    let flipped = hx(&n, "/negotiate/4/command_hex");
    let budget = NegotiationBudget { burst: 2, refill_ms: 10_000 };
    let config = SmartTapConfig { negotiation_budget: budget, ..Default::default() };
    let mut rig = Rig::vector(config);
    rig.send(&h(OSE));
    assert_eq!(rig.send(&flipped).1, 0x9500);
    assert_eq!(rig.send(&negotiate_cmd(&v)).1, 0x9000);
    assert_eq!(rig.send(&flipped).1, 0x9500);
    assert_eq!(rig.send(&flipped).1, 0x9406);
    assert_eq!(rig.send(&negotiate_cmd(&v)).1, 0x9406);
    rig.clock.advance_ms(10_000);
    assert_eq!(rig.send(&negotiate_cmd(&v)).1, 0x9000);
}

#[test]
fn instruction_class_and_parameter_errors() {
    let mut rig = Rig::vector(SmartTapConfig::default());
    rig.send(&h(OSE));
    assert_eq!(rig.send(&h("9099000000")).1, 0x9400);
    assert_eq!(rig.send(&h("9050010000")).1, 0x6B00);
    assert_eq!(rig.send(&h("90c0000100")).1, 0x6B00);
    assert_eq!(rig.send(&h("8050000000")).1, 0x6E00);
    assert_eq!(rig.send(&h("00b0000000")).1, 0x6D00);
    assert_eq!(rig.send(&h("00a4000c023f00")).1, 0x6A86);
    assert_eq!(rig.send(&h("00a4040007a000000003101000")).1, 0x6A82);
    assert_eq!(rig.send(&h("00a4040009a000000476d000010100")).1, 0x6A82);
}

/// `srq` with the given version, session and records.
fn srq(version: [u8; 2], records: Vec<Record>) -> Vec<u8> {
    let inner = Message::new(records);
    let msg = Message::new(vec![Record::container(b"srq", &version, &inner)]);
    let mut apdu = vec![0x90, 0x50, 0, 0, msg.encode().len() as u8];
    apdu.extend_from_slice(&msg.encode());
    apdu.push(0);
    apdu
}

#[test]
fn malformed_get_data_is_9402_and_wrong_version_9502() {
    let mut rig = authed_rig(SmartTapConfig::default(), one_pass("2018"));
    let ses = Record::external(b"ses", h("063f5d538c2bb8280301"));
    let mer = Record::container(
        b"mer",
        &[],
        &Message::new(vec![Record::external(b"cld", h("040133ee80"))]),
    );
    let slr = |p: Vec<u8>| {
        Record::container(b"slr", &[], &Message::new(vec![Record::external(b"str", p)]))
    };
    let good = vec![ses.clone(), mer.clone(), slr(vec![3])];
    assert_eq!(rig.send(&srq([0, 1], good.clone())).1, 0x9000);
    assert_eq!(rig.send(&srq([0, 2], good)).1, 0x9502);
    assert_eq!(rig.send(&srq([0, 1], vec![ses.clone(), slr(vec![3])])).1, 0x9402);
    assert_eq!(rig.send(&srq([0, 1], vec![ses.clone(), mer.clone()])).1, 0x9402);
    assert_eq!(rig.send(&srq([0, 1], vec![mer.clone(), slr(vec![3])])).1, 0x9402);
    assert_eq!(rig.send(&srq([0, 1], vec![ses.clone(), mer.clone(), slr(vec![])])).1, 0x9402);
    assert_eq!(rig.send(&srq([0, 1], vec![ses.clone(), mer.clone(), slr(vec![3, 4])])).1, 0x9402);
    let short_ses = Record::external(b"ses", h("063f5d538c2bb82803"));
    assert_eq!(rig.send(&srq([0, 1], vec![short_ses, mer.clone(), slr(vec![3])])).1, 0x9402);
    let empty_pcr = Record::external(b"pcr", vec![]);
    assert_eq!(rig.send(&srq([0, 1], vec![ses, mer, slr(vec![3]), empty_pcr])).1, 0x9402);
    // Not NDEF at all; chunked records.
    assert_eq!(rig.send(&h("905000000301020300")).1, 0x9402);
    assert_eq!(rig.send(&h("9050000009b4010178015600010200")).1, 0x9402);
}

#[test]
fn kormax_push_is_decoded_and_answered_as_in_the_trace() {
    let trace = load_json("kormax-trace.json");
    let examples = trace["examples"].as_array().unwrap();
    let find = |prefix: &str| {
        examples.iter().find(|e| e["label"].as_str().unwrap().starts_with(prefix)).unwrap()
    };
    let push = find("PUSH SMART TAP DATA command");
    let answer = find("PUSH SMART TAP DATA response");
    let mut rig = Rig::vector(SmartTapConfig::default());
    rig.send(&h(OSE));
    let (data, sw) = rig.send(&hx(push, "/apdu_hex"));
    assert_eq!((hex::encode(data), sw), (text(answer, "/data_hex"), 0x9000));
    assert_eq!(rig.events(), vec![WalletEvent::PushReceived { collector: None, updates: 1 }]);
    let got = rig.push.0.lock().unwrap().clone();
    let (collector, push) = &got[0];
    assert_eq!(*collector, None);
    let balance = push.balance.as_ref().unwrap();
    assert_eq!((balance.amount_raw.clone(), balance.currency.as_deref()), (vec![0], Some("USD")));
    let note = push.notification.as_ref().unwrap();
    assert_eq!(note.service_type, 5);
    assert_eq!(note.title.as_deref(), Some("PASS"));
    assert_eq!(note.uri.as_deref(), Some("https://example.com"));
    let ServiceStatusUpdate { object_ref, usage, operation } = &push.services[0];
    assert_eq!(object_ref, &[0x01, 0x02, 0x03, 0xdc, 0x3b, 0xe1, 0x9e, 0x48]);
    let usage = usage.as_ref().unwrap();
    assert_eq!(usage.status, 1);
    assert_eq!(usage.title.as_deref(), Some("SERVICE_USAGE_TITLE"));
    assert_eq!(usage.description.as_deref(), Some("SERVICE_USAGE_DESCRIPTION"));
    assert_eq!(operation, &Some((5, vec![])));
}

fn spr(session: &str, records: Vec<Record>) -> Vec<u8> {
    let mut all = vec![Record::external(b"ses", h(session))];
    all.extend(records);
    let msg = Message::new(vec![Record::container(b"spr", &[0, 1], &Message::new(all))]);
    let mut apdu = vec![0x90, 0x52, 0, 0, msg.encode().len() as u8];
    apdu.extend_from_slice(&msg.encode());
    apdu.push(0);
    apdu
}

#[test]
fn push_speaks_for_the_collector_only_inside_its_session() {
    let mut rig = authed_rig(SmartTapConfig::default(), one_pass("2018"));
    let oid = crate_oid();
    let ssr = Record::container(
        b"ssr",
        &[],
        &Message::new(vec![
            Record::external(b"oid", [vec![4], oid.to_vec()].concat()),
            Record::external(b"sup", vec![0x02, 0x01, 0xF4]),
        ]),
    );
    let (data, sw) = rig.send(&spr("063f5d538c2bb8280501", vec![ssr.clone()]));
    assert_eq!(sw, 0x9000);
    assert_eq!(hex::encode(data), "d40310707372d4030a736573063f5d538c2bb8280601");
    let (data, sw) = rig.send(&spr("79f3834e841ab49b0501", vec![ssr]));
    assert_eq!((data.len(), sw), (22, 0x9000));
    let got = rig.push.0.lock().unwrap().clone();
    assert_eq!(got[0].0, Some(COLLECTOR));
    assert_eq!(got[0].1.services[0].object_ref, oid);
    assert_eq!(got[0].1.services[0].operation, Some((0x02, vec![0x01, 0xF4])));
    assert_eq!(got[1].0, None);
    // Malformed: an oid of the wrong length; an unknown version.
    let bad = Record::container(
        b"ssr",
        &[],
        &Message::new(vec![Record::external(b"oid", vec![4, 1, 2])]),
    );
    assert_eq!(rig.send(&spr("063f5d538c2bb8280501", vec![bad])).1, 0x9402);
    let msg = Message::new(vec![Record::container(
        b"spr",
        &[0, 9],
        &Message::new(vec![Record::external(b"ses", h("063f5d538c2bb8280501"))]),
    )]);
    let mut apdu = vec![0x90, 0x52, 0, 0, msg.encode().len() as u8];
    apdu.extend_from_slice(&msg.encode());
    assert_eq!(rig.send(&apdu).1, 0x9502);
}

/// The `oid` value of the demo pass (first 8 bytes of SHA-256 of its object ID).
fn crate_oid() -> [u8; 8] {
    let v = e2e();
    hx(&v, "/pass/object_id_record_value_hex").try_into().unwrap()
}

#[test]
fn configured_label_mode_and_capabilities_appear_in_the_fci() {
    let config = SmartTapConfig {
        wallet_label: "HceWallet".into(),
        transaction_mode: 0x08,
        capabilities: 0x02,
        ..Default::default()
    };
    let mut rig = Rig::vector(config);
    let (fci, sw) = rig.send(&h(OSE));
    assert_eq!(sw, 0x9000);
    let hexed = hex::encode(&fci);
    assert!(hexed.starts_with("6f8183"), "{hexed}");
    assert!(hexed.contains(&format!("5009{}", hex::encode("HceWallet"))));
    assert!(hexed.contains("c1080800000000008080"));
    assert!(hexed.ends_with("df620102"));
}

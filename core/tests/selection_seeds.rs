//! The worked examples of issue #5 and of Google's Smart Tap pages (smart-tap spec §12), one
//! test per row. Each row states what the whole wallet does at a terminal:
//!
//! - `NoAuthentication`: the wallet does not authenticate to the terminal, so nothing is
//!   transmitted — either no held pass could be redeemed by the collector
//!   (`PassSource::could_redeem` is false, the applet answers 9500), or the key ring has no
//!   key for the collector (§12.2 rule 1; the key check itself belongs to NEGOTIATE and is
//!   modelled here by the `keys` list of the world);
//! - otherwise the engine's decision: `Nothing` (9001), `Sent(pass)`, `Chooser(passes)`
//!   (9302), `Unlock` (9300).
//!
//! The passes are imported from the JSON fixtures, so the rows also cover the import.

use hce_wallet_core::pass::{import_json, parse_date_time, Issuer, PassState};
use hce_wallet_core::ports::{CollectorId, PassSource, Selection, SelectionRequest, UiContext};
use hce_wallet_core::selection::{Ineligible, LockPolicy, SelectionConfig, SelectionEngine};
use hce_wallet_core::time::Timestamp;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/passes/good/");

// Seeds: issuers and their collectors.
const ILUVCOFFEE: u32 = 11_111_111; // issuer 123, key "aaa"
const COFFEE_FOO: u32 = 44_444_444; // issuer 456, key "bbb"
const MOCHA_R_US: u32 = 77_777_777; // issuer 789, no key
const FOO_PIZZA: u32 = 12_345_678; // issuer 1990
const YUM_PIE: u32 = 18_802_001; // issuer 2018 (example 2)
const STRANGER: u32 = 99_999_999; // a collector of no known issuer

const R_BASIC: &str = "123.customer-r-basic";
const MY_REWARDS: &str = "456.customer-my-rewards";
const R_GOLD: &str = "123.customer-r-gold";
const EX1_OFFER: &str = "2018.123";
const EX2_PASS: &str = "8088.123";

#[derive(Debug, PartialEq, Eq)]
enum Wallet {
    NoAuthentication,
    Nothing,
    Sent(&'static str),
    Chooser(Vec<&'static str>),
    Unlock,
}

struct World {
    engine: SelectionEngine,
    /// Collectors whose public key the key ring holds.
    keys: Vec<u32>,
}

fn now() -> Timestamp {
    ts("2026-11-23T12:00:00Z")
}

fn ts(s: &str) -> Timestamp {
    parse_date_time(s).unwrap().instant(0)
}

fn issuer(id: u64, name: &str, collectors: &[u32]) -> Issuer {
    Issuer {
        id,
        name: name.into(),
        collector_ids: collectors.iter().copied().map(CollectorId).collect(),
    }
}

fn load(engine: &SelectionEngine, fixture: &str) {
    let text = std::fs::read_to_string(format!("{FIXTURES}{fixture}")).unwrap();
    engine.apply_import(import_json(&text).unwrap()).unwrap();
}

/// The customer of the issue: R-Basic (by iLuvCoffee, redeemable by 456 and 789) and
/// My Rewards (by Coffee-Foo, redeemable by 456).
fn coffee() -> World {
    let engine = SelectionEngine::default();
    engine.insert_issuer(issuer(123, "iLuvCoffee", &[ILUVCOFFEE])).unwrap();
    engine.insert_issuer(issuer(456, "Coffee-Foo", &[COFFEE_FOO])).unwrap();
    engine.insert_issuer(issuer(789, "Mocha-R-Us", &[MOCHA_R_US])).unwrap();
    load(&engine, "seeds-coffee.json");
    World { engine, keys: vec![ILUVCOFFEE, COFFEE_FOO] }
}

/// The same customer also holding an R-Gold pass (R-Gold lists no redemption issuer).
fn coffee_with_gold() -> World {
    let w = coffee();
    let gold = r#"{"loyaltyObjects":[{"id":"123.customer-r-gold","classId":"123.r-gold",
        "state":"ACTIVE","smartTapRedemptionValue":"RG-1"}]}"#;
    w.engine.apply_import(import_json(gold).unwrap()).unwrap();
    w
}

/// As [`coffee`], but the key ring also holds a key for Mocha-R-Us: what the engine alone
/// decides for that collector once NEGOTIATE succeeds.
fn coffee_mocha_keyed() -> World {
    let mut w = coffee();
    w.keys.push(MOCHA_R_US);
    w
}

/// Google's example 1: aggregator 2018 issues class `abc` / object `123` and lists
/// fooPizza (1990, collector 12345678) as redemption issuer.
fn foo_pizza() -> World {
    let engine = SelectionEngine::default();
    engine.insert_issuer(issuer(2018, "Pass developer", &[])).unwrap();
    engine.insert_issuer(issuer(1990, "fooPizza", &[FOO_PIZZA])).unwrap();
    load(&engine, "seeds-foopizza.json");
    World { engine, keys: vec![FOO_PIZZA, STRANGER] }
}

/// Google's example 2: aggregator 8088's class `abc` lists fooPizza (1990) and yumPie
/// (2018, collector 18802001).
fn aggregator() -> World {
    let engine = SelectionEngine::default();
    engine.insert_issuer(issuer(8088, "Aggregator", &[])).unwrap();
    engine.insert_issuer(issuer(1990, "fooPizza", &[FOO_PIZZA])).unwrap();
    engine.insert_issuer(issuer(2018, "yumPie", &[YUM_PIE])).unwrap();
    load(&engine, "seeds-aggregator.json");
    World { engine, keys: vec![FOO_PIZZA, YUM_PIE] }
}

/// Example 1 with one thing about the pass changed.
fn foo_pizza_with(change: &str) -> World {
    let w = foo_pizza();
    let mut o = w.engine.object(EX1_OFFER).unwrap();
    match change {
        "inactive" => o.state = PassState::Inactive,
        "completed" => o.state = PassState::Completed,
        "expired" => o.state = PassState::Expired,
        "no value" => o.smart_tap_redemption_value = None,
        "toggled off" => w.engine.set_user_smart_tap_disabled(EX1_OFFER, true).unwrap(),
        "class disabled" => {
            let mut c = w.engine.class("2018.abc").unwrap();
            c.enable_smart_tap = false;
            w.engine.insert_class(c).unwrap();
        }
        other => panic!("unknown change {other}"),
    }
    if change != "toggled off" {
        w.engine.upsert_object(o).unwrap();
    }
    w
}

struct Row {
    world: World,
    collector: u32,
    ui: UiContext,
    /// Service types the terminal requests (`str`, spec §10).
    types: &'static [u8],
    /// The user picked this pass in the chooser this many ms before the tap.
    chose: Option<(&'static str, i64)>,
    at: Timestamp,
    lock_policy: LockPolicy,
    expect: Wallet,
    /// The engine's reason for one pass, where the row is about a rule.
    reason: Option<(&'static str, Ineligible)>,
}

fn row(world: World, collector: u32, ui: UiContext, expect: Wallet) -> Row {
    Row {
        world,
        collector,
        ui,
        types: &[0x00],
        chose: None,
        at: now(),
        lock_policy: LockPolicy::RequireUnlock,
        expect,
        reason: None,
    }
}

fn open(id: &str) -> UiContext {
    UiContext::PassOpen(id.into())
}

fn run(r: Row) {
    let engine = &r.world.engine;
    engine.set_config(SelectionConfig { lock_policy: r.lock_policy, ..SelectionConfig::default() });
    engine.set_ui_context(r.ui.clone());
    if let Some((id, ago)) = r.chose {
        engine.choose(id, r.at.plus_millis(-ago)).unwrap();
    }
    let collector = CollectorId(r.collector);
    let request = SelectionRequest { collector, service_types: r.types.to_vec(), now: r.at };
    let got = if !engine.could_redeem(collector, r.at) || !r.world.keys.contains(&r.collector) {
        Wallet::NoAuthentication
    } else {
        match engine.select(&request) {
            Selection::Send(p) => {
                let id = leak(p.object_id.clone());
                // The value sent is the pass's own redemption value (§12.1).
                let o = engine.object(id).unwrap();
                assert_eq!(o.smart_tap_redemption_value.unwrap().expose(), &p.redemption_value);
                Wallet::Sent(id)
            }
            Selection::NothingEligible => Wallet::Nothing,
            Selection::ChooserRequired { candidates } => {
                Wallet::Chooser(candidates.into_iter().map(leak).collect())
            }
            Selection::UnlockRequired => Wallet::Unlock,
        }
    };
    assert_eq!(got, r.expect, "ui {:?} at collector {}", r.ui, r.collector);
    if let Some((id, why)) = r.reason {
        assert_eq!(engine.eligibility(id, &request), Err(why));
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

macro_rules! rows {
    ($($name:ident => $row:expr;)*) => { $( #[test] fn $name() { run($row) } )* };
}

rows! {
    // ---- issue #5: iLuvCoffee / Coffee-Foo / Mocha-R-Us ---------------------------
    iluvcoffee_home_nothing_123_does_not_redeem_r_basic =>
        Row { reason: Some((R_BASIC, Ineligible::NotRedeemableBy(CollectorId(ILUVCOFFEE)))),
              ..row(coffee(), ILUVCOFFEE, UiContext::Home, Wallet::NoAuthentication) };
    iluvcoffee_open_r_basic_nothing =>
        row(coffee(), ILUVCOFFEE, open(R_BASIC), Wallet::NoAuthentication);
    coffee_foo_home_shows_chooser_with_both =>
        row(coffee(), COFFEE_FOO, UiContext::Home, Wallet::Chooser(vec![R_BASIC, MY_REWARDS]));
    coffee_foo_unlocked_shows_chooser_with_both =>
        row(coffee(), COFFEE_FOO, UiContext::Unlocked, Wallet::Chooser(vec![R_BASIC, MY_REWARDS]));
    coffee_foo_open_r_basic_sends_it =>
        row(coffee(), COFFEE_FOO, open(R_BASIC), Wallet::Sent(R_BASIC));
    coffee_foo_open_my_rewards_sends_it =>
        row(coffee(), COFFEE_FOO, open(MY_REWARDS), Wallet::Sent(MY_REWARDS));
    coffee_foo_chose_my_rewards_retap_sends_it =>
        Row { chose: Some((MY_REWARDS, 5_000)),
              ..row(coffee(), COFFEE_FOO, UiContext::Home, Wallet::Sent(MY_REWARDS)) };
    coffee_foo_chose_r_basic_retap_sends_it =>
        Row { chose: Some((R_BASIC, 5_000)),
              ..row(coffee(), COFFEE_FOO, UiContext::Home, Wallet::Sent(R_BASIC)) };
    coffee_foo_choice_expired_asks_again =>
        Row { chose: Some((MY_REWARDS, 61_000)),
              ..row(coffee(), COFFEE_FOO, UiContext::Home, Wallet::Chooser(vec![R_BASIC, MY_REWARDS])) };
    coffee_foo_choice_ignored_when_a_pass_is_open =>
        Row { chose: Some((MY_REWARDS, 1_000)),
              ..row(coffee(), COFFEE_FOO, open(R_BASIC), Wallet::Sent(R_BASIC)) };
    coffee_foo_locked_asks_to_unlock =>
        row(coffee(), COFFEE_FOO, UiContext::Locked, Wallet::Unlock);
    coffee_foo_locked_allowed_by_policy_shows_chooser =>
        Row { lock_policy: LockPolicy::Allow,
              ..row(coffee(), COFFEE_FOO, UiContext::Locked, Wallet::Chooser(vec![R_BASIC, MY_REWARDS])) };
    coffee_foo_loyalty_request_shows_chooser =>
        Row { types: &[0x03],
              ..row(coffee(), COFFEE_FOO, UiContext::Home, Wallet::Chooser(vec![R_BASIC, MY_REWARDS])) };
    coffee_foo_offer_request_nothing =>
        Row { types: &[0x04], reason: Some((R_BASIC, Ineligible::TypeNotRequested)),
              ..row(coffee(), COFFEE_FOO, UiContext::Home, Wallet::Nothing) };
    coffee_foo_open_r_gold_falls_back_to_chooser =>
        Row { reason: Some((R_GOLD, Ineligible::NotRedeemableBy(CollectorId(COFFEE_FOO)))),
              ..row(coffee_with_gold(), COFFEE_FOO, open(R_GOLD), Wallet::Chooser(vec![R_BASIC, MY_REWARDS])) };
    mocha_r_us_no_key_nothing_transmitted =>
        row(coffee(), MOCHA_R_US, UiContext::Home, Wallet::NoAuthentication);
    mocha_r_us_with_a_key_would_send_r_basic =>
        row(coffee_mocha_keyed(), MOCHA_R_US, UiContext::Home, Wallet::Sent(R_BASIC));
    mocha_r_us_with_a_key_never_sends_my_rewards =>
        Row { reason: Some((MY_REWARDS, Ineligible::NotRedeemableBy(CollectorId(MOCHA_R_US)))),
              ..row(coffee_mocha_keyed(), MOCHA_R_US, open(MY_REWARDS), Wallet::Sent(R_BASIC)) };
    stranger_collector_nothing =>
        row(coffee(), STRANGER, UiContext::Home, Wallet::NoAuthentication);

    // ---- Google example 1: fooPizza redeems the aggregator's offer ----------------
    foo_pizza_example_1_sends_the_offer =>
        row(foo_pizza(), FOO_PIZZA, UiContext::Home, Wallet::Sent(EX1_OFFER));
    foo_pizza_example_1_offer_request_sends_it =>
        Row { types: &[0x04], ..row(foo_pizza(), FOO_PIZZA, UiContext::Home, Wallet::Sent(EX1_OFFER)) };
    foo_pizza_example_1_locked_asks_to_unlock =>
        row(foo_pizza(), FOO_PIZZA, UiContext::Locked, Wallet::Unlock);
    foo_pizza_example_1_unknown_collector_nothing =>
        row(foo_pizza(), STRANGER, UiContext::Home, Wallet::NoAuthentication);

    // ---- Google example 2: one aggregator class, two redemption issuers -----------
    aggregator_example_2_foo_pizza_gets_the_pass =>
        row(aggregator(), FOO_PIZZA, UiContext::Home, Wallet::Sent(EX2_PASS));
    aggregator_example_2_yum_pie_gets_the_pass =>
        row(aggregator(), YUM_PIE, UiContext::Home, Wallet::Sent(EX2_PASS));
    aggregator_example_2_open_pass_at_yum_pie =>
        row(aggregator(), YUM_PIE, open(EX2_PASS), Wallet::Sent(EX2_PASS));
    aggregator_example_2_generic_request =>
        Row { types: &[0x12], ..row(aggregator(), YUM_PIE, UiContext::Home, Wallet::Sent(EX2_PASS)) };
    aggregator_example_2_loyalty_only_request_nothing =>
        Row { types: &[0x03], reason: Some((EX2_PASS, Ineligible::TypeNotRequested)),
              ..row(aggregator(), FOO_PIZZA, UiContext::Home, Wallet::Nothing) };

    // ---- §12.2 rules 2–5 on the example-1 pass: never sent -------------------------
    rule_class_smart_tap_disabled =>
        Row { reason: Some((EX1_OFFER, Ineligible::SmartTapNotEnabled)),
              ..row(foo_pizza_with("class disabled"), FOO_PIZZA, open(EX1_OFFER), Wallet::NoAuthentication) };
    rule_user_toggled_off =>
        Row { reason: Some((EX1_OFFER, Ineligible::UserDisabled)),
              ..row(foo_pizza_with("toggled off"), FOO_PIZZA, open(EX1_OFFER), Wallet::NoAuthentication) };
    rule_no_redemption_value =>
        Row { reason: Some((EX1_OFFER, Ineligible::NoRedemptionValue)),
              ..row(foo_pizza_with("no value"), FOO_PIZZA, UiContext::Home, Wallet::NoAuthentication) };
    rule_state_inactive =>
        Row { reason: Some((EX1_OFFER, Ineligible::NotActive(PassState::Inactive))),
              ..row(foo_pizza_with("inactive"), FOO_PIZZA, UiContext::Home, Wallet::NoAuthentication) };
    rule_state_completed =>
        Row { reason: Some((EX1_OFFER, Ineligible::NotActive(PassState::Completed))),
              ..row(foo_pizza_with("completed"), FOO_PIZZA, UiContext::Home, Wallet::NoAuthentication) };
    rule_state_expired =>
        Row { reason: Some((EX1_OFFER, Ineligible::NotActive(PassState::Expired))),
              ..row(foo_pizza_with("expired"), FOO_PIZZA, UiContext::Home, Wallet::NoAuthentication) };
    rule_not_yet_valid =>
        Row { at: ts("2017-12-31T23:59:59Z"), reason: Some((EX1_OFFER, Ineligible::NotYetValid)),
              ..row(foo_pizza(), FOO_PIZZA, UiContext::Home, Wallet::NoAuthentication) };
    rule_valid_from_its_first_millisecond =>
        Row { at: ts("2018-01-01T00:00:00Z"),
              ..row(foo_pizza(), FOO_PIZZA, UiContext::Home, Wallet::Sent(EX1_OFFER)) };
    rule_validity_ended =>
        Row { at: ts("2029-12-31T23:00:00Z"), reason: Some((EX1_OFFER, Ineligible::ValidityEnded)),
              ..row(foo_pizza(), FOO_PIZZA, UiContext::Home, Wallet::NoAuthentication) };
    rule_valid_until_its_last_millisecond =>
        Row { at: ts("2029-12-31T22:59:59.999Z"),
              ..row(foo_pizza(), FOO_PIZZA, UiContext::Home, Wallet::Sent(EX1_OFFER)) };
}

#[test]
fn the_chooser_flow_end_to_end_in_the_engine() {
    // First tap: chooser; the app shows the carousel, the user picks; second tap: the pick.
    let w = coffee();
    w.engine.set_ui_context(UiContext::Home);
    let request = SelectionRequest {
        collector: CollectorId(COFFEE_FOO),
        service_types: vec![0x03],
        now: now(),
    };
    let Selection::ChooserRequired { candidates } = w.engine.select(&request) else {
        panic!("expected the chooser")
    };
    assert_eq!(candidates, [R_BASIC, MY_REWARDS]);
    assert_eq!(w.engine.choose(MY_REWARDS, now().plus_millis(2_000)).unwrap(), 1);
    let retap = SelectionRequest { now: now().plus_millis(4_000), ..request.clone() };
    match w.engine.select(&retap) {
        Selection::Send(p) => assert_eq!(p.object_id, MY_REWARDS),
        other => panic!("expected My Rewards, got {other:?}"),
    }
    // The pick is for Coffee-Foo only: R-Basic's other redeemer is unaffected.
    assert_eq!(w.engine.choose(R_BASIC, now()).unwrap(), 2);
}

//! The reference terminal through `core::router::Router` (the `RouterCard` transport): a
//! stand-in applet registered for both Smart Tap AIDs answers with the vector's recorded
//! answers, so the tap exercises SELECT routing, the shared per-applet state across the two
//! AIDs, and link loss.

mod terminal_support;

use hce_wallet_core::apdu::{Command, Response, StatusWord};
use hce_wallet_core::router::{Applet, Deactivation, Router};
use hce_wallet_harness::card::{Card, RouterCard};
use hce_wallet_harness::terminal::commands::{AID_OSE, AID_SMART_TAP_2};
use hce_wallet_harness::terminal::{Step, TapResult, Terminal};
use terminal_support::*;

/// Answers SELECTs and NEGOTIATE / GET DATA from the vector, by instruction.
struct Replay {
    answers: Vec<Vec<u8>>,
    selected: bool,
}

impl Replay {
    fn answer(&self, i: usize) -> Response {
        Response::parse(&self.answers[i]).unwrap()
    }
}

impl Applet for Replay {
    fn aids(&self) -> &[&'static [u8]] {
        &[AID_OSE, AID_SMART_TAP_2]
    }
    fn select(&mut self, aid: &[u8], _command: &Command<'_>) -> Response {
        self.selected = true;
        self.answer(if aid == AID_OSE { 0 } else { 1 })
    }
    fn process(&mut self, command: &Command<'_>) -> Response {
        match (self.selected, command.ins) {
            (true, 0x53) => self.answer(2),
            (true, 0x50) => self.answer(3),
            _ => Response::status(StatusWord(0x9400)),
        }
    }
    fn deactivate(&mut self, _reason: Deactivation) {
        self.selected = false;
    }
}

#[test]
fn tap_through_the_router() {
    let v = e2e();
    let mut answers: Vec<Vec<u8>> = handshake(&v).into_iter().map(|s| s.respond).collect();
    answers.push(hexv(&v["get_data"]["variants"][0]["response_apdu_hex"]));
    let mut router = Router::new();
    router.register(Box::new(Replay { answers, selected: false }));
    let mut card = RouterCard::new(router);
    let terminal = Terminal::new(vector_config(&v));
    let outcome = terminal.tap(&mut card);
    assert_eq!(outcome.redemption_values(), vec!["2018"], "{:?}", outcome.result);

    // After the phone leaves the field nothing is selected: the router answers 6985.
    card.deactivate();
    assert_eq!(card.transmit(&[0x90, 0x50, 0, 0, 1, 0, 0]).unwrap(), vec![0x69, 0x85]);
    // An unknown AID: the tap ends at SELECT OSE with 6A82.
    let mut empty = RouterCard::new(Router::new());
    let outcome = terminal.tap(&mut empty);
    assert_eq!(
        outcome.result.unwrap(),
        TapResult::Ended { step: Step::SelectOse, sw: StatusWord(0x6A82) }
    );
}

#[test]
fn router_wallet_starts_every_tap_in_a_fresh_field() {
    use hce_wallet_harness::cli::tap::{DemoWallet, RouterWallet};
    let v = e2e();
    let mut answers: Vec<Vec<u8>> = handshake(&v).into_iter().map(|s| s.respond).collect();
    answers.push(hexv(&v["get_data"]["variants"][0]["response_apdu_hex"]));
    let mut router = Router::new();
    router.register(Box::new(Replay { answers, selected: false }));
    let mut chosen = Vec::new();
    let mut wallet = RouterWallet::new(RouterCard::new(router), |c| {
        chosen.push(c);
        Some(format!("pass for {c}"))
    });
    let terminal = Terminal::new(vector_config(&v));
    assert_eq!(terminal.tap(wallet.begin_tap()).redemption_values(), vec!["2018"]);
    // Selected state from the first tap is gone when the next one begins.
    let card = wallet.begin_tap();
    assert_eq!(card.transmit(&[0x90, 0x50, 0, 0, 1, 0, 0]).unwrap(), vec![0x69, 0x85]);
    assert_eq!(wallet.choose(COLLECTOR), Some("pass for 20180608".to_string()));
    drop(wallet);
    assert_eq!(chosen, vec![COLLECTOR]);
}

const COLLECTOR: hce_wallet_core::ports::CollectorId =
    hce_wallet_core::ports::CollectorId(20180608);

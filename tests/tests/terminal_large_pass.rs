//! A large pass read back by the reference terminal through GET MORE DATA chaining
//! (smart-tap spec §6.5, §13a; issue 12): a wallet holding several passes for one
//! collector, each with many text modules and the longest redemption value the importer
//! accepts, the user's pick sent in chained slices, plain and zlib — always within what
//! real readers reassemble (at most 11 answers, 4096 bytes). An answer that would not fit
//! is refused precisely: `9001` with no data for the terminal, `AnswerTooLarge` for the app.

use std::sync::Arc;

use hce_wallet_core::events::WalletEvent;
use hce_wallet_core::pass::model::MAX_REDEMPTION_VALUE_LEN;
use hce_wallet_core::pass::{import_json, Issuer};
use hce_wallet_core::ports::{EventLog, FixedClock, OsRandom, UiContext};
use hce_wallet_core::router::Router;
use hce_wallet_core::selection::SelectionEngine;
use hce_wallet_core::smart_tap::get_data::{MAX_CHAINED_ANSWERS, MAX_CHAINED_BYTES};
use hce_wallet_core::smart_tap::{SmartTapApplet, SmartTapConfig, SmartTapPorts};
use hce_wallet_core::time::Timestamp;
use hce_wallet_harness::card::{Card, CardError, RouterCard};
use hce_wallet_harness::demo::{self, DemoKeyRing, GOOGLE_TEST_COLLECTOR};
use hce_wallet_harness::terminal::commands::PCR_ZLIB;
use hce_wallet_harness::terminal::{Step, TapResult, Terminal, TerminalConfig};

const NOW: Timestamp = Timestamp(1_780_000_000_000);
const ISSUER: u64 = 3_265_320_111_641_956_183;
const PASSES: usize = 3;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A value of the maximum length that zlib cannot shrink much (pseudo-random, JSON-safe).
fn long_value(seed: u64) -> String {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..MAX_REDEMPTION_VALUE_LEN)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            char::from(ALPHABET[usize::try_from(s % 62).unwrap()])
        })
        .collect()
}

/// One class, `PASSES` objects with 40 text modules and a long value each.
fn wallet_json(values: &[String]) -> String {
    let modules: Vec<String> = (0..40)
        .map(|i| format!(r#"{{"id":"m{i}","header":"Benefit {i}","body":"{}"}}"#, "x".repeat(200)))
        .collect();
    let objects: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                r#"{{"id":"{ISSUER}.big-{i}","classId":"{ISSUER}.big","state":"ACTIVE",
                   "smartTapRedemptionValue":"{v}","textModulesData":[{}]}}"#,
                modules.join(",")
            )
        })
        .collect();
    format!(
        r#"{{"payload":{{"loyaltyClasses":[{{"id":"{ISSUER}.big","issuerName":"Big",
             "programName":"Big Rewards","enableSmartTap":true,"redemptionIssuers":["{ISSUER}"],
             "textModulesData":[{}]}}],"loyaltyObjects":[{}]}}}}"#,
        modules.join(","),
        objects.join(",")
    )
}

/// Counts the R-APDUs of each GET DATA / GET MORE DATA and their sizes.
struct Counting {
    inner: RouterCard,
    get_data_answers: usize,
    get_data_bytes: usize,
}

impl Card for Counting {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        let r = self.inner.transmit(apdu)?;
        if apdu.get(..2) == Some(&[0x90, 0x50]) || apdu.get(..2) == Some(&[0x90, 0xC0]) {
            self.get_data_answers += 1;
            self.get_data_bytes += r.len() - 2;
        }
        Ok(r)
    }
}

fn wallet(values: &[String], chunk_size: usize) -> (Counting, Arc<EventLog>) {
    let engine = SelectionEngine::default();
    engine
        .insert_issuer(Issuer {
            id: ISSUER,
            name: "Big".into(),
            collector_ids: vec![GOOGLE_TEST_COLLECTOR],
        })
        .unwrap();
    engine.apply_import(import_json(&wallet_json(values)).unwrap()).unwrap();
    engine.set_ui_context(UiContext::Home);
    // Several passes for this collector: the user picked the second in the chooser.
    engine.choose(&format!("{ISSUER}.big-1"), NOW).unwrap();
    let engine = Arc::new(engine);
    let events = Arc::new(EventLog::default());
    let ports = SmartTapPorts {
        key_ring: Arc::new(DemoKeyRing),
        passes: engine.clone(),
        push: Some(engine),
        events: events.clone(),
        random: Box::new(OsRandom),
        clock: Arc::new(FixedClock(NOW)),
        payment: None,
    };
    let config = SmartTapConfig { chunk_size, ..Default::default() };
    let mut router = Router::new();
    router.register(Box::new(SmartTapApplet::new(ports, config).unwrap()));
    (Counting { inner: RouterCard::new(router), get_data_answers: 0, get_data_bytes: 0 }, events)
}

fn terminal(zlib: bool) -> Terminal {
    let collector = GOOGLE_TEST_COLLECTOR;
    let mut config = TerminalConfig::new(
        collector,
        demo::DEMO_KEY_VERSION,
        demo::signing_key(collector).unwrap(),
    );
    if zlib {
        config.pcr = Some(PCR_ZLIB);
        config.service_types = vec![0x00];
    }
    Terminal::new(config)
}

fn values() -> Vec<String> {
    (0..PASSES as u64).map(long_value).collect()
}

#[test]
fn a_large_pass_is_chained_and_read_back_plain_and_zlib() {
    let values = values();
    for zlib in [false, true] {
        // 40-byte slices: the answer needs many GET MORE DATA, yet fits 11 answers.
        let (mut card, events) = wallet(&values, 40);
        let outcome = terminal(zlib).tap(&mut card);
        assert_eq!(outcome.redemption_values(), vec![values[1].as_str()], "{}", outcome.transcript);
        assert!(card.get_data_answers > 5, "chained: {} answers", card.get_data_answers);
        assert!(card.get_data_answers <= MAX_CHAINED_ANSWERS, "{}", outcome.transcript);
        assert!(card.get_data_bytes <= MAX_CHAINED_BYTES);
        assert!(events.take().contains(&WalletEvent::PassSent {
            collector: GOOGLE_TEST_COLLECTOR,
            object_id: format!("{ISSUER}.big-1")
        }));
        // Default slices (256 bytes, Le 00): one or two answers.
        let (mut card, _) = wallet(&values, 256);
        let outcome = terminal(zlib).tap(&mut card);
        assert_eq!(outcome.redemption_values(), vec![values[1].as_str()]);
        assert!(card.get_data_answers <= 2);
    }
}

#[test]
fn an_answer_that_would_not_fit_is_refused_precisely() {
    let values = values();
    // 24-byte slices: the plain answer would need more than 11 answers.
    let (mut card, events) = wallet(&values, 24);
    let outcome = terminal(false).tap(&mut card);
    match &outcome.result {
        Ok(TapResult::Read { sw, objects }) => {
            assert_eq!(sw.0, 0x9001, "{}", outcome.transcript);
            assert!(objects.is_empty());
        }
        Ok(TapResult::Ended { step, sw }) => {
            assert_eq!((*step, sw.0), (Step::GetData, 0x9001), "{}", outcome.transcript)
        }
        Err(e) => panic!("{e}: {}", outcome.transcript),
    }
    assert_eq!(card.get_data_answers, 1, "no chain was started");
    let events = events.take();
    let too_large = events.iter().find_map(|e| match e {
        WalletEvent::AnswerTooLarge { object_id, bytes, limit, .. } => {
            Some((object_id.clone(), *bytes, *limit))
        }
        _ => None,
    });
    let (object_id, bytes, limit) = too_large.expect("AnswerTooLarge event");
    assert_eq!(object_id, format!("{ISSUER}.big-1"));
    assert_eq!(limit, 24 * MAX_CHAINED_ANSWERS);
    assert!(bytes > limit);
    assert!(!events.iter().any(|e| matches!(e, WalletEvent::PassSent { .. })));
}

//! Interoperability of the two independent implementations: the reference terminal taps
//! the core's Smart Tap applet through the AID router with randomness drawn fresh on both
//! sides, over random passes, collectors, signature S forms, compression, chunk sizes and
//! both SELECT paths; plus the status outcomes and PUSH DATA end to end. Keys are the demo
//! collectors' (`demo.rs`), so this also checks that both halves of each demo key pair fit.

use std::sync::{Arc, Mutex};

use hce_wallet_core::apdu::StatusWord;
use hce_wallet_core::ports::{
    CollectorId, EventLog, FixedClock, OsRandom, PassSource, PassType, PushData, PushListener,
    Selection, SelectionRequest, ServiceStatusUpdate, SmartTapPass, UsageUpdate,
};
use hce_wallet_core::router::Router;
use hce_wallet_core::smart_tap::{SmartTapApplet, SmartTapConfig, SmartTapPorts};
use hce_wallet_core::time::Timestamp;
use hce_wallet_harness::card::RouterCard;
use hce_wallet_harness::demo::{self, DemoKeyRing, DEMO_COLLECTORS};
use hce_wallet_harness::terminal::commands::PCR_ZLIB;
use hce_wallet_harness::terminal::{ObjectKind, SForm, Step, TapResult, Terminal, TerminalConfig};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const NOW: Timestamp = Timestamp(1_780_000_000_000);

/// One fixed answer for every collector that may redeem.
struct Fixed {
    collector: CollectorId,
    selection: Selection,
}

impl PassSource for Fixed {
    fn could_redeem(&self, collector: CollectorId, _now: Timestamp) -> bool {
        collector == self.collector
    }
    fn select(&self, request: &SelectionRequest) -> Selection {
        if request.collector != self.collector {
            return Selection::NothingEligible;
        }
        match &self.selection {
            Selection::Send(p) if !p.pass_type.requested_by(&request.service_types) => {
                Selection::NothingEligible
            }
            other => other.clone(),
        }
    }
}

#[derive(Default)]
struct Pushes(Mutex<Vec<(Option<CollectorId>, PushData)>>);

impl PushListener for Pushes {
    fn on_push(
        &self,
        collector: Option<CollectorId>,
        push: &PushData,
        _now: Timestamp,
    ) -> Result<usize, hce_wallet_core::ports::PushError> {
        self.0.lock().unwrap().push((collector, push.clone()));
        Ok(push.services.len())
    }
}

fn wallet(source: Fixed, config: SmartTapConfig, pushes: Arc<Pushes>) -> RouterCard {
    let ports = SmartTapPorts {
        key_ring: Arc::new(DemoKeyRing),
        passes: Arc::new(source),
        push: Some(pushes),
        events: Arc::new(EventLog::default()),
        random: Box::new(OsRandom),
        clock: Arc::new(FixedClock(NOW)),
        payment: None,
    };
    let applet = SmartTapApplet::new(ports, config).unwrap();
    let mut router = Router::new();
    router.register(Box::new(applet));
    RouterCard::new(router)
}

fn terminal(collector: CollectorId) -> TerminalConfig {
    TerminalConfig::new(collector, demo::DEMO_KEY_VERSION, demo::signing_key(collector).unwrap())
}

fn pass(value: &str, pass_type: PassType, issuer: u64, object_id: &str) -> SmartTapPass {
    SmartTapPass {
        object_id: object_id.into(),
        issuer_id: issuer,
        pass_type,
        redemption_value: Zeroizing::new(value.into()),
    }
}

const TYPES: [(PassType, ObjectKind); 7] = [
    (PassType::Loyalty, ObjectKind::Loyalty),
    (PassType::Offer, ObjectKind::Offer),
    (PassType::GiftCard, ObjectKind::GiftCard),
    (PassType::EventTicket, ObjectKind::EventTicket),
    (PassType::Flight, ObjectKind::Flight),
    (PassType::Transit, ObjectKind::Transit),
    (PassType::Generic, ObjectKind::Generic),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn fresh_taps_interoperate(
        who in 0usize..DEMO_COLLECTORS.len(),
        value in "[ -~]{1,40}",
        kind in 0usize..TYPES.len(),
        issuer in any::<u64>(),
        object_suffix in "[a-zA-Z0-9_.-]{1,30}",
        s_form in prop_oneof![Just(SForm::AsSigned), Just(SForm::Low), Just(SForm::High)],
        zlib in any::<bool>(),
        second_select in any::<bool>(),
        chunk_size in 32usize..=256,
    ) {
        let collector = DEMO_COLLECTORS[who].collector;
        let (pass_type, object_kind) = TYPES[kind];
        let object_id = format!("{issuer}.{object_suffix}");
        let source = Fixed {
            collector,
            selection: Selection::Send(pass(&value, pass_type, issuer, &object_id)),
        };
        let applet_config = SmartTapConfig { chunk_size, ..SmartTapConfig::default() };
        let mut card = wallet(source, applet_config, Arc::default());
        let mut config = terminal(collector);
        config.s_form = s_form;
        config.second_select = second_select;
        if zlib {
            config.pcr = Some(PCR_ZLIB);
            config.service_types = vec![0x00];
        } else {
            config.service_types = vec![pass_type.service_type()];
        }
        let outcome = Terminal::new(config).tap(&mut card);
        let Ok(TapResult::Read { sw, objects }) = &outcome.result else {
            panic!("{:?}\n{}", outcome.result, outcome.transcript)
        };
        prop_assert_eq!(*sw, StatusWord(0x9000));
        prop_assert_eq!(outcome.redemption_values(), vec![value.as_str()]);
        let o = &objects[0];
        prop_assert_eq!(o.kind, object_kind);
        prop_assert_eq!(o.issuer.id_u64(), Some(issuer));
        let digest = Sha256::digest(object_id.as_bytes());
        prop_assert_eq!(o.object_ref.map(|r| r.to_vec()), Some(digest[..8].to_vec()));
        let selects = outcome.transcript.exchanges.iter()
            .filter(|e| e.step == Step::SelectSmartTap).count();
        prop_assert_eq!(selects, usize::from(second_select));
    }
}

#[test]
fn status_outcomes_from_the_applet() {
    let collector = CollectorId(12345678);
    let cases = [
        (Selection::NothingEligible, Ok(StatusWord(0x9001))),
        (Selection::ChooserRequired { candidates: vec!["a".into(), "b".into()] }, Err(0x9302)),
        (Selection::UnlockRequired, Err(0x9300)),
    ];
    for (selection, expected) in cases {
        let mut card =
            wallet(Fixed { collector, selection }, SmartTapConfig::default(), Arc::default());
        let outcome = Terminal::new(terminal(collector)).tap(&mut card);
        match expected {
            Ok(sw) => assert_eq!(outcome.result.unwrap(), TapResult::Read { sw, objects: vec![] }),
            Err(sw) => assert_eq!(
                outcome.result.unwrap(),
                TapResult::Ended { step: Step::GetData, sw: StatusWord(sw) }
            ),
        }
    }
}

#[test]
fn authentication_failures_end_at_negotiate() {
    let collector = CollectorId(18802001);
    let selection = Selection::Send(pass("x", PassType::Loyalty, 2018, "2018.x"));
    // Wrong key version; a key that is not the collector's.
    let mut config = terminal(collector);
    config.key_version = 2;
    let mut wrong_key = terminal(collector);
    wrong_key.signing_key = demo::signing_key(CollectorId(8088)).unwrap();
    for config in [config, wrong_key] {
        let source = Fixed { collector, selection: selection.clone() };
        let mut card = wallet(source, SmartTapConfig::default(), Arc::default());
        let outcome = Terminal::new(config).tap(&mut card);
        assert_eq!(
            outcome.result.unwrap(),
            TapResult::Ended { step: Step::Negotiate, sw: StatusWord(0x9500) }
        );
        assert!(outcome.session.is_none());
    }
}

#[test]
fn pre_signed_tap_when_the_wallet_accepts_it() {
    let collector = CollectorId(8088);
    let selection = Selection::Send(pass("AGG-1", PassType::Offer, 8088, "8088.agg"));
    let accept = SmartTapConfig { accept_pre_signed: true, ..SmartTapConfig::default() };
    let mut config = terminal(collector);
    config.live_auth = false;
    config.service_types = vec![0x00];
    let source = Fixed { collector, selection: selection.clone() };
    let outcome = Terminal::new(config).tap(&mut wallet(source, accept, Arc::default()));
    assert_eq!(outcome.redemption_values(), vec!["AGG-1"], "{:?}", outcome.result);
    assert_eq!(outcome.transcript.exchanges[2].sw(), Some(StatusWord(0x9002)));
}

#[test]
fn push_reaches_the_wallet_in_the_same_session() {
    let collector = demo::GOOGLE_TEST_COLLECTOR;
    let object_id = "3265320111641956183.0619_googleDemoTest-obj01";
    let selection =
        Selection::Send(pass("2018", PassType::Loyalty, 3265320111641956183, object_id));
    let pushes = Arc::new(Pushes::default());
    let mut card =
        wallet(Fixed { collector, selection }, SmartTapConfig::default(), pushes.clone());
    let terminal = Terminal::new(terminal(collector));
    let mut outcome = terminal.tap(&mut card);
    assert_eq!(outcome.redemption_values(), vec!["2018"]);
    let Ok(TapResult::Read { objects, .. }) = &outcome.result else { unreachable!() };
    let push = PushData {
        services: vec![ServiceStatusUpdate {
            object_ref: objects[0].object_ref.unwrap(),
            usage: Some(UsageUpdate {
                status: 1,
                title: Some("Redeemed".into()),
                description: Some("at the till".into()),
            }),
            operation: Some((0x02, vec![0x00, 0x64])),
        }],
        ..PushData::default()
    };
    let sw = terminal.push(&mut card, &mut outcome, &push).unwrap();
    assert_eq!(sw, StatusWord(0x9000), "{}", outcome.transcript);
    let got = pushes.0.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, Some(collector));
    assert_eq!(got[0].1.services, push.services);
}

//! A host logger that panics mid-tap (a Kotlin `LogSink` that throws, issue 12): the tap
//! still ends with a status word, the authenticated session is gone, and no panic
//! reaches the host — not even the router's own log line about the panic. One test per
//! binary: it installs the process-wide logger.

mod smart_tap_support;

use std::sync::atomic::{AtomicBool, Ordering};

use hce_wallet_core::events::WalletEvent;
use hce_wallet_core::smart_tap::SmartTapConfig;
use log::{LevelFilter, Log, Metadata, Record};
use smart_tap_support::*;

static THROWING: AtomicBool = AtomicBool::new(false);

struct Throwing;
impl Log for Throwing {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &Record<'_>) {
        if THROWING.load(Ordering::SeqCst) {
            panic!("log sink failed on: {}", record.args());
        }
    }
    fn flush(&self) {}
}
static LOGGER: Throwing = Throwing;

const OSE: &str = "00a404000a4f53452e5641532e303100";

#[test]
fn a_panicking_logger_ends_the_tap_with_a_status_word_and_no_session() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(LevelFilter::Trace);
    let v = e2e();
    let mut rig = Rig::vector(SmartTapConfig::default());
    let ose = hex::decode(OSE).unwrap();
    assert!(rig.router.process(&ose).ends_with(&[0x90, 0x00]));
    rig.events();

    // NEGOTIATE verifies, stores the session, then logs "authenticated": the logger
    // panics there, and again on the router's own "applet panicked" line.
    THROWING.store(true, Ordering::SeqCst);
    let answer = rig.router.process(&hx(&v, "/steps/2/command_hex"));
    assert_eq!(answer, vec![0x6F, 0x00]);
    // The reset ran: the applet was deactivated (the event sink heard it) and nothing is
    // selected any more.
    assert!(rig.events().contains(&WalletEvent::Deactivated));
    let get_data = hx(&v, "/get_data/variants/0/command_hex");
    assert_eq!(rig.router.process(&get_data), vec![0x69, 0x85]);

    // With a quiet logger again: a new SELECT finds no authenticated session.
    THROWING.store(false, Ordering::SeqCst);
    assert!(rig.router.process(&ose).ends_with(&[0x90, 0x00]));
    assert_eq!(rig.router.process(&get_data), vec![0x90, 0x01]);
}

//! What the core logs during a tap (issue 12): no redemption value or session key at any
//! level, and no pass object ID at info level or above — object IDs can carry member
//! numbers (`1990.foo-member-7731`); they go to the app in events, and to the log at
//! debug level only. One test per binary: it installs the process-wide logger.

mod smart_tap_support;

use std::sync::Mutex;

use hce_wallet_core::smart_tap::SmartTapConfig;
use log::{Level, LevelFilter, Log, Metadata, Record};
use smart_tap_support::*;

static LINES: Mutex<Vec<(Level, String)>> = Mutex::new(Vec::new());

struct Capture;
impl Log for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &Record<'_>) {
        LINES.lock().unwrap().push((record.level(), record.args().to_string()));
    }
    fn flush(&self) {}
}
static CAPTURE: Capture = Capture;

const OSE: &str = "00a404000a4f53452e5641532e303100";
const ST2: &str = "00a4040009a000000476d000011100";

#[test]
fn a_tap_logs_no_object_id_at_info_and_no_secret_at_all() {
    log::set_logger(&CAPTURE).unwrap();
    log::set_max_level(LevelFilter::Trace);
    let v = e2e();
    let object_id = demo_pass().object_id;
    let mut pass = demo_pass();
    pass.redemption_value = zeroize::Zeroizing::new("RV-log-7f3a91c2".into());
    let random = ScriptedRandom::default();
    random.push(hx(&v, "/handset/nonce_hex"));
    random.push(hx(&v, "/handset/ephemeral_private_key_hex"));
    let passes = TestPasses { passes: vec![(COLLECTOR, pass)], ..Default::default() };
    let mut rig = Rig::build(SmartTapConfig::default(), random, passes, vector_key_ring());
    for cmd in [hex::decode(OSE).unwrap(), hex::decode(ST2).unwrap()] {
        assert_eq!(rig.send(&cmd).1, 0x9000);
    }
    assert_eq!(rig.send(&hx(&v, "/steps/2/command_hex")).1, 0x9000);
    assert_eq!(rig.send(&hx(&v, "/get_data/variants/0/command_hex")).1, 0x9000);
    // A refused NEGOTIATE and a malformed command log too.
    let flipped = hx(&load_json("negative.json"), "/negotiate/4/command_hex");
    assert_eq!(rig.send(&flipped).1, 0x9500);
    assert_eq!(rig.send(&hex::decode("905300000354000000").unwrap()).1, 0x9402);

    let lines = LINES.lock().unwrap().clone();
    assert!(lines.iter().any(|(l, _)| *l == Level::Info), "the tap logged at info: {lines:?}");
    let suffix = object_id.split_once('.').unwrap().1;
    for (level, message) in &lines {
        if *level <= Level::Info {
            assert!(!message.contains(suffix), "object ID at {level}: {message}");
        }
    }
    assert!(
        lines.iter().any(|(l, m)| *l == Level::Debug && m.contains(&object_id)),
        "the object ID is still there for debugging: {lines:?}"
    );
    let (enc, mac) = vector_keys();
    let secrets = [
        "RV-log-7f3a91c2".to_owned(),
        hex::encode(enc),
        hex::encode(mac),
        text(&v, "/handset/ephemeral_private_key_hex"),
    ];
    for (level, message) in &lines {
        for secret in &secrets {
            assert!(!message.contains(secret.as_str()), "secret at {level}: {message}");
        }
    }
}

//! `hcectl tap`: the binary replays the vector tap from its `.apdu` file and prints the
//! annotated transcript and "2018"; the demo loop taps every demo collector and handles the
//! chooser (`9302` → choose → tap again) through the `DemoWallet` seam.

mod terminal_support;

use std::process::Command;

use hce_wallet_core::ports::CollectorId;
use hce_wallet_harness::card::{Card, ScriptStep, ScriptedCard};
use hce_wallet_harness::cli::tap::{run_demo, DemoWallet, TapArgs};
use hce_wallet_harness::demo;
use serde_json::Value;
use terminal_support::*;

fn vector_args(v: &Value) -> Vec<String> {
    vec![
        "--session-id".into(),
        v["terminal"]["session_id_hex"].as_str().unwrap().into(),
        "--terminal-nonce".into(),
        v["terminal"]["nonce_hex"].as_str().unwrap().into(),
        "--terminal-ephemeral".into(),
        v["terminal"]["ephemeral_private_key_hex"].as_str().unwrap().into(),
    ]
}

#[test]
fn hcectl_tap_replays_the_vector_script() {
    let v = e2e();
    let script = vectors_dir().join("e2e-loyalty-2018.apdu");
    let key = vectors_dir().join("collector-20180608-v1.private.test-only.pem");
    let out = Command::new(env!("CARGO_BIN_EXE_hcectl"))
        .args(["tap", "--collector", "20180608", "--key-version", "1", "--key"])
        .arg(&key)
        .arg("--replay")
        .arg(&script)
        .args(vector_args(&v))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for expected in [
        "[1] SELECT OSE.VAS.01",
        "wallet \"AndroidPay\"",
        "[3] NEGOTIATE SECURE SMART TAP SESSION",
        "session 063f5d538c2bb828 sequence 01",
        "collector 20180608 (0133ee80), key version 1, live authentication",
        "SW 9000: success",
        "HMAC verified; decrypted",
        "RESULT: ly pass of issuer 3265320111641956183: smartTapRedemptionValue = 2018",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in\n{stdout}");
    }
}

#[test]
fn hcectl_tap_fails_cleanly_on_a_mismatching_script() {
    // Fresh randomness: the NEGOTIATE command cannot match the recording.
    let script = vectors_dir().join("e2e-loyalty-2018.apdu");
    let out = Command::new(env!("CARGO_BIN_EXE_hcectl"))
        .args(["tap", "--replay"])
        .arg(&script)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAILED: NEGOTIATE SECURE SMART TAP SESSION: script step 2"),
        "{stdout}"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_hcectl"))
        .args(["tap", "--collector", "99", "--replay"])
        .arg(&script)
        .output()
        .unwrap();
    // A usage error: no tap is attempted (hcectl's own exit code for usage errors).
    assert!(!bad.status.success());
    assert!(bad.stdout.is_empty());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a demo collector"));
}

/// A demo wallet double: the vector's handset answers, the vector pass for 20180608, and
/// for every other collector a chooser on the first tap and "nothing" after the choice.
struct FakeWallet {
    v: Value,
    card: ScriptedCard,
    /// Index into the demo collectors of the collector being tapped.
    at: usize,
    awaiting_retap: bool,
    taps: Vec<CollectorId>,
}

impl DemoWallet for FakeWallet {
    fn begin_tap(&mut self) -> &mut dyn Card {
        let current = demo::DEMO_COLLECTORS[self.at.min(3)].collector;
        let answer = if current == demo::GOOGLE_TEST_COLLECTOR {
            self.at += 1;
            hexv(&self.v["get_data"]["variants"][0]["response_apdu_hex"])
        } else if self.awaiting_retap {
            self.awaiting_retap = false;
            self.at += 1;
            vec![0x90, 0x01]
        } else {
            vec![0x93, 0x02]
        };
        let mut steps = handshake(&self.v);
        steps.push(ScriptStep { expect: None, respond: answer });
        for s in &mut steps {
            s.expect = None;
        }
        self.taps.push(current);
        self.card = ScriptedCard::new(steps);
        &mut self.card
    }
    fn choose(&mut self, collector: CollectorId) -> Option<String> {
        assert_eq!(collector, demo::DEMO_COLLECTORS[self.at].collector);
        self.awaiting_retap = true;
        Some(format!("the pass for {collector}"))
    }
}

#[test]
fn demo_loop_taps_every_collector_and_handles_the_chooser() {
    let v = e2e();
    let mut args = TapArgs { demo: true, key_version: 1, ..TapArgs::default() };
    let inject = vector_args(&v);
    args.session_id = Some(inject[1].clone());
    args.terminal_nonce = Some(inject[3].clone());
    args.terminal_ephemeral = Some(inject[5].clone());
    let mut wallet = FakeWallet {
        v: v.clone(),
        card: ScriptedCard::default(),
        at: 0,
        awaiting_retap: false,
        taps: vec![],
    };
    let mut out = Vec::new();
    let status = run_demo(&args, &mut wallet, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(status, 0, "{text}");
    for c in &demo::DEMO_COLLECTORS {
        assert!(text.contains(&format!("=== {} (collector {}", c.name, c.collector)), "{text}");
    }
    assert!(text.contains("smartTapRedemptionValue = 2018"), "{text}");
    assert_eq!(text.matches("SW 9302 (user action: choose a pass and tap again)").count(), 3);
    assert_eq!(text.matches("--- the user picks the pass for").count(), 3);
    assert_eq!(wallet.taps.len(), 7, "{:?}", wallet.taps);
}

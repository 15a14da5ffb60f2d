//! `hcectl nfc` and the NFC APDU script as a user runs them: the door opens with the pass's
//! key, a wrong key gets a status word and no file byte, `show` prints key IDs, not values.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

const KEY1: &str = "2B7E151628AED2A6ABF7158809CF4F3C";
const CREDENTIAL: &str = "444F4F522D4B45592D3030303100A5C3";

fn hcectl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hcectl")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn script_runs_in_process() {
    let out = hcectl(&["run", concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/nfc-door.apdu")]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("18 exchanges, 18 matched, 0 failed"));
}

#[test]
fn reader_opens_the_door_with_the_key_only() {
    let out = hcectl(&["nfc", "read", "--key", KEY1]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains(&format!("file 0101: {CREDENTIAL}")), "{stdout}");
    assert!(
        stdout.contains("event nfc.used campus-door-0001") && stdout.contains("authenticated=true")
    );

    let out = hcectl(&["nfc", "read", "--key", &KEY1.replace("3C", "3D")]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("SW 63C2") && stdout.contains("nfc.auth_failed"), "{stdout}");
    assert!(!stdout.contains(CREDENTIAL) && !stdout.contains("file 0101:"));
}

#[test]
fn show_names_keys_without_values() {
    let out = hcectl(&["nfc", "show"]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("key 1 AES-128, 3/3 tries left"), "{stdout}");
    assert!(stdout.contains("key 2 TDES-2KEY"), "{stdout}");
    assert!(stdout.contains("file 0101"), "{stdout}");
    assert!(!stdout.contains(KEY1) && !stdout.contains("0123456789ABCDEF"));
    assert!(!stdout.contains(CREDENTIAL));
}

#[test]
fn store_keeps_passes_counters_and_the_use_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("w.redb");
    let store = store.to_str().unwrap();
    let key = "11".repeat(32);
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hcectl"))
            .args(args)
            .env("HCE_WALLET_KEY", &key)
            .output()
            .unwrap()
    };
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/data/nfc-door-key.json");
    assert_eq!(run(&["nfc", "import", "--store", store, fixture]).status.code(), Some(0));
    let wrong = run(&["nfc", "read", "--store", store, "--key", &"00".repeat(16)]);
    assert_eq!(wrong.status.code(), Some(1));
    let shown = text(&run(&["nfc", "show", "--store", store]).stdout);
    assert!(shown.contains("key 1 AES-128, 2/3 tries left"), "{shown}");
    let right = run(&["nfc", "read", "--store", store, "--key", KEY1]);
    assert!(text(&right.stdout).contains(&format!("file 0101: {CREDENTIAL}")));
    let shown = text(&run(&["nfc", "show", "--store", store]).stdout);
    assert!(shown.contains("key 1 AES-128, 3/3 tries left"), "{shown}");
    assert!(shown.contains("use log (3 event(s)"), "{shown}");
    assert!(shown.contains("nfc.auth_failed campus-door-0001 key 1: 2 tries left"), "{shown}");
    assert!(shown.contains("read [0101] written [] authenticated=true"), "{shown}");
    assert!(!shown.contains(CREDENTIAL) && !shown.contains(KEY1));
}

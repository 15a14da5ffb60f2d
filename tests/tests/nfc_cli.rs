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

#[test]
fn huawei_json_and_signed_packages_import_tampered_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let key = "22".repeat(32);
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hcectl"))
            .args(args)
            .env("HCE_WALLET_KEY", &key)
            .output()
            .unwrap()
    };
    let json = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/fixtures/nfc/huawei-door.json");
    let out =
        run(&["keys", "new-root", "--out", &p("issuer.pem"), "--public", &p("issuer.pub.pem")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&["nfc", "sign", "--key", &p("issuer.pem"), "--out", &p("pkg.cose"), json]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Tampered: one byte of the payload (the key) changed.
    let mut bytes = std::fs::read(p("pkg.cose")).unwrap();
    let at = bytes.windows(6).position(|w| w == b"000102").unwrap();
    bytes[at] = b'1';
    std::fs::write(p("tampered.cose"), &bytes).unwrap();
    let store = p("w.redb");
    let import = |file: &str| {
        run(&["nfc", "import", "--store", &store, "--issuer-key", &p("issuer.pub.pem"), file])
    };
    let refused = import(&p("tampered.cose"));
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stdout).contains("signature does not verify"),
        "{}",
        text(&refused.stdout)
    );
    let shown = text(&run(&["nfc", "show", "--store", &store]).stdout);
    assert!(!shown.contains("pass "), "{shown}");
    let ok = import(&p("pkg.cose"));
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stdout));
    assert!(text(&ok.stdout).contains("imported hw-campus-door-0042 (AID F04857444F4F5231)"));
    // The plain JSON with --huawei, into another store; the reader opens the door.
    let store2 = p("w2.redb");
    assert_eq!(
        run(&["nfc", "import", "--store", &store2, "--huawei", json]).status.code(),
        Some(0)
    );
    let read = run(&[
        "nfc",
        "read",
        "--store",
        &store2,
        "--aid",
        "F04857444F4F5231",
        "--key",
        "000102030405060708090A0B0C0D0E0F",
    ]);
    assert!(
        text(&read.stdout).contains("file 0101: 4C41422D444F4F522D343200"),
        "{}",
        text(&read.stdout)
    );
}

//! `hcectl wallet --store PATH`: import, list, show, remove and events on a real store file,
//! through the binary; the store is then read back through the library.

use std::process::Command;

fn hcectl(args: &[&str], key_file: &std::path::Path, store: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hcectl"))
        .arg("wallet")
        .arg("--store")
        .arg(store)
        .arg("--key-file")
        .arg(key_file)
        .args(args)
        .env_remove("HCE_WALLET_KEY")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn import_list_show_remove_events() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("wallet.redb");
    let key = dir.path().join("root.key");
    std::fs::write(&key, "7e".repeat(32)).unwrap();
    let passes = dir.path().join("demo.json");
    std::fs::write(&passes, hce_wallet_harness::demo_wallet::DEMO_PASSES_JSON).unwrap();

    let (code, text) = hcectl(&["import", passes.to_str().unwrap()], &key, &store);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("imported 3 pass objects"), "{text}");

    let (code, text) = hcectl(&["list"], &key, &store);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("3 passes"), "{text}");
    assert!(text.contains("1990.foo-member-7731") && text.contains("8088.deal-42"), "{text}");

    let (code, text) = hcectl(&["show", "1990.foo-member-7731"], &key, &store);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("issuer      1990") && text.contains("value       present"), "{text}");
    assert!(!text.contains("FOO-7731"), "the redemption value must not be printed: {text}");

    let (code, text) = hcectl(&["remove", "8088.deal-42"], &key, &store);
    assert_eq!((code, text.trim()), (0, "removed 8088.deal-42"));
    let (code, _) = hcectl(&["remove", "8088.deal-42"], &key, &store);
    assert_eq!(code, 1, "removing twice reports the missing pass");

    let (code, text) = hcectl(&["events"], &key, &store);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("import") && text.contains("3 objects"), "{text}");

    // Bad JSON is refused with its path and nothing lands.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"loyaltyObjects":[{"id":"1.x","classId":7}]}"#).unwrap();
    let (code, text) = hcectl(&["import", bad.to_str().unwrap()], &key, &store);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("classId"), "{text}");

    // A wrong key is refused, not treated as corrupt.
    let wrong = dir.path().join("wrong.key");
    std::fs::write(&wrong, "11".repeat(32)).unwrap();
    let (code, text) = hcectl(&["list"], &wrong, &store);
    assert_ne!(code, 0, "{text}");
    assert!(text.to_lowercase().contains("key"), "{text}");

    // The library sees what the CLI wrote.
    let s = hce_wallet_store::Store::open(
        &store,
        &hce_wallet_store::RootKey::from_hex(&"7e".repeat(32)).unwrap(),
    )
    .unwrap();
    assert_eq!(s.pass_count().unwrap(), 2);
}

/// `hcectl` with any arguments and no `HCE_WALLET_KEY`: (exit code, stdout + stderr).
fn hcectl_raw(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hcectl"))
        .args(args)
        .env_remove("HCE_WALLET_KEY")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// Issue 12: every input error names the flag (or subcommand argument) and the form it
/// expects — a raw binary key file is not "stream did not contain valid UTF-8".
#[test]
fn input_errors_name_the_flag_and_the_expected_form() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("wallet.redb");

    let binary = dir.path().join("root.bin");
    std::fs::write(&binary, [0xFFu8, 0x00, 0x9C, 0x81].repeat(8)).unwrap();
    let (code, text) = hcectl(&["list"], &binary, &store);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("--key-file") && text.contains("expected 64 hex digits"), "{text}");
    assert!(!text.contains("UTF-8"), "{text}");

    let short = dir.path().join("short.key");
    std::fs::write(&short, "abcd").unwrap();
    let (code, text) = hcectl(&["list"], &short, &store);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("--key-file") && text.contains("64 hex digits"), "{text}");

    let missing = dir.path().join("nope.key");
    let (code, text) = hcectl(&["list"], &missing, &store);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("--key-file") && text.contains("64 hex digits"), "{text}");

    let (code, text) =
        hcectl_raw(&["wallet".as_ref(), "--store".as_ref(), store.as_os_str(), "list".as_ref()]);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("HCE_WALLET_KEY") && text.contains("--key-file"), "{text}");

    let key = dir.path().join("root.key");
    std::fs::write(&key, "7e".repeat(32)).unwrap();
    let absent = dir.path().join("absent.json");
    let (code, text) = hcectl(&["import", absent.to_str().unwrap()], &key, &store);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("import") && text.contains("absent.json"), "{text}");
    assert!(text.contains("JSON or JWT"), "{text}");

    let (code, text) = hcectl_raw(&["tap".as_ref(), "--session-id".as_ref(), "zz".as_ref()]);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("--session-id") && text.contains("16 hex digits"), "{text}");
    let (code, text) = hcectl_raw(&["tap".as_ref(), "--session-id".as_ref(), "0102".as_ref()]);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("--session-id") && text.contains("16 hex digits"), "{text}");

    let (code, text) = hcectl_raw(&["tap".as_ref(), "--key".as_ref(), missing.as_os_str()]);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("--key") && text.contains("nope.key"), "{text}");
    let (code, text) = hcectl_raw(&["tap".as_ref(), "--key".as_ref(), key.as_os_str()]);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("--key") && text.contains("PEM"), "{text}");

    let (code, text) = hcectl_raw(&["tap".as_ref(), "--service-type".as_ref(), "zz".as_ref()]);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("--service-type") && text.contains("hex byte"), "{text}");
}

/// Issue 12: `import --type` takes the bare REST bodies issuers keep (no `kind`).
#[test]
fn import_takes_bare_rest_resources_with_type() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("wallet.redb");
    let key = dir.path().join("root.key");
    std::fs::write(&key, "7e".repeat(32)).unwrap();
    let good = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/fixtures/passes/good/");
    let class = format!("{good}loyalty-class-rest-bare.json");
    let object = format!("{good}loyalty-object-rest-bare.json");

    // Without --type a bare body cannot be told apart.
    let (code, text) = hcectl(&["import", &class], &key, &store);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("import") && text.contains("kind"), "{text}");
    let (code, text) = hcectl(&["import", "--type", "loyaltyThing", &class], &key, &store);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("--type loyaltyThing") && text.contains("loyaltyClass"), "{text}");

    let (code, text) = hcectl(&["import", "--type", "loyaltyClass", &class], &key, &store);
    assert_eq!(code, 0, "{text}");
    let (code, text) = hcectl(&["import", "--type", "LoyaltyObject", &object], &key, &store);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("imported 1 pass objects"), "{text}");
    let (code, text) = hcectl(&["show", "3265320111641956183.bare-rest-object"], &key, &store);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("class       3265320111641956183.bare-rest-class"), "{text}");
    assert!(text.contains("type        Loyalty") && text.contains("value       present"), "{text}");
    assert!(!text.contains("BARE-42"), "{text}");
    // The `kind` form still works without --type.
    let with_kind = format!("{good}loyalty-class-rest.json");
    let (code, text) = hcectl(&["import", &with_kind], &key, &store);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn rekey_swaps_in_a_fresh_file_under_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("wallet.redb");
    let (old, new) = (dir.path().join("old.key"), dir.path().join("new.key"));
    std::fs::write(&old, "7e".repeat(32)).unwrap();
    std::fs::write(&new, "5a".repeat(32)).unwrap();
    let passes = dir.path().join("demo.json");
    std::fs::write(&passes, hce_wallet_harness::demo_wallet::DEMO_PASSES_JSON).unwrap();
    assert_eq!(hcectl(&["import", passes.to_str().unwrap()], &old, &store).0, 0);
    let (code, text) = hcectl(&["rekey", "--new-key-file", new.to_str().unwrap()], &old, &store);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("rekeyed") && text.contains("fresh file"), "{text}");
    let (code, text) = hcectl(&["list"], &old, &store);
    assert_ne!(code, 0, "the old key still opens the store: {text}");
    let (code, text) = hcectl(&["list"], &new, &store);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("3 passes"), "{text}");
    let (code, text) = hcectl(&["rekey", "--new-key-file", "missing.key"], &new, &store);
    assert_ne!(code, 0);
    assert!(text.contains("--new-key-file"), "{text}");
}

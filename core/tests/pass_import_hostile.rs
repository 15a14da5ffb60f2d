//! Malformed and hostile pass JSON: every document gets a precise error naming the JSON
//! path, and nothing is imported (an import is all or nothing, and a failed import leaves
//! the engine untouched).
//!
//! `tests/fixtures/passes/hostile/cases.json` lists each file with the exact message it
//! must produce; the size-based cases (huge strings, deep nesting, too many items) are
//! generated here.

use hce_wallet_core::pass::{import_json, ImportError};
use hce_wallet_core::selection::SelectionEngine;

const HOSTILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/passes/hostile/");

#[derive(serde::Deserialize)]
struct Case {
    file: String,
    error: String,
}

#[test]
fn every_corpus_file_fails_with_its_message() {
    let cases: Vec<Case> =
        serde_json::from_str(&std::fs::read_to_string(format!("{HOSTILE}cases.json")).unwrap())
            .unwrap();
    assert!(cases.len() >= 40);
    let mut wrong = Vec::new();
    for case in &cases {
        let text = std::fs::read_to_string(format!("{HOSTILE}{}", case.file)).unwrap();
        match import_json(&text) {
            Ok(batch) => wrong.push(format!("{}: imported {batch:?}", case.file)),
            Err(e) if e.to_string() != case.error => {
                wrong.push(format!("{}: got {:?}, want {:?}", case.file, e.to_string(), case.error))
            }
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_corpus_file_is_listed() {
    let cases = std::fs::read_to_string(format!("{HOSTILE}cases.json")).unwrap();
    for entry in std::fs::read_dir(HOSTILE).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name != "cases.json" {
            assert!(cases.contains(&format!("\"{name}\"")), "{name} is not in cases.json");
        }
    }
}

fn object_with(field: &str, value: &str) -> String {
    format!(r#"{{"loyaltyObjects":[{{"id":"1.o","classId":"1.c","{field}":{value}}}]}}"#)
}

#[test]
fn huge_strings_are_refused_with_their_length() {
    let long = |n: usize| format!("\"{}\"", "A".repeat(n));
    let err = import_json(&object_with("smartTapRedemptionValue", &long(257))).unwrap_err();
    assert_eq!(
        err,
        ImportError::TooLong {
            path: "loyaltyObjects[0].smartTapRedemptionValue".into(),
            len: 257,
            max: 256
        }
    );
    assert!(import_json(&object_with("smartTapRedemptionValue", &long(256))).is_ok());
    let err = import_json(&object_with("accountName", &long(100_000))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "loyaltyObjects[0].accountName: 100000 bytes, more than the 1024 accepted"
    );
    let id = format!(r#"{{"offerClasses":[{{"id":"1.{}"}}]}}"#, "x".repeat(300));
    assert_eq!(
        import_json(&id).unwrap_err().to_string(),
        "offerClasses[0].id: 302 bytes, more than the 255 accepted"
    );
}

#[test]
fn a_document_over_one_mebibyte_is_refused_before_parsing() {
    let pad = "x".repeat(1 << 20);
    let text = format!(r#"{{"loyaltyObjects":[],"pad":"{pad}"}}"#);
    assert!(matches!(import_json(&text), Err(ImportError::TooLarge { .. })));
}

#[test]
fn deep_nesting_is_refused_even_in_unknown_fields() {
    for depth in [33, 1_000, 100_000] {
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let err = import_json(&object_with("unknownField", &deep)).unwrap_err();
        assert!(matches!(err, ImportError::TooDeep { max: 32, .. }), "{depth}: {err}");
    }
    let ok = format!("{}{}", "[".repeat(20), "]".repeat(20));
    assert!(import_json(&object_with("unknownField", &ok)).is_ok());
    let objects = format!("{}1{}", "{\"a\":".repeat(5_000), "}".repeat(5_000));
    assert!(matches!(import_json(&object_with("x", &objects)), Err(ImportError::TooDeep { .. })));
}

#[test]
fn too_many_items_are_refused() {
    let objects: Vec<String> =
        (0..1001).map(|i| format!(r#"{{"id":"1.o{i}","classId":"1.c"}}"#)).collect();
    let text = format!(r#"{{"loyaltyObjects":[{}]}}"#, objects.join(","));
    assert_eq!(
        import_json(&text).unwrap_err().to_string(),
        "loyaltyObjects: 1001 items, more than the 1000 accepted"
    );
    // The cap is on the whole payload, across sections.
    let classes: Vec<String> = (0..600).map(|i| format!(r#"{{"id":"1.c{i}"}}"#)).collect();
    let text = format!(
        r#"{{"loyaltyClasses":[{}],"loyaltyObjects":[{}]}}"#,
        classes.join(","),
        objects[..600].join(",")
    );
    assert_eq!(
        import_json(&text).unwrap_err().to_string(),
        "loyaltyObjects: 600 items, more than the 400 accepted"
    );
    let issuers: Vec<String> = (1..=65).map(|i| format!("\"{i}\"")).collect();
    let text = format!(
        r#"{{"loyaltyClasses":[{{"id":"1.c","redemptionIssuers":[{}]}}]}}"#,
        issuers.join(",")
    );
    assert_eq!(
        import_json(&text).unwrap_err().to_string(),
        "loyaltyClasses[0].redemptionIssuers: 65 items, more than the 64 accepted"
    );
}

#[test]
fn errors_never_echo_the_redemption_value() {
    for value in [
        "\"SECRET\u{e9}VALUE\"",
        "\"SECRET\\u0001VALUE\"",
        &format!("\"SECRET{}\"", "V".repeat(300)),
    ] {
        let err = import_json(&object_with("smartTapRedemptionValue", value)).unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
        assert!(!format!("{err:?}").contains("SECRET"), "{err:?}");
    }
}

#[test]
fn a_bad_document_after_a_good_one_leaves_the_engine_as_it_was() {
    let engine = SelectionEngine::default();
    let good = r#"{"loyaltyClasses":[{"id":"1.c","enableSmartTap":true,"redemptionIssuers":["2"]}],
                  "loyaltyObjects":[{"id":"1.o","classId":"1.c","smartTapRedemptionValue":"v"}]}"#;
    engine.apply_import(import_json(good).unwrap()).unwrap();
    let before = engine.snapshot();
    // The first object is fine, the second is not: neither is imported.
    let bad = r#"{"loyaltyObjects":[{"id":"1.new","classId":"1.c"},
                  {"id":"1.o","classId":"1.c","state":"BROKEN"}]}"#;
    assert!(import_json(bad).is_err());
    assert_eq!(engine.snapshot(), before);
}

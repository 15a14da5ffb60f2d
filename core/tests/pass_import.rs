//! Import of well-formed Google Wallet JSON (fixtures under `tests/fixtures/passes/good`):
//! every vertical, every accepted document form, field by field.

use hce_wallet_core::pass::{
    import_json, import_json_as, import_jwt, import_resource, parse_date_time, BalanceValue,
    DateTimeBound, ImportBatch, Money, PassState, ResourceKind,
};
use hce_wallet_core::ports::PassType;

const GOOD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/passes/good/");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{GOOD}{name}")).unwrap()
}

fn all_verticals() -> ImportBatch {
    import_json(&fixture("all-verticals.json")).unwrap()
}

#[test]
fn every_vertical_is_imported_with_its_type() {
    let b = all_verticals();
    let class_types: Vec<PassType> = b.classes.iter().map(|c| c.pass_type).collect();
    let object_types: Vec<PassType> = b.objects.iter().map(|o| o.pass_type).collect();
    assert_eq!(class_types, PassType::ALL);
    assert_eq!(object_types, PassType::ALL);
}

#[test]
fn class_fields() {
    let b = all_verticals();
    let loyalty = &b.classes[0];
    assert_eq!(loyalty.id, "3388000000012345678.coffee-club");
    assert_eq!(loyalty.issuer_id, 3_388_000_000_012_345_678);
    assert!(loyalty.enable_smart_tap);
    assert_eq!(loyalty.redemption_issuers, [3_388_000_000_012_345_678, 3_388_000_000_087_654_321]);
    assert_eq!(loyalty.display.title.as_deref(), Some("Coffee Club"));
    assert_eq!(loyalty.display.issuer_name.as_deref(), Some("Coffee Club Inc."));
    assert_eq!(loyalty.display.hex_background_color.as_deref(), Some("#112233"));
    assert_eq!(loyalty.display.logo_uri.as_deref(), Some("https://example.invalid/logo.png"));
    let titles: Vec<Option<&str>> = b.classes.iter().map(|c| c.display.title.as_deref()).collect();
    assert_eq!(
        titles,
        [
            Some("Coffee Club"),
            Some("Coffee Club"),
            Some("Free refill"),
            Some("The Concert"),
            Some("LX 318"),
            Some("City Metro"),
            None
        ]
    );
    // enableSmartTap defaults to false, redemptionIssuers to none.
    assert!(!b.classes[2].enable_smart_tap && b.classes[2].redemption_issuers.is_empty());
    assert!(!b.classes[5].enable_smart_tap);
    // A generic class's issuers may be JSON numbers.
    assert_eq!(b.classes[6].redemption_issuers, [3_388_000_000_012_345_678]);
}

#[test]
fn object_fields() {
    let b = all_verticals();
    let ly = &b.objects[0];
    assert_eq!(ly.class_id, "3388000000012345678.coffee-club");
    assert_eq!(ly.state, PassState::Active);
    assert_eq!(ly.smart_tap_redemption_value.as_ref().unwrap().expose().as_str(), "1234-5678");
    let bc = ly.barcode.as_ref().unwrap();
    assert_eq!((bc.kind.as_deref(), bc.value.as_str()), (Some("QR_CODE"), "1234-5678"));
    assert_eq!(bc.alternate_text.as_deref(), Some("1234 5678"));
    let bal = ly.balance.as_ref().unwrap();
    assert_eq!(bal.label.as_deref(), Some("Points"));
    assert_eq!(
        bal.value,
        BalanceValue::Money(Money { micros: 12_500_000, currency_code: Some("EUR".into()) })
    );
    assert_eq!(ly.display.subtitle.as_deref(), Some("Alex Doe"));
    assert_eq!(ly.display.reference.as_deref(), Some("1234 5678"));
    // Offset-less validity: local wall-clock times.
    let start = parse_date_time("2024-01-01T00:00:00").unwrap();
    assert!(matches!(start, DateTimeBound::Local { .. }));
    assert_eq!(ly.valid_time_interval.start, Some(start));

    let gc = &b.objects[1];
    assert_eq!(gc.state, PassState::Active, "legacy lower-case state");
    assert_eq!(
        gc.balance.as_ref().unwrap().value,
        BalanceValue::Money(Money { micros: 25_000_000, currency_code: Some("USD".into()) })
    );
    assert_eq!(gc.display.reference.as_deref(), Some("6006 4912 3456"));
    let debug = format!("{gc:?}");
    assert!(!debug.contains("9876"), "the gift card PIN is not imported");
    assert!(!debug.contains("GC-6006491234"), "redemption values are redacted in Debug");

    assert_eq!(b.objects[2].state, PassState::Completed);
    assert!(b.objects[2].smart_tap_redemption_value.is_none());
    let et = &b.objects[3];
    assert_eq!(
        et.valid_time_interval.end,
        Some(DateTimeBound::Instant {
            utc_ms: parse_date_time("2026-06-01T21:30:00Z").unwrap().instant(0).0
        })
    );
    assert_eq!(et.display.subtitle.as_deref(), Some("Alex Doe"));
    assert_eq!(b.objects[4].display.reference.as_deref(), Some("ABC123"));
    assert_eq!(b.objects[5].state, PassState::Expired);
    let gen = &b.objects[6];
    assert_eq!(gen.state, PassState::Active, "state defaults to ACTIVE");
    assert_eq!(gen.display.title.as_deref(), Some("Gym"));
    assert_eq!(gen.display.subtitle.as_deref(), Some("Alex Doe"));
    assert_eq!(gen.display.hex_background_color.as_deref(), Some("#abc"));
    assert!(b
        .objects
        .iter()
        .all(|o| !o.user_smart_tap_disabled && o.last_terminal_update.is_none()));
}

#[test]
fn jwt_claims_and_payload_forms_give_the_same_batch() {
    let direct = all_verticals();
    let jwt = fixture("all-verticals.jwt");
    assert_eq!(import_jwt(&jwt).unwrap(), direct);
    assert_eq!(import_json(&jwt).unwrap(), direct, "import_json detects a compact JWT");
    let claims = format!(
        r#"{{"aud":"google","typ":"savetowallet","payload":{}}}"#,
        fixture("all-verticals.json")
    );
    assert_eq!(import_json(&claims).unwrap(), direct);
}

#[test]
fn a_single_rest_resource_with_kind() {
    let b = import_json(&fixture("loyalty-object-rest.json")).unwrap();
    assert!(b.classes.is_empty());
    let o = &b.objects[0];
    assert_eq!(o.id, "3265320111641956183.0619_googleDemoTest-obj01");
    assert_eq!(o.smart_tap_redemption_value.as_ref().unwrap().expose().as_str(), "2018");
    assert_eq!(o.balance.as_ref().unwrap().value, BalanceValue::Int(2018));
    assert_eq!(
        o.valid_time_interval.start,
        Some(DateTimeBound::Instant { utc_ms: 1_528_416_000_000 })
    );
}

#[test]
fn a_single_rest_resource_without_kind() {
    let text = r#"{"id":"1.c","issuerName":"X","programName":"P","enableSmartTap":true,
                   "redemptionIssuers":["2"]}"#;
    let b = import_resource(ResourceKind::Class(PassType::Loyalty), text).unwrap();
    assert_eq!(b.classes[0].redemption_issuers, [2]);
    // Without `kind`, import_json cannot tell what it is.
    assert!(import_json(text).is_err());
    // A `kind` that contradicts the requested one is refused.
    let wrong = r#"{"kind":"walletobjects#offerClass","id":"1.c"}"#;
    let err = import_resource(ResourceKind::Class(PassType::Loyalty), wrong).unwrap_err();
    assert_eq!(err.to_string(), "loyaltyClass.kind: expected walletobjects#loyaltyClass");
}

/// Issue 12: the bare `LoyaltyClass` / `LoyaltyObject` bodies an issuer sends to the REST
/// `insert` method (no `kind`), with the vertical named by the caller, or read from
/// `kind` when the body carries one.
#[test]
fn bare_rest_class_and_object_bodies_with_the_type_given() {
    let class_text = fixture("loyalty-class-rest-bare.json");
    let object_text = fixture("loyalty-object-rest-bare.json");
    assert!(!class_text.contains("\"kind\"") && !object_text.contains("\"kind\""));
    let class_kind = ResourceKind::from_name("loyaltyClass").unwrap();
    let object_kind = ResourceKind::from_name("LoyaltyObject").unwrap();
    assert_eq!(class_kind, ResourceKind::Class(PassType::Loyalty));
    assert_eq!(object_kind, ResourceKind::Object(PassType::Loyalty));
    let c = import_json_as(&class_text, Some(class_kind)).unwrap();
    assert_eq!(c.classes.len(), 1);
    assert!(c.objects.is_empty());
    let class = &c.classes[0];
    assert_eq!(class.id, "3265320111641956183.bare-rest-class");
    assert_eq!(class.pass_type, PassType::Loyalty);
    assert!(class.enable_smart_tap);
    assert_eq!(class.redemption_issuers, [3_265_320_111_641_956_183]);
    let o = import_json_as(&object_text, Some(object_kind)).unwrap();
    assert_eq!(o.objects.len(), 1);
    let object = &o.objects[0];
    assert_eq!(object.class_id, class.id);
    assert_eq!(object.pass_type, PassType::Loyalty);
    assert_eq!(object.state, PassState::Active);
    assert!(object.smart_tap_redemption_value.is_some());
    // Without a type, a bare body is refused with a precise reason.
    assert!(matches!(
        import_json_as(&class_text, None),
        Err(hce_wallet_core::pass::ImportError::NotAPassDocument(_))
    ));
    // With `kind`, import_json reads the vertical from it and gives the same class.
    assert_eq!(import_json(&fixture("loyalty-class-rest.json")).unwrap().classes, c.classes);
    // The kind value itself is a valid type name too; a type that contradicts the body's
    // `kind` is refused.
    let by_kind = ResourceKind::from_name("walletobjects#loyaltyClass").unwrap();
    assert_eq!(import_json_as(&fixture("loyalty-class-rest.json"), Some(by_kind)).unwrap(), c);
    let offer = ResourceKind::from_name("offerClass").unwrap();
    assert!(import_json_as(&fixture("loyalty-class-rest.json"), Some(offer)).is_err());
}

#[test]
fn resource_type_names() {
    for t in PassType::ALL {
        for kind in [ResourceKind::Class(t), ResourceKind::Object(t)] {
            let name = kind.kind_name();
            assert_eq!(ResourceKind::from_name(&name), Some(kind), "{name}");
            let bare = name.strip_prefix("walletobjects#").unwrap();
            assert_eq!(ResourceKind::from_name(bare), Some(kind), "{bare}");
            let upper = format!("{}{}", bare[..1].to_ascii_uppercase(), &bare[1..]);
            assert_eq!(ResourceKind::from_name(&upper), Some(kind), "{upper}");
        }
    }
    for bad in ["", "loyalty", "loyaltyThing", "walletobjects#", "Class", "x#loyaltyClass"] {
        assert_eq!(ResourceKind::from_name(bad), None, "{bad:?}");
    }
}

#[test]
fn a_rest_list_response() {
    let b = import_json(&fixture("list-response.json")).unwrap();
    assert_eq!(b.classes.len(), 1);
    assert_eq!(b.objects.len(), 1);
    assert_eq!(b.classes[0].redemption_issuers, [3_265_320_111_641_956_183]);
}

#[test]
fn loyalty_balance_variants() {
    let with = |balance: &str| {
        let t = format!(
            r#"{{"loyaltyObjects":[{{"id":"1.o","classId":"1.c","loyaltyPoints":{{"balance":{balance}}}}}]}}"#
        );
        import_json(&t).unwrap().objects[0].balance.clone().map(|b| b.value)
    };
    assert_eq!(with(r#"{"int":5}"#), Some(BalanceValue::Int(5)));
    assert_eq!(with(r#"{"int":"-5"}"#), Some(BalanceValue::Int(-5)));
    assert_eq!(with(r#"{"double":2.5}"#), Some(BalanceValue::Double(2.5)));
    assert_eq!(with(r#"{"string":"Gold"}"#), Some(BalanceValue::Text("Gold".into())));
    assert_eq!(with(r#"{}"#), None);
}

#[test]
fn states_in_both_casings() {
    for (s, want) in [
        ("ACTIVE", PassState::Active),
        ("active", PassState::Active),
        ("COMPLETED", PassState::Completed),
        ("completed", PassState::Completed),
        ("EXPIRED", PassState::Expired),
        ("expired", PassState::Expired),
        ("INACTIVE", PassState::Inactive),
        ("inactive", PassState::Inactive),
        ("STATE_UNSPECIFIED", PassState::Inactive),
    ] {
        let t = format!(r#"{{"offerObjects":[{{"id":"1.o","classId":"1.c","state":"{s}"}}]}}"#);
        assert_eq!(import_json(&t).unwrap().objects[0].state, want, "{s}");
    }
}

#[test]
fn nulls_count_as_absent_and_unknown_fields_are_ignored() {
    let t = r#"{"genericObjects":[{"id":"1.o","classId":"1.c","state":null,"barcode":null,
              "whatever":{"deep":[[[1]]]},"smartTapRedemptionValue":null}]}"#;
    let o = &import_json(t).unwrap().objects[0];
    assert_eq!(o.state, PassState::Active);
    assert!(o.barcode.is_none() && o.smart_tap_redemption_value.is_none());
}

#[test]
fn the_model_round_trips_through_cbor() {
    // What the store does with it.
    let b = all_verticals();
    for o in &b.objects {
        let mut buf = Vec::new();
        ciborium::into_writer(o, &mut buf).unwrap();
        let back: hce_wallet_core::pass::PassObject = ciborium::from_reader(&buf[..]).unwrap();
        assert_eq!(&back, o);
    }
    for c in &b.classes {
        let mut buf = Vec::new();
        ciborium::into_writer(c, &mut buf).unwrap();
        let back: hce_wallet_core::pass::PassClass = ciborium::from_reader(&buf[..]).unwrap();
        assert_eq!(&back, c);
    }
}

#[test]
fn a_stored_non_ascii_redemption_value_is_refused_on_load() {
    // A tampered or hand-written record cannot smuggle a non-ASCII value past the model.
    let mut o = all_verticals().objects[0].clone();
    o.smart_tap_redemption_value = None;
    let mut v: serde_json::Value = serde_json::to_value(&o).unwrap();
    v["smart_tap_redemption_value"] = serde_json::Value::from("caf\u{e9}");
    assert!(serde_json::from_value::<hce_wallet_core::pass::PassObject>(v).is_err());
}

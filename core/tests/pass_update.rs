//! Signed pass-update bundles (`pass::update`): envelope and payload checks, in-order
//! application with the user's state kept, the balance rule against PUSH DATA, and the
//! typed changes for notifications — for the issue's seed cases (loyalty end date
//! extended, gift card balance raised, promotion message, flight delayed then cancelled).

use hce_wallet_core::key_bundle::{sign_envelope, BundleError, PinnedRoots};
use hce_wallet_core::pass::display::FlightStatus;
use hce_wallet_core::pass::update::{
    apply, decode_payload, sign_update, verify_update, Applied, FlightTime, Held, PassChange,
    UpdateError, CONTENT_TYPE,
};
use hce_wallet_core::pass::{
    import_json, parse_date_time, Balance, BalanceValue, ImportBatch, Money, PassState,
    TerminalUpdate,
};
use p256::ecdsa::SigningKey;
use serde_json::{json, Value};

const ISSUER: u64 = 3_388_000_000_022_334_455;
const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/passes/display/");
const FLIGHT_CLASS: &str = "3388000000022334455.LX318-2027-03-05-ZRH-LHR";
const FLIGHT: &str = "3388000000022334455.LX318-2027-03-05-alex";
const GIFT: &str = "3388000000022334455.gift-1";
const LOYALTY: &str = "3388000000022334455.club-alex";

fn feed_key() -> SigningKey {
    SigningKey::from_slice(&[0x42; 32]).unwrap()
}

fn pinned(k: &SigningKey) -> PinnedRoots {
    PinnedRoots::new([p256::PublicKey::from(k.verifying_key())])
}

fn fixture(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{DIR}{name}")).unwrap()).unwrap()
}

fn loyalty(end: &str) -> Value {
    json!({
        "loyaltyClasses": [{ "id": "3388000000022334455.club", "programName": "Club",
            "issuerName": "Club", "enableSmartTap": true,
            "redemptionIssuers": ["3388000000022334455"] }],
        "loyaltyObjects": [{ "id": LOYALTY, "classId": "3388000000022334455.club",
            "state": "ACTIVE", "smartTapRedemptionValue": "club-7",
            "loyaltyPoints": { "label": "Points", "balance": { "int": 120 } },
            "validTimeInterval": { "start": { "date": "2027-01-01T00:00:00Z" },
                                   "end": { "date": end } } }]
    })
}

/// The wallet: a flight, a gift card and a loyalty card of the issuer.
fn held() -> Held {
    let mut b = ImportBatch::default();
    for v in [fixture("flight.json"), fixture("gift-card.json"), loyalty("2027-12-31T23:59:59Z")] {
        let one = import_json(&v.to_string()).unwrap();
        b.classes.extend(one.classes);
        b.objects.extend(one.objects);
    }
    Held::new(b.classes, b.objects)
}

fn bundle(seq: u64, iat: i64, changes: Value) -> Vec<u8> {
    let payload = json!({ "v": 1, "issuer": ISSUER.to_string(), "seq": seq, "iat": iat,
                          "changes": changes });
    sign_update(payload.to_string().as_bytes(), &feed_key()).unwrap()
}

fn run(bytes: &[u8], held: &Held, applied: Option<u64>) -> Result<Applied, UpdateError> {
    let update = verify_update(bytes, &pinned(&feed_key()), ISSUER)?;
    apply(&update, held, applied)
}

fn utc(s: &str) -> i64 {
    match parse_date_time(s).unwrap() {
        hce_wallet_core::pass::DateTimeBound::Instant { utc_ms } => utc_ms,
        hce_wallet_core::pass::DateTimeBound::Local { wall_ms } => wall_ms,
    }
}

const IAT: i64 = 1_804_000_000;

#[test]
fn loyalty_end_date_extended() {
    let mut v = loyalty("2028-06-30T23:59:59Z");
    v.as_object_mut().unwrap().remove("loyaltyClasses");
    let a = run(&bundle(1, IAT, json!([{ "upsert": v }])), &held(), None).unwrap();
    assert_eq!(a.objects.len(), 1);
    let moved: Vec<_> = a.changes.iter().collect();
    assert_eq!(moved.len(), 1, "{moved:?}");
    let PassChange::ExpiryMoved { object_id, from, to } = moved[0] else { panic!("{moved:?}") };
    assert_eq!(object_id, LOYALTY);
    assert_eq!(*from, Some(parse_date_time("2027-12-31T23:59:59Z").unwrap()));
    assert_eq!(*to, Some(parse_date_time("2028-06-30T23:59:59Z").unwrap()));
}

#[test]
fn gift_card_balance_raised_keeps_the_pin_and_user_state() {
    let mut h = held();
    h.objects.get_mut(GIFT).unwrap().user_smart_tap_disabled = true;
    let mut v = fixture("gift-card.json");
    v["giftCardObjects"][0]["balance"] = json!({ "micros": "50000000", "currencyCode": "EUR" });
    let a = run(&bundle(2, IAT, json!([{ "upsert": v }])), &h, Some(1)).unwrap();
    let o = a.objects.iter().find(|o| o.id == GIFT).unwrap();
    assert!(o.user_smart_tap_disabled, "the user's Smart Tap switch survives");
    let eur = |m| {
        Some(Balance {
            label: None,
            value: BalanceValue::Money(Money { micros: m, currency_code: Some("EUR".into()) }),
        })
    };
    assert_eq!(
        a.changes,
        [PassChange::BalanceChanged {
            object_id: GIFT.into(),
            from: eur(25_000_000),
            to: eur(50_000_000)
        }]
    );
}

#[test]
fn balance_rule_a_later_terminal_push_wins_over_an_older_bundle() {
    let mut v = fixture("gift-card.json");
    v["giftCardObjects"][0]["balance"] = json!({ "micros": "50000000", "currencyCode": "EUR" });
    let changes = json!([{ "upsert": v }]);
    for (push_at_ms, issuer_wins) in [((IAT + 60) * 1000, false), ((IAT - 60) * 1000, true)] {
        let mut h = held();
        let o = h.objects.get_mut(GIFT).unwrap();
        o.balance = Some(Balance {
            label: None,
            value: BalanceValue::Money(Money {
                micros: 20_000_000,
                currency_code: Some("EUR".into()),
            }),
        });
        o.last_terminal_update = Some(TerminalUpdate {
            collector: 7,
            at_ms: push_at_ms,
            usage_status: Some(1),
            usage_title: None,
            usage_description: None,
            operation: Some(2),
            raw_value: vec![],
            balance_changed: true,
        });
        let a = run(&bundle(1, IAT, changes.clone()), &h, None).unwrap();
        let o = a.objects.iter().find(|o| o.id == GIFT).unwrap();
        let micros = match &o.balance.as_ref().unwrap().value {
            BalanceValue::Money(m) => m.micros,
            other => panic!("{other:?}"),
        };
        assert_eq!(micros, if issuer_wins { 50_000_000 } else { 20_000_000 });
        assert!(o.last_terminal_update.is_some(), "the terminal's update is kept");
        assert_eq!(a.changes.is_empty(), !issuer_wins);
    }
}

#[test]
fn promotion_message_on_a_class_reaches_its_passes() {
    let msg = json!({ "id": "promo-1", "header": "Double points", "body": "All weekend.",
                      "messageType": "TEXT_AND_NOTIFY" });
    let changes = json!([{ "addMessage": { "id": "3388000000022334455.club", "message": msg } }]);
    let a = run(&bundle(1, IAT, changes), &held(), None).unwrap();
    assert_eq!(a.classes.len(), 1);
    assert_eq!(a.changes.len(), 1);
    let PassChange::NewMessage { object_id, message } = &a.changes[0] else { panic!() };
    assert_eq!((object_id.as_str(), message.header.as_deref()), (LOYALTY, Some("Double points")));
}

#[test]
fn flight_delayed_then_cancelled() {
    let h = held();
    let mut delayed = fixture("flight.json");
    let c = &mut delayed["flightClasses"][0];
    c["localEstimatedOrActualDepartureDateTime"] = json!("2027-03-05T09:10:00");
    c["origin"]["gate"] = json!("A62");
    c.as_object_mut().unwrap().remove("messages");
    delayed.as_object_mut().unwrap().remove("flightObjects");
    let a = run(&bundle(1, IAT, json!([{ "upsert": delayed.clone() }])), &h, None).unwrap();
    let kinds: Vec<&str> = a.changes.iter().map(|c| c.kind()).collect();
    assert_eq!(kinds, ["pass.flight_gate_changed", "pass.flight_time_changed"]);
    let PassChange::FlightTimeChanged { which, to, .. } = &a.changes[1] else { panic!() };
    assert_eq!(*which, FlightTime::Departure);
    assert_eq!(to.unwrap().epoch_ms, utc("2027-03-05T09:10:00Z"));
    assert_eq!(to.unwrap().offset_seconds, None);

    // Then cancelled, with a notice, on top of the delayed state.
    let mut after = h.clone();
    for c in a.classes {
        after.classes.insert(c.id.clone(), c);
    }
    delayed["flightClasses"][0]["flightStatus"] = json!("CANCELLED");
    let notice = json!({ "id": "cxl", "header": "Cancelled", "body": "LX 318 is cancelled." });
    let changes = json!([
        { "upsert": delayed },
        { "addMessage": { "id": FLIGHT, "message": notice } }
    ]);
    let b = run(&bundle(2, IAT + 600, changes), &after, Some(1)).unwrap();
    assert_eq!(
        b.changes.iter().map(|c| c.kind()).collect::<Vec<_>>(),
        ["pass.new_message", "pass.flight_status_changed"]
    );
    assert_eq!(
        b.changes[1],
        PassChange::FlightStatusChanged {
            object_id: FLIGHT.into(),
            from: Some(FlightStatus::Scheduled),
            to: Some(FlightStatus::Cancelled)
        }
    );
    assert_eq!(b.classes[0].id, FLIGHT_CLASS);
}

#[test]
fn expire_and_remove() {
    let changes = json!([{ "expire": { "id": GIFT } }, { "remove": { "id": LOYALTY } },
                         { "remove": { "id": "3388000000022334455.not-held" } }]);
    let a = run(&bundle(1, IAT, changes), &held(), None).unwrap();
    assert_eq!(a.removed, [LOYALTY]);
    assert_eq!(a.objects.len(), 1);
    assert_eq!(a.objects[0].state, PassState::Expired);
    // Ordered by object ID.
    assert_eq!(
        a.changes,
        [
            PassChange::Removed { object_id: LOYALTY.into() },
            PassChange::Expired { object_id: GIFT.into() }
        ]
    );
}

#[test]
fn replayed_or_older_bundles_are_refused() {
    let b = bundle(5, IAT, json!([{ "expire": { "id": GIFT } }]));
    assert!(run(&b, &held(), Some(4)).is_ok());
    for applied in [5, 6] {
        assert_eq!(
            run(&b, &held(), Some(applied)).unwrap_err(),
            UpdateError::Stale { applied, found: 5 }
        );
    }
}

#[test]
fn forged_bundles_are_refused() {
    let payload = json!({ "v": 1, "issuer": ISSUER.to_string(), "seq": 1, "iat": IAT,
                          "changes": [{ "expire": { "id": GIFT } }] })
    .to_string();
    // Another key.
    let other = SigningKey::from_slice(&[0x43; 32]).unwrap();
    let forged = sign_update(payload.as_bytes(), &other).unwrap();
    assert!(matches!(
        run(&forged, &held(), None),
        Err(UpdateError::Envelope(BundleError::UnknownRoot { .. }))
    ));
    // The right key's ID over a changed payload.
    let mut good = bundle(1, IAT, json!([{ "expire": { "id": GIFT } }]));
    let at = good.windows(4).position(|w| w == b"gift").unwrap();
    good[at] = b'G';
    assert!(matches!(
        run(&good, &held(), None),
        Err(UpdateError::Envelope(BundleError::BadSignature { .. }))
    ));
    // Signed by the right key, but as another kind of object.
    let other_kind = sign_envelope(payload.as_bytes(), "application/other", &feed_key()).unwrap();
    assert!(matches!(
        run(&other_kind, &held(), None),
        Err(UpdateError::Envelope(BundleError::ContentType))
    ));
    // Garbage.
    assert!(run(b"\xd2\x84not cose", &held(), None).is_err());
    assert_eq!(CONTENT_TYPE, "application/vnd.hce-wallet.pass-update+json");
}

#[test]
fn an_issuer_touches_only_its_own_passes() {
    let foreign = json!([{ "expire": { "id": "3388000000099999999.theirs" } }]);
    let e = decode_payload(
        json!({ "v": 1, "issuer": ISSUER.to_string(), "seq": 1, "iat": IAT, "changes": foreign })
            .to_string()
            .as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(e, UpdateError::ForeignResource { ref path, owner: 3_388_000_000_099_999_999, .. } if path == "changes[0].expire.id"),
        "{e}"
    );
    // A bundle of another issuer on this issuer's feed.
    let k = feed_key();
    let theirs = json!({ "v": 1, "issuer": "3388000000099999999", "seq": 1, "iat": IAT,
                         "changes": [] });
    let b = sign_update(theirs.to_string().as_bytes(), &k).unwrap();
    assert!(matches!(
        verify_update(&b, &pinned(&k), ISSUER),
        Err(UpdateError::WrongIssuer { found: 3_388_000_000_099_999_999, .. })
    ));
}

#[test]
fn malformed_payloads_name_the_field_and_sign_nothing() {
    let k = feed_key();
    for (payload, path) in [
        (json!({ "v": 2, "issuer": "1", "seq": 1, "iat": 0, "changes": [] }), "version 2"),
        (json!({ "v": 1, "issuer": ISSUER.to_string(), "iat": 0, "changes": [] }), "seq"),
        (
            json!({ "v": 1, "issuer": ISSUER.to_string(), "seq": 1, "iat": 0,
                 "changes": [{ "rename": {} }] }),
            "changes[0]",
        ),
        (
            json!({ "v": 1, "issuer": ISSUER.to_string(), "seq": 1, "iat": 0,
                 "changes": [{ "addMessage": { "id": GIFT, "message": { "body": 5 } } }] }),
            "changes[0].addMessage.message.body",
        ),
    ] {
        let e = sign_update(payload.to_string().as_bytes(), &k).unwrap_err().to_string();
        assert!(e.contains(path), "{path}: {e}");
    }
}

#[test]
fn an_object_of_an_unknown_class_fails_the_whole_bundle() {
    let mut v = fixture("gift-card.json");
    v.as_object_mut().unwrap().remove("giftCardClasses");
    v["giftCardObjects"][0]["classId"] = json!("3388000000022334455.no-such-class");
    let changes = json!([{ "expire": { "id": LOYALTY } }, { "upsert": v }]);
    let e = run(&bundle(1, IAT, changes), &held(), None).unwrap_err();
    assert!(matches!(e, UpdateError::UnknownClass { .. }), "{e}");
}

/// The fuzz seeds (`tests/fixtures/passes/update-seeds/`) are valid payloads that apply.
#[test]
fn fuzz_seeds_decode_and_apply() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/passes/update-seeds/");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let update = decode_payload(&bytes).unwrap();
        let a = apply(&update, &held(), None).unwrap();
        assert!(!a.changes.is_empty());
        seen += 1;
    }
    assert_eq!(seen, 2);
}

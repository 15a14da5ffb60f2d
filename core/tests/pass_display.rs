//! The display model (`pass::display`) read from realistic Google Wallet REST JSON, one
//! fixture per vertical under `tests/fixtures/passes/display/`, then caps and malformed
//! input: each refused with the JSON path of the offending field.

use hce_wallet_core::pass::display::{
    EventTicket, Flight, FlightStatus, Generic, GiftCard, Offer, PassengerType, RedemptionChannel,
    TicketStatus, Transit, TransitType, TripType, MAX_BODY_LEN, MAX_MESSAGES,
};
use hce_wallet_core::pass::{
    import_json, parse_date_time, DateTimeBound, Details, DisplayDateTime, ImportBatch,
    ImportError, MessageType, Money, Vertical,
};
use serde_json::{json, Value};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/passes/display/");

fn text(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}{name}")).unwrap()
}

fn import(name: &str) -> ImportBatch {
    import_json(&text(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The pass as shown: class details merged with the object's.
fn shown(b: &ImportBatch) -> Details {
    Details::merged(&b.classes[0].details, &b.objects[0].details)
}

fn utc(s: &str) -> i64 {
    match parse_date_time(s).unwrap() {
        DateTimeBound::Instant { utc_ms } => utc_ms,
        DateTimeBound::Local { wall_ms } => wall_ms,
    }
}

fn at(s: &str, offset: Option<i32>) -> Option<DisplayDateTime> {
    Some(DisplayDateTime { epoch_ms: utc(s), offset_seconds: offset })
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

#[test]
fn flight() {
    let b = import("flight.json");
    let d = shown(&b);
    let Vertical::Flight(f) = &d.vertical else { panic!("{:?}", d.vertical) };
    let expected = Flight {
        carrier_iata_code: s("LX"),
        airline_name: s("Swiss Sample Air"),
        flight_number: s("318"),
        origin_airport: s("ZRH"),
        origin_terminal: s("1"),
        origin_gate: s("A54"),
        destination_airport: s("LHR"),
        destination_terminal: s("2"),
        destination_gate: s("B32"),
        // Local airport times keep no offset; written offsets are kept as written.
        scheduled_departure: at("2027-03-05T07:20:00", None),
        estimated_or_actual_departure: at("2027-03-05T06:50:00Z", Some(3600)),
        boarding_time: at("2027-03-05T06:40:00", None),
        gate_closing_time: at("2027-03-05T07:05:00", None),
        scheduled_arrival: at("2027-03-05T08:05:00Z", Some(0)),
        estimated_or_actual_arrival: None,
        status: Some(FlightStatus::Scheduled),
        passenger_name: s("DOE/ALEX"),
        boarding_group: s("B"),
        boarding_position: s("41"),
        seat_number: s("12A"),
        seat_class: s("Economy"),
        sequence_number: s("118"),
        confirmation_code: s("XKQ7RZ"),
        eticket_number: s("724-2345678901"),
    };
    assert_eq!(**f, expected);
    assert_eq!(
        b.classes[0].display.logo_uri.as_deref(),
        Some("https://example.invalid/lx-logo.png")
    );
    let m = &d.modules;
    assert_eq!(m.hero_uri.as_deref(), Some("https://example.invalid/alps.jpg"));
    assert_eq!(m.messages.len(), 1);
    let msg = &m.messages[0];
    assert_eq!((msg.id.as_deref(), msg.header.as_deref()), (Some("delay-1"), Some("Delayed")));
    assert_eq!(msg.body.as_deref(), Some("Your flight is delayed by 30 minutes."));
    assert_eq!(msg.message_type, MessageType::TextAndNotify);
    assert_eq!(msg.display_start, at("2027-03-05T05:00:00Z", Some(0)));
    assert_eq!(msg.display_end, at("2027-03-05T12:00:00Z", Some(0)));
    assert_eq!(m.links.len(), 1);
    assert_eq!(m.links[0].uri, "https://example.invalid/status/LX318");
    assert_eq!(m.links[0].description.as_deref(), Some("Flight status"));
    assert_eq!((m.locations[0].latitude, m.locations[0].longitude), (47.4502, 8.5618));
    assert_eq!(m.text_modules[0].header.as_deref(), Some("Baggage"));
    assert_eq!(m.text_modules[0].body.as_deref(), Some("1 × 23 kg"));
    let row = &m.info_rows[0];
    assert_eq!(row.len(), 2);
    assert_eq!((row[1].label.as_deref(), row[1].value.as_deref()), (Some("Meal"), Some("VGML")));
    assert_eq!(m.images[0].uri, "https://example.invalid/map.png");
    assert_eq!(m.images[0].description.as_deref(), Some("Terminal map"));
}

#[test]
fn event_ticket() {
    let d = shown(&import("event.json"));
    let Vertical::EventTicket(e) = d.vertical else { panic!() };
    let expected = EventTicket {
        event_name: s("The Concert"),
        event_id: s("C-2027-06-12"),
        venue_name: s("Grand Hall"),
        venue_address: s("1 Music Road, Zurich"),
        doors_open: at("2027-06-12T16:30:00Z", Some(7200)),
        start: at("2027-06-12T17:30:00Z", Some(7200)),
        end: at("2027-06-12T20:30:00Z", Some(7200)),
        fine_print: s("No refunds."),
        seat: s("42"),
        row: s("G"),
        section: s("Parterre"),
        gate: s("3"),
        ticket_type: s("Adult"),
        ticket_holder_name: s("Alex Doe"),
        ticket_number: s("0042"),
        face_value: Some(Money { micros: 89_000_000, currency_code: s("CHF") }),
        confirmation_code: s("HT-99"),
    };
    assert_eq!(*e, expected);
}

#[test]
fn transit() {
    let d = shown(&import("transit.json"));
    let Vertical::Transit(t) = d.vertical else { panic!() };
    let expected = Transit {
        transit_type: Some(TransitType::Rail),
        trip_type: Some(TripType::OneWay),
        origin_name: s("Zurich HB"),
        origin_station_code: s("ZHB"),
        destination_name: s("Bern"),
        destination_station_code: s("BN"),
        departure: at("2027-04-01T06:02:00Z", Some(7200)),
        arrival: at("2027-04-01T06:58:00Z", Some(7200)),
        platform: s("31"),
        carriage: s("7"),
        zone: s("110"),
        ticket_status: Some(TicketStatus::Used),
        passenger_type: Some(PassengerType::SinglePassenger),
        passenger_names: s("Alex Doe"),
        ticket_number: s("T-77"),
        fare_name: s("Saver day pass"),
        // The purchase price wins over the face value.
        fare: Some(Money { micros: 29_000_000, currency_code: s("CHF") }),
    };
    assert_eq!(*t, expected);
}

#[test]
fn offer() {
    let d = shown(&import("offer.json"));
    let Vertical::Offer(o) = &d.vertical else { panic!() };
    let expected = Offer {
        provider: s("Coffee Club"),
        details: s("Any bag of beans, once per visit."),
        fine_print: s("Not valid with other offers."),
        redemption_channel: Some(RedemptionChannel::Both),
        help_uri: s("https://example.invalid/help"),
    };
    assert_eq!(**o, expected);
    // Legacy camelCase enum values read like the SCREAMING_CASE ones.
    assert_eq!(d.modules.messages[0].message_type, MessageType::ExpirationNotification);
}

#[test]
fn gift_card_pin_is_a_redacted_secret() {
    let b = import("gift-card.json");
    let d = shown(&b);
    let Vertical::GiftCard(g) = &d.vertical else { panic!() };
    assert_eq!(g.pin.as_ref().map(|p| p.expose()), Some("8264"));
    let GiftCard { card_number, event_number, balance_update_time, .. } = &**g;
    assert_eq!(card_number.as_deref(), Some("6006 4912 3456 7890"));
    assert_eq!(event_number.as_deref(), Some("EV-12"));
    assert_eq!(*balance_update_time, at("2027-02-01T11:00:00Z", Some(3600)));
    assert_eq!(g.card_number_label.as_deref(), Some("Card"));
    assert_eq!(g.pin_label.as_deref(), Some("PIN"));
    assert_eq!(g.event_number_label.as_deref(), Some("Event"));
    // Never in Debug output (logs), whichever type is printed.
    for printed in [format!("{b:?}"), format!("{d:?}"), format!("{g:?}")] {
        assert!(!printed.contains("8264"), "PIN leaked: {printed}");
        assert!(printed.contains("redacted"));
    }
}

#[test]
fn generic() {
    let d = shown(&import("generic.json"));
    let Vertical::Generic(g) = &d.vertical else { panic!() };
    let expected = Generic {
        header: s("Alex Doe"),
        card_title: s("Fit Gym"),
        subheader: s("Member"),
        logo_uri: s("https://example.invalid/gym.png"),
        generic_type: s("GENERIC_GYM_MEMBERSHIP"),
    };
    assert_eq!(**g, expected);
    // Class modules first, then the object's; localized headers are read.
    let headers: Vec<_> = d.modules.text_modules.iter().map(|t| t.header.as_deref()).collect();
    assert_eq!(headers, [Some("Opening hours"), Some("Level")]);
    assert_eq!(d.modules.hero_uri.as_deref(), Some("https://example.invalid/gym-hero.png"));
}

#[test]
fn display_details_survive_a_cbor_round_trip() {
    for name in ["flight.json", "event.json", "transit.json", "offer.json", "gift-card.json"] {
        let b = import(name);
        let mut buf = Vec::new();
        ciborium::into_writer(&b.objects[0], &mut buf).unwrap();
        let back: hce_wallet_core::pass::PassObject = ciborium::from_reader(&buf[..]).unwrap();
        assert_eq!(back, b.objects[0], "{name}");
        let mut buf = Vec::new();
        ciborium::into_writer(&b.classes[0], &mut buf).unwrap();
        let back: hce_wallet_core::pass::PassClass = ciborium::from_reader(&buf[..]).unwrap();
        assert_eq!(back, b.classes[0], "{name}");
    }
}

// ---- caps and malformed input ----------------------------------------------------------

/// The flight fixture with `edit` applied to its JSON.
fn flight_with(edit: impl FnOnce(&mut Value)) -> Result<ImportBatch, ImportError> {
    let mut v: Value = serde_json::from_str(&text("flight.json")).unwrap();
    edit(&mut v);
    import_json(&v.to_string())
}

fn refused(edit: impl FnOnce(&mut Value)) -> String {
    match flight_with(edit) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unknown_fields_and_enum_values_never_fail() {
    let b = flight_with(|v| {
        let c = &mut v["flightClasses"][0];
        c["flightStatus"] = json!("TELEPORTED");
        c["messages"][0]["messageType"] = json!("HOLOGRAM");
        c["origin"]["futureField"] = json!({"x": [1]});
        v["flightObjects"][0]["boardingAndSeatingInfo"]["lounge"] = json!(true);
    })
    .unwrap();
    let Vertical::Flight(f) = &b.classes[0].details.vertical else { panic!() };
    assert_eq!(f.status, None);
    assert_eq!(f.origin_gate.as_deref(), Some("A54"));
    assert_eq!(b.classes[0].details.modules.messages[0].message_type, MessageType::Text);
}

#[test]
fn caps_name_the_field() {
    let e = refused(|v| {
        v["flightClasses"][0]["messages"] = json!(vec![json!({"body": "x"}); MAX_MESSAGES + 1]);
    });
    let cap = format!("more than the {MAX_MESSAGES}");
    assert!(e.contains("flightClasses[0].messages") && e.contains(&cap), "{e}");
    let e = refused(|v| {
        v["flightObjects"][0]["textModulesData"][0]["body"] = json!("x".repeat(MAX_BODY_LEN + 1));
    });
    assert!(e.contains("flightObjects[0].textModulesData[0].body"), "{e}");
    let e = refused(|v| {
        v["flightClasses"][0]["origin"]["gate"] = json!("G".repeat(65));
    });
    assert!(e.contains("flightClasses[0].origin.gate"), "{e}");
    let e = refused(|v| {
        v["flightClasses"][0]["linksModuleData"]["uris"][0]["uri"] =
            json!(format!("https://{}", "a".repeat(2048)));
    });
    assert!(e.contains("linksModuleData.uris[0].uri"), "{e}");
}

type Edit = Box<dyn FnOnce(&mut Value)>;

#[test]
fn malformed_fields_name_their_path() {
    let cases: Vec<(&str, Edit)> = vec![
        (
            "flightClasses[0].localScheduledDepartureDateTime",
            Box::new(|v| {
                v["flightClasses"][0]["localScheduledDepartureDateTime"] = json!("5 March")
            }),
        ),
        (
            "flightClasses[0].messages[0].displayInterval.start.date",
            Box::new(|v| {
                v["flightClasses"][0]["messages"][0]["displayInterval"]["start"]["date"] =
                    json!("2027-02-30T00:00:00Z")
            }),
        ),
        (
            "flightClasses[0].messages[0]",
            Box::new(|v| v["flightClasses"][0]["messages"][0] = json!("Delayed")),
        ),
        (
            "flightClasses[0].locations[0].latitude",
            Box::new(|v| v["flightClasses"][0]["locations"][0]["latitude"] = json!(91.0)),
        ),
        (
            "flightClasses[0].locations[0].longitude",
            Box::new(|v| v["flightClasses"][0]["locations"][0]["longitude"] = json!("8.5")),
        ),
        (
            "flightClasses[0].linksModuleData.uris[0].uri",
            Box::new(|v| {
                v["flightClasses"][0]["linksModuleData"]["uris"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("uri");
            }),
        ),
        (
            "flightObjects[0].boardingAndSeatingInfo.seatNumber",
            Box::new(|v| v["flightObjects"][0]["boardingAndSeatingInfo"]["seatNumber"] = json!(12)),
        ),
        (
            "flightClasses[0].flightStatus",
            Box::new(|v| v["flightClasses"][0]["flightStatus"] = json!(["landed"])),
        ),
        (
            "flightObjects[0].infoModuleData.labelValueRows[0].columns",
            Box::new(|v| {
                v["flightObjects"][0]["infoModuleData"]["labelValueRows"][0]["columns"] =
                    json!({"label": "x"})
            }),
        ),
    ];
    for (path, edit) in cases {
        let e = refused(edit);
        assert!(e.contains(path), "expected {path} in: {e}");
    }
}

#[test]
fn a_pin_that_is_not_a_string_is_refused_without_echoing_it() {
    let mut v: Value = serde_json::from_str(&text("gift-card.json")).unwrap();
    v["giftCardObjects"][0]["pin"] = json!(987654);
    let e = import_json(&v.to_string()).unwrap_err().to_string();
    assert!(e.contains("giftCardObjects[0].pin") && !e.contains("987654"), "{e}");
}

#[test]
fn records_written_before_the_display_model_still_decode() {
    // A stored object or class from before `details` existed: the same CBOR without it.
    let b = import("flight.json");
    let strip = |v: &mut ciborium::Value| {
        let ciborium::Value::Map(entries) = v else { panic!() };
        let n = entries.len();
        entries.retain(|(k, _)| k.as_text() != Some("details"));
        assert_eq!(entries.len(), n - 1);
    };
    let mut o = ciborium::Value::serialized(&b.objects[0]).unwrap();
    strip(&mut o);
    let old: hce_wallet_core::pass::PassObject = o.deserialized().unwrap();
    assert_eq!(old.details, Details::default());
    assert_eq!(
        (old.id.as_str(), old.barcode.as_ref()),
        (b.objects[0].id.as_str(), b.objects[0].barcode.as_ref())
    );
    let mut c = ciborium::Value::serialized(&b.classes[0]).unwrap();
    strip(&mut c);
    let old: hce_wallet_core::pass::PassClass = c.deserialized().unwrap();
    assert_eq!(old.details, Details::default());
}

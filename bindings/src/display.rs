//! The display model of a pass as Kotlin sees it (`PassInfo.display`): typed records for
//! messages, modules and each vertical's fields, translated one to one from
//! `hce_wallet_core::pass::display`. Dates are [`PassDateTime`]: epoch milliseconds plus
//! the offset they were written in. A gift card's PIN does not cross here (only
//! `GiftCardInfo.has_pin`); `Wallet.giftCardPin` reveals it on the user's request.

use hce_wallet_core::pass::display as d;
use hce_wallet_core::pass::Money as CoreMoney;

/// A date-time as the issuer wrote it. With an offset, `epoch_ms` is the instant and
/// `offset_seconds` the offset east of UTC it was written in (show the time in that zone,
/// e.g. the airport's). Without one (a local time, as flight times usually are),
/// `epoch_ms` is the wall-clock time read as UTC: format it in UTC and show it as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PassDateTime {
    pub epoch_ms: i64,
    pub offset_seconds: Option<i32>,
}

/// An amount: micro-units of `currency_code` (`12_500_000` = 12.50).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PassMoney {
    pub micros: i64,
    pub currency_code: Option<String>,
}

/// How a message is meant to reach the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum PassMessageType {
    /// Shown on the pass.
    Text,
    /// An expiry notice.
    ExpirationNotification,
    /// Shown and pushed as a notification.
    TextAndNotify,
}

/// A notice from the issuer, shown while `display_start <= now < display_end`.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PassMessage {
    pub id: Option<String>,
    pub header: Option<String>,
    pub body: Option<String>,
    pub message_type: PassMessageType,
    pub display_start: Option<PassDateTime>,
    pub display_end: Option<PassDateTime>,
}

/// A header/body block of text.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PassTextModule {
    pub id: Option<String>,
    pub header: Option<String>,
    pub body: Option<String>,
}

/// A link (untrusted: the app decides whether to open it).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PassLink {
    pub id: Option<String>,
    pub uri: String,
    pub description: Option<String>,
}

/// An image by URI (untrusted: the app decides whether to fetch it).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PassImage {
    pub id: Option<String>,
    pub uri: String,
    pub description: Option<String>,
}

/// One label/value cell of the info module.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PassLabelValue {
    pub label: Option<String>,
    pub value: Option<String>,
}

/// A place where the pass is relevant (degrees).
#[derive(Clone, Copy, Debug, PartialEq, uniffi::Record)]
pub struct PassLocation {
    pub latitude: f64,
    pub longitude: f64,
}

/// `flightStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum FlightStatus {
    Scheduled,
    Active,
    Landed,
    Cancelled,
    Redirected,
    Diverted,
}

/// A boarding pass. Times are the airports' local times as the airline wrote them.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct FlightInfo {
    pub carrier_iata_code: Option<String>,
    pub airline_name: Option<String>,
    pub flight_number: Option<String>,
    pub origin_airport: Option<String>,
    pub origin_terminal: Option<String>,
    pub origin_gate: Option<String>,
    pub destination_airport: Option<String>,
    pub destination_terminal: Option<String>,
    pub destination_gate: Option<String>,
    pub scheduled_departure: Option<PassDateTime>,
    pub estimated_or_actual_departure: Option<PassDateTime>,
    pub boarding_time: Option<PassDateTime>,
    pub gate_closing_time: Option<PassDateTime>,
    pub scheduled_arrival: Option<PassDateTime>,
    pub estimated_or_actual_arrival: Option<PassDateTime>,
    pub status: Option<FlightStatus>,
    pub passenger_name: Option<String>,
    pub boarding_group: Option<String>,
    pub boarding_position: Option<String>,
    pub seat_number: Option<String>,
    pub seat_class: Option<String>,
    pub sequence_number: Option<String>,
    pub confirmation_code: Option<String>,
    pub eticket_number: Option<String>,
}

/// An event ticket.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct EventTicketInfo {
    pub event_name: Option<String>,
    pub event_id: Option<String>,
    pub venue_name: Option<String>,
    pub venue_address: Option<String>,
    pub doors_open: Option<PassDateTime>,
    pub start: Option<PassDateTime>,
    pub end: Option<PassDateTime>,
    pub fine_print: Option<String>,
    pub seat: Option<String>,
    pub row: Option<String>,
    pub section: Option<String>,
    pub gate: Option<String>,
    pub ticket_type: Option<String>,
    pub ticket_holder_name: Option<String>,
    pub ticket_number: Option<String>,
    pub face_value: Option<PassMoney>,
    pub confirmation_code: Option<String>,
}

/// `transitType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum TransitType {
    Bus,
    Rail,
    Tram,
    Ferry,
    Other,
}

/// `tripType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum TripType {
    RoundTrip,
    OneWay,
}

/// `ticketStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum TicketStatus {
    Used,
    Refunded,
    Exchanged,
}

/// `passengerType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum PassengerType {
    SinglePassenger,
    MultiplePassengers,
}

/// A transit ticket (its first leg).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TransitInfo {
    pub transit_type: Option<TransitType>,
    pub trip_type: Option<TripType>,
    pub origin_name: Option<String>,
    pub origin_station_code: Option<String>,
    pub destination_name: Option<String>,
    pub destination_station_code: Option<String>,
    pub departure: Option<PassDateTime>,
    pub arrival: Option<PassDateTime>,
    pub platform: Option<String>,
    pub carriage: Option<String>,
    pub zone: Option<String>,
    pub ticket_status: Option<TicketStatus>,
    pub passenger_type: Option<PassengerType>,
    pub passenger_names: Option<String>,
    pub ticket_number: Option<String>,
    pub fare_name: Option<String>,
    pub fare: Option<PassMoney>,
}

/// `redemptionChannel` of an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum RedemptionChannel {
    Instore,
    Online,
    Both,
    TemporaryPriceReduction,
}

/// An offer.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct OfferInfo {
    pub provider: Option<String>,
    pub details: Option<String>,
    pub fine_print: Option<String>,
    pub redemption_channel: Option<RedemptionChannel>,
    pub help_uri: Option<String>,
}

/// A gift card (its balance is `PassInfo.balance`). The PIN never crosses in a listing:
/// `Wallet.giftCardPin(objectId)` reveals it when the user asks.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct GiftCardInfo {
    pub card_number: Option<String>,
    pub has_pin: bool,
    pub event_number: Option<String>,
    pub balance_update_time: Option<PassDateTime>,
    pub card_number_label: Option<String>,
    pub pin_label: Option<String>,
    pub event_number_label: Option<String>,
}

/// A generic pass.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct GenericInfo {
    pub header: Option<String>,
    pub card_title: Option<String>,
    pub subheader: Option<String>,
    pub logo_uri: Option<String>,
    pub generic_type: Option<String>,
}

/// Everything shown for a pass besides `PassInfo`'s summary: class entries first, then
/// the object's. At most one vertical field is set (none for loyalty cards).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PassDisplay {
    pub messages: Vec<PassMessage>,
    pub text_modules: Vec<PassTextModule>,
    pub links: Vec<PassLink>,
    pub images: Vec<PassImage>,
    /// The info module: rows of label/value cells.
    pub info_rows: Vec<Vec<PassLabelValue>>,
    pub locations: Vec<PassLocation>,
    pub hero_image_uri: Option<String>,
    pub flight: Option<FlightInfo>,
    pub event_ticket: Option<EventTicketInfo>,
    pub transit: Option<TransitInfo>,
    pub offer: Option<OfferInfo>,
    pub gift_card: Option<GiftCardInfo>,
    pub generic: Option<GenericInfo>,
}

pub(crate) fn dt(t: Option<d::DisplayDateTime>) -> Option<PassDateTime> {
    t.map(|t| PassDateTime { epoch_ms: t.epoch_ms, offset_seconds: t.offset_seconds })
}

fn money(m: Option<CoreMoney>) -> Option<PassMoney> {
    m.map(|m| PassMoney { micros: m.micros, currency_code: m.currency_code })
}

impl From<d::Details> for PassDisplay {
    fn from(x: d::Details) -> Self {
        let m = x.modules;
        let mut out = PassDisplay {
            messages: m.messages.into_iter().map(message).collect(),
            text_modules: (m.text_modules.into_iter())
                .map(|t| PassTextModule { id: t.id, header: t.header, body: t.body })
                .collect(),
            links: (m.links.into_iter())
                .map(|l| PassLink { id: l.id, uri: l.uri, description: l.description })
                .collect(),
            images: (m.images.into_iter())
                .map(|i| PassImage { id: i.id, uri: i.uri, description: i.description })
                .collect(),
            info_rows: (m.info_rows.into_iter())
                .map(|r| {
                    r.into_iter()
                        .map(|c| PassLabelValue { label: c.label, value: c.value })
                        .collect()
                })
                .collect(),
            locations: (m.locations.iter())
                .map(|l| PassLocation { latitude: l.latitude, longitude: l.longitude })
                .collect(),
            hero_image_uri: m.hero_uri,
            flight: None,
            event_ticket: None,
            transit: None,
            offer: None,
            gift_card: None,
            generic: None,
        };
        match x.vertical {
            d::Vertical::None => {}
            d::Vertical::Flight(f) => out.flight = Some(flight(*f)),
            d::Vertical::EventTicket(e) => out.event_ticket = Some(event(*e)),
            d::Vertical::Transit(t) => out.transit = Some(transit(*t)),
            d::Vertical::Offer(o) => out.offer = Some(offer(*o)),
            d::Vertical::GiftCard(g) => out.gift_card = Some(gift_card(*g)),
            d::Vertical::Generic(g) => {
                out.generic = Some(GenericInfo {
                    header: g.header,
                    card_title: g.card_title,
                    subheader: g.subheader,
                    logo_uri: g.logo_uri,
                    generic_type: g.generic_type,
                })
            }
        }
        out
    }
}

pub(crate) fn message(m: d::Message) -> PassMessage {
    PassMessage {
        id: m.id,
        header: m.header,
        body: m.body,
        message_type: match m.message_type {
            d::MessageType::Text => PassMessageType::Text,
            d::MessageType::ExpirationNotification => PassMessageType::ExpirationNotification,
            d::MessageType::TextAndNotify => PassMessageType::TextAndNotify,
        },
        display_start: dt(m.display_start),
        display_end: dt(m.display_end),
    }
}

pub(crate) fn flight_status(s: d::FlightStatus) -> FlightStatus {
    match s {
        d::FlightStatus::Scheduled => FlightStatus::Scheduled,
        d::FlightStatus::Active => FlightStatus::Active,
        d::FlightStatus::Landed => FlightStatus::Landed,
        d::FlightStatus::Cancelled => FlightStatus::Cancelled,
        d::FlightStatus::Redirected => FlightStatus::Redirected,
        d::FlightStatus::Diverted => FlightStatus::Diverted,
    }
}

fn flight(f: d::Flight) -> FlightInfo {
    FlightInfo {
        carrier_iata_code: f.carrier_iata_code,
        airline_name: f.airline_name,
        flight_number: f.flight_number,
        origin_airport: f.origin_airport,
        origin_terminal: f.origin_terminal,
        origin_gate: f.origin_gate,
        destination_airport: f.destination_airport,
        destination_terminal: f.destination_terminal,
        destination_gate: f.destination_gate,
        scheduled_departure: dt(f.scheduled_departure),
        estimated_or_actual_departure: dt(f.estimated_or_actual_departure),
        boarding_time: dt(f.boarding_time),
        gate_closing_time: dt(f.gate_closing_time),
        scheduled_arrival: dt(f.scheduled_arrival),
        estimated_or_actual_arrival: dt(f.estimated_or_actual_arrival),
        status: f.status.map(flight_status),
        passenger_name: f.passenger_name,
        boarding_group: f.boarding_group,
        boarding_position: f.boarding_position,
        seat_number: f.seat_number,
        seat_class: f.seat_class,
        sequence_number: f.sequence_number,
        confirmation_code: f.confirmation_code,
        eticket_number: f.eticket_number,
    }
}

fn event(e: d::EventTicket) -> EventTicketInfo {
    EventTicketInfo {
        event_name: e.event_name,
        event_id: e.event_id,
        venue_name: e.venue_name,
        venue_address: e.venue_address,
        doors_open: dt(e.doors_open),
        start: dt(e.start),
        end: dt(e.end),
        fine_print: e.fine_print,
        seat: e.seat,
        row: e.row,
        section: e.section,
        gate: e.gate,
        ticket_type: e.ticket_type,
        ticket_holder_name: e.ticket_holder_name,
        ticket_number: e.ticket_number,
        face_value: money(e.face_value),
        confirmation_code: e.confirmation_code,
    }
}

fn transit(t: d::Transit) -> TransitInfo {
    TransitInfo {
        transit_type: t.transit_type.map(|x| match x {
            d::TransitType::Bus => TransitType::Bus,
            d::TransitType::Rail => TransitType::Rail,
            d::TransitType::Tram => TransitType::Tram,
            d::TransitType::Ferry => TransitType::Ferry,
            d::TransitType::Other => TransitType::Other,
        }),
        trip_type: t.trip_type.map(|x| match x {
            d::TripType::RoundTrip => TripType::RoundTrip,
            d::TripType::OneWay => TripType::OneWay,
        }),
        origin_name: t.origin_name,
        origin_station_code: t.origin_station_code,
        destination_name: t.destination_name,
        destination_station_code: t.destination_station_code,
        departure: dt(t.departure),
        arrival: dt(t.arrival),
        platform: t.platform,
        carriage: t.carriage,
        zone: t.zone,
        ticket_status: t.ticket_status.map(|x| match x {
            d::TicketStatus::Used => TicketStatus::Used,
            d::TicketStatus::Refunded => TicketStatus::Refunded,
            d::TicketStatus::Exchanged => TicketStatus::Exchanged,
        }),
        passenger_type: t.passenger_type.map(|x| match x {
            d::PassengerType::SinglePassenger => PassengerType::SinglePassenger,
            d::PassengerType::MultiplePassengers => PassengerType::MultiplePassengers,
        }),
        passenger_names: t.passenger_names,
        ticket_number: t.ticket_number,
        fare_name: t.fare_name,
        fare: money(t.fare),
    }
}

fn offer(o: d::Offer) -> OfferInfo {
    OfferInfo {
        provider: o.provider,
        details: o.details,
        fine_print: o.fine_print,
        redemption_channel: o.redemption_channel.map(|c| match c {
            d::RedemptionChannel::Instore => RedemptionChannel::Instore,
            d::RedemptionChannel::Online => RedemptionChannel::Online,
            d::RedemptionChannel::Both => RedemptionChannel::Both,
            d::RedemptionChannel::TemporaryPriceReduction => {
                RedemptionChannel::TemporaryPriceReduction
            }
        }),
        help_uri: o.help_uri,
    }
}

fn gift_card(g: d::GiftCard) -> GiftCardInfo {
    GiftCardInfo {
        card_number: g.card_number,
        has_pin: g.pin.is_some(),
        event_number: g.event_number,
        balance_update_time: dt(g.balance_update_time),
        card_number_label: g.card_number_label,
        pin_label: g.pin_label,
        event_number_label: g.event_number_label,
    }
}

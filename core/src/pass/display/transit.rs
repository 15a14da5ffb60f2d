//! Transit display fields: `TransitClass` (transit type) and `TransitObject` (trip type,
//! first ticket leg, ticket status, passengers, fare), Google Wallet REST v1.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use super::common::{date_str, enum_field, localized_field};
use super::{or_fields, DisplayDateTime, MAX_CODE_LEN};
use crate::pass::google_wallet::{money, ImportError, MAX_TEXT_LEN};
use crate::pass::json_reader::Obj;
use crate::pass::model::Money;

/// Most `ticketLegs` read (only the first is shown; the rest are still checked).
pub const MAX_TICKET_LEGS: usize = 16;

/// `transitType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransitType {
    Bus,
    Rail,
    Tram,
    Ferry,
    Other,
}

/// `tripType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TripType {
    RoundTrip,
    OneWay,
}

/// `ticketStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketStatus {
    Used,
    Refunded,
    Exchanged,
}

/// `passengerType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PassengerType {
    SinglePassenger,
    MultiplePassengers,
}

/// A transit ticket as shown (its first leg).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Transit {
    pub transit_type: Option<TransitType>,
    pub trip_type: Option<TripType>,
    pub origin_name: Option<String>,
    pub origin_station_code: Option<String>,
    pub destination_name: Option<String>,
    pub destination_station_code: Option<String>,
    pub departure: Option<DisplayDateTime>,
    pub arrival: Option<DisplayDateTime>,
    pub platform: Option<String>,
    pub carriage: Option<String>,
    pub zone: Option<String>,
    pub ticket_status: Option<TicketStatus>,
    pub passenger_type: Option<PassengerType>,
    pub passenger_names: Option<String>,
    pub ticket_number: Option<String>,
    /// `ticketLeg.fareName`.
    pub fare_name: Option<String>,
    /// `purchaseDetails.ticketCost.purchasePrice`, else its `faceValue`.
    pub fare: Option<Money>,
}

or_fields!(Transit {
    transit_type,
    trip_type,
    origin_name,
    origin_station_code,
    destination_name,
    destination_station_code,
    departure,
    arrival,
    platform,
    carriage,
    zone,
    ticket_status,
    passenger_type,
    passenger_names,
    ticket_number,
    fare_name,
    fare,
});

pub(super) fn class(o: &Obj<'_, '_>) -> Result<Transit, ImportError> {
    let transit_type = enum_field(o, "transitType", |s| {
        Some(match s {
            "BUS" => TransitType::Bus,
            "RAIL" => TransitType::Rail,
            "TRAM" => TransitType::Tram,
            "FERRY" => TransitType::Ferry,
            "OTHER" => TransitType::Other,
            _ => return None,
        })
    })?;
    Ok(Transit { transit_type, ..Transit::default() })
}

/// `TicketLeg`: the fields of the first leg.
fn leg(l: &Obj<'_, '_>) -> Result<Transit, ImportError> {
    Ok(Transit {
        origin_name: localized_field(l, "originName")?,
        origin_station_code: l.opt_string("originStationCode", MAX_CODE_LEN)?,
        destination_name: localized_field(l, "destinationName")?,
        destination_station_code: l.opt_string("destinationStationCode", MAX_CODE_LEN)?,
        departure: date_str(l, "departureDateTime")?,
        arrival: date_str(l, "arrivalDateTime")?,
        platform: l.opt_string("platform", MAX_CODE_LEN)?,
        carriage: l.opt_string("carriage", MAX_CODE_LEN)?,
        zone: l.opt_string("zone", MAX_CODE_LEN)?,
        fare_name: localized_field(l, "fareName")?,
        ..Transit::default()
    })
}

pub(super) fn object(o: &Obj<'_, '_>) -> Result<Transit, ImportError> {
    let single = o.opt_obj("ticketLeg", |l| leg(&l))?;
    let legs = o.array("ticketLegs", MAX_TICKET_LEGS, |i| leg(&i.obj()?))?;
    let first = single.or_else(|| legs.into_iter().next()).unwrap_or_default();
    let fare = o
        .opt_obj("purchaseDetails", |p| {
            p.opt_obj("ticketCost", |c| {
                Ok(c.opt_obj("purchasePrice", money)?.or(c.opt_obj("faceValue", money)?))
            })
        })?
        .flatten()
        .flatten();
    let trip_type = enum_field(o, "tripType", |s| match s {
        "ROUND_TRIP" => Some(TripType::RoundTrip),
        "ONE_WAY" => Some(TripType::OneWay),
        _ => None,
    })?;
    let ticket_status = enum_field(o, "ticketStatus", |s| match s {
        "USED" => Some(TicketStatus::Used),
        "REFUNDED" => Some(TicketStatus::Refunded),
        "EXCHANGED" => Some(TicketStatus::Exchanged),
        _ => None,
    })?;
    let passenger_type = enum_field(o, "passengerType", |s| match s {
        "SINGLE_PASSENGER" => Some(PassengerType::SinglePassenger),
        "MULTIPLE_PASSENGERS" => Some(PassengerType::MultiplePassengers),
        _ => None,
    })?;
    Ok(Transit {
        trip_type,
        ticket_status,
        passenger_type,
        passenger_names: o.opt_string("passengerNames", MAX_TEXT_LEN)?,
        ticket_number: o.opt_string("ticketNumber", MAX_CODE_LEN)?,
        fare,
        ..first
    })
}

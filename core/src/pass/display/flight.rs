//! Flight display fields: `FlightClass` (header, airports, times, status) and
//! `FlightObject` (passenger, boarding and seating, reservation), Google Wallet REST v1.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use super::common::{date_str, enum_field, localized_field};
use super::{or_fields, DisplayDateTime, MAX_CODE_LEN};
use crate::pass::google_wallet::{ImportError, MAX_TEXT_LEN};
use crate::pass::json_reader::Obj;

/// `flightStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlightStatus {
    Scheduled,
    Active,
    Landed,
    Cancelled,
    Redirected,
    Diverted,
}

/// A flight as shown. Times are the airports' local times as written (usually no offset).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Flight {
    /// `flightHeader.carrier.carrierIataCode`, e.g. `LX`.
    pub carrier_iata_code: Option<String>,
    /// `flightHeader.carrier.airlineName`.
    pub airline_name: Option<String>,
    /// `flightHeader.flightNumber`, e.g. `318`.
    pub flight_number: Option<String>,
    pub origin_airport: Option<String>,
    pub origin_terminal: Option<String>,
    pub origin_gate: Option<String>,
    pub destination_airport: Option<String>,
    pub destination_terminal: Option<String>,
    pub destination_gate: Option<String>,
    pub scheduled_departure: Option<DisplayDateTime>,
    /// `localEstimatedOrActualDepartureDateTime`.
    pub estimated_or_actual_departure: Option<DisplayDateTime>,
    pub boarding_time: Option<DisplayDateTime>,
    pub gate_closing_time: Option<DisplayDateTime>,
    pub scheduled_arrival: Option<DisplayDateTime>,
    /// `localEstimatedOrActualArrivalDateTime`.
    pub estimated_or_actual_arrival: Option<DisplayDateTime>,
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

or_fields!(Flight {
    carrier_iata_code,
    airline_name,
    flight_number,
    origin_airport,
    origin_terminal,
    origin_gate,
    destination_airport,
    destination_terminal,
    destination_gate,
    scheduled_departure,
    estimated_or_actual_departure,
    boarding_time,
    gate_closing_time,
    scheduled_arrival,
    estimated_or_actual_arrival,
    status,
    passenger_name,
    boarding_group,
    boarding_position,
    seat_number,
    seat_class,
    sequence_number,
    confirmation_code,
    eticket_number,
});

fn status(s: &str) -> Option<FlightStatus> {
    Some(match s {
        "SCHEDULED" => FlightStatus::Scheduled,
        "ACTIVE" => FlightStatus::Active,
        "LANDED" => FlightStatus::Landed,
        "CANCELLED" => FlightStatus::Cancelled,
        "REDIRECTED" => FlightStatus::Redirected,
        "DIVERTED" => FlightStatus::Diverted,
        _ => return None,
    })
}

type Airport = (Option<String>, Option<String>, Option<String>);

/// `AirportInfo`: IATA code, terminal, gate.
fn airport(o: &Obj<'_, '_>, key: &'static str) -> Result<Airport, ImportError> {
    Ok(o.opt_obj(key, |a| {
        Ok((
            a.opt_string("airportIataCode", MAX_CODE_LEN)?,
            a.opt_string("terminal", MAX_CODE_LEN)?,
            a.opt_string("gate", MAX_CODE_LEN)?,
        ))
    })?
    .unwrap_or_default())
}

pub(super) fn class(o: &Obj<'_, '_>) -> Result<Flight, ImportError> {
    let header = o
        .opt_obj("flightHeader", |h| {
            let carrier = h
                .opt_obj("carrier", |c| {
                    Ok((
                        c.opt_string("carrierIataCode", MAX_CODE_LEN)?,
                        localized_field(&c, "airlineName")?,
                    ))
                })?
                .unwrap_or_default();
            Ok((carrier, h.opt_string("flightNumber", MAX_CODE_LEN)?))
        })?
        .unwrap_or_default();
    let ((carrier_iata_code, airline_name), flight_number) = header;
    let (origin_airport, origin_terminal, origin_gate) = airport(o, "origin")?;
    let (destination_airport, destination_terminal, destination_gate) = airport(o, "destination")?;
    Ok(Flight {
        carrier_iata_code,
        airline_name,
        flight_number,
        origin_airport,
        origin_terminal,
        origin_gate,
        destination_airport,
        destination_terminal,
        destination_gate,
        scheduled_departure: date_str(o, "localScheduledDepartureDateTime")?,
        estimated_or_actual_departure: date_str(o, "localEstimatedOrActualDepartureDateTime")?,
        boarding_time: date_str(o, "localBoardingDateTime")?,
        gate_closing_time: date_str(o, "localGateClosingDateTime")?,
        scheduled_arrival: date_str(o, "localScheduledArrivalDateTime")?,
        estimated_or_actual_arrival: date_str(o, "localEstimatedOrActualArrivalDateTime")?,
        status: enum_field(o, "flightStatus", status)?,
        ..Flight::default()
    })
}

pub(super) fn object(o: &Obj<'_, '_>) -> Result<Flight, ImportError> {
    let seating = o
        .opt_obj("boardingAndSeatingInfo", |b| {
            Ok([
                b.opt_string("boardingGroup", MAX_CODE_LEN)?,
                b.opt_string("boardingPosition", MAX_CODE_LEN)?,
                b.opt_string("seatNumber", MAX_CODE_LEN)?,
                b.opt_string("seatClass", MAX_CODE_LEN)?,
                b.opt_string("sequenceNumber", MAX_CODE_LEN)?,
            ])
        })?
        .unwrap_or_default();
    let [boarding_group, boarding_position, seat_number, seat_class, sequence_number] = seating;
    let (confirmation_code, eticket_number) = o
        .opt_obj("reservationInfo", |r| {
            Ok((
                r.opt_string("confirmationCode", MAX_CODE_LEN)?,
                r.opt_string("eticketNumber", MAX_CODE_LEN)?,
            ))
        })?
        .unwrap_or_default();
    Ok(Flight {
        passenger_name: o.opt_string("passengerName", MAX_TEXT_LEN)?,
        boarding_group,
        boarding_position,
        seat_number,
        seat_class,
        sequence_number,
        confirmation_code,
        eticket_number,
        ..Flight::default()
    })
}

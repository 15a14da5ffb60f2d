//! Event ticket display fields: `EventTicketClass` (event, venue, times, fine print) and
//! `EventTicketObject` (seat, holder, ticket, face value), Google Wallet REST v1.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use super::common::{date_str, localized_field};
use super::{or_fields, DisplayDateTime, MAX_BODY_LEN, MAX_CODE_LEN};
use crate::pass::google_wallet::{money, ImportError, MAX_TEXT_LEN};
use crate::pass::json_reader::Obj;
use crate::pass::model::Money;

/// An event ticket as shown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventTicket {
    pub event_name: Option<String>,
    pub event_id: Option<String>,
    pub venue_name: Option<String>,
    pub venue_address: Option<String>,
    /// `dateTime.doorsOpen`, `.start`, `.end`.
    pub doors_open: Option<DisplayDateTime>,
    pub start: Option<DisplayDateTime>,
    pub end: Option<DisplayDateTime>,
    pub fine_print: Option<String>,
    /// `seatInfo.seat`, `.row`, `.section`, `.gate`.
    pub seat: Option<String>,
    pub row: Option<String>,
    pub section: Option<String>,
    pub gate: Option<String>,
    pub ticket_type: Option<String>,
    pub ticket_holder_name: Option<String>,
    pub ticket_number: Option<String>,
    pub face_value: Option<Money>,
    pub confirmation_code: Option<String>,
}

or_fields!(EventTicket {
    event_name,
    event_id,
    venue_name,
    venue_address,
    doors_open,
    start,
    end,
    fine_print,
    seat,
    row,
    section,
    gate,
    ticket_type,
    ticket_holder_name,
    ticket_number,
    face_value,
    confirmation_code,
});

pub(super) fn class(o: &Obj<'_, '_>) -> Result<EventTicket, ImportError> {
    let (venue_name, venue_address) = o
        .opt_obj("venue", |v| Ok((localized_field(&v, "name")?, localized_field(&v, "address")?)))?
        .unwrap_or_default();
    let (doors_open, start, end) = o
        .opt_obj("dateTime", |d| {
            Ok((date_str(&d, "doorsOpen")?, date_str(&d, "start")?, date_str(&d, "end")?))
        })?
        .unwrap_or_default();
    let fine_print = o
        .opt_obj("finePrint", |l| {
            Ok(l.opt_obj("defaultValue", |d| d.opt_string("value", MAX_BODY_LEN))?.flatten())
        })?
        .flatten();
    Ok(EventTicket {
        event_name: localized_field(o, "eventName")?,
        event_id: o.opt_string("eventId", MAX_TEXT_LEN)?,
        venue_name,
        venue_address,
        doors_open,
        start,
        end,
        fine_print,
        ..EventTicket::default()
    })
}

pub(super) fn object(o: &Obj<'_, '_>) -> Result<EventTicket, ImportError> {
    let seat = o
        .opt_obj("seatInfo", |s| {
            Ok([
                localized_field(&s, "seat")?,
                localized_field(&s, "row")?,
                localized_field(&s, "section")?,
                localized_field(&s, "gate")?,
            ])
        })?
        .unwrap_or_default();
    let [seat, row, section, gate] = seat;
    Ok(EventTicket {
        seat,
        row,
        section,
        gate,
        ticket_type: localized_field(o, "ticketType")?,
        ticket_holder_name: o.opt_string("ticketHolderName", MAX_TEXT_LEN)?,
        ticket_number: o.opt_string("ticketNumber", MAX_CODE_LEN)?,
        face_value: o.opt_obj("faceValue", money)?,
        confirmation_code: o
            .opt_obj("reservationInfo", |r| r.opt_string("confirmationCode", MAX_CODE_LEN))?
            .flatten(),
        ..EventTicket::default()
    })
}

//! What an issuer update changed on one pass, as typed events for notifications: the pass
//! as shown before and after (object merged with its class) compared field by field.
// Works on untrusted bundles: no panics.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use crate::pass::datetime::DateTimeBound;
use crate::pass::display::{Details, DisplayDateTime, FlightStatus, Message, Vertical};
use crate::pass::model::{Balance, PassClass, PassObject, PassState};

/// Which time of a flight moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlightTime {
    Departure,
    Arrival,
    Boarding,
}

/// One change an issuer made to a pass the user holds.
#[derive(Clone, Debug, PartialEq)]
pub enum PassChange {
    /// The issuer added a pass to the wallet.
    Added {
        object_id: String,
    },
    /// The issuer removed the pass.
    Removed {
        object_id: String,
    },
    /// The pass's state became `EXPIRED`.
    Expired {
        object_id: String,
    },
    /// A message the pass did not show before (class or object).
    NewMessage {
        object_id: String,
        message: Message,
    },
    /// The end of the validity interval moved.
    ExpiryMoved {
        object_id: String,
        from: Option<DateTimeBound>,
        to: Option<DateTimeBound>,
    },
    /// The balance (points, money) changed.
    BalanceChanged {
        object_id: String,
        from: Option<Balance>,
        to: Option<Balance>,
    },
    FlightStatusChanged {
        object_id: String,
        from: Option<FlightStatus>,
        to: Option<FlightStatus>,
    },
    /// The departure gate moved.
    FlightGateChanged {
        object_id: String,
        from: Option<String>,
        to: Option<String>,
    },
    /// An estimated / actual or boarding time moved (the scheduled time is the plan).
    FlightTimeChanged {
        object_id: String,
        which: FlightTime,
        from: Option<DisplayDateTime>,
        to: Option<DisplayDateTime>,
    },
    /// The event's start moved.
    EventTimeChanged {
        object_id: String,
        from: Option<DisplayDateTime>,
        to: Option<DisplayDateTime>,
    },
}

impl PassChange {
    /// The pass it is about.
    pub fn object_id(&self) -> &str {
        use PassChange as C;
        match self {
            C::Added { object_id }
            | C::Removed { object_id }
            | C::Expired { object_id }
            | C::NewMessage { object_id, .. }
            | C::ExpiryMoved { object_id, .. }
            | C::BalanceChanged { object_id, .. }
            | C::FlightStatusChanged { object_id, .. }
            | C::FlightGateChanged { object_id, .. }
            | C::FlightTimeChanged { object_id, .. }
            | C::EventTimeChanged { object_id, .. } => object_id,
        }
    }

    /// A short stable name (`pass.balance_changed`, …) for the activity log.
    pub fn kind(&self) -> &'static str {
        use PassChange as C;
        match self {
            C::Added { .. } => "pass.added",
            C::Removed { .. } => "pass.removed",
            C::Expired { .. } => "pass.expired",
            C::NewMessage { .. } => "pass.new_message",
            C::ExpiryMoved { .. } => "pass.expiry_moved",
            C::BalanceChanged { .. } => "pass.balance_changed",
            C::FlightStatusChanged { .. } => "pass.flight_status_changed",
            C::FlightGateChanged { .. } => "pass.flight_gate_changed",
            C::FlightTimeChanged { .. } => "pass.flight_time_changed",
            C::EventTimeChanged { .. } => "pass.event_time_changed",
        }
    }
}

/// A pass as held: the object and its class (if held).
pub type Shown<'a> = (&'a PassObject, Option<&'a PassClass>);

fn details(p: Shown<'_>) -> Details {
    match p.1 {
        Some(c) => Details::merged(&c.details, &p.0.details),
        None => p.0.details.clone(),
    }
}

/// The changes from `before` to `after` of one pass (`None`: not held).
pub fn diff(before: Option<Shown<'_>>, after: Option<Shown<'_>>) -> Vec<PassChange> {
    let (b, a) = match (before, after) {
        (None, None) => return Vec::new(),
        (None, Some(a)) => return vec![PassChange::Added { object_id: a.0.id.clone() }],
        (Some(b), None) => return vec![PassChange::Removed { object_id: b.0.id.clone() }],
        (Some(b), Some(a)) => (b, a),
    };
    let id = || a.0.id.clone();
    let mut out = Vec::new();
    if a.0.state == PassState::Expired && b.0.state != PassState::Expired {
        out.push(PassChange::Expired { object_id: id() });
    }
    let (bd, ad) = (details(b), details(a));
    for m in &ad.modules.messages {
        if !bd.modules.messages.contains(m) {
            out.push(PassChange::NewMessage { object_id: id(), message: m.clone() });
        }
    }
    let (from, to) = (b.0.valid_time_interval.end, a.0.valid_time_interval.end);
    if from != to {
        out.push(PassChange::ExpiryMoved { object_id: id(), from, to });
    }
    if b.0.balance != a.0.balance {
        out.push(PassChange::BalanceChanged {
            object_id: id(),
            from: b.0.balance.clone(),
            to: a.0.balance.clone(),
        });
    }
    match (&bd.vertical, &ad.vertical) {
        (Vertical::Flight(f0), Vertical::Flight(f1)) => {
            if f0.status != f1.status {
                out.push(PassChange::FlightStatusChanged {
                    object_id: id(),
                    from: f0.status,
                    to: f1.status,
                });
            }
            if f0.origin_gate != f1.origin_gate {
                out.push(PassChange::FlightGateChanged {
                    object_id: id(),
                    from: f0.origin_gate.clone(),
                    to: f1.origin_gate.clone(),
                });
            }
            for (which, from, to) in [
                (
                    FlightTime::Departure,
                    f0.estimated_or_actual_departure.or(f0.scheduled_departure),
                    f1.estimated_or_actual_departure.or(f1.scheduled_departure),
                ),
                (
                    FlightTime::Arrival,
                    f0.estimated_or_actual_arrival.or(f0.scheduled_arrival),
                    f1.estimated_or_actual_arrival.or(f1.scheduled_arrival),
                ),
                (FlightTime::Boarding, f0.boarding_time, f1.boarding_time),
            ] {
                if from != to {
                    out.push(PassChange::FlightTimeChanged { object_id: id(), which, from, to });
                }
            }
        }
        (Vertical::EventTicket(e0), Vertical::EventTicket(e1)) if e0.start != e1.start => {
            out.push(PassChange::EventTimeChanged {
                object_id: id(),
                from: e0.start,
                to: e1.start,
            });
        }
        _ => {}
    }
    out
}

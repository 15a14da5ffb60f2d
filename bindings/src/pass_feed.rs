//! Issuer pass-update feeds in Kotlin: the feed configuration (`WalletConfig.passFeeds`),
//! what a sync did ([`PassFeedOutcome`]) and what changed on a pass ([`PassChange`],
//! delivered as `WalletEvent.PassChanged` for notifications). Translation only.

use hce_wallet::{FlightTime as CoreFlightTime, PassChange as CoreChange};
use hce_wallet_core::pass::DateTimeBound;

use crate::display::{dt, flight_status, message, FlightStatus, PassDateTime, PassMessage};

/// One issuer's feed: where its signed bundles are and the key that signs them.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PassFeedConfig {
    pub issuer_id: u64,
    pub url: String,
    /// The issuer's feed public key (PEM SubjectPublicKeyInfo, P-256), pinned.
    pub feed_key_pem: String,
}

impl From<PassFeedConfig> for hce_wallet::PassFeedConfig {
    fn from(c: PassFeedConfig) -> Self {
        hce_wallet::PassFeedConfig {
            issuer_id: c.issuer_id,
            url: c.url,
            feed_key_pem: c.feed_key_pem,
        }
    }
}

/// Which time of a flight moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum FlightTime {
    Departure,
    Arrival,
    Boarding,
}

/// One change an issuer made to a pass the user holds (show it as a notification).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum PassChange {
    Added {
        object_id: String,
    },
    Removed {
        object_id: String,
    },
    Expired {
        object_id: String,
    },
    NewMessage {
        object_id: String,
        message: PassMessage,
    },
    /// The validity end moved (`null`: open-ended).
    ExpiryMoved {
        object_id: String,
        from: Option<PassDateTime>,
        to: Option<PassDateTime>,
    },
    /// The balance as text (`"25.00 EUR"`, `"120"`), before and after.
    BalanceChanged {
        object_id: String,
        from: Option<String>,
        to: Option<String>,
    },
    FlightStatusChanged {
        object_id: String,
        from: Option<FlightStatus>,
        to: Option<FlightStatus>,
    },
    FlightGateChanged {
        object_id: String,
        from: Option<String>,
        to: Option<String>,
    },
    FlightTimeChanged {
        object_id: String,
        which: FlightTime,
        from: Option<PassDateTime>,
        to: Option<PassDateTime>,
    },
    EventTimeChanged {
        object_id: String,
        from: Option<PassDateTime>,
        to: Option<PassDateTime>,
    },
}

/// A validity bound: an instant is shown in UTC (offset 0), a local time as written.
pub(crate) fn bound(b: Option<DateTimeBound>) -> Option<PassDateTime> {
    b.map(|b| match b {
        DateTimeBound::Instant { utc_ms } => {
            PassDateTime { epoch_ms: utc_ms, offset_seconds: Some(0) }
        }
        DateTimeBound::Local { wall_ms } => {
            PassDateTime { epoch_ms: wall_ms, offset_seconds: None }
        }
    })
}

impl From<CoreChange> for PassChange {
    fn from(c: CoreChange) -> Self {
        let balance = |b: Option<hce_wallet_core::pass::Balance>| {
            b.map(|b| hce_wallet::passes::balance_text(&b.value))
        };
        match c {
            CoreChange::Added { object_id } => PassChange::Added { object_id },
            CoreChange::Removed { object_id } => PassChange::Removed { object_id },
            CoreChange::Expired { object_id } => PassChange::Expired { object_id },
            CoreChange::NewMessage { object_id, message: m } => {
                PassChange::NewMessage { object_id, message: message(m) }
            }
            CoreChange::ExpiryMoved { object_id, from, to } => {
                PassChange::ExpiryMoved { object_id, from: bound(from), to: bound(to) }
            }
            CoreChange::BalanceChanged { object_id, from, to } => {
                PassChange::BalanceChanged { object_id, from: balance(from), to: balance(to) }
            }
            CoreChange::FlightStatusChanged { object_id, from, to } => {
                PassChange::FlightStatusChanged {
                    object_id,
                    from: from.map(flight_status),
                    to: to.map(flight_status),
                }
            }
            CoreChange::FlightGateChanged { object_id, from, to } => {
                PassChange::FlightGateChanged { object_id, from, to }
            }
            CoreChange::FlightTimeChanged { object_id, which, from, to } => {
                PassChange::FlightTimeChanged {
                    object_id,
                    which: match which {
                        CoreFlightTime::Departure => FlightTime::Departure,
                        CoreFlightTime::Arrival => FlightTime::Arrival,
                        CoreFlightTime::Boarding => FlightTime::Boarding,
                    },
                    from: dt(from),
                    to: dt(to),
                }
            }
            CoreChange::EventTimeChanged { object_id, from, to } => {
                PassChange::EventTimeChanged { object_id, from: dt(from), to: dt(to) }
            }
        }
    }
}

/// What one feed's sync did.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum PassFeedOutcome {
    /// A bundle was applied; its changes were also sent as `WalletEvent.PassChanged`.
    Updated {
        issuer_id: u64,
        sequence: u64,
        changes: Vec<PassChange>,
    },
    NotModified {
        issuer_id: u64,
    },
    /// Not due yet.
    Skipped {
        issuer_id: u64,
    },
    /// Refused or failed; nothing changed.
    Failed {
        issuer_id: u64,
        reason: String,
        retry_at_ms: i64,
    },
}

impl From<hce_wallet::PassFeedOutcome> for PassFeedOutcome {
    fn from(o: hce_wallet::PassFeedOutcome) -> Self {
        use hce_wallet::PassFeedOutcome as O;
        match o {
            O::Updated { issuer_id, sequence, changes } => PassFeedOutcome::Updated {
                issuer_id,
                sequence,
                changes: changes.into_iter().map(PassChange::from).collect(),
            },
            O::NotModified { issuer_id } => PassFeedOutcome::NotModified { issuer_id },
            O::Skipped { issuer_id } => PassFeedOutcome::Skipped { issuer_id },
            O::Failed { issuer_id, reason, retry_at_ms } => {
                PassFeedOutcome::Failed { issuer_id, reason, retry_at_ms }
            }
        }
    }
}

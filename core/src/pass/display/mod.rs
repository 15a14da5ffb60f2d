//! The display model of a pass: everything the Google Wallet REST reference (v1 resources)
//! defines for *showing* a pass, for every vertical, so an app renders any pass without
//! parsing JSON. Smart Tap never reads any of it (smart-tap spec §12 only needs
//! [`super::model`]).
//!
//! - [`Modules`]: what class and object share — `messages` (with display interval and
//!   type), `textModulesData`, `linksModuleData`, `imageModulesData` (URIs only),
//!   `infoModuleData`, `locations`, `heroImage`.
//! - [`Vertical`]: the vertical's own fields ([`Flight`], [`EventTicket`], [`Transit`],
//!   [`Offer`], [`GiftCard`], [`Generic`]). Class and object each fill the fields their
//!   resource carries; [`Details::merged`] gives the pass as shown (object over class).
//!
//! Dates are [`DisplayDateTime`]: epoch milliseconds plus the offset they were written in.
//! Every text, URI and list has a cap (the constants below); a known field that is
//! mistyped or over its cap fails the import with its JSON path, unknown fields are never
//! read. An enum value this build does not know (Google adds values over time) reads as
//! absent rather than failing a display-only field. A gift card's PIN is a [`SecretText`]:
//! zeroized on drop, redacted in `Debug`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

mod common;
mod event;
mod flight;
mod generic;
mod gift_card;
mod offer;
mod transit;

pub use event::EventTicket;
pub use flight::{Flight, FlightStatus};
pub use generic::Generic;
pub use gift_card::GiftCard;
pub use offer::{Offer, RedemptionChannel};
pub use transit::{PassengerType, TicketStatus, Transit, TransitType, TripType};

pub(crate) use common::{message as read_message, read_class_details, read_object_details};

// List caps bound abuse, not display: Google Wallet shows fewer (e.g. 10 text modules
// from the class and 10 from the object) but issuers may send more, and a real pass must
// never be refused for it. The 1 MiB document cap bounds the total.
/// Most `messages` on one class or object (an update beyond it drops the oldest).
pub const MAX_MESSAGES: usize = 100;
/// Most `textModulesData` entries on one class or object.
pub const MAX_TEXT_MODULES: usize = 100;
/// Most `linksModuleData.uris` on one class or object.
pub const MAX_LINKS: usize = 100;
/// Most `imageModulesData` entries on one class or object.
pub const MAX_IMAGES: usize = 50;
/// Most `infoModuleData.labelValueRows`, and most `columns` in one row.
pub const MAX_INFO_ROWS: usize = 50;
pub const MAX_INFO_COLUMNS: usize = 10;
/// Most `locations` on one class or object.
pub const MAX_LOCATIONS: usize = 100;
/// Longest message or text-module body.
pub const MAX_BODY_LEN: usize = 4096;
/// Longest short code (IATA codes, gate, seat, terminal, station code, card number, PIN).
pub const MAX_CODE_LEN: usize = 64;

/// A date-time as the issuer wrote it. With an offset, `epoch_ms` is the instant (UTC)
/// and `offset_seconds` the offset east of UTC it was written in (show the time in that
/// zone, e.g. the airport's); without one (a *local* date-time, as flight times usually
/// are), `epoch_ms` is the wall-clock time read as if it were UTC and `offset_seconds` is
/// `None`: show it as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DisplayDateTime {
    pub epoch_ms: i64,
    pub offset_seconds: Option<i32>,
}

/// A secret display value (a gift card PIN): zeroized on drop, redacted in `Debug`,
/// persisted only inside the encrypted store.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(Zeroizing<String>);

impl SecretText {
    pub fn new(value: Zeroizing<String>) -> Self {
        SecretText(value)
    }
    /// The value (never log it).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(<redacted>)")
    }
}

impl Serialize for SecretText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| SecretText(Zeroizing::new(s)))
    }
}

/// `Message.messageType`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageType {
    /// `TEXT` (or unspecified): shown on the pass.
    #[default]
    Text,
    /// `EXPIRATION_NOTIFICATION`: an expiry notice.
    ExpirationNotification,
    /// `TEXT_AND_NOTIFY`: shown and pushed as a notification.
    TextAndNotify,
}

/// One `messages` entry: a notice from the issuer, shown while `display_start ≤ now <
/// display_end` (each end optional).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: Option<String>,
    pub header: Option<String>,
    pub body: Option<String>,
    pub message_type: MessageType,
    pub display_start: Option<DisplayDateTime>,
    pub display_end: Option<DisplayDateTime>,
}

/// One `textModulesData` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextModule {
    pub id: Option<String>,
    pub header: Option<String>,
    pub body: Option<String>,
}

/// One `linksModuleData.uris` entry (untrusted: the app decides whether to open it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub id: Option<String>,
    pub uri: String,
    pub description: Option<String>,
}

/// One `imageModulesData` entry: the image's URI only (the app decides whether to fetch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageModule {
    pub id: Option<String>,
    pub uri: String,
    pub description: Option<String>,
}

/// One cell of `infoModuleData.labelValueRows[].columns`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelValue {
    pub label: Option<String>,
    pub value: Option<String>,
}

/// One `locations` entry (`LatLongPoint`), range-checked degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatLng {
    pub latitude: f64,
    pub longitude: f64,
}

/// What class and object resources share for display.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Modules {
    pub messages: Vec<Message>,
    pub text_modules: Vec<TextModule>,
    pub links: Vec<Link>,
    pub images: Vec<ImageModule>,
    /// `infoModuleData.labelValueRows`: rows of label/value cells.
    pub info_rows: Vec<Vec<LabelValue>>,
    pub locations: Vec<LatLng>,
    /// `heroImage.sourceUri.uri`.
    pub hero_uri: Option<String>,
}

impl Modules {
    /// Class entries first, then the object's (Google Wallet shows both); the object's
    /// hero image wins.
    pub fn merged(class: &Modules, object: &Modules) -> Modules {
        Modules {
            messages: cat(&class.messages, &object.messages),
            text_modules: cat(&class.text_modules, &object.text_modules),
            links: cat(&class.links, &object.links),
            images: cat(&class.images, &object.images),
            info_rows: cat(&class.info_rows, &object.info_rows),
            locations: cat(&class.locations, &object.locations),
            hero_uri: object.hero_uri.clone().or_else(|| class.hero_uri.clone()),
        }
    }
}

fn cat<T: Clone>(a: &[T], b: &[T]) -> Vec<T> {
    a.iter().chain(b).cloned().collect()
}

/// The vertical's own display fields (boxed: a pass list holds many of them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vertical {
    /// Loyalty (its fields are in [`super::model`]) or nothing imported.
    #[default]
    None,
    Flight(Box<Flight>),
    EventTicket(Box<EventTicket>),
    Transit(Box<Transit>),
    Offer(Box<Offer>),
    GiftCard(Box<GiftCard>),
    Generic(Box<Generic>),
}

impl Vertical {
    /// Field by field, the object's value over the class's; a mismatch of verticals (not
    /// possible after an import) keeps the object's.
    pub fn merged(class: &Vertical, object: &Vertical) -> Vertical {
        use Vertical as V;
        match (class, object) {
            (V::Flight(c), V::Flight(o)) => V::Flight(Box::new(o.or(c))),
            (V::EventTicket(c), V::EventTicket(o)) => V::EventTicket(Box::new(o.or(c))),
            (V::Transit(c), V::Transit(o)) => V::Transit(Box::new(o.or(c))),
            (V::Offer(c), V::Offer(o)) => V::Offer(Box::new(o.or(c))),
            (V::GiftCard(c), V::GiftCard(o)) => V::GiftCard(Box::new(o.or(c))),
            (V::Generic(c), V::Generic(o)) => V::Generic(Box::new(o.or(c))),
            (c, V::None) => c.clone(),
            (_, o) => o.clone(),
        }
    }
}

/// The display details of a class or an object, or of a pass as shown ([`Details::merged`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Details {
    pub modules: Modules,
    pub vertical: Vertical,
}

impl Details {
    /// The pass as shown: class modules then the object's, vertical fields object over class.
    pub fn merged(class: &Details, object: &Details) -> Details {
        Details {
            modules: Modules::merged(&class.modules, &object.modules),
            vertical: Vertical::merged(&class.vertical, &object.vertical),
        }
    }
}

/// `Self { f: self.f.or(other.f), … }` for structs of `Option` fields.
macro_rules! or_fields {
    ($ty:ident { $($f:ident),* $(,)? }) => {
        impl $ty {
            /// Field by field, `self`'s value where it has one, else `other`'s.
            pub fn or(&self, other: &$ty) -> $ty {
                $ty { $($f: self.$f.clone().or_else(|| other.$f.clone())),* }
            }
        }
    };
}
pub(crate) use or_fields;

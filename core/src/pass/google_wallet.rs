//! Import of Google Wallet pass JSON as issuers write it (Google Wallet REST API v1
//! resources, and the `payload` section of a "save to wallet" JWT), smart-tap spec §12.1. What only
//! shows a pass (messages, modules, the verticals' own fields) is read by
//! [`super::display`].
//!
//! Accepted documents ([`import_json`] detects which):
//! - a compact JWT (`xxx.yyy.zzz`) or its decoded claims `{"payload": {...}}`;
//! - a payload section `{"loyaltyClasses": [...], "loyaltyObjects": [...], ...}` with the
//!   plural sections of all seven verticals;
//! - one REST resource carrying `"kind": "walletobjects#loyaltyObject"` (etc.), or a REST
//!   list response `{"resources": [...]}` of such resources;
//! - one REST resource without `kind` — the bare `LoyaltyClass` / `LoyaltyObject` (etc.)
//!   body an issuer sends to the REST `insert` method and keeps — through
//!   [`import_resource`] or [`import_json_as`], the vertical named by the caller
//!   ([`ResourceKind::from_name`]: `loyaltyClass`, `LoyaltyObject` or
//!   `walletobjects#loyaltyClass`); a `kind` field present must agree with it.
//!
//! Field rules follow the REST reference: `redemptionIssuers` are int64 (strings or
//! numbers), `state` comes in `ACTIVE` and legacy `active` casings (missing → ACTIVE),
//! `validTimeInterval.{start,end}.date` are date-times (see [`super::datetime`]),
//! `loyaltyPoints.balance` is one of `int`/`double`/`money`/`string`, a gift card's
//! `balance` is `Money`. Unknown fields are ignored; a known field that is missing or
//! mistyped fails the whole import with its JSON path. An import returns a complete
//! [`ImportBatch`] or an error, never part of one. A gift card's `pin` is imported as a
//! secret ([`super::display::SecretText`]).
// Reads untrusted input (issuer JSON, terminal PUSH DATA): no panics, no unchecked maths.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use zeroize::Zeroizing;

use super::datetime::{parse_date_time, DateTimeBound};
use super::display::{read_class_details, read_object_details};
use super::json_reader::{self, Item, Obj, Path};
use super::jwt;
use super::model::{
    pass_type_name, Balance, BalanceValue, Barcode, ClassDisplay, Money, ObjectDisplay, PassClass,
    PassObject, PassState, RedemptionValue, ValidTimeInterval,
};
use crate::ports::{IssuerId, PassType};

/// Longest class or object ID accepted.
pub const MAX_ID_LEN: usize = 255;
/// Longest display text accepted (names, titles, labels).
pub const MAX_TEXT_LEN: usize = 1024;
/// Longest barcode value accepted (a QR code holds at most 4,296 characters).
pub const MAX_BARCODE_LEN: usize = 4296;
/// Longest URI accepted.
pub const MAX_URI_LEN: usize = 2048;
/// Most classes plus objects in one import.
pub const MAX_RESOURCES: usize = 1000;
/// Most `redemptionIssuers` on one class.
pub const MAX_REDEMPTION_ISSUERS: usize = 64;

/// A complete, validated import: classes and objects, IDs unique, every object's vertical
/// equal to its class's where both are in the batch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportBatch {
    pub classes: Vec<PassClass>,
    pub objects: Vec<PassObject>,
}

/// A resource kind, for [`import_resource`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    Class(PassType),
    Object(PassType),
}

impl ResourceKind {
    /// The REST `kind` value, e.g. `walletobjects#giftCardObject`.
    pub fn kind_name(self) -> String {
        match self {
            ResourceKind::Class(t) => format!("walletobjects#{}Class", pass_type_name::name(t)),
            ResourceKind::Object(t) => format!("walletobjects#{}Object", pass_type_name::name(t)),
        }
    }
    /// Parses a resource type as a caller names it (`hcectl wallet import --type`, the
    /// Kotlin `resourceType`): the REST resource name in either casing of its first
    /// letter (`loyaltyClass`, `LoyaltyObject`) or the REST `kind` value
    /// (`walletobjects#giftCardObject`).
    pub fn from_name(name: &str) -> Option<ResourceKind> {
        let name = name.trim();
        if name.starts_with("walletobjects#") {
            return ResourceKind::from_kind_name(name);
        }
        let mut chars = name.chars();
        let first = chars.next()?.to_ascii_lowercase();
        let kind = format!("walletobjects#{first}{}", chars.as_str());
        ResourceKind::from_kind_name(&kind)
    }

    fn from_kind_name(kind: &str) -> Option<ResourceKind> {
        let rest = kind.strip_prefix("walletobjects#")?;
        if let Some(t) = rest.strip_suffix("Class") {
            return pass_type_name::from_name(t).map(ResourceKind::Class);
        }
        rest.strip_suffix("Object").and_then(pass_type_name::from_name).map(ResourceKind::Object)
    }
    fn root_name(self) -> &'static str {
        let i = PassType::ALL.iter().position(|t| *t == self.pass_type()).unwrap_or(0);
        match self {
            ResourceKind::Class(_) => CLASS_ROOTS.get(i).copied().unwrap_or("class"),
            ResourceKind::Object(_) => OBJECT_ROOTS.get(i).copied().unwrap_or("object"),
        }
    }
    fn pass_type(self) -> PassType {
        match self {
            ResourceKind::Class(t) | ResourceKind::Object(t) => t,
        }
    }
}

const CLASS_ROOTS: [&str; 7] = [
    "loyaltyClass",
    "giftCardClass",
    "offerClass",
    "eventTicketClass",
    "flightClass",
    "transitClass",
    "genericClass",
];
const OBJECT_ROOTS: [&str; 7] = [
    "loyaltyObject",
    "giftCardObject",
    "offerObject",
    "eventTicketObject",
    "flightObject",
    "transitObject",
    "genericObject",
];
const CLASS_SECTIONS: [&str; 7] = [
    "loyaltyClasses",
    "giftCardClasses",
    "offerClasses",
    "eventTicketClasses",
    "flightClasses",
    "transitClasses",
    "genericClasses",
];
const OBJECT_SECTIONS: [&str; 7] = [
    "loyaltyObjects",
    "giftCardObjects",
    "offerObjects",
    "eventTicketObjects",
    "flightObjects",
    "transitObjects",
    "genericObjects",
];

/// Why an import failed. Messages name JSON paths and rules, never input values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("document is {len} bytes, more than the {max} accepted")]
    TooLarge { len: usize, max: usize },
    #[error("JSON nested deeper than {max} levels (byte {at})")]
    TooDeep { max: usize, at: usize },
    #[error("{reason} at line {line} column {column}")]
    Syntax { line: usize, column: usize, reason: &'static str },
    #[error("not a Google Wallet pass document: {0}")]
    NotAPassDocument(&'static str),
    #[error("malformed JWT: {0}")]
    Jwt(&'static str),
    #[error("{path}: required field missing")]
    Missing { path: String },
    #[error("{path}: expected {expected}")]
    WrongType { path: String, expected: &'static str },
    #[error("{path}: {len} bytes, more than the {max} accepted")]
    TooLong { path: String, len: usize, max: usize },
    #[error("{path}: {len} items, more than the {max} accepted")]
    TooMany { path: String, len: usize, max: usize },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("{path}: duplicate ID (first at {first})")]
    Duplicate { path: String, first: String },
}

/// Imports any document listed in the module docs, detecting its form.
pub fn import_json(text: &str) -> Result<ImportBatch, ImportError> {
    let trimmed = text.trim();
    if trimmed.starts_with(['[', '"']) {
        return Err(ImportError::NotAPassDocument("expected a JSON object or a JWT"));
    }
    if !trimmed.starts_with('{') {
        return import_jwt(trimmed);
    }
    let parsed = json_reader::parse(trimmed.as_bytes())?;
    let root = Path::Root("");
    let doc = Item { v: &parsed.0, path: &root }.obj()?;
    if doc.has("payload") {
        let p = Path::Root("payload");
        return doc.required("payload", |i| payload(Obj { map: i.obj()?.map, path: &p }));
    }
    if CLASS_SECTIONS.iter().chain(OBJECT_SECTIONS.iter()).any(|s| doc.has(s)) {
        return payload(doc);
    }
    if doc.has("resources") {
        let mut b = Builder::default();
        doc.array("resources", MAX_RESOURCES, |i| {
            let o = i.obj()?;
            let kind = o.req_str("kind", 64)?;
            let kind = ResourceKind::from_kind_name(kind)
                .ok_or_else(|| o.invalid("kind", "not a Google Wallet class or object kind"))?;
            b.add(kind, o)
        })?;
        return b.finish();
    }
    let kind = doc.opt_str("kind", 64)?.and_then(ResourceKind::from_kind_name).ok_or(
        ImportError::NotAPassDocument("no payload section, resource list or known `kind`"),
    )?;
    let mut b = Builder::default();
    let named = Path::Root(kind.root_name());
    b.add(kind, Obj { map: doc.map, path: &named })?;
    b.finish()
}

/// Imports the `payload` section of a save-to-wallet JWT **without checking its
/// signature** (tests, and hosts that verified it elsewhere); a wallet verifies with
/// [`super::save_link::import_verified`].
pub fn import_jwt(token: &str) -> Result<ImportBatch, ImportError> {
    import_claims(&jwt::claims(token)?)
}

/// Imports the `payload` section of decoded JWT claims.
pub(crate) fn import_claims(claims: &[u8]) -> Result<ImportBatch, ImportError> {
    let parsed = json_reader::parse(claims)?;
    let root = Path::Root("");
    let doc = Item { v: &parsed.0, path: &root }.obj()?;
    let p = Path::Root("payload");
    doc.required("payload", |i| payload(Obj { map: i.obj()?.map, path: &p }))
}

/// Imports `text` as one REST resource of `kind` when given ([`import_resource`]),
/// else detects the document form ([`import_json`]).
pub fn import_json_as(text: &str, kind: Option<ResourceKind>) -> Result<ImportBatch, ImportError> {
    match kind {
        Some(kind) => import_resource(kind, text),
        None => import_json(text),
    }
}

/// Imports one REST resource of a known kind (its `kind` field, if any, must agree).
pub fn import_resource(kind: ResourceKind, text: &str) -> Result<ImportBatch, ImportError> {
    let parsed = json_reader::parse(text.trim().as_bytes())?;
    let root = Path::Root(kind.root_name());
    let doc = Item { v: &parsed.0, path: &root }.obj()?;
    if let Some(k) = doc.opt_str("kind", 64)? {
        if ResourceKind::from_kind_name(k) != Some(kind) {
            return Err(doc.invalid("kind", format!("expected {}", kind.kind_name())));
        }
    }
    let mut b = Builder::default();
    b.add(kind, doc)?;
    b.finish()
}

pub(crate) fn payload(doc: Obj<'_, '_>) -> Result<ImportBatch, ImportError> {
    let mut b = Builder::default();
    let mut total = 0usize;
    for (i, t) in PassType::ALL.iter().enumerate() {
        for (sections, kind) in [
            (&CLASS_SECTIONS, ResourceKind::Class(*t)),
            (&OBJECT_SECTIONS, ResourceKind::Object(*t)),
        ] {
            let Some(section) = sections.get(i).copied() else { continue };
            let left = MAX_RESOURCES.saturating_sub(total);
            let n = doc.array(section, left, |item| b.add(kind, item.obj()?))?;
            total = total.saturating_add(n.len());
        }
    }
    if b.batch.classes.is_empty() && b.batch.objects.is_empty() {
        return Err(ImportError::NotAPassDocument("payload holds no classes or objects"));
    }
    b.finish()
}

/// Collects resources with the JSON path each came from, then validates the whole batch.
#[derive(Default)]
struct Builder {
    batch: ImportBatch,
    class_paths: Vec<String>,
    object_paths: Vec<String>,
}

impl Builder {
    fn add(&mut self, kind: ResourceKind, o: Obj<'_, '_>) -> Result<(), ImportError> {
        match kind {
            ResourceKind::Class(t) => {
                self.batch.classes.push(class(t, o)?);
                self.class_paths.push(o.path.render());
            }
            ResourceKind::Object(t) => {
                self.batch.objects.push(object(t, o)?);
                self.object_paths.push(o.path.render());
            }
        }
        Ok(())
    }

    /// Unique IDs; each object's vertical equals its class's when that class is here too.
    fn finish(self) -> Result<ImportBatch, ImportError> {
        use std::collections::HashMap;
        let at = |paths: &[String], i: usize, field: &str| {
            format!("{}.{field}", paths.get(i).map(String::as_str).unwrap_or("$"))
        };
        let mut classes: HashMap<&str, (usize, PassType)> = HashMap::new();
        for (i, c) in self.batch.classes.iter().enumerate() {
            if let Some((first, _)) = classes.insert(&c.id, (i, c.pass_type)) {
                return Err(ImportError::Duplicate {
                    path: at(&self.class_paths, i, "id"),
                    first: at(&self.class_paths, first, "id"),
                });
            }
        }
        let mut objects: HashMap<&str, usize> = HashMap::new();
        for (i, o) in self.batch.objects.iter().enumerate() {
            if let Some(first) = objects.insert(&o.id, i) {
                return Err(ImportError::Duplicate {
                    path: at(&self.object_paths, i, "id"),
                    first: at(&self.object_paths, first, "id"),
                });
            }
            if let Some((_, t)) = classes.get(o.class_id.as_str()) {
                if *t != o.pass_type {
                    return Err(ImportError::Invalid {
                        path: at(&self.object_paths, i, "classId"),
                        reason: format!(
                            "names a class of type {} but this object is of type {}",
                            pass_type_name::name(*t),
                            pass_type_name::name(o.pass_type)
                        ),
                    });
                }
            }
        }
        Ok(self.batch)
    }
}

/// `issuerId.identifier`: the issuer ID is a positive decimal, the identifier
/// `[A-Za-z0-9._-]+` (Google Wallet resource ID rules).
pub fn parse_resource_id(id: &str) -> Result<IssuerId, &'static str> {
    let (issuer, rest) = id.split_once('.').ok_or("expected issuerId.identifier")?;
    if issuer.is_empty() || issuer.len() > 20 || !issuer.bytes().all(|b| b.is_ascii_digit()) {
        return Err("issuer part is not a decimal issuer ID");
    }
    let issuer: IssuerId = issuer.parse().map_err(|_| "issuer ID out of range")?;
    if issuer == 0 {
        return Err("issuer ID is zero");
    }
    if rest.is_empty() {
        return Err("identifier part is empty");
    }
    if !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-') {
        return Err("identifier has characters other than A-Z a-z 0-9 . _ -");
    }
    Ok(issuer)
}

fn resource_id(o: &Obj<'_, '_>, key: &'static str) -> Result<(String, IssuerId), ImportError> {
    let id = o.req_str(key, MAX_ID_LEN)?;
    let issuer = parse_resource_id(id).map_err(|r| o.invalid(key, r))?;
    Ok((id.to_owned(), issuer))
}

fn class(t: PassType, o: Obj<'_, '_>) -> Result<PassClass, ImportError> {
    let (id, issuer_id) = resource_id(&o, "id")?;
    let enable_smart_tap = o.opt_bool("enableSmartTap")?.unwrap_or(false);
    let mut redemption_issuers =
        o.array("redemptionIssuers", MAX_REDEMPTION_ISSUERS, |i| i.id_u64())?;
    redemption_issuers.sort_unstable();
    redemption_issuers.dedup();
    let issuer_name = match o.opt_string("issuerName", MAX_TEXT_LEN)? {
        Some(n) => Some(n),
        None => o.opt_obj("localizedIssuerName", localized)?.flatten(),
    };
    let title = match t {
        PassType::Loyalty => o.opt_string("programName", MAX_TEXT_LEN)?,
        PassType::GiftCard => o.opt_string("merchantName", MAX_TEXT_LEN)?,
        PassType::Offer => o.opt_string("title", MAX_TEXT_LEN)?,
        PassType::EventTicket => o.opt_obj("eventName", localized)?.flatten(),
        PassType::Flight => o.opt_obj("flightHeader", flight_title)?.flatten(),
        PassType::Transit => o.opt_obj("transitOperatorName", localized)?.flatten(),
        PassType::Generic => None,
    };
    let logo_key = match t {
        PassType::Loyalty | PassType::GiftCard => Some("programLogo"),
        PassType::Offer => Some("titleImage"),
        PassType::EventTicket | PassType::Transit => Some("logo"),
        PassType::Flight | PassType::Generic => None,
    };
    let logo_uri = match logo_key {
        Some(k) => o.opt_obj(k, image_uri)?.flatten(),
        // A flight's logo is its airline's: `flightHeader.carrier.airlineLogo`.
        None if t == PassType::Flight => o
            .opt_obj("flightHeader", |h| {
                h.opt_obj("carrier", |c| c.opt_obj("airlineLogo", image_uri))
            })?
            .flatten()
            .flatten()
            .flatten(),
        None => None,
    };
    Ok(PassClass {
        id,
        issuer_id,
        pass_type: t,
        enable_smart_tap,
        redemption_issuers,
        display: ClassDisplay {
            title,
            issuer_name,
            hex_background_color: hex_color(&o)?,
            logo_uri,
        },
        details: read_class_details(t, &o)?,
    })
}

fn object(t: PassType, o: Obj<'_, '_>) -> Result<PassObject, ImportError> {
    let (id, _) = resource_id(&o, "id")?;
    let (class_id, _) = resource_id(&o, "classId")?;
    let state = match o.opt_str("state", 32)? {
        None => PassState::Active,
        Some(s) => parse_state(s)
            .ok_or_else(|| o.invalid("state", "expected ACTIVE, COMPLETED, EXPIRED or INACTIVE"))?,
    };
    let valid_time_interval = o.opt_obj("validTimeInterval", interval)?.unwrap_or_default();
    let smart_tap_redemption_value = o.field("smartTapRedemptionValue", |i| {
        let s = i.str(super::model::MAX_REDEMPTION_VALUE_LEN)?;
        RedemptionValue::new(Zeroizing::new(s.to_owned()))
            .map_err(|e| ImportError::Invalid { path: i.path.render(), reason: e.to_string() })
    })?;
    let barcode = o.opt_obj("barcode", |b| {
        Ok(Barcode {
            kind: b.opt_string("type", 64)?,
            value: b.req_str("value", MAX_BARCODE_LEN)?.to_owned(),
            alternate_text: b.opt_string("alternateText", MAX_TEXT_LEN)?,
        })
    })?;
    let balance = match t {
        PassType::Loyalty => o.opt_obj("loyaltyPoints", loyalty_points)?.flatten(),
        PassType::GiftCard => o
            .opt_obj("balance", money)?
            .map(|m| Balance { label: None, value: BalanceValue::Money(m) }),
        _ => None,
    };
    let text = |k| o.opt_string(k, MAX_TEXT_LEN);
    let display = match t {
        PassType::Loyalty => ObjectDisplay {
            subtitle: text("accountName")?,
            reference: text("accountId")?,
            ..ObjectDisplay::default()
        },
        PassType::GiftCard => {
            ObjectDisplay { reference: text("cardNumber")?, ..ObjectDisplay::default() }
        }
        PassType::Offer => ObjectDisplay::default(),
        PassType::EventTicket => ObjectDisplay {
            subtitle: text("ticketHolderName")?,
            reference: text("ticketNumber")?,
            ..ObjectDisplay::default()
        },
        PassType::Flight => ObjectDisplay {
            subtitle: text("passengerName")?,
            reference: o
                .opt_obj("reservationInfo", |r| r.opt_string("confirmationCode", MAX_TEXT_LEN))?
                .flatten(),
            ..ObjectDisplay::default()
        },
        PassType::Transit => ObjectDisplay {
            subtitle: text("passengerNames")?,
            reference: text("ticketNumber")?,
            ..ObjectDisplay::default()
        },
        PassType::Generic => ObjectDisplay {
            title: o.opt_obj("cardTitle", localized)?.flatten(),
            subtitle: o.opt_obj("header", localized)?.flatten(),
            reference: None,
            hex_background_color: hex_color(&o)?,
        },
    };
    Ok(PassObject {
        id,
        class_id,
        pass_type: t,
        state,
        valid_time_interval,
        smart_tap_redemption_value,
        barcode,
        balance,
        user_smart_tap_disabled: false,
        display,
        last_terminal_update: None,
        details: read_object_details(t, &o)?,
    })
}

/// `State` enum values in both casings; `STATE_UNSPECIFIED` is treated as inactive.
fn parse_state(s: &str) -> Option<PassState> {
    Some(match s {
        "ACTIVE" | "active" => PassState::Active,
        "COMPLETED" | "completed" => PassState::Completed,
        "EXPIRED" | "expired" => PassState::Expired,
        "INACTIVE" | "inactive" | "STATE_UNSPECIFIED" => PassState::Inactive,
        _ => return None,
    })
}

fn interval(o: Obj<'_, '_>) -> Result<ValidTimeInterval, ImportError> {
    let bound = |key: &'static str| {
        o.opt_obj(key, |d| {
            let s = d.req_str("date", 64)?;
            parse_date_time(s).map_err(|e| d.invalid("date", e.to_string()))
        })
    };
    let (start, end) = (bound("start")?, bound("end")?);
    if let (Some(s), Some(e)) = (start, end) {
        match (s, e) {
            (DateTimeBound::Instant { utc_ms: a }, DateTimeBound::Instant { utc_ms: b })
            | (DateTimeBound::Local { wall_ms: a }, DateTimeBound::Local { wall_ms: b }) => {
                if b < a {
                    return Err(o.invalid("end", "ends before it starts"));
                }
            }
            _ => {
                return Err(
                    o.invalid("end", "start and end must both have an offset or both have none")
                )
            }
        }
    }
    Ok(ValidTimeInterval { start, end })
}

fn loyalty_points(o: Obj<'_, '_>) -> Result<Option<Balance>, ImportError> {
    let label = o.opt_string("label", MAX_TEXT_LEN)?;
    let value = o.opt_obj("balance", |b| {
        if let Some(v) = b.field("int", |i| i.i64())? {
            return Ok(Some(BalanceValue::Int(v)));
        }
        if let Some(v) = b.field("double", |i| i.f64())? {
            return Ok(Some(BalanceValue::Double(v)));
        }
        if let Some(m) = b.opt_obj("money", money)? {
            return Ok(Some(BalanceValue::Money(m)));
        }
        Ok(b.opt_string("string", MAX_TEXT_LEN)?.map(BalanceValue::Text))
    })?;
    Ok(value.flatten().map(|value| Balance { label, value }))
}

pub(crate) fn money(o: Obj<'_, '_>) -> Result<Money, ImportError> {
    let micros = o.required("micros", |i| i.i64())?;
    let currency_code = o.opt_string("currencyCode", 8)?;
    Ok(Money { micros, currency_code })
}

/// `LocalizedString.defaultValue.value`.
fn localized(o: Obj<'_, '_>) -> Result<Option<String>, ImportError> {
    Ok(o.opt_obj("defaultValue", |d| d.opt_string("value", MAX_TEXT_LEN))?.flatten())
}

/// `Image.sourceUri.uri`.
fn image_uri(o: Obj<'_, '_>) -> Result<Option<String>, ImportError> {
    Ok(o.opt_obj("sourceUri", |u| u.opt_string("uri", MAX_URI_LEN))?.flatten())
}

/// `flightHeader`: carrier IATA code and flight number, e.g. `LX 123`.
fn flight_title(o: Obj<'_, '_>) -> Result<Option<String>, ImportError> {
    let carrier = o.opt_obj("carrier", |c| c.opt_string("carrierIataCode", 8))?.flatten();
    let number = o.opt_string("flightNumber", 16)?;
    Ok(match (carrier, number) {
        (Some(c), Some(n)) => Some(format!("{c} {n}")),
        (c, n) => c.or(n),
    })
}

/// `hexBackgroundColor`: `#rgb` or `#rrggbb`.
fn hex_color(o: &Obj<'_, '_>) -> Result<Option<String>, ImportError> {
    let Some(c) = o.opt_str("hexBackgroundColor", 16)? else { return Ok(None) };
    let ok = c.strip_prefix('#').is_some_and(|h| {
        (h.len() == 3 || h.len() == 6) && h.bytes().all(|b| b.is_ascii_hexdigit())
    });
    if !ok {
        return Err(o.invalid("hexBackgroundColor", "expected #rgb or #rrggbb"));
    }
    Ok(Some(c.to_owned()))
}

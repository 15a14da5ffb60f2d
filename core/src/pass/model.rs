//! The wallet's pass model: issuers, pass classes and pass objects for every Google Wallet
//! vertical, reduced to what Smart Tap selection (smart-tap spec §12) and a pass list need.
//!
//! Everything here derives serde `Serialize`/`Deserialize` so a store can persist it (CBOR);
//! the wire names are stable (`snake_case` fields, `SCREAMING_CASE` enums). The redemption
//! value is a [`RedemptionValue`]: zeroized on drop, ASCII-checked on every construction
//! and deserialization, redacted in `Debug`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use super::datetime::DateTimeBound;
use super::display::Details;
use super::push::TerminalUpdate;
use crate::ports::{CollectorId, IssuerId, PassType};
use crate::time::Timestamp;

/// A redemption issuer account and the collector IDs assigned to it (spec §12.1: each
/// collector ID belongs to exactly one redemption issuer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuer {
    pub id: IssuerId,
    pub name: String,
    #[serde(with = "collector_list")]
    pub collector_ids: Vec<CollectorId>,
}

/// A pass class (Google Wallet `…Class` resource).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassClass {
    /// `issuerId.identifier`.
    pub id: String,
    /// The issuer that owns the class: the numeric prefix of [`PassClass::id`].
    pub issuer_id: IssuerId,
    #[serde(with = "pass_type_name")]
    pub pass_type: PassType,
    /// `enableSmartTap` (spec §12.2 rule 2).
    pub enable_smart_tap: bool,
    /// `redemptionIssuers`: the issuers whose collectors may redeem objects of this class.
    pub redemption_issuers: Vec<IssuerId>,
    pub display: ClassDisplay,
    /// Everything else shown for the class ([`super::display`]); absent in records
    /// written before it existed.
    #[serde(default)]
    pub details: Details,
}

/// What a pass list shows for a class. All optional: not every vertical has every field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassDisplay {
    /// Program name, merchant name, offer title, event name, flight or operator.
    pub title: Option<String>,
    /// `issuerName` (or `localizedIssuerName.defaultValue.value`).
    pub issuer_name: Option<String>,
    /// `hexBackgroundColor`, as written (`#rrggbb`).
    pub hex_background_color: Option<String>,
    /// The program logo's image URI (untrusted: the host decides whether to fetch it).
    pub logo_uri: Option<String>,
}

/// `state` of a pass object (Google Wallet `State` enum).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PassState {
    #[default]
    Active,
    Completed,
    Expired,
    Inactive,
}

/// `validTimeInterval`: each end optional. The pass is valid for `start <= now < end`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidTimeInterval {
    pub start: Option<DateTimeBound>,
    pub end: Option<DateTimeBound>,
}

/// Where `now` lies relative to a [`ValidTimeInterval`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    NotYetValid,
    Valid,
    Ended,
}

impl ValidTimeInterval {
    /// Where `now` lies; local (offset-less) bounds are read in the wallet user's zone,
    /// `local_offset_secs` east of UTC (Google Wallet `DateTime` semantics).
    pub fn validity(&self, now: Timestamp, local_offset_secs: i32) -> Validity {
        if let Some(start) = self.start {
            if now < start.instant(local_offset_secs) {
                return Validity::NotYetValid;
            }
        }
        if let Some(end) = self.end {
            if now >= end.instant(local_offset_secs) {
                return Validity::Ended;
            }
        }
        Validity::Valid
    }
}

/// `smartTapRedemptionValue`: what GET SMART TAP DATA sends (spec §7.3), ASCII only.
#[derive(Clone, PartialEq, Eq)]
pub struct RedemptionValue(Zeroizing<String>);

/// The longest redemption value accepted (it travels in one Smart Tap bundle).
pub const MAX_REDEMPTION_VALUE_LEN: usize = 256;

/// Why a string cannot be a redemption value. Never contains the value itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RedemptionValueError {
    #[error("redemption value is empty")]
    Empty,
    #[error("redemption value is {0} bytes, more than {MAX_REDEMPTION_VALUE_LEN}")]
    TooLong(usize),
    #[error("redemption value has a non-ASCII or control character at byte {0}")]
    NotPrintableAscii(usize),
}

impl RedemptionValue {
    /// Checks that `value` is 1..=[`MAX_REDEMPTION_VALUE_LEN`] printable ASCII bytes.
    pub fn new(value: Zeroizing<String>) -> Result<Self, RedemptionValueError> {
        if value.is_empty() {
            return Err(RedemptionValueError::Empty);
        }
        if value.len() > MAX_REDEMPTION_VALUE_LEN {
            return Err(RedemptionValueError::TooLong(value.len()));
        }
        if let Some(at) = value.bytes().position(|b| !(0x20..=0x7e).contains(&b)) {
            return Err(RedemptionValueError::NotPrintableAscii(at));
        }
        Ok(RedemptionValue(value))
    }
    /// The value (handle with care: never log it).
    pub fn expose(&self) -> &Zeroizing<String> {
        &self.0
    }
}

impl fmt::Debug for RedemptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RedemptionValue(<redacted>)")
    }
}

impl Serialize for RedemptionValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for RedemptionValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Zeroizing::new(String::deserialize(d)?);
        RedemptionValue::new(raw).map_err(serde::de::Error::custom)
    }
}

/// `barcode` of an object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Barcode {
    /// `type` as written (`QR_CODE`, `qrCode`, `CODE_128`, …).
    pub kind: Option<String>,
    pub value: String,
    pub alternate_text: Option<String>,
}

/// A money amount (Google Wallet `Money`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub micros: i64,
    pub currency_code: Option<String>,
}

/// The value of a balance: loyalty points (`int`, `double`, `string`, `money`) or a gift
/// card's money balance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceValue {
    Int(i64),
    Double(f64),
    Text(String),
    Money(Money),
}

/// `loyaltyPoints` (label + balance) or a gift card `balance` (no label).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    pub label: Option<String>,
    pub value: BalanceValue,
}

/// What a pass list shows for an object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectDisplay {
    /// Generic `cardTitle`/`header`; empty for verticals whose title is on the class.
    pub title: Option<String>,
    /// Account, ticket holder or passenger name; generic `subheader`.
    pub subtitle: Option<String>,
    /// Account ID, card number, ticket number or confirmation code.
    pub reference: Option<String>,
    /// Generic objects' `hexBackgroundColor`.
    pub hex_background_color: Option<String>,
}

/// A pass object (Google Wallet `…Object` resource) as the wallet holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassObject {
    /// `issuerId.identifier`, unique in the wallet.
    pub id: String,
    pub class_id: String,
    /// The vertical it was imported as; must equal its class's.
    #[serde(with = "pass_type_name")]
    pub pass_type: PassType,
    pub state: PassState,
    pub valid_time_interval: ValidTimeInterval,
    pub smart_tap_redemption_value: Option<RedemptionValue>,
    pub barcode: Option<Barcode>,
    pub balance: Option<Balance>,
    /// The user switched Smart Tap off for this pass (spec §12.1, §12.2 rule 5).
    pub user_smart_tap_disabled: bool,
    pub display: ObjectDisplay,
    /// The last PUSH SMART TAP DATA update a terminal made to this pass (spec §6.6).
    pub last_terminal_update: Option<TerminalUpdate>,
    /// Everything else shown for the object ([`super::display`]); absent in records
    /// written before it existed.
    #[serde(default)]
    pub details: Details,
}

/// Serde names of the verticals (the Google Wallet resource prefixes).
pub(crate) mod pass_type_name {
    use super::PassType;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn name(t: PassType) -> &'static str {
        match t {
            PassType::Loyalty => "loyalty",
            PassType::GiftCard => "giftCard",
            PassType::Offer => "offer",
            PassType::EventTicket => "eventTicket",
            PassType::Flight => "flight",
            PassType::Transit => "transit",
            PassType::Generic => "generic",
        }
    }
    pub fn from_name(s: &str) -> Option<PassType> {
        PassType::ALL.iter().copied().find(|t| name(*t) == s)
    }
    pub fn serialize<S: Serializer>(t: &PassType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(name(*t))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PassType, D::Error> {
        let s = String::deserialize(d)?;
        from_name(&s).ok_or_else(|| serde::de::Error::custom("unknown pass type"))
    }
}

/// Collector IDs persist as plain integers.
mod collector_list {
    use crate::ports::CollectorId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ids: &[CollectorId], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(ids.iter().map(|c| c.0))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CollectorId>, D::Error> {
        Ok(Vec::<u32>::deserialize(d)?.into_iter().map(CollectorId).collect())
    }
}

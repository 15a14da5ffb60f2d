//! Record types of the current schema (see [`crate::schema`] for versions and migrations).
//!
//! Each record knows its table and its raw (unblinded) key; the store blinds the key with
//! HMAC before it touches the database, and checks after decryption that the record found
//! under a blinded key is the record that key names. Field names are the CBOR map keys:
//! renaming one is a schema change (new version + migration + frozen fixture).

use std::fmt;

use hce_wallet_core::ports::{CollectorId, IssuerId, PassType};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// One record type and the table it lives in.
pub(crate) trait Record: Serialize + serde::de::DeserializeOwned {
    /// The table name (bound into every value's AAD).
    const TABLE: &'static str;
    /// The key before blinding.
    fn raw_key(&self) -> Vec<u8>;
}

/// A user secret held in a zeroizing string; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretString(pub Zeroizing<String>);

impl SecretString {
    pub fn new(s: impl Into<String>) -> Self {
        SecretString(Zeroizing::new(s.into()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}
impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}
impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| SecretString(Zeroizing::new(s)))
    }
}

/// The stored form of [`PassType`]: its Smart Tap record type as text (spec §7.2).
pub(crate) mod pass_type_serde {
    use super::*;
    pub fn serialize<S: Serializer>(t: &PassType, s: S) -> Result<S::Ok, S::Error> {
        // Record types are two ASCII letters.
        s.serialize_str(std::str::from_utf8(t.record_type()).unwrap_or("??"))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PassType, D::Error> {
        let s = String::deserialize(d)?;
        PassType::from_record_type(s.as_bytes())
            .ok_or_else(|| serde::de::Error::custom("unknown pass type"))
    }
}

/// A redemption issuer and the collectors (terminals' IDs) that belong to it (spec §12.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerRecord {
    pub issuer_id: IssuerId,
    pub name: String,
    /// Collector IDs of this issuer; each collector belongs to exactly one issuer.
    pub collectors: Vec<u32>,
    /// The (collector, key version) pairs stored for it in `collector_keys`.
    pub keys: Vec<(u32, u32)>,
}
impl Record for IssuerRecord {
    const TABLE: &'static str = crate::tables::ISSUERS;
    fn raw_key(&self) -> Vec<u8> {
        self.issuer_id.to_be_bytes().to_vec()
    }
}

/// A collector's long-term public key for one key version (spec §6.3 step 4, §11).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectorKeyRecord {
    pub collector: u32,
    pub key_version: u32,
    pub issuer_id: IssuerId,
    /// SEC1-encoded P-256 point (compressed or not); checked on every write.
    pub public_key_sec1: Vec<u8>,
    /// Validity window in ms since the epoch; either end optional.
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
}
impl Record for CollectorKeyRecord {
    const TABLE: &'static str = crate::tables::COLLECTOR_KEYS;
    fn raw_key(&self) -> Vec<u8> {
        collector_key_raw(CollectorId(self.collector), self.key_version)
    }
}
pub(crate) fn collector_key_raw(c: CollectorId, version: u32) -> Vec<u8> {
    let mut k = c.to_be_bytes().to_vec();
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// A pass class (Google Wallet class: issuer, vertical, Smart Tap switch and redemption
/// issuers, spec §12.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassClassRecord {
    pub class_id: String,
    pub issuer_id: IssuerId,
    #[serde(with = "pass_type_serde")]
    pub pass_type: PassType,
    pub smart_tap_enabled: bool,
    pub redemption_issuers: Vec<IssuerId>,
    /// Display data the store does not interpret (e.g. the class JSON).
    pub display: Option<String>,
    /// Object IDs stored for this class (maintained by the store).
    #[serde(default)]
    pub objects: Vec<String>,
    /// The core's full class model when imported from it ([`crate::Store::import_batch`]).
    #[serde(default)]
    pub model: Option<hce_wallet_core::pass::PassClass>,
}
impl Record for PassClassRecord {
    const TABLE: &'static str = crate::tables::PASS_CLASSES;
    fn raw_key(&self) -> Vec<u8> {
        self.class_id.as_bytes().to_vec()
    }
}

/// Object state (Google Wallet `state`); only `Active` is ever eligible (spec §12.2 rule 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectState {
    Active,
    Completed,
    Expired,
    Inactive,
}

/// The last PUSH SMART TAP DATA update applied to a pass (spec §6.6), raw for the app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRecord {
    pub at: i64,
    pub collector: u32,
    pub usage_status: Option<u8>,
    pub usage_title: Option<String>,
    pub usage_description: Option<String>,
    /// `sup` operation byte and its raw value (encoding unknown, spec §6.6).
    pub operation: Option<(u8, Vec<u8>)>,
}

/// A pass object (schema 2: adds the per-pass Smart Tap toggle and the last push).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassObjectRecord {
    pub object_id: String,
    pub class_id: String,
    pub state: ObjectState,
    pub redemption_value: Option<SecretString>,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    /// The user switched Smart Tap off for this pass (spec §12.1, rule 5).
    pub smart_tap_disabled: bool,
    pub last_push: Option<PushRecord>,
    /// Display data the store does not interpret (e.g. the object JSON).
    pub display: Option<String>,
    /// The core's full object model when imported from it; when class and object both
    /// carry one, eligibility is decided by `hce_wallet_core::selection::rules`.
    #[serde(default)]
    pub model: Option<hce_wallet_core::pass::PassObject>,
}
impl Record for PassObjectRecord {
    const TABLE: &'static str = crate::tables::PASS_OBJECTS;
    fn raw_key(&self) -> Vec<u8> {
        self.object_id.as_bytes().to_vec()
    }
}

/// The selection index: for one redemption issuer, the objects whose class lists it.
/// A tap resolves collector → issuer (from the issuer records in the snapshot) → this
/// record → those objects: nothing is scanned at tap time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionIndexRecord {
    pub issuer_id: IssuerId,
    pub objects: Vec<String>,
}
impl Record for SelectionIndexRecord {
    const TABLE: &'static str = crate::tables::SELECTION_INDEX;
    fn raw_key(&self) -> Vec<u8> {
        self.issuer_id.to_be_bytes().to_vec()
    }
}

/// A named setting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingRecord {
    pub name: String,
    pub value: String,
}
impl Record for SettingRecord {
    const TABLE: &'static str = crate::tables::SETTINGS;
    fn raw_key(&self) -> Vec<u8> {
        self.name.as_bytes().to_vec()
    }
}

/// One entry of the append-only event log (identifiers only, never redemption values).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Position in the log (assigned by the store, increasing, never reused).
    pub seq: u64,
    /// ms since the epoch.
    pub at: i64,
    /// `tap.sent`, `tap.nothing`, `push`, `import`, `sync`, ...
    pub kind: String,
    pub collector: Option<u32>,
    pub object_id: Option<String>,
    pub detail: Option<String>,
}

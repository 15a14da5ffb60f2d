//! The bundle payload: canonical CBOR encoding and strict, bounded decoding (layout in the
//! parent module's doc).
//!
//! Decoding reads the fixed layout front to back with the zero-copy [`Reader`] (see
//! `cbor.rs` for why not `ciborium`'s value tree). Map keys may come in any order; unknown,
//! repeated or missing keys are errors. Field paths for error messages (`issuers[3].collectors[0].keys[1].pk`) are built
//! only when an error is returned, so a 10,000-issuer bundle costs no string formatting.

use std::collections::HashSet;

use ciborium::value::Value;
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::PublicKey;

use super::cbor::{Item, Reader};
use super::{
    BundleError, CollectorEntry, IssuerEntry, KeyBundle, KeyEntry, Limits, Problem, FORMAT_VERSION,
    SEC1_UNCOMPRESSED_LEN,
};
use crate::ports::CollectorId;
use crate::time::Timestamp;

/// Times are accepted within ±2^40 s so that their millisecond form cannot overflow.
const MAX_ABS_SECS: i64 = 1 << 40;

/// The canonical CBOR payload of a bundle (fixed key order, minimal integers).
pub fn encode_payload(bundle: &KeyBundle) -> Result<Vec<u8>, BundleError> {
    let text = |s: &str| Value::Text(s.to_owned());
    let key = |k: &KeyEntry| {
        Value::Map(vec![
            (text("ver"), Value::from(k.version)),
            (text("pk"), Value::Bytes(k.public_key.to_sec1_point(false).as_bytes().to_vec())),
            (text("nbf"), Value::from(k.not_before.secs())),
            (text("exp"), Value::from(k.not_after.secs())),
        ])
    };
    let collector = |c: &CollectorEntry| {
        Value::Map(vec![
            (text("id"), Value::from(c.collector_id.0)),
            (text("keys"), Value::Array(c.keys.iter().map(key).collect())),
        ])
    };
    let issuer = |i: &IssuerEntry| {
        Value::Map(vec![
            (text("id"), Value::from(i.issuer_id)),
            (text("collectors"), Value::Array(i.collectors.iter().map(collector).collect())),
        ])
    };
    let root = Value::Map(vec![
        (text("v"), Value::from(FORMAT_VERSION)),
        (text("seq"), Value::from(bundle.sequence)),
        (text("iat"), Value::from(bundle.issued_at.secs())),
        (text("exp"), Value::from(bundle.expires_at.secs())),
        (text("issuers"), Value::Array(bundle.issuers.iter().map(issuer).collect())),
    ]);
    let mut out = Vec::new();
    ciborium::ser::into_writer(&root, &mut out).map_err(|e| BundleError::Cbor(e.to_string()))?;
    Ok(out)
}

/// Decodes and validates a payload (no signature involved). Public for tests and fuzzing.
pub fn decode_payload(bytes: &[u8], limits: &Limits) -> Result<KeyBundle, BundleError> {
    if bytes.len() > limits.max_bytes {
        return Err(BundleError::TooLarge { len: bytes.len(), limit: limits.max_bytes });
    }
    let mut d = Decoder { r: Reader::new(bytes), limits };
    let bundle = d.bundle()?;
    match d.r.remaining() {
        0 => Ok(bundle),
        n => Err(BundleError::Cbor(format!("{n} bytes after the payload"))),
    }
}

/// Reads the fixed payload layout front to back.
struct Decoder<'a, 'l> {
    r: Reader<'a>,
    limits: &'l Limits,
}

/// One required field slot; a second occurrence of the key is an error.
fn set<T>(slot: &mut Option<T>, value: T, at: At, name: &str) -> Result<(), BundleError> {
    match slot.replace(value) {
        None => Ok(()),
        Some(_) => Err(at.err(name, Problem::Repeated)),
    }
}

fn required<T>(slot: Option<T>, at: At, name: &str) -> Result<T, BundleError> {
    slot.ok_or_else(|| at.err(name, Problem::Missing))
}

impl<'a> Decoder<'a, '_> {
    fn item(&mut self) -> Result<Item<'a>, BundleError> {
        self.r.item().map_err(|e| BundleError::Cbor(e.to_string()))
    }

    /// A map header; returns the number of entries.
    fn map(&mut self, at: At) -> Result<u64, BundleError> {
        match self.item()? {
            Item::Map(n) => Ok(n),
            _ => Err(BundleError::Field { path: at.itself(), problem: Problem::Type("map") }),
        }
    }

    /// A map key: a text string.
    fn key(&mut self, at: At) -> Result<&'a str, BundleError> {
        match self.item()? {
            Item::Text(t) => Ok(t),
            _ => Err(BundleError::Field { path: at.itself(), problem: Problem::Type("text keys") }),
        }
    }

    fn u64(&mut self, at: At, name: &str) -> Result<u64, BundleError> {
        match self.item()? {
            Item::Uint(n) => Ok(n),
            Item::Nint(_) => Err(at.err(name, Problem::Range)),
            _ => Err(at.err(name, Problem::Type("unsigned integer"))),
        }
    }

    fn u32(&mut self, at: At, name: &str) -> Result<u32, BundleError> {
        u32::try_from(self.u64(at, name)?).map_err(|_| at.err(name, Problem::Range))
    }

    /// Whole seconds since the epoch, within ±2^40 s.
    fn time(&mut self, at: At, name: &str) -> Result<Timestamp, BundleError> {
        let secs = match self.item()? {
            Item::Uint(n) => i64::try_from(n).ok(),
            Item::Nint(n) => i64::try_from(n).ok().map(|n| -1 - n),
            _ => return Err(at.err(name, Problem::Type("integer seconds"))),
        };
        match secs {
            Some(s) if (-MAX_ABS_SECS..=MAX_ABS_SECS).contains(&s) => Ok(Timestamp::from_secs(s)),
            _ => Err(at.err(name, Problem::Range)),
        }
    }

    /// An array header within `limit`; returns its length.
    fn array(&mut self, at: At, name: &str, limit: usize) -> Result<usize, BundleError> {
        match self.item()? {
            Item::Array(n) => match usize::try_from(n) {
                Ok(n) if n <= limit => Ok(n),
                _ => Err(BundleError::Limit {
                    path: at.field(name),
                    count: usize::try_from(n).unwrap_or(usize::MAX),
                    limit,
                }),
            },
            _ => Err(at.err(name, Problem::Type("array"))),
        }
    }

    fn bundle(&mut self) -> Result<KeyBundle, BundleError> {
        let top = At::default();
        let (mut v, mut seq, mut iat, mut exp, mut issuers) = (None, None, None, None, None);
        for _ in 0..self.map(top)? {
            match self.key(top)? {
                "v" => {
                    let version = self.u64(top, "v")?;
                    if version != FORMAT_VERSION {
                        return Err(BundleError::Version(version));
                    }
                    set(&mut v, version, top, "v")?
                }
                "seq" => set(&mut seq, self.u64(top, "seq")?, top, "seq")?,
                "iat" => set(&mut iat, self.time(top, "iat")?, top, "iat")?,
                "exp" => set(&mut exp, self.time(top, "exp")?, top, "exp")?,
                "issuers" => set(&mut issuers, self.issuers(top)?, top, "issuers")?,
                other => return Err(top.err(other, Problem::Unknown)),
            }
        }
        required(v, top, "v")?;
        let sequence = required(seq, top, "seq")?;
        let issued_at = required(iat, top, "iat")?;
        let expires_at = required(exp, top, "exp")?;
        let issuers = required(issuers, top, "issuers")?;
        if expires_at <= issued_at {
            return Err(top.err("exp", Problem::Window));
        }
        Ok(KeyBundle { sequence, issued_at, expires_at, issuers })
    }

    fn issuers(&mut self, top: At) -> Result<Vec<IssuerEntry>, BundleError> {
        let n = self.array(top, "issuers", self.limits.max_issuers)?;
        let mut issuers = Vec::with_capacity(n);
        let mut seen_issuers = HashSet::with_capacity(n);
        let mut seen_collectors = HashSet::with_capacity(n);
        for i in 0..n {
            let at = At { issuer: Some(i), ..At::default() };
            let entry = self.issuer(at)?;
            if !seen_issuers.insert(entry.issuer_id) {
                return Err(at.err("id", Problem::DuplicateIssuer));
            }
            for (j, c) in entry.collectors.iter().enumerate() {
                if !seen_collectors.insert(c.collector_id) {
                    let at = At { collector: Some(j), ..at };
                    return Err(at.err("id", Problem::DuplicateCollector));
                }
            }
            issuers.push(entry);
        }
        Ok(issuers)
    }

    fn issuer(&mut self, at: At) -> Result<IssuerEntry, BundleError> {
        let (mut id, mut collectors) = (None, None);
        for _ in 0..self.map(at)? {
            match self.key(at)? {
                "id" => set(&mut id, self.u64(at, "id")?, at, "id")?,
                "collectors" => {
                    let n = self.array(at, "collectors", self.limits.max_collectors_per_issuer)?;
                    let mut list = Vec::with_capacity(n);
                    for j in 0..n {
                        list.push(self.collector(At { collector: Some(j), ..at })?);
                    }
                    set(&mut collectors, list, at, "collectors")?
                }
                other => return Err(at.err(other, Problem::Unknown)),
            }
        }
        let issuer_id = required(id, at, "id")?;
        Ok(IssuerEntry { issuer_id, collectors: required(collectors, at, "collectors")? })
    }

    fn collector(&mut self, at: At) -> Result<CollectorEntry, BundleError> {
        let (mut id, mut keys) = (None, None);
        for _ in 0..self.map(at)? {
            match self.key(at)? {
                "id" => set(&mut id, self.u32(at, "id")?, at, "id")?,
                "keys" => {
                    let n = self.array(at, "keys", self.limits.max_keys_per_collector)?;
                    let mut list: Vec<KeyEntry> = Vec::with_capacity(n);
                    for k in 0..n {
                        let at = At { key: Some(k), ..at };
                        let key = self.key_entry(at)?;
                        if list.iter().any(|e| e.version == key.version) {
                            return Err(at.err("ver", Problem::DuplicateVersion));
                        }
                        list.push(key);
                    }
                    set(&mut keys, list, at, "keys")?
                }
                other => return Err(at.err(other, Problem::Unknown)),
            }
        }
        let collector_id = CollectorId(required(id, at, "id")?);
        Ok(CollectorEntry { collector_id, keys: required(keys, at, "keys")? })
    }

    fn key_entry(&mut self, at: At) -> Result<KeyEntry, BundleError> {
        let (mut ver, mut pk, mut nbf, mut exp) = (None, None, None, None);
        for _ in 0..self.map(at)? {
            match self.key(at)? {
                "ver" => set(&mut ver, self.u32(at, "ver")?, at, "ver")?,
                "pk" => {
                    let key = match self.item()? {
                        Item::Bytes(b) => parse_uncompressed_key(b).map_err(|p| at.err("pk", p))?,
                        _ => return Err(at.err("pk", Problem::Type("byte string"))),
                    };
                    set(&mut pk, key, at, "pk")?
                }
                "nbf" => set(&mut nbf, self.time(at, "nbf")?, at, "nbf")?,
                "exp" => set(&mut exp, self.time(at, "exp")?, at, "exp")?,
                other => return Err(at.err(other, Problem::Unknown)),
            }
        }
        let version = required(ver, at, "ver")?;
        let public_key = required(pk, at, "pk")?;
        let not_before = required(nbf, at, "nbf")?;
        let not_after = required(exp, at, "exp")?;
        if not_after <= not_before {
            return Err(at.err("exp", Problem::Window));
        }
        Ok(KeyEntry { version, public_key, not_before, not_after })
    }
}

/// Accepts exactly `04 ‖ X ‖ Y` on P-256 (not the identity).
pub fn parse_uncompressed_key(bytes: &[u8]) -> Result<PublicKey, Problem> {
    if bytes.len() != SEC1_UNCOMPRESSED_LEN || bytes.first() != Some(&0x04) {
        return Err(Problem::KeyEncoding);
    }
    PublicKey::from_sec1_bytes(bytes).map_err(|_| Problem::KeyNotOnCurve)
}

/// Where in the payload a value sits; turned into a path string only for an error.
#[derive(Clone, Copy, Default)]
struct At {
    issuer: Option<usize>,
    collector: Option<usize>,
    key: Option<usize>,
}

impl At {
    /// `issuers[i].collectors[j].keys[k]`, or `""` at the top.
    fn path(self) -> String {
        let mut p = String::new();
        if let Some(i) = self.issuer {
            p += &format!("issuers[{i}]");
        }
        if let Some(j) = self.collector {
            p += &format!(".collectors[{j}]");
        }
        if let Some(k) = self.key {
            p += &format!(".keys[{k}]");
        }
        p
    }

    /// The path of `name` inside this value (`name` alone at the top).
    fn field(self, name: &str) -> String {
        let p = self.path();
        if p.is_empty() {
            name.to_owned()
        } else {
            format!("{p}.{name}")
        }
    }

    /// This value itself, `payload` at the top.
    fn itself(self) -> String {
        let p = self.path();
        if p.is_empty() {
            "payload".to_owned()
        } else {
            p
        }
    }

    fn err(self, name: &str, problem: Problem) -> BundleError {
        BundleError::Field { path: self.field(name), problem }
    }
}

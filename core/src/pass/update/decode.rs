//! The JSON payload of a pass-update bundle (format in [`super`]), read with the
//! importer's capped, path-naming reader: a bad field fails the whole bundle with its path.
// Reads untrusted input: no panics, no unchecked maths.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use super::{UpdateError, FORMAT_VERSION, MAX_CHANGES};
use crate::pass::display::{read_message, Message};
use crate::pass::google_wallet::{self, parse_resource_id, ImportBatch, ImportError, MAX_ID_LEN};
use crate::pass::json_reader::{self, Item, Obj, Path};
use crate::ports::IssuerId;

/// One change, applied in bundle order.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Classes and objects as they now stand (added or replaced).
    Upsert(ImportBatch),
    /// A message added to a class (every pass of it) or an object; one with the same `id`
    /// is replaced.
    AddMessage { target: String, message: Message },
    /// The object's `state` becomes `EXPIRED`.
    Expire { object_id: String },
    /// The object leaves the wallet.
    Remove { object_id: String },
}

/// A decoded, signature-checked bundle.
#[derive(Clone, Debug, PartialEq)]
pub struct PassUpdate {
    pub issuer: IssuerId,
    pub sequence: u64,
    /// `iat`, milliseconds since the epoch.
    pub issued_at_ms: i64,
    pub changes: Vec<Change>,
}

/// Decodes and checks a payload: version, issuer, and that every resource it names is
/// the issuer's own.
pub fn decode_payload(json: &[u8]) -> Result<PassUpdate, UpdateError> {
    let parsed = json_reader::parse(json)?;
    let root = Path::Root("");
    let doc = Item { v: &parsed.0, path: &root }.obj()?;
    let version = doc.required("v", |i| i.id_u64())?;
    if version != FORMAT_VERSION {
        return Err(UpdateError::Version(version));
    }
    let issuer = doc.required("issuer", |i| i.id_u64())?;
    let sequence = doc.required("seq", |i| i.id_u64())?;
    let iat = doc.required("iat", |i| i.i64())?;
    let issued_at_ms = iat.checked_mul(1000).ok_or_else(|| doc.invalid("iat", "out of range"))?;
    let changes = doc
        .array("changes", MAX_CHANGES, |i| Ok(change(i.obj()?, issuer)))?
        .into_iter()
        .collect::<Result<_, _>>()?;
    Ok(PassUpdate { issuer, sequence, issued_at_ms, changes })
}

/// Reads one change and checks that every ID it names is `issuer`'s.
fn change(c: Obj<'_, '_>, issuer: IssuerId) -> Result<Change, UpdateError> {
    let check = |path: String, id: &str| -> Result<(), UpdateError> {
        let owner = parse_resource_id(id)
            .map_err(|reason| ImportError::Invalid { path: path.clone(), reason: reason.into() })?;
        if owner != issuer {
            return Err(UpdateError::ForeignResource { path, owner, issuer });
        }
        Ok(())
    };
    if let Some(batch) = c.opt_obj("upsert", google_wallet::payload)? {
        let at = |what: &str, i: usize| format!("{}.upsert.{what}[{i}]", c.path);
        for (i, class) in batch.classes.iter().enumerate() {
            check(at("classes", i), &class.id)?;
        }
        for (i, o) in batch.objects.iter().enumerate() {
            check(at("objects", i), &o.id)?;
            check(at("objects", i), &o.class_id)?;
        }
        return Ok(Change::Upsert(batch));
    }
    if let Some((target, message)) = c.opt_obj("addMessage", |m| {
        Ok((
            m.req_str("id", MAX_ID_LEN)?.to_owned(),
            m.required("message", |i| read_message(i.obj()?))?,
        ))
    })? {
        check(format!("{}.addMessage.id", c.path), &target)?;
        return Ok(Change::AddMessage { target, message });
    }
    for key in ["expire", "remove"] {
        if let Some(id) = c.opt_obj(key, |o| Ok(o.req_str("id", MAX_ID_LEN)?.to_owned()))? {
            check(format!("{}.{key}.id", c.path), &id)?;
            return Ok(match key {
                "expire" => Change::Expire { object_id: id },
                _ => Change::Remove { object_id: id },
            });
        }
    }
    Err(ImportError::Invalid {
        path: c.path.render(),
        reason: "expected one of upsert, addMessage, expire, remove".into(),
    }
    .into())
}

//! A capped, path-tracking reader over `serde_json::Value` for hostile pass JSON.
//!
//! `serde_json` parses the text (after a size cap and a bracket-depth pre-scan, so the
//! parser never recurses deeply); this module then reads the fields the wallet knows,
//! each with a length or count cap, and names the JSON path of anything missing or
//! mistyped (`payload.loyaltyObjects[0].classId`). Unknown fields are never visited.
//! A derive-based `Deserialize` could not report paths without another dependency
//! (`serde_path_to_error`) and could not accept Google's int64-as-string and
//! two-casing enums as simply. Paths are built from this crate's literal key names and
//! indices only, so an error message never echoes input text.
//!
//! The parsed tree may hold a redemption value: [`Parsed`] wipes every string in it on drop.
// Reads untrusted input (issuer JSON, terminal PUSH DATA): no panics, no unchecked maths.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::fmt;

use serde_json::{Map, Value};
use zeroize::Zeroize;

use super::google_wallet::ImportError;

/// Largest JSON document accepted (a save-to-wallet JWT is at most a few hundred KiB).
pub const MAX_INPUT_BYTES: usize = 1 << 20;
/// Deepest nesting of arrays/objects accepted (real pass JSON stays under 10).
pub const MAX_DEPTH: usize = 32;

/// A JSON path, rendered only when an error is reported.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Path<'a> {
    Root(&'static str),
    Key(&'a Path<'a>, &'static str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub fn key(&'a self, k: &'static str) -> Path<'a> {
        Path::Key(self, k)
    }
    pub fn index(&'a self, i: usize) -> Path<'a> {
        Path::Index(self, i)
    }
    pub fn render(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(name) => f.write_str(if name.is_empty() { "$" } else { name }),
            Path::Key(Path::Root(""), k) => f.write_str(k),
            Path::Key(p, k) => write!(f, "{p}.{k}"),
            Path::Index(p, i) => write!(f, "{p}[{i}]"),
        }
    }
}

/// A parsed document whose strings are zeroized on drop.
pub(crate) struct Parsed(pub Value);

impl Drop for Parsed {
    fn drop(&mut self) {
        let mut stack = vec![&mut self.0];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => s.zeroize(),
                Value::Array(items) => stack.extend(items.iter_mut()),
                Value::Object(map) => stack.extend(map.values_mut()),
                _ => {}
            }
        }
    }
}

/// Parses `text` after the size and depth checks.
pub(crate) fn parse(text: &[u8]) -> Result<Parsed, ImportError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(ImportError::TooLarge { len: text.len(), max: MAX_INPUT_BYTES });
    }
    check_depth(text)?;
    serde_json::from_slice(text).map(Parsed).map_err(|e| ImportError::Syntax {
        line: e.line(),
        column: e.column(),
        reason: syntax_reason(&e),
    })
}

fn syntax_reason(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "unexpected end of input",
        Category::Syntax => "malformed JSON",
        Category::Data => "invalid JSON value",
        Category::Io => "read error",
    }
}

/// Rejects nesting deeper than [`MAX_DEPTH`] by scanning brackets outside strings.
fn check_depth(text: &[u8]) -> Result<(), ImportError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (at, &b) in text.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth = depth.saturating_add(1);
                if depth > MAX_DEPTH {
                    return Err(ImportError::TooDeep { max: MAX_DEPTH, at });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A JSON value at a path.
#[derive(Clone, Copy)]
pub(crate) struct Item<'v, 'p> {
    pub v: &'v Value,
    pub path: &'p Path<'p>,
}

/// A JSON object at a path.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'v, 'p> {
    pub map: &'v Map<String, Value>,
    pub path: &'p Path<'p>,
}

fn wrong(path: &Path<'_>, expected: &'static str) -> ImportError {
    ImportError::WrongType { path: path.render(), expected }
}

impl<'v, 'p> Item<'v, 'p> {
    pub fn obj(self) -> Result<Obj<'v, 'p>, ImportError> {
        match self.v {
            Value::Object(map) => Ok(Obj { map, path: self.path }),
            _ => Err(wrong(self.path, "an object")),
        }
    }
    pub fn str(self, max: usize) -> Result<&'v str, ImportError> {
        let s = self.v.as_str().ok_or_else(|| wrong(self.path, "a string"))?;
        if s.len() > max {
            return Err(ImportError::TooLong { path: self.path.render(), len: s.len(), max });
        }
        Ok(s)
    }
    pub fn bool(self) -> Result<bool, ImportError> {
        self.v.as_bool().ok_or_else(|| wrong(self.path, "true or false"))
    }
    /// An int64 written as a JSON number or, per the proto3 JSON mapping, a string.
    pub fn i64(self) -> Result<i64, ImportError> {
        match self.v {
            Value::Number(n) => n.as_i64().ok_or_else(|| wrong(self.path, "an int64")),
            Value::String(s) => parse_decimal(s)
                .and_then(|(neg, v)| signed(neg, v))
                .ok_or_else(|| wrong(self.path, "an int64")),
            _ => Err(wrong(self.path, "an int64")),
        }
    }
    /// A positive uint64 written as a number or a string (Google issuer IDs).
    pub fn id_u64(self) -> Result<u64, ImportError> {
        let v = match self.v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => parse_decimal(s).filter(|(neg, _)| !neg).map(|(_, v)| v),
            _ => None,
        };
        v.filter(|&v| v > 0).ok_or_else(|| wrong(self.path, "a positive int64 issuer ID"))
    }
    /// A finite JSON number.
    pub fn f64(self) -> Result<f64, ImportError> {
        self.v.as_f64().filter(|d| d.is_finite()).ok_or_else(|| wrong(self.path, "a number"))
    }
}

/// `-?[0-9]{1,20}` → (negative, magnitude).
fn parse_decimal(s: &str) -> Option<(bool, u64)> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok().map(|v| (neg, v))
}

fn signed(neg: bool, v: u64) -> Option<i64> {
    if neg {
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}

impl<'v, 'p> Obj<'v, 'p> {
    /// The value under `key`; JSON `null` counts as absent (proto3 JSON mapping).
    pub fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    /// Runs `f` on the field `key` if present.
    pub fn field<T>(
        &self,
        key: &'static str,
        f: impl FnOnce(Item<'v, '_>) -> Result<T, ImportError>,
    ) -> Result<Option<T>, ImportError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => {
                let path = self.path.key(key);
                f(Item { v, path: &path }).map(Some)
            }
        }
    }
    /// Runs `f` on the required field `key`.
    pub fn required<T>(
        &self,
        key: &'static str,
        f: impl FnOnce(Item<'v, '_>) -> Result<T, ImportError>,
    ) -> Result<T, ImportError> {
        self.field(key, f)?
            .ok_or_else(|| ImportError::Missing { path: self.path.key(key).render() })
    }
    pub fn req_str(&self, key: &'static str, max: usize) -> Result<&'v str, ImportError> {
        self.required(key, |i| i.str(max))
    }
    pub fn opt_str(&self, key: &'static str, max: usize) -> Result<Option<&'v str>, ImportError> {
        self.field(key, |i| i.str(max))
    }
    pub fn opt_string(&self, key: &'static str, max: usize) -> Result<Option<String>, ImportError> {
        Ok(self.opt_str(key, max)?.map(str::to_owned))
    }
    pub fn opt_bool(&self, key: &'static str) -> Result<Option<bool>, ImportError> {
        self.field(key, |i| i.bool())
    }
    /// Runs `f` on the object under `key` if present.
    pub fn opt_obj<T>(
        &self,
        key: &'static str,
        f: impl FnOnce(Obj<'v, '_>) -> Result<T, ImportError>,
    ) -> Result<Option<T>, ImportError> {
        self.field(key, |i| f(i.obj()?))
    }
    /// Maps `f` over the array under `key` (absent → empty), at most `max` items.
    pub fn array<T>(
        &self,
        key: &'static str,
        max: usize,
        mut f: impl FnMut(Item<'v, '_>) -> Result<T, ImportError>,
    ) -> Result<Vec<T>, ImportError> {
        let Some(v) = self.get(key) else { return Ok(Vec::new()) };
        let path = self.path.key(key);
        let items = v.as_array().ok_or_else(|| wrong(&path, "an array"))?;
        if items.len() > max {
            return Err(ImportError::TooMany { path: path.render(), len: items.len(), max });
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, v) in items.iter().enumerate() {
            let p = path.index(i);
            out.push(f(Item { v, path: &p })?);
        }
        Ok(out)
    }
    /// An error about the field `key` of this object.
    pub fn invalid(&self, key: &'static str, reason: impl Into<String>) -> ImportError {
        ImportError::Invalid { path: self.path.key(key).render(), reason: reason.into() }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_javascript() {
        let root = Path::Root("");
        let a = root.key("loyaltyObjects");
        let b = a.index(0);
        let c = b.key("classId");
        assert_eq!(c.render(), "loyaltyObjects[0].classId");
        let named = Path::Root("payload");
        assert_eq!(named.key("x").render(), "payload.x");
        assert_eq!(root.render(), "$");
    }

    #[test]
    fn depth_scan_ignores_brackets_in_strings() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert!(matches!(check_depth(deep.as_bytes()), Err(ImportError::TooDeep { .. })));
        let quoted = format!("{{\"a\":\"{}\\\"{}\"}}", "[".repeat(100), "{".repeat(100));
        assert!(check_depth(quoted.as_bytes()).is_ok());
        assert!(parse(quoted.as_bytes()).is_ok());
    }

    #[test]
    fn int64_accepts_numbers_and_strings_strictly() {
        let path = Path::Root("");
        let item = |v: &Value| Item { v, path: &path }.i64();
        assert_eq!(item(&Value::from(5)).unwrap(), 5);
        assert_eq!(item(&Value::from("-9223372036854775808")).unwrap(), i64::MIN);
        assert!(item(&Value::from("9223372036854775808")).is_err());
        assert!(item(&Value::from("+5")).is_err());
        assert!(item(&Value::from(" 5")).is_err());
        assert!(item(&Value::from(1.5)).is_err());
        let id = |v: &Value| Item { v, path: &path }.id_u64();
        assert_eq!(id(&Value::from("3265320111641956183")).unwrap(), 3_265_320_111_641_956_183);
        assert!(id(&Value::from("0")).is_err());
        assert!(id(&Value::from(-3)).is_err());
    }
}

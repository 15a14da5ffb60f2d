//! Applying one PUSH SMART TAP DATA service update (`ssr`, smart-tap spec §6.6) to a pass.
//!
//! The spec leaves the encoding of the `sup` value unknown and says not to guess it. So a
//! balance operation changes the balance only when the product has configured how its
//! terminals encode the value ([`SupValueEncoding`]); otherwise the update is recorded raw
//! on the pass ([`TerminalUpdate`]) for the app to interpret. Usage status (`sug`) is
//! always recorded. `remove` and `free` operations are recorded, never executed: a
//! terminal cannot delete a user's pass. Who may update which pass is decided by the
//! caller (the selection engine), not here.
// Reads untrusted input (issuer JSON, terminal PUSH DATA): no panics, no unchecked maths.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use serde::{Deserialize, Serialize};

use super::model::{Balance, BalanceValue, PassObject};
use crate::ports::{CollectorId, ServiceStatusUpdate};
use crate::time::Timestamp;

/// `sup` operation `00`: no-op (spec §6.6).
pub const OP_NO_OP: u8 = 0x00;
/// `sup` operation `01`: remove.
pub const OP_REMOVE: u8 = 0x01;
/// `sup` operation `02`: SET_BALANCE.
pub const OP_SET_BALANCE: u8 = 0x02;
/// `sup` operation `03`: ADD_BALANCE.
pub const OP_ADD_BALANCE: u8 = 0x03;
/// `sup` operation `04`: SUBTRACT_BALANCE.
pub const OP_SUBTRACT_BALANCE: u8 = 0x04;
/// `sup` operation `05`: free.
pub const OP_FREE: u8 = 0x05;

/// Longest `sup` value or usage text kept on a pass.
pub const MAX_RAW_VALUE: usize = 64;
const MAX_TEXT: usize = 256;

/// How a product's terminals encode the `sup` balance value (not specified by Google).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SupValueEncoding {
    /// Unknown: record the raw bytes, change nothing (the spec's default).
    #[default]
    Undecoded,
    /// A big-endian two's-complement integer of 1–8 bytes, in the balance's unit
    /// (points, or micros for money).
    BigEndianSigned,
    /// ASCII decimal digits with an optional leading `-`, in the balance's unit.
    AsciiDecimal,
}

impl SupValueEncoding {
    /// The amount `raw` stands for, if it is well-formed in this encoding.
    pub fn decode(self, raw: &[u8]) -> Option<i64> {
        match self {
            SupValueEncoding::Undecoded => None,
            SupValueEncoding::BigEndianSigned => {
                if raw.is_empty() || raw.len() > 8 {
                    return None;
                }
                let fill = if raw.first().is_some_and(|b| b & 0x80 != 0) { 0xff } else { 0 };
                let mut buf = [fill; 8];
                buf.get_mut(8usize.checked_sub(raw.len())?..)?.copy_from_slice(raw);
                Some(i64::from_be_bytes(buf))
            }
            SupValueEncoding::AsciiDecimal => {
                let s = std::str::from_utf8(raw).ok()?;
                let digits = s.strip_prefix('-').unwrap_or(s);
                if digits.is_empty()
                    || digits.len() > 18
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return None;
                }
                s.parse().ok()
            }
        }
    }
}

/// The last update a terminal pushed for a pass, kept raw for the app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalUpdate {
    /// The authenticated collector that sent it.
    pub collector: u32,
    /// When it arrived (ms since the epoch).
    pub at_ms: i64,
    /// `sug` usage status byte (`01` success, …) and texts.
    pub usage_status: Option<u8>,
    pub usage_title: Option<String>,
    pub usage_description: Option<String>,
    /// `sup` operation byte and its raw value (truncated to [`MAX_RAW_VALUE`]).
    pub operation: Option<u8>,
    pub raw_value: Vec<u8>,
    /// Whether the operation changed the pass's balance.
    pub balance_changed: bool,
}

/// Records `update` on `object` and applies its balance operation where `encoding` allows.
/// Returns whether the balance changed.
pub fn apply_service_update(
    object: &mut PassObject,
    update: &ServiceStatusUpdate,
    encoding: SupValueEncoding,
    collector: CollectorId,
    now: Timestamp,
) -> bool {
    let mut balance_changed = false;
    if let Some((op, raw)) = &update.operation {
        if let (Some(amount), Some(balance)) = (encoding.decode(raw), object.balance.as_mut()) {
            balance_changed = apply_balance_op(balance, *op, amount);
        }
    }
    let usage = update.usage.as_ref();
    object.last_terminal_update = Some(TerminalUpdate {
        collector: collector.0,
        at_ms: now.0,
        usage_status: usage.map(|u| u.status),
        usage_title: usage.and_then(|u| u.title.as_deref()).map(clip),
        usage_description: usage.and_then(|u| u.description.as_deref()).map(clip),
        operation: update.operation.as_ref().map(|(op, _)| *op),
        raw_value: update
            .operation
            .as_ref()
            .map(|(_, raw)| raw.iter().take(MAX_RAW_VALUE).copied().collect())
            .unwrap_or_default(),
        balance_changed,
    });
    balance_changed
}

/// SET/ADD/SUBTRACT `amount` (in the balance's unit) on a numeric balance. Text balances
/// and overflowing results are left unchanged. Returns whether the balance changed.
pub fn apply_balance_op(balance: &mut Balance, op: u8, amount: i64) -> bool {
    let next = |current: i64| -> Option<i64> {
        match op {
            OP_SET_BALANCE => Some(amount),
            OP_ADD_BALANCE => current.checked_add(amount),
            OP_SUBTRACT_BALANCE => current.checked_sub(amount),
            _ => None,
        }
    };
    match &mut balance.value {
        BalanceValue::Int(v) => {
            let n = next(*v);
            set_if(v, n)
        }
        BalanceValue::Money(m) => {
            let n = next(m.micros);
            set_if(&mut m.micros, n)
        }
        BalanceValue::Double(d) => {
            // Points kept as a double take whole-unit operations.
            let amount = amount as f64;
            let new = match op {
                OP_SET_BALANCE => amount,
                OP_ADD_BALANCE => *d + amount,
                OP_SUBTRACT_BALANCE => *d - amount,
                _ => return false,
            };
            if !new.is_finite() {
                return false;
            }
            *d = new;
            true
        }
        BalanceValue::Text(_) => false,
    }
}

fn set_if(slot: &mut i64, value: Option<i64>) -> bool {
    match value {
        Some(v) => {
            *slot = v;
            true
        }
        None => false,
    }
}

fn clip(s: &str) -> String {
    let mut end = s.len().min(MAX_TEXT);
    while !s.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    s.get(..end).unwrap_or_default().to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::pass::model::Money;

    #[test]
    fn decodes_only_what_is_configured() {
        assert_eq!(SupValueEncoding::Undecoded.decode(&[0, 5]), None);
        assert_eq!(SupValueEncoding::BigEndianSigned.decode(&[0x01, 0x00]), Some(256));
        assert_eq!(SupValueEncoding::BigEndianSigned.decode(&[0xff]), Some(-1));
        assert_eq!(SupValueEncoding::BigEndianSigned.decode(&[]), None);
        assert_eq!(SupValueEncoding::BigEndianSigned.decode(&[0; 9]), None);
        assert_eq!(SupValueEncoding::AsciiDecimal.decode(b"-42"), Some(-42));
        assert_eq!(SupValueEncoding::AsciiDecimal.decode(b"+42"), None);
        assert_eq!(SupValueEncoding::AsciiDecimal.decode(b"4 2"), None);
        assert_eq!(SupValueEncoding::AsciiDecimal.decode(b"-"), None);
        assert_eq!(SupValueEncoding::AsciiDecimal.decode(b"9999999999999999999"), None);
    }

    #[test]
    fn balance_ops_are_exact_and_never_overflow() {
        let mut b = Balance { label: None, value: BalanceValue::Int(10) };
        assert!(apply_balance_op(&mut b, OP_ADD_BALANCE, 5));
        assert!(apply_balance_op(&mut b, OP_SUBTRACT_BALANCE, 3));
        assert_eq!(b.value, BalanceValue::Int(12));
        assert!(apply_balance_op(&mut b, OP_SET_BALANCE, 100));
        assert_eq!(b.value, BalanceValue::Int(100));
        assert!(!apply_balance_op(&mut b, OP_ADD_BALANCE, i64::MAX));
        assert_eq!(b.value, BalanceValue::Int(100));
        assert!(!apply_balance_op(&mut b, OP_REMOVE, 1));
        let mut m = Balance {
            label: None,
            value: BalanceValue::Money(Money { micros: 5_000_000, currency_code: None }),
        };
        assert!(apply_balance_op(&mut m, OP_SUBTRACT_BALANCE, 1_500_000));
        assert_eq!(m.value, BalanceValue::Money(Money { micros: 3_500_000, currency_code: None }));
        let mut t = Balance { label: None, value: BalanceValue::Text("Gold".into()) };
        assert!(!apply_balance_op(&mut t, OP_SET_BALANCE, 1));
        let mut d = Balance { label: None, value: BalanceValue::Double(1.5) };
        assert!(apply_balance_op(&mut d, OP_ADD_BALANCE, 2));
        assert_eq!(d.value, BalanceValue::Double(3.5));
    }

    #[test]
    fn clip_respects_char_boundaries() {
        let s = "é".repeat(200);
        let c = clip(&s);
        assert!(c.len() <= MAX_TEXT && c.chars().all(|ch| ch == 'é'));
    }
}

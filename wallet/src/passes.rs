//! What the host sees of a pass: identifiers and display fields, never the redemption
//! value (it only leaves the device encrypted, to an authenticated terminal).

use hce_wallet_core::pass::{
    BalanceValue, Details, PassClass, PassObject, PassState, TerminalUpdate, ValidTimeInterval,
};
use hce_wallet_core::ports::{IssuerId, PassType};

/// A pass as listed to the app.
#[derive(Clone, Debug, PartialEq)]
pub struct PassInfo {
    pub object_id: String,
    pub class_id: String,
    pub pass_type: PassType,
    /// The issuer that owns the class (`None` if the class is not stored).
    pub issuer_id: Option<IssuerId>,
    pub state: PassState,
    pub title: Option<String>,
    pub issuer_name: Option<String>,
    pub redemption_issuers: Vec<IssuerId>,
    /// Class has Smart Tap on and the user has not switched it off.
    pub smart_tap_enabled: bool,
    pub has_redemption_value: bool,
    pub barcode_value: Option<String>,
    /// The balance as text (`"120"` points, `"12.50 EUR"`), with its label if any.
    pub balance: Option<String>,
    pub balance_label: Option<String>,
    /// What the last terminal pushed for this pass (PUSH DATA, spec §6.6).
    pub last_terminal_update: Option<TerminalUpdateInfo>,
    /// Account, ticket holder or passenger name; generic `subheader`.
    pub subtitle: Option<String>,
    /// Account ID, card number, ticket number or confirmation code.
    pub reference: Option<String>,
    /// `#rrggbb` (the object's, else the class's).
    pub hex_background_color: Option<String>,
    /// The class's logo URI (untrusted: the app decides whether to fetch it).
    pub logo_uri: Option<String>,
    /// `validTimeInterval`: the pass is valid for `start <= now < end`.
    pub valid_time_interval: ValidTimeInterval,
    /// Everything else shown (`hce_wallet_core::pass::display`): class modules then the
    /// object's, the vertical's fields object over class. A gift card PIN is in here as a
    /// redacted secret; the bindings expose only whether there is one.
    pub details: Details,
}

/// The last PUSH DATA update of a pass, as the app shows it ("Redeemed at the till").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminalUpdateInfo {
    pub collector_id: u32,
    pub at_ms: i64,
    /// `sug` usage status (`1` success, …).
    pub usage_status: Option<u8>,
    pub usage_title: Option<String>,
    pub usage_description: Option<String>,
    /// Whether the update changed the balance.
    pub balance_changed: bool,
}

impl From<&TerminalUpdate> for TerminalUpdateInfo {
    fn from(u: &TerminalUpdate) -> Self {
        TerminalUpdateInfo {
            collector_id: u.collector,
            at_ms: u.at_ms,
            usage_status: u.usage_status,
            usage_title: u.usage_title.clone(),
            usage_description: u.usage_description.clone(),
            balance_changed: u.balance_changed,
        }
    }
}

/// Balance text: integers and text as they are, money as units with two or more decimals
/// and the currency code.
pub fn balance_text(v: &BalanceValue) -> String {
    match v {
        BalanceValue::Int(n) => n.to_string(),
        BalanceValue::Double(d) => d.to_string(),
        BalanceValue::Text(t) => t.clone(),
        BalanceValue::Money(m) => {
            let sign = if m.micros < 0 { "-" } else { "" };
            let abs = m.micros.unsigned_abs();
            let (units, micros) = (abs / 1_000_000, abs % 1_000_000);
            let mut frac = format!("{micros:06}");
            while frac.len() > 2 && frac.ends_with('0') {
                frac.pop();
            }
            match &m.currency_code {
                Some(c) => format!("{sign}{units}.{frac} {c}"),
                None => format!("{sign}{units}.{frac}"),
            }
        }
    }
}

impl PassInfo {
    pub(crate) fn new(o: &PassObject, class: Option<&PassClass>) -> PassInfo {
        PassInfo {
            object_id: o.id.clone(),
            class_id: o.class_id.clone(),
            pass_type: o.pass_type,
            issuer_id: class.map(|c| c.issuer_id),
            state: o.state,
            title: o.display.title.clone().or_else(|| class.and_then(|c| c.display.title.clone())),
            issuer_name: class.and_then(|c| c.display.issuer_name.clone()),
            redemption_issuers: class.map(|c| c.redemption_issuers.clone()).unwrap_or_default(),
            smart_tap_enabled: class.is_some_and(|c| c.enable_smart_tap)
                && !o.user_smart_tap_disabled,
            has_redemption_value: o.smart_tap_redemption_value.is_some(),
            barcode_value: o.barcode.as_ref().map(|b| b.value.clone()),
            balance: o.balance.as_ref().map(|b| balance_text(&b.value)),
            balance_label: o.balance.as_ref().and_then(|b| b.label.clone()),
            last_terminal_update: o.last_terminal_update.as_ref().map(TerminalUpdateInfo::from),
            subtitle: o.display.subtitle.clone(),
            reference: o.display.reference.clone(),
            hex_background_color: (o.display.hex_background_color.clone())
                .or_else(|| class.and_then(|c| c.display.hex_background_color.clone())),
            logo_uri: class.and_then(|c| c.display.logo_uri.clone()),
            valid_time_interval: o.valid_time_interval,
            details: match class {
                Some(c) => Details::merged(&c.details, &o.details),
                None => o.details.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hce_wallet_core::pass::Money;

    #[test]
    fn balances_read_as_the_app_shows_them() {
        let money = |micros, c: Option<&str>| {
            balance_text(&BalanceValue::Money(Money {
                micros,
                currency_code: c.map(str::to_owned),
            }))
        };
        assert_eq!(money(12_500_000, Some("EUR")), "12.50 EUR");
        assert_eq!(money(-1_234_567, Some("USD")), "-1.234567 USD");
        assert_eq!(money(0, None), "0.00");
        assert_eq!(money(i64::MIN, None), "-9223372036854.775808");
        assert_eq!(balance_text(&BalanceValue::Int(120)), "120");
        assert_eq!(balance_text(&BalanceValue::Text("gold".into())), "gold");
    }
}

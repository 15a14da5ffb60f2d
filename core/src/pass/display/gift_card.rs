//! Gift card display fields: `GiftCardClass` (labels) and `GiftCardObject` (card number,
//! PIN, event number, balance time), Google Wallet REST v1. The PIN is a [`SecretText`].
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::common::{date_obj, text};
use super::{or_fields, DisplayDateTime, SecretText, MAX_CODE_LEN};
use crate::pass::google_wallet::{ImportError, MAX_TEXT_LEN};
use crate::pass::json_reader::Obj;

/// A gift card as shown (the balance itself is the pass's `balance`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GiftCard {
    pub card_number: Option<String>,
    /// `pin`: shown on the user's request only, never logged.
    pub pin: Option<SecretText>,
    pub event_number: Option<String>,
    /// `balanceUpdateTime.date`.
    pub balance_update_time: Option<DisplayDateTime>,
    pub card_number_label: Option<String>,
    pub pin_label: Option<String>,
    pub event_number_label: Option<String>,
}

or_fields!(GiftCard {
    card_number,
    pin,
    event_number,
    balance_update_time,
    card_number_label,
    pin_label,
    event_number_label,
});

pub(super) fn class(o: &Obj<'_, '_>) -> Result<GiftCard, ImportError> {
    Ok(GiftCard {
        card_number_label: text(o, "cardNumberLabel", "localizedCardNumberLabel", MAX_TEXT_LEN)?,
        pin_label: text(o, "pinLabel", "localizedPinLabel", MAX_TEXT_LEN)?,
        event_number_label: text(o, "eventNumberLabel", "localizedEventNumberLabel", MAX_TEXT_LEN)?,
        ..GiftCard::default()
    })
}

pub(super) fn object(o: &Obj<'_, '_>) -> Result<GiftCard, ImportError> {
    let pin =
        o.opt_str("pin", MAX_CODE_LEN)?.map(|p| SecretText::new(Zeroizing::new(p.to_owned())));
    Ok(GiftCard {
        card_number: o.opt_string("cardNumber", MAX_CODE_LEN)?,
        pin,
        event_number: o.opt_string("eventNumber", MAX_CODE_LEN)?,
        balance_update_time: date_obj(o, "balanceUpdateTime")?,
        ..GiftCard::default()
    })
}

//! Offer display fields (`OfferClass`: provider, fine print, redemption channel, details,
//! help link), Google Wallet REST v1. `OfferObject` adds nothing of its own.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use super::common::{enum_field, text};
use super::{or_fields, MAX_BODY_LEN};
use crate::pass::google_wallet::{ImportError, MAX_TEXT_LEN, MAX_URI_LEN};
use crate::pass::json_reader::Obj;

/// `redemptionChannel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RedemptionChannel {
    Instore,
    Online,
    Both,
    TemporaryPriceReduction,
}

/// An offer as shown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Offer {
    pub provider: Option<String>,
    pub details: Option<String>,
    pub fine_print: Option<String>,
    pub redemption_channel: Option<RedemptionChannel>,
    /// `helpUri.uri`.
    pub help_uri: Option<String>,
}

or_fields!(Offer { provider, details, fine_print, redemption_channel, help_uri });

fn channel(s: &str) -> Option<RedemptionChannel> {
    Some(match s {
        "INSTORE" => RedemptionChannel::Instore,
        "ONLINE" => RedemptionChannel::Online,
        "BOTH" => RedemptionChannel::Both,
        "TEMPORARY_PRICE_REDUCTION" => RedemptionChannel::TemporaryPriceReduction,
        _ => return None,
    })
}

pub(super) fn class(o: &Obj<'_, '_>) -> Result<Offer, ImportError> {
    Ok(Offer {
        provider: text(o, "provider", "localizedProvider", MAX_TEXT_LEN)?,
        details: text(o, "details", "localizedDetails", MAX_BODY_LEN)?,
        fine_print: text(o, "finePrint", "localizedFinePrint", MAX_BODY_LEN)?,
        redemption_channel: enum_field(o, "redemptionChannel", channel)?,
        help_uri: o.opt_obj("helpUri", |u| u.opt_string("uri", MAX_URI_LEN))?.flatten(),
    })
}

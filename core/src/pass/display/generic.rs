//! Generic pass display fields (`GenericObject`: header, card title, subheader, logo,
//! type), Google Wallet REST v1. Its text modules are in [`super::Modules`]; the generic
//! class carries only modules.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use super::common::{image_uri, localized_field};
use super::or_fields;
use crate::pass::google_wallet::ImportError;
use crate::pass::json_reader::Obj;

/// A generic pass as shown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Generic {
    pub header: Option<String>,
    pub card_title: Option<String>,
    pub subheader: Option<String>,
    /// `logo.sourceUri.uri`.
    pub logo_uri: Option<String>,
    /// `genericType` as written (`GENERIC_GYM_MEMBERSHIP`, …).
    pub generic_type: Option<String>,
}

or_fields!(Generic { header, card_title, subheader, logo_uri, generic_type });

pub(super) fn class(_o: &Obj<'_, '_>) -> Result<Generic, ImportError> {
    Ok(Generic::default())
}

pub(super) fn object(o: &Obj<'_, '_>) -> Result<Generic, ImportError> {
    Ok(Generic {
        header: localized_field(o, "header")?,
        card_title: localized_field(o, "cardTitle")?,
        subheader: localized_field(o, "subheader")?,
        logo_uri: o.opt_obj("logo", |l| image_uri(&l))?.flatten(),
        generic_type: o.opt_string("genericType", 64)?,
    })
}

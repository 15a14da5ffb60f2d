//! What the host sees of a pass: identifiers and display fields, never the redemption
//! value (it only leaves the device encrypted, to an authenticated terminal).

use hce_wallet_core::pass::{PassClass, PassObject, PassState};
use hce_wallet_core::ports::{IssuerId, PassType};

/// A pass as listed to the app.
#[derive(Clone, Debug, PartialEq, Eq)]
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
        }
    }
}

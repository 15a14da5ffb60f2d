//! Eligibility of one pass for one tap: smart-tap spec §12.2 rules 2–6. (Rule 1, an
//! authenticated terminal, is the applet's: the engine is only asked after NEGOTIATE.)

use crate::pass::model::{PassClass, PassObject, PassState, Validity};
use crate::ports::{CollectorId, SelectionRequest};

/// Why a pass is not eligible, in the order the rules are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Ineligible {
    #[error("no such pass")]
    UnknownPass,
    #[error("the pass's class is not in the wallet")]
    UnknownClass,
    /// Rule 2: no redemption issuer of the class owns the collector.
    #[error("no redemption issuer of the class owns collector {0}")]
    NotRedeemableBy(CollectorId),
    /// Rule 2: `enableSmartTap` is false on the class.
    #[error("Smart Tap is not enabled on the class")]
    SmartTapNotEnabled,
    /// Rule 5: the user switched Smart Tap off for this pass.
    #[error("the user switched Smart Tap off for this pass")]
    UserDisabled,
    /// Rule 3: no `smartTapRedemptionValue`.
    #[error("the pass has no Smart Tap redemption value")]
    NoRedemptionValue,
    /// Rule 4: `state` is not ACTIVE.
    #[error("the pass is not active ({0:?})")]
    NotActive(PassState),
    /// Rule 4: now is before `validTimeInterval.start`.
    #[error("the pass is not valid yet")]
    NotYetValid,
    /// Rule 4: now is at or after `validTimeInterval.end`.
    #[error("the pass's validity has ended")]
    ValidityEnded,
    /// Rule 6: the terminal did not ask for this vertical.
    #[error("the terminal did not request this pass type")]
    TypeNotRequested,
}

/// Checks rules 2–6 for `object` of `class`; `redeemable` says whether the index lists the
/// object as a candidate for the request's collector (rule 2, first half).
pub fn check(
    class: &PassClass,
    object: &PassObject,
    redeemable: bool,
    request: &SelectionRequest,
    local_offset_secs: i32,
) -> Result<(), Ineligible> {
    if !redeemable {
        return Err(Ineligible::NotRedeemableBy(request.collector));
    }
    check_standing(class, object, request, local_offset_secs)?;
    if !class.pass_type.requested_by(&request.service_types) {
        return Err(Ineligible::TypeNotRequested);
    }
    Ok(())
}

/// Rules 2 (second half) to 5: everything but the collector match and the requested type.
pub fn check_standing(
    class: &PassClass,
    object: &PassObject,
    request: &SelectionRequest,
    local_offset_secs: i32,
) -> Result<(), Ineligible> {
    if !class.enable_smart_tap {
        return Err(Ineligible::SmartTapNotEnabled);
    }
    if object.user_smart_tap_disabled {
        return Err(Ineligible::UserDisabled);
    }
    if object.smart_tap_redemption_value.is_none() {
        return Err(Ineligible::NoRedemptionValue);
    }
    if object.state != PassState::Active {
        return Err(Ineligible::NotActive(object.state));
    }
    match object.valid_time_interval.validity(request.now, local_offset_secs) {
        Validity::Valid => Ok(()),
        Validity::NotYetValid => Err(Ineligible::NotYetValid),
        Validity::Ended => Err(Ineligible::ValidityEnded),
    }
}

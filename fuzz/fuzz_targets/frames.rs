//! The input framing the `router` and `smart_tap` targets share: a sequence of frames
//! `op len bytes…`; `op & 1` deactivates (link loss) and `op & 2` deselects before the
//! APDU; a short last frame takes what is left.

use hce_wallet_core::apdu::Response;
use hce_wallet_core::router::{Deactivation, Router};

/// Feeds every frame of `data` to `router`. `dispatch` has no panic guard, so a panic
/// anywhere is a finding; every answer carries at least a status word.
#[allow(dead_code)]
pub fn drive(router: &mut Router, data: &[u8]) {
    drive_checked(router, data, |_| {});
}

/// As [`drive`], handing every answer to `check` as well.
pub fn drive_checked(router: &mut Router, data: &[u8], mut check: impl FnMut(&Response)) {
    let mut rest = data;
    while let [op, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (apdu, after) = tail.split_at(n);
        if op & 1 != 0 {
            router.deactivate(Deactivation::LinkLoss);
        }
        if op & 2 != 0 {
            router.deactivate(Deactivation::Deselected);
        }
        let response = router.dispatch(apdu);
        assert!(response.to_bytes().len() >= 2);
        check(&response);
        rest = after;
    }
}

//! Events the core reports to the host app: every decision taken during a tap.
//!
//! The Smart Tap spec (§12.2, last paragraph) asks that every decision — sent, nothing
//! eligible, chooser, locked, authentication failed — reach the app as an explicit event.
//! Events carry identifiers only, never redemption values or key material.

use crate::ports::CollectorId;

/// Why a terminal failed to authenticate (spec §6.3 steps 2–7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// No public key for (collector, key version) in the key ring, or it is outside its validity.
    UnknownKey,
    /// The signature did not verify over the 101 signed bytes.
    BadSignature,
    /// The terminal's ephemeral key is not a valid P-256 point.
    BadEphemeralKey,
    /// Pre-signed (non-live) authentication offered but refused by policy.
    PreSignedRefused,
    /// No pass held that this collector could redeem: the wallet does not authenticate to it.
    NoRedeemablePass,
}

/// A decision or occurrence the host app should know about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalletEvent {
    /// A terminal authenticated as `collector` (NEGOTIATE succeeded).
    Authenticated { collector: CollectorId, key_version: u32 },
    /// Authentication failed; nothing was transmitted.
    AuthenticationFailed { collector: CollectorId, key_version: u32, reason: AuthFailure },
    /// A pass was sent to the terminal.
    PassSent { collector: CollectorId, object_id: String },
    /// The terminal asked for passes but none was eligible.
    NothingEligible { collector: CollectorId },
    /// Several passes are eligible: the app shows the chooser (carousel); the user taps again.
    ChooserRequired { collector: CollectorId, candidates: Vec<String> },
    /// The device must be unlocked before a pass is sent.
    UnlockRequired { collector: CollectorId },
    /// A PUSH SMART TAP DATA arrived (spec §6.6); `applied` says whether the listener used it.
    PushReceived { collector: Option<CollectorId>, updates: usize },
    /// The terminal went away or another AID was selected: per-tap state was wiped.
    Deactivated,
}

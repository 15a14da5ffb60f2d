//! Events the core reports to the host app: every decision taken during a tap.
//!
//! The Smart Tap spec (§12.2, last paragraph) asks that every decision — sent, nothing
//! eligible, chooser, locked, authentication failed — reach the app as an explicit event.
//! Events carry identifiers only, never redemption values or key material.

use crate::nfc_pass::model::{Aid, FileId, KeyNumber, PassId};
use crate::payment::token::{Origin, ReasonCode, TokenId, TokenState};
use crate::payment::token_service::UserRequestKind;
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
    /// The selected pass was not sent: its sealed answer (`bytes`) exceeds what a real
    /// reader reassembles (`limit`: 11 chained answers of the slice size, at most 4096
    /// bytes; smart-tap spec §13a). The terminal heard `9001` with no data.
    AnswerTooLarge { collector: CollectorId, object_id: String, bytes: usize, limit: usize },
    /// The terminal went away or another AID was selected: per-tap state was wiped.
    Deactivated,
    /// A payment decision or a token life-cycle change (payment spec §12, §13).
    Payment(PaymentEvent),
    /// A reader used an issuer NFC pass, or was refused (issue 15).
    NfcPass(NfcPassEvent),
}

/// What the NFC pass applet tells the app (and, through it, the issuer's callback). File
/// IDs and key numbers only — never file contents or key values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NfcPassEvent {
    /// One field session with the pass ended (link loss, deselection, another SELECT): which
    /// files the reader read and wrote (writes were durable before they were acknowledged)
    /// and whether it authenticated.
    Used { pass: PassId, aid: Aid, read: Vec<FileId>, written: Vec<FileId>, authenticated: bool },
    /// EXTERNAL AUTHENTICATE failed; `remaining` tries are left (0: the key is blocked).
    AuthenticationFailed { pass: PassId, key: KeyNumber, remaining: u8 },
    /// Several Active passes share the AID and none is chosen: nobody answered; the app
    /// asks the user to choose.
    AidConflict { aid: Aid, candidates: Vec<PassId> },
    /// A reader's write could not be made durable: it was refused (`6581`).
    WriteFailed { pass: PassId, file: FileId },
}

impl NfcPassEvent {
    /// A stable dotted name for logs and activity records.
    pub fn name(&self) -> &'static str {
        match self {
            NfcPassEvent::Used { .. } => "nfc.used",
            NfcPassEvent::AuthenticationFailed { .. } => "nfc.auth_failed",
            NfcPassEvent::AidConflict { .. } => "nfc.aid_conflict",
            NfcPassEvent::WriteFailed { .. } => "nfc.write_failed",
        }
    }
    /// The pass the event is about (none for a conflict).
    pub fn pass(&self) -> Option<&PassId> {
        match self {
            NfcPassEvent::Used { pass, .. }
            | NfcPassEvent::AuthenticationFailed { pass, .. }
            | NfcPassEvent::WriteFailed { pass, .. } => Some(pass),
            NfcPassEvent::AidConflict { .. } => None,
        }
    }
    /// A one-line detail without secrets.
    pub fn detail(&self) -> String {
        let ids =
            |files: &[FileId]| files.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(",");
        match self {
            NfcPassEvent::Used { aid, read, written, authenticated, .. } => format!(
                "AID {aid} read [{}] written [{}] authenticated={authenticated}",
                ids(read),
                ids(written)
            ),
            NfcPassEvent::AuthenticationFailed { key, remaining, .. } => {
                format!("key {key}: {remaining} tries left")
            }
            NfcPassEvent::AidConflict { aid, candidates } => format!(
                "AID {aid}: {}",
                candidates.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",")
            ),
            NfcPassEvent::WriteFailed { file, .. } => format!("file {file}"),
        }
    }
}

/// The kind of application cryptogram (payment spec §6.5: `9F27` bits 8–7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CryptogramKind {
    /// Application Authentication Cryptogram: declined.
    Aac,
    /// Authorisation Request Cryptogram: go online (every cloud token's normal answer).
    Arqc,
    /// Transaction Certificate: approved offline.
    Tc,
}

/// Why a payment tap produced no usable cryptogram (payment spec §11, §12.5, §17.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeclineReason {
    /// The key's transaction count or cumulative amount threshold is reached.
    KeysExhausted,
    /// The key's lifetime passed.
    KeyExpired,
    /// The token holds no key.
    NoKey,
    /// The token is not Active.
    TokenNotActive(TokenState),
    /// The token's expiry date passed.
    TokenExpired,
    /// The ATC reached `FFFF`.
    AtcSpent,
    /// The reader is offline-only (TTQ byte 1 bit 4): a cloud token cannot succeed there.
    OfflineOnlyReader,
    /// The terminal asked for an AAC.
    TerminalRequestedAac,
    /// The journal could not make the ATC durable: nothing was answered with it.
    JournalFailed,
}

/// Why the key budget needs the host's attention (payment spec §9.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplenishReason {
    /// Few transactions or little lifetime left: replenish when next online.
    Low,
    Exhausted,
    Expired,
    NoKey,
}

/// What the payment side tells the app. Carries token references and last four digits
/// only — never an MPAN, a key, track 2 or cryptogram inputs (payment spec §17.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentEvent {
    /// SELECT AID bound the tap to this token (§13 step 2).
    TokenSelected { token: TokenId, last_four: String },
    /// A cryptogram went to the terminal, with the ATC it used.
    Cryptogram { token: TokenId, last_four: String, atc: u16, kind: CryptogramKind, cdcvm: bool },
    /// The tap was declined (AAC or no cryptogram) and why.
    Declined { token: TokenId, reason: DeclineReason },
    /// The user must verify on the phone and tap again (§10).
    VerificationRequired { token: TokenId },
    /// The token's keys need replenishing (§9.2).
    ReplenishmentNeeded { token: TokenId, reason: ReplenishReason },
    /// A life-cycle transition (§12.3–12.4).
    StateChanged {
        token: TokenId,
        from: Option<TokenState>,
        to: TokenState,
        origin: Origin,
        reason: Option<ReasonCode>,
    },
    /// The default card changed (§12.4: the app may ask the user to pick another).
    DefaultChanged { from: Option<TokenId>, to: Option<TokenId> },
    /// A replenishment batch of `keys` limited-use keys arrived from the token service.
    KeysReplenished { token: TokenId, keys: u32 },
    /// The token service refused a user's request (HTTP `status`); it left the queue.
    RequestRefused { token: TokenId, request: UserRequestKind, status: u16 },
}

impl PaymentEvent {
    /// A stable dotted name for logs and activity records (`payment.cryptogram`, …).
    pub fn name(&self) -> &'static str {
        match self {
            PaymentEvent::TokenSelected { .. } => "payment.token_selected",
            PaymentEvent::Cryptogram { .. } => "payment.cryptogram",
            PaymentEvent::Declined { .. } => "payment.declined",
            PaymentEvent::VerificationRequired { .. } => "payment.verification_required",
            PaymentEvent::ReplenishmentNeeded { .. } => "payment.replenishment_needed",
            PaymentEvent::StateChanged { .. } => "token.state_changed",
            PaymentEvent::DefaultChanged { .. } => "token.default_changed",
            PaymentEvent::KeysReplenished { .. } => "token.keys_replenished",
            PaymentEvent::RequestRefused { .. } => "token.request_refused",
        }
    }
    /// The token the event is about (the new default for [`PaymentEvent::DefaultChanged`]).
    pub fn token(&self) -> Option<&TokenId> {
        match self {
            PaymentEvent::TokenSelected { token, .. }
            | PaymentEvent::Cryptogram { token, .. }
            | PaymentEvent::Declined { token, .. }
            | PaymentEvent::VerificationRequired { token }
            | PaymentEvent::ReplenishmentNeeded { token, .. }
            | PaymentEvent::StateChanged { token, .. }
            | PaymentEvent::KeysReplenished { token, .. }
            | PaymentEvent::RequestRefused { token, .. } => Some(token),
            PaymentEvent::DefaultChanged { to, .. } => to.as_ref(),
        }
    }
    /// A one-line detail without secrets (last four digits at most).
    pub fn detail(&self) -> String {
        match self {
            PaymentEvent::TokenSelected { last_four, .. } => format!("…{last_four}"),
            PaymentEvent::Cryptogram { last_four, atc, kind, cdcvm, .. } => {
                format!("…{last_four} ATC {atc:04X} {kind:?} cdcvm={cdcvm}")
            }
            PaymentEvent::Declined { reason, .. } => format!("{reason:?}"),
            PaymentEvent::VerificationRequired { .. } => String::new(),
            PaymentEvent::ReplenishmentNeeded { reason, .. } => format!("{reason:?}"),
            PaymentEvent::StateChanged { from, to, origin, reason, .. } => {
                format!("{from:?} -> {to:?} by {origin:?} ({reason:?})")
            }
            PaymentEvent::DefaultChanged { from, .. } => {
                format!("from {}", from.as_ref().map_or("none", |t| t.as_str()))
            }
            PaymentEvent::KeysReplenished { keys, .. } => format!("{keys} key(s)"),
            PaymentEvent::RequestRefused { request, status, .. } => {
                format!("{} refused with HTTP {status}", request.wire_name())
            }
        }
    }
}

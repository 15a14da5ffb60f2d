//! Plain records and enums crossing the boundary, with their conversions to and from the
//! wallet's Rust types (translation only).

use hce_wallet::{AuthFailure, CollectorId, Notice, WalletEvent as CoreEvent};

/// Lock-screen behaviour (spec §12.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum LockedPolicy {
    /// Answer `9300` and raise [`WalletEvent::UnlockRequired`].
    RequireUnlock,
    /// Send passes from the lock screen.
    Allow,
}

/// Configuration for [`crate::Wallet::open`].
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct WalletConfig {
    /// PEM public keys allowed to sign key bundles (several for rotation).
    #[uniffi(default = [])]
    pub pinned_bundle_roots: Vec<String>,
    /// Key bundle URL; `null` disables key sync.
    #[uniffi(default = None)]
    pub sync_url: Option<String>,
    /// How long a chooser choice stays valid for the next tap, in milliseconds.
    #[uniffi(default = 60000)]
    pub chooser_window_ms: u64,
    /// Lock-screen behaviour.
    pub locked_policy: LockedPolicy,
}

impl From<WalletConfig> for hce_wallet::WalletConfig {
    fn from(c: WalletConfig) -> Self {
        hce_wallet::WalletConfig {
            pinned_bundle_roots: c.pinned_bundle_roots,
            sync_url: c.sync_url,
            chooser_window_ms: c.chooser_window_ms,
            locked_policy: match c.locked_policy {
                LockedPolicy::RequireUnlock => hce_wallet::LockedPolicy::RequireUnlock,
                LockedPolicy::Allow => hce_wallet::LockedPolicy::Allow,
            },
        }
    }
}

/// What the user is doing when a terminal is met. Until the app first calls
/// `Wallet.setUiContext`, the wallet assumes [`UiContext::Locked`] (fail-closed).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum UiContext {
    /// This pass is open in the app: only it may be sent.
    PassOpen { object_id: String },
    /// Wallet home screen, nothing open.
    Home,
    /// Device unlocked, wallet not in front.
    Unlocked,
    /// Device locked; also what a newly opened wallet assumes.
    Locked,
}

impl From<UiContext> for hce_wallet::UiContext {
    fn from(c: UiContext) -> Self {
        match c {
            UiContext::PassOpen { object_id } => hce_wallet::UiContext::PassOpen(object_id),
            UiContext::Home => hce_wallet::UiContext::Home,
            UiContext::Unlocked => hce_wallet::UiContext::Unlocked,
            UiContext::Locked => hce_wallet::UiContext::Locked,
        }
    }
}

/// Android's `HostApduService.onDeactivated` reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum DeactivationReason {
    /// `DEACTIVATION_LINK_LOSS` (0).
    LinkLoss,
    /// `DEACTIVATION_DESELECTED` (1).
    Deselected,
}

impl From<DeactivationReason> for hce_wallet::Deactivation {
    fn from(r: DeactivationReason) -> Self {
        match r {
            DeactivationReason::LinkLoss => hce_wallet::Deactivation::LinkLoss,
            DeactivationReason::Deselected => hce_wallet::Deactivation::Deselected,
        }
    }
}

/// Why a terminal failed to authenticate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum AuthFailureReason {
    UnknownKey,
    BadSignature,
    BadEphemeralKey,
    PreSignedRefused,
    NoRedeemablePass,
}

impl From<AuthFailure> for AuthFailureReason {
    fn from(a: AuthFailure) -> Self {
        match a {
            AuthFailure::UnknownKey => AuthFailureReason::UnknownKey,
            AuthFailure::BadSignature => AuthFailureReason::BadSignature,
            AuthFailure::BadEphemeralKey => AuthFailureReason::BadEphemeralKey,
            AuthFailure::PreSignedRefused => AuthFailureReason::PreSignedRefused,
            AuthFailure::NoRedeemablePass => AuthFailureReason::NoRedeemablePass,
        }
    }
}

/// The result of one key-sync attempt.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum SyncOutcome {
    Updated { sequence: u64, keys: u32 },
    NotModified,
    Skipped { reason: String },
    Failed { reason: String, retry_at_ms: Option<i64> },
}

impl From<hce_wallet::SyncOutcome> for SyncOutcome {
    fn from(o: hce_wallet::SyncOutcome) -> Self {
        match o {
            hce_wallet::SyncOutcome::Updated { sequence, keys } => {
                SyncOutcome::Updated { sequence, keys }
            }
            hce_wallet::SyncOutcome::NotModified => SyncOutcome::NotModified,
            hce_wallet::SyncOutcome::Skipped { reason } => SyncOutcome::Skipped { reason },
            hce_wallet::SyncOutcome::Failed { reason, retry_at } => {
                SyncOutcome::Failed { reason, retry_at_ms: retry_at.map(|t| t.0) }
            }
        }
    }
}

/// Where key sync stands; times in ms since the epoch.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SyncStatus {
    pub last_success_ms: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_ms: Option<i64>,
    pub bundle_sequence: Option<u64>,
    /// Redemption issuers of held passes without a usable key.
    pub issuers_without_keys: Vec<u64>,
    pub keys_expiring_soon: u32,
}

impl From<hce_wallet::SyncStatus> for SyncStatus {
    fn from(s: hce_wallet::SyncStatus) -> Self {
        SyncStatus {
            last_success_ms: s.last_success.map(|t| t.0),
            last_error: s.last_error,
            next_attempt_ms: s.next_attempt.map(|t| t.0),
            bundle_sequence: s.bundle_sequence,
            issuers_without_keys: s.issuers_without_keys,
            keys_expiring_soon: s.keys_expiring_soon,
        }
    }
}

/// Everything the app hears (spec §12.2: every decision is an explicit event).
/// Collector IDs are the terminal's Smart Tap collector IDs (unsigned 32-bit).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum WalletEvent {
    Authenticated {
        collector_id: u32,
        key_version: u32,
    },
    AuthenticationFailed {
        collector_id: u32,
        key_version: u32,
        reason: AuthFailureReason,
    },
    PassSent {
        collector_id: u32,
        object_id: String,
    },
    NothingEligible {
        collector_id: u32,
    },
    ChooserRequired {
        collector_id: u32,
        candidates: Vec<String>,
    },
    UnlockRequired {
        collector_id: u32,
    },
    PushApplied {
        collector_id: Option<u32>,
        updates: u32,
    },
    Deactivated,
    /// The selected pass was not sent: its answer (`bytes`) is longer than a real reader
    /// reassembles (`limit`: 11 chained answers, at most 4096 bytes). The terminal heard
    /// `9001` (nothing to send).
    PassTooLarge {
        collector_id: u32,
        object_id: String,
        bytes: u32,
        limit: u32,
    },
    /// The app's `LogSink` threw while the library logged; it was removed (records are
    /// dropped, the tap went on). Call `setLogSink` again to resume.
    LogSinkFailed,
    SyncFinished {
        outcome: SyncOutcome,
    },
    /// A payment decision or token life-cycle change: `name` is stable
    /// (`payment.cryptogram`, `token.state_changed`, …); `detail` never holds a card number.
    Payment {
        name: String,
        token_ref: Option<String>,
        detail: String,
    },
}

fn id(c: CollectorId) -> u32 {
    c.0
}

impl From<Notice> for WalletEvent {
    fn from(n: Notice) -> Self {
        match n {
            Notice::Sync(outcome) => WalletEvent::SyncFinished { outcome: outcome.into() },
            Notice::Tap(e) => match e {
                CoreEvent::Authenticated { collector, key_version } => {
                    WalletEvent::Authenticated { collector_id: id(collector), key_version }
                }
                CoreEvent::AuthenticationFailed { collector, key_version, reason } => {
                    WalletEvent::AuthenticationFailed {
                        collector_id: id(collector),
                        key_version,
                        reason: reason.into(),
                    }
                }
                CoreEvent::PassSent { collector, object_id } => {
                    WalletEvent::PassSent { collector_id: id(collector), object_id }
                }
                CoreEvent::NothingEligible { collector } => {
                    WalletEvent::NothingEligible { collector_id: id(collector) }
                }
                CoreEvent::ChooserRequired { collector, candidates } => {
                    WalletEvent::ChooserRequired { collector_id: id(collector), candidates }
                }
                CoreEvent::UnlockRequired { collector } => {
                    WalletEvent::UnlockRequired { collector_id: id(collector) }
                }
                CoreEvent::PushReceived { collector, updates } => WalletEvent::PushApplied {
                    collector_id: collector.map(id),
                    updates: u32::try_from(updates).unwrap_or(u32::MAX),
                },
                CoreEvent::Deactivated => WalletEvent::Deactivated,
                CoreEvent::AnswerTooLarge { collector, object_id, bytes, limit } => {
                    WalletEvent::PassTooLarge {
                        collector_id: id(collector),
                        object_id,
                        bytes: u32::try_from(bytes).unwrap_or(u32::MAX),
                        limit: u32::try_from(limit).unwrap_or(u32::MAX),
                    }
                }
                CoreEvent::Payment(p) => WalletEvent::Payment {
                    name: p.name().to_owned(),
                    token_ref: p.token().map(|t| t.as_str().to_owned()),
                    detail: p.detail(),
                },
            },
        }
    }
}

/// The Google Wallet verticals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum PassType {
    Loyalty,
    GiftCard,
    Offer,
    EventTicket,
    Flight,
    Transit,
    Generic,
}

impl From<hce_wallet::PassType> for PassType {
    fn from(t: hce_wallet::PassType) -> Self {
        use hce_wallet::PassType as T;
        match t {
            T::Loyalty => PassType::Loyalty,
            T::GiftCard => PassType::GiftCard,
            T::Offer => PassType::Offer,
            T::EventTicket => PassType::EventTicket,
            T::Flight => PassType::Flight,
            T::Transit => PassType::Transit,
            T::Generic => PassType::Generic,
        }
    }
}

/// A pass object's `state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum PassState {
    Active,
    Completed,
    Expired,
    Inactive,
}

impl From<hce_wallet::PassState> for PassState {
    fn from(s: hce_wallet::PassState) -> Self {
        use hce_wallet::PassState as S;
        match s {
            S::Active => PassState::Active,
            S::Completed => PassState::Completed,
            S::Expired => PassState::Expired,
            S::Inactive => PassState::Inactive,
        }
    }
}

/// A pass as the app lists it. The redemption value never crosses: it only leaves the
/// device encrypted, to an authenticated terminal.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PassInfo {
    pub object_id: String,
    pub class_id: String,
    pub pass_type: PassType,
    pub issuer_id: Option<u64>,
    pub state: PassState,
    pub title: Option<String>,
    pub issuer_name: Option<String>,
    pub redemption_issuers: Vec<u64>,
    pub smart_tap_enabled: bool,
    pub has_redemption_value: bool,
    pub barcode_value: Option<String>,
    /// The balance as text (`"120"`, `"12.50 EUR"`) and its label.
    pub balance: Option<String>,
    pub balance_label: Option<String>,
    /// What the last terminal pushed for this pass (PUSH DATA).
    pub last_terminal_update: Option<TerminalUpdateInfo>,
}

/// The last PUSH DATA update of a pass.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TerminalUpdateInfo {
    pub collector_id: u32,
    pub at_ms: i64,
    pub usage_status: Option<u8>,
    pub usage_title: Option<String>,
    pub usage_description: Option<String>,
    pub balance_changed: bool,
}

impl From<hce_wallet::TerminalUpdateInfo> for TerminalUpdateInfo {
    fn from(u: hce_wallet::TerminalUpdateInfo) -> Self {
        TerminalUpdateInfo {
            collector_id: u.collector_id,
            at_ms: u.at_ms,
            usage_status: u.usage_status,
            usage_title: u.usage_title,
            usage_description: u.usage_description,
            balance_changed: u.balance_changed,
        }
    }
}

/// One entry of the wallet's activity log (identifiers only, never values).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Activity {
    pub seq: u64,
    pub at_ms: i64,
    /// `tap.sent`, `tap.chooser`, `tap.auth_failed`, `import`, `remove`, `push`, `sync`, ...
    pub kind: String,
    pub collector_id: Option<u32>,
    pub object_id: Option<String>,
    pub detail: Option<String>,
}

impl From<hce_wallet::Activity> for Activity {
    fn from(a: hce_wallet::Activity) -> Self {
        Activity {
            seq: a.seq,
            at_ms: a.at_ms,
            kind: a.kind,
            collector_id: a.collector_id,
            object_id: a.object_id,
            detail: a.detail,
        }
    }
}

impl From<hce_wallet::PassInfo> for PassInfo {
    fn from(p: hce_wallet::PassInfo) -> Self {
        PassInfo {
            object_id: p.object_id,
            class_id: p.class_id,
            pass_type: p.pass_type.into(),
            issuer_id: p.issuer_id,
            state: p.state.into(),
            title: p.title,
            issuer_name: p.issuer_name,
            redemption_issuers: p.redemption_issuers,
            smart_tap_enabled: p.smart_tap_enabled,
            has_redemption_value: p.has_redemption_value,
            barcode_value: p.barcode_value,
            balance: p.balance,
            balance_label: p.balance_label,
            last_terminal_update: p.last_terminal_update.map(TerminalUpdateInfo::from),
        }
    }
}

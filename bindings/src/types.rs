//! Plain records and enums crossing the boundary, with their conversions to and from the
//! wallet's Rust types (translation only).

use hce_wallet::{AuthFailure, CollectorId, Notice, PaymentEvent, WalletEvent as CoreEvent};
use hce_wallet_core::events::{
    CryptogramKind as CoreCryptogram, DeclineReason as CoreDecline, ReplenishReason,
};
use hce_wallet_core::payment::token::{Origin, ReasonCode, TokenId};

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
    /// PEM public keys of the token service that may sign token provisioning payloads and
    /// status messages (several for rotation). Empty: no payment token can be added.
    #[uniffi(default = [])]
    pub pinned_token_service_keys: Vec<String>,
    /// This device's identity at the token service; `null`: no payment token can be added.
    #[uniffi(default = None)]
    pub device_id: Option<String>,
    /// The token service's base URL (`{base}/status/{device}`, `{base}/requests`,
    /// `{base}/replenish`); `null`: user requests are queued but not sent, and status
    /// messages reach the wallet only through `applyTokenStatus`.
    #[uniffi(default = None)]
    pub token_service_url: Option<String>,
    /// Issuer pass-update feeds, one per issuer with its pinned feed key.
    #[uniffi(default = [])]
    pub pass_feeds: Vec<crate::pass_feed::PassFeedConfig>,
    /// The issuers' save-link keys (a JWKS of RS256 keys) the app pins;
    /// `Wallet.importSaveLink` verifies against it. `null`: no link verifies.
    #[uniffi(default = None)]
    pub save_link_jwks: Option<String>,
    /// Where the save-link JWKS is fetched from when none is pinned
    /// (`Wallet.refreshSaveLinkKeys`, through the app's `HttpTransport`).
    #[uniffi(default = None)]
    pub save_link_jwks_url: Option<String>,
    /// The `aud` a save link must carry for this wallet.
    #[uniffi(default = "hce-wallet")]
    pub save_link_audience: String,
    /// Testing only: `importPassJson` accepts a save-to-wallet JWT without verifying its
    /// signature. Never set in a shipped app.
    #[uniffi(default = false)]
    pub allow_unverified_save_links: bool,
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
            pinned_token_service_keys: c.pinned_token_service_keys,
            device_id: c.device_id,
            token_service_url: c.token_service_url,
            pass_feeds: c.pass_feeds.into_iter().map(Into::into).collect(),
            save_link_jwks: c.save_link_jwks,
            save_link_jwks_url: c.save_link_jwks_url,
            save_link_audience: c.save_link_audience,
            allow_unverified_save_links: c.allow_unverified_save_links,
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

/// What happened to the token status feed in one token sync.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum TokenStatusOutcome {
    /// A signed status window was applied up to `sequence`; `changes`: the token events it
    /// raised (state and default-card changes, also sent to the listener).
    Applied { sequence: u64, changes: u32 },
    /// Nothing new (HTTP 304, or the window was applied already).
    NotModified,
    /// Not due yet; `until_ms`: when it will be.
    Skipped { until_ms: Option<i64> },
    /// Fetching or applying failed (nothing applied); retried after `retry_at_ms`.
    Failed { reason: String, retry_at_ms: i64 },
}

/// What one `Wallet.syncTokens` did.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TokenSyncReport {
    /// User requests (report lost, resume, delete) the token service answered for good:
    /// taken, or refused (then also `WalletEvent.TokenRequestRefused`).
    pub requests_sent: u32,
    /// User requests still waiting to be sent (retried with backoff).
    pub requests_waiting: u32,
    pub status: TokenStatusOutcome,
    /// Token references that received new limited-use keys.
    pub replenished: Vec<String>,
    /// Why replenishment failed this time, if it did (retried with backoff).
    pub replenish_error: Option<String>,
}

impl From<hce_wallet::TokenSyncReport> for TokenSyncReport {
    fn from(r: hce_wallet::TokenSyncReport) -> Self {
        use hce_wallet::StatusOutcome as S;
        TokenSyncReport {
            requests_sent: r.requests_sent,
            requests_waiting: r.requests_waiting,
            status: match r.status {
                S::Applied { sequence, changes } => {
                    TokenStatusOutcome::Applied { sequence, changes }
                }
                S::NotModified => TokenStatusOutcome::NotModified,
                S::Skipped { until } => {
                    TokenStatusOutcome::Skipped { until_ms: until.map(|t| t.0) }
                }
                S::Failed { reason, retry_at } => {
                    TokenStatusOutcome::Failed { reason, retry_at_ms: retry_at.0 }
                }
            },
            replenished: r.replenished,
            replenish_error: r.replenish_error,
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
    /// An issuer's update changed a pass (`Wallet.syncPassFeeds`): show a notification.
    PassChanged {
        change: crate::pass_feed::PassChange,
    },
    /// A terminal selected this payment token (the tap started).
    PaymentStarted {
        token_ref: String,
        last_four: String,
    },
    /// A payment cryptogram went to the terminal with this ATC.
    PaymentSent {
        token_ref: String,
        last_four: String,
        atc: u16,
        kind: CryptogramKind,
        cdcvm: bool,
    },
    /// The tap was declined; no usable cryptogram left the phone.
    PaymentDeclined {
        token_ref: String,
        reason: DeclineReason,
    },
    /// "Verify on the phone and tap again" (CDCVM required, spec §10): call
    /// `userVerified` after the user verified, then ask for another tap.
    VerificationRequired {
        token_ref: String,
    },
    /// The token's keys are low (replenish when online) or gone (taps are declined).
    KeysLow {
        token_ref: String,
    },
    KeysExhausted {
        token_ref: String,
        reason: KeysGone,
    },
    /// A token's life-cycle state changed (spec §12.3).
    TokenStateChanged {
        token_ref: String,
        from: Option<TokenState>,
        to: TokenState,
        origin: TokenOrigin,
        reason: Option<TokenReason>,
    },
    /// The default card changed (the app may ask the user to pick another).
    DefaultTokenChanged {
        from: Option<String>,
        to: Option<String>,
    },
    /// A replenishment batch of `keys` limited-use keys arrived (token sync).
    KeysReplenished {
        token_ref: String,
        keys: u32,
    },
    /// The token service refused a request of the user (HTTP `status`); it left the queue.
    TokenRequestRefused {
        token_ref: String,
        kind: TokenRequestKind,
        status: u16,
    },
    /// The AIDs to route to this wallet changed (a token became Active or stopped being
    /// so): hand them to `CardEmulation.registerAidsForService` (`Wallet.aidSet`).
    AidSetChanged {
        aid_set: crate::aids::AidSet,
    },
    /// An issuer NFC pass was used or refused (`nfc.used`, `nfc.auth_failed`,
    /// `nfc.aid_conflict`, `nfc.write_failed`); file IDs and key numbers only.
    NfcPass {
        name: String,
        pass_id: Option<String>,
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
            Notice::AidSetChanged(set) => WalletEvent::AidSetChanged { aid_set: set.into() },
            Notice::PassChanged(change) => WalletEvent::PassChanged { change: change.into() },
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
                CoreEvent::Payment(p) => p.into(),
                CoreEvent::NfcPass(n) => WalletEvent::NfcPass {
                    name: n.name().to_owned(),
                    pass_id: n.pass().map(|p| p.as_str().to_owned()),
                    detail: n.detail(),
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
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
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
    /// Account, ticket holder or passenger name; a generic pass's subheader.
    pub subtitle: Option<String>,
    /// Account ID, card number, ticket number or confirmation code.
    pub reference: Option<String>,
    /// `#rrggbb`.
    pub hex_background_color: Option<String>,
    /// The logo's URI (untrusted: the app decides whether to fetch it).
    pub logo_uri: Option<String>,
    /// `validTimeInterval`: valid for `valid_from <= now < valid_until` (each optional;
    /// an instant has offset 0, a local time none).
    pub valid_from: Option<crate::display::PassDateTime>,
    pub valid_until: Option<crate::display::PassDateTime>,
    /// Messages, modules and the vertical's own fields (see [`crate::display`]).
    pub display: crate::display::PassDisplay,
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
            subtitle: p.subtitle,
            reference: p.reference,
            hex_background_color: p.hex_background_color,
            logo_uri: p.logo_uri,
            valid_from: crate::pass_feed::bound(p.valid_time_interval.start),
            valid_until: crate::pass_feed::bound(p.valid_time_interval.end),
            display: p.details.into(),
        }
    }
}

// ---- payment tokens ---------------------------------------------------------------------

/// A payment token's life-cycle state (spec §12.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum TokenState {
    Pending,
    Active,
    Suspended,
    Deleted,
}

impl From<hce_wallet::TokenState> for TokenState {
    fn from(s: hce_wallet::TokenState) -> Self {
        use hce_wallet::TokenState as S;
        match s {
            S::Pending => TokenState::Pending,
            S::Active => TokenState::Active,
            S::Suspended => TokenState::Suspended,
            S::Deleted => TokenState::Deleted,
        }
    }
}

/// Who started a life-cycle change (spec §12.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum TokenOrigin {
    User,
    IssuerOnToken,
    IssuerOnCard,
    DeviceLost,
    DeviceFound,
    DeviceWipe,
    DeviceRestore,
    AccountSignOut,
    DeviceCredentialRemoved,
    DeviceCredentialSet,
}

impl From<Origin> for TokenOrigin {
    fn from(o: Origin) -> Self {
        match o {
            Origin::User => TokenOrigin::User,
            Origin::IssuerOnToken => TokenOrigin::IssuerOnToken,
            Origin::IssuerOnCard => TokenOrigin::IssuerOnCard,
            Origin::DeviceLost => TokenOrigin::DeviceLost,
            Origin::DeviceFound => TokenOrigin::DeviceFound,
            Origin::DeviceWipe => TokenOrigin::DeviceWipe,
            Origin::DeviceRestore => TokenOrigin::DeviceRestore,
            Origin::AccountSignOut => TokenOrigin::AccountSignOut,
            Origin::DeviceCredentialRemoved => TokenOrigin::DeviceCredentialRemoved,
            Origin::DeviceCredentialSet => TokenOrigin::DeviceCredentialSet,
        }
    }
}

/// The token service's reason for a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum TokenReason {
    Lost,
    Stolen,
    Fraudulent,
    Found,
    FraudCleared,
    AccountClosed,
    ConsumerDeleted,
    Reissued,
    Other,
}

impl From<ReasonCode> for TokenReason {
    fn from(r: ReasonCode) -> Self {
        match r {
            ReasonCode::Lost => TokenReason::Lost,
            ReasonCode::Stolen => TokenReason::Stolen,
            ReasonCode::Fraudulent => TokenReason::Fraudulent,
            ReasonCode::Found => TokenReason::Found,
            ReasonCode::FraudCleared => TokenReason::FraudCleared,
            ReasonCode::AccountClosed => TokenReason::AccountClosed,
            ReasonCode::ConsumerDeleted => TokenReason::ConsumerDeleted,
            ReasonCode::Reissued => TokenReason::Reissued,
            ReasonCode::Other => TokenReason::Other,
        }
    }
}

/// The cryptogram a tap produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum CryptogramKind {
    /// Declined.
    Aac,
    /// Go online (a cloud token's normal answer).
    Arqc,
    /// Approved offline.
    Tc,
}

/// Why a tap was declined.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum DeclineReason {
    KeysExhausted,
    KeyExpired,
    NoKey,
    TokenNotActive {
        state: TokenState,
    },
    TokenExpired,
    AtcSpent,
    OfflineOnlyReader,
    TerminalRequestedAac,
    /// The ATC could not be made durable: nothing was sent.
    JournalFailed,
}

/// Why a token has no usable key left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum KeysGone {
    Exhausted,
    Expired,
    NoKey,
}

impl From<PaymentEvent> for WalletEvent {
    fn from(p: PaymentEvent) -> Self {
        let r = |t: TokenId| t.as_str().to_owned();
        match p {
            PaymentEvent::TokenSelected { token, last_four } => {
                WalletEvent::PaymentStarted { token_ref: r(token), last_four }
            }
            PaymentEvent::Cryptogram { token, last_four, atc, kind, cdcvm } => {
                WalletEvent::PaymentSent {
                    token_ref: r(token),
                    last_four,
                    atc,
                    kind: match kind {
                        CoreCryptogram::Aac => CryptogramKind::Aac,
                        CoreCryptogram::Arqc => CryptogramKind::Arqc,
                        CoreCryptogram::Tc => CryptogramKind::Tc,
                    },
                    cdcvm,
                }
            }
            PaymentEvent::Declined { token, reason } => {
                let reason = match reason {
                    CoreDecline::KeysExhausted => DeclineReason::KeysExhausted,
                    CoreDecline::KeyExpired => DeclineReason::KeyExpired,
                    CoreDecline::NoKey => DeclineReason::NoKey,
                    CoreDecline::TokenNotActive(s) => {
                        DeclineReason::TokenNotActive { state: s.into() }
                    }
                    CoreDecline::TokenExpired => DeclineReason::TokenExpired,
                    CoreDecline::AtcSpent => DeclineReason::AtcSpent,
                    CoreDecline::OfflineOnlyReader => DeclineReason::OfflineOnlyReader,
                    CoreDecline::TerminalRequestedAac => DeclineReason::TerminalRequestedAac,
                    CoreDecline::JournalFailed => DeclineReason::JournalFailed,
                };
                WalletEvent::PaymentDeclined { token_ref: r(token), reason }
            }
            PaymentEvent::VerificationRequired { token } => {
                WalletEvent::VerificationRequired { token_ref: r(token) }
            }
            PaymentEvent::ReplenishmentNeeded { token, reason } => match reason {
                ReplenishReason::Low => WalletEvent::KeysLow { token_ref: r(token) },
                ReplenishReason::Exhausted => {
                    WalletEvent::KeysExhausted { token_ref: r(token), reason: KeysGone::Exhausted }
                }
                ReplenishReason::Expired => {
                    WalletEvent::KeysExhausted { token_ref: r(token), reason: KeysGone::Expired }
                }
                ReplenishReason::NoKey => {
                    WalletEvent::KeysExhausted { token_ref: r(token), reason: KeysGone::NoKey }
                }
            },
            PaymentEvent::StateChanged { token, from, to, origin, reason } => {
                WalletEvent::TokenStateChanged {
                    token_ref: r(token),
                    from: from.map(TokenState::from),
                    to: to.into(),
                    origin: origin.into(),
                    reason: reason.map(TokenReason::from),
                }
            }
            PaymentEvent::DefaultChanged { from, to } => {
                WalletEvent::DefaultTokenChanged { from: from.map(r), to: to.map(r) }
            }
            PaymentEvent::KeysReplenished { token, keys } => {
                WalletEvent::KeysReplenished { token_ref: r(token), keys }
            }
            PaymentEvent::RequestRefused { token, request, status } => {
                WalletEvent::TokenRequestRefused {
                    token_ref: r(token),
                    kind: request.into(),
                    status,
                }
            }
        }
    }
}

/// Whether a token's keys can pay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum KeyStatus {
    /// Usable; `low`: ask for replenishment when online.
    Available {
        transactions_left: u32,
        low: bool,
    },
    /// Thresholds reached: taps are declined until a replenishment batch arrives.
    Exhausted,
    Expired,
    NoKey,
}

impl From<hce_wallet::KeyStatus> for KeyStatus {
    fn from(k: hce_wallet::KeyStatus) -> Self {
        use hce_wallet::KeyStatus as K;
        match k {
            K::Available { transactions_left, low } => {
                KeyStatus::Available { transactions_left, low }
            }
            K::Exhausted => KeyStatus::Exhausted,
            K::Expired => KeyStatus::Expired,
            K::NoKey => KeyStatus::NoKey,
        }
    }
}

/// The funding account's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum CardProduct {
    Debit,
    Credit,
    Prepaid,
}

/// A payment token as the app lists it (last four digits only, never a key).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TokenInfo {
    pub token_ref: String,
    pub card_ref: String,
    pub state: TokenState,
    pub last_four: String,
    pub expiry_year: u16,
    pub expiry_month: u8,
    pub is_default: bool,
    pub keys: KeyStatus,
    pub keys_held: u32,
    /// The last transaction counter used (rises with every tap).
    pub atc: u16,
    pub card_art: Option<String>,
    pub label: String,
    /// The application identifier, upper-case hex.
    pub aid: String,
    pub product: CardProduct,
    /// The user asked to resume; the token service has not confirmed yet.
    pub resume_requested: bool,
    /// Who holds a suspended token suspended (empty unless suspended): `resumeToken` lifts
    /// only [`TokenHold::User`].
    pub suspended_by: Vec<TokenHold>,
}

/// One suspension of a token (spec §12.3); a token stays suspended until all are lifted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum TokenHold {
    /// The user reported it lost.
    User,
    Issuer,
    /// The funding card was reported lost.
    Card,
    DeviceLost,
    /// The screen lock was removed (no CDCVM possible).
    Credential,
}

impl From<hce_wallet::Hold> for TokenHold {
    fn from(h: hce_wallet::Hold) -> Self {
        use hce_wallet::Hold as H;
        match h {
            H::User => TokenHold::User,
            H::Issuer => TokenHold::Issuer,
            H::Card => TokenHold::Card,
            H::DeviceLost => TokenHold::DeviceLost,
            H::Credential => TokenHold::Credential,
        }
    }
}

impl From<hce_wallet::TokenInfo> for TokenInfo {
    fn from(t: hce_wallet::TokenInfo) -> Self {
        TokenInfo {
            token_ref: t.token_ref,
            card_ref: t.card_ref,
            state: t.state.into(),
            last_four: t.last_four,
            expiry_year: t.expiry_year,
            expiry_month: t.expiry_month,
            is_default: t.is_default,
            keys: t.keys.into(),
            keys_held: t.keys_held,
            atc: t.atc,
            card_art: t.card_art,
            label: t.label,
            aid: t.aid.iter().map(|b| format!("{b:02X}")).collect(),
            product: match t.product {
                hce_wallet::Product::Debit => CardProduct::Debit,
                hce_wallet::Product::Credit => CardProduct::Credit,
                hce_wallet::Product::Prepaid => CardProduct::Prepaid,
            },
            resume_requested: t.resume_requested,
            suspended_by: t.holds.into_iter().map(TokenHold::from).collect(),
        }
    }
}

/// What the user asked of the token service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum TokenRequestKind {
    ReportLost,
    Resume,
    Delete,
}

/// A user request queued for the token service.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TokenRequest {
    pub seq: u64,
    pub token_ref: String,
    pub kind: TokenRequestKind,
    pub at_ms: i64,
}

impl From<hce_wallet::TokenRequest> for TokenRequest {
    fn from(r: hce_wallet::TokenRequest) -> Self {
        TokenRequest { seq: r.seq, token_ref: r.token_ref, kind: r.kind.into(), at_ms: r.at_ms }
    }
}

impl From<hce_wallet::UserRequestKind> for TokenRequestKind {
    fn from(k: hce_wallet::UserRequestKind) -> Self {
        match k {
            hce_wallet::UserRequestKind::ReportLost => TokenRequestKind::ReportLost,
            hce_wallet::UserRequestKind::Resume => TokenRequestKind::Resume,
            hce_wallet::UserRequestKind::Delete => TokenRequestKind::Delete,
        }
    }
}

/// How the user was verified on the phone (CDCVM, spec §10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum CdcvmMethod {
    Biometric,
    DevicePasscode,
    WalletPin,
}

impl From<CdcvmMethod> for hce_wallet::CdcvmMethod {
    fn from(m: CdcvmMethod) -> Self {
        match m {
            CdcvmMethod::Biometric => hce_wallet::CdcvmMethod::Biometric,
            CdcvmMethod::DevicePasscode => hce_wallet::CdcvmMethod::DevicePasscode,
            CdcvmMethod::WalletPin => hce_wallet::CdcvmMethod::WalletPin,
        }
    }
}

/// Device and account events the app observes (spec §12.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum DeviceEvent {
    Lost,
    Found,
    Wiped,
    Restored,
    SignedOut,
    /// Screen lock / biometrics removed: tokens suspended (no CDCVM possible).
    CredentialRemoved,
    CredentialSet,
}

impl From<DeviceEvent> for hce_wallet::DeviceEvent {
    fn from(d: DeviceEvent) -> Self {
        use hce_wallet::DeviceEvent as D;
        match d {
            DeviceEvent::Lost => D::Lost,
            DeviceEvent::Found => D::Found,
            DeviceEvent::Wiped => D::Wiped,
            DeviceEvent::Restored => D::Restored,
            DeviceEvent::SignedOut => D::SignedOut,
            DeviceEvent::CredentialRemoved => D::CredentialRemoved,
            DeviceEvent::CredentialSet => D::CredentialSet,
        }
    }
}

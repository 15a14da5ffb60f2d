//! What the host decides when it opens the wallet.

/// What happens when a terminal asks for a pass while the device is locked
/// (spec §12.2, last scenario).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LockedPolicy {
    /// Answer `9300` and ask the user to unlock (the default).
    #[default]
    RequireUnlock,
    /// Send passes from the lock screen as if the device were unlocked.
    Allow,
}

/// Wallet configuration. Everything has a default except the store location and key,
/// which [`crate::Wallet::open`] takes separately.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletConfig {
    /// PEM (SubjectPublicKeyInfo) public keys that may sign issuer key bundles; several
    /// allow a root rotation.
    pub pinned_bundle_roots: Vec<String>,
    /// Where key bundles are fetched from; `None` disables key sync.
    pub sync_url: Option<String>,
    /// How long a choice made in the chooser stays valid for the next tap, in ms.
    pub chooser_window_ms: u64,
    /// Lock-screen behaviour.
    pub locked_policy: LockedPolicy,
    /// PEM (SubjectPublicKeyInfo, P-256) public keys of the token service that may sign
    /// payment-token provisioning payloads and status messages (payment spec §9.2, §12.3);
    /// several allow a rotation. Empty: no token can be provisioned.
    pub pinned_token_service_keys: Vec<String>,
    /// This device's identity at the token service: provisioning payloads and status
    /// messages for another device are refused. `None`: no token can be provisioned.
    pub device_id: Option<String>,
    /// The token service's base URL (`{base}/status/{device}`, `{base}/requests`,
    /// `{base}/replenish`; payment spec §9.2, §12.3); `None`: tokens are managed only
    /// through messages the app hands in ([`crate::Wallet::apply_token_status`], …) and
    /// the user's requests are queued without being sent.
    pub token_service_url: Option<String>,
    /// Issuer pass-update feeds, one per issuer, each with its pinned feed key.
    pub pass_feeds: Vec<crate::pass_feeds::PassFeedConfig>,
    /// The issuers' save-link keys, a JWKS (RFC 7517) of RS256 keys, pinned by the app:
    /// [`crate::Wallet::import_save_link`] verifies against it. `None`: no link verifies.
    pub save_link_jwks: Option<String>,
    /// Where the issuers' save-link JWKS is fetched from when none is pinned
    /// ([`crate::Wallet::refresh_save_link_keys`], through the host transport).
    pub save_link_jwks_url: Option<String>,
    /// The `aud` a save link must carry for this wallet.
    pub save_link_audience: String,
    /// Testing only: lets [`crate::Wallet::import_pass_json`] import a save-to-wallet JWT
    /// **without verifying its signature**. Never set in a shipped app.
    pub allow_unverified_save_links: bool,
}

impl Default for WalletConfig {
    fn default() -> Self {
        WalletConfig {
            pinned_bundle_roots: Vec::new(),
            sync_url: None,
            chooser_window_ms: 60_000,
            locked_policy: LockedPolicy::RequireUnlock,
            pinned_token_service_keys: Vec::new(),
            device_id: None,
            token_service_url: None,
            pass_feeds: Vec::new(),
            save_link_jwks: None,
            save_link_jwks_url: None,
            save_link_audience: "hce-wallet".into(),
            allow_unverified_save_links: false,
        }
    }
}

//! The `Wallet` object as Kotlin sees it. Each method converts arguments, runs the
//! wallet's method inside [`guard`] and converts the result; nothing else happens here.

use std::path::PathBuf;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::error::{guard, WalletError};
use crate::http::{HttpTransport, TransportAdapter};
use crate::listener::{ListenerAdapter, WalletListener};
use crate::types::{
    Activity, CdcvmMethod, DeactivationReason, DeviceEvent, PassInfo, SyncOutcome, SyncStatus,
    TokenInfo, TokenRequest, TokenSyncReport, UiContext, WalletConfig,
};

/// The wallet. Safe to call from the HCE binder thread and the UI thread at once.
#[derive(uniffi::Object)]
pub struct Wallet {
    pub(crate) inner: Arc<hce_wallet::Wallet>,
    /// The app's listener, also told about failures outside the wallet proper (a log
    /// sink that threw).
    listener: Option<Arc<dyn WalletListener>>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

#[uniffi::export]
impl Wallet {
    /// Opens (or creates) the wallet at `path` with the host's 32-byte root key (keep it
    /// in the Android Keystore; the copy passed here is wiped on the Rust side).
    #[uniffi::constructor]
    pub fn open(
        path: String,
        root_key: Vec<u8>,
        config: WalletConfig,
        listener: Option<Arc<dyn WalletListener>>,
        transport: Option<Arc<dyn HttpTransport>>,
    ) -> Result<Arc<Self>, WalletError> {
        crate::logging::init();
        let root_key = Zeroizing::new(root_key);
        guard("Wallet.open", || {
            let host = hce_wallet::Host {
                listener: listener
                    .clone()
                    .map(|l| Arc::new(ListenerAdapter(l)) as Arc<dyn hce_wallet::WalletListener>),
                transport: transport
                    .map(|t| Arc::new(TransportAdapter(t)) as Arc<dyn hce_wallet::HttpTransport>),
                ..hce_wallet::Host::default()
            };
            let inner =
                hce_wallet::Wallet::open(&PathBuf::from(path), &root_key, config.into(), host)?;
            Ok(Arc::new(Wallet { inner: Arc::new(inner), listener }))
        })
    }

    /// Answers one command APDU (`data ‖ SW`). Never throws: a failure is a status word.
    pub fn process_apdu(&self, apdu: Vec<u8>) -> Vec<u8> {
        let response = self.inner.process_apdu(&apdu);
        self.report_log_sink_failure();
        response
    }

    /// The NFC link went away or another service's AID was selected.
    pub fn on_deactivated(&self, reason: DeactivationReason) {
        let _ = guard("Wallet.onDeactivated", || {
            self.inner.on_deactivated(reason.into());
            Ok(())
        });
        self.report_log_sink_failure();
    }

    /// Imports Google Wallet JSON (classes and objects, or a save-to-wallet JWT payload).
    /// All or nothing; returns the imported object IDs.
    pub fn import_pass_json(&self, json: String) -> Result<Vec<String>, WalletError> {
        guard("Wallet.importPassJson", || Ok(self.inner.import_pass_json(&json)?))
    }

    /// Imports one bare Google Wallet REST resource as issuers keep it (the body sent to
    /// the REST `insert` method; no `kind` needed) of `resourceType`: `loyaltyClass`,
    /// `loyaltyObject`, `walletobjects#giftCardClass`, ... (a `kind` in the body must
    /// agree). All or nothing; returns the imported object IDs.
    pub fn import_pass_resource(
        &self,
        json: String,
        resource_type: String,
    ) -> Result<Vec<String>, WalletError> {
        guard("Wallet.importPassResource", || {
            Ok(self.inner.import_pass_resource(&json, &resource_type)?)
        })
    }

    /// Imports a save-to-wallet link's JWT after verifying it against the pinned
    /// `WalletConfig.saveLinkJwks` (RS256, `aud`, `typ`, `iat`/`exp`, `origins` against
    /// `origin` when given). A link that does not verify stores nothing.
    pub fn import_save_link(
        &self,
        token: String,
        origin: Option<String>,
    ) -> Result<Vec<String>, WalletError> {
        guard("Wallet.importSaveLink", || {
            Ok(self.inner.import_save_link(&token, origin.as_deref())?)
        })
    }

    /// Fetches the save-link JWKS from `WalletConfig.saveLinkJwksUrl` if due (`force`:
    /// now). Returns whether a new one was stored. Blocks on the transport.
    pub fn refresh_save_link_keys(&self, force: bool) -> Result<bool, WalletError> {
        guard("Wallet.refreshSaveLinkKeys", || {
            Ok(self.inner.refresh_save_link_keys(force)? == hce_wallet::JwksRefresh::Updated)
        })
    }

    /// Every pass, sorted by object ID.
    pub fn list_passes(&self) -> Result<Vec<PassInfo>, WalletError> {
        guard("Wallet.listPasses", || {
            Ok(self.inner.list_passes().into_iter().map(PassInfo::from).collect())
        })
    }

    pub fn get_pass(&self, object_id: String) -> Result<PassInfo, WalletError> {
        guard("Wallet.getPass", || Ok(self.inner.get_pass(&object_id)?.into()))
    }

    /// A gift card's PIN, for the moment the user asks to see it (`null` if it has none).
    /// Never log it.
    pub fn gift_card_pin(&self, object_id: String) -> Result<Option<String>, WalletError> {
        guard("Wallet.giftCardPin", || {
            Ok(self.inner.gift_card_pin(&object_id)?.map(|p| p.as_str().to_owned()))
        })
    }

    /// Removes a pass; returns whether it existed.
    pub fn remove_pass(&self, object_id: String) -> Result<bool, WalletError> {
        guard("Wallet.removePass", || Ok(self.inner.remove_pass(&object_id)?))
    }

    /// The user's per-pass Smart Tap switch.
    pub fn set_smart_tap_enabled(
        &self,
        object_id: String,
        enabled: bool,
    ) -> Result<(), WalletError> {
        guard("Wallet.setSmartTapEnabled", || {
            Ok(self.inner.set_smart_tap_enabled(&object_id, enabled)?)
        })
    }

    /// What the user is doing (pass open, home, unlocked, locked). A freshly opened
    /// wallet is `UiContext.Locked` (fail-closed): with `LockedPolicy.REQUIRE_UNLOCK` it
    /// sends no pass (the terminal hears `9300`) until the app reports the context, so
    /// call this from `onResume`/`onPause` and the screen/keyguard callbacks.
    pub fn set_ui_context(&self, context: UiContext) {
        let _ = guard("Wallet.setUiContext", || {
            self.inner.set_ui_context(context.into());
            Ok(())
        });
    }

    /// The user picked this pass in the chooser; the next tap sends it.
    pub fn choose_pass(&self, object_id: String) -> Result<(), WalletError> {
        guard("Wallet.choosePass", || Ok(self.inner.choose_pass(&object_id)?))
    }

    /// The device came online: fetch the key bundle if due. Blocks on the transport.
    pub fn on_network_available(&self) -> Result<SyncOutcome, WalletError> {
        guard("Wallet.onNetworkAvailable", || Ok(self.inner.on_network_available()?.into()))
    }

    /// Talk to the token service now: send the user's queued requests, fetch the token
    /// status feed, ask for keys where they run low. `userAsked`: the user pulled to
    /// refresh (skips freshness and backoff). Blocks on the transport: never call it on the
    /// HCE or UI thread.
    pub fn sync_tokens(&self, user_asked: bool) -> Result<TokenSyncReport, WalletError> {
        guard("Wallet.syncTokens", || Ok(self.inner.sync_tokens(user_asked)?.into()))
    }

    /// Fetch the key bundle now. Blocks on the transport.
    pub fn sync_now(&self) -> Result<SyncOutcome, WalletError> {
        guard("Wallet.syncNow", || Ok(self.inner.sync_now()?.into()))
    }

    /// Fetches every issuer pass-update feed that is due (`force`: the user asked).
    /// Blocks on the transport. Changes also arrive as `WalletEvent.PassChanged`.
    pub fn sync_pass_feeds(&self, force: bool) -> Result<Vec<crate::PassFeedOutcome>, WalletError> {
        guard("Wallet.syncPassFeeds", || {
            Ok(self.inner.sync_pass_feeds(force)?.into_iter().map(Into::into).collect())
        })
    }

    /// The newest `limit` entries of the encrypted activity log, oldest first.
    pub fn activity(&self, limit: u32) -> Result<Vec<Activity>, WalletError> {
        guard("Wallet.activity", || {
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            Ok(self.inner.activity(limit)?.into_iter().map(Activity::from).collect())
        })
    }

    pub fn sync_status(&self) -> Result<SyncStatus, WalletError> {
        guard("Wallet.syncStatus", || Ok(self.inner.sync_status().into()))
    }

    // ---- payment tokens --------------------------------------------------------------

    /// Adds a token from a signed provisioning payload of the token service, or adds the
    /// replenishment batch such a payload carries for a token already held.
    pub fn provision_token(&self, payload: Vec<u8>) -> Result<(), WalletError> {
        guard("Wallet.provisionToken", || Ok(self.inner.provision_token(&payload)?))
    }

    /// Applies a signed, sequenced status message of the token service (all or nothing).
    pub fn apply_token_status(&self, message: Vec<u8>) -> Result<(), WalletError> {
        guard("Wallet.applyTokenStatus", || Ok(self.inner.apply_token_status(&message)?))
    }

    /// Every token not deleted, in load order.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, WalletError> {
        guard("Wallet.tokens", || {
            Ok(self.inner.tokens()?.into_iter().map(TokenInfo::from).collect())
        })
    }

    /// The user picks the default card.
    pub fn set_default_token(&self, token_ref: String) -> Result<(), WalletError> {
        guard("Wallet.setDefaultToken", || Ok(self.inner.set_default_token(&token_ref)?))
    }

    /// Report lost: suspended at once, queued for the token service.
    pub fn report_lost(&self, token_ref: String) -> Result<(), WalletError> {
        guard("Wallet.reportLost", || Ok(self.inner.report_lost(&token_ref)?))
    }

    /// Un-report: queued; Active only once the token service confirms (a status message).
    pub fn resume_token(&self, token_ref: String) -> Result<(), WalletError> {
        guard("Wallet.resumeToken", || Ok(self.inner.resume_token(&token_ref)?))
    }

    /// Delete: at once, keys wiped; queued for the token service.
    pub fn delete_token(&self, token_ref: String) -> Result<(), WalletError> {
        guard("Wallet.deleteToken", || Ok(self.inner.delete_token(&token_ref)?))
    }

    /// User requests not yet acknowledged by the token service.
    pub fn pending_token_requests(&self) -> Result<Vec<TokenRequest>, WalletError> {
        guard("Wallet.pendingTokenRequests", || {
            Ok(self.inner.pending_token_requests()?.into_iter().map(TokenRequest::from).collect())
        })
    }

    /// The token service received every request up to `through_seq`.
    pub fn acknowledge_token_requests(&self, through_seq: u64) -> Result<u32, WalletError> {
        guard("Wallet.acknowledgeTokenRequests", || {
            let n = self.inner.acknowledge_token_requests(through_seq)?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }

    /// The user verified on the phone (CDCVM); taps within `valid_for_ms` carry it.
    pub fn user_verified(&self, method: CdcvmMethod, valid_for_ms: u64) {
        let _ = guard("Wallet.userVerified", || {
            self.inner.user_verified(method.into(), valid_for_ms);
            Ok(())
        });
    }

    /// A device or account event the app observed (credential removed, sign-out, …).
    pub fn on_device_event(&self, event: DeviceEvent) -> Result<(), WalletError> {
        guard("Wallet.onDeviceEvent", || Ok(self.inner.on_device_event(event.into())?))
    }

    /// Every AID to route to this wallet, by category: register them with
    /// `CardEmulation.registerAidsForService` after open and on `AidSetChanged`.
    pub fn aid_set(&self) -> Result<crate::aids::AidSet, WalletError> {
        guard("Wallet.aidSet", || Ok(self.inner.aid_set()?.into()))
    }

    /// Routes `HceBridge.processApdu` (the JNI fast path) to this wallet.
    pub fn register_fast_path(&self) {
        crate::fast_path::register(self.inner.clone());
    }

    /// Stops routing the fast path to this wallet (it answers `6A82` afterwards).
    pub fn unregister_fast_path(&self) {
        crate::fast_path::unregister(Some(&self.inner));
    }
}

impl Wallet {
    /// Tells the listener once that the app's log sink threw and was removed (the JNI
    /// fast path's taps are reported at the next `onDeactivated`).
    fn report_log_sink_failure(&self) {
        if crate::logging::take_sink_failure() {
            if let Some(listener) = &self.listener {
                let told = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    listener.on_event(crate::types::WalletEvent::LogSinkFailed)
                }));
                if told.is_err() {
                    log::warn!("WalletListener.onEvent failed; LogSinkFailed dropped");
                }
            }
        }
    }
}

impl Drop for Wallet {
    fn drop(&mut self) {
        crate::fast_path::unregister(Some(&self.inner));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::logging::{set_log_sink, LogLevel, LogSink};
    use crate::types::{LockedPolicy, WalletEvent};

    /// What a Kotlin sink that throws looks like from Rust: a panic in the callback.
    struct Throwing;
    impl LogSink for Throwing {
        fn log(&self, _level: LogLevel, _target: String, _message: String) {
            panic!("LogSink threw");
        }
    }

    #[derive(Default)]
    struct Recording(Mutex<Vec<WalletEvent>>);
    impl WalletListener for Recording {
        fn on_event(&self, event: WalletEvent) {
            self.0.lock().unwrap().push(event);
        }
    }

    fn apdu(hex: &str) -> Vec<u8> {
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
    }

    /// Issue 12: a throwing log sink no longer panics through the tap; the tap answers
    /// its status words, the sink is removed, and the app hears `LogSinkFailed` once.
    #[test]
    fn a_throwing_log_sink_ends_the_tap_with_a_status_word_and_the_app_is_told() {
        let _serial = crate::logging::TEST_LOGGER.lock().unwrap_or_else(|p| p.into_inner());
        let dir = std::env::temp_dir().join(format!("hce-ffi-log-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("w.redb");
        let _ = std::fs::remove_file(&path);
        let config = WalletConfig {
            pinned_bundle_roots: vec![],
            sync_url: None,
            chooser_window_ms: 60_000,
            locked_policy: LockedPolicy::RequireUnlock,
            pinned_token_service_keys: vec![],
            device_id: None,
            token_service_url: None,
            pass_feeds: vec![],
            save_link_jwks: None,
            save_link_jwks_url: None,
            save_link_audience: "hce-wallet".into(),
            allow_unverified_save_links: false,
        };
        let rec = Arc::new(Recording::default());
        let listener: Arc<dyn WalletListener> = rec.clone();
        let w =
            Wallet::open(path.to_string_lossy().into(), vec![7; 32], config, Some(listener), None)
                .unwrap();
        assert!(set_log_sink(Some(Arc::new(Throwing)), LogLevel::Trace));
        let select = w.process_apdu(apdu("00a404000a4f53452e5641532e303100"));
        assert_eq!(select[select.len() - 2..], [0x90, 0x00]);
        // A malformed NEGOTIATE is logged at info: the sink throws there.
        assert_eq!(w.process_apdu(apdu("905300000354000000")), vec![0x94, 0x02]);
        w.on_deactivated(DeactivationReason::LinkLoss);
        let select = w.process_apdu(apdu("00a404000a4f53452e5641532e303100"));
        assert_eq!(select[select.len() - 2..], [0x90, 0x00]);
        assert_eq!(w.process_apdu(apdu("905300000354000000")), vec![0x94, 0x02]);
        let events = rec.0.lock().unwrap().clone();
        assert_eq!(
            events.iter().filter(|e| **e == WalletEvent::LogSinkFailed).count(),
            1,
            "told once, and the removed sink throws no more: {events:?}"
        );
        drop(w);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! # hce-wallet
//!
//! The embeddable Rust API of the wallet: one [`Wallet`] that owns the AID router with
//! the Smart Tap applet (spec `smart-tap.md` §6), the selection engine (§12), the issuer
//! key ring (§6.3 step 4), the encrypted store and key sync, and offers what a host app
//! needs: open, import / list / get / remove passes, UI context and chooser, the per-APDU
//! call, deactivation, sync triggers and status, and events. Beside Smart Tap the router
//! holds the EMV payment applet (payment spec §6) over the store's payment tokens: signed
//! provisioning and status messages, the user's life-cycle requests, CDCVM and device
//! events ([`tokens`]).
//!
//! Threading: every method takes `&self`. The APDU path ([`Wallet::process_apdu`]) locks
//! only the router; management calls never hold it, so the HCE binder thread and the UI
//! thread can call at once. Listener callbacks run after locks are released
//! ([`notify`]).
#![forbid(unsafe_code)]

pub mod activity;
pub mod aids;
pub mod config;
pub mod error;
mod issuers;
mod nfc;
pub mod notify;
pub mod pass_feeds;
pub mod passes;
mod persist;
pub mod save_links;
pub mod sync;
pub mod token_sync;
pub mod tokens;
mod wallet;

pub use activity::Activity;
pub use aids::{AidCategory, AidGroup, AidSet};
pub use config::{LockedPolicy, WalletConfig};
pub use error::WalletError;
pub use notify::{Notice, WalletListener};
pub use pass_feeds::{FlightTime, PassChange, PassFeedConfig, PassFeedOutcome};
pub use passes::{PassInfo, TerminalUpdateInfo};
pub use save_links::JwksRefresh;
pub use sync::{SyncOutcome, SyncStatus};
pub use token_sync::{StatusOutcome, TokenSyncReport};
pub use tokens::{KeyStatus, TokenInfo, TokenRequest, UserRequestKind};
pub use wallet::{Host, SystemClock, Wallet, ROOT_KEY_LEN};

pub use hce_wallet_core::events::PaymentEvent;
pub use hce_wallet_core::events::{AuthFailure, WalletEvent};
pub use hce_wallet_core::pass::PassState;
pub use hce_wallet_core::payment::lifecycle::{DeviceEvent, Hold};
pub use hce_wallet_core::payment::ports::CdcvmMethod;
pub use hce_wallet_core::payment::token::{Product, TokenState};
pub use hce_wallet_core::ports::{CollectorId, PassType, UiContext};
pub use hce_wallet_core::router::Deactivation;
pub use hce_wallet_core::sync::{
    HttpMethod, HttpRequest, HttpResponse, HttpTransport, TransportError,
};

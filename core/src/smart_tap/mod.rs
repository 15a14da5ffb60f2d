//! The Google Smart Tap 2.1 handset applet (spec `shared/spec/smart-tap.md`).
//!
//! One [`SmartTapApplet`] answers both AIDs (OSE.VAS.01 and Smart Tap 2, spec §3) and the
//! four Smart Tap commands (§6.3–6.6) behind the [`crate::router::Router`]. Per field
//! session it holds: the handset nonce and ephemeral key (made when armed, §6.1), the
//! authenticated session and its keys (§6.3), and a pending chained answer (§6.5).
//!
//! State machine:
//! - armed: nonce + ephemeral key ready (explicit [`SmartTapApplet::arm`], lazily at
//!   the first SELECT, and again right after every deactivation so the next tap is cheap);
//! - selected: either SELECT answered; both reuse the same nonce and key (§14). Any
//!   SELECT wipes an authenticated session and a pending chained answer;
//! - authenticated: a NEGOTIATE verified; a later NEGOTIATE replaces or (on failure)
//!   wipes it. Every refusal after parsing answers `9500` after the same work (one
//!   ECDSA verify, against a dummy key if need be), so a terminal cannot learn which
//!   collectors the wallet holds passes or keys for (§6.3 steps 4–7, §8); when the
//!   failure budget ([`budget`], a rate over time that deactivation does not reset)
//!   is spent → `9406`;
//! - GET DATA needs the authenticated session ID and collector, else `9001`, no data.
//! - `deactivate` wipes everything (zeroizing keys) but the failure budget, and re-arms.
//!
//! Ne (issue 12): no answer carries more data bytes than the command's Ne (Le absent
//! counts as `00` = 256, spec §2). Per command:
//! - SELECT OSE / Smart Tap 2 (§6.1, §6.2): the spec defines no chaining for them, so a
//!   too-small Le gets ISO `6Cxx` (xx = the answer's length), no data, and the SELECT is
//!   not executed (the session and selection stay as they were); the terminal repeats it
//!   with Le = xx or `00`.
//! - NEGOTIATE (§6.3): the `nrs` answer has a fixed length known once the command
//!   parses; a too-small Le gets `6Cxx` before any lookup or verify, no session, and no
//!   failure is charged to the budget.
//! - GET DATA (§6.4) and GET MORE DATA (§6.5): the spec's chaining — the first slice of
//!   at most Ne bytes with `9100`, each GET MORE DATA the next slice of at most its Ne.
//! - PUSH DATA (§6.6): the `psr` answer length is known after parsing; a too-small Le
//!   gets `6Cxx` and the push is not handed to the listener.
//!
//! Status-only answers are unaffected.
//!
//! Long answers (§6.5, §13a): a GET DATA answer is sent only if a real reader can
//! reassemble it — at most [`get_data::MAX_CHAINED_ANSWERS`] (11) slices of the slice size
//! (`min(chunk_size, Ne)`), and at most [`get_data::MAX_CHAINED_BYTES`] (4096) bytes, after
//! zlib when the terminal accepts it. A longer one is refused precisely: the terminal hears
//! `9001` with no data (what readers handle cleanly as "nothing to send", §13a), the app
//! hears [`WalletEvent::AnswerTooLarge`] with the sizes, and no pass data leaves.
//!
//! Payment beside passes (spec §6.1, §8, §9): with [`SmartTapPorts::payment`] set, the
//! OSE answer's `C1` byte 0 gains `0x80` (payment enabled) when an Active default token
//! with a usable key exists at that SELECT. `0x40` (payment requested) is never set: the
//! core cannot know that the user asked to pay rather than to show a pass; a host that
//! does may configure it in [`SmartTapConfig::transaction_mode`]. The payment itself is
//! the separate EMV applet (`crate::payment::applet`) the terminal reaches by SELECT PPSE
//! in the same field session; the router keeps the two applets' states apart.
//! Status words `9101` (pass sent, payment not ready) and `9102` (no pass, payment not
//! ready) are Google's (§8) for pass-and-payment terminals: they replace `9000` / `9001`
//! on GET SMART TAP DATA when the terminal's `pcr` mode byte (§9) names a payment mode —
//! `02` payment only, `04` pass and payment, `08` pass over payment — and payment is not
//! ready [Inferred: the spec gives the meanings, not the trigger]. Pass-only terminals and
//! terminals without `pcr` see `9000` / `9001` as before. Nothing else about payment in
//! Smart Tap (the `01` "all except payment" service type, PPSE-in-Smart-Tap) is implemented:
//! the spec gives no wire behaviour for it.
//!
//! Submodules follow the spec's concerns: [`records`] (§4–5, §7), [`fci`] (§6.1–6.2),
//! [`negotiate`] (§6.3), [`get_data`] (§6.4–6.5, §7.3), [`push`] (§6.6),
//! [`session`] and [`crypto`] (§11), [`status`] (§8).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

pub mod budget;
pub mod crypto;
pub mod fci;
pub mod get_data;
pub mod negotiate;
pub mod push;
pub mod records;
pub mod session;
pub mod status;

use std::sync::Arc;

use crate::apdu::{sw, Command, Response, StatusWord, CLA_ISO, INS_SELECT};
use crate::events::{AuthFailure, WalletEvent};
use crate::payment::ports::TokenSource;
use crate::ports::{
    Clock, CollectorId, EventSink, IssuerKeyRing, PassSource, PushListener, RandomSource,
    Selection, SelectionRequest,
};
use crate::router::{Applet, Deactivation};

use budget::FailureBucket;
pub use budget::NegotiationBudget;
use get_data::{Chain, GetDataRequest};
use negotiate::NegotiateRequest;
use push::PushRequest;
use records::{REB_COMPRESSED, REB_ENCRYPTED};
use session::{Ephemeral, Session};

/// `OSE.VAS.01` (spec §3).
pub const OSE_AID: &[u8] = b"OSE.VAS.01";
/// Smart Tap 2 (spec §3).
pub const ST2_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x04, 0x76, 0xD0, 0x00, 0x01, 0x11];
const AIDS: &[&[u8]] = &[OSE_AID, ST2_AID];

/// CLA of every Smart Tap command (spec §2).
pub const CLA_SMART_TAP: u8 = 0x90;
/// NEGOTIATE SECURE SMART TAP SESSION (spec §6.3).
pub const INS_NEGOTIATE: u8 = 0x53;
/// GET SMART TAP DATA (spec §6.4).
pub const INS_GET_DATA: u8 = 0x50;
/// GET MORE SMART TAP DATA (spec §6.5).
pub const INS_GET_MORE_DATA: u8 = 0xC0;
/// PUSH SMART TAP DATA (spec §6.6).
pub const INS_PUSH_DATA: u8 = 0x52;

/// `C1` byte-0 values Google's sample reader accepts (spec §13 item 1).
pub const ACCEPTED_TRANSACTION_MODES: [u8; 8] = [0xCC, 0xC8, 0xC0, 0x8C, 0x88, 0x80, 0x0C, 0x08];
/// `C1` byte-0 bit: payment enabled (spec §6.1).
pub const PAYMENT_ENABLED: u8 = 0x80;
/// `pcr` mode values (spec §9) that include a payment: payment only, pass and payment,
/// pass over payment.
pub const PAYMENT_MODES: [u8; 3] = [0x02, 0x04, 0x08];

/// Longest wallet label accepted (keeps the FCI well inside one short R-APDU).
pub const MAX_LABEL_LEN: usize = 64;

/// Tunables of the applet. [`Default`] reproduces the project's test vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmartTapConfig {
    /// FCI tag `50`; readers detect Google Wallet by "AndroidPay" (spec §6.1).
    pub wallet_label: String,
    /// `C1` byte 0: `0x0C` pass enabled + requested, `0x08` pass enabled (spec §6.1).
    pub transaction_mode: u8,
    /// `C1` bytes 1–7 (meaning unknown; the trace's `00 00 00 00 00 80 80`).
    pub c1_trailing: [u8; 7],
    /// `DF62`: `0x01` the reader may skip the second SELECT, `0x02` VAS support.
    pub capabilities: u8,
    /// Largest R-APDU data field for GET DATA answers; the effective slice is also
    /// capped by the command's Ne (spec §6.5).
    pub chunk_size: usize,
    /// Accept pre-signed authentication (auth byte without the live bit) and answer
    /// `9002`; off by default because it allows replaying a captured NEGOTIATE (§6.3).
    pub accept_pre_signed: bool,
    /// How many NEGOTIATEs may fail over time, across field sessions, before the
    /// applet answers `9406` ([`budget`]; default 8 at once, then one per 15 s).
    pub negotiation_budget: NegotiationBudget,
}

impl Default for SmartTapConfig {
    fn default() -> Self {
        SmartTapConfig {
            wallet_label: "AndroidPay".to_owned(),
            transaction_mode: 0x0C,
            c1_trailing: [0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x80],
            capabilities: 0x03,
            chunk_size: 256,
            accept_pre_signed: false,
            negotiation_budget: NegotiationBudget::default(),
        }
    }
}

/// Why a [`SmartTapConfig`] is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("wallet label must be 1 to {MAX_LABEL_LEN} bytes, got {0}")]
    Label(usize),
    #[error("C1 transaction mode {0:#04x} is not one Google's sample reader accepts")]
    TransactionMode(u8),
    #[error("chunk size must be at least 1")]
    ChunkSize,
    #[error("NEGOTIATE budget refill interval must be at least 1 ms, got {0}")]
    RefillInterval(i64),
}

impl SmartTapConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let len = self.wallet_label.len();
        if len == 0 || len > MAX_LABEL_LEN {
            return Err(ConfigError::Label(len));
        }
        if !ACCEPTED_TRANSACTION_MODES.contains(&self.transaction_mode) {
            return Err(ConfigError::TransactionMode(self.transaction_mode));
        }
        if self.chunk_size == 0 {
            return Err(ConfigError::ChunkSize);
        }
        if self.negotiation_budget.refill_ms < 1 {
            return Err(ConfigError::RefillInterval(self.negotiation_budget.refill_ms));
        }
        Ok(())
    }
}

/// Why a NEGOTIATE got no session: a failure (charged to the budget) or a Le too small
/// for the answer (the command was not executed, nothing charged).
enum Refusal {
    Failed(StatusWord),
    WrongLe(StatusWord),
}

/// Everything outside the applet that it talks to (see [`crate::ports`]).
pub struct SmartTapPorts {
    pub key_ring: Arc<dyn IssuerKeyRing>,
    pub passes: Arc<dyn PassSource>,
    pub push: Option<Arc<dyn PushListener>>,
    pub events: Arc<dyn EventSink>,
    pub random: Box<dyn RandomSource>,
    pub clock: Arc<dyn Clock>,
    /// The payment side, when the wallet holds payment tokens: the OSE answer says payment
    /// is enabled (`C1` byte 0 bit `0x80`, spec §6.1) whenever
    /// [`TokenSource::payment_ready`] holds at that SELECT, and GET DATA from a terminal in
    /// a payment mode answers `9101` / `9102` when it does not (§8, §9). `None`: a
    /// pass-only wallet, `C1` as configured.
    pub payment: Option<Arc<dyn TokenSource>>,
}

/// The Smart Tap 2.1 handset applet.
pub struct SmartTapApplet {
    ports: SmartTapPorts,
    config: SmartTapConfig,
    ephemeral: Option<Ephemeral>,
    selected: bool,
    session: Option<Session>,
    chain: Chain,
    failures: FailureBucket,
    /// Verifies refused NEGOTIATEs when the wallet has no key (see `authenticate`).
    dummy_key: p256::PublicKey,
}

impl std::fmt::Debug for SmartTapApplet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmartTapApplet")
            .field("armed", &self.ephemeral.is_some())
            .field("selected", &self.selected)
            .field("authenticated", &self.session.as_ref().map(|s| s.collector))
            .field("negotiation_tokens", &self.failures.tokens())
            .finish_non_exhaustive()
    }
}

impl SmartTapApplet {
    /// A new, unarmed applet. Call [`SmartTapApplet::arm`] ahead of the tap to move key
    /// generation off the APDU path.
    pub fn new(ports: SmartTapPorts, config: SmartTapConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let failures = FailureBucket::new(&config.negotiation_budget);
        Ok(SmartTapApplet {
            ports,
            config,
            ephemeral: None,
            selected: false,
            session: None,
            chain: Chain::Idle,
            failures,
            dummy_key: crypto::dummy_collector_key(),
        })
    }

    pub fn config(&self) -> &SmartTapConfig {
        &self.config
    }

    /// Prepares the next tap: draws the handset nonce and ephemeral key pair unless they
    /// exist already. Returns whether the applet is armed.
    pub fn arm(&mut self) -> bool {
        if self.ephemeral.is_none() {
            self.ephemeral = Ephemeral::generate(self.ports.random.as_mut());
        }
        self.ephemeral.is_some()
    }

    pub fn is_armed(&self) -> bool {
        self.ephemeral.is_some()
    }

    /// Whether a terminal is authenticated in this field session.
    pub fn authenticated_collector(&self) -> Option<CollectorId> {
        self.session.as_ref().map(|s| s.collector)
    }

    fn emit(&self, event: WalletEvent) {
        self.ports.events.emit(event);
    }

    /// `C1` byte-0 payment bits for this SELECT (spec §6.1).
    fn payment_bits(&self) -> u8 {
        match &self.ports.payment {
            Some(tokens) if tokens.payment_ready(self.ports.clock.now()) => PAYMENT_ENABLED,
            _ => 0,
        }
    }

    /// Whether this GET DATA comes from a terminal that will also want a payment while
    /// payment is not ready: then `9101` / `9102` instead of `9000` / `9001` (§8).
    fn payment_not_ready_for(&self, pos_mode: Option<u8>) -> bool {
        let wants_payment = matches!(pos_mode, Some(m) if PAYMENT_MODES.contains(&m));
        match &self.ports.payment {
            Some(tokens) if wants_payment => !tokens.payment_ready(self.ports.clock.now()),
            _ => false,
        }
    }

    /// Drops the authenticated session (its keys zeroize on drop) and any chained answer.
    fn wipe_session(&mut self) {
        self.session = None;
        self.chain = Chain::Idle;
    }

    fn smart_tap(&mut self, command: &Command<'_>) -> Response {
        let known =
            matches!(command.ins, INS_NEGOTIATE | INS_GET_DATA | INS_GET_MORE_DATA | INS_PUSH_DATA);
        if !known {
            return Response::status(status::INVALID_STATE);
        }
        if (command.p1, command.p2) != (0, 0) {
            return Response::status(sw::WRONG_P1P2);
        }
        match command.ins {
            INS_NEGOTIATE => self.negotiate(command),
            INS_GET_DATA => self.get_data(command),
            INS_GET_MORE_DATA => {
                let limit = self.chunk_limit(command);
                self.chain.next(limit)
            }
            _ => self.push(command),
        }
    }

    fn chunk_limit(&self, command: &Command<'_>) -> usize {
        self.config.chunk_size.min(command.ne())
    }

    fn negotiate(&mut self, command: &Command<'_>) -> Response {
        if !self.selected {
            return Response::status(status::INVALID_STATE);
        }
        let now = self.ports.clock.now();
        if !self.failures.has_token(&self.config.negotiation_budget, now) {
            log::warn!("smart tap: NEGOTIATE refused: failure budget spent");
            return Response::status(status::TOO_MANY_REQUESTS);
        }
        // Fail closed: whatever happens next, an earlier session is no longer current.
        self.wipe_session();
        match self.authenticate(command.data, command.ne()) {
            Ok((data, sw)) => Response::new(data, sw),
            Err(Refusal::WrongLe(sw)) => Response::status(sw),
            Err(Refusal::Failed(sw)) => {
                self.failures.take();
                Response::status(sw)
            }
        }
    }

    /// Spec §6.3 steps 1–10. Errors are the status word to answer, with no data.
    ///
    /// Privacy (issue 12): once the command parses, every refusal before a successful
    /// verify answers [`status::AUTH_FAILED`] after the same work — the terminal key is
    /// decoded, both lookups run, and one ECDSA verify runs, against
    /// [`crypto::dummy_collector_key`] when the wallet has no key for the collector — so
    /// neither the status word nor the time tells a terminal which collectors the wallet
    /// holds passes or keys for. Parse errors (`9402`, `9502`) depend on the command
    /// bytes alone. The app still hears the precise [`AuthFailure`].
    fn authenticate(&mut self, data: &[u8], ne: usize) -> Result<(Vec<u8>, StatusWord), Refusal> {
        let Some(eph) = self.ephemeral.as_ref() else {
            return Err(Refusal::Failed(status::INVALID_STATE));
        };
        let request = NegotiateRequest::parse(data).map_err(|e| {
            log::info!("smart tap: malformed NEGOTIATE: {e}");
            Refusal::Failed(e.status())
        })?;
        let answer = negotiate::answer(&request.session, &eph.public);
        if answer.len() > ne {
            return Err(Refusal::WrongLe(sw::wrong_le(answer.len())));
        }
        let (collector, key_version) = (request.collector, request.key_version);
        let now = self.ports.clock.now();
        let terminal_key = p256::PublicKey::from_sec1_bytes(&request.terminal_key).ok();
        let redeemable = self.ports.passes.could_redeem(collector, now);
        let key = self.ports.key_ring.collector_key(collector, key_version, now);
        let live = request.is_live();
        let signed = request.signed_bytes(&eph.nonce);
        let verify_key = key.as_ref().unwrap_or(&self.dummy_key);
        let verified = crypto::verify_signature(verify_key, &signed, &request.signature);
        let outcome = match (terminal_key, key) {
            (None, _) => Err(AuthFailure::BadEphemeralKey),
            _ if !redeemable => Err(AuthFailure::NoRedeemablePass),
            (_, None) => Err(AuthFailure::UnknownKey),
            _ if !live && !self.config.accept_pre_signed => Err(AuthFailure::PreSignedRefused),
            _ if !verified => Err(AuthFailure::BadSignature),
            (Some(terminal_key), Some(_)) => Ok(terminal_key),
        };
        let terminal_key = match outcome {
            Ok(k) => k,
            Err(reason) => {
                log::info!(
                    "smart tap: collector {collector} v{key_version} not authenticated: {reason:?}"
                );
                self.ports.events.emit(WalletEvent::AuthenticationFailed {
                    collector,
                    key_version,
                    reason,
                });
                return Err(Refusal::Failed(status::AUTH_FAILED));
            }
        };
        let info_prefix = request.info_prefix(&eph.nonce);
        let info: [&[u8]; 2] = [&info_prefix, &request.signature];
        let Some(keys) =
            crypto::derive_session_keys(&eph.secret, &terminal_key, &eph.public, &info)
        else {
            log::error!("smart tap: key derivation failed");
            return Err(Refusal::Failed(sw::UNKNOWN));
        };
        self.session = Some(Session { id: request.session.id, collector, key_version, live, keys });
        log::info!("smart tap: collector {collector} v{key_version} authenticated (live: {live})");
        self.emit(WalletEvent::Authenticated { collector, key_version });
        Ok((answer, if live { status::OK } else { status::PRE_SIGNED }))
    }

    fn get_data(&mut self, command: &Command<'_>) -> Response {
        let request = match GetDataRequest::parse(command.data) {
            Ok(r) => r,
            Err(e) => {
                log::info!("smart tap: malformed GET DATA: {e}");
                return Response::status(e.status());
            }
        };
        self.chain = Chain::Idle;
        let payment_not_ready = self.payment_not_ready_for(request.pos_mode);
        let (no_pass, done) = if payment_not_ready {
            (status::NO_PASS_PAYMENT_NOT_READY, status::PASS_PAYMENT_NOT_READY)
        } else {
            (status::NO_PASSES, status::OK)
        };
        let Some(session) = self.session.as_ref() else {
            log::info!("smart tap: GET DATA without an authenticated session");
            return Response::status(no_pass);
        };
        if session.id != request.session.id {
            log::info!("smart tap: GET DATA for a session that was not negotiated");
            return Response::status(no_pass);
        }
        let collector = session.collector;
        if request.collector != collector {
            log::info!(
                "smart tap: GET DATA for collector {} but {collector} authenticated",
                request.collector
            );
            return Response::status(no_pass);
        }
        let selection = self.ports.passes.select(&SelectionRequest {
            collector,
            service_types: request.service_types.clone(),
            now: self.ports.clock.now(),
        });
        let pass = match selection {
            Selection::Send(pass) => pass,
            Selection::NothingEligible => {
                self.emit(WalletEvent::NothingEligible { collector });
                return Response::status(no_pass);
            }
            Selection::ChooserRequired { candidates } => {
                self.emit(WalletEvent::ChooserRequired { collector, candidates });
                return Response::status(status::CHOOSER_REQUIRED);
            }
            Selection::UnlockRequired => {
                self.emit(WalletEvent::UnlockRequired { collector });
                return Response::status(status::DEVICE_LOCKED);
            }
        };
        let plaintext = get_data::bundle(&pass);
        let compressed = if request.zlib { crypto::zlib(&plaintext) } else { None };
        let (flags, body) = match compressed.as_ref() {
            Some(z) => (REB_ENCRYPTED | REB_COMPRESSED, z.as_slice()),
            // No zlib asked for (or the encoder failed): plain body, flags say so.
            None => (REB_ENCRYPTED, plaintext.as_slice()),
        };
        let mut iv = [0u8; crypto::IV_LEN];
        self.ports.random.fill(&mut iv);
        let Some(reb) = crypto::seal(&session.keys, flags, &iv, body) else {
            log::error!("smart tap: sealing the bundle failed");
            return Response::status(sw::UNKNOWN);
        };
        let data = get_data::answer(&request.session, reb);
        let limit = self.chunk_limit(command);
        let max = get_data::max_answer_len(limit);
        if data.len() > max {
            log::warn!(
                "smart tap: answer of {} bytes exceeds the {max} a reader reassembles; not sent",
                data.len()
            );
            self.emit(WalletEvent::AnswerTooLarge {
                collector,
                object_id: pass.object_id.clone(),
                bytes: data.len(),
                limit: max,
            });
            return Response::status(no_pass);
        }
        // Object IDs can carry member numbers (`1990.foo-member-7731`): debug level only;
        // the app hears the ID in the PassSent event (issue 12).
        log::info!("smart tap: a pass was sent to collector {collector}");
        log::debug!("smart tap: pass {} sent to collector {collector}", pass.object_id);
        self.emit(WalletEvent::PassSent { collector, object_id: pass.object_id.clone() });
        self.chain.start(data, done, limit)
    }

    fn push(&mut self, command: &Command<'_>) -> Response {
        let request = match PushRequest::parse(command.data) {
            Ok(r) => r,
            Err(e) => {
                log::info!("smart tap: malformed PUSH DATA: {e}");
                return Response::status(e.status());
            }
        };
        let answer = push::answer(&request.session);
        if answer.len() > command.ne() {
            return Response::status(sw::wrong_le(answer.len()));
        }
        // Only a push inside the authenticated session speaks for its collector (§6.6).
        let collector =
            self.session.as_ref().filter(|s| s.id == request.session.id).map(|s| s.collector);
        let now = self.ports.clock.now();
        let updates = match self.ports.push.as_ref() {
            Some(listener) => listener.on_push(collector, &request.data, now),
            None => Ok(0),
        };
        match updates {
            Ok(updates) => {
                self.emit(WalletEvent::PushReceived { collector, updates });
                Response::new(answer, status::OK)
            }
            Err(e) => {
                // Not durable, so not acknowledged: the terminal retries (spec §8 `92xx`).
                log::warn!("PUSH DATA refused: {e}");
                self.emit(WalletEvent::PushReceived { collector, updates: 0 });
                Response::status(status::EXECUTION_FAILURE)
            }
        }
    }
}

impl Applet for SmartTapApplet {
    fn aids(&self) -> &[&'static [u8]] {
        AIDS
    }

    fn select(&mut self, aid: &[u8], command: &Command<'_>) -> Response {
        if !self.arm() {
            self.wipe_session();
            return Response::status(sw::FILE_NOT_FOUND);
        }
        let Some(eph) = self.ephemeral.as_ref() else {
            return Response::status(sw::FILE_NOT_FOUND);
        };
        let data = if aid == OSE_AID {
            let mode = self.config.transaction_mode | self.payment_bits();
            fci::ose_fci(&self.config, mode, &eph.nonce, &eph.public)
        } else if aid == ST2_AID {
            fci::st2_answer(&eph.nonce)
        } else {
            return Response::status(sw::FILE_NOT_FOUND);
        };
        if data.len() > command.ne() {
            // Not executed: the session and the selection stay as they were.
            return Response::status(sw::wrong_le(data.len()));
        }
        self.wipe_session();
        self.selected = true;
        Response::new(data, status::OK)
    }

    fn process(&mut self, command: &Command<'_>) -> Response {
        match (command.cla, command.ins) {
            (CLA_SMART_TAP, _) => self.smart_tap(command),
            (CLA_ISO, INS_SELECT) => Response::status(sw::INCORRECT_P1P2),
            (CLA_ISO, _) => Response::status(sw::INS_NOT_SUPPORTED),
            _ => Response::status(sw::CLA_NOT_SUPPORTED),
        }
    }

    fn deactivate(&mut self, reason: Deactivation) {
        // Wipe, tell the app and re-arm before logging: if the host's logger panics, the
        // session is gone and the app has heard of it all the same (issue 12).
        self.wipe_session();
        self.ephemeral = None;
        self.selected = false;
        self.emit(WalletEvent::Deactivated);
        self.arm();
        log::debug!("smart tap: deactivated ({reason:?})");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn applet_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<SmartTapApplet>();
    }

    #[test]
    fn config_validation() {
        assert_eq!(SmartTapConfig::default().validate(), Ok(()));
        let bad = |f: fn(&mut SmartTapConfig)| {
            let mut c = SmartTapConfig::default();
            f(&mut c);
            c.validate().unwrap_err()
        };
        assert_eq!(bad(|c| c.wallet_label.clear()), ConfigError::Label(0));
        assert_eq!(bad(|c| c.wallet_label = "x".repeat(65)), ConfigError::Label(65));
        assert_eq!(bad(|c| c.transaction_mode = 0x04), ConfigError::TransactionMode(0x04));
        assert_eq!(bad(|c| c.chunk_size = 0), ConfigError::ChunkSize);
        assert_eq!(bad(|c| c.negotiation_budget.refill_ms = 0), ConfigError::RefillInterval(0));
    }
}

//! An independent reference Smart Tap 2.1 terminal (reader), the counterpart of the handset
//! applet, written from the protocol reference alone (smart-tap spec §1, §6, §11, §13, §13a)
//! and sharing only the `core::apdu` and `core::ndef` codecs with the wallet.
//!
//! A tap runs SELECT OSE.VAS.01 → SELECT Smart Tap 2 (skipped only when configured and the
//! FCI allows it) → NEGOTIATE → GET DATA (→ GET MORE DATA while `9100`, at most 10 more and
//! 4096 bytes) and yields an annotated [`Transcript`] plus either the decrypted service
//! objects or the status word that ended the tap. [`Terminal::push`] sends PUSH DATA in the
//! same session afterwards.
//!
//! Strict like a real reader, stricter where the spec allows a check: every mandatory FCI
//! tag, version window, `mdn` first and equal to the FCI nonce, `dpk` equal to the FCI key,
//! session ID echoed, sequence = request + 1, status `01`, HMAC verified (constant time)
//! before decrypting, `reb` flags `01`/`03` only and `03` only after advertising zlib,
//! bounded inflation, exactly one NDEF message everywhere.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod bundle;
pub mod commands;
pub mod crypto;
mod flow;
pub mod response;
pub mod tlv;
pub mod transcript;

use hce_wallet_core::apdu::StatusWord;
use hce_wallet_core::ports::CollectorId;
use p256::ecdsa::SigningKey;
use p256::SecretKey;

use crate::card::{Card, CardError};
pub use bundle::{Issuer, ObjectKind, ServiceObject};
use commands::CommandError;
use crypto::CryptoError;
pub use crypto::SForm;
use response::ResponseError;
pub use transcript::{sw_meaning, Exchange, Step, Transcript};

/// Most GET MORE DATA commands per answer (kormax's reader, spec §13a).
pub const MAX_GET_MORE: usize = 10;
/// Largest reassembled GET DATA answer (spec §13a).
pub const MAX_RESPONSE_BYTES: usize = 4096;
/// Largest inflated bundle accepted (a real one is ~1.3 KB, spec §13a).
pub const MAX_INFLATED_BYTES: usize = 32 * 1024;
/// `pcr` system-byte bit: zlib supported (spec §9).
const PCR_ZLIB_BIT: u8 = 0x40;
/// Sequence number of NEGOTIATE, as Google's sample sends it (spec §5).
const NEGOTIATE_SEQUENCE: u8 = 1;

const SW_OK: StatusWord = StatusWord(0x9000);
const SW_NO_PASS: StatusWord = StatusWord(0x9001);
const SW_PRE_SIGNED: StatusWord = StatusWord(0x9002);
const SW_MORE_DATA: StatusWord = StatusWord(0x9100);

/// How the terminal is set up: who it is, how it asks, and (for vectors) its randomness.
pub struct TerminalConfig {
    pub collector_id: CollectorId,
    pub key_version: u32,
    /// The collector's long-term private key for `key_version`.
    pub signing_key: SigningKey,
    /// Live authentication (sign the handset nonce, auth byte `01`); `false` = pre-signed.
    pub live_auth: bool,
    /// `str` values to request (spec §10); Google's sample asks for `03` (loyalty).
    pub service_types: Vec<u8>,
    /// `pcr` POS capabilities; `None` sends none, as Google's sample does.
    pub pcr: Option<[u8; 5]>,
    /// Send SELECT Smart Tap 2 even when the FCI allows skipping it (Google's sample does).
    pub second_select: bool,
    /// Session ID, terminal nonce and ephemeral key to use instead of fresh random ones.
    pub session_id: Option<[u8; 8]>,
    pub nonce: Option<[u8; 32]>,
    pub ephemeral: Option<SecretKey>,
    /// GET MORE DATA budget per answer (capped at [`MAX_GET_MORE`]).
    pub max_get_more: usize,
    /// Which form of the ECDSA signature to send.
    pub s_form: SForm,
}

impl TerminalConfig {
    /// Google's sample terminal: live authentication, loyalty, no `pcr`, second SELECT.
    pub fn new(collector_id: CollectorId, key_version: u32, signing_key: SigningKey) -> Self {
        TerminalConfig {
            collector_id,
            key_version,
            signing_key,
            live_auth: true,
            service_types: vec![0x03],
            pcr: None,
            second_select: true,
            session_id: None,
            nonce: None,
            ephemeral: None,
            max_get_more: MAX_GET_MORE,
            s_form: SForm::AsSigned,
        }
    }
}

impl std::fmt::Debug for TerminalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalConfig")
            .field("collector_id", &self.collector_id)
            .field("key_version", &self.key_version)
            .field("live_auth", &self.live_auth)
            .field("service_types", &hex::encode(&self.service_types))
            .field("pcr", &self.pcr.map(hex::encode))
            .field("second_select", &self.second_select)
            .field("injected_randomness", &self.nonce.is_some())
            .finish_non_exhaustive()
    }
}

/// Why a tap failed on the terminal side (transport, malformed or inconsistent answers).
#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error("{step}: {source}")]
    Card { step: Step, source: CardError },
    #[error("{step}: {source}")]
    Command { step: Step, source: CommandError },
    #[error("{step}: {source}")]
    Response { step: Step, source: ResponseError },
    #[error("{step}: R-APDU of {len} bytes has no status word")]
    NoStatusWord { step: Step, len: usize },
    #[error("handset nonce in mdn differs from the one in the FCI (spec §6.1)")]
    NonceMismatch,
    #[error("handset key in dpk differs from the one in the FCI (spec §6.1)")]
    KeyMismatch,
    #[error("{step}: session ID {got} is not the negotiated {expected}")]
    SessionMismatch { step: Step, expected: String, got: String },
    #[error("{step}: sequence number {got:02X}, expected {expected:02X} (request + 1, spec §5)")]
    Sequence { step: Step, expected: u8, got: u8 },
    #[error("{step}: session status {0:02X} is not 01 (OK)", .status)]
    SessionStatus { step: Step, status: u8 },
    #[error("{step}: status {sw} is not valid here")]
    UnexpectedStatus { step: Step, sw: StatusWord },
    #[error("GET DATA answer exceeds {MAX_RESPONSE_BYTES} bytes after chaining")]
    ResponseTooLong,
    #[error("handset still signals 9100 after {0} GET MORE DATA commands")]
    TooManyChunks(usize),
    #[error("GET DATA answered 9000 without a record bundle")]
    MissingBundle,
    #[error("bundle is zlib-compressed but this terminal did not advertise zlib (spec §6.4)")]
    UnrequestedCompression,
    #[error("no negotiated session to push into: run a tap first")]
    NoSession,
    #[error("{0}")]
    Crypto(#[from] CryptoError),
    #[error("bundle: {0}")]
    Bundle(ResponseError),
}

/// How a tap ended when the terminal found nothing wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TapResult {
    /// GET DATA succeeded: `9000` with objects, or `9001` (no pass) with whatever came.
    Read { sw: StatusWord, objects: Vec<ServiceObject> },
    /// The handset ended the tap at `step` with this status word (`9302` choose, `9300`
    /// unlock, `9500` authentication failed, `6A82` no Smart Tap, ...).
    Ended { step: Step, sw: StatusWord },
}

/// A negotiated session that PUSH DATA can continue (same field session).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenSession {
    pub session_id: [u8; 8],
    /// The handset's last sequence number; the next command sends this + 1.
    pub handset_sequence: u8,
}

/// Everything a tap produced.
#[derive(Debug)]
pub struct TapOutcome {
    pub transcript: Transcript,
    pub result: Result<TapResult, TerminalError>,
    /// Set once NEGOTIATE succeeded.
    pub session: Option<OpenSession>,
}

impl TapOutcome {
    /// The decrypted `smartTapRedemptionValue`s, in bundle order.
    pub fn redemption_values(&self) -> Vec<&str> {
        match &self.result {
            Ok(TapResult::Read { objects, .. }) => objects
                .iter()
                .filter_map(|o| o.redemption_value.as_deref().map(String::as_str))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The reference terminal.
#[derive(Debug)]
pub struct Terminal {
    config: TerminalConfig,
}

/// Per-tap values: injected or fresh.
struct TapSecrets {
    session_id: [u8; 8],
    nonce: [u8; 32],
    ephemeral: SecretKey,
}

impl Terminal {
    pub fn new(config: TerminalConfig) -> Terminal {
        Terminal { config }
    }

    pub fn config(&self) -> &TerminalConfig {
        &self.config
    }

    fn zlib_advertised(&self) -> bool {
        self.config.pcr.is_some_and(|p| p[0] & PCR_ZLIB_BIT != 0)
    }

    fn secrets(&self) -> TapSecrets {
        TapSecrets {
            session_id: self.config.session_id.unwrap_or_else(|| *crypto::random::<8>()),
            nonce: self.config.nonce.unwrap_or_else(|| *crypto::random::<32>()),
            ephemeral: self.config.ephemeral.clone().unwrap_or_else(crypto::random_secret_key),
        }
    }

    /// Runs one tap against `card`. Never panics; the transcript holds every exchange made,
    /// also when the tap failed.
    pub fn tap(&self, card: &mut dyn Card) -> TapOutcome {
        let mut transcript = Transcript::default();
        let mut session = None;
        let result = self.run(card, &mut transcript, &mut session);
        TapOutcome { transcript, result, session }
    }
}

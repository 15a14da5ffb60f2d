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

pub mod bundle;
pub mod commands;
pub mod crypto;
pub mod response;
pub mod tlv;
pub mod transcript;

use hce_wallet_core::apdu::{Response, StatusWord};
use hce_wallet_core::ports::{CollectorId, PushData};
use p256::ecdsa::SigningKey;
use p256::SecretKey;
use zeroize::Zeroizing;

use crate::card::{Card, CardError};
pub use bundle::{Issuer, ObjectKind, ServiceObject};
use commands::{CommandError, NegotiateFields, AID_OSE, AID_SMART_TAP_2, SESSION_OK};
pub use crypto::SForm;
use crypto::{CryptoError, SessionKeys};
use response::{OseFci, ResponseError, Session};
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

    fn run(
        &self,
        card: &mut dyn Card,
        t: &mut Transcript,
        open: &mut Option<OpenSession>,
    ) -> Result<TapResult, TerminalError> {
        let cfg = &self.config;
        let secrets = self.secrets();

        // SELECT OSE.VAS.01 (§6.1): exactly 9000 and a complete FCI.
        let step = Step::SelectOse;
        let cmd =
            commands::select(AID_OSE).map_err(|source| TerminalError::Command { step, source })?;
        let r = exchange(card, t, step, cmd, vec!["AID 4F53452E5641532E3031 (OSE.VAS.01)".into()])?;
        if r.sw != SW_OK {
            return Ok(TapResult::Ended { step, sw: r.sw });
        }
        let fci = response::parse_ose(&r.data)
            .map_err(|source| TerminalError::Response { step, source })?;
        annotate_fci(t, &fci);
        if let (Some(min), Some(max)) = (fci.min_version, fci.max_version) {
            response::check_version(min, max)
                .map_err(|source| TerminalError::Response { step, source })?;
        }

        // SELECT Smart Tap 2 (§6.2), unless allowed and configured to skip it.
        if cfg.second_select || !fci.may_skip_second_select() {
            let step = Step::SelectSmartTap;
            let cmd = commands::select(AID_SMART_TAP_2)
                .map_err(|source| TerminalError::Command { step, source })?;
            let r = exchange(card, t, step, cmd, vec!["AID A000000476D0000111".into()])?;
            if r.sw != SW_OK {
                return Ok(TapResult::Ended { step, sw: r.sw });
            }
            let st2 = response::parse_smart_tap_select(&r.data)
                .map_err(|source| TerminalError::Response { step, source })?;
            t.note(format!(
                "versions {:04X}..{:04X}, mdn nonce {}",
                st2.min_version,
                st2.max_version,
                hex::encode(st2.nonce)
            ));
            if st2.nonce != fci.nonce {
                return Err(TerminalError::NonceMismatch);
            }
        } else {
            t.note("FCI capability 01 set: skipping SELECT Smart Tap 2");
        }

        // NEGOTIATE (§6.3, §11).
        let step = Step::Negotiate;
        let et = crypto::compressed(&secrets.ephemeral.public_key());
        let collector = cfg.collector_id.0;
        let live_nonce = cfg.live_auth.then_some(&fci.nonce);
        let blob = crypto::signed_blob(&secrets.nonce, live_nonce, collector, &et);
        let signature = crypto::sign(&cfg.signing_key, &blob, cfg.s_form);
        let cmd = commands::negotiate(&NegotiateFields {
            session_id: &secrets.session_id,
            sequence: NEGOTIATE_SEQUENCE,
            terminal_nonce: &secrets.nonce,
            live: cfg.live_auth,
            ephemeral_public: &et,
            key_version: cfg.key_version,
            signature_der: &signature,
            collector,
        })
        .map_err(|source| TerminalError::Command { step, source })?;
        let notes = vec![
            format!(
                "session {} sequence {NEGOTIATE_SEQUENCE:02X}",
                hex::encode(secrets.session_id)
            ),
            format!(
                "collector {collector} ({}), key version {}, {} authentication",
                hex::encode(collector.to_be_bytes()),
                cfg.key_version,
                if cfg.live_auth { "live" } else { "pre-signed" }
            ),
            format!("terminal nonce {}", hex::encode(secrets.nonce)),
            format!("terminal ephemeral key {}", hex::encode(et)),
            format!("signature ({} bytes DER) {}", signature.len(), hex::encode(&signature)),
        ];
        let r = exchange(card, t, step, cmd, notes)?;
        let expected_sw = if cfg.live_auth { SW_OK } else { SW_PRE_SIGNED };
        if r.sw != SW_OK && r.sw != SW_PRE_SIGNED {
            return Ok(TapResult::Ended { step, sw: r.sw });
        }
        if r.sw != expected_sw {
            return Err(TerminalError::UnexpectedStatus { step, sw: r.sw });
        }
        let nrs = response::parse_negotiate(&r.data)
            .map_err(|source| TerminalError::Response { step, source })?;
        t.note(format!(
            "nrs: session {} sequence {:02X} status {:02X}, dpk {}",
            hex::encode(nrs.session.session_id),
            nrs.session.sequence,
            nrs.session.status,
            hex::encode(nrs.dpk)
        ));
        check_session(step, &nrs.session, &secrets.session_id, NEGOTIATE_SEQUENCE)?;
        if nrs.dpk != fci.ephemeral {
            return Err(TerminalError::KeyMismatch);
        }
        let mut info = Zeroizing::new(blob.to_vec());
        if !cfg.live_auth {
            // HKDF always uses the real handset nonce (§11, pre-signed mode).
            info[32..64].copy_from_slice(&fci.nonce);
        }
        info.extend_from_slice(&signature);
        let keys = SessionKeys::derive(&secrets.ephemeral, &nrs.dpk, &info)?;
        t.note("session keys derived (ECDH + HKDF-SHA256)");
        *open = Some(OpenSession {
            session_id: secrets.session_id,
            handset_sequence: nrs.session.sequence,
        });

        // GET DATA (§6.4), retried once on 92xx as kormax's reader does (§13a).
        let mut sequence = nrs.session.sequence.wrapping_add(1);
        let mut retried = false;
        loop {
            let (sw, data) = self.get_data(card, t, &secrets.session_id, sequence)?;
            if sw.sw1() == 0x92 && !retried {
                retried = true;
                sequence = nrs.session.sequence.wrapping_add(3);
                t.note("transient error: retrying GET DATA once");
                continue;
            }
            return self.finish_get_data(t, &keys, &secrets.session_id, sequence, sw, &data, open);
        }
    }

    /// Sends GET DATA and follows `9100` chaining; returns the final SW and all data.
    fn get_data(
        &self,
        card: &mut dyn Card,
        t: &mut Transcript,
        session_id: &[u8; 8],
        sequence: u8,
    ) -> Result<(StatusWord, Vec<u8>), TerminalError> {
        let cfg = &self.config;
        let step = Step::GetData;
        let cmd = commands::get_data(
            session_id,
            sequence,
            cfg.collector_id.0,
            &cfg.service_types,
            cfg.pcr.as_ref(),
        )
        .map_err(|source| TerminalError::Command { step, source })?;
        let mut notes = vec![
            format!("session {} sequence {sequence:02X}", hex::encode(session_id)),
            format!(
                "merchant collector {}, service types {}",
                cfg.collector_id,
                hex::encode(&cfg.service_types)
            ),
        ];
        notes.push(match cfg.pcr {
            Some(p) => format!(
                "pcr {} (zlib {})",
                hex::encode(p),
                if self.zlib_advertised() { "accepted" } else { "not accepted" }
            ),
            None => "no pcr (no compression)".into(),
        });
        let mut r = exchange(card, t, step, cmd, notes)?;
        let mut data = std::mem::take(&mut r.data);
        let budget = cfg.max_get_more.min(MAX_GET_MORE);
        let mut more = 0;
        while r.sw == SW_MORE_DATA {
            if data.len() > MAX_RESPONSE_BYTES {
                return Err(TerminalError::ResponseTooLong);
            }
            if more == budget {
                return Err(TerminalError::TooManyChunks(more));
            }
            more += 1;
            t.note(format!("{} bytes so far", data.len()));
            let notes = vec![format!("chunk {} of at most {}", more + 1, budget + 1)];
            r = exchange(card, t, Step::GetMoreData, commands::get_more_data(), notes)?;
            data.extend_from_slice(&r.data);
        }
        if data.len() > MAX_RESPONSE_BYTES {
            return Err(TerminalError::ResponseTooLong);
        }
        if more > 0 {
            t.note(format!("reassembled {} bytes from {} responses", data.len(), more + 1));
        }
        Ok((r.sw, data))
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_get_data(
        &self,
        t: &mut Transcript,
        keys: &SessionKeys,
        session_id: &[u8; 8],
        sequence: u8,
        sw: StatusWord,
        data: &[u8],
        open: &mut Option<OpenSession>,
    ) -> Result<TapResult, TerminalError> {
        let step = Step::GetData;
        if sw != SW_OK && sw != SW_NO_PASS {
            if !data.is_empty() {
                t.note(format!("{} data bytes with a final status word, ignored", data.len()));
            }
            return Ok(TapResult::Ended { step, sw });
        }
        if sw == SW_NO_PASS && data.is_empty() {
            t.note("no pass for this collector");
            return Ok(TapResult::Read { sw, objects: Vec::new() });
        }
        let srs = response::parse_data(data)
            .map_err(|source| TerminalError::Response { step, source })?;
        t.note(format!(
            "srs: session {} sequence {:02X} status {:02X}",
            hex::encode(srs.session.session_id),
            srs.session.sequence,
            srs.session.status
        ));
        check_session(step, &srs.session, session_id, sequence)?;
        *open =
            Some(OpenSession { session_id: *session_id, handset_sequence: srs.session.sequence });
        let Some(reb) = srs.bundle else {
            if sw == SW_OK {
                return Err(TerminalError::MissingBundle);
            }
            return Ok(TapResult::Read { sw, objects: Vec::new() });
        };
        t.note(format!(
            "reb: flags {:02X} ({}), IV {}, {} bytes ciphertext, HMAC {}",
            reb.flags,
            if reb.compressed() { "encrypted, zlib" } else { "encrypted" },
            hex::encode(reb.iv),
            reb.ciphertext.len(),
            hex::encode(reb.mac)
        ));
        if reb.compressed() && !self.zlib_advertised() {
            return Err(TerminalError::UnrequestedCompression);
        }
        let body = keys.open(&reb.iv, &reb.ciphertext, &reb.mac)?;
        t.note("HMAC verified; decrypted");
        let plain = if reb.compressed() {
            let plain = crypto::inflate(&body, MAX_INFLATED_BYTES)?;
            t.note(format!("inflated {} → {} bytes", body.len(), plain.len()));
            plain
        } else {
            body
        };
        let objects = bundle::parse_bundle(&plain).map_err(TerminalError::Bundle)?;
        for o in &objects {
            t.note(format!(
                "service object {} from issuer {} (type {:02X}){}",
                o.kind.record_name(),
                o.issuer.id_u64().map_or_else(|| hex::encode(&o.issuer.id), |id| id.to_string()),
                o.issuer.issuer_type,
                o.object_ref.map(|r| format!(", oid {}", hex::encode(r))).unwrap_or_default()
            ));
        }
        Ok(TapResult::Read { sw, objects })
    }

    /// PUSH SMART TAP DATA (§6.6) in the session `tap` negotiated, on the same card and
    /// field session; appends to its transcript. Returns the handset's final status word
    /// (`9000` only with a valid `psr`).
    pub fn push(
        &self,
        card: &mut dyn Card,
        tap: &mut TapOutcome,
        push: &PushData,
    ) -> Result<StatusWord, TerminalError> {
        let step = Step::PushData;
        let session = tap.session.ok_or(TerminalError::NoSession)?;
        let sequence = session.handset_sequence.wrapping_add(1);
        let cmd = commands::push_data(&session.session_id, sequence, push)
            .map_err(|source| TerminalError::Command { step, source })?;
        let mut notes =
            vec![format!("session {} sequence {sequence:02X}", hex::encode(session.session_id))];
        if let Some(b) = &push.balance {
            notes.push(format!(
                "balance mon {} {}",
                hex::encode(&b.amount_raw),
                b.currency.as_deref().unwrap_or("")
            ));
        }
        for s in &push.services {
            notes.push(format!(
                "service update oid {}{}{}",
                hex::encode(s.object_ref),
                s.usage.as_ref().map(|u| format!(", usage {:02X}", u.status)).unwrap_or_default(),
                s.operation
                    .as_ref()
                    .map(|(op, v)| format!(", operation {op:02X} value {}", hex::encode(v)))
                    .unwrap_or_default()
            ));
        }
        let t = &mut tap.transcript;
        let r = exchange(card, t, step, cmd, notes)?;
        if r.sw != SW_OK {
            return Ok(r.sw);
        }
        let psr = response::parse_push(&r.data)
            .map_err(|source| TerminalError::Response { step, source })?;
        t.note(format!(
            "psr: session {} sequence {:02X} status {:02X}",
            hex::encode(psr.session_id),
            psr.sequence,
            psr.status
        ));
        check_session(step, &psr, &session.session_id, sequence)?;
        tap.session = Some(OpenSession { handset_sequence: psr.sequence, ..session });
        Ok(r.sw)
    }
}

/// Sends one command, records it, and splits the answer.
fn exchange(
    card: &mut dyn Card,
    t: &mut Transcript,
    step: Step,
    command: Vec<u8>,
    notes: Vec<String>,
) -> Result<Response, TerminalError> {
    let answer = card.transmit(&command);
    t.push(step, command, notes);
    let answer = answer.map_err(|source| TerminalError::Card { step, source })?;
    if let Some(e) = t.last_mut() {
        e.response = answer.clone();
    }
    Response::parse(&answer).ok_or(TerminalError::NoStatusWord { step, len: answer.len() })
}

/// `ses` must echo our session ID with request sequence + 1 and status OK (§5).
fn check_session(
    step: Step,
    ses: &Session,
    session_id: &[u8; 8],
    request_sequence: u8,
) -> Result<(), TerminalError> {
    if &ses.session_id != session_id {
        return Err(TerminalError::SessionMismatch {
            step,
            expected: hex::encode(session_id),
            got: hex::encode(ses.session_id),
        });
    }
    let expected = request_sequence.wrapping_add(1);
    if ses.sequence != expected {
        return Err(TerminalError::Sequence { step, expected, got: ses.sequence });
    }
    if ses.status != SESSION_OK {
        return Err(TerminalError::SessionStatus { step, status: ses.status });
    }
    Ok(())
}

fn annotate_fci(t: &mut Transcript, fci: &OseFci) {
    let mode = fci.mode.first().copied().unwrap_or(0);
    let bits: Vec<&str> = [
        (0x80, "payment enabled"),
        (0x40, "payment requested"),
        (0x08, "pass enabled"),
        (0x04, "pass requested"),
    ]
    .iter()
    .filter(|(b, _)| mode & b != 0)
    .map(|(_, n)| *n)
    .collect();
    t.note(format!(
        "wallet {:?}, application version {}, mode {mode:02X} ({})",
        String::from_utf8_lossy(&fci.label),
        hex::encode(&fci.app_version),
        bits.join(", ")
    ));
    t.note(format!("handset nonce {}", hex::encode(fci.nonce)));
    t.note(format!("handset ephemeral key {}", hex::encode(fci.ephemeral)));
    let v = |v: Option<u16>| v.map_or_else(|| "?".to_string(), |v| format!("{v:04X}"));
    t.note(format!(
        "Smart Tap 2 entry: versions {}..{}, capabilities {}{}",
        v(fci.min_version),
        v(fci.max_version),
        fci.capabilities.map_or_else(|| "none".to_string(), |c| format!("{c:02X}")),
        if fci.may_skip_second_select() { " (second SELECT optional)" } else { "" }
    ));
}

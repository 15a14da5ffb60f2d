//! The EMV contactless payment applet behind the [`crate::router::Router`] (payment spec
//! §6, §7, §10–§13): the phone as a contactless card for the device tokens the
//! [`TokenSource`] offers, with cryptograms from a pluggable [`CryptogramEngine`] and every
//! ATC made durable by the [`PaymentJournal`] **before** the answer that uses it.
//!
//! # Use
//!
//! ```ignore
//! use std::sync::Arc;
//! use hce_wallet_core::payment::applet::{PaymentApplet, PaymentConfig, PaymentPorts};
//! use hce_wallet_core::payment::cryptogram::GenericProfile;
//!
//! let applet = PaymentApplet::new(
//!     PaymentConfig::default(),            // strict GPO, no contact PSE, §6.2 PDOL
//!     PaymentPorts {
//!         tokens: store.clone(),           // Arc<dyn TokenSource>
//!         journal: store.clone(),          // Arc<dyn PaymentJournal>
//!         events: events.clone(),          // Arc<dyn EventSink>
//!         clock: Arc::new(SystemClock),    // Arc<dyn Clock>
//!         engine: Arc::new(GenericProfile), // or a licensed scheme profile
//!     },
//! )?;
//! applet.prepare();                        // optional: build card profiles before the tap
//! router.register(Box::new(applet));       // beside the Smart Tap applet
//! ```
//!
//! Card profiles (FCI, record, GPO head) are built by [`PaymentApplet::prepare`], again
//! after every deactivation (ready for the next tap), and lazily at the first SELECT of a
//! token whose profile is missing or stale; inside the tap only the cryptogram and a few
//! bytes around it are computed.
//!
//! [`PaymentConfig`] defaults: `lenient_empty_pdol: false` (emvtool's `83 00` against a
//! non-empty PDOL is refused with `6700`, §6.3, §17 item 4 — turn on for that desktop
//! reader only), `contact_pse: false` (SELECT `1PAY.SYS.DDF01` answers `6A82`, §6.7),
//! `answer_get_data_atc: true` (GET DATA `9F36` answers the last ATC, §6.6), and
//! [`ProfileSettings::default`] (the §6.2 PDOL, `5F2D zhen`, AIP `0000`, no GENERATE AC).
//!
//! # Commands (§6) and status words (§7)
//!
//! | command | answer |
//! |---|---|
//! | SELECT PPSE | directory of [`TokenSource::offered`] (Active tokens; one entry per AID, priority = order), `6A82` when nothing is offered |
//! | SELECT PSE | `6A82`, or with `contact_pse` the `88` SFI FCI and `70{61{4F,50,87}}` records |
//! | SELECT AID | binds the tap to the **first offered** token with that AID (several tokens can share one AID); not offered, Suspended, Pending, Deleted → `6A82` (§12.5: hidden). P2 ≠ `00` → `6A82` (no next occurrence) |
//! | GET PROCESSING OPTIONS | no ADF selected, or a second GPO after one that spent an ATC → `6985`; P1P2 ≠ `0000` → `6A86`; data not `83` → `6A80`; `83` length ≠ PDOL total → `6700` |
//! | READ RECORD | static record SFI 1 rec 1 (also before GPO; PSE directory records when the PSE is selected); malformed P1/P2 (record 0, SFI 0 or 31, P2 mode ≠ `100`) → `6A86`; any other record or SFI → `6A83`; nothing selected → `6985` |
//! | GENERATE AC | only when the profile offers it (else `6D00`); before GPO → `6985`; CDOL length → `6700`; P1 type `11` → `6A86` |
//! | GET DATA | `9F36` → last ATC; everything else → `6A88` |
//! | VERIFY, COMPUTE CRYPTOGRAPHIC CHECKSUM, PUT DATA, any other INS | `6D00` |
//! | CLA other than `00` (SELECT, READ RECORD) / `80` (GPO, GENERATE AC, GET DATA) | `6E00` |
//!
//! # Decisions
//!
//! - **GPO order (§13 step 3, §17 items 2–3)**: checks of the command; then the key budget
//!   ([`TokenSource::current_key`]) and the token's expiry, before any other work; then the
//!   CVM decision; then `last_atc + 1`, the cryptogram, and [`PaymentJournal::commit`] of
//!   that ATC with the log entry. Only after `commit` returned `Ok` does the answer leave.
//! - **Decline path, exhausted / expired / missing keys (§12.5, §6.5)**: status word `6985`
//!   ("not usable right now"), no ATC spent, `Declined` + `ReplenishmentNeeded` events.
//!   Not an AAC: an AAC needs an ATC, the journal refuses to commit one under an unusable
//!   key (port contract, [`super::ports::JournalError::KeyUnusable`]), and a cryptogram
//!   under a spent key would only be noise for the issuer. The same `6985` for an expired
//!   token and a spent ATC (`FFFF`).
//! - **Offline-only readers (TTQ byte 1 bit 4, §11)**: answered with an **AAC** (CID `00`)
//!   in the normal GPO layout (the ATC is spent and journaled like any other); a later
//!   GENERATE AC answers AAC too.
//! - **Journal failure**: `commit` (or `record_cryptogram`) failed → `6985`, no data, no
//!   cryptogram leaves, `Declined{JournalFailed}`. The cryptogram is computed before the
//!   commit (the log entry carries it) but only sent after it.
//! - **GENERATE AC (§6.5)**: never a higher cryptogram than asked — first GENERATE AC: AAC
//!   when asked or when the GPO declined, else ARQC (asked TC or ARQC; an online-only token
//!   never approves offline). Second (CDOL2): TC or AAC as asked (ARQC → `6A86`), AAC if
//!   declined; a third, or one after an AAC, → `6985`. Same ATC as the GPO, no second
//!   increment; each cryptogram goes to [`PaymentJournal::record_cryptogram`] first.
//! - **CDCVM (§10)**: the host says "verified until t" ([`TokenSource::verification`]).
//!   `CvmPolicy::EveryTransaction` with no open window, or `WhenReaderRequires` when the
//!   reader sets TTQ byte 2 bit 7 (CVM required) and no window is open → the "see phone"
//!   path: SW `6986`, `VerificationRequired`, no ATC, never an ARQC claiming CDCVM.
//!   Otherwise CDCVM = window open; CTQ byte 2 bit 8 and the CVR byte of `9F10` say so and
//!   the CVR is the last MAC input byte (the cryptogram binds it).
//! - **Le / Ne (§3)**: every answer is at most 256 bytes by construction. Over contactless
//!   there is no T=0 procedure exchange, so `61xx` / `6Cxx` are never sent; a command
//!   whose Ne is smaller than its answer gets `6700` and no data (a truncated TLV would be
//!   useless, and nothing is spent: GPO checks Ne before the commit).
//! - **Nothing sensitive is logged** (§17 item 10): token references, last four digits,
//!   ATCs and status words only — no MPAN, LUK, track 2, cryptogram or its inputs.
//! - [`Applet::deactivate`] wipes the tap state (selection, transaction, key copy —
//!   zeroized on drop); the precomputed card profiles stay.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::sync::Arc;

use super::cryptogram::{CryptogramEngine, CryptogramInput};
use super::dol::{tags, DolValues};
use super::ports::{PaymentJournal, TapToken, TokenSource};
use super::profile::{self, CardProfile, ProfileSettings, PPSE_NAME, PSE_NAME};
use super::token::{
    Atc, CvmPolicy, KeyBudget, LimitedUseKey, TokenId, TokenState, TransactionLogEntry,
};
use crate::apdu::{sw, Command, Response, StatusWord, CLA_ISO, INS_SELECT};
use crate::ber_tlv::Tag;
use crate::events::{CryptogramKind, DeclineReason, PaymentEvent, ReplenishReason, WalletEvent};
use crate::ports::{Clock, EventSink};
use crate::router::{Applet, Deactivation};
use crate::time::Timestamp;

/// CLA of the EMV proprietary commands (GPO, GENERATE AC, GET DATA; §7).
pub const CLA_EMV: u8 = 0x80;
/// READ RECORD (§6.4).
pub const INS_READ_RECORD: u8 = 0xB2;
/// GET PROCESSING OPTIONS (§6.3).
pub const INS_GPO: u8 = 0xA8;
/// GENERATE APPLICATION CRYPTOGRAM (§6.5).
pub const INS_GENERATE_AC: u8 = 0xAE;
/// GET DATA (§6.6).
pub const INS_GET_DATA: u8 = 0xCA;
/// The GPO command template (§6.3).
pub const GPO_TEMPLATE: u8 = 0x83;
/// TTQ byte 1 bit 4: offline-only reader (§8).
pub const TTQ_OFFLINE_ONLY: u8 = 0x08;
/// TTQ byte 2 bit 7: CVM required (§8).
pub const TTQ_CVM_REQUIRED: u8 = 0x40;
/// READ RECORD P2 low bits: P1 is a record number (§6.4).
const P2_RECORD_BY_NUMBER: u8 = 0b100;

/// Status words of §7 not in [`crate::apdu::sw`], named once.
pub mod status {
    use crate::apdu::StatusWord;
    /// READ RECORD outside the profile's files.
    pub const RECORD_NOT_FOUND: StatusWord = StatusWord(0x6A83);
    /// GET DATA of an object the token does not have.
    pub const REFERENCED_DATA_NOT_FOUND: StatusWord = StatusWord(0x6A88);
    /// The "see phone, then tap again" signal (CDCVM required but not done, §7, §10).
    pub const SEE_PHONE: StatusWord = StatusWord(0x6986);
}

/// Tunables (see the module doc for the defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentConfig {
    /// Accept `83 00` against a non-empty PDOL, values all zero (emvtool, §15.1). Off.
    pub lenient_empty_pdol: bool,
    /// Answer SELECT `1PAY.SYS.DDF01` with a directory (desktop readers, §6.7). Off.
    pub contact_pse: bool,
    /// Answer GET DATA `9F36` with the last committed ATC (§6.6). On.
    pub answer_get_data_atc: bool,
    /// Card profile layout for every token.
    pub profile: ProfileSettings,
}

impl Default for PaymentConfig {
    fn default() -> Self {
        PaymentConfig {
            lenient_empty_pdol: false,
            contact_pse: false,
            answer_get_data_atc: true,
            profile: ProfileSettings::default(),
        }
    }
}

/// Why a [`PaymentConfig`] is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentConfigError {
    #[error("AIP {0:02X?} advertises offline data authentication (SDA/DDA/CDA)")]
    OdaAdvertised([u8; 2]),
    #[error("the PDOL lacks {tag} with {len} bytes, which the {engine} cryptogram covers")]
    PdolLacks { tag: Tag, len: usize, engine: &'static str },
}

/// Everything outside the applet that it talks to.
pub struct PaymentPorts {
    pub tokens: Arc<dyn TokenSource>,
    pub journal: Arc<dyn PaymentJournal>,
    pub events: Arc<dyn EventSink>,
    pub clock: Arc<dyn Clock>,
    pub engine: Arc<dyn CryptogramEngine>,
}

/// One transaction started by a GPO that spent an ATC.
struct Transaction {
    atc: Atc,
    key: LimitedUseKey,
    cdcvm: bool,
    /// The GPO (or a GENERATE AC) produced an AAC: every later cryptogram is an AAC.
    declined: bool,
    /// GENERATE ACs answered so far.
    generate_acs: u8,
    /// No further GENERATE AC (after an AAC or the second one).
    closed: bool,
}

/// The application selected in this tap.
enum Selected {
    Nothing,
    Ppse,
    Pse { entries: Vec<Vec<u8>> },
    Adf { profile: Arc<CardProfile>, transaction: Option<Box<Transaction>> },
}

/// The EMV contactless payment applet (see the module doc).
pub struct PaymentApplet {
    ports: PaymentPorts,
    config: PaymentConfig,
    /// Precomputed card profiles (static data, kept across taps; rebuilt when a token changes).
    profiles: Vec<Arc<CardProfile>>,
    selected: Selected,
}

impl std::fmt::Debug for PaymentApplet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let selected = match &self.selected {
            Selected::Nothing => "nothing",
            Selected::Ppse => "PPSE",
            Selected::Pse { .. } => "PSE",
            Selected::Adf { transaction: None, .. } => "ADF",
            Selected::Adf { transaction: Some(_), .. } => "ADF, transaction",
        };
        f.debug_struct("PaymentApplet")
            .field("engine", &self.ports.engine.name())
            .field("profiles", &self.profiles.len())
            .field("selected", &selected)
            .finish_non_exhaustive()
    }
}

const AIDS: &[&[u8]] = &[PPSE_NAME];

/// What GPO or GENERATE AC answers when it does not answer a cryptogram.
struct Refusal(StatusWord);

impl PaymentApplet {
    /// A new applet; checks that the profile settings suit the engine.
    pub fn new(
        config: PaymentConfig,
        ports: PaymentPorts,
    ) -> Result<PaymentApplet, PaymentConfigError> {
        let aip = config.profile.aip;
        if aip.first().is_some_and(|b| b & profile::AIP_ODA_BITS != 0) {
            return Err(PaymentConfigError::OdaAdvertised(aip));
        }
        for &(tag, len) in ports.engine.terminal_data() {
            if config.profile.pdol.length_of(tag) != Some(len) {
                return Err(PaymentConfigError::PdolLacks {
                    tag,
                    len,
                    engine: ports.engine.name(),
                });
            }
        }
        Ok(PaymentApplet { ports, config, profiles: Vec::new(), selected: Selected::Nothing })
    }

    pub fn config(&self) -> &PaymentConfig {
        &self.config
    }

    /// Builds the card profiles of the tokens offered now, ahead of the tap (§17 item 9).
    /// Returns how many are ready.
    pub fn prepare(&mut self) -> usize {
        let now = self.ports.clock.now();
        let offered = self.ports.tokens.offered(now);
        offered.iter().filter(|t| self.profile_of(t).is_some()).count()
    }

    fn emit(&self, event: PaymentEvent) {
        self.ports.events.emit(WalletEvent::Payment(event));
    }

    /// The cached profile of `token`, built if absent or stale.
    fn profile_of(&mut self, token: &TapToken) -> Option<Arc<CardProfile>> {
        let pos = self.profiles.iter().position(|p| p.token().id == token.token.id);
        if let Some(p) = pos.and_then(|i| self.profiles.get(i)) {
            if *p.token() == token.token {
                return Some(p.clone());
            }
        }
        match CardProfile::build(
            &token.token,
            &self.config.profile,
            self.ports.engine.terminal_data(),
        ) {
            Ok(p) => {
                let p = Arc::new(p);
                match pos.and_then(|i| self.profiles.get_mut(i)) {
                    Some(slot) => *slot = p.clone(),
                    None => self.profiles.push(p.clone()),
                }
                Some(p)
            }
            Err(e) => {
                log::warn!("payment: token {} cannot be offered: {e}", token.token.id);
                None
            }
        }
    }

    /// Active offered tokens with their profiles, one per AID, in PPSE order.
    fn directory(&mut self, now: Timestamp) -> Vec<Arc<CardProfile>> {
        let offered = self.ports.tokens.offered(now);
        let mut out: Vec<Arc<CardProfile>> = Vec::with_capacity(offered.len());
        for t in offered.iter().filter(|t| t.state == TokenState::Active) {
            if out.iter().any(|p| p.aid() == t.token.profile.aid.as_slice()) {
                continue;
            }
            if let Some(p) = self.profile_of(t) {
                out.push(p);
            }
        }
        out
    }

    fn entries(directory: &[Arc<CardProfile>]) -> Vec<Vec<u8>> {
        directory
            .iter()
            .enumerate()
            .map(|(i, p)| {
                p.directory_entry(u8::try_from(i).unwrap_or(14).saturating_add(1).min(15))
            })
            .collect()
    }

    fn select_ppse(&mut self, command: &Command<'_>) -> Response {
        let now = self.ports.clock.now();
        let directory = self.directory(now);
        match profile::ppse_fci(&PaymentApplet::entries(&directory)) {
            Some(fci) => {
                self.selected = Selected::Ppse;
                log::info!("payment: PPSE lists {} application(s)", directory.len());
                answer(command, fci, sw::OK)
            }
            None => {
                log::info!("payment: PPSE selected, no token offered");
                Response::status(sw::FILE_NOT_FOUND)
            }
        }
    }

    fn select_pse(&mut self, command: &Command<'_>) -> Response {
        if !self.config.contact_pse {
            return Response::status(sw::FILE_NOT_FOUND);
        }
        let now = self.ports.clock.now();
        let directory = self.directory(now);
        if directory.is_empty() {
            return Response::status(sw::FILE_NOT_FOUND);
        }
        self.selected = Selected::Pse { entries: PaymentApplet::entries(&directory) };
        answer(command, profile::pse_fci(), sw::OK)
    }

    fn select_aid(&mut self, aid: &[u8], command: &Command<'_>) -> Response {
        if command.p2 != 0x00 {
            // Only "first or only occurrence": no partial AIDs, no next occurrence (§3).
            return Response::status(sw::FILE_NOT_FOUND);
        }
        let now = self.ports.clock.now();
        let offered = self.ports.tokens.offered(now);
        let Some(token) = offered
            .iter()
            .find(|t| t.token.profile.aid.as_slice() == aid && t.state == TokenState::Active)
        else {
            log::info!("payment: SELECT of an AID no offered token has");
            return Response::status(sw::FILE_NOT_FOUND);
        };
        let Some(profile) = self.profile_of(token) else {
            return Response::status(sw::FILE_NOT_FOUND);
        };
        let response = answer(command, profile.fci().to_vec(), sw::OK);
        if response.sw == sw::OK {
            log::info!(
                "payment: token {} ({}) selected",
                token.token.id,
                token.token.mpan // Display: last four only
            );
            self.emit(PaymentEvent::TokenSelected {
                token: token.token.id.clone(),
                last_four: token.token.mpan.last_four().to_owned(),
            });
            self.selected = Selected::Adf { profile, transaction: None };
        }
        response
    }

    fn read_record(&self, command: &Command<'_>) -> Response {
        let (record, sfi) = (command.p1, command.p2 >> 3);
        if command.p2 & 0b111 != P2_RECORD_BY_NUMBER || record == 0 || sfi == 0 || sfi == 31 {
            return Response::status(sw::INCORRECT_P1P2);
        }
        let data = match &self.selected {
            Selected::Nothing => return Response::status(sw::CONDITIONS_NOT_SATISFIED),
            Selected::Ppse => None,
            Selected::Pse { entries } => (sfi == profile::RECORD_SFI)
                .then(|| entries.get(usize::from(record).saturating_sub(1)))
                .flatten()
                .map(|e| profile::pse_record(e)),
            Selected::Adf { profile, .. } => profile.record(sfi, record).map(<[u8]>::to_vec),
        };
        match data {
            Some(d) => answer(command, d, sw::OK),
            None => Response::status(status::RECORD_NOT_FOUND),
        }
    }

    fn get_data(&self, command: &Command<'_>) -> Response {
        let tag = u16::from_be_bytes([command.p1, command.p2]);
        match &self.selected {
            Selected::Adf { profile, .. } if tag == 0x9F36 && self.config.answer_get_data_atc => {
                match self.ports.journal.last_atc(&profile.token().id) {
                    Ok(atc) => {
                        let mut out = Vec::with_capacity(5);
                        profile::put(&mut out, profile::tag::ATC, &atc.to_be_bytes());
                        answer(command, out, sw::OK)
                    }
                    Err(e) => {
                        log::warn!("payment: journal cannot say the ATC: {e}");
                        Response::status(status::REFERENCED_DATA_NOT_FOUND)
                    }
                }
            }
            _ => Response::status(status::REFERENCED_DATA_NOT_FOUND),
        }
    }

    fn gpo(&mut self, command: &Command<'_>) -> Response {
        let (profile, started) = match &self.selected {
            Selected::Adf { profile, transaction } => (profile.clone(), transaction.is_some()),
            _ => return Response::status(sw::CONDITIONS_NOT_SATISFIED),
        };
        if started {
            log::info!("payment: second GPO in one transaction refused");
            return Response::status(sw::CONDITIONS_NOT_SATISFIED);
        }
        if (command.p1, command.p2) != (0, 0) {
            return Response::status(sw::INCORRECT_P1P2);
        }
        let values = match self.gpo_values(&profile, command.data) {
            Ok(v) => v,
            Err(Refusal(sw)) => return Response::status(sw),
        };
        match self.start_transaction(&profile, &values, command) {
            Ok((data, transaction)) => {
                if let Selected::Adf { transaction: slot, .. } = &mut self.selected {
                    *slot = Some(transaction);
                }
                Response::new(data, sw::OK)
            }
            Err(Refusal(sw)) => Response::status(sw),
        }
    }

    /// §6.3 checks of the command data: `83 L values`, `L` = PDOL total.
    fn gpo_values(&self, profile: &CardProfile, data: &[u8]) -> Result<DolValues, Refusal> {
        let (first, rest) = data.split_first().ok_or(Refusal(sw::WRONG_DATA))?;
        if *first != GPO_TEMPLATE {
            return Err(Refusal(sw::WRONG_DATA));
        }
        let (len, values) = match rest.split_first() {
            Some((&l, v)) if l < 0x80 => (usize::from(l), v),
            Some((0x81, tail)) => match tail.split_first() {
                Some((&l, v)) if l >= 0x80 => (usize::from(l), v),
                _ => return Err(Refusal(sw::WRONG_DATA)),
            },
            _ => return Err(Refusal(sw::WRONG_DATA)),
        };
        if len != values.len() {
            return Err(Refusal(sw::WRONG_LENGTH));
        }
        let pdol = profile.pdol();
        if values.is_empty() && !pdol.is_empty() && self.config.lenient_empty_pdol {
            log::info!("payment: lenient GPO: 83 00 against a {}-byte PDOL", pdol.total_len());
            return Ok(pdol.zeros());
        }
        pdol.split(values).map_err(|_| Refusal(sw::WRONG_LENGTH))
    }

    fn decline(&self, id: &TokenId, reason: DeclineReason, sw: StatusWord) -> Refusal {
        log::info!("payment: token {id} declined: {reason:?}");
        self.emit(PaymentEvent::Declined { token: id.clone(), reason });
        Refusal(sw)
    }

    /// §13 step 3: budget, expiry, CVM, ATC, cryptogram, commit — then the answer.
    fn start_transaction(
        &self,
        profile: &CardProfile,
        values: &DolValues,
        command: &Command<'_>,
    ) -> Result<(Vec<u8>, Box<Transaction>), Refusal> {
        let token = profile.token();
        let id = &token.id;
        let now = self.ports.clock.now();

        // Key budget before any other work (§17 item 3).
        let current = self.ports.tokens.current_key(id, now);
        let (key, low) = match (current.budget, current.key) {
            (KeyBudget::Available { low, .. }, Some(key)) => (key, low),
            (budget, _) => {
                let (reason, replenish) = match budget {
                    KeyBudget::Exhausted => {
                        (DeclineReason::KeysExhausted, ReplenishReason::Exhausted)
                    }
                    KeyBudget::Expired => (DeclineReason::KeyExpired, ReplenishReason::Expired),
                    KeyBudget::NoKey | KeyBudget::Available { .. } => {
                        (DeclineReason::NoKey, ReplenishReason::NoKey)
                    }
                };
                let refusal = self.decline(id, reason, sw::CONDITIONS_NOT_SATISFIED);
                self.emit(PaymentEvent::ReplenishmentNeeded {
                    token: id.clone(),
                    reason: replenish,
                });
                return Err(refusal);
            }
        };
        if token.expiry.has_passed(now) {
            return Err(self.decline(
                id,
                DeclineReason::TokenExpired,
                sw::CONDITIONS_NOT_SATISFIED,
            ));
        }

        // CDCVM (§10).
        let ttq = values.get_array::<4>(tags::TTQ).unwrap_or([0; 4]);
        let [ttq1, ttq2, _, _] = ttq;
        let verified = self.ports.tokens.verification(now).is_valid(now);
        let needs_verification = match token.profile.cvm_policy {
            CvmPolicy::EveryTransaction => !verified,
            CvmPolicy::WhenReaderRequires => ttq2 & TTQ_CVM_REQUIRED != 0 && !verified,
        };
        if needs_verification {
            log::info!("payment: token {id}: user verification needed (see phone)");
            self.emit(PaymentEvent::VerificationRequired { token: id.clone() });
            return Err(Refusal(status::SEE_PHONE));
        }
        let cdcvm = verified;
        let offline_only = ttq1 & TTQ_OFFLINE_ONLY != 0;
        let kind = if offline_only { CryptogramKind::Aac } else { CryptogramKind::Arqc };

        // ATC: last committed + 1 (port contract).
        let last = match self.ports.journal.last_atc(id) {
            Ok(a) => a,
            Err(e) => {
                log::warn!("payment: journal cannot say the ATC of {id}: {e}");
                return Err(self.decline(
                    id,
                    DeclineReason::JournalFailed,
                    sw::CONDITIONS_NOT_SATISFIED,
                ));
            }
        };
        let Some(atc) = last.next() else {
            return Err(self.decline(id, DeclineReason::AtcSpent, sw::CONDITIONS_NOT_SATISFIED));
        };

        let input =
            CryptogramInput { key: &key, atc, aip: profile.aip(), terminal: values, cdcvm, kind };
        let cryptogram = match self.ports.engine.generate(&input) {
            Ok(c) => c,
            Err(e) => {
                log::error!("payment: {} engine failed: {e}", self.ports.engine.name());
                return Err(Refusal(sw::UNKNOWN));
            }
        };
        let data = profile.gpo_response(atc, &cryptogram, cdcvm);
        if data.len() > command.ne() {
            // Nothing spent yet: the terminal may ask again with Le = 00.
            return Err(Refusal(sw::WRONG_LENGTH));
        }
        let entry = TransactionLogEntry {
            atc,
            key_index: key.key_index,
            unpredictable_number: values.get_array(tags::UNPREDICTABLE_NUMBER).unwrap_or([0; 4]),
            amount: bcd_value(values.get(tags::AMOUNT_AUTHORISED).unwrap_or(&[])),
            currency: u16::try_from(bcd_value(values.get(tags::CURRENCY).unwrap_or(&[])))
                .unwrap_or(0),
            date: values.get_array(tags::DATE).unwrap_or([0; 3]),
            transaction_type: values
                .get(tags::TRANSACTION_TYPE)
                .and_then(|v| v.first().copied())
                .unwrap_or(0),
            cdcvm,
            cryptogram: Some((cryptogram.ac, cryptogram.cid)),
            at: now,
        };
        if let Err(e) = self.ports.journal.commit(id, &entry) {
            log::warn!("payment: journal refused ATC {:04X} of {id}: {e}", atc.0);
            return Err(self.decline(
                id,
                DeclineReason::JournalFailed,
                sw::CONDITIONS_NOT_SATISFIED,
            ));
        }

        // Committed: the answer may leave.
        log::info!("payment: token {id} GPO ATC {:04X} {kind:?} cdcvm={cdcvm}", atc.0);
        self.emit(PaymentEvent::Cryptogram {
            token: id.clone(),
            last_four: token.mpan.last_four().to_owned(),
            atc: atc.0,
            kind,
            cdcvm,
        });
        if offline_only {
            self.emit(PaymentEvent::Declined {
                token: id.clone(),
                reason: DeclineReason::OfflineOnlyReader,
            });
        }
        if low {
            self.emit(PaymentEvent::ReplenishmentNeeded {
                token: id.clone(),
                reason: ReplenishReason::Low,
            });
        }
        let transaction =
            Transaction { atc, key, cdcvm, declined: offline_only, generate_acs: 0, closed: false };
        Ok((data, Box::new(transaction)))
    }

    fn generate_ac(&mut self, command: &Command<'_>) -> Response {
        let engine = self.ports.engine.clone();
        let journal = self.ports.journal.clone();
        let (profile, transaction) = match &mut self.selected {
            Selected::Adf { profile, transaction } => (profile.clone(), transaction),
            _ => return Response::status(sw::CONDITIONS_NOT_SATISFIED),
        };
        let Some((cdol1, cdol2)) = profile.cdols() else {
            return Response::status(sw::INS_NOT_SUPPORTED);
        };
        if command.p2 != 0 {
            return Response::status(sw::INCORRECT_P1P2);
        }
        let Some(tx) = transaction.as_mut() else {
            return Response::status(sw::CONDITIONS_NOT_SATISFIED);
        };
        if tx.closed {
            return Response::status(sw::CONDITIONS_NOT_SATISFIED);
        }
        let second = tx.generate_acs >= 1;
        let requested = match command.p1 & 0xC0 {
            0x00 => CryptogramKind::Aac,
            0x40 => CryptogramKind::Tc,
            0x80 if !second => CryptogramKind::Arqc,
            _ => return Response::status(sw::INCORRECT_P1P2),
        };
        let dol = if second { cdol2 } else { cdol1 };
        let values = match dol.split(command.data) {
            Ok(v) => v,
            Err(_) => return Response::status(sw::WRONG_LENGTH),
        };
        // Never higher than asked (AAC < ARQC < TC); an online-only token approves offline
        // only after the online step (second GENERATE AC).
        let kind = match requested {
            _ if tx.declined => CryptogramKind::Aac,
            CryptogramKind::Aac => CryptogramKind::Aac,
            CryptogramKind::Tc if second => CryptogramKind::Tc,
            CryptogramKind::Tc | CryptogramKind::Arqc => CryptogramKind::Arqc,
        };
        let input = CryptogramInput {
            key: &tx.key,
            atc: tx.atc,
            aip: profile.aip(),
            terminal: &values,
            cdcvm: tx.cdcvm,
            kind,
        };
        let cryptogram = match engine.generate(&input) {
            Ok(c) => c,
            Err(e) => {
                log::error!("payment: {} engine failed: {e}", engine.name());
                return Response::status(sw::UNKNOWN);
            }
        };
        let data = profile::generate_ac_response(tx.atc, &cryptogram);
        if data.len() > command.ne() {
            return Response::status(sw::WRONG_LENGTH);
        }
        let id = &profile.token().id;
        if let Err(e) = journal.record_cryptogram(id, tx.atc, cryptogram.ac, cryptogram.cid) {
            log::warn!("payment: journal refused the cryptogram of ATC {:04X}: {e}", tx.atc.0);
            tx.closed = true;
            let event =
                PaymentEvent::Declined { token: id.clone(), reason: DeclineReason::JournalFailed };
            self.ports.events.emit(WalletEvent::Payment(event));
            return Response::status(sw::CONDITIONS_NOT_SATISFIED);
        }
        tx.generate_acs = tx.generate_acs.saturating_add(1);
        tx.closed = second || kind == CryptogramKind::Aac;
        if kind == CryptogramKind::Aac {
            tx.declined = true;
        }
        let (atc, cdcvm) = (tx.atc, tx.cdcvm);
        log::info!("payment: token {id} GENERATE AC ATC {:04X} {kind:?}", atc.0);
        let mut events = vec![PaymentEvent::Cryptogram {
            token: id.clone(),
            last_four: profile.token().mpan.last_four().to_owned(),
            atc: atc.0,
            kind,
            cdcvm,
        }];
        if requested == CryptogramKind::Aac {
            events.push(PaymentEvent::Declined {
                token: id.clone(),
                reason: DeclineReason::TerminalRequestedAac,
            });
        }
        for e in events {
            self.emit(e);
        }
        Response::new(data, sw::OK)
    }
}

/// `data` with `sw`, unless it exceeds the command's Ne: then `6700` (see the module doc).
fn answer(command: &Command<'_>, data: Vec<u8>, sw: StatusWord) -> Response {
    if data.len() > command.ne() || data.len() > profile::MAX_RESPONSE {
        return Response::status(sw::WRONG_LENGTH);
    }
    Response::new(data, sw)
}

/// A BCD (`n`) value as a number; non-decimal nibbles count as 9 (saturating).
fn bcd_value(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, b| {
        let hi = u64::from((b >> 4).min(9));
        let lo = u64::from((b & 0x0F).min(9));
        acc.saturating_mul(100).saturating_add(hi.saturating_mul(10)).saturating_add(lo)
    })
}

impl Applet for PaymentApplet {
    fn aids(&self) -> &[&'static [u8]] {
        AIDS
    }

    fn selects(&self, aid: &[u8]) -> bool {
        if aid == PPSE_NAME || (aid == PSE_NAME && self.config.contact_pse) {
            return true;
        }
        if !(5..=16).contains(&aid.len()) {
            return false;
        }
        // AIDs of tokens seen before stay ours, so that a SELECT of a token suspended
        // mid-tap reaches this applet and ends the selection (§12.4: "takes effect at the
        // next SELECT") instead of leaving it to the router, which keeps the old one.
        if self.profiles.iter().any(|p| p.aid() == aid) {
            return true;
        }
        let now = self.ports.clock.now();
        self.ports.tokens.offered(now).iter().any(|t| t.token.profile.aid.as_slice() == aid)
    }

    fn select(&mut self, aid: &[u8], command: &Command<'_>) -> Response {
        // Any SELECT starts a new transaction context (§6.1).
        self.selected = Selected::Nothing;
        if aid == PPSE_NAME {
            self.select_ppse(command)
        } else if aid == PSE_NAME {
            self.select_pse(command)
        } else {
            self.select_aid(aid, command)
        }
    }

    fn process(&mut self, command: &Command<'_>) -> Response {
        const KNOWN: [u8; 5] =
            [INS_SELECT, INS_READ_RECORD, INS_GPO, INS_GENERATE_AC, INS_GET_DATA];
        match (command.cla, command.ins) {
            (CLA_ISO, INS_SELECT) => Response::status(sw::INCORRECT_P1P2),
            (CLA_ISO, INS_READ_RECORD) => self.read_record(command),
            (CLA_EMV, INS_GPO) => self.gpo(command),
            (CLA_EMV, INS_GENERATE_AC) => self.generate_ac(command),
            (CLA_EMV, INS_GET_DATA) => self.get_data(command),
            (CLA_ISO | CLA_EMV, ins) if KNOWN.contains(&ins) => {
                Response::status(sw::CLA_NOT_SUPPORTED)
            }
            (CLA_ISO | CLA_EMV, _) => Response::status(sw::INS_NOT_SUPPORTED),
            _ => Response::status(sw::CLA_NOT_SUPPORTED),
        }
    }

    fn deactivate(&mut self, reason: Deactivation) {
        log::debug!("payment: deactivated ({reason:?})");
        // Drops the transaction and its key copy (zeroized on drop).
        self.selected = Selected::Nothing;
        // Off the APDU path: refresh the card profiles for the next tap (§17 item 9).
        self.prepare();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applet_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<PaymentApplet>();
    }

    #[test]
    fn bcd_values() {
        assert_eq!(bcd_value(&[0x00, 0x00, 0x00, 0x00, 0x10, 0x00]), 1000);
        assert_eq!(bcd_value(&[0x01, 0x56]), 156);
        assert_eq!(bcd_value(&[0x99; 6]), 999_999_999_999);
        assert_eq!(bcd_value(&[]), 0);
    }
}

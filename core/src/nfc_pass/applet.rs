//! The NFC pass applet behind the [`crate::router::Router`]: the phone as the issuer's
//! contactless card (door key, lock, access card) for every Active pass the
//! [`NfcPassSource`] holds, each under its own AID.
//!
//! # Commands (ISO/IEC 7816-4, CLA `00`)
//!
//! | command | answer |
//! |---|---|
//! | SELECT by AID (`A4 04`) | the pass [`resolve`]d for the AID (chosen, else the only Active one): FCI `6F{84 AID}` (P2 `00`), nothing (P2 `0C`); no pass, or two sharing it unchosen → `6A82` (+ `AidConflict`); other P2 → `6A86` |
//! | SELECT FILE (`A4 00`/`A4 02`, Lc 2) | FCP `62{80 size, 82 01, 83 FID}` (P2 `00`/`04`) or nothing (`0C`); unknown FID → `6A82` (current EF kept); Lc ≠ 2 → `6700` |
//! | READ BINARY (`B0`) | access checked first (`6982` needs a key, `6985` never); no current EF → `6986`; P1 b8 (short EF ID) → `6A81`; offset ≥ size → `6B00`; Le required (`6700`); fewer bytes than a non-zero Le → data + `6282` |
//! | UPDATE BINARY (`D6`) | access first; offset ≥ size → `6B00`; past the end → `6700`; Le present → `6700`; committed to the [`NfcPassJournal`] before `9000`, else `6581` |
//! | GET CHALLENGE (`84`) | 8 random bytes, kept for one EXTERNAL AUTHENTICATE; Le must be `08` or `00`; P1P2 ≠ `0000` → `6A86` |
//! | EXTERNAL AUTHENTICATE (`82`) | P2 = key number (b8 may be set); unknown key → `6A88`; no challenge → `6985`; Lc ≠ 16 → `6700`; blocked → `6983`; wrong token → `63Cx` (tries left, durable first) |
//! | INTERNAL AUTHENTICATE (`88`) | Lc 8 (`RND.IFD`) → `eK(RND.IFD ‖ ID_IFD)`; Ne < 16 → `6700`; blocked key → `6983` |
//! | any other INS / CLA | `6D00` / `6E00` |
//!
//! Authentication: [`super::auth`]. The security state ([`super::security`]) lives for one
//! selection. Every refusal is a status word with no data. Each field session with a pass
//! ends in one `NfcPassEvent::Used` (files read and written, authenticated or not).
//! Nothing of a file's content or a key is logged.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::sync::Arc;

use zeroize::Zeroizing;

use super::auth::{self, CHALLENGE_LEN, TOKEN_LEN};
use super::files;
use super::model::{Aid, FileId, KeyNumber, NfcPass, AID_LEN, MAX_KEY_NUMBER};
use super::ports::{resolve, NfcPassJournal, NfcPassSource, Resolution};
use super::security::SecurityState;
use super::status;
use crate::apdu::{sw, Command, LengthForm, Response, StatusWord, CLA_ISO, INS_SELECT};
use crate::events::{NfcPassEvent, WalletEvent};
use crate::ports::{EventSink, RandomSource};
use crate::router::{Applet, Deactivation};

/// READ BINARY (§11.3.3).
pub const INS_READ_BINARY: u8 = 0xB0;
/// UPDATE BINARY (§11.3.5).
pub const INS_UPDATE_BINARY: u8 = 0xD6;
/// GET CHALLENGE (§11.5.6).
pub const INS_GET_CHALLENGE: u8 = 0x84;
/// EXTERNAL AUTHENTICATE (§11.5.4).
pub const INS_EXTERNAL_AUTHENTICATE: u8 = 0x82;
/// INTERNAL AUTHENTICATE (§11.5.2).
pub const INS_INTERNAL_AUTHENTICATE: u8 = 0x88;
/// SELECT P1: by file identifier (MF, DF or EF).
pub const SELECT_BY_FID: u8 = 0x00;
/// SELECT P1: EF under the current DF.
pub const SELECT_CHILD_EF: u8 = 0x02;
/// SELECT P2: return the FCI (by name) / FCP (by FID).
pub const P2_FCI: u8 = 0x00;
/// SELECT P2: return the FCP.
pub const P2_FCP: u8 = 0x04;
/// SELECT P2: no response data.
pub const P2_NO_DATA: u8 = 0x0C;
/// EXTERNAL / INTERNAL AUTHENTICATE P2 b8: specific (DF-level) reference; b5–b1 the key.
const P2_SPECIFIC: u8 = 0x80;

/// Everything outside the applet it talks to.
pub struct NfcPassPorts {
    pub source: Arc<dyn NfcPassSource>,
    pub journal: Arc<dyn NfcPassJournal>,
    pub events: Arc<dyn EventSink>,
    pub random: Box<dyn RandomSource>,
}

/// One selection of one pass: a working copy (wiped on drop) and what the reader did.
struct Session {
    pass: NfcPass,
    current: Option<FileId>,
    security: SecurityState,
    read: Vec<FileId>,
    written: Vec<FileId>,
    authenticated: bool,
}

/// The issuer NFC pass applet (see the module doc).
pub struct NfcPassApplet {
    ports: NfcPassPorts,
    session: Option<Session>,
}

impl std::fmt::Debug for NfcPassApplet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NfcPassApplet")
            .field("selected", &self.session.as_ref().map(|s| s.pass.id.clone()))
            .finish_non_exhaustive()
    }
}

fn push_once(list: &mut Vec<FileId>, id: FileId) {
    if !list.contains(&id) {
        list.push(id);
    }
}

/// Whether Le asked for "everything available" (`00`, short or extended).
fn ne_is_max(command: &Command<'_>) -> bool {
    matches!((command.form, command.le), (LengthForm::Short, Some(256)) | (_, Some(65536)))
}

/// The key number of an AUTHENTICATE P2 (b8 global/specific, b7–b6 zero, b5–b1 the key).
fn key_ref(p2: u8) -> Result<KeyNumber, StatusWord> {
    let n = p2 & !P2_SPECIFIC;
    if n > MAX_KEY_NUMBER {
        return Err(sw::INCORRECT_P1P2);
    }
    KeyNumber::new(n).map_err(|_| sw::INCORRECT_P1P2)
}

impl NfcPassApplet {
    pub fn new(ports: NfcPassPorts) -> NfcPassApplet {
        NfcPassApplet { ports, session: None }
    }

    /// The pass selected now, if any (tests, `hcectl`).
    pub fn selected(&self) -> Option<&NfcPass> {
        self.session.as_ref().map(|s| &s.pass)
    }

    fn emit(&self, event: NfcPassEvent) {
        self.ports.events.emit(WalletEvent::NfcPass(event));
    }

    /// Ends the current session: its use event, then the working copy is dropped (wiped).
    fn finish(&mut self) {
        if let Some(s) = self.session.take() {
            log::info!(
                "nfc: pass {} used: {} file(s) read, {} written, authenticated={}",
                s.pass.id,
                s.read.len(),
                s.written.len(),
                s.authenticated
            );
            self.emit(NfcPassEvent::Used {
                pass: s.pass.id.clone(),
                aid: s.pass.aid.clone(),
                read: s.read,
                written: s.written,
                authenticated: s.authenticated,
            });
        }
    }

    fn select_aid(&mut self, aid: &[u8], command: &Command<'_>) -> Response {
        self.finish();
        if command.p2 != P2_FCI && command.p2 != P2_NO_DATA {
            return Response::status(sw::INCORRECT_P1P2);
        }
        let candidates = self.ports.source.passes_with_aid(aid);
        let chosen = self.ports.source.chosen();
        let pass = match resolve(candidates, chosen.as_ref()) {
            Resolution::Pass(p) => *p,
            Resolution::None => return Response::status(sw::FILE_NOT_FOUND),
            Resolution::Ambiguous(candidates) => {
                log::info!("nfc: {} passes share the AID, none chosen", candidates.len());
                if let Ok(aid) = Aid::new(aid) {
                    self.emit(NfcPassEvent::AidConflict { aid, candidates });
                }
                return Response::status(sw::FILE_NOT_FOUND);
            }
        };
        let data = if command.p2 == P2_NO_DATA { Vec::new() } else { files::fci(&pass.aid) };
        if data.len() > command.ne() {
            return Response::status(sw::WRONG_LENGTH);
        }
        log::info!("nfc: pass {} selected", pass.id);
        self.session = Some(Session {
            pass,
            current: None,
            security: SecurityState::default(),
            read: Vec::new(),
            written: Vec::new(),
            authenticated: false,
        });
        Response::new(data, sw::OK)
    }

    fn select_file(session: &mut Session, command: &Command<'_>) -> Response {
        if command.p1 != SELECT_BY_FID && command.p1 != SELECT_CHILD_EF {
            return Response::status(sw::INCORRECT_P1P2);
        }
        if ![P2_FCI, P2_FCP, P2_NO_DATA].contains(&command.p2) {
            return Response::status(sw::INCORRECT_P1P2);
        }
        let Ok(fid) = <[u8; 2]>::try_from(command.data) else {
            return Response::status(sw::WRONG_LENGTH);
        };
        let Some(file) = session.pass.file(FileId(u16::from_be_bytes(fid))) else {
            return Response::status(sw::FILE_NOT_FOUND);
        };
        let data = if command.p2 == P2_NO_DATA { Vec::new() } else { files::fcp(file) };
        if data.len() > command.ne() {
            return Response::status(sw::WRONG_LENGTH);
        }
        session.current = Some(file.id);
        Response::new(data, sw::OK)
    }

    fn read_binary(session: &mut Session, command: &Command<'_>) -> Response {
        if !command.data.is_empty() || command.le.is_none() {
            return Response::status(sw::WRONG_LENGTH);
        }
        let Some(file) = session.current.and_then(|id| session.pass.file(id)) else {
            return Response::status(status::NO_CURRENT_EF);
        };
        if let Err(refusal) = session.security.check(file.read) {
            return Response::status(refusal);
        }
        let result = files::offset(command.p1, command.p2).and_then(|offset| {
            files::read_range(file.size(), offset, command.ne(), ne_is_max(command))
        });
        match result {
            Ok((range, sw)) => match file.content().get(range) {
                Some(bytes) => {
                    let (id, data) = (file.id, bytes.to_vec());
                    push_once(&mut session.read, id);
                    Response::new(data, sw)
                }
                None => Response::status(sw::UNKNOWN),
            },
            Err(refusal) => Response::status(refusal),
        }
    }

    fn update_binary(&mut self, command: &Command<'_>) -> Response {
        let Some(session) = self.session.as_mut() else {
            return Response::status(sw::CONDITIONS_NOT_SATISFIED);
        };
        if command.data.is_empty() || command.le.is_some() {
            return Response::status(sw::WRONG_LENGTH);
        }
        let Some(file) = session.current.and_then(|id| session.pass.file(id)) else {
            return Response::status(status::NO_CURRENT_EF);
        };
        if let Err(refusal) = session.security.check(file.write) {
            return Response::status(refusal);
        }
        let range = match files::offset(command.p1, command.p2)
            .and_then(|offset| files::write_range(file.size(), offset, command.data.len()))
        {
            Ok(r) => r,
            Err(refusal) => return Response::status(refusal),
        };
        let (pass, id) = (session.pass.id.clone(), file.id);
        // Durable first: the reader hears 9000 only for a committed write.
        if let Err(e) = self.ports.journal.commit_write(&pass, id, range.start, command.data) {
            log::warn!("nfc: write to file {id} of pass {pass} not committed: {e}");
            self.emit(NfcPassEvent::WriteFailed { pass, file: id });
            return Response::status(status::MEMORY_FAILURE);
        }
        let applied = session.pass.file_mut(id).and_then(|f| f.write_at(range.start, command.data));
        push_once(&mut session.written, id);
        match applied {
            Some(()) => Response::status(sw::OK),
            None => Response::status(sw::UNKNOWN),
        }
    }

    fn get_challenge(&mut self, command: &Command<'_>) -> Response {
        if (command.p1, command.p2) != (0, 0) {
            return Response::status(sw::INCORRECT_P1P2);
        }
        let Some(session) = self.session.as_mut() else {
            return Response::status(sw::CONDITIONS_NOT_SATISFIED);
        };
        let exact = command.le == Some(CHALLENGE_LEN);
        if !command.data.is_empty() || !(exact || ne_is_max(command)) {
            return Response::status(sw::WRONG_LENGTH);
        }
        let mut challenge = Zeroizing::new([0u8; CHALLENGE_LEN]);
        self.ports.random.fill(challenge.as_mut_slice());
        session.security.issue(*challenge);
        Response::new(challenge.to_vec(), sw::OK)
    }

    fn external_authenticate(&mut self, command: &Command<'_>) -> Response {
        let Some(session) = self.session.as_mut() else {
            return Response::status(sw::CONDITIONS_NOT_SATISFIED);
        };
        if command.p1 != 0 {
            return Response::status(sw::INCORRECT_P1P2);
        }
        let n = match key_ref(command.p2) {
            Ok(n) => n,
            Err(refusal) => return Response::status(refusal),
        };
        // The challenge is spent by this attempt whatever its outcome.
        let challenge = session.security.take_challenge();
        let Some(key) = session.pass.key(n) else {
            return Response::status(status::REFERENCED_DATA_NOT_FOUND);
        };
        let Some(challenge) = challenge else {
            return Response::status(sw::CONDITIONS_NOT_SATISFIED);
        };
        if command.data.len() != TOKEN_LEN || command.le.is_some() {
            return Response::status(sw::WRONG_LENGTH);
        }
        if key.is_blocked() {
            return Response::status(status::AUTH_BLOCKED);
        }
        let pass = session.pass.id.clone();
        if auth::verify_reader(key, &challenge, command.data) {
            if key.remaining != key.max_tries {
                let max = key.max_tries;
                if let Err(e) = self.ports.journal.commit_tries(&pass, n, max) {
                    log::warn!("nfc: retry counter of pass {pass} not reset: {e}");
                    return Response::status(status::MEMORY_FAILURE);
                }
                if let Some(k) = session.pass.key_mut(n) {
                    k.remaining = max;
                }
            }
            session.security.grant(n);
            session.authenticated = true;
            log::info!("nfc: reader authenticated with key {n} of pass {pass}");
            return Response::status(sw::OK);
        }
        let remaining = key.remaining.saturating_sub(1);
        session.security.revoke(n);
        if let Err(e) = self.ports.journal.commit_tries(&pass, n, remaining) {
            log::warn!("nfc: retry counter of pass {pass} not saved: {e}");
            return Response::status(status::MEMORY_FAILURE);
        }
        if let Some(k) = session.pass.key_mut(n) {
            k.remaining = remaining;
        }
        log::info!("nfc: reader failed key {n} of pass {pass}, {remaining} tries left");
        self.emit(NfcPassEvent::AuthenticationFailed { pass, key: n, remaining });
        Response::status(status::counter(remaining))
    }

    fn internal_authenticate(session: &Session, command: &Command<'_>) -> Response {
        if command.p1 != 0 {
            return Response::status(sw::INCORRECT_P1P2);
        }
        let n = match key_ref(command.p2) {
            Ok(n) => n,
            Err(refusal) => return Response::status(refusal),
        };
        let Some(key) = session.pass.key(n) else {
            return Response::status(status::REFERENCED_DATA_NOT_FOUND);
        };
        let Ok(random) = <[u8; CHALLENGE_LEN]>::try_from(command.data) else {
            return Response::status(sw::WRONG_LENGTH);
        };
        if command.ne() < TOKEN_LEN {
            return Response::status(sw::WRONG_LENGTH);
        }
        if key.is_blocked() {
            return Response::status(status::AUTH_BLOCKED);
        }
        Response::new(auth::card_token(key, &random).to_vec(), sw::OK)
    }
}

impl Applet for NfcPassApplet {
    fn aids(&self) -> &[&'static [u8]] {
        &[]
    }

    fn selects(&self, aid: &[u8]) -> bool {
        AID_LEN.contains(&aid.len()) && self.ports.source.aids().iter().any(|a| a.as_bytes() == aid)
    }

    fn select(&mut self, aid: &[u8], command: &Command<'_>) -> Response {
        self.select_aid(aid, command)
    }

    fn process(&mut self, command: &Command<'_>) -> Response {
        if command.cla != CLA_ISO {
            return Response::status(sw::CLA_NOT_SUPPORTED);
        }
        if command.ins == INS_UPDATE_BINARY {
            return self.update_binary(command);
        }
        if command.ins == INS_GET_CHALLENGE {
            return self.get_challenge(command);
        }
        if command.ins == INS_EXTERNAL_AUTHENTICATE {
            return self.external_authenticate(command);
        }
        let Some(session) = self.session.as_mut() else {
            return match command.ins {
                INS_SELECT | INS_READ_BINARY | INS_INTERNAL_AUTHENTICATE => {
                    Response::status(sw::CONDITIONS_NOT_SATISFIED)
                }
                _ => Response::status(sw::INS_NOT_SUPPORTED),
            };
        };
        match command.ins {
            INS_SELECT => NfcPassApplet::select_file(session, command),
            INS_READ_BINARY => NfcPassApplet::read_binary(session, command),
            INS_INTERNAL_AUTHENTICATE => NfcPassApplet::internal_authenticate(session, command),
            _ => Response::status(sw::INS_NOT_SUPPORTED),
        }
    }

    fn deactivate(&mut self, reason: Deactivation) {
        log::debug!("nfc: deactivated ({reason:?})");
        self.finish();
    }
}

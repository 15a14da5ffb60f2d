//! Issuer NFC passes in the encrypted store (issue 15): one sealed [`NfcPassRecord`] per
//! pass — AID, files with their contents, keys with their retry counters — in the
//! `nfc_passes` table, under the root key like every record. Key values and file contents
//! are held in zeroizing strings and never appear in `Debug` or logs.
//!
//! The store implements the core's [`NfcPassSource`] and [`NfcPassJournal`]. A reader's
//! write and a retry-counter change are each **one redb write transaction** committed with
//! redb's default durability (`fsync` before `commit` returns; [`Store::journal`]), so what
//! the reader hears acknowledged survives a crash. Records are re-validated through the
//! core model when read: a record that decrypts but breaks a model rule is an integrity
//! error, not a pass.
//!
//! The user's chosen pass (two passes on one AID) is the setting `nfc.chosen`.
//!
//! Issuer callbacks ([`hce_wallet_core::nfc_pass::callback`]): [`Store::receive_nfc_pass`],
//! [`Store::delete_nfc_pass`] and [`Store::record_nfc_swipe`] write the outbox entry in the
//! same transaction as the change (or, for a swipe, durably before it is reported), so a
//! restart loses no callback and sends none for what did not happen.

use hce_wallet_core::nfc_pass::callback::{self, CallbackEvent};
use hce_wallet_core::nfc_pass::issuer::{self, IssuerError};
use hce_wallet_core::nfc_pass::model::{
    Access, Aid, FileId, KeyAlgorithm, KeyNumber, NfcFile, NfcKey, NfcPass, NfcPassState, PassId,
};
use hce_wallet_core::nfc_pass::ports::{
    apply_tries, apply_write, NfcJournalError, NfcPassJournal, NfcPassSource,
};
use hce_wallet_core::time::Timestamp;
use redb::{ReadableDatabase, ReadableTableMetadata};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::codec::{all, delete, get, put};
use crate::error::{Result, StoreError};
use crate::outbox::enqueue_in;
use crate::records::{Record, SecretString};
use crate::schema::CURRENT_SCHEMA;
use crate::store::Store;
use crate::tables::{NFC_PASSES, NFC_PASSES_T};

/// Most NFC passes one store holds (every SELECT of an issuer AID reads them all).
pub const MAX_NFC_PASSES: usize = 64;
/// The setting naming the user's chosen NFC pass.
pub const CHOSEN_SETTING: &str = "nfc.chosen";

/// A read or write condition as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessRecord {
    Always,
    Key(u8),
    Never,
}

/// One file as stored; `content` is hex in a zeroizing string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NfcFileRecord {
    pub id: u16,
    pub size: usize,
    pub content: SecretString,
    pub read: AccessRecord,
    pub write: AccessRecord,
    pub remark: String,
}

/// One key as stored; `value` is hex in a zeroizing string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NfcKeyRecord {
    pub number: u8,
    pub tdes: bool,
    pub value: SecretString,
    pub max_tries: u8,
    pub remaining: u8,
}

/// Everything about one NFC pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NfcPassRecord {
    pub pass_id: String,
    pub organization: String,
    pub aid: Vec<u8>,
    pub suspended: bool,
    pub callback_url: Option<String>,
    pub sync_across_devices: bool,
    pub files: Vec<NfcFileRecord>,
    pub keys: Vec<NfcKeyRecord>,
    /// The issuer's public key (SEC1) for signed requests.
    #[serde(default)]
    pub issuer_key: Option<Vec<u8>>,
    /// Last issuer request sequence applied.
    #[serde(default)]
    pub issuer_seq: u64,
}

impl Record for NfcPassRecord {
    const TABLE: &'static str = NFC_PASSES;
    fn raw_key(&self) -> Vec<u8> {
        self.pass_id.as_bytes().to_vec()
    }
}

fn access_record(a: Access) -> AccessRecord {
    match a {
        Access::Always => AccessRecord::Always,
        Access::Key(k) => AccessRecord::Key(k.get()),
        Access::Never => AccessRecord::Never,
    }
}

fn secret_hex(bytes: &[u8]) -> SecretString {
    SecretString(Zeroizing::new(hex::encode(bytes)))
}

impl NfcPassRecord {
    pub fn from_pass(p: &NfcPass) -> NfcPassRecord {
        NfcPassRecord {
            pass_id: p.id.as_str().to_owned(),
            organization: p.organization.clone(),
            aid: p.aid.as_bytes().to_vec(),
            suspended: p.state == NfcPassState::Suspended,
            callback_url: p.callback_url.clone(),
            sync_across_devices: p.sync_across_devices,
            files: p
                .files()
                .iter()
                .map(|f| NfcFileRecord {
                    id: f.id.0,
                    size: f.size(),
                    content: secret_hex(f.content()),
                    read: access_record(f.read),
                    write: access_record(f.write),
                    remark: f.remark.clone(),
                })
                .collect(),
            keys: p
                .keys()
                .iter()
                .map(|k| NfcKeyRecord {
                    number: k.number.get(),
                    tdes: k.algorithm == KeyAlgorithm::Tdes2Key,
                    value: secret_hex(k.value()),
                    max_tries: k.max_tries,
                    remaining: k.remaining,
                })
                .collect(),
            issuer_key: p.issuer_key.clone(),
            issuer_seq: p.issuer_seq,
        }
    }

    /// The pass, validated by the core model; a record that breaks a rule is refused.
    pub fn to_pass(&self) -> Result<NfcPass> {
        let bad = |reason: String| StoreError::Invalid(format!("NFC pass record: {reason}"));
        let unhex = |s: &SecretString| {
            hex::decode(s.expose()).map(Zeroizing::new).map_err(|e| bad(e.to_string()))
        };
        let access = |a: AccessRecord| -> Result<Access> {
            Ok(match a {
                AccessRecord::Always => Access::Always,
                AccessRecord::Never => Access::Never,
                AccessRecord::Key(n) => {
                    Access::Key(KeyNumber::new(n).map_err(|e| bad(e.to_string()))?)
                }
            })
        };
        let mut files = Vec::with_capacity(self.files.len());
        for f in &self.files {
            let content = unhex(&f.content)?;
            files.push(
                NfcFile::new(
                    f.id,
                    f.size,
                    &content,
                    access(f.read)?,
                    access(f.write)?,
                    f.remark.clone(),
                )
                .map_err(|e| bad(e.to_string()))?,
            );
        }
        let mut keys = Vec::with_capacity(self.keys.len());
        for k in &self.keys {
            let algorithm = if k.tdes { KeyAlgorithm::Tdes2Key } else { KeyAlgorithm::Aes128 };
            let mut key = NfcKey::new(k.number, algorithm, &unhex(&k.value)?, k.max_tries)
                .map_err(|e| bad(e.to_string()))?;
            key.remaining = k.remaining.min(k.max_tries);
            keys.push(key);
        }
        let id = PassId::new(self.pass_id.clone()).map_err(|e| bad(e.to_string()))?;
        let aid = Aid::new(&self.aid).map_err(|e| bad(e.to_string()))?;
        let mut pass = NfcPass::new(id, self.organization.clone(), aid, files, keys)
            .map_err(|e| bad(e.to_string()))?;
        pass.state = if self.suspended { NfcPassState::Suspended } else { NfcPassState::Active };
        pass.callback_url = self.callback_url.clone();
        pass.sync_across_devices = self.sync_across_devices;
        pass.issuer_key = self.issuer_key.clone();
        pass.issuer_seq = self.issuer_seq;
        Ok(pass)
    }
}

impl Store {
    /// Adds or replaces (same pass ID) an NFC pass.
    pub fn put_nfc_pass(&self, pass: &NfcPass) -> Result<()> {
        let rec = NfcPassRecord::from_pass(pass);
        self.write(|txn, crypto| {
            let mut t = txn.open_table(NFC_PASSES_T)?;
            let exists = get::<NfcPassRecord>(&t, crypto, CURRENT_SCHEMA, rec.pass_id.as_bytes())?;
            if exists.is_none() && t.len()? >= MAX_NFC_PASSES as u64 {
                return Err(StoreError::Invalid(format!("at most {MAX_NFC_PASSES} NFC passes")));
            }
            put(&mut t, crypto, CURRENT_SCHEMA, &rec)
        })
    }

    /// Every NFC pass, in pass-ID order.
    pub fn nfc_passes(&self) -> Result<Vec<NfcPass>> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        let mut recs: Vec<NfcPassRecord> =
            all(&txn.open_table(NFC_PASSES_T)?, &crypto, CURRENT_SCHEMA)?;
        recs.sort_by(|a, b| a.pass_id.cmp(&b.pass_id));
        recs.iter().map(NfcPassRecord::to_pass).collect()
    }

    /// One NFC pass.
    pub fn nfc_pass(&self, id: &PassId) -> Result<Option<NfcPass>> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        let rec: Option<NfcPassRecord> =
            get(&txn.open_table(NFC_PASSES_T)?, &crypto, CURRENT_SCHEMA, id.as_str().as_bytes())?;
        rec.as_ref().map(NfcPassRecord::to_pass).transpose()
    }

    /// Removes an NFC pass; whether it existed.
    pub fn remove_nfc_pass(&self, id: &PassId) -> Result<bool> {
        self.write(|txn, crypto| {
            delete::<NfcPassRecord>(
                &mut txn.open_table(NFC_PASSES_T)?,
                crypto,
                id.as_str().as_bytes(),
            )
        })
    }

    /// Adds a pass the user received and queues its `RECEIVE` callback, in one transaction.
    pub fn receive_nfc_pass(&self, pass: &NfcPass, event_id: &str, now: Timestamp) -> Result<()> {
        let rec = NfcPassRecord::from_pass(pass);
        let entry = callback::entry(pass, &CallbackEvent::Receive, event_id, now)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.write(|txn, crypto| {
            let mut t = txn.open_table(NFC_PASSES_T)?;
            let exists = get::<NfcPassRecord>(&t, crypto, CURRENT_SCHEMA, rec.pass_id.as_bytes())?;
            if exists.is_none() && t.len()? >= MAX_NFC_PASSES as u64 {
                return Err(StoreError::Invalid(format!("at most {MAX_NFC_PASSES} NFC passes")));
            }
            put(&mut t, crypto, CURRENT_SCHEMA, &rec)?;
            drop(t);
            if let Some(entry) = entry {
                enqueue_in(txn, crypto, entry)?;
            }
            Ok(())
        })
    }

    /// Removes a pass the user deleted and queues its `DELETE` callback, in one transaction;
    /// whether it existed.
    pub fn delete_nfc_pass(&self, id: &PassId, event_id: &str, now: Timestamp) -> Result<bool> {
        self.write(|txn, crypto| {
            let mut t = txn.open_table(NFC_PASSES_T)?;
            let Some(rec) =
                get::<NfcPassRecord>(&t, crypto, CURRENT_SCHEMA, id.as_str().as_bytes())?
            else {
                return Ok(false);
            };
            delete::<NfcPassRecord>(&mut t, crypto, id.as_str().as_bytes())?;
            drop(t);
            let entry = callback::entry(&rec.to_pass()?, &CallbackEvent::Delete, event_id, now)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            if let Some(entry) = entry {
                enqueue_in(txn, crypto, entry)?;
            }
            Ok(true)
        })
    }

    /// Queues the `SWIPE_CARD` callback of one field session durably (a journal write);
    /// whether one was queued (the pass exists and has a callback URL).
    pub fn record_nfc_swipe(
        &self,
        id: &PassId,
        swipe: &CallbackEvent,
        event_id: &str,
        now: Timestamp,
    ) -> Result<bool> {
        self.journal(false, |txn, crypto| {
            let t = txn.open_table(NFC_PASSES_T)?;
            let Some(rec) =
                get::<NfcPassRecord>(&t, crypto, CURRENT_SCHEMA, id.as_str().as_bytes())?
            else {
                return Ok(false);
            };
            drop(t);
            let entry = callback::entry(&rec.to_pass()?, swipe, event_id, now)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            match entry {
                Some(entry) => enqueue_in(txn, crypto, entry).map(|_| true),
                None => Ok(false),
            }
        })
    }

    /// Verifies and applies a signed issuer request to pass `id` in one transaction (the
    /// read or write and the new sequence number together): the bytes read (empty for a
    /// write), or the refusal, with nothing changed.
    pub fn apply_issuer_request(
        &self,
        id: &PassId,
        bytes: &[u8],
    ) -> Result<std::result::Result<Vec<u8>, IssuerError>> {
        self.write(|txn, crypto| {
            let mut t = txn.open_table(NFC_PASSES_T)?;
            let Some(rec) =
                get::<NfcPassRecord>(&t, crypto, CURRENT_SCHEMA, id.as_str().as_bytes())?
            else {
                return Err(StoreError::Invalid(format!("no NFC pass {id}")));
            };
            let mut pass = rec.to_pass()?;
            let answer = issuer::verify(bytes, &pass).and_then(|r| issuer::apply(&mut pass, &r));
            if answer.is_ok() {
                put(&mut t, crypto, CURRENT_SCHEMA, &NfcPassRecord::from_pass(&pass))?;
            }
            Ok(answer)
        })
    }

    /// The user's choice among passes sharing an AID (`None` clears it).
    pub fn choose_nfc_pass(&self, id: Option<&PassId>) -> Result<()> {
        self.set_setting(CHOSEN_SETTING, id.map_or("", PassId::as_str))
    }

    /// Reads, changes and writes one record in one durable journal transaction.
    fn nfc_journal(
        &self,
        pass: &PassId,
        change: impl FnOnce(&mut NfcPass) -> std::result::Result<(), NfcJournalError>,
    ) -> std::result::Result<(), NfcJournalError> {
        let outcome = self.journal(false, |txn, crypto| {
            let mut t = txn.open_table(NFC_PASSES_T)?;
            let Some(rec) =
                get::<NfcPassRecord>(&t, crypto, CURRENT_SCHEMA, pass.as_str().as_bytes())?
            else {
                return Ok(Err(NfcJournalError::UnknownPass));
            };
            let mut p = rec.to_pass()?;
            if let Err(e) = change(&mut p) {
                return Ok(Err(e));
            }
            put(&mut t, crypto, CURRENT_SCHEMA, &NfcPassRecord::from_pass(&p))?;
            Ok(Ok(()))
        });
        match outcome {
            Ok(result) => result,
            Err(e) => Err(NfcJournalError::Storage(e.to_string())),
        }
    }
}

impl NfcPassSource for Store {
    fn aids(&self) -> Vec<Aid> {
        let mut aids: Vec<Aid> = match self.nfc_passes() {
            Ok(passes) => passes
                .into_iter()
                .filter(|p| p.state == NfcPassState::Active)
                .map(|p| p.aid)
                .collect(),
            Err(e) => {
                log::warn!("store: NFC passes unreadable: {e}");
                Vec::new()
            }
        };
        aids.sort();
        aids.dedup();
        aids
    }
    fn passes_with_aid(&self, aid: &[u8]) -> Vec<NfcPass> {
        match self.nfc_passes() {
            Ok(passes) => passes.into_iter().filter(|p| p.aid.as_bytes() == aid).collect(),
            Err(e) => {
                log::warn!("store: NFC passes unreadable: {e}");
                Vec::new()
            }
        }
    }
    fn chosen(&self) -> Option<PassId> {
        self.setting(CHOSEN_SETTING).ok().flatten().and_then(|s| PassId::new(s).ok())
    }
}

impl NfcPassJournal for Store {
    fn commit_write(
        &self,
        pass: &PassId,
        file: FileId,
        offset: usize,
        data: &[u8],
    ) -> std::result::Result<(), NfcJournalError> {
        self.nfc_journal(pass, |p| apply_write(p, file, offset, data))
    }
    fn commit_tries(
        &self,
        pass: &PassId,
        key: KeyNumber,
        remaining: u8,
    ) -> std::result::Result<(), NfcJournalError> {
        self.nfc_journal(pass, |p| apply_tries(p, key, remaining))
    }
}

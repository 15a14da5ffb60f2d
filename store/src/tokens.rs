//! Payment tokens in the encrypted store (payment spec §12, §13, §17.2): one sealed
//! [`PaymentTokenRecord`] per token holding its card data, life-cycle state and history,
//! its limited-use keys (zeroizing), its ATC and its transaction log.
//!
//! The store implements the core's [`TokenSource`] and [`PaymentJournal`]: a
//! [`PaymentJournal::commit`] is **one redb write transaction** (checked ATC = last + 1,
//! key use counted, log entry appended) committed with redb's default durability
//! (`fsync` before `commit` returns), so the ATC is durable before the applet's answer
//! leaves; a crash before the commit sent nothing, a crash after it lost nothing (redb is
//! copy-on-write: a torn commit is rolled back to the previous one). Token writes do not
//! rebuild the pass tap snapshot (tokens are not in it), so a tap's commit costs one small
//! sealed write.
//!
//! Life-cycle changes load every token record into a core [`TokenBook`], apply the
//! operation there (so the invariants are the core's, one implementation) and write back
//! the records that changed, in the same transaction.
//!
//! Keys are sealed under the device's root key like every record: a file copied to another
//! device (another root key) does not open. CDCVM ("verified until") and the per-tap
//! token pick are volatile: they never outlive the process.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};

use hce_wallet_core::events::PaymentEvent;
use hce_wallet_core::key_bundle::PinnedRoots;
use hce_wallet_core::payment::lifecycle::{
    operation_name, DeviceEvent, HistoryEntry, Hold, LifecycleError, TokenBook,
    TokenRecord as BookRecord, Transition,
};
use hce_wallet_core::payment::ports::{
    CurrentKey, JournalError, PaymentJournal, TapToken, TokenSource, Verification,
};
use hce_wallet_core::payment::provisioning::{
    verify_provisioning, verify_status, ProvisioningError,
};
use hce_wallet_core::payment::token::{
    check_next_atc, AidProfile, Atc, CardRef, CvmPolicy, Expiry, KeyBatch, KeyBudget,
    KeyThresholds, KeyUsage, LimitedUseKey, Mpan, Origin, Product, ReasonCode, Token, TokenId,
    TokenState, TransactionLogEntry, KEY_INDEX_LEN, LUK_LEN,
};
use hce_wallet_core::sync::OutboxEntry;
use hce_wallet_core::time::Timestamp;
use redb::{ReadableDatabase, WriteTransaction};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::codec::{all, get, put, Crypto};
use crate::error::{Result, StoreError};
use crate::records::{Record, SecretString, SettingRecord};
use crate::schema::CURRENT_SCHEMA;
use crate::store::Store;
use crate::tables::{PAYMENT_TOKENS, PAYMENT_TOKENS_T, SETTINGS, SETTINGS_T};

/// Transaction-log entries kept per token (oldest dropped first; replenishment evidence).
pub const MAX_TOKEN_LOG: usize = 64;
/// Keys with this many transactions left (or fewer) count as low.
pub const LOW_KEYS: u32 = 2;

/// One limited-use key as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LukRecord {
    /// The 16 key bytes as hex, in a zeroizing string.
    pub key: SecretString,
    pub key_index: [u8; KEY_INDEX_LEN],
    pub issued_at: i64,
    pub max_transactions: u32,
    pub lifetime_secs: i64,
    pub max_cumulative_amount: u64,
    pub used_transactions: u32,
    pub used_amount: u64,
}

/// One transaction-log entry as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenLogRecord {
    pub atc: u16,
    pub key_index: [u8; KEY_INDEX_LEN],
    pub un: [u8; 4],
    pub amount: u64,
    pub currency: u16,
    pub date: [u8; 3],
    pub transaction_type: u8,
    pub cdcvm: bool,
    pub cryptogram: Option<([u8; 8], u8)>,
    pub at: i64,
}

/// One life-cycle history entry as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenHistoryRecord {
    pub at: i64,
    pub from: Option<TokenState>,
    pub to: TokenState,
    pub origin: Origin,
    pub reason: Option<ReasonCode>,
    pub operation: String,
}

/// Everything about one token (schema 3). Sensitive fields are zeroizing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentTokenRecord {
    pub token_ref: String,
    pub card_ref: String,
    pub mpan: SecretString,
    pub expiry_year: u16,
    pub expiry_month: u8,
    pub psn: u8,
    pub product: Product,
    pub token_requestor_id: Option<String>,
    pub par: Option<String>,
    pub aid: Vec<u8>,
    pub label: String,
    pub kernel_id: Option<u8>,
    pub issuer_country: u16,
    pub cvm_policy: CvmPolicy,
    pub card_art: Option<String>,
    pub state: TokenState,
    pub holds: Vec<Hold>,
    pub is_default: bool,
    pub loaded_at: i64,
    pub last_used: Option<i64>,
    pub history: Vec<TokenHistoryRecord>,
    pub atc: u16,
    pub keys: Vec<LukRecord>,
    pub log: Vec<TokenLogRecord>,
}

impl Record for PaymentTokenRecord {
    const TABLE: &'static str = PAYMENT_TOKENS;
    fn raw_key(&self) -> Vec<u8> {
        self.token_ref.as_bytes().to_vec()
    }
}

fn invalid(what: &str) -> StoreError {
    StoreError::Integrity { table: PAYMENT_TOKENS, reason: leak_reason(what) }
}

/// Integrity reasons are `&'static str`; token records have a fixed set of them.
fn leak_reason(what: &str) -> &'static str {
    match what {
        "mpan" => "token record: invalid MPAN",
        "expiry" => "token record: invalid expiry",
        "ids" => "token record: invalid reference",
        "key" => "token record: invalid key",
        _ => "token record: invalid",
    }
}

impl PaymentTokenRecord {
    fn token(&self) -> Result<Token> {
        Ok(Token {
            id: TokenId::new(self.token_ref.clone()).map_err(|_| invalid("ids"))?,
            card: CardRef::new(self.card_ref.clone()).map_err(|_| invalid("ids"))?,
            mpan: Mpan::new(self.mpan.expose()).map_err(|_| invalid("mpan"))?,
            expiry: Expiry::new(self.expiry_year, self.expiry_month)
                .map_err(|_| invalid("expiry"))?,
            psn: self.psn,
            product: self.product,
            token_requestor_id: self.token_requestor_id.clone(),
            par: self.par.clone(),
            profile: AidProfile {
                aid: self.aid.clone(),
                label: self.label.clone(),
                kernel_id: self.kernel_id,
                issuer_country: self.issuer_country,
                cvm_policy: self.cvm_policy,
            },
            card_art: self.card_art.clone(),
        })
    }

    fn book_record(&self) -> Result<BookRecord> {
        Ok(BookRecord {
            token: self.token()?,
            state: self.state,
            holds: self.holds.iter().copied().collect::<BTreeSet<Hold>>(),
            loaded_at: Timestamp(self.loaded_at),
            last_used: self.last_used.map(Timestamp),
            history: self
                .history
                .iter()
                .map(|h| HistoryEntry {
                    at: Timestamp(h.at),
                    from: h.from,
                    to: h.to,
                    origin: h.origin,
                    reason: h.reason,
                    operation: operation_name(&h.operation),
                })
                .collect(),
        })
    }

    /// Copies the life-cycle part of `r` into this record (card data included: an issuer
    /// update may replace the MPAN or the expiry).
    fn set_book_record(&mut self, r: &BookRecord, is_default: bool) {
        let t = &r.token;
        self.card_ref = t.card.as_str().to_owned();
        self.mpan = SecretString::new(t.mpan.digits());
        self.expiry_year = t.expiry.year();
        self.expiry_month = t.expiry.month();
        self.psn = t.psn;
        self.card_art = t.card_art.clone();
        let entering = self.state != r.state;
        self.state = r.state;
        self.holds = r.holds.iter().copied().collect();
        self.is_default = is_default;
        self.last_used = r.last_used.map(|t| t.0);
        self.history = r
            .history
            .iter()
            .map(|h| TokenHistoryRecord {
                at: h.at.0,
                from: h.from,
                to: h.to,
                origin: h.origin,
                reason: h.reason,
                operation: h.operation.to_owned(),
            })
            .collect();
        // On entering Deleted: keys wiped (§12.3), whatever the token was before. On
        // entering Pending again (restore): keys are device-bound and the token must be
        // re-provisioned with a fresh batch (kept once it arrives; a Pending token never
        // activated keeps the batch it was loaded with).
        let was_active = r.history.iter().any(|h| h.to == TokenState::Active);
        if entering
            && (r.state == TokenState::Deleted || (r.state == TokenState::Pending && was_active))
        {
            self.keys.clear();
        }
    }

    fn new(token: &Token, keys: &[LimitedUseKey], loaded_at: Timestamp) -> PaymentTokenRecord {
        PaymentTokenRecord {
            token_ref: token.id.as_str().to_owned(),
            card_ref: token.card.as_str().to_owned(),
            mpan: SecretString::new(token.mpan.digits()),
            expiry_year: token.expiry.year(),
            expiry_month: token.expiry.month(),
            psn: token.psn,
            product: token.product,
            token_requestor_id: token.token_requestor_id.clone(),
            par: token.par.clone(),
            aid: token.profile.aid.clone(),
            label: token.profile.label.clone(),
            kernel_id: token.profile.kernel_id,
            issuer_country: token.profile.issuer_country,
            cvm_policy: token.profile.cvm_policy,
            card_art: token.card_art.clone(),
            state: TokenState::Pending,
            holds: Vec::new(),
            is_default: false,
            loaded_at: loaded_at.0,
            last_used: None,
            history: Vec::new(),
            atc: 0,
            keys: keys.iter().map(|k| luk_record(k, KeyUsage::default())).collect(),
            log: Vec::new(),
        }
    }

    /// What this token's keys can still pay at `now` (§9.2; `LOW_KEYS` marks low), read
    /// from this record: no second store read.
    pub fn key_budget(&self, now: Timestamp) -> KeyBudget {
        self.batch().map_or(KeyBudget::NoKey, |b| b.current(now, LOW_KEYS).budget)
    }

    fn batch(&self) -> Result<KeyBatch> {
        let mut keys = Vec::with_capacity(self.keys.len());
        for k in &self.keys {
            let mut bytes = Zeroizing::new([0u8; LUK_LEN]);
            hex_decode(k.key.expose(), bytes.as_mut()).ok_or_else(|| invalid("key"))?;
            keys.push((
                LimitedUseKey {
                    key: bytes,
                    key_index: k.key_index,
                    issued_at: Timestamp(k.issued_at),
                    thresholds: KeyThresholds {
                        max_transactions: k.max_transactions,
                        lifetime_secs: k.lifetime_secs,
                        max_cumulative_amount: k.max_cumulative_amount,
                    },
                },
                KeyUsage { transactions: k.used_transactions, cumulative_amount: k.used_amount },
            ));
        }
        Ok(KeyBatch { keys })
    }

    fn set_batch(&mut self, batch: &KeyBatch) {
        self.keys = batch.keys.iter().map(|(k, u)| luk_record(k, *u)).collect();
    }
}

fn luk_record(k: &LimitedUseKey, usage: KeyUsage) -> LukRecord {
    let mut hex = String::with_capacity(LUK_LEN * 2);
    for b in k.key.iter() {
        hex.push_str(&format!("{b:02x}"));
    }
    let key = SecretString::new(hex.as_str());
    // The temporary `hex` is wiped too.
    drop(Zeroizing::new(hex));
    LukRecord {
        key,
        key_index: k.key_index,
        issued_at: k.issued_at.0,
        max_transactions: k.thresholds.max_transactions,
        lifetime_secs: k.thresholds.lifetime_secs,
        max_cumulative_amount: k.thresholds.max_cumulative_amount,
        used_transactions: usage.transactions,
        used_amount: usage.cumulative_amount,
    }
}

fn hex_decode(s: &str, out: &mut [u8]) -> Option<()> {
    if s.len() != out.len().checked_mul(2)? {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        let pair = s.get(i * 2..i * 2 + 2)?;
        *o = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(())
}

fn log_entry(r: &TokenLogRecord) -> TransactionLogEntry {
    TransactionLogEntry {
        atc: Atc(r.atc),
        key_index: r.key_index,
        unpredictable_number: r.un,
        amount: r.amount,
        currency: r.currency,
        date: r.date,
        transaction_type: r.transaction_type,
        cdcvm: r.cdcvm,
        cryptogram: r.cryptogram,
        at: Timestamp(r.at),
    }
}

/// Why a token operation on the store was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    #[error(transparent)]
    Provisioning(#[from] ProvisioningError),
    #[error("status message event {index} refused: {error}")]
    StatusRefused { index: usize, error: LifecycleError },
    #[error("the replenishment answer is for token {got:?}, not {asked:?}")]
    NotReplenishment { asked: String, got: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Volatile per-process payment state: never written to disk.
#[derive(Debug, Default)]
pub(crate) struct PaymentSession {
    verification: Verification,
    picked: Option<TokenId>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

type Records = Vec<PaymentTokenRecord>;

pub(crate) fn load_all(txn: &WriteTransaction, crypto: &Crypto) -> Result<Records> {
    let t = txn.open_table(PAYMENT_TOKENS_T)?;
    Ok(in_load_order(all(&t, crypto, CURRENT_SCHEMA)?))
}

/// Records come out of the table in blinded-key order; the book (and its promotion rule,
/// "earliest loaded") wants load order.
fn in_load_order(mut records: Records) -> Records {
    records
        .sort_by(|a, b| a.loaded_at.cmp(&b.loaded_at).then_with(|| a.token_ref.cmp(&b.token_ref)));
    records
}

fn book_of(records: &Records) -> Result<TokenBook> {
    let default =
        records.iter().find(|r| r.is_default).and_then(|r| TokenId::new(r.token_ref.clone()).ok());
    let book = records.iter().map(|r| r.book_record()).collect::<Result<Vec<_>>>()?;
    Ok(TokenBook::from_records(book, default))
}

/// Settings holding the last applied sequences of the token service's messages.
const PROVISIONING_SEQ: &str = "payment.provisioning_seq";
const STATUS_SEQ: &str = "payment.status_seq";

fn read_seq(txn: &WriteTransaction, crypto: &Crypto, name: &str) -> Result<u64> {
    let t = txn.open_table(SETTINGS_T)?;
    let rec: Option<SettingRecord> = get(&t, crypto, CURRENT_SCHEMA, name.as_bytes())?;
    Ok(rec.and_then(|r| r.value.parse().ok()).unwrap_or(0))
}

fn write_seq(txn: &WriteTransaction, crypto: &Crypto, name: &str, seq: u64) -> Result<()> {
    let rec = SettingRecord { name: name.into(), value: seq.to_string() };
    put(&mut txn.open_table(SETTINGS_T)?, crypto, CURRENT_SCHEMA, &rec)
}

/// The setting holding the queue of user requests for the token service.
const USER_REQUESTS: &str = "payment.user_requests";

pub use hce_wallet_core::payment::token_service::UserRequestKind;

/// One user request queued for the token service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTokenRequest {
    /// Increasing; [`Store::acknowledge_token_requests`] takes it.
    pub seq: u64,
    pub token_ref: String,
    pub kind: UserRequestKind,
    /// When the user asked, ms since the epoch.
    pub at: i64,
    /// The outbox event that carries it to the token service (its `Idempotency-Key`);
    /// a status message confirming or refusing the request names it.
    #[serde(default)]
    pub event_id: Option<String>,
}

pub(crate) fn read_requests(
    txn: &WriteTransaction,
    crypto: &Crypto,
) -> Result<Vec<UserTokenRequest>> {
    let t = txn.open_table(SETTINGS_T)?;
    let rec: Option<SettingRecord> = get(&t, crypto, CURRENT_SCHEMA, USER_REQUESTS.as_bytes())?;
    match rec {
        Some(r) => serde_json::from_str(&r.value)
            .map_err(|_| StoreError::Integrity { table: SETTINGS, reason: "token requests" }),
        None => Ok(Vec::new()),
    }
}

pub(crate) fn write_requests(
    txn: &WriteTransaction,
    crypto: &Crypto,
    q: &[UserTokenRequest],
) -> Result<()> {
    let value = serde_json::to_string(q).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let rec = SettingRecord { name: USER_REQUESTS.into(), value };
    put(&mut txn.open_table(SETTINGS_T)?, crypto, CURRENT_SCHEMA, &rec)
}

/// Loads every token into a [`TokenBook`], runs `f` on it, and writes back the records
/// that changed (a token the change adds is written with `new_keys`) — inside the caller's
/// transaction. `Ok(Err(_))`: `f` refused, nothing written.
fn change_book_in(
    txn: &WriteTransaction,
    crypto: &Crypto,
    new_keys: &[LimitedUseKey],
    f: impl FnOnce(&mut TokenBook) -> std::result::Result<Vec<PaymentEvent>, LifecycleError>,
) -> Result<std::result::Result<Vec<PaymentEvent>, LifecycleError>> {
    let mut records = load_all(txn, crypto)?;
    let mut book = book_of(&records)?;
    let events = match f(&mut book) {
        Ok(e) => e,
        Err(e) => return Ok(Err(e)),
    };
    let default = book.default_token().cloned();
    let mut t = txn.open_table(PAYMENT_TOKENS_T)?;
    for r in book.records() {
        let is_default = default.as_ref() == Some(&r.token.id);
        let pos = records.iter().position(|rec| rec.token_ref == r.token.id.as_str());
        let (rec, before) = match pos.and_then(|i| records.get_mut(i)) {
            Some(rec) => {
                let before = Some(rec.clone());
                (rec, before)
            }
            None => {
                records.push(PaymentTokenRecord::new(&r.token, new_keys, r.loaded_at));
                match records.last_mut() {
                    Some(rec) => (rec, None),
                    None => continue,
                }
            }
        };
        rec.set_book_record(r, is_default);
        if before.as_ref() != Some(rec) {
            put(&mut t, crypto, CURRENT_SCHEMA, rec)?;
        }
    }
    Ok(Ok(events))
}

impl Store {
    pub(crate) fn payment_session(&self) -> MutexGuard<'_, PaymentSession> {
        lock(&self.payment)
    }

    /// Runs a life-cycle change on the book of all tokens and writes back what changed,
    /// in one write transaction (no pass-snapshot rebuild: tokens are not in it). A token
    /// the change adds (a load) is written with `new_keys`.
    fn change_book(
        &self,
        new_keys: &[LimitedUseKey],
        f: impl FnOnce(&mut TokenBook) -> std::result::Result<Vec<PaymentEvent>, LifecycleError>,
    ) -> std::result::Result<Vec<PaymentEvent>, TokenError> {
        self.journal(false, |txn, crypto| {
            Ok(change_book_in(txn, crypto, new_keys, f)?.map_err(TokenError::from))
        })?
    }

    /// Provisions (or, for a token already held, replenishes) from a **signed** payload of
    /// the pinned token service (payment spec §9.2, §12.3): verified against `roots`, for
    /// `device`, with a sequence above the last one applied — the check, the token and the
    /// new sequence in one transaction, so a replayed or older payload is refused even
    /// after a crash or a restore of an old file's setting. A second token for a card with a
    /// live one is refused. Nothing changes on any refusal.
    pub fn provision_signed(
        &self,
        payload: &[u8],
        roots: &PinnedRoots,
        device: &str,
        now: Timestamp,
    ) -> std::result::Result<Vec<PaymentEvent>, TokenError> {
        self.provision_signed_for(payload, roots, device, None, now).map(|(events, _)| events)
    }

    /// [`provision_signed`](Self::provision_signed) for the answer to a replenishment
    /// request: refused unless it is a key batch for `token`, held and not Deleted (a
    /// token service answering with another or a new token changes nothing). Returns the
    /// number of keys added.
    pub fn replenish_signed(
        &self,
        payload: &[u8],
        roots: &PinnedRoots,
        device: &str,
        token: &TokenId,
        now: Timestamp,
    ) -> std::result::Result<u32, TokenError> {
        let (_, added) = self.provision_signed_for(payload, roots, device, Some(token), now)?;
        Ok(u32::try_from(added).unwrap_or(u32::MAX))
    }

    fn provision_signed_for(
        &self,
        payload: &[u8],
        roots: &PinnedRoots,
        device: &str,
        replenishing: Option<&TokenId>,
        now: Timestamp,
    ) -> std::result::Result<(Vec<PaymentEvent>, usize), TokenError> {
        self.journal(false, |txn, crypto| {
            let last = read_seq(txn, crypto, PROVISIONING_SEQ)?;
            let p = match verify_provisioning(payload, roots, device, last) {
                Ok(p) => p,
                Err(e) => return Ok(Err(TokenError::Provisioning(e))),
            };
            if let Some(want) = replenishing {
                if &p.token.id != want {
                    return Ok(Err(TokenError::NotReplenishment {
                        asked: want.as_str().to_owned(),
                        got: p.token.id.as_str().to_owned(),
                    }));
                }
                let held = get::<PaymentTokenRecord>(
                    &txn.open_table(PAYMENT_TOKENS_T)?,
                    crypto,
                    CURRENT_SCHEMA,
                    want.as_str().as_bytes(),
                )?;
                if held.is_none_or(|r| r.state == TokenState::Deleted) {
                    return Ok(Err(TokenError::Lifecycle(LifecycleError::UnknownToken(
                        want.clone(),
                    ))));
                }
            }
            let mut t = txn.open_table(PAYMENT_TOKENS_T)?;
            let held = get::<PaymentTokenRecord>(
                &t,
                crypto,
                CURRENT_SCHEMA,
                p.token.id.as_str().as_bytes(),
            )?;
            let events = match held {
                Some(mut rec) if rec.state != TokenState::Deleted => {
                    // A replenishment batch for a token held: new keys, nothing else.
                    let mut batch = rec.batch()?;
                    batch.extend(p.keys.clone());
                    rec.set_batch(&batch);
                    put(&mut t, crypto, CURRENT_SCHEMA, &rec)?;
                    Vec::new()
                }
                _ => {
                    drop(t);
                    let (token, active) = (p.token.clone(), p.active);
                    match change_book_in(txn, crypto, &p.keys, |book| {
                        book.load(token, active, now)
                    })? {
                        Ok(events) => events,
                        Err(e) => return Ok(Err(TokenError::Lifecycle(e))),
                    }
                }
            };
            write_seq(txn, crypto, PROVISIONING_SEQ, p.sequence)?;
            Ok(Ok((events, p.keys.len())))
        })?
    }

    /// Applies a **signed**, sequenced status message of the token service (issuer suspend
    /// / resume / update / delete, card cascades, device lost / found / wipe; §12.3): every
    /// event in order, all or none, and the new sequence, in one transaction. A replayed,
    /// older or wrongly signed message changes nothing.
    pub fn apply_status(
        &self,
        message: &[u8],
        roots: &PinnedRoots,
        device: &str,
        now: Timestamp,
    ) -> std::result::Result<Vec<PaymentEvent>, TokenError> {
        self.journal(false, |txn, crypto| {
            let last = read_seq(txn, crypto, STATUS_SEQ)?;
            let msg = match verify_status(message, roots, device, last) {
                Ok(m) => m,
                Err(e) => return Ok(Err(TokenError::Provisioning(e))),
            };
            let mut refused = None;
            let events = change_book_in(txn, crypto, &[], |book| match msg.apply(book, now) {
                Ok(events) => Ok(events),
                Err((index, e)) => {
                    refused = Some(index);
                    Err(e)
                }
            })?;
            let events = match events {
                Ok(events) => events,
                Err(error) => {
                    return Ok(Err(TokenError::StatusRefused {
                        index: refused.unwrap_or(0),
                        error,
                    }))
                }
            };
            write_seq(txn, crypto, STATUS_SEQ, msg.sequence)?;
            crate::token_sync::settle_resumes_in(txn, crypto)?;
            Ok(Ok(events))
        })?
    }

    /// A user action on a token (§12.3), applied locally where the spec says so and
    /// queued for the token service, **in one transaction** (a crash never leaves a
    /// suspension the server will not hear of, nor a request for a change not made):
    ///
    /// - [`UserRequestKind::ReportLost`]: Suspended at once (origin User, reason Lost), so
    ///   the token stops being offered before the server confirms;
    /// - [`UserRequestKind::Resume`]: nothing changes locally — the token becomes Active
    ///   only when the server confirms with a status message of origin user; refused unless
    ///   the token is Suspended with a user hold;
    /// - [`UserRequestKind::Delete`]: Deleted at once (reason ConsumerDeleted), keys wiped.
    pub fn user_token_request(
        &self,
        id: &TokenId,
        kind: UserRequestKind,
        now: Timestamp,
    ) -> std::result::Result<Vec<PaymentEvent>, TokenError> {
        self.user_token_request_posted(id, kind, now, None)
    }

    /// [`user_token_request`](Self::user_token_request), and the POST that carries the
    /// request to the token service enqueued in the outbox **in the same transaction**
    /// (the queued request remembers the entry's event ID).
    pub fn user_token_request_posted(
        &self,
        id: &TokenId,
        kind: UserRequestKind,
        now: Timestamp,
        post: Option<OutboxEntry>,
    ) -> std::result::Result<Vec<PaymentEvent>, TokenError> {
        self.journal(false, |txn, crypto| {
            let events = match kind {
                UserRequestKind::ReportLost | UserRequestKind::Delete => {
                    let (t, reason) = match kind {
                        UserRequestKind::Delete => {
                            (Transition::Delete, ReasonCode::ConsumerDeleted)
                        }
                        _ => (Transition::Suspend, ReasonCode::Lost),
                    };
                    match change_book_in(txn, crypto, &[], |book| {
                        book.apply(id, t, Origin::User, Some(reason), now)
                    })? {
                        Ok(events) => events,
                        Err(e) => return Ok(Err(TokenError::Lifecycle(e))),
                    }
                }
                UserRequestKind::Resume => {
                    let t = txn.open_table(PAYMENT_TOKENS_T)?;
                    let rec = get::<PaymentTokenRecord>(
                        &t,
                        crypto,
                        CURRENT_SCHEMA,
                        id.as_str().as_bytes(),
                    )?;
                    let Some(rec) = rec else {
                        return Ok(Err(LifecycleError::UnknownToken(id.clone()).into()));
                    };
                    if rec.state != TokenState::Suspended || !rec.holds.contains(&Hold::User) {
                        return Ok(Err(LifecycleError::Illegal {
                            token: id.clone(),
                            from: rec.state,
                            op: "resume",
                            origin: Origin::User,
                        }
                        .into()));
                    }
                    Vec::new()
                }
            };
            let mut queue = read_requests(txn, crypto)?;
            let seq = queue.last().map_or(1, |r| r.seq.saturating_add(1));
            let event_id = post.as_ref().map(|p| p.event_id.clone());
            if let Some(post) = post {
                crate::outbox::enqueue_in(txn, crypto, post)?;
            }
            queue.push(UserTokenRequest {
                seq,
                token_ref: id.as_str().to_owned(),
                kind,
                at: now.0,
                event_id,
            });
            write_requests(txn, crypto, &queue)?;
            Ok(Ok(events))
        })?
    }

    /// The user requests not yet acknowledged by the token service, oldest first.
    pub fn pending_token_requests(&self) -> Result<Vec<UserTokenRequest>> {
        match self.setting(USER_REQUESTS)? {
            Some(v) => serde_json::from_str(&v)
                .map_err(|_| StoreError::Integrity { table: SETTINGS, reason: "token requests" }),
            None => Ok(Vec::new()),
        }
    }

    /// The token service received every request up to `through_seq`: they leave the
    /// queue. Returns how many left.
    pub fn acknowledge_token_requests(&self, through_seq: u64) -> Result<usize> {
        self.journal(false, |txn, crypto| {
            let mut queue = read_requests(txn, crypto)?;
            let before = queue.len();
            queue.retain(|r| r.seq > through_seq);
            write_requests(txn, crypto, &queue)?;
            Ok(before.saturating_sub(queue.len()))
        })
    }

    /// The last provisioning and status sequences applied (0 before the first).
    pub fn token_sequences(&self) -> Result<(u64, u64)> {
        let seq = |name| -> Result<u64> {
            Ok(self.setting(name)?.and_then(|v| v.parse().ok()).unwrap_or(0))
        };
        Ok((seq(PROVISIONING_SEQ)?, seq(STATUS_SEQ)?))
    }

    /// Provisions a token with its key batch: Pending, or Active at once when `active`
    /// (§12.3 "load"). A second token for a card with a live one is refused.
    pub fn provision_token(
        &self,
        token: &Token,
        keys: &[LimitedUseKey],
        active: bool,
        now: Timestamp,
    ) -> std::result::Result<Vec<PaymentEvent>, TokenError> {
        let token = token.clone();
        self.change_book(keys, move |book| book.load(token, active, now))
    }

    /// One life-cycle operation on one token (§12.3).
    pub fn apply_token(
        &self,
        id: &TokenId,
        transition: Transition,
        origin: Origin,
        reason: Option<ReasonCode>,
        now: Timestamp,
    ) -> std::result::Result<Vec<PaymentEvent>, TokenError> {
        self.change_book(&[], |book| book.apply(id, transition, origin, reason, now))
    }

    /// An issuer event on a physical card, cascaded to its token.
    pub fn apply_card(
        &self,
        card: &CardRef,
        transition: Transition,
        reason: Option<ReasonCode>,
        now: Timestamp,
    ) -> std::result::Result<Vec<PaymentEvent>, TokenError> {
        self.change_book(&[], |book| book.apply_to_card(card, transition, reason, now))
    }

    /// A device or account event (§12.3).
    pub fn device_event(
        &self,
        event: DeviceEvent,
        now: Timestamp,
    ) -> std::result::Result<Vec<PaymentEvent>, TokenError> {
        self.change_book(&[], |book| Ok(book.apply_device(event, now)))
    }

    /// The user picks the default card.
    pub fn set_default_token(
        &self,
        id: &TokenId,
    ) -> std::result::Result<Vec<PaymentEvent>, TokenError> {
        self.change_book(&[], |book| book.set_default(id))
    }

    /// Adds a replenished key batch to a live token.
    pub fn replenish_token(&self, id: &TokenId, keys: &[LimitedUseKey]) -> Result<()> {
        self.journal(false, |txn, crypto| {
            let mut t = txn.open_table(PAYMENT_TOKENS_T)?;
            let mut rec =
                get::<PaymentTokenRecord>(&t, crypto, CURRENT_SCHEMA, id.as_str().as_bytes())?
                    .ok_or_else(|| StoreError::NotFound(format!("token {id}")))?;
            if rec.state == TokenState::Deleted {
                return Err(StoreError::Invalid(format!("token {id} is deleted")));
            }
            let mut batch = rec.batch()?;
            batch.extend(keys.to_vec());
            rec.set_batch(&batch);
            put(&mut t, crypto, CURRENT_SCHEMA, &rec)
        })
    }

    /// The life-cycle book of every stored token.
    pub fn token_book(&self) -> Result<TokenBook> {
        book_of(&self.token_records()?)
    }

    /// Every stored token record (Deleted ones included), in load order.
    pub fn token_records(&self) -> Result<Vec<PaymentTokenRecord>> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        Ok(in_load_order(all(&txn.open_table(PAYMENT_TOKENS_T)?, &crypto, CURRENT_SCHEMA)?))
    }

    fn token_record(&self, id: &TokenId) -> Result<Option<PaymentTokenRecord>> {
        let crypto = self.crypto();
        let txn = self.db.begin_read()?;
        get(&txn.open_table(PAYMENT_TOKENS_T)?, &crypto, CURRENT_SCHEMA, id.as_str().as_bytes())
    }

    /// A token's transaction log, oldest first.
    pub fn token_log(&self, id: &TokenId) -> Result<Vec<TransactionLogEntry>> {
        Ok(self
            .token_record(id)?
            .map(|r| r.log.iter().map(log_entry).collect())
            .unwrap_or_default())
    }

    /// The host reports "the user verified until `until`" (§10). Volatile.
    pub fn set_verification(&self, verification: Verification) {
        self.payment_session().verification = verification;
    }

    /// The user picked this token for the next tap. Volatile.
    pub fn pick_token_for_tap(&self, id: Option<TokenId>) {
        self.payment_session().picked = id;
    }

    fn tap_token_of(rec: &PaymentTokenRecord) -> Option<TapToken> {
        Some(TapToken { token: rec.token().ok()?, state: rec.state, is_default: rec.is_default })
    }
}

impl TokenSource for Store {
    fn offered(&self, _now: Timestamp) -> Vec<TapToken> {
        let Ok(records) = self.token_records() else { return Vec::new() };
        let picked = self.payment_session().picked.clone();
        let mut out: Vec<TapToken> = Vec::new();
        let active = |r: &&PaymentTokenRecord| r.state == TokenState::Active;
        if let Some(p) = picked {
            out.extend(
                records
                    .iter()
                    .filter(active)
                    .filter(|r| r.token_ref == p.as_str())
                    .filter_map(Self::tap_token_of),
            );
        }
        for r in records.iter().filter(active).filter(|r| r.is_default) {
            if !out.iter().any(|t| t.token.id.as_str() == r.token_ref) {
                out.extend(Self::tap_token_of(r));
            }
        }
        out
    }

    fn token(&self, id: &TokenId) -> Option<TapToken> {
        self.token_record(id).ok().flatten().as_ref().and_then(Self::tap_token_of)
    }

    fn current_key(&self, id: &TokenId, now: Timestamp) -> CurrentKey {
        match self.token_record(id).ok().flatten().map(|r| r.batch()) {
            Some(Ok(batch)) => batch.current(now, LOW_KEYS),
            _ => CurrentKey { key: None, budget: KeyBudget::NoKey },
        }
    }

    fn verification(&self, _now: Timestamp) -> Verification {
        self.payment_session().verification
    }
}

fn storage(e: StoreError) -> JournalError {
    JournalError::Storage(e.to_string())
}

impl PaymentJournal for Store {
    fn last_atc(&self, id: &TokenId) -> std::result::Result<Atc, JournalError> {
        match self.token_record(id).map_err(storage)? {
            Some(r) => Ok(Atc(r.atc)),
            None => Err(JournalError::UnknownToken),
        }
    }

    fn commit(
        &self,
        id: &TokenId,
        entry: &TransactionLogEntry,
    ) -> std::result::Result<(), JournalError> {
        let outcome = self.journal(false, |txn, crypto| {
            let mut t = txn.open_table(PAYMENT_TOKENS_T)?;
            let Some(mut rec) =
                get::<PaymentTokenRecord>(&t, crypto, CURRENT_SCHEMA, id.as_str().as_bytes())?
            else {
                return Ok(Err(JournalError::UnknownToken));
            };
            if rec.state != TokenState::Active {
                return Ok(Err(JournalError::NotActive(rec.state)));
            }
            if let Err(e) = check_next_atc(Atc(rec.atc), entry.atc) {
                return Ok(Err(e));
            }
            let mut batch = rec.batch()?;
            if let Err(e) = batch.spend(entry.key_index, entry.amount, entry.at, LOW_KEYS) {
                return Ok(Err(e));
            }
            rec.set_batch(&batch);
            rec.atc = entry.atc.0;
            rec.last_used = Some(entry.at.0);
            if rec.log.len() >= MAX_TOKEN_LOG {
                rec.log.remove(0);
            }
            rec.log.push(TokenLogRecord {
                atc: entry.atc.0,
                key_index: entry.key_index,
                un: entry.unpredictable_number,
                amount: entry.amount,
                currency: entry.currency,
                date: entry.date,
                transaction_type: entry.transaction_type,
                cdcvm: entry.cdcvm,
                cryptogram: entry.cryptogram,
                at: entry.at.0,
            });
            put(&mut t, crypto, CURRENT_SCHEMA, &rec)?;
            Ok(Ok(()))
        });
        outcome.map_err(storage)?
    }

    fn record_cryptogram(
        &self,
        id: &TokenId,
        atc: Atc,
        cryptogram: [u8; 8],
        cid: u8,
    ) -> std::result::Result<(), JournalError> {
        let outcome = self.journal(false, |txn, crypto| {
            let mut t = txn.open_table(PAYMENT_TOKENS_T)?;
            let Some(mut rec) =
                get::<PaymentTokenRecord>(&t, crypto, CURRENT_SCHEMA, id.as_str().as_bytes())?
            else {
                return Ok(Err(JournalError::UnknownToken));
            };
            let Some(e) = rec.log.iter_mut().rev().find(|e| e.atc == atc.0) else {
                return Ok(Err(JournalError::AtcNotNext { offered: atc.0, last: rec.atc }));
            };
            e.cryptogram = Some((cryptogram, cid));
            put(&mut t, crypto, CURRENT_SCHEMA, &rec)?;
            Ok(Ok(()))
        });
        outcome.map_err(storage)?
    }
}

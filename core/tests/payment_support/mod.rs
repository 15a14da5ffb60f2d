//! Test doubles of the payment ports (kept minimal: the in-memory store of the core is
//! `payment::memory`), the vector files, a fixed clock, a log capture, and a rig that puts
//! the payment applet behind a router.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use hce_wallet_core::events::{PaymentEvent, WalletEvent};
use hce_wallet_core::payment::applet::{PaymentApplet, PaymentConfig, PaymentPorts};
use hce_wallet_core::payment::cryptogram::GenericProfile;
use hce_wallet_core::payment::ports::{
    CdcvmMethod, CurrentKey, JournalError, PaymentJournal, TapToken, TokenSource, Verification,
};
use hce_wallet_core::payment::token::*;
use hce_wallet_core::ports::{EventLog, FixedClock};
use hce_wallet_core::router::Router;
use hce_wallet_core::time::{days_from_civil, Timestamp};
use serde_json::Value;
use zeroize::Zeroizing;

/// 2026-11-22 12:00 UTC, the date of the vectors.
pub fn now() -> Timestamp {
    Timestamp::from_secs(days_from_civil(2026, 11, 22) * 86_400 + 12 * 3600)
}

pub const MPAN: &str = "6231000000000008";
pub const LUK_HEX: &str = "0123456789ABCDEFFEDCBA9876543210";
pub const AID: [u8; 8] = [0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x02];

pub fn vectors_dir() -> PathBuf {
    match std::env::var_os("HCE_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir).join("vectors/payment"),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors/payment")),
    }
}

pub fn load_json(file: &str) -> Value {
    let path = vectors_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

/// Hex string at a JSON pointer, decoded.
pub fn hx(v: &Value, pointer: &str) -> Vec<u8> {
    let s = v.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("no {pointer}"));
    h(s)
}

/// The synthetic UnionPay credit token of the spec's fixtures.
pub fn token(id: &str, mpan: &str, policy: CvmPolicy) -> Token {
    Token {
        id: TokenId::new(id).unwrap(),
        card: CardRef::new(format!("card-{id}")).unwrap(),
        mpan: Mpan::new(mpan).unwrap(),
        expiry: Expiry::new(2030, 12).unwrap(),
        psn: 0,
        product: Product::Credit,
        token_requestor_id: None,
        par: None,
        profile: AidProfile {
            aid: AID.to_vec(),
            label: "UP CREDIT".into(),
            kernel_id: Some(7),
            issuer_country: 0x0156,
            cvm_policy: policy,
        },
        card_art: None,
    }
}

pub fn luk(key: &[u8], key_index: [u8; 4]) -> LimitedUseKey {
    LimitedUseKey {
        key: Zeroizing::new(key.try_into().unwrap()),
        key_index,
        issued_at: Timestamp::from_secs(now().secs() - 3600),
        thresholds: KeyThresholds {
            max_transactions: 10,
            lifetime_secs: 7 * 86_400,
            max_cumulative_amount: u64::MAX,
        },
    }
}

/// Token source double: tokens with states, a key and a forced budget per token, the
/// verification window, and the token picked for this tap.
#[derive(Default)]
pub struct TestTokens {
    pub tokens: Mutex<Vec<TapToken>>,
    pub keys: Mutex<HashMap<TokenId, LimitedUseKey>>,
    pub budgets: Mutex<HashMap<TokenId, KeyBudget>>,
    pub verification: Mutex<Verification>,
    pub picked: Mutex<Option<TokenId>>,
}

impl TestTokens {
    pub fn add(&self, token: Token, state: TokenState, is_default: bool, key: LimitedUseKey) {
        self.keys.lock().unwrap().insert(token.id.clone(), key);
        self.tokens.lock().unwrap().push(TapToken { token, state, is_default });
    }
    pub fn set_state(&self, id: &str, state: TokenState) {
        for t in self.tokens.lock().unwrap().iter_mut() {
            if t.token.id.as_str() == id {
                t.state = state;
            }
        }
    }
    pub fn set_budget(&self, id: &str, budget: KeyBudget) {
        self.budgets.lock().unwrap().insert(TokenId::new(id).unwrap(), budget);
    }
    pub fn verify_until(&self, until: Option<Timestamp>) {
        *self.verification.lock().unwrap() = match until {
            Some(t) => Verification { until: Some(t), method: Some(CdcvmMethod::Biometric) },
            None => Verification::default(),
        };
    }
}

impl TokenSource for TestTokens {
    fn offered(&self, _now: Timestamp) -> Vec<TapToken> {
        let tokens = self.tokens.lock().unwrap();
        let picked = self.picked.lock().unwrap().clone();
        let mut out: Vec<TapToken> = Vec::new();
        if let Some(p) = picked {
            out.extend(
                tokens.iter().filter(|t| t.token.id == p && t.state == TokenState::Active).cloned(),
            );
        }
        for t in tokens.iter().filter(|t| t.is_default && t.state == TokenState::Active) {
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
        out
    }
    fn token(&self, id: &TokenId) -> Option<TapToken> {
        self.tokens.lock().unwrap().iter().find(|t| &t.token.id == id).cloned()
    }
    fn current_key(&self, id: &TokenId, _now: Timestamp) -> CurrentKey {
        let key = self.keys.lock().unwrap().get(id).cloned();
        let budget = match (self.budgets.lock().unwrap().get(id), &key) {
            (Some(b), _) => *b,
            (None, Some(_)) => KeyBudget::Available { transactions_left: 9, low: false },
            (None, None) => KeyBudget::NoKey,
        };
        CurrentKey { key, budget }
    }
    fn verification(&self, _now: Timestamp) -> Verification {
        *self.verification.lock().unwrap()
    }
}

/// A cryptogram recorded after GENERATE AC: token, ATC, AC, CID.
pub type Recorded = (TokenId, u16, [u8; 8], u8);

/// Journal double: last ATC and log per token; refuses anything but `last + 1`; can be
/// told to fail.
#[derive(Default)]
pub struct TestJournal {
    pub state: Mutex<HashMap<TokenId, (Atc, Vec<TransactionLogEntry>)>>,
    pub fail_commit: AtomicBool,
    pub fail_record: AtomicBool,
    /// Simulates a crash right after a durable commit, before the answer leaves.
    pub crash_after_commit: AtomicBool,
    /// Every committed (token, ATC), in order.
    pub commits: Mutex<Vec<(TokenId, u16)>>,
    pub cryptograms: Mutex<Vec<Recorded>>,
}

impl TestJournal {
    pub fn set_last(&self, id: &str, atc: u16) {
        self.state.lock().unwrap().entry(TokenId::new(id).unwrap()).or_default().0 = Atc(atc);
    }
    pub fn last(&self, id: &str) -> u16 {
        self.state.lock().unwrap().get(&TokenId::new(id).unwrap()).map_or(0, |s| s.0 .0)
    }
    pub fn entries(&self, id: &str) -> Vec<TransactionLogEntry> {
        self.state
            .lock()
            .unwrap()
            .get(&TokenId::new(id).unwrap())
            .map(|s| s.1.clone())
            .unwrap_or_default()
    }
}

impl PaymentJournal for TestJournal {
    fn last_atc(&self, id: &TokenId) -> Result<Atc, JournalError> {
        Ok(self.state.lock().unwrap().get(id).map_or(Atc(0), |s| s.0))
    }
    fn commit(&self, id: &TokenId, entry: &TransactionLogEntry) -> Result<(), JournalError> {
        if self.fail_commit.load(Ordering::SeqCst) {
            return Err(JournalError::Storage("disk full (test)".into()));
        }
        let mut state = self.state.lock().unwrap();
        let slot = state.entry(id.clone()).or_default();
        if Some(entry.atc) != slot.0.next() {
            return Err(JournalError::AtcNotNext { offered: entry.atc.0, last: slot.0 .0 });
        }
        slot.0 = entry.atc;
        slot.1.push(entry.clone());
        self.commits.lock().unwrap().push((id.clone(), entry.atc.0));
        drop(state);
        if self.crash_after_commit.swap(false, Ordering::SeqCst) {
            panic!("simulated crash between journal commit and answer");
        }
        Ok(())
    }
    fn record_cryptogram(
        &self,
        id: &TokenId,
        atc: Atc,
        cryptogram: [u8; 8],
        cid: u8,
    ) -> Result<(), JournalError> {
        if self.fail_record.load(Ordering::SeqCst) {
            return Err(JournalError::Storage("disk full (test)".into()));
        }
        self.cryptograms.lock().unwrap().push((id.clone(), atc.0, cryptogram, cid));
        Ok(())
    }
}

/// The payment applet on test ports behind a router.
pub struct Rig {
    pub router: Router,
    pub tokens: Arc<TestTokens>,
    pub journal: Arc<TestJournal>,
    pub events: Arc<EventLog>,
}

impl Rig {
    pub fn new(config: PaymentConfig, tokens: TestTokens) -> Rig {
        Rig::with_journal(config, tokens, TestJournal::default())
    }

    pub fn with_journal(config: PaymentConfig, tokens: TestTokens, journal: TestJournal) -> Rig {
        let tokens = Arc::new(tokens);
        let journal = Arc::new(journal);
        let events = Arc::new(EventLog::default());
        let mut router = Router::new();
        router.register(Box::new(Rig::applet(config, &tokens, &journal, &events)));
        Rig { router, tokens, journal, events }
    }

    pub fn applet(
        config: PaymentConfig,
        tokens: &Arc<TestTokens>,
        journal: &Arc<TestJournal>,
        events: &Arc<EventLog>,
    ) -> PaymentApplet {
        PaymentApplet::new(
            config,
            PaymentPorts {
                tokens: tokens.clone(),
                journal: journal.clone(),
                events: events.clone(),
                clock: Arc::new(FixedClock(now())),
                engine: Arc::new(GenericProfile),
            },
        )
        .unwrap()
    }

    /// One default Active token `tok-1` with the spec's LUK, verified for a minute.
    pub fn standard(config: PaymentConfig, policy: CvmPolicy) -> Rig {
        let tokens = TestTokens::default();
        tokens.add(
            token("tok-1", MPAN, policy),
            TokenState::Active,
            true,
            luk(&h(LUK_HEX), [0, 1, 0, 0]),
        );
        tokens.verify_until(Some(now().plus_millis(60_000)));
        Rig::new(config, tokens)
    }

    /// Sends a C-APDU, returns `(data, sw)`; panics inside the applet are not hidden.
    pub fn send(&mut self, apdu: &[u8]) -> (Vec<u8>, u16) {
        let r = self.router.dispatch(apdu);
        assert!(r.data.len() <= 256, "answer of {} bytes", r.data.len());
        (r.data, r.sw.0)
    }

    pub fn sw(&mut self, apdu_hex: &str) -> u16 {
        self.send(&h(apdu_hex)).1
    }

    pub fn payment_events(&self) -> Vec<PaymentEvent> {
        self.events
            .take()
            .into_iter()
            .filter_map(|e| match e {
                WalletEvent::Payment(p) => Some(p),
                _ => None,
            })
            .collect()
    }
}

pub const SELECT_PPSE: &str = "00A404000E325041592E5359532E444446303100";
pub const SELECT_AID: &str = "00A4040008A00000033301010200";
/// The §6.3 example GPO (vector 1's command).
pub const GPO_V1: &str =
    "80A8000023832136004000000000001000000000000000015600000000000156261122001234567800";
pub const READ_RECORD_1: &str = "00B2010C00";

/// A GPO for the default PDOL with `ttq` and otherwise vector 1's values.
pub fn gpo_with_ttq(ttq: &str) -> Vec<u8> {
    let mut apdu = h(GPO_V1);
    apdu.splice(7..11, h(ttq));
    apdu
}

/// Captures every `log` line of the test binary.
pub struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0.lock().unwrap().push(format!("{} {}", record.level(), record.args()));
    }
    fn flush(&self) {}
}

/// Installs the capture (once per test binary) and returns it.
pub fn capture_logs() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let c: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        let _ = log::set_logger(c);
        log::set_max_level(log::LevelFilter::Trace);
        c
    })
}

impl Capture {
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

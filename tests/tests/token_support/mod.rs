//! Shared by the token tests: a test token service (signs provisioning payloads and
//! status messages, keeps every LUK it issued), a wallet fixture with a settable clock,
//! and taps by the independent reference EMV terminal whose cryptograms are verified with
//! the issued LUKs.
#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

pub use std::collections::HashMap;
pub use std::path::{Path, PathBuf};
pub use std::sync::atomic::{AtomicI64, Ordering};
pub use std::sync::{Arc, Mutex};

pub use hce_wallet::{
    CdcvmMethod, Deactivation, DeviceEvent, Host, KeyStatus, Notice, PaymentEvent, TokenInfo,
    TokenState, UserRequestKind, Wallet, WalletConfig, WalletError, WalletEvent, WalletListener,
};
pub use hce_wallet_core::payment::lifecycle::{TokenUpdate, Transition};
pub use hce_wallet_core::payment::provisioning::{
    sign_provisioning, Provisioning, StatusEvent, StatusMessage, StatusTarget,
};
pub use hce_wallet_core::payment::sample::{sample_keys, sample_token};
pub use hce_wallet_core::payment::token::{
    CardRef, CvmPolicy, Expiry, LimitedUseKey, Origin, ReasonCode, Token, TokenId, KEY_INDEX_LEN,
};
pub use hce_wallet_core::ports::Clock;
pub use hce_wallet_core::time::Timestamp;
pub use hce_wallet_harness::card::{Card, CardError};
pub use hce_wallet_harness::emv_terminal::{
    verify, EmvResult, Terminal, TerminalError, TerminalParams,
};
pub use p256::ecdsa::SigningKey;
pub use p256::pkcs8::{EncodePublicKey, LineEnding};
pub use sha2::{Digest, Sha256};

pub const DEVICE: &str = "device-1";
/// 2026-11-22 12:00 UTC, the terminal's default transaction date.
pub const NOW_MS: i64 = 1_795_348_800_000;

pub fn service_key() -> SigningKey {
    SigningKey::from_slice(&Sha256::digest(b"hce-wallet test token service (test only)")).unwrap()
}

pub fn service_pem() -> String {
    p256::PublicKey::from(service_key().verifying_key()).to_public_key_pem(LineEnding::LF).unwrap()
}

pub struct TestClock(pub AtomicI64);
impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<Notice>>);
impl WalletListener for Recorder {
    fn on_notice(&self, notice: Notice) {
        self.0.lock().unwrap().push(notice);
    }
}
impl Recorder {
    pub fn payment(&self) -> Vec<PaymentEvent> {
        std::mem::take(&mut *self.0.lock().unwrap())
            .into_iter()
            .filter_map(|n| match n {
                Notice::Tap(WalletEvent::Payment(p)) => Some(p),
                _ => None,
            })
            .collect()
    }
}

/// The token service of the tests: signs payloads with sequences of its own and keeps the
/// LUK of every key index it issued (the issuer side verifies cryptograms with them).
pub struct Service {
    pub key: SigningKey,
    pub provisioning_seq: u64,
    pub status_seq: u64,
    pub luks: HashMap<[u8; KEY_INDEX_LEN], [u8; 16]>,
}

impl Service {
    pub fn new() -> Service {
        Service { key: service_key(), provisioning_seq: 0, status_seq: 0, luks: HashMap::new() }
    }

    /// Batch `batch` of token `n`: `count` keys, `per_key` transactions each, distinct
    /// key indices per batch.
    pub fn keys(&mut self, n: usize, batch: u8, count: u8, per_key: u32) -> Vec<LimitedUseKey> {
        let mut keys = sample_keys(n, count, per_key, Timestamp(NOW_MS));
        for k in &mut keys {
            k.key_index[1] = 0x01 + batch;
            k.key[13] ^= batch;
            self.luks.insert(k.key_index, *k.key);
        }
        keys
    }

    pub fn provisioning(
        &mut self,
        token: Token,
        keys: Vec<LimitedUseKey>,
        active: bool,
    ) -> Vec<u8> {
        self.provisioning_seq += 1;
        let p = Provisioning {
            sequence: self.provisioning_seq,
            issued_at: Timestamp(NOW_MS),
            token,
            keys,
            active,
        };
        sign_provisioning(&p, DEVICE, &self.key).unwrap()
    }

    pub fn status(&mut self, events: Vec<StatusEvent>) -> Vec<u8> {
        self.status_seq += 1;
        StatusMessage { sequence: self.status_seq, issued_at: Timestamp(NOW_MS), events }
            .sign(DEVICE, &self.key)
            .unwrap()
    }

    pub fn on_token(&mut self, n: usize, t: Transition, origin: Origin, r: ReasonCode) -> Vec<u8> {
        self.status(vec![StatusEvent {
            target: StatusTarget::Token(TokenId::new(format!("tok-{n}")).unwrap()),
            transition: Some(t),
            origin,
            reason: Some(r),
        }])
    }

    pub fn on_card(&mut self, n: usize, t: Transition, r: ReasonCode) -> Vec<u8> {
        self.status(vec![StatusEvent {
            target: StatusTarget::Card(CardRef::new(format!("card-{n}")).unwrap()),
            transition: Some(t),
            origin: Origin::IssuerOnCard,
            reason: Some(r),
        }])
    }

    pub fn on_device(&mut self, d: DeviceEvent) -> Vec<u8> {
        self.status(vec![StatusEvent {
            target: StatusTarget::Device(d),
            transition: None,
            origin: d.origin(),
            reason: None,
        }])
    }
}

pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub clock: Arc<TestClock>,
    pub rec: Arc<Recorder>,
    pub svc: Service,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.redb");
        Fixture {
            _dir: dir,
            path,
            clock: Arc::new(TestClock(AtomicI64::new(NOW_MS))),
            rec: Arc::new(Recorder::default()),
            svc: Service::new(),
        }
    }

    pub fn open(&self) -> Wallet {
        open_at(&self.path, self.clock.clone(), self.rec.clone())
    }
}

pub fn open_at(path: &Path, clock: Arc<TestClock>, rec: Arc<Recorder>) -> Wallet {
    let config = WalletConfig {
        pinned_token_service_keys: vec![service_pem()],
        device_id: Some(DEVICE.into()),
        ..WalletConfig::default()
    };
    let host = Host { listener: Some(rec), transport: None, clock };
    Wallet::open(path, &[9u8; 32], config, host).unwrap()
}

pub struct WalletCard<'a>(pub &'a Wallet);
impl Card for WalletCard<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        Ok(self.0.process_apdu(apdu))
    }
}

/// What a terminal saw at one tap.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// A verified cryptogram of the token with these last four digits, at this ATC.
    Paid { last_four: String, atc: u16, cdcvm: bool },
    /// The tap stopped at `step` with this status word.
    Refused { step: String, sw: u16 },
}

pub fn tap_with(w: &Wallet, svc: &Service, params: TerminalParams) -> Seen {
    let mut card = WalletCard(w);
    let result: Result<EmvResult, TerminalError> = Terminal::new(&mut card, params).run();
    w.on_deactivated(Deactivation::LinkLoss);
    match result {
        Ok(r) => {
            let iad = r.iad.clone().expect("9F10");
            let index: [u8; 4] = iad[1..5].try_into().unwrap();
            let luk = svc.luks.get(&index).expect("a key index the service issued");
            verify(&r, luk).expect("the cryptogram verifies with the issued LUK");
            Seen::Paid {
                last_four: r.pan[r.pan.len() - 4..].to_owned(),
                atc: r.atc,
                cdcvm: r.ctq.is_some_and(|c| c[1] & 0x80 != 0),
            }
        }
        Err(TerminalError::Status { step, sw }) => Seen::Refused { step, sw },
        Err(e) => panic!("terminal failed: {e}"),
    }
}

pub fn tap(w: &Wallet, svc: &Service) -> Seen {
    tap_with(w, svc, TerminalParams::default())
}

pub fn last_four(n: usize) -> String {
    let t = sample_token(n);
    t.mpan.last_four().to_owned()
}

pub fn paid(n: usize, atc: u16) -> Seen {
    Seen::Paid { last_four: last_four(n), atc, cdcvm: false }
}

pub fn no_token() -> Seen {
    Seen::Refused { step: "SELECT PPSE".into(), sw: 0x6A82 }
}

pub fn token(w: &Wallet, n: usize) -> Option<TokenInfo> {
    w.tokens().unwrap().into_iter().find(|t| t.token_ref == format!("tok-{n}"))
}

pub fn state(w: &Wallet, n: usize) -> Option<TokenState> {
    token(w, n).map(|t| t.state)
}

pub fn default_of(w: &Wallet) -> Option<String> {
    w.tokens().unwrap().into_iter().find(|t| t.is_default).map(|t| t.token_ref)
}

/// Two Active tokens, tok-0 the default (loaded first).
pub fn two_tokens(f: &mut Fixture) -> Wallet {
    let w = f.open();
    for n in 0..2 {
        let keys = f.svc.keys(n, 0, 2, 5);
        w.provision_token(&f.svc.provisioning(sample_token(n), keys, true)).unwrap();
    }
    assert_eq!(default_of(&w).as_deref(), Some("tok-0"));
    w
}

pub fn has_state_change(events: &[PaymentEvent], n: usize, to: TokenState, origin: Origin) -> bool {
    events.iter().any(|e| {
        matches!(e, PaymentEvent::StateChanged { token, to: t, origin: o, .. }
            if token.as_str() == format!("tok-{n}") && *t == to && *o == origin)
    })
}

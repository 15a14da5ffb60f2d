//! Shared fixtures for the Smart Tap applet tests: the vectors, a scripted random
//! source, a test-local key ring, pass source and push listener.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use hce_wallet_core::events::WalletEvent;
use hce_wallet_core::ports::{
    Clock, CollectorId, EventLog, IssuerKeyRing, PassSource, PassType, PushData, PushListener,
    RandomSource, Selection, SelectionRequest, SmartTapPass,
};
use hce_wallet_core::router::Router;
use hce_wallet_core::smart_tap::{SmartTapApplet, SmartTapConfig, SmartTapPorts};
use hce_wallet_core::time::Timestamp;
use p256::pkcs8::DecodePublicKey;
use serde_json::Value;
use zeroize::Zeroizing;

/// `shared/vectors/smart-tap`, or `$HCE_SHARED_DIR/vectors/smart-tap`.
pub fn vectors_dir() -> PathBuf {
    match std::env::var_os("HCE_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir).join("vectors/smart-tap"),
        None => {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors/smart-tap"))
        }
    }
}

pub fn load_json(file: &str) -> Value {
    let path = vectors_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub fn e2e() -> Value {
    load_json("e2e-loyalty-2018.json")
}

/// Hex string at a JSON pointer, decoded.
pub fn hx(v: &Value, pointer: &str) -> Vec<u8> {
    let s = v.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("no {pointer}"));
    hex::decode(s).unwrap()
}

pub fn text(v: &Value, pointer: &str) -> String {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("no {pointer}")).into()
}

pub const COLLECTOR: CollectorId = CollectorId(20180608);
pub const NOW: Timestamp = Timestamp(1_780_000_000_000);

/// A clock that says the same time until a test moves it (starts at [`NOW`]).
#[derive(Debug)]
pub struct TestClock(std::sync::atomic::AtomicI64);

impl Default for TestClock {
    fn default() -> Self {
        TestClock(std::sync::atomic::AtomicI64::new(NOW.0))
    }
}

impl TestClock {
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// A random source that replays scripted draws (each must match the requested length)
/// and falls back to a xorshift stream when the script is empty.
#[derive(Clone, Default)]
pub struct ScriptedRandom {
    script: Arc<Mutex<VecDeque<Vec<u8>>>>,
    state: Arc<Mutex<u64>>,
}

impl ScriptedRandom {
    pub fn push(&self, bytes: Vec<u8>) {
        self.script.lock().unwrap().push_back(bytes);
    }
    pub fn pending(&self) -> usize {
        self.script.lock().unwrap().len()
    }
}

impl RandomSource for ScriptedRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        if let Some(next) = self.script.lock().unwrap().pop_front() {
            assert_eq!(next.len(), buf.len(), "scripted draw of the wrong length");
            buf.copy_from_slice(&next);
            return;
        }
        let mut s = self.state.lock().unwrap();
        if *s == 0 {
            *s = 0x9E37_79B9_7F4A_7C15;
        }
        for b in buf.iter_mut() {
            *s ^= *s << 13;
            *s ^= *s >> 7;
            *s ^= *s << 17;
            *b = (*s >> 24) as u8;
        }
    }
}

/// Test-local key ring: exactly the (collector, version) pairs inserted.
#[derive(Default)]
pub struct TestKeyRing(pub HashMap<(CollectorId, u32), p256::PublicKey>);

impl IssuerKeyRing for TestKeyRing {
    fn collector_key(
        &self,
        collector: CollectorId,
        key_version: u32,
        _now: Timestamp,
    ) -> Option<p256::PublicKey> {
        self.0.get(&(collector, key_version)).copied()
    }
}

pub fn vector_key_ring() -> TestKeyRing {
    let pem =
        std::fs::read_to_string(vectors_dir().join("collector-20180608-v1.public.pem")).unwrap();
    let key = p256::PublicKey::from_public_key_pem(&pem).unwrap();
    let mut ring = TestKeyRing::default();
    ring.0.insert((COLLECTOR, 1), key);
    ring
}

pub fn demo_pass() -> SmartTapPass {
    SmartTapPass {
        object_id: "3265320111641956183.0619_googleDemoTest-obj01".into(),
        issuer_id: 3265320111641956183,
        pass_type: PassType::Loyalty,
        redemption_value: Zeroizing::new("2018".into()),
    }
}

/// Passes per collector; one eligible → Send, several → chooser. `forced` overrides.
#[derive(Default)]
pub struct TestPasses {
    pub passes: Vec<(CollectorId, SmartTapPass)>,
    pub forced: Mutex<Option<Selection>>,
    pub requests: Mutex<Vec<SelectionRequest>>,
}

impl PassSource for TestPasses {
    fn could_redeem(&self, collector: CollectorId, _now: Timestamp) -> bool {
        self.passes.iter().any(|(c, _)| *c == collector)
    }
    fn select(&self, request: &SelectionRequest) -> Selection {
        self.requests.lock().unwrap().push(request.clone());
        if let Some(forced) = self.forced.lock().unwrap().clone() {
            return forced;
        }
        let eligible: Vec<&SmartTapPass> = self
            .passes
            .iter()
            .filter(|(c, p)| {
                *c == request.collector && p.pass_type.requested_by(&request.service_types)
            })
            .map(|(_, p)| p)
            .collect();
        match eligible.as_slice() {
            [] => Selection::NothingEligible,
            [one] => Selection::Send((*one).clone()),
            many => Selection::ChooserRequired {
                candidates: many.iter().map(|p| p.object_id.clone()).collect(),
            },
        }
    }
}

#[derive(Default)]
pub struct RecordingPush(pub Mutex<Vec<(Option<CollectorId>, PushData)>>);

impl PushListener for RecordingPush {
    fn on_push(
        &self,
        collector: Option<CollectorId>,
        push: &PushData,
        _now: Timestamp,
    ) -> Result<usize, hce_wallet_core::ports::PushError> {
        self.0.lock().unwrap().push((collector, push.clone()));
        Ok(push.services.len())
    }
}

/// An applet wired to test ports, behind a router.
pub struct Rig {
    pub router: Router,
    pub events: Arc<EventLog>,
    pub random: ScriptedRandom,
    pub passes: Arc<TestPasses>,
    pub push: Arc<RecordingPush>,
    pub clock: Arc<TestClock>,
}

impl Rig {
    /// With the vector's handset nonce and ephemeral key scripted as the first draws.
    pub fn vector(config: SmartTapConfig) -> Rig {
        let v = e2e();
        let random = ScriptedRandom::default();
        random.push(hx(&v, "/handset/nonce_hex"));
        random.push(hx(&v, "/handset/ephemeral_private_key_hex"));
        let passes = TestPasses { passes: vec![(COLLECTOR, demo_pass())], ..Default::default() };
        Rig::build(config, random, passes, vector_key_ring())
    }

    pub fn build(
        config: SmartTapConfig,
        random: ScriptedRandom,
        passes: TestPasses,
        ring: TestKeyRing,
    ) -> Rig {
        Rig::build_with_payment(config, random, passes, ring, None)
    }

    /// As [`Rig::build`], with the payment side's token source (OSE `C1` payment bits).
    pub fn build_with_payment(
        config: SmartTapConfig,
        random: ScriptedRandom,
        passes: TestPasses,
        ring: TestKeyRing,
        payment: Option<Arc<dyn hce_wallet_core::payment::ports::TokenSource>>,
    ) -> Rig {
        let events = Arc::new(EventLog::default());
        let passes = Arc::new(passes);
        let push = Arc::new(RecordingPush::default());
        let clock = Arc::new(TestClock::default());
        let ports = SmartTapPorts {
            key_ring: Arc::new(ring),
            passes: passes.clone(),
            push: Some(push.clone()),
            events: events.clone(),
            random: Box::new(random.clone()),
            clock: clock.clone(),
            payment,
        };
        let applet = SmartTapApplet::new(ports, config).unwrap();
        let mut router = Router::new();
        router.register(Box::new(applet));
        Rig { router, events, random, passes, push, clock }
    }

    /// Sends a C-APDU, returns `(data, sw)`; panics inside the applet are not hidden.
    pub fn send(&mut self, apdu: &[u8]) -> (Vec<u8>, u16) {
        let r = self.router.dispatch(apdu);
        (r.data, r.sw.0)
    }

    pub fn events(&self) -> Vec<WalletEvent> {
        self.events.take()
    }
}

/// `data ‖ SW` as hex.
pub fn rapdu_hex(data: &[u8], sw: u16) -> String {
    let mut out = data.to_vec();
    out.extend_from_slice(&sw.to_be_bytes());
    hex::encode(out)
}

/// An `srs` answer opened the way Google's sample terminal does: MAC check, then CTR.
pub struct Opened {
    pub ses: Vec<u8>,
    pub flags: u8,
    pub iv: Vec<u8>,
    /// Decrypted body (zlib stream when `flags` has 0x02).
    pub body: Vec<u8>,
}

pub fn open_srs(response: &[u8], enc_key: &[u8], mac_key: &[u8]) -> Opened {
    use aes::Aes128;
    use ctr::cipher::{KeyIvInit, StreamCipher};
    use hce_wallet_core::ndef::Message;
    use hmac::{Hmac, KeyInit, Mac};

    let top = Message::parse(response).unwrap();
    assert_eq!(top.records.len(), 1);
    assert_eq!(top.records[0].record_type, b"srs");
    let inner = top.records[0].nested(0, 0).unwrap();
    assert_eq!(inner.records.len(), 2);
    assert_eq!(inner.records[0].record_type, b"ses");
    let reb = &inner.records[1];
    assert_eq!(reb.record_type, b"reb");
    let p = &reb.payload;
    let (flags, iv, ct, tag) = (p[0], &p[1..13], &p[13..p.len() - 32], &p[p.len() - 32..]);
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(mac_key).unwrap();
    mac.update(&p[1..p.len() - 32]);
    mac.verify_slice(tag).expect("HMAC over IV || CT");
    let mut counter = [0u8; 16];
    counter[..12].copy_from_slice(iv);
    let key: [u8; 16] = enc_key.try_into().unwrap();
    let mut body = ct.to_vec();
    ctr::Ctr128BE::<Aes128>::new(&key.into(), &counter.into()).apply_keystream(&mut body);
    Opened { ses: inner.records[0].payload.clone(), flags, iv: iv.to_vec(), body }
}

/// The vector's session keys (valid for any answer after the vector's NEGOTIATE).
pub fn vector_keys() -> (Vec<u8>, Vec<u8>) {
    let v = e2e();
    (hx(&v, "/hkdf/aes_128_key_hex"), hx(&v, "/hkdf/hmac_sha256_key_hex"))
}

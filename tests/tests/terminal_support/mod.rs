//! Shared helpers of the `terminal_*` tests: the Smart Tap vectors, a terminal configured
//! with the vector's randomness, and a fake handset that answers with the vector's first
//! three responses and then with whatever GET DATA answer a test builds, sealed with the
//! vector's session keys.
#![allow(dead_code)]

use hce_wallet_core::ndef::{Message, Record};
use hce_wallet_core::ports::CollectorId;
use hce_wallet_harness::card::{Card, CardError, ScriptStep, ScriptedCard};
use hce_wallet_harness::terminal::crypto::SessionKeys;
use hce_wallet_harness::terminal::TerminalConfig;
use p256::ecdsa::SigningKey;
use p256::SecretKey;
use serde_json::Value;

pub fn vectors_dir() -> std::path::PathBuf {
    match std::env::var_os("HCE_SHARED_DIR") {
        Some(dir) => std::path::PathBuf::from(dir).join("vectors/smart-tap"),
        None => concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors/smart-tap").into(),
    }
}

pub fn load(name: &str) -> Value {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub fn e2e() -> Value {
    load("e2e-loyalty-2018.json")
}

pub fn hexv(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))).unwrap()
}

pub fn arr<const N: usize>(v: &Value) -> [u8; N] {
    hexv(v).try_into().unwrap()
}

/// The sample collector's key, from the vector file.
pub fn collector_key(v: &Value) -> SigningKey {
    SigningKey::from(
        SecretKey::from_slice(&hexv(&v["collector"]["long_term_private_key_hex"])).unwrap(),
    )
}

/// Google's sample terminal with the vector's session ID, nonce and ephemeral key.
pub fn vector_config(v: &Value) -> TerminalConfig {
    let mut c = TerminalConfig::new(CollectorId(20180608), 1, collector_key(v));
    c.session_id = Some(arr(&v["terminal"]["session_id_hex"]));
    c.nonce = Some(arr(&v["terminal"]["nonce_hex"]));
    c.ephemeral =
        Some(SecretKey::from_slice(&hexv(&v["terminal"]["ephemeral_private_key_hex"])).unwrap());
    c
}

/// Variant B's request: zlib advertised, all services.
pub fn zlib_config(v: &Value) -> TerminalConfig {
    let mut c = vector_config(v);
    c.pcr = Some([0x41, 0, 0, 0, 4]);
    c.service_types = vec![0];
    c
}

/// The three steps before GET DATA as script steps (command expected byte for byte).
pub fn handshake(v: &Value) -> Vec<ScriptStep> {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| ScriptStep {
            expect: Some(hexv(&s["command_hex"])),
            respond: hexv(&s["response_apdu_hex"]),
        })
        .collect()
}

/// A scripted card replaying the whole vector tap for variant `i` (0 = A, 1 = B).
pub fn vector_card(v: &Value, i: usize) -> ScriptedCard {
    let mut steps = handshake(v);
    let var = &v["get_data"]["variants"][i];
    steps.push(ScriptStep {
        expect: Some(hexv(&var["command_hex"])),
        respond: hexv(&var["response_apdu_hex"]),
    });
    ScriptedCard::new(steps)
}

/// The session keys both sides of the vector tap derive.
pub fn vector_keys(v: &Value) -> SessionKeys {
    let eph = SecretKey::from_slice(&hexv(&v["terminal"]["ephemeral_private_key_hex"])).unwrap();
    SessionKeys::derive(&eph, &hexv(&v["hkdf"]["salt_hex"]), &hexv(&v["hkdf"]["info_hex"])).unwrap()
}

pub fn ses(session_id: &[u8], sequence: u8, status: u8) -> Record {
    let mut p = session_id.to_vec();
    p.extend_from_slice(&[sequence, status]);
    Record::external(b"ses", p)
}

/// `reb` payload sealing `body` under the vector's keys.
pub fn reb(v: &Value, flags: u8, body: &[u8]) -> Vec<u8> {
    let iv = [7u8; 12];
    let (ct, tag) = vector_keys(v).seal(&iv, body);
    let mut p = vec![flags];
    p.extend_from_slice(&iv);
    p.extend_from_slice(&ct);
    p.extend_from_slice(&tag);
    p
}

/// `srs[ses(seq 4), reb]` for the vector session, as GET DATA answer data.
pub fn srs(v: &Value, reb_payload: Option<Vec<u8>>) -> Vec<u8> {
    let sid = hexv(&v["terminal"]["session_id_hex"]);
    let mut inner = vec![ses(&sid, 4, 1)];
    if let Some(p) = reb_payload {
        inner.push(Record::external(b"reb", p));
    }
    Message::new(vec![Record::container(b"srs", &[], &Message::new(inner))]).encode()
}

pub fn with_sw(mut data: Vec<u8>, sw: u16) -> Vec<u8> {
    data.extend_from_slice(&sw.to_be_bytes());
    data
}

/// A handset that plays the vector handshake and then answers GET DATA with `answer`,
/// split into `chunk`-byte slices with `9100` and served through GET MORE DATA.
pub struct FakeHandset {
    pub script: ScriptedCard,
    pub answer: Vec<u8>,
    pub final_sw: u16,
    pub chunk: usize,
    pending: Option<Vec<u8>>,
    pub get_data_seen: usize,
}

impl FakeHandset {
    pub fn new(v: &Value, answer: Vec<u8>, final_sw: u16) -> FakeHandset {
        FakeHandset {
            script: ScriptedCard::new(handshake(v)),
            answer,
            final_sw,
            chunk: usize::MAX,
            pending: None,
            get_data_seen: 0,
        }
    }
    pub fn chunked(mut self, chunk: usize) -> FakeHandset {
        self.chunk = chunk;
        self
    }
    fn next_slice(&mut self, mut rest: Vec<u8>) -> Vec<u8> {
        if rest.len() > self.chunk {
            let tail = rest.split_off(self.chunk);
            self.pending = Some(tail);
            with_sw(rest, 0x9100)
        } else {
            self.pending = None;
            with_sw(rest, self.final_sw)
        }
    }
}

impl Card for FakeHandset {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        match apdu.get(..2) {
            Some([0x90, 0x50]) => {
                self.get_data_seen += 1;
                let answer = self.answer.clone();
                Ok(self.next_slice(answer))
            }
            Some([0x90, 0xC0]) => match self.pending.take() {
                Some(rest) => Ok(self.next_slice(rest)),
                None => Ok(vec![0x94, 0x04]),
            },
            _ => self.script.transmit(apdu),
        }
    }
}

//! The Smart Tap applet behind the router, under a sequence of APDUs and deactivations
//! framed as in the `router` target (`op len bytes…`; `op & 1` link loss, `op & 2`
//! deselect before the APDU): it never panics and always answers a status word.
//!
//! Behind the router: the core's Smart Tap applet (OSE.VAS.01 and Smart Tap 2) with the
//! e2e vector's collector key, one loyalty pass and the vector's handset randomness, so
//! the seed tap (from `e2e-loyalty-2018.json`) authenticates and mutations reach GET DATA
//! and its crypto; plus a small echo applet on another AID for switching between applets.
#![no_main]

mod frames;

use std::sync::Arc;

use hce_wallet_core::apdu::{sw, Command, Response};
use hce_wallet_core::ports::{
    CollectorId, FixedClock, IssuerKeyRing, NoEvents, PassSource, PassType, RandomSource,
    Selection, SelectionRequest, SmartTapPass,
};
use hce_wallet_core::router::{Applet, Deactivation, Router};
use hce_wallet_core::smart_tap::{SmartTapApplet, SmartTapConfig, SmartTapPorts};
use hce_wallet_core::time::Timestamp;
use libfuzzer_sys::fuzz_target;
use zeroize::Zeroizing;

// Public test material from `shared/vectors/smart-tap/e2e-loyalty-2018.json`.
const COLLECTOR: CollectorId = CollectorId(20180608);
const COLLECTOR_KEY: &str = "03721c978fcebdcdf98a8518bdc4fedfd802b4ee4128e2513b665593375e238786";
const HANDSET_NONCE: &str = "10989cdb937d1e2a81364d0c909920afd6d4a88425179e8218cf840c10d46365";
const HANDSET_SCALAR: &str = "7426dc700e12f0d8766785365354474c4051e870c67c4282af597509e3567c5e";
const IV: &str = "a09fcc22c2230a5bed99ddf3";
const OTHER_AID: &[u8] = &[0xF0, 0x01, 0x02, 0x03, 0x04, 0x05];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// 32-byte draws alternate nonce / scalar, 12-byte draws are the IV (as the vector).
struct VectorRandom {
    next_is_scalar: bool,
}

impl RandomSource for VectorRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        let source = match buf.len() {
            32 if self.next_is_scalar => unhex(HANDSET_SCALAR),
            32 => unhex(HANDSET_NONCE),
            12 => unhex(IV),
            _ => Vec::new(),
        };
        if buf.len() == 32 {
            self.next_is_scalar = !self.next_is_scalar;
        }
        buf.fill(0);
        buf.iter_mut().zip(source).for_each(|(b, s)| *b = s);
    }
}

struct Keys(p256::PublicKey);
impl IssuerKeyRing for Keys {
    fn collector_key(&self, c: CollectorId, v: u32, _now: Timestamp) -> Option<p256::PublicKey> {
        (c == COLLECTOR && v == 1).then_some(self.0)
    }
}

struct OnePass(SmartTapPass);
impl PassSource for OnePass {
    fn could_redeem(&self, collector: CollectorId, _now: Timestamp) -> bool {
        collector == COLLECTOR
    }
    fn select(&self, request: &SelectionRequest) -> Selection {
        if request.collector == COLLECTOR && self.0.pass_type.requested_by(&request.service_types) {
            Selection::Send(self.0.clone())
        } else {
            Selection::NothingEligible
        }
    }
}

/// Echoes data on another AID, so SELECTs switch applets and deselect Smart Tap.
struct Echo(bool);
impl Applet for Echo {
    fn aids(&self) -> &[&'static [u8]] {
        &[OTHER_AID]
    }
    fn select(&mut self, _aid: &[u8], _command: &Command<'_>) -> Response {
        self.0 = true;
        Response::status(sw::OK)
    }
    fn process(&mut self, command: &Command<'_>) -> Response {
        assert!(self.0, "process without select");
        let n = command.data.len().min(command.ne());
        Response::new(command.data[..n].to_vec(), sw::OK)
    }
    fn deactivate(&mut self, _reason: Deactivation) {
        self.0 = false;
    }
}

fn router() -> Router {
    let key = p256::PublicKey::from_sec1_bytes(&unhex(COLLECTOR_KEY)).unwrap();
    let pass = SmartTapPass {
        object_id: "3265320111641956183.0619_googleDemoTest-obj01".to_owned(),
        issuer_id: 3265320111641956183,
        pass_type: PassType::Loyalty,
        redemption_value: Zeroizing::new("2018".to_owned()),
    };
    let ports = SmartTapPorts {
        key_ring: Arc::new(Keys(key)),
        passes: Arc::new(OnePass(pass)),
        push: None,
        events: Arc::new(NoEvents),
        random: Box::new(VectorRandom { next_is_scalar: false }),
        clock: Arc::new(FixedClock(Timestamp(0))),
        payment: None,
    };
    let mut router = Router::new();
    router.register(Box::new(SmartTapApplet::new(ports, SmartTapConfig::default()).unwrap()));
    router.register(Box::new(Echo(false)));
    router
}

fuzz_target!(|data: &[u8]| {
    let mut router = router();
    frames::drive(&mut router, data);
});

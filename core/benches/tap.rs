//! One whole handset-side Smart Tap (SELECT OSE → SELECT ST2 → NEGOTIATE → GET DATA)
//! against its crypto floor — one P-256 verify, one ECDH (with decoding the terminal's
//! key), HKDF and AES-CTR + HMAC of the same bundle, done with the same crates — with a
//! pass source of 1,000 and of 10,000 passes.
//!
//! Key generation happens when the applet is armed, before the tap (spec §6.1), so it is
//! outside the measured tap, as on a phone. The terminal's NEGOTIATE is signed here with
//! p256 over the handset nonce the deterministic random source hands the applet.
//!
//! After criterion's own report the binary measures the three figures again,
//! interleaved in one run, and prints the ratios (goals: tap ≤ 1.25 × floor,
//! 10k ≤ 1.05 × 1k). Run: `cargo bench -p hce-wallet-core --bench tap`.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aes::Aes128;
use criterion::{BatchSize, Criterion};
use ctr::cipher::{KeyIvInit, StreamCipher};
use hce_wallet_core::ndef::{Message, Record};
use hce_wallet_core::ports::{
    CollectorId, FixedClock, IssuerKeyRing, NoEvents, PassSource, PassType, RandomSource,
    Selection, SelectionRequest, SmartTapPass,
};
use hce_wallet_core::router::Router;
use hce_wallet_core::smart_tap::{SmartTapApplet, SmartTapConfig, SmartTapPorts};
use hce_wallet_core::time::Timestamp;
use hex_literal::hex;
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::sec1::ToSec1Point;
use sha2::Sha256;
use zeroize::Zeroizing;

const COLLECTOR: CollectorId = CollectorId(20180608);
const NOW: Timestamp = Timestamp(1_780_000_000_000);
const TERMINAL_KEY: [u8; 32] =
    hex!("826d17e50767b165b0e4d9e332f8d1d1e20224284fb4daf1e50a03246e70797d");
const HANDSET_NONCE: [u8; 32] =
    hex!("10989cdb937d1e2a81364d0c909920afd6d4a88425179e8218cf840c10d46365");
const HANDSET_SCALAR: [u8; 32] =
    hex!("7426dc700e12f0d8766785365354474c4051e870c67c4282af597509e3567c5e");
const TERMINAL_NONCE: [u8; 32] =
    hex!("801c1c3b6f24a8f51c243a18a79361bd3be6b25ce7e3b8b605863863ffe065d4");
const TERMINAL_EPHEMERAL: [u8; 32] =
    hex!("fd7f8b9b9df406a24ecc8f84307cc8b54ac0e1be194538bcd9ecd3295f548520");
const SELECT_OSE: [u8; 16] = hex!("00a404000a4f53452e5641532e303100");
const SELECT_ST2: [u8; 15] = hex!("00a4040009a000000476d000011100");
const GET_DATA: &[u8] = &hex!("9050000036d40330737271000194030a736573063f5d538c2bb828030114030b6d6572d40305636c64040133ee80540307736c72d403017374720300");

/// Hands the applet the same nonce and key every time it arms, and a fixed IV.
struct Deterministic(bool);
impl RandomSource for Deterministic {
    fn fill(&mut self, buf: &mut [u8]) {
        let src: &[u8] = match buf.len() {
            32 => {
                self.0 = !self.0;
                if self.0 {
                    &HANDSET_NONCE
                } else {
                    &HANDSET_SCALAR
                }
            }
            _ => &[0x5A; 64],
        };
        buf.copy_from_slice(&src[..buf.len()]);
    }
}

struct OneKey(p256::PublicKey);
impl IssuerKeyRing for OneKey {
    fn collector_key(&self, c: CollectorId, v: u32, _now: Timestamp) -> Option<p256::PublicKey> {
        (c == COLLECTOR && v == 1).then_some(self.0)
    }
}

/// A simple indexed pass source: passes grouped by the collector that may redeem them.
struct Indexed(HashMap<CollectorId, Vec<SmartTapPass>>);
impl Indexed {
    fn with(n: usize) -> Indexed {
        let mut map: HashMap<CollectorId, Vec<SmartTapPass>> = HashMap::new();
        for i in 0..n as u32 {
            let collector = if i == 0 { COLLECTOR } else { CollectorId(1_000_000 + i) };
            map.entry(collector).or_default().push(SmartTapPass {
                object_id: format!("3265320111641956183.pass-{i}"),
                issuer_id: 3265320111641956183,
                pass_type: PassType::Loyalty,
                redemption_value: Zeroizing::new(format!("{:04}", 2018 + i)),
            });
        }
        Indexed(map)
    }
}
impl PassSource for Indexed {
    fn could_redeem(&self, collector: CollectorId, _now: Timestamp) -> bool {
        self.0.contains_key(&collector)
    }
    fn select(&self, r: &SelectionRequest) -> Selection {
        let eligible: Vec<&SmartTapPass> = self
            .0
            .get(&r.collector)
            .map(|v| v.iter().filter(|p| p.pass_type.requested_by(&r.service_types)).collect())
            .unwrap_or_default();
        match eligible.as_slice() {
            [] => Selection::NothingEligible,
            [one] => Selection::Send((*one).clone()),
            many => Selection::ChooserRequired {
                candidates: many.iter().map(|p| p.object_id.clone()).collect(),
            },
        }
    }
}

/// What the terminal sends and what the floor computes over.
struct Fixture {
    key_ring: Arc<OneKey>,
    negotiate: Vec<u8>,
    signed: Vec<u8>,
    der: Vec<u8>,
    terminal_ephemeral: [u8; 33],
    handset_public: [u8; 33],
    bundle: Vec<u8>,
}

fn fixture() -> Fixture {
    let terminal = SigningKey::from_slice(&TERMINAL_KEY).unwrap();
    let et: [u8; 33] = p256::SecretKey::from_slice(&TERMINAL_EPHEMERAL)
        .unwrap()
        .public_key()
        .to_sec1_point(true)
        .as_bytes()
        .try_into()
        .unwrap();
    let handset_public: [u8; 33] = p256::SecretKey::from_slice(&HANDSET_SCALAR)
        .unwrap()
        .public_key()
        .to_sec1_point(true)
        .as_bytes()
        .try_into()
        .unwrap();
    let mut signed = TERMINAL_NONCE.to_vec();
    signed.extend_from_slice(&HANDSET_NONCE);
    signed.extend_from_slice(&COLLECTOR.to_be_bytes());
    signed.extend_from_slice(&et);
    let sig: Signature = terminal.sign(&signed);
    let der = sig.to_der().as_bytes().to_vec();
    let mut cpr = TERMINAL_NONCE.to_vec();
    cpr.push(1);
    cpr.extend_from_slice(&et);
    cpr.extend_from_slice(&1u32.to_be_bytes());
    Message::new(vec![
        Record::external(b"sig", [&[4u8][..], &der].concat()),
        Record::external(b"cld", [&[4u8][..], &COLLECTOR.to_be_bytes()].concat()),
    ])
    .encode_into(&mut cpr);
    let ngr = Message::new(vec![
        Record::external(b"ses", hex!("063f5d538c2bb8280101").to_vec()),
        Record::external(b"cpr", cpr),
    ]);
    let data = Message::new(vec![Record::container(b"ngr", &[0, 1], &ngr)]).encode();
    let mut negotiate = vec![0x90, 0x53, 0, 0, data.len() as u8];
    negotiate.extend_from_slice(&data);
    negotiate.push(0);
    Fixture {
        key_ring: Arc::new(OneKey(p256::PublicKey::from_affine(*terminal.verifying_key().as_affine()).unwrap())),
        negotiate,
        signed,
        der,
        terminal_ephemeral: et,
        handset_public,
        bundle: hex!("d4032d61737694010a6904012d50bf57545b8f5754021a6c799403096f6964049e2a2bb824e9975559010501546e0032303138").to_vec(),
    }
}

/// A router with an armed applet (key generation done, as before a real tap).
fn armed_router(f: &Fixture, passes: &Arc<Indexed>) -> Router {
    let ports = SmartTapPorts {
        key_ring: f.key_ring.clone(),
        passes: passes.clone(),
        push: None,
        events: Arc::new(NoEvents),
        random: Box::new(Deterministic(false)),
        clock: Arc::new(FixedClock(NOW)),
        payment: None,
    };
    let mut applet = SmartTapApplet::new(ports, SmartTapConfig::default()).unwrap();
    assert!(applet.arm());
    let mut router = Router::new();
    router.register(Box::new(applet));
    router
}

fn tap(router: &mut Router, f: &Fixture) -> usize {
    let mut n = router.process(&SELECT_OSE).len();
    n += router.process(&SELECT_ST2).len();
    let r = router.process(&f.negotiate);
    assert_eq!(&r[r.len() - 2..], &[0x90, 0x00]);
    n += r.len();
    let r = router.process(GET_DATA);
    assert_eq!(&r[r.len() - 2..], &[0x90, 0x00]);
    n + r.len()
}

/// The crypto a tap cannot avoid, with the same crates.
fn floor(f: &Fixture, public: &p256::PublicKey, secret: &p256::SecretKey) -> u8 {
    let sig = Signature::from_der(&f.der).unwrap().normalize_s();
    VerifyingKey::from(public).verify(&f.signed, &sig).unwrap();
    let et = p256::PublicKey::from_sec1_bytes(&f.terminal_ephemeral).unwrap();
    let z = secret.diffie_hellman(&et);
    let mut okm = [0u8; 48];
    Hkdf::<Sha256>::new(Some(&f.handset_public), z.raw_secret_bytes())
        .expand_multi_info(&[&f.signed, &f.der], &mut okm)
        .unwrap();
    let iv = [0x5Au8; 12];
    let mut counter = [0u8; 16];
    counter[..12].copy_from_slice(&iv);
    let mut body = f.bundle.clone();
    let key: [u8; 16] = okm[..16].try_into().unwrap();
    ctr::Ctr128BE::<Aes128>::new(&key.into(), &counter.into()).apply_keystream(&mut body);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&okm[16..]).unwrap();
    mac.update(&iv);
    mac.update(&body);
    mac.finalize().into_bytes()[0]
}

fn benches(c: &mut Criterion, f: &Fixture, sources: &[(usize, Arc<Indexed>)]) {
    let public = f.key_ring.0;
    let secret = p256::SecretKey::from_slice(&HANDSET_SCALAR).unwrap();
    let mut group = c.benchmark_group("smart_tap");
    group.sample_size(20).measurement_time(Duration::from_secs(4));
    group.bench_function("crypto_floor", |b| b.iter(|| black_box(floor(f, &public, &secret))));
    for (n, passes) in sources {
        group.bench_function(format!("tap_{n}_passes"), |b| {
            b.iter_batched(
                || armed_router(f, passes),
                |mut router| black_box(tap(&mut router, f)),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// Median per-iteration time of `run` over `rounds` rounds of `batch` iterations, the
/// three subjects interleaved round by round so that machine noise hits all alike.
fn ratios(f: &Fixture, sources: &[(usize, Arc<Indexed>)]) {
    const ROUNDS: usize = 31;
    const BATCH: usize = 20;
    let public = f.key_ring.0;
    let secret = p256::SecretKey::from_slice(&HANDSET_SCALAR).unwrap();
    let mut floor_t = Vec::with_capacity(ROUNDS);
    let mut tap_t: Vec<Vec<f64>> = vec![Vec::with_capacity(ROUNDS); sources.len()];
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..BATCH {
            black_box(floor(f, &public, &secret));
        }
        floor_t.push(start.elapsed().as_secs_f64() / BATCH as f64);
        for (i, (_, passes)) in sources.iter().enumerate() {
            let mut routers: Vec<Router> = (0..BATCH).map(|_| armed_router(f, passes)).collect();
            let start = Instant::now();
            for router in routers.iter_mut() {
                black_box(tap(router, f));
            }
            tap_t[i].push(start.elapsed().as_secs_f64() / BATCH as f64);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let floor_m = median(&mut floor_t);
    let taps: Vec<f64> = tap_t.iter_mut().map(median).collect();
    println!("\nSmart Tap handset, medians of {ROUNDS} interleaved rounds of {BATCH}:");
    println!("  crypto floor           {:>9.1} µs", floor_m * 1e6);
    for ((n, _), t) in sources.iter().zip(&taps) {
        println!(
            "  tap, {n:>6} passes     {:>9.1} µs   tap/floor = {:.3}  (goal ≤ 1.25)",
            t * 1e6,
            t / floor_m
        );
    }
    if let [small, large] = taps[..] {
        println!("  tap 10k / tap 1k = {:.3}  (goal ≤ 1.05)", large / small);
    }
}

fn main() {
    let f = fixture();
    let sources: Vec<(usize, Arc<Indexed>)> =
        [1_000, 10_000].into_iter().map(|n| (n, Arc::new(Indexed::with(n)))).collect();
    // Sanity: the answers are the real thing before anything is timed.
    let mut router = armed_router(&f, &sources[0].1);
    assert!(tap(&mut router, &f) > 200);
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c, &f, &sources);
    c.final_summary();
    ratios(&f, &sources);
}

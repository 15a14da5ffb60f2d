//! NEGOTIATE refusals cost the same whatever the wallet holds (smart-tap spec §6.3,
//! issue 12): the time of a refused NEGOTIATE for a collector the wallet holds no pass
//! for ("no pass"), and for one it holds a pass but no key of that version for ("wrong
//! key"), against the time of a NEGOTIATE for a held pass with a bad signature
//! ("pass, bad signature", the reference: a real key, a full verify). A malformed
//! terminal ephemeral key is measured too.
//!
//! After criterion's report the binary measures the paths again, interleaved round by
//! round in one run, and prints the ratios (goal: every ratio within 1.1×).
//! Run: `cargo bench -p hce-wallet-core --bench negotiate`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use hce_wallet_core::ndef::{Message, Record};
use hce_wallet_core::ports::{
    CollectorId, FixedClock, IssuerKeyRing, NoEvents, PassSource, PassType, RandomSource,
    Selection, SelectionRequest, SmartTapPass,
};
use hce_wallet_core::router::Router;
use hce_wallet_core::smart_tap::{
    NegotiationBudget, SmartTapApplet, SmartTapConfig, SmartTapPorts,
};
use hce_wallet_core::time::Timestamp;
use hex_literal::hex;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToSec1Point;
use zeroize::Zeroizing;

const HELD: CollectorId = CollectorId(20180608);
const STRANGER: CollectorId = CollectorId(16909060);
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

/// Holds key version 1 of the held collector only.
struct OneKey(p256::PublicKey);
impl IssuerKeyRing for OneKey {
    fn collector_key(&self, c: CollectorId, v: u32, _now: Timestamp) -> Option<p256::PublicKey> {
        (c == HELD && v == 1).then_some(self.0)
    }
}

/// One pass, redeemable by the held collector.
struct OnePass(SmartTapPass);
impl PassSource for OnePass {
    fn could_redeem(&self, collector: CollectorId, _now: Timestamp) -> bool {
        collector == HELD
    }
    fn select(&self, r: &SelectionRequest) -> Selection {
        if r.collector == HELD {
            Selection::Send(self.0.clone())
        } else {
            Selection::NothingEligible
        }
    }
}

/// A NEGOTIATE signed by the terminal key for `collector` / `version` over the handset
/// nonce, with `tamper` applied to (ephemeral key, DER signature) before encoding.
fn negotiate(
    collector: CollectorId,
    version: u32,
    tamper: fn(&mut [u8; 33], &mut [u8]),
) -> Vec<u8> {
    let terminal = SigningKey::from_slice(&TERMINAL_KEY).unwrap();
    let mut et: [u8; 33] = p256::SecretKey::from_slice(&TERMINAL_EPHEMERAL)
        .unwrap()
        .public_key()
        .to_sec1_point(true)
        .as_bytes()
        .try_into()
        .unwrap();
    let mut signed = TERMINAL_NONCE.to_vec();
    signed.extend_from_slice(&HANDSET_NONCE);
    signed.extend_from_slice(&collector.to_be_bytes());
    signed.extend_from_slice(&et);
    let sig: Signature = terminal.sign(&signed);
    let mut der = sig.to_der().as_bytes().to_vec();
    tamper(&mut et, &mut der);
    let mut cpr = TERMINAL_NONCE.to_vec();
    cpr.push(1);
    cpr.extend_from_slice(&et);
    cpr.extend_from_slice(&version.to_be_bytes());
    Message::new(vec![
        Record::external(b"sig", [&[4u8][..], &der].concat()),
        Record::external(b"cld", [&[4u8][..], &collector.to_be_bytes()].concat()),
    ])
    .encode_into(&mut cpr);
    let ngr = Message::new(vec![
        Record::external(b"ses", hex!("063f5d538c2bb8280101").to_vec()),
        Record::external(b"cpr", cpr),
    ]);
    let data = Message::new(vec![Record::container(b"ngr", &[0, 1], &ngr)]).encode();
    let mut apdu = vec![0x90, 0x53, 0, 0, data.len() as u8];
    apdu.extend_from_slice(&data);
    apdu.push(0);
    apdu
}

fn untouched(_: &mut [u8; 33], _: &mut [u8]) {}
/// Flips the last bit of `s`: still valid DER, the verify runs in full and fails.
fn flip_signature(_: &mut [u8; 33], der: &mut [u8]) {
    *der.last_mut().unwrap() ^= 1;
}
/// x ≥ p: not a point.
fn break_key(et: &mut [u8; 33], _: &mut [u8]) {
    et[1..].fill(0xFF);
}

struct Paths {
    /// (label, command), the reference first.
    commands: Vec<(&'static str, Vec<u8>)>,
}

fn paths() -> Paths {
    Paths {
        commands: vec![
            ("pass, bad signature", negotiate(HELD, 1, flip_signature)),
            ("no pass", negotiate(STRANGER, 1, untouched)),
            ("wrong key", negotiate(HELD, 2, untouched)),
            ("malformed key", negotiate(HELD, 1, break_key)),
        ],
    }
}

/// A router whose applet is armed and selected, with a budget that never runs out.
fn selected_router() -> Router {
    let terminal = SigningKey::from_slice(&TERMINAL_KEY).unwrap();
    let key = p256::PublicKey::from_affine(*terminal.verifying_key().as_affine()).unwrap();
    let pass = SmartTapPass {
        object_id: "3265320111641956183.bench".into(),
        issuer_id: 3265320111641956183,
        pass_type: PassType::Loyalty,
        redemption_value: Zeroizing::new("2018".into()),
    };
    let ports = SmartTapPorts {
        key_ring: Arc::new(OneKey(key)),
        passes: Arc::new(OnePass(pass)),
        push: None,
        events: Arc::new(NoEvents),
        random: Box::new(Deterministic(false)),
        clock: Arc::new(FixedClock(NOW)),
        payment: None,
    };
    let config =
        SmartTapConfig { negotiation_budget: NegotiationBudget::UNLIMITED, ..Default::default() };
    let mut applet = SmartTapApplet::new(ports, config).unwrap();
    assert!(applet.arm());
    let mut router = Router::new();
    router.register(Box::new(applet));
    assert!(router.process(&SELECT_OSE).ends_with(&[0x90, 0x00]));
    router
}

fn refuse(router: &mut Router, command: &[u8]) -> usize {
    let r = router.process(command);
    assert_eq!(r, [0x95, 0x00]);
    r.len()
}

fn benches(c: &mut Criterion, paths: &Paths) {
    let mut group = c.benchmark_group("negotiate_refused");
    group.sample_size(20).measurement_time(Duration::from_secs(3));
    for (label, command) in &paths.commands {
        let mut router = selected_router();
        group.bench_function(label.replace([' ', ','], "_"), |b| {
            b.iter(|| black_box(refuse(&mut router, command)))
        });
    }
    group.finish();
}

/// Medians of interleaved rounds, so that machine noise hits every path alike.
fn ratios(paths: &Paths) {
    const ROUNDS: usize = 41;
    const BATCH: usize = 25;
    let mut routers: Vec<Router> = paths.commands.iter().map(|_| selected_router()).collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(ROUNDS); paths.commands.len()];
    for _ in 0..ROUNDS {
        for (i, (_, command)) in paths.commands.iter().enumerate() {
            let start = Instant::now();
            for _ in 0..BATCH {
                black_box(refuse(&mut routers[i], command));
            }
            times[i].push(start.elapsed().as_secs_f64() / BATCH as f64);
        }
    }
    let medians: Vec<f64> = times
        .iter_mut()
        .map(|v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect();
    println!("\nRefused NEGOTIATE, medians of {ROUNDS} interleaved rounds of {BATCH}:");
    let reference = medians[0];
    for ((label, _), m) in paths.commands.iter().zip(&medians) {
        println!(
            "  {label:<22} {:>8.1} µs   ratio to \"{}\" = {:.3}  (goal within 1.1)",
            m * 1e6,
            paths.commands[0].0,
            m / reference
        );
    }
}

fn main() {
    let paths = paths();
    // Sanity: the reference command is the real thing, unflipped it authenticates.
    let mut router = selected_router();
    let good = negotiate(HELD, 1, untouched);
    assert!(router.process(&good).ends_with(&[0x90, 0x00]));
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c, &paths);
    c.final_summary();
    ratios(&paths);
}

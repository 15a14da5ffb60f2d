//! Key sync against a real HTTP server (issue #7): nginx on loopback serves signed
//! bundles; the core's sync engine fetches them through the desktop `ureq` transport and
//! applies them to a key ring. Every case asserts what the ring holds afterwards.
//!
//! Each case also taps: the reference terminal (the collector's private key) against the
//! Smart Tap applet whose key ring is the synced one. A tap reads the pass when the ring
//! holds the terminal's (collector, version) key and ends with `9500` when it does not.
//!
//! Time is injected: bundles and key windows are built around a fixed `NOW`, and backoff
//! is followed by advancing that clock, not by sleeping. Only the slow-body and
//! truncation cases take real time (about a second each).
//!
//! Needs the Debian `nginx` binary (`make deps`); set `HCE_SKIP_NGINX=1` to skip.

use std::fs::OpenOptions;
use std::sync::Arc;
use std::time::Duration;

use hce_wallet_core::events::{AuthFailure, WalletEvent};
use hce_wallet_core::key_bundle::{
    sign, BundleError, CollectorEntry, IssuerEntry, KeyBundle, KeyEntry, PinnedRoots,
};
use hce_wallet_core::key_ring::{ApplyError, SharedKeyRing};
use hce_wallet_core::ports::{
    CollectorId, EventLog, FixedClock, IssuerKeyRing, OsRandom, PassSource, PassType, RandomSource,
    Selection, SelectionRequest, SmartTapPass,
};
use hce_wallet_core::router::Router;
use hce_wallet_core::smart_tap::{SmartTapApplet, SmartTapConfig, SmartTapPorts};
use hce_wallet_core::sync::{
    HttpTransport, Poll, SyncConfig, SyncEngine, SyncError, SyncOutcome, SyncState, TransportError,
    Trigger,
};
use hce_wallet_core::time::Timestamp;
use hce_wallet_harness::card::RouterCard;
use hce_wallet_harness::http::UreqTransport;
use hce_wallet_harness::nginx::{self, Nginx};
use hce_wallet_harness::terminal::{TapResult, Terminal, TerminalConfig};
use p256::ecdsa::SigningKey;
use p256::PublicKey;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const NOW_SECS: i64 = 1_800_000_000;
const DAY: i64 = 86_400;
const ROOT: &str = "nginx-test operator root";
const ISSUER: u64 = 3265320111641956183;
const COLLECTOR: u32 = 20180608;

fn now() -> Timestamp {
    Timestamp::from_secs(NOW_SECS)
}

fn signing_key(label: &str) -> SigningKey {
    SigningKey::from_slice(&Sha256::digest(label.as_bytes())).unwrap()
}

fn public(label: &str) -> PublicKey {
    PublicKey::from(signing_key(label).verifying_key())
}

fn key_label(collector: u32, version: u32) -> String {
    format!("collector {collector} key {version}")
}

fn bundle(sequence: u64, keys: &[(u64, u32, &[u32])]) -> KeyBundle {
    KeyBundle {
        sequence,
        issued_at: Timestamp::from_secs(NOW_SECS - DAY),
        expires_at: Timestamp::from_secs(NOW_SECS + 30 * DAY),
        issuers: (keys.iter())
            .map(|&(issuer_id, collector, versions)| IssuerEntry {
                issuer_id,
                collectors: vec![CollectorEntry {
                    collector_id: CollectorId(collector),
                    keys: (versions.iter())
                        .map(|&version| KeyEntry {
                            version,
                            public_key: public(&key_label(collector, version)),
                            not_before: Timestamp::from_secs(NOW_SECS - 100 * DAY),
                            not_after: Timestamp::from_secs(NOW_SECS + 100 * DAY),
                        })
                        .collect(),
                }],
            })
            .collect(),
    }
}

fn signed(b: &KeyBundle) -> Vec<u8> {
    sign(b, &signing_key(ROOT)).unwrap()
}

/// The one pass the test wallet holds; every collector may redeem it (selection is not
/// what these tests are about).
struct OnePass;
impl PassSource for OnePass {
    fn could_redeem(&self, _collector: CollectorId, _now: Timestamp) -> bool {
        true
    }
    fn select(&self, _request: &SelectionRequest) -> Selection {
        Selection::Send(SmartTapPass {
            object_id: format!("{ISSUER}.sync-test"),
            issuer_id: ISSUER,
            pass_type: PassType::Loyalty,
            redemption_value: Zeroizing::new("2018".to_owned()),
        })
    }
}

/// How a tap ended.
#[derive(Debug, PartialEq, Eq)]
enum Tap {
    /// Authenticated and read the pass's redemption value.
    Read(String),
    /// The wallet refused to authenticate the terminal (SW 9500, unknown key).
    Refused,
}

/// One tap by the reference terminal holding `collector`'s key `version`, against a
/// Smart Tap applet reading `ring` at `now`.
fn tap<R: IssuerKeyRing + 'static>(
    ring: &Arc<R>,
    collector: u32,
    version: u32,
    now: Timestamp,
) -> Tap {
    let events = Arc::new(EventLog::default());
    let ports = SmartTapPorts {
        key_ring: ring.clone(),
        passes: Arc::new(OnePass),
        push: None,
        events: events.clone(),
        random: Box::new(OsRandom),
        clock: Arc::new(FixedClock(now)),
        payment: None,
    };
    let mut router = Router::new();
    router.register(Box::new(SmartTapApplet::new(ports, SmartTapConfig::default()).unwrap()));
    let mut card = RouterCard::new(router);
    let key = signing_key(&key_label(collector, version));
    let terminal = Terminal::new(TerminalConfig::new(CollectorId(collector), version, key));
    let outcome = terminal.tap(&mut card);
    match &outcome.result {
        Ok(TapResult::Read { .. }) => {
            let values = outcome.redemption_values();
            assert_eq!(values.len(), 1, "{:?}", outcome.transcript);
            Tap::Read(values[0].to_owned())
        }
        Ok(TapResult::Ended { sw, .. }) if sw.0 == 0x9500 => {
            let failed = WalletEvent::AuthenticationFailed {
                collector: CollectorId(collector),
                key_version: version,
                reason: AuthFailure::UnknownKey,
            };
            assert!(events.take().contains(&failed), "the wallet reports why");
            Tap::Refused
        }
        other => panic!("unexpected tap result {other:?}"),
    }
}

struct Zeros;
impl RandomSource for Zeros {
    fn fill(&mut self, buf: &mut [u8]) {
        buf.fill(0);
    }
}

/// nginx + engine + ring, with an injected clock.
struct Rig {
    nginx: Nginx,
    engine: SyncEngine,
    ring: Arc<SharedKeyRing>,
    transport: UreqTransport,
    now: Timestamp,
}

impl Rig {
    fn new(locations: &str, path: &str) -> Option<Rig> {
        Self::with_config(locations, path, |_| {})
    }

    fn with_config(
        locations: &str,
        path: &str,
        tweak: impl FnOnce(&mut SyncConfig),
    ) -> Option<Rig> {
        if std::env::var_os("HCE_SKIP_NGINX").is_some() {
            eprintln!("HCE_SKIP_NGINX set: skipping");
            return None;
        }
        assert!(nginx::available(), "nginx not found (run `make deps`, or set HCE_SKIP_NGINX=1)");
        let nginx = Nginx::start(locations).expect("nginx starts");
        let mut config = SyncConfig::new(nginx.url(path));
        config.timeout_ms = 5_000;
        tweak(&mut config);
        let roots = PinnedRoots::new([public("retired root"), public(ROOT)]);
        Some(Rig {
            nginx,
            engine: SyncEngine::new(config, roots, SyncState::default()),
            ring: Arc::new(SharedKeyRing::default()),
            transport: UreqTransport::new(),
            now: now(),
        })
    }

    /// Polls at the rig's time; if a fetch is due, makes it against nginx.
    fn step(&mut self) -> SyncOutcome {
        match self.engine.poll(self.now) {
            Poll::Fetch(request) => {
                let result = self.transport.send(&request);
                self.engine.on_response(result, &*self.ring, &mut Zeros, self.now)
            }
            other => panic!("no fetch due at {:?}: {other:?}", self.now),
        }
    }

    /// A manual sync now.
    fn sync(&mut self) -> SyncOutcome {
        self.engine.trigger(Trigger::Manual);
        self.step()
    }

    /// Whether the ring holds the key of (collector, version), checked twice: by lookup,
    /// and by a tap of the reference terminal holding that key.
    fn has(&self, collector: u32, version: u32) -> bool {
        let key = self.ring.collector_key(CollectorId(collector), version, self.now);
        if let Some(k) = key {
            assert_eq!(k, public(&key_label(collector, version)));
        }
        let tapped = tap(&self.ring, collector, version, self.now);
        let expected = if key.is_some() { Tap::Read("2018".into()) } else { Tap::Refused };
        assert_eq!(tapped, expected, "tap by collector {collector} key {version}");
        key.is_some()
    }

    fn sequence(&self) -> Option<u64> {
        self.ring.snapshot().applied_sequence()
    }

    fn failed(outcome: SyncOutcome) -> (SyncError, Timestamp) {
        match outcome {
            SyncOutcome::Failed { error, retry_at } => (error, retry_at),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    fn last_request_status(&self) -> String {
        let log = self.nginx.access_log();
        log.lines().last().unwrap_or_default().split(' ').next().unwrap_or_default().to_owned()
    }
}

#[test]
fn ok_200_fills_the_ring_then_304_costs_nothing() {
    let Some(mut rig) = Rig::new("", "/keys.cose") else { return };
    rig.nginx.publish("keys.cose", &signed(&bundle(1, &[(ISSUER, COLLECTOR, &[1])])), 1).unwrap();
    assert!(!rig.has(COLLECTOR, 1), "no keys before the first sync");
    let SyncOutcome::Updated(report) = rig.sync() else { panic!("{}", rig.nginx.error_log()) };
    assert_eq!((report.sequence, report.keys), (1, 1));
    assert!(rig.has(COLLECTOR, 1));
    assert_eq!(rig.last_request_status(), "200");
    let etag = rig.engine.state().etag.clone().expect("nginx sends an ETag");

    rig.now = rig.now.plus_millis(1000);
    assert_eq!(rig.sync(), SyncOutcome::NotModified);
    let last = rig.nginx.access_log().lines().last().unwrap().to_owned();
    assert!(last.starts_with("304 0 "), "{last}");
    // nginx logs the quotes of the tag as \x22.
    assert!(last.contains(etag.trim_matches('"')), "If-None-Match sent: {last}");
    assert!(rig.has(COLLECTOR, 1));
    assert_eq!(rig.engine.state().consecutive_failures, 0);
}

#[test]
fn not_found_is_a_failure_and_keeps_what_was_there() {
    let Some(mut rig) = Rig::new("", "/keys.cose") else { return };
    rig.nginx.publish("keys.cose", &signed(&bundle(1, &[(ISSUER, COLLECTOR, &[1])])), 1).unwrap();
    assert!(matches!(rig.sync(), SyncOutcome::Updated(_)));
    rig.nginx.unpublish("keys.cose").unwrap();
    let (error, _) = Rig::failed(rig.sync());
    assert_eq!(error, SyncError::Http { status: 404 });
    assert!(rig.has(COLLECTOR, 1), "offline/failed sync keeps the last bundle");
    assert_eq!(rig.sequence(), Some(1));
}

#[test]
fn server_error_backs_off_then_succeeds() {
    let flaky = r#"
        location = /keys.cose {
            if (-f $document_root/fail) { return 500; }
        }"#;
    let Some(mut rig) = Rig::new(flaky, "/keys.cose") else { return };
    rig.nginx.publish("keys.cose", &signed(&bundle(1, &[(ISSUER, COLLECTOR, &[1])])), 1).unwrap();
    rig.nginx.publish("fail", b"", 0).unwrap();

    let (error, first_retry) = Rig::failed(rig.step());
    assert_eq!(error, SyncError::Http { status: 500 });
    assert_eq!(first_retry, rig.now.plus_millis(15_000), "30 s backoff, jitter 0");
    assert_eq!(rig.engine.poll(rig.now), Poll::WaitUntil(first_retry));

    rig.now = first_retry;
    let (_, second_retry) = Rig::failed(rig.step());
    assert_eq!(second_retry, rig.now.plus_millis(30_000), "doubled");
    assert!(!rig.has(COLLECTOR, 1));

    rig.nginx.unpublish("fail").unwrap();
    rig.now = second_retry;
    assert!(matches!(rig.step(), SyncOutcome::Updated(_)));
    assert!(rig.has(COLLECTOR, 1));
    let status = rig.engine.status(&rig.ring.snapshot(), rig.now);
    assert_eq!(status.consecutive_failures, 0);
    assert_eq!(status.last_error.as_deref(), Some("server answered HTTP 500"));
    assert_eq!(status.last_success, Some(rig.now));
}

#[test]
fn retry_after_and_max_age_from_the_server_are_honoured() {
    let locations = r#"
        location = /busy.cose { add_header Retry-After 120 always; return 503; }
        location = /keys.cose { expires 1h; }"#;
    let Some(mut rig) = Rig::new(locations, "/busy.cose") else { return };
    let (error, retry_at) = Rig::failed(rig.step());
    assert_eq!(error, SyncError::Http { status: 503 });
    assert_eq!(retry_at, rig.now.plus_millis(120_000));
    rig.engine.trigger(Trigger::Manual);
    assert_eq!(rig.engine.poll(rig.now), Poll::WaitUntil(retry_at), "even manual waits");

    let mut rig = Rig::new(locations, "/keys.cose").unwrap();
    rig.nginx.publish("keys.cose", &signed(&bundle(1, &[(ISSUER, COLLECTOR, &[1])])), 1).unwrap();
    assert!(matches!(rig.step(), SyncOutcome::Updated(_)));
    rig.engine.trigger(Trigger::NetworkAvailable);
    assert_eq!(rig.engine.poll(rig.now), Poll::WaitUntil(rig.now.plus_millis(3_600_000)));
}

#[test]
fn slow_body_times_out() {
    let slow = "location = /keys.cose { limit_rate 1k; }";
    let Some(mut rig) = Rig::new(slow, "/keys.cose") else { return };
    rig.transport = UreqTransport::with_timeout(Duration::from_millis(800));
    rig.nginx.publish("keys.cose", &vec![0u8; 64 * 1024], 1).unwrap();
    let (error, _) = Rig::failed(rig.step());
    assert_eq!(error, SyncError::Transport(TransportError::Timeout));
    assert_eq!(rig.sequence(), None);
    assert!(!rig.has(COLLECTOR, 1));
}

#[test]
fn transfer_cut_short_is_truncated() {
    let slow = "location = /keys.cose { limit_rate 32k; }";
    let Some(mut rig) = Rig::new(slow, "/keys.cose") else { return };
    rig.nginx.publish("keys.cose", &vec![0u8; 512 * 1024], 1).unwrap();
    let path = rig.nginx.docroot().join("keys.cose");
    // Shrink the file under nginx while it is sending: it notices and drops the
    // connection before the promised Content-Length, as a crashing server would.
    let cutter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        OpenOptions::new().write(true).open(path).unwrap().set_len(1000).unwrap();
    });
    let outcome = rig.step();
    cutter.join().unwrap();
    let (error, _) = Rig::failed(outcome);
    assert_eq!(error, SyncError::Transport(TransportError::Truncated), "{}", rig.nginx.error_log());
    assert_eq!(rig.sequence(), None);
    assert!(!rig.has(COLLECTOR, 1));
}

#[test]
fn truncated_file_is_refused_by_the_decoder() {
    let Some(mut rig) = Rig::new("", "/keys.cose") else { return };
    let full = signed(&bundle(1, &[(ISSUER, COLLECTOR, &[1])]));
    rig.nginx.publish("keys.cose", &full[..full.len() / 2], 1).unwrap();
    let (error, _) = Rig::failed(rig.step());
    assert!(matches!(error, SyncError::Bundle(BundleError::Envelope(_))), "{error}");
    assert!(!rig.has(COLLECTOR, 1));
}

#[test]
fn oversized_body_is_refused_before_download() {
    let cap = 64 * 1024;
    let Some(mut rig) = Rig::with_config("", "/keys.cose", |c| c.limits.max_bytes = cap) else {
        return;
    };
    rig.nginx.publish("keys.cose", &vec![0u8; 4 * cap], 1).unwrap();
    let (error, _) = Rig::failed(rig.step());
    assert_eq!(error, SyncError::Transport(TransportError::TooLarge { limit: cap as u64 }));
    assert_eq!(rig.sequence(), None);
    assert!(!rig.has(COLLECTOR, 1));
}

#[test]
fn wrong_signature_and_unknown_root_are_refused() {
    let Some(mut rig) = Rig::new("", "/keys.cose") else { return };
    rig.nginx.publish("keys.cose", &signed(&bundle(1, &[(ISSUER, COLLECTOR, &[1])])), 1).unwrap();
    assert!(matches!(rig.sync(), SyncOutcome::Updated(_)));

    let mut tampered = signed(&bundle(2, &[(ISSUER, COLLECTOR, &[2])]));
    let last = tampered.len() - 1;
    tampered[last] ^= 0x40;
    rig.nginx.publish("keys.cose", &tampered, 2).unwrap();
    let (error, _) = Rig::failed(rig.sync());
    assert!(matches!(error, SyncError::Bundle(BundleError::BadSignature { .. })), "{error}");

    let foreign =
        sign(&bundle(3, &[(ISSUER, COLLECTOR, &[3])]), &signing_key("not pinned")).unwrap();
    rig.nginx.publish("keys.cose", &foreign, 3).unwrap();
    let (error, _) = Rig::failed(rig.sync());
    assert!(matches!(error, SyncError::Bundle(BundleError::UnknownRoot { .. })), "{error}");

    assert_eq!(rig.sequence(), Some(1));
    assert!(rig.has(COLLECTOR, 1) && !rig.has(COLLECTOR, 2) && !rig.has(COLLECTOR, 3));
}

#[test]
fn a_bundle_signed_by_the_retired_root_still_verifies() {
    let Some(mut rig) = Rig::new("", "/keys.cose") else { return };
    let b = bundle(1, &[(ISSUER, COLLECTOR, &[1])]);
    rig.nginx.publish("keys.cose", &sign(&b, &signing_key("retired root")).unwrap(), 1).unwrap();
    assert!(matches!(rig.sync(), SyncOutcome::Updated(_)));
    assert!(rig.has(COLLECTOR, 1));
}

#[test]
fn rollback_to_an_older_sequence_is_refused() {
    let Some(mut rig) = Rig::new("", "/keys.cose") else { return };
    rig.nginx.publish("keys.cose", &signed(&bundle(5, &[(ISSUER, COLLECTOR, &[5])])), 5).unwrap();
    assert!(matches!(rig.sync(), SyncOutcome::Updated(_)));
    rig.nginx.publish("keys.cose", &signed(&bundle(4, &[(ISSUER, COLLECTOR, &[4])])), 4).unwrap();
    let (error, _) = Rig::failed(rig.sync());
    assert_eq!(error, SyncError::Apply(ApplyError::Rollback { applied: 5, offered: 4 }));
    assert!(error.to_string().contains("rollback refused"));
    assert!(rig.has(COLLECTOR, 5) && !rig.has(COLLECTOR, 4));
    assert_eq!(rig.sequence(), Some(5));
}

#[test]
fn expired_bundle_is_not_applied() {
    let Some(mut rig) = Rig::new("", "/keys.cose") else { return };
    let mut b = bundle(1, &[(ISSUER, COLLECTOR, &[1])]);
    b.issued_at = Timestamp::from_secs(NOW_SECS - 40 * DAY);
    b.expires_at = Timestamp::from_secs(NOW_SECS - DAY);
    rig.nginx.publish("keys.cose", &signed(&b), 1).unwrap();
    let (error, _) = Rig::failed(rig.sync());
    assert!(matches!(error, SyncError::Apply(ApplyError::Expired { sequence: 1, .. })), "{error}");
    assert!(!rig.has(COLLECTOR, 1));
    assert_eq!(rig.sequence(), None);
}

#[test]
fn key_rotation_adds_the_new_version_and_drops_the_old() {
    let Some(mut rig) = Rig::new("", "/keys.cose") else { return };
    let other = (42u64, 4242u32, &[1u32][..]);
    rig.nginx
        .publish("keys.cose", &signed(&bundle(1, &[(ISSUER, COLLECTOR, &[1]), other])), 1)
        .unwrap();
    assert!(matches!(rig.sync(), SyncOutcome::Updated(_)));
    assert!(rig.has(COLLECTOR, 1) && !rig.has(COLLECTOR, 2));

    rig.nginx
        .publish("keys.cose", &signed(&bundle(2, &[(ISSUER, COLLECTOR, &[1, 2]), other])), 2)
        .unwrap();
    let SyncOutcome::Updated(r) = rig.sync() else { panic!() };
    assert_eq!(r.added.len(), 1);
    assert!(rig.has(COLLECTOR, 1) && rig.has(COLLECTOR, 2));

    rig.nginx
        .publish("keys.cose", &signed(&bundle(3, &[(ISSUER, COLLECTOR, &[2]), other])), 3)
        .unwrap();
    let SyncOutcome::Updated(r) = rig.sync() else { panic!() };
    assert_eq!((r.added.len(), r.removed.len()), (0, 1));
    assert!(!rig.has(COLLECTOR, 1) && rig.has(COLLECTOR, 2));
    assert!(rig.has(4242, 1), "untouched issuers keep their keys");
}

/// The operator and device paths end to end through the `hcectl` binary: make a root,
/// sign bundles from keys.json, publish them on nginx, `keys sync` a state file, and see
/// a rollback refused with a clear error (exit status 1) while the state keeps its keys.
#[test]
fn hcectl_keys_bundle_show_and_sync_against_nginx() {
    use std::process::Command;
    let Some(rig) = Rig::new("", "/keys.cose") else { return };
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let hcectl = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(env!("CARGO_BIN_EXE_hcectl")).args(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };
    let os = |s: &str| std::ffi::OsString::from(s);

    let (code, text) = hcectl(&[
        &os("keys"),
        &os("new-root"),
        &os("--out"),
        p("root.pem").as_os_str(),
        &os("--public"),
        p("root.pub.pem").as_os_str(),
    ]);
    assert_eq!(code, Some(0), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(p("root.pem")).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "private key not readable by others");

    let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
        as i64;
    let keys_json = |seq: u64, version: u32| {
        let pem = {
            use p256::pkcs8::{EncodePublicKey, LineEnding};
            public(&key_label(COLLECTOR, version)).to_public_key_pem(LineEnding::LF).unwrap()
        };
        serde_json::json!({
            "sequence": seq,
            "issuers": [{ "issuer_id": ISSUER, "collectors": [{ "collector_id": COLLECTOR, "keys": [
                { "version": version, "public_key_pem": pem, "not_before": wall - DAY, "not_after": wall + DAY }
            ]}]}]
        })
        .to_string()
    };
    let publish = |seq: u64, version: u32| {
        std::fs::write(p("keys.json"), keys_json(seq, version)).unwrap();
        let (code, text) = hcectl(&[
            &os("keys"),
            &os("bundle"),
            &os("--root-key"),
            p("root.pem").as_os_str(),
            &os("--in"),
            p("keys.json").as_os_str(),
            &os("--out"),
            p("keys.cose").as_os_str(),
        ]);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains(&format!("signed bundle sequence {seq}")), "{text}");
        rig.nginx.publish("keys.cose", &std::fs::read(p("keys.cose")).unwrap(), seq).unwrap();
    };
    let sync = || {
        hcectl(&[
            &os("keys"),
            &os("sync"),
            &os("--state"),
            p("state.json").as_os_str(),
            &os("--url"),
            &os(&rig.nginx.url("/keys.cose")),
            &os("--root"),
            p("root.pub.pem").as_os_str(),
        ])
    };
    let state_keys = || {
        let state: serde_json::Value =
            serde_json::from_slice(&std::fs::read(p("state.json")).unwrap()).unwrap();
        let keys = state["key_ring"]["keys"].as_array().unwrap().clone();
        (
            state["key_ring"]["applied"]["sequence"].as_u64(),
            keys.iter().map(|k| k["version"].as_u64().unwrap()).collect::<Vec<_>>(),
        )
    };

    publish(7, 1);
    let (code, text) = hcectl(&[
        &os("keys"),
        &os("show"),
        p("keys.cose").as_os_str(),
        &os("--root"),
        p("root.pub.pem").as_os_str(),
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("sequence 7") && text.contains(&format!("collector {COLLECTOR}")),
        "{text}"
    );
    assert!(text.contains("signature verifies with a pinned root"), "{text}");

    let (code, text) = sync();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("updated: sequence none -> 7"), "{text}");
    assert_eq!(state_keys(), (Some(7), vec![1]));

    let (code, text) = sync();
    assert_eq!((code, text.trim()), (Some(0), "not modified (304)"));

    // The ring the state file holds, as a wallet would load it, tapped now.
    let wallet = || {
        let state: hce_wallet_harness::cli::keys::StateFile =
            serde_json::from_slice(&std::fs::read(p("state.json")).unwrap()).unwrap();
        let ring = hce_wallet_core::key_ring::KeyRing::from_state(&state.key_ring).unwrap();
        Arc::new(SharedKeyRing::new(ring))
    };
    let wall_now = Timestamp::from_secs(wall);
    assert_eq!(tap(&wallet(), COLLECTOR, 1, wall_now), Tap::Read("2018".into()));
    assert_eq!(tap(&wallet(), COLLECTOR, 2, wall_now), Tap::Refused);

    publish(8, 2);
    let (code, text) = sync();
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(state_keys(), (Some(8), vec![2]), "rotation: version 1 gone");
    assert_eq!(tap(&wallet(), COLLECTOR, 2, wall_now), Tap::Read("2018".into()), "newly keyed");
    assert_eq!(tap(&wallet(), COLLECTOR, 1, wall_now), Tap::Refused, "retired key");

    publish(6, 1);
    let (code, text) = sync();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("bundle not applied: bundle sequence 6 is older than the applied sequence 8: rollback refused"),
        "{text}"
    );
    assert_eq!(state_keys(), (Some(8), vec![2]));
    assert_eq!(tap(&wallet(), COLLECTOR, 2, wall_now), Tap::Read("2018".into()));
}

/// The must-show of issue #7: `hcectl keys sync --store` against nginx updates an encrypted
/// wallet store so that a tap by a newly keyed collector authenticates, a retired key stops
/// authenticating, and a rollback bundle is refused with a clear error.
#[test]
fn hcectl_keys_sync_updates_a_store_and_taps_follow() {
    use hce_wallet_store::{RootKey, Store};
    use p256::pkcs8::{EncodePublicKey, LineEnding};
    use std::process::Command;
    let Some(rig) = Rig::new("", "/keys.cose") else { return };
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("wallet.redb");
    let key_file = dir.path().join("store.key");
    let root_pub = dir.path().join("root.pub.pem");
    std::fs::write(&key_file, "3c".repeat(32)).unwrap();
    std::fs::write(&root_pub, public(ROOT).to_public_key_pem(LineEnding::LF).unwrap()).unwrap();
    let sync = || {
        let out = Command::new(env!("CARGO_BIN_EXE_hcectl"))
            .args(["keys", "sync", "--url", &rig.nginx.url("/keys.cose")])
            .arg("--store")
            .arg(&store_path)
            .arg("--store-key")
            .arg(&key_file)
            .arg("--root")
            .arg(&root_pub)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };
    // The store as the wallet opens it (after hcectl has closed it), tapped now.
    let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let now = Timestamp::from_secs(wall.as_secs() as i64);
    let tap_store = |version: u32| {
        let store =
            Store::open(&store_path, &RootKey::from_hex(&"3c".repeat(32)).unwrap()).unwrap();
        tap(&Arc::new(store), COLLECTOR, version, now)
    };

    rig.nginx.publish("keys.cose", &signed(&bundle(10, &[(ISSUER, COLLECTOR, &[1])])), 10).unwrap();
    let (code, text) = sync();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("updated: sequence none -> 10"), "{text}");
    assert_eq!(tap_store(1), Tap::Read("2018".into()));
    assert_eq!(tap_store(2), Tap::Refused);

    let (code, text) = sync();
    assert_eq!((code, text.trim()), (Some(0), "not modified (304)"), "ETag kept in the store");

    rig.nginx.publish("keys.cose", &signed(&bundle(11, &[(ISSUER, COLLECTOR, &[2])])), 11).unwrap();
    let (code, text) = sync();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("sequence 10 -> 11") && text.contains("+1 -1"), "{text}");
    assert_eq!(tap_store(2), Tap::Read("2018".into()), "the newly keyed version authenticates");
    assert_eq!(tap_store(1), Tap::Refused, "the removed version no longer does");

    rig.nginx.publish("keys.cose", &signed(&bundle(9, &[(ISSUER, COLLECTOR, &[1])])), 9).unwrap();
    let (code, text) = sync();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("bundle not applied: bundle sequence 9 is older than the applied sequence 11: rollback refused"),
        "{text}"
    );
    assert_eq!(tap_store(2), Tap::Read("2018".into()));
    assert_eq!(tap_store(1), Tap::Refused);
}

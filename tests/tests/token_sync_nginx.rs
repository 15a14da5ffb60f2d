//! Token sync against a real HTTP server (payment spec §9.2, §12.3; issue #14): nginx on
//! loopback plays the token service — a static signed status window per device (ETag,
//! 304), and POST endpoints for the user's requests and for replenishment that log what
//! arrived (body, `Idempotency-Key`) and answer from files the test publishes or removes
//! (so a test can take the service down and bring it back). The wallet talks to it through
//! the desktop `ureq` transport, exactly as an app's `HttpTransport` would. After each
//! step the test checks the token's state, the queue of user requests, and what the
//! independent reference EMV terminal sees next (cryptograms verified with the LUKs the
//! test token service issued).
//!
//! Needs the Debian `nginx` binary (`make deps`); set `HCE_SKIP_NGINX=1` to skip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod token_support;

use hce_wallet::{StatusOutcome, TokenSyncReport};
use hce_wallet_harness::http::UreqTransport;
use hce_wallet_harness::nginx::{self, Nginx};
use token_support::*;

/// The token service: `/tsp/status/device-1` is a published file; POSTs to
/// `/tsp/requests` and `/tsp/replenish` are logged and answered by a GET of `/answer/…`,
/// whose answer depends on marker files (`accept`, `refuse`, `replenish-down`).
const LOCATIONS: &str = r#"
        location = /tsp/status/device-1 { try_files /status-device-1.cose =404; }
        location = /tsp/requests {
            access_log posted.log posted;
            proxy_method GET;
            proxy_pass http://127.0.0.1:$server_port/answer/requests;
        }
        location = /tsp/replenish {
            access_log posted.log posted;
            proxy_method GET;
            proxy_pass http://127.0.0.1:$server_port/answer/replenish;
        }
        location = /answer/requests {
            if (-f $document_root/refuse) { return 409; }
            if (!-f $document_root/accept) { return 503; }
            return 204;
        }
        location = /answer/replenish {
            if (-f $document_root/replenish-down) { return 503; }
            try_files /replenish.cose =404;
        }
"#;

struct Tsp {
    nginx: Nginx,
    version: u64,
}

impl Tsp {
    fn start() -> Option<Tsp> {
        if std::env::var_os("HCE_SKIP_NGINX").is_some() {
            eprintln!("HCE_SKIP_NGINX set: skipping");
            return None;
        }
        assert!(nginx::available(), "nginx not found (run `make deps`, or set HCE_SKIP_NGINX=1)");
        Some(Tsp { nginx: Nginx::start(LOCATIONS).expect("nginx starts"), version: 0 })
    }

    /// Publishes a file (a new mtime each time, so the ETag changes with the content).
    fn publish(&mut self, name: &str, bytes: &[u8]) {
        self.version += 1;
        self.nginx.publish(name, bytes, self.version).unwrap();
    }

    fn remove(&self, name: &str) {
        let _ = self.nginx.unpublish(name);
    }

    fn status(&mut self, window: &[u8]) {
        self.publish("status-device-1.cose", window);
    }

    fn posted(&self) -> Vec<String> {
        self.nginx.posted_log().lines().map(str::to_owned).collect()
    }

    /// The POSTs logged, once at least `n` are (nginx logs after the answer left).
    fn posted_n(&self, n: usize) -> Vec<String> {
        Nginx::await_lines(|| self.nginx.posted_log(), |_| true, n)
    }
}

fn open_synced(f: &Fixture, tsp: &Tsp) -> Wallet {
    let config = WalletConfig {
        pinned_token_service_keys: vec![service_pem()],
        device_id: Some(DEVICE.into()),
        token_service_url: Some(tsp.nginx.url("/tsp")),
        ..WalletConfig::default()
    };
    let host = Host {
        listener: Some(f.rec.clone()),
        transport: Some(Arc::new(UreqTransport::with_timeout(std::time::Duration::from_secs(5)))),
        clock: f.clock.clone(),
    };
    Wallet::open(&f.path, &[9u8; 32], config, host).unwrap()
}

fn advance(f: &Fixture, ms: i64) {
    f.clock.0.fetch_add(ms, Ordering::SeqCst);
}

/// A window of status events numbered `first..=first + events - 1`.
fn window(svc: &Service, last: u64, events: Vec<StatusEvent>) -> Vec<u8> {
    StatusMessage { sequence: last, issued_at: Timestamp(NOW_MS), events }
        .sign_window(DEVICE, &svc.key)
        .unwrap()
}

fn on_token0(t: Transition, origin: Origin, reason: ReasonCode) -> StatusEvent {
    StatusEvent {
        target: StatusTarget::Token(TokenId::new("tok-0").unwrap()),
        transition: Some(t),
        origin,
        reason: Some(reason),
    }
}

fn suspend() -> StatusEvent {
    on_token0(Transition::Suspend, Origin::IssuerOnToken, ReasonCode::Fraudulent)
}

fn resume(origin: Origin) -> StatusEvent {
    on_token0(Transition::Resume, origin, ReasonCode::Found)
}

fn one_token(f: &mut Fixture, w: &Wallet, per_key: u32) {
    let keys = f.svc.keys(0, 0, 1, per_key);
    w.provision_token(&f.svc.provisioning(sample_token(0), keys, true)).unwrap();
}

fn status_of(r: &TokenSyncReport) -> &StatusOutcome {
    &r.status
}

#[test]
fn the_status_feed_applies_windows_in_order_and_refuses_rollback_gaps_and_forgeries() {
    let Some(mut tsp) = Tsp::start() else { return };
    let mut f = Fixture::new();
    let w = open_synced(&f, &tsp);
    one_token(&mut f, &w, 10);
    assert_eq!(tap(&w, &f.svc), paid(0, 1));
    f.rec.payment();

    // Window 1: the issuer suspends the token. Applied; the terminal sees no token.
    tsp.status(&window(&f.svc, 1, vec![suspend()]));
    let r = w.sync_tokens(true).unwrap();
    assert!(matches!(r.status, StatusOutcome::Applied { sequence: 1, .. }), "{r:?}");
    assert_eq!(state(&w, 0), Some(TokenState::Suspended));
    assert!(has_state_change(&f.rec.payment(), 0, TokenState::Suspended, Origin::IssuerOnToken));
    assert_eq!(tap(&w, &f.svc), no_token());

    // Nothing new: a conditional GET answered 304.
    let r = w.sync_tokens(true).unwrap();
    assert_eq!(status_of(&r), &StatusOutcome::NotModified);
    let log = tsp.nginx.access_log();
    let last = log.lines().rfind(|l| l.contains("/tsp/status/")).unwrap();
    // `status bytes "request" "If-None-Match" "Idempotency-Key"`
    let if_none_match = last.split('"').nth(3).unwrap();
    assert!(last.starts_with("304 ") && if_none_match != "-", "{log}");

    // Window 1..=2 (the server keeps recent events): only event 2 is new.
    tsp.status(&window(&f.svc, 2, vec![suspend(), resume(Origin::IssuerOnToken)]));
    let r = w.sync_tokens(true).unwrap();
    assert!(matches!(r.status, StatusOutcome::Applied { sequence: 2, changes: 2 }), "{r:?}");
    assert_eq!(state(&w, 0), Some(TokenState::Active));
    assert_eq!(tap(&w, &f.svc), paid(0, 2));

    // Reopen: the sequence and the entity tag were kept (304, nothing applied twice).
    drop(w);
    let w = open_synced(&f, &tsp);
    assert_eq!(w.sync_tokens(true).unwrap().status, StatusOutcome::NotModified);
    assert_eq!(state(&w, 0), Some(TokenState::Active));

    // An older window (rollback), a window with a gap, a forged window: refused, unchanged.
    let gap = StatusMessage {
        sequence: 6,
        issued_at: Timestamp(NOW_MS),
        events: vec![suspend(), resume(Origin::IssuerOnToken)],
    };
    let mut forged = window(&f.svc, 3, vec![suspend(), resume(Origin::IssuerOnToken), suspend()]);
    let n = forged.len();
    forged[n - 5] ^= 0x01;
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("older", window(&f.svc, 1, vec![suspend()]), "replayed or older"),
        ("gap", gap.sign_window(DEVICE, &f.svc.key).unwrap(), "were missed"),
        ("forged", forged, "signature"),
    ];
    for (what, bytes, reason) in cases {
        tsp.status(&bytes);
        let r = w.sync_tokens(true).unwrap();
        match &r.status {
            StatusOutcome::Failed { reason: got, .. } => {
                assert!(got.contains(reason), "{what}: {got}")
            }
            other => panic!("{what}: {other:?}"),
        }
        assert_eq!(state(&w, 0), Some(TokenState::Active), "{what}");
    }
    assert_eq!(tap(&w, &f.svc), paid(0, 3));
    // Back to the real window: nothing new, nothing lost.
    tsp.status(&window(&f.svc, 2, vec![suspend(), resume(Origin::IssuerOnToken)]));
    assert_eq!(w.sync_tokens(true).unwrap().status, StatusOutcome::NotModified);
}

#[test]
fn user_requests_are_posted_in_order_once_and_a_resume_waits_for_its_confirmation() {
    let Some(mut tsp) = Tsp::start() else { return };
    let mut f = Fixture::new();
    let w = open_synced(&f, &tsp);
    one_token(&mut f, &w, 10);
    tsp.status(&window(
        &f.svc,
        1,
        vec![on_token0(
            Transition::Update(TokenUpdate::default()),
            Origin::IssuerOnToken,
            ReasonCode::Other,
        )],
    ));

    // Report lost: Suspended at once, before the server hears of it; the service is down.
    w.report_lost("tok-0").unwrap();
    assert_eq!(tap(&w, &f.svc), no_token());
    let r = w.sync_tokens(false).unwrap();
    assert_eq!((r.requests_sent, r.requests_waiting), (0, 1), "{r:?}");
    assert_eq!(w.pending_token_requests().unwrap().len(), 1);

    // The service is back; the retry waits for its backoff, then goes out once.
    tsp.publish("accept", b"");
    let r = w.sync_tokens(false).unwrap();
    assert_eq!((r.requests_sent, r.requests_waiting), (0, 1), "backoff holds: {r:?}");
    advance(&f, 60_000);
    // Reopen in between: the queued POST survives.
    drop(w);
    let w = open_synced(&f, &tsp);
    let r = w.sync_tokens(false).unwrap();
    assert_eq!((r.requests_sent, r.requests_waiting), (1, 0), "{r:?}");
    assert!(w.pending_token_requests().unwrap().is_empty());
    let posted = tsp.posted_n(2);
    assert_eq!(posted.len(), 2, "{posted:?}");
    assert!(posted[0].starts_with("POST 503 ") && posted[1].starts_with("POST 204 "));
    let key = |l: &str| l.split('"').nth(1).unwrap().to_owned();
    assert_eq!(key(&posted[0]), key(&posted[1]), "the retry carries the same Idempotency-Key");
    assert!(posted[1].contains(r#"\x22request\x22:\x22report_lost\x22"#), "{}", posted[1]);
    assert!(posted[1].contains(r#"\x22token\x22:\x22tok-0\x22"#), "{}", posted[1]);

    // Resume: sent, but the token stays Suspended until the status feed confirms it.
    w.resume_token("tok-0").unwrap();
    let r = w.sync_tokens(false).unwrap();
    assert_eq!(r.requests_sent, 1);
    assert_eq!(state(&w, 0), Some(TokenState::Suspended));
    assert!(token(&w, 0).unwrap().resume_requested);
    assert_eq!(w.pending_token_requests().unwrap().len(), 1);
    assert_eq!(tap(&w, &f.svc), no_token());
    tsp.status(&window(
        &f.svc,
        2,
        vec![
            on_token0(
                Transition::Update(TokenUpdate::default()),
                Origin::IssuerOnToken,
                ReasonCode::Other,
            ),
            resume(Origin::User),
        ],
    ));
    let r = w.sync_tokens(true).unwrap();
    assert!(matches!(r.status, StatusOutcome::Applied { sequence: 2, changes: 2 }), "{r:?}");
    assert_eq!(state(&w, 0), Some(TokenState::Active));
    assert!(w.pending_token_requests().unwrap().is_empty(), "the confirmed resume left the queue");
    assert!(!token(&w, 0).unwrap().resume_requested);
    assert_eq!(tap(&w, &f.svc), paid(0, 1));

    // A request the service refuses (409) leaves the queue with an event; the local
    // suspension stays (the safe side).
    f.rec.payment();
    tsp.publish("refuse", b"");
    w.report_lost("tok-0").unwrap();
    let r = w.sync_tokens(false).unwrap();
    assert_eq!((r.requests_sent, r.requests_waiting), (1, 0), "{r:?}");
    assert!(w.pending_token_requests().unwrap().is_empty());
    let events = f.rec.payment();
    assert!(
        events.iter().any(|e| matches!(
            e,
            PaymentEvent::RequestRefused { request: UserRequestKind::ReportLost, status: 409, .. }
        )),
        "{events:?}"
    );
    assert_eq!(state(&w, 0), Some(TokenState::Suspended));
}

#[test]
fn replenishment_sends_the_log_as_evidence_backs_off_and_the_new_batch_pays() {
    let Some(mut tsp) = Tsp::start() else { return };
    let mut f = Fixture::new();
    let w = open_synced(&f, &tsp);
    one_token(&mut f, &w, 3);
    assert_eq!(w.sync_tokens(false).unwrap().replenished, Vec::<String>::new());
    assert!(tsp.posted().is_empty(), "3 transactions left: no replenishment yet");
    for atc in 1..=3 {
        assert_eq!(tap(&w, &f.svc), paid(0, atc));
    }
    assert_eq!(token(&w, 0).unwrap().keys, KeyStatus::Exhausted);
    assert_eq!(tap(&w, &f.svc), Seen::Refused { step: "GPO".into(), sw: 0x6985 });

    // The service is down: one POST, then backoff (no second POST right away).
    tsp.publish("replenish-down", b"");
    let r = w.sync_tokens(false).unwrap();
    assert!(r.replenish_error.as_deref().unwrap_or("").contains("503"), "{r:?}");
    let r = w.sync_tokens(false).unwrap();
    assert!(r.replenish_error.as_deref().unwrap_or("").contains("not before"), "{r:?}");
    assert_eq!(tsp.posted_n(1).len(), 1);

    // Back up, but answering with a payload for another (new) token: refused, no token
    // added, no key for tok-0.
    let stray = f.svc.keys(1, 0, 1, 5);
    let stray = f.svc.provisioning(sample_token(1), stray, true);
    tsp.publish("replenish.cose", &stray);
    tsp.remove("replenish-down");
    advance(&f, 60_000);
    let r = w.sync_tokens(false).unwrap();
    assert!(r.replenish_error.as_deref().unwrap_or("").contains("not \"tok-0\""), "{r:?}");
    assert_eq!(w.tokens().unwrap().len(), 1);
    assert_eq!(token(&w, 0).unwrap().keys, KeyStatus::Exhausted);

    // The signed batch for tok-0: the next sync after the backoff applies it.
    let batch = f.svc.keys(0, 1, 2, 5);
    let payload = f.svc.provisioning(sample_token(0), batch, true);
    tsp.publish("replenish.cose", &payload);
    advance(&f, 120_000);
    f.rec.payment();
    let r = w.sync_tokens(false).unwrap();
    assert_eq!(r.replenished, vec!["tok-0".to_owned()], "{r:?}");
    assert!(f.rec.payment().contains(&PaymentEvent::KeysReplenished {
        token: TokenId::new("tok-0").unwrap(),
        keys: 2,
    }));
    assert!(matches!(token(&w, 0).unwrap().keys, KeyStatus::Available { .. }));
    assert_eq!(tap(&w, &f.svc), paid(0, 4), "the new key pays, the ATC goes on");

    // The evidence: every transaction the terminal saw, with its ATC and cryptogram.
    let posted = tsp.posted_n(3);
    assert_eq!(posted.len(), 3, "{posted:?}");
    let body = posted[2].replace(r"\x22", "\"");
    assert!(posted[2].starts_with("POST 200 "), "{}", posted[2]);
    for needle in ["\"token\":\"tok-0\"", "\"reason\":\"exhausted\"", "\"atc\":3", "\"ac\":"] {
        assert!(body.contains(needle), "{needle} in {body}");
    }
    assert_eq!(body.matches("\"un\":").count(), 3, "{body}");
    // Nothing more is asked while keys last.
    assert!(w.sync_tokens(false).unwrap().replenish_error.is_none());
    assert_eq!(tsp.posted().len(), 3);
}

/// `hcectl pay … sync` against the same server, with a window `hcectl pay sign-status
/// --window` signed (the desktop's token-service side and device side, end to end).
#[test]
fn hcectl_pay_sync_applies_a_window_hcectl_signed() {
    use p256::pkcs8::EncodePrivateKey;
    let Some(mut tsp) = Tsp::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("w.redb");
    let (private, public, window) =
        (dir.path().join("tsp.pem"), dir.path().join("tsp.pub.pem"), dir.path().join("w.cose"));
    std::fs::write(&private, service_key().to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes())
        .unwrap();
    std::fs::write(&public, service_pem()).unwrap();
    let hcectl = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hcectl"))
            .args(args)
            .env("HCE_WALLET_KEY", "11".repeat(32))
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let s = store.to_str().unwrap();
    assert_eq!(hcectl(&["pay", "--store", s, "provision"]).0, Some(0));
    let (code, text) = hcectl(&[
        "pay",
        "sign-status",
        "--key",
        private.to_str().unwrap(),
        "--device",
        DEVICE,
        "--seq",
        "1",
        "--token-ref",
        "tok-1",
        "--op",
        "suspend",
        "--reason",
        "fraudulent",
        "--window",
        "--out",
        window.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{text}");
    tsp.status(&std::fs::read(&window).unwrap());
    let url = tsp.nginx.url("/tsp");
    let sync = [
        "pay",
        "--store",
        s,
        "sync",
        "--url",
        &url,
        "--service-key",
        public.to_str().unwrap(),
        "--device",
        DEVICE,
    ];
    let (code, text) = hcectl(&sync);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("status: Applied { sequence: 1"), "{text}");
    assert!(text.contains("token.state_changed\ttok-1\tSome(Active) -> Suspended"), "{text}");
    let (_, list) = hcectl(&["pay", "--store", s, "list"]);
    assert!(list.contains("Suspended"), "{list}");
    // Again: 304, nothing applied twice.
    let (code, text) = hcectl(&sync);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("status: NotModified"), "{text}");
}

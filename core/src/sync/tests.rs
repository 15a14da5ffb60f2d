use std::sync::Mutex;

use proptest::prelude::*;

use super::*;
use crate::key_bundle::test_support::*;
use crate::key_bundle::{sign, KeyBundle, Limits};
use crate::key_ring::{ApplyError, KeyRing};
use crate::ports::{CollectorId, FixedClock, IssuerKeyRing, RandomSource};

const URL: &str = "https://keys.example/bundle.cose";

/// Fills every request for randomness with one byte value.
struct Bytes(u8);
impl RandomSource for Bytes {
    fn fill(&mut self, buf: &mut [u8]) {
        buf.fill(self.0);
    }
}

fn engine() -> SyncEngine {
    SyncEngine::new(SyncConfig::new(URL), roots(), SyncState::default())
}

fn ok(b: &KeyBundle, headers: &[(&str, &str)]) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status: 200,
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body: signed(b),
    })
}

fn status(code: u16, headers: &[(&str, &str)]) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status: code,
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body: Vec::new(),
    })
}

fn fetch(e: &mut SyncEngine, at: Timestamp) -> HttpRequest {
    match e.poll(at) {
        Poll::Fetch(r) => r,
        other => panic!("expected a fetch at {at:?}, got {other:?}"),
    }
}

fn at(secs: i64) -> Timestamp {
    now().plus_millis(secs * 1000)
}

fn seq1() -> KeyBundle {
    bundle(1, vec![issuer(100, 10, &[1])])
}

#[test]
fn first_poll_fetches_and_a_200_fills_the_ring() {
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    let req = fetch(&mut e, now());
    assert_eq!(req.url, URL);
    assert_eq!(req.header("Accept"), Some(ACCEPT));
    assert_eq!(req.header("if-none-match"), None);
    assert_eq!(req.max_body_bytes, Limits::default().max_bytes as u64);
    assert_eq!(e.poll(now()), Poll::InFlight);

    let out = e.on_response(ok(&seq1(), &[("ETag", "\"v1\"")]), &ring, &mut Bytes(0), now());
    let SyncOutcome::Updated(report) = out else { panic!("{out:?}") };
    assert_eq!(report.sequence, 1);
    assert!(ring.collector_key(CollectorId(10), 1, now()).is_some());
    assert_eq!(e.state().etag.as_deref(), Some("\"v1\""));
    assert_eq!(e.state().last_success_ms, Some(now().0));
    // Nothing due until the daily periodic sync.
    assert_eq!(e.poll(now()), Poll::WaitUntil(at(86_400)));
}

#[test]
fn triggers_that_arrive_together_make_one_fetch() {
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    e.trigger(Trigger::NetworkAvailable);
    e.trigger(Trigger::Manual);
    e.trigger(Trigger::PassAddedWithoutKeys { issuers: vec![100] });
    e.trigger(Trigger::Periodic);
    let _ = fetch(&mut e, now());
    e.trigger(Trigger::NetworkAvailable); // while in flight: covered by that fetch
    assert_eq!(e.poll(now()), Poll::InFlight);
    let out = e.on_response(ok(&seq1(), &[]), &ring, &mut Bytes(0), now());
    assert!(matches!(out, SyncOutcome::Updated(_)));
    // The network trigger is pending but the bundle is fresh: it waits.
    assert_eq!(e.poll(now()), Poll::WaitUntil(at(300)));
    let _ = fetch(&mut e, at(300));
}

#[test]
fn a_304_costs_nothing_but_the_round_trip() {
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    let _ = fetch(&mut e, now());
    e.on_response(ok(&seq1(), &[("etag", "W/\"abc\"")]), &ring, &mut Bytes(0), now());
    let before = ring.snapshot();

    e.trigger(Trigger::Manual);
    let req = fetch(&mut e, at(10));
    assert_eq!(req.header("If-None-Match"), Some("W/\"abc\""));
    let out = e.on_response(status(304, &[]), &ring, &mut Bytes(0), at(10));
    assert_eq!(out, SyncOutcome::NotModified);
    assert_eq!(*ring.snapshot(), *before);
    assert_eq!(e.state().last_success_ms, Some(at(10).0));
    assert_eq!(e.state().etag.as_deref(), Some("W/\"abc\""));
}

#[test]
fn a_304_without_a_held_bundle_is_an_error_and_drops_the_etag() {
    let ring = SharedKeyRing::default();
    let state = SyncState { etag: Some("\"stale\"".into()), ..SyncState::default() };
    let mut e = SyncEngine::new(SyncConfig::new(URL), roots(), state);
    let req = fetch(&mut e, now());
    assert!(req.header("if-none-match").is_some());
    let out = e.on_response(status(304, &[]), &ring, &mut Bytes(0), now());
    assert!(matches!(out, SyncOutcome::Failed { error: SyncError::UnexpectedNotModified, .. }));
    assert_eq!(e.state().etag, None);
    let req = fetch(&mut e, at(60));
    assert_eq!(req.header("if-none-match"), None);
}

#[test]
fn failures_back_off_exponentially_then_success_resets() {
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    let mut t = now();
    let mut expected_full = 30_000i64;
    for n in 1..=4u32 {
        let _ = fetch(&mut e, t);
        // Jitter byte 0 → the fixed half of the delay.
        let out = e.on_response(status(500, &[]), &ring, &mut Bytes(0), t);
        let SyncOutcome::Failed { error, retry_at } = out else { panic!("{out:?}") };
        assert_eq!(error, SyncError::Http { status: 500 });
        assert_eq!(retry_at, t.plus_millis(expected_full / 2), "failure {n}");
        assert_eq!(e.state().consecutive_failures, n);
        assert_eq!(e.poll(t), Poll::WaitUntil(retry_at));
        assert_eq!(e.poll(retry_at.plus_millis(-1)), Poll::WaitUntil(retry_at));
        t = retry_at;
        expected_full *= 2;
    }
    let _ = fetch(&mut e, t);
    assert!(matches!(
        e.on_response(ok(&seq1(), &[]), &ring, &mut Bytes(0), t),
        SyncOutcome::Updated(_)
    ));
    let s = e.state();
    assert_eq!((s.consecutive_failures, s.backoff_until_ms, s.retry_pending), (0, None, false));
    assert_eq!(s.last_error.as_deref(), Some("server answered HTTP 500"));
}

#[test]
fn jitter_comes_from_the_random_source() {
    let run = |byte: u8| {
        let (mut e, ring) = (engine(), SharedKeyRing::default());
        let _ = fetch(&mut e, now());
        match e.on_response(Err(TransportError::Timeout), &ring, &mut Bytes(byte), now()) {
            SyncOutcome::Failed { retry_at, .. } => retry_at.0 - now().0,
            other => panic!("{other:?}"),
        }
    };
    let (low, high) = (run(0x00), run(0xff));
    assert_eq!(low, 15_000);
    assert!(high > low && high <= 30_000, "{high}");
}

#[test]
fn manual_skips_backoff_but_not_retry_after() {
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    let _ = fetch(&mut e, now());
    e.on_response(status(500, &[]), &ring, &mut Bytes(0), now());
    e.trigger(Trigger::Manual);
    let _ = fetch(&mut e, at(1)); // backoff would say 15 s

    let out = e.on_response(status(503, &[("Retry-After", "600")]), &ring, &mut Bytes(0), at(1));
    let SyncOutcome::Failed { retry_at, .. } = out else { panic!("{out:?}") };
    assert_eq!(retry_at, at(601));
    e.trigger(Trigger::Manual);
    assert_eq!(e.poll(at(2)), Poll::WaitUntil(at(601)));
    let _ = fetch(&mut e, at(601));
}

#[test]
fn retry_after_dates_and_caps() {
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    let _ = fetch(&mut e, now());
    // NOW_SECS = 1_800_000_000 = Fri, 15 Jan 2027 08:00:00 GMT.
    let date = "Fri, 15 Jan 2027 09:00:00 GMT";
    let out = e.on_response(status(429, &[("retry-after", date)]), &ring, &mut Bytes(0), now());
    assert!(matches!(out, SyncOutcome::Failed { retry_at, .. } if retry_at == at(3600)));

    let _ = fetch(&mut e, at(3600));
    let out =
        e.on_response(status(503, &[("retry-after", "99999999")]), &ring, &mut Bytes(0), at(3600));
    assert!(matches!(out, SyncOutcome::Failed { retry_at, .. } if retry_at == at(3600 + 86_400)));
}

#[test]
fn max_age_keeps_automatic_triggers_quiet() {
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    let _ = fetch(&mut e, now());
    let cc = [("cache-control", "public, max-age=3600")];
    e.on_response(ok(&seq1(), &cc), &ring, &mut Bytes(0), now());
    e.trigger(Trigger::NetworkAvailable);
    assert_eq!(e.poll(at(600)), Poll::WaitUntil(at(3600)));
    e.trigger(Trigger::PassAddedWithoutKeys { issuers: vec![7] });
    let _ = fetch(&mut e, at(600)); // a new pass without keys does not wait
    assert!(e.status(&ring.snapshot(), at(600)).issuers_without_keys.contains(&7));
}

#[test]
fn bundle_problems_are_failures_with_clear_errors() {
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    let _ = fetch(&mut e, now());
    e.on_response(ok(&bundle(5, vec![issuer(100, 10, &[1])]), &[]), &ring, &mut Bytes(0), now());

    e.trigger(Trigger::Manual);
    let _ = fetch(&mut e, at(1));
    let out = e.on_response(
        ok(&bundle(3, vec![issuer(100, 10, &[2])]), &[]),
        &ring,
        &mut Bytes(0),
        at(1),
    );
    let SyncOutcome::Failed { error, .. } = out else { panic!("{out:?}") };
    assert_eq!(error, SyncError::Apply(ApplyError::Rollback { applied: 5, offered: 3 }));
    assert!(error.to_string().contains("rollback refused"), "{error}");
    assert!(ring.collector_key(CollectorId(10), 1, at(1)).is_some());
    assert!(ring.collector_key(CollectorId(10), 2, at(1)).is_none());

    e.trigger(Trigger::Manual);
    let _ = fetch(&mut e, at(2));
    let forged = sign(&bundle(9, vec![]), &signing_key("attacker")).unwrap();
    let resp = Ok(HttpResponse { status: 200, headers: vec![], body: forged });
    let out = e.on_response(resp, &ring, &mut Bytes(0), at(2));
    assert!(matches!(
        out,
        SyncOutcome::Failed { error: SyncError::Bundle(BundleError::UnknownRoot { .. }), .. }
    ));
    assert_eq!(ring.snapshot().applied_sequence(), Some(5));

    // A body over the cap is refused even if the transport let it through.
    let mut small = SyncConfig::new(URL);
    small.limits.max_bytes = 100;
    let mut e = SyncEngine::new(small, roots(), SyncState::default());
    let _ = fetch(&mut e, now());
    let out = e.on_response(ok(&seq1(), &[]), &ring, &mut Bytes(0), now());
    assert!(matches!(
        out,
        SyncOutcome::Failed {
            error: SyncError::Transport(TransportError::TooLarge { limit: 100 }),
            ..
        }
    ));
}

#[test]
fn same_sequence_again_is_unchanged() {
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    let _ = fetch(&mut e, now());
    e.on_response(ok(&seq1(), &[]), &ring, &mut Bytes(0), now());
    e.trigger(Trigger::Manual);
    let _ = fetch(&mut e, at(5));
    let out = e.on_response(ok(&seq1(), &[("etag", "\"x\"")]), &ring, &mut Bytes(0), at(5));
    assert_eq!(out, SyncOutcome::Unchanged { sequence: 1, content_differs: false });
    assert_eq!(e.state().etag.as_deref(), Some("\"x\""));
}

#[test]
fn status_reports_expiring_keys_and_issuers_without_keys() {
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    let mut b =
        bundle(1, vec![issuer(100, 10, &[1]), issuer(200, 20, &[1]), issuer(300, 30, &[1])]);
    b.issuers[0].collectors[0].keys[0].not_after = at(2 * 86_400);
    b.issuers[1].collectors[0].keys[0].not_after = at(86_400);
    e.set_wanted_issuers([100, 400]);
    let _ = fetch(&mut e, now());
    e.on_response(ok(&b, &[]), &ring, &mut Bytes(0), now());
    let s = e.status(&ring.snapshot(), now());
    assert_eq!(s.bundle_sequence, Some(1));
    assert_eq!(s.bundle_expires_at, Some(b.expires_at));
    // Issuer 200's key expires sooner, but no pass held needs it.
    assert_eq!(s.expiring_soon.iter().map(|k| k.key.issuer).collect::<Vec<_>>(), vec![100]);
    assert_eq!(s.issuers_without_keys, vec![400]);
    assert_eq!(s.next_attempt, Some(at(86_400)));
    assert!(!s.in_flight);
    assert_eq!(e.status(&ring.snapshot(), at(3 * 86_400)).issuers_without_keys, vec![100, 400]);
}

#[test]
fn a_request_never_answered_is_abandoned_and_retried() {
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    let _ = fetch(&mut e, now());
    assert_eq!(e.poll(at(60)), Poll::InFlight);
    assert!(e.status(&ring.snapshot(), at(60)).in_flight);
    let _ = fetch(&mut e, at(61)); // 2 × 30 s timeout passed: asked again
    assert_eq!(e.state().consecutive_failures, 0);
    assert!(matches!(
        e.on_response(ok(&seq1(), &[]), &ring, &mut Bytes(0), at(62)),
        SyncOutcome::Updated(_)
    ));
}

#[test]
fn no_periodic_means_idle_until_triggered() {
    let mut config = SyncConfig::new(URL);
    config.periodic_ms = None;
    let mut e = SyncEngine::new(config, roots(), SyncState::default());
    assert_eq!(e.poll(now()), Poll::Idle);
    e.trigger(Trigger::NetworkAvailable);
    let _ = fetch(&mut e, now());
}

#[test]
fn state_survives_serialisation() {
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    let _ = fetch(&mut e, now());
    e.on_response(ok(&seq1(), &[("etag", "\"1\"")]), &ring, &mut Bytes(0), now());
    let json = serde_json::to_string(e.state()).unwrap();
    let back: SyncState = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, e.state());
    let mut e2 = SyncEngine::new(SyncConfig::new(URL), roots(), back);
    assert_eq!(e2.poll(now()), Poll::WaitUntil(at(86_400)));
}

struct Scripted(Mutex<Vec<Result<HttpResponse, TransportError>>>, Mutex<Vec<HttpRequest>>);
impl HttpTransport for Scripted {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.1.lock().unwrap().push(request.clone());
        self.0.lock().unwrap().remove(0)
    }
}

#[test]
fn run_once_drives_poll_transport_and_apply() {
    let transport = Scripted(Mutex::new(vec![ok(&seq1(), &[])]), Mutex::new(vec![]));
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    let clock = FixedClock(now());
    let out = e.run_once(&transport, &ring, &mut Bytes(0), &clock);
    assert!(matches!(out, SyncOutcome::Updated(_)));
    assert_eq!(transport.1.lock().unwrap().len(), 1);
    let out = e.run_once(&transport, &ring, &mut Bytes(0), &clock);
    assert_eq!(out, SyncOutcome::Skipped(Skip::NotDue { until: at(86_400) }));
    assert_eq!(transport.1.lock().unwrap().len(), 1, "no second request");
}

#[test]
fn the_ring_keeps_working_offline_until_keys_expire() {
    let (mut e, ring) = (engine(), SharedKeyRing::default());
    let _ = fetch(&mut e, now());
    e.on_response(ok(&seq1(), &[]), &ring, &mut Bytes(0), now());
    let key_end = key(10, 1).not_after;
    let mut t = now();
    for _ in 0..5 {
        e.trigger(Trigger::Manual);
        let _ = fetch(&mut e, t);
        let out = e.on_response(Err(TransportError::Offline), &ring, &mut Bytes(0), t);
        let SyncOutcome::Failed { retry_at, .. } = out else { panic!() };
        assert!(ring.collector_key(CollectorId(10), 1, t).is_some());
        t = retry_at;
    }
    assert!(ring.collector_key(CollectorId(10), 1, key_end).is_none());
    let _ = KeyRing::new();
}

proptest! {
    #[test]
    fn backoff_stays_within_its_bounds(failures in 1usize..30, byte in any::<u8>()) {
        let (mut e, ring) = (engine(), SharedKeyRing::default());
        let mut t = now();
        for n in 1..=failures {
            let _ = fetch(&mut e, t);
            let SyncOutcome::Failed { retry_at, .. } =
                e.on_response(status(502, &[]), &ring, &mut Bytes(byte), t) else { panic!() };
            let full = (30_000i64 << (n - 1).min(40)).min(6 * 3_600_000);
            let delay = retry_at.0 - t.0;
            prop_assert!(delay >= full / 2 && delay <= full, "n={} delay={} full={}", n, delay, full);
            t = retry_at;
        }
    }
}

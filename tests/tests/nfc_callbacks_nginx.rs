//! Issuer callbacks of NFC passes (issue 15) against a real HTTP server: nginx on loopback
//! takes the POSTs. A pass is received and swiped while the phone is offline; the wallet is
//! closed and reopened; back online, the receive and the swipe each reach the server once
//! (one request per event ID), and a second delivery round sends nothing.
//!
//! Needs the Debian `nginx` binary (`make deps`); set `HCE_SKIP_NGINX=1` to skip.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use hce_wallet::{Deactivation, Host, Wallet, WalletConfig};
use hce_wallet_core::ports::Clock;
use hce_wallet_core::sync::{HttpRequest, HttpResponse, HttpTransport, TransportError};
use hce_wallet_core::time::Timestamp;
use hce_wallet_harness::http::UreqTransport;
use hce_wallet_harness::nginx::{self, Nginx};

const DOOR: &str = include_str!("../../core/tests/fixtures/nfc/huawei-door.json");

/// The phone's network: off means every request fails as a transport error.
struct Network {
    online: AtomicBool,
    inner: UreqTransport,
}
impl HttpTransport for Network {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        if !self.online.load(Ordering::SeqCst) {
            return Err(TransportError::Offline);
        }
        self.inner.send(request)
    }
}

struct TestClock(AtomicI64);
impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

fn open(path: &std::path::Path, net: &Arc<Network>, clock: &Arc<TestClock>) -> Wallet {
    let host = Host { listener: None, transport: Some(net.clone()), clock: clock.clone() };
    Wallet::open(path, &[5u8; 32], WalletConfig::default(), host).unwrap()
}

/// The callback POSTs logged, once at least `n` are (nginx logs after the answer left).
fn posts_n(nginx: &Nginx, n: usize) -> Vec<String> {
    Nginx::await_lines(|| nginx.access_log(), |l| l.contains("\"POST /nfc-callback"), n)
}

fn posts(nginx: &Nginx) -> Vec<String> {
    posts_n(nginx, 0)
}

#[test]
fn swipe_reaches_the_callback_server_once_after_coming_back_online() {
    if std::env::var_os("HCE_SKIP_NGINX").is_some() || !nginx::available() {
        eprintln!("skipped: no nginx");
        return;
    }
    let server = Nginx::start("location = /nfc-callback { return 204; }").unwrap();
    let url = server.url("/nfc-callback");
    let json = DOOR.replace("http://127.0.0.1:8080/nfc-callback", &url);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    let net = Arc::new(Network { online: AtomicBool::new(false), inner: UreqTransport::new() });
    let clock = Arc::new(TestClock(AtomicI64::new(1_800_000_000_000)));

    let wallet = open(&path, &net, &clock);
    wallet.import_huawei_nfc_pass(json.as_bytes()).unwrap();
    // The swipe: a reader selects the pass and reads the public counter.
    let out = wallet.process_apdu(&hex::decode("00A4040C08F04857444F4F5231").unwrap());
    assert_eq!(out, [0x90, 0x00]);
    wallet.on_deactivated(Deactivation::LinkLoss);
    // Offline: nothing delivered, both stay queued.
    assert_eq!(wallet.deliver_nfc_callbacks().unwrap(), 0);
    assert!(posts(&server).is_empty());
    drop(wallet);

    // The app restarts; the network is back, and the backoff has passed.
    net.online.store(true, Ordering::SeqCst);
    clock.0.fetch_add(10 * 60 * 1000, Ordering::SeqCst);
    let wallet = open(&path, &net, &clock);
    // What the app calls when the network comes back delivers them.
    assert!(matches!(wallet.on_network_available(), Ok(hce_wallet::SyncOutcome::Skipped { .. })));
    let lines = posts_n(&server, 2);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| l.starts_with("204 ")), "{lines:?}");
    let keys: Vec<&str> = lines.iter().map(|l| l.rsplit('"').nth(1).unwrap()).collect();
    assert!(keys.iter().all(|k| k.len() == 32), "event IDs as Idempotency-Key: {keys:?}");
    assert_ne!(keys[0], keys[1]);
    // Delivered means removed: a second round sends nothing.
    clock.0.fetch_add(10 * 60 * 1000, Ordering::SeqCst);
    assert_eq!(wallet.deliver_nfc_callbacks().unwrap(), 0);
    assert_eq!(posts(&server).len(), 2);
    // Deleting the pass queues its DELETE, delivered at once while online.
    assert!(wallet.remove_nfc_pass("hw-campus-door-0042").unwrap());
    assert_eq!(wallet.deliver_nfc_callbacks().unwrap(), 1);
    assert_eq!(posts_n(&server, 3).len(), 3);
}

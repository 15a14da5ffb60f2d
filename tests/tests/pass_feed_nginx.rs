//! Issuer pass-update feeds end to end (issue #17): bundles built and signed by
//! `hcectl passes bundle`, served by nginx on loopback, fetched by a real `Wallet`
//! through the desktop `ureq` transport, applied in one store transaction. The seed
//! cases — a loyalty card's end date extended, a gift card's balance raised, a promotion
//! message, a flight delayed then cancelled — are each checked in `PassInfo` and as the
//! right `Notice::PassChanged` after a wallet reopen; a replayed and a forged bundle are
//! refused and leave the store as it was; an unchanged feed costs a 304.
//!
//! Needs the Debian `nginx` binary (`make deps`); set `HCE_SKIP_NGINX=1` to skip.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use hce_wallet::{
    FlightTime, Host, Notice, PassChange, PassFeedConfig, PassFeedOutcome, PassInfo, Wallet,
    WalletConfig, WalletListener,
};
use hce_wallet_core::pass::display::FlightStatus;
use hce_wallet_core::pass::{parse_date_time, Vertical};
use hce_wallet_harness::http::UreqTransport;
use hce_wallet_harness::nginx::{self, Nginx};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{json, Value};

const ISSUER: u64 = 3_388_000_000_022_334_455;
const DISPLAY: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/fixtures/passes/display/");
const FLIGHT: &str = "3388000000022334455.LX318-2027-03-05-alex";
const GIFT: &str = "3388000000022334455.gift-1";
const LOYALTY: &str = "3388000000022334455.club-alex";
const KEY: [u8; 32] = [5; 32];

#[derive(Default)]
struct Recorder(Mutex<Vec<Notice>>);
impl WalletListener for Recorder {
    fn on_notice(&self, notice: Notice) {
        self.0.lock().unwrap().push(notice);
    }
}
impl Recorder {
    fn changes(&self) -> Vec<PassChange> {
        let mut out = Vec::new();
        for n in self.0.lock().unwrap().drain(..) {
            if let Notice::PassChanged(c) = n {
                out.push(c);
            }
        }
        out
    }
}

fn fixture(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{DISPLAY}{name}")).unwrap()).unwrap()
}

fn loyalty(end: &str) -> Value {
    json!({
        "loyaltyClasses": [{ "id": "3388000000022334455.club", "programName": "Club",
            "issuerName": "Club", "enableSmartTap": true,
            "redemptionIssuers": ["3388000000022334455"] }],
        "loyaltyObjects": [{ "id": LOYALTY, "classId": "3388000000022334455.club",
            "state": "ACTIVE", "smartTapRedemptionValue": "club-7",
            "loyaltyPoints": { "label": "Points", "balance": { "int": 120 } },
            "validTimeInterval": { "start": { "date": "2027-01-01T00:00:00Z" },
                                   "end": { "date": end } } }]
    })
}

struct World {
    nginx: Nginx,
    dir: tempfile::TempDir,
    key_pem: std::path::PathBuf,
    pub_pem: String,
}

impl World {
    fn open(&self, rec: &Arc<Recorder>) -> Wallet {
        let config = WalletConfig {
            pass_feeds: vec![PassFeedConfig {
                issuer_id: ISSUER,
                url: self.nginx.url("/issuer-feed.cose"),
                feed_key_pem: self.pub_pem.clone(),
            }],
            ..WalletConfig::default()
        };
        let host = Host {
            listener: Some(rec.clone()),
            transport: Some(Arc::new(UreqTransport::default())),
            ..Host::default()
        };
        Wallet::open(&self.dir.path().join("w.redb"), &KEY, config, host).unwrap()
    }

    /// Signs `payload` with `hcectl passes bundle` and publishes it as `version`.
    fn publish(&self, payload: &Value, key: &Path, version: u64) {
        let input = self.dir.path().join(format!("update-{version}.json"));
        let out = self.dir.path().join(format!("update-{version}.cose"));
        std::fs::write(&input, payload.to_string()).unwrap();
        let run = Command::new(env!("CARGO_BIN_EXE_hcectl"))
            .args(["passes", "bundle", "--feed-key"])
            .arg(key)
            .arg("--in")
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let bytes = std::fs::read(&out).unwrap();
        self.nginx.publish("issuer-feed.cose", &bytes, version).unwrap();
    }
}

fn world() -> Option<World> {
    if std::env::var_os("HCE_SKIP_NGINX").is_some() {
        eprintln!("HCE_SKIP_NGINX set: skipping");
        return None;
    }
    assert!(nginx::available(), "nginx not found (run `make deps`, or set HCE_SKIP_NGINX=1)");
    let nginx = Nginx::start("").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sk = SigningKey::from_slice(&[0x42; 32]).unwrap();
    let key_pem = dir.path().join("feed.key.pem");
    std::fs::write(&key_pem, sk.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes()).unwrap();
    let pub_pem =
        p256::PublicKey::from(sk.verifying_key()).to_public_key_pem(LineEnding::LF).unwrap();
    Some(World { nginx, dir, key_pem, pub_pem })
}

fn payload(seq: u64, changes: Value) -> Value {
    json!({ "v": 1, "issuer": ISSUER.to_string(), "seq": seq, "changes": changes })
}

fn flight_class(edit: impl FnOnce(&mut Value)) -> Value {
    let mut v = fixture("flight.json");
    v.as_object_mut().unwrap().remove("flightObjects");
    edit(&mut v["flightClasses"][0]);
    v
}

fn flight(p: &PassInfo) -> hce_wallet_core::pass::display::Flight {
    match &p.details.vertical {
        Vertical::Flight(f) => (**f).clone(),
        other => panic!("{other:?}"),
    }
}

/// What a refused bundle must not touch.
fn everything(w: &Wallet) -> (Vec<PassInfo>, usize) {
    (w.list_passes(), w.activity(10_000).unwrap().len())
}

#[test]
fn seed_cases_through_nginx_survive_a_reopen_and_bad_bundles_change_nothing() {
    let Some(world) = world() else { return };
    let rec = Arc::new(Recorder::default());
    {
        let w = world.open(&rec);
        for v in
            [fixture("flight.json"), fixture("gift-card.json"), loyalty("2027-12-31T23:59:59Z")]
        {
            w.import_pass_json(&v.to_string()).unwrap();
        }
        w.set_smart_tap_enabled(LOYALTY, false).unwrap();
    }

    // Bundle 1: end date extended, balance raised, a promotion on the loyalty class, the
    // flight delayed (new estimated departure, new gate).
    let mut loyalty_obj = loyalty("2028-06-30T23:59:59Z");
    loyalty_obj.as_object_mut().unwrap().remove("loyaltyClasses");
    let mut gift = fixture("gift-card.json");
    gift.as_object_mut().unwrap().remove("giftCardClasses");
    gift["giftCardObjects"][0]["balance"] = json!({ "micros": "50000000", "currencyCode": "EUR" });
    let delayed = flight_class(|c| {
        c["localEstimatedOrActualDepartureDateTime"] = json!("2027-03-05T09:10:00");
        c["origin"]["gate"] = json!("A62");
    });
    let promo = json!({ "id": "promo-1", "header": "Double points", "body": "All weekend.",
                        "messageType": "TEXT_AND_NOTIFY" });
    world.publish(
        &payload(
            1,
            json!([
                { "upsert": loyalty_obj }, { "upsert": gift }, { "upsert": delayed },
                { "addMessage": { "id": "3388000000022334455.club", "message": promo } }
            ]),
        ),
        &world.key_pem,
        1,
    );
    {
        let w = world.open(&rec);
        // Coming online fetches the feeds that are due (a first fetch always is); key sync
        // is not configured here, so its own outcome is "skipped".
        assert!(matches!(w.on_network_available(), Ok(hce_wallet::SyncOutcome::Skipped { .. })));
        let changes = rec.changes();
        let kinds: Vec<(&str, &str)> = changes.iter().map(|c| (c.object_id(), c.kind())).collect();
        assert_eq!(
            kinds,
            [
                (FLIGHT, "pass.flight_gate_changed"),
                (FLIGHT, "pass.flight_time_changed"),
                (LOYALTY, "pass.new_message"),
                (LOYALTY, "pass.expiry_moved"),
                (GIFT, "pass.balance_changed"),
            ]
        );
        let PassChange::FlightTimeChanged { which: FlightTime::Departure, .. } = &changes[1] else {
            panic!("{changes:?}")
        };
    }

    // Bundle 2: the flight is cancelled, with a notice.
    let cancelled = flight_class(|c| {
        c["localEstimatedOrActualDepartureDateTime"] = json!("2027-03-05T09:10:00");
        c["origin"]["gate"] = json!("A62");
        c["flightStatus"] = json!("CANCELLED");
    });
    let notice = json!({ "id": "cxl", "header": "Cancelled", "body": "LX 318 is cancelled." });
    world.publish(
        &payload(
            2,
            json!([
                { "upsert": cancelled },
                { "addMessage": { "id": FLIGHT, "message": notice } }
            ]),
        ),
        &world.key_pem,
        2,
    );
    {
        let w = world.open(&rec);
        let out = w.sync_pass_feeds(true).unwrap();
        assert!(matches!(out[..], [PassFeedOutcome::Updated { sequence: 2, .. }]), "{out:?}");
        assert_eq!(
            rec.changes().last(),
            Some(&PassChange::FlightStatusChanged {
                object_id: FLIGHT.into(),
                from: Some(FlightStatus::Scheduled),
                to: Some(FlightStatus::Cancelled),
            })
        );
        // Unchanged on the server: a conditional GET answered 304.
        let out = w.sync_pass_feeds(true).unwrap();
        assert!(matches!(out[..], [PassFeedOutcome::NotModified { .. }]), "{out:?}");
        let log = world.nginx.access_log();
        assert!(log.lines().last().is_some_and(|l| l.starts_with("304 ")), "{log}");
    }

    // After a reopen, every change is what the passes show, and in the activity log.
    let w = world.open(&rec);
    let f = flight(&w.get_pass(FLIGHT).unwrap());
    assert_eq!(f.status, Some(FlightStatus::Cancelled));
    assert_eq!(f.origin_gate.as_deref(), Some("A62"));
    let headers: Vec<_> = (w.get_pass(FLIGHT).unwrap().details.modules.messages.iter())
        .map(|m| m.header.clone().unwrap_or_default())
        .collect();
    assert_eq!(headers, ["Delayed", "Cancelled"]);
    assert_eq!(w.get_pass(GIFT).unwrap().balance.as_deref(), Some("50.00 EUR"));
    let l = w.get_pass(LOYALTY).unwrap();
    assert_eq!(l.valid_time_interval.end, Some(parse_date_time("2028-06-30T23:59:59Z").unwrap()));
    assert_eq!(l.details.modules.messages[0].header.as_deref(), Some("Double points"));
    assert!(!l.smart_tap_enabled, "the user's Smart Tap switch survived the updates");
    let logged: Vec<String> = w.activity(100).unwrap().into_iter().map(|a| a.kind).collect();
    for kind in [
        "pass.expiry_moved",
        "pass.balance_changed",
        "pass.new_message",
        "pass.flight_status_changed",
        "pass.flight_time_changed",
    ] {
        assert!(logged.iter().any(|k| k == kind), "{kind} not in {logged:?}");
    }

    // A replayed bundle (sequence 1 again) is refused and changes nothing.
    let before = everything(&w);
    let replay = payload(1, json!([{ "expire": { "id": GIFT } }]));
    world.publish(&replay, &world.key_pem, 3);
    let out = w.sync_pass_feeds(true).unwrap();
    let [PassFeedOutcome::Failed { reason, .. }] = &out[..] else { panic!("{out:?}") };
    assert!(reason.contains("not newer"), "{reason}");
    assert_eq!(everything(&w), before);

    // A forged bundle (newer sequence, another key) is refused and changes nothing.
    let forger = world.dir.path().join("forger.pem");
    let sk = SigningKey::from_slice(&[0x66; 32]).unwrap();
    std::fs::write(&forger, sk.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes()).unwrap();
    world.publish(&payload(9, json!([{ "remove": { "id": GIFT } }])), &forger, 4);
    let out = w.sync_pass_feeds(true).unwrap();
    let [PassFeedOutcome::Failed { reason, .. }] = &out[..] else { panic!("{out:?}") };
    assert!(reason.contains("not pinned"), "{reason}");
    assert_eq!(everything(&w), before);
    drop(w);
    let w = world.open(&rec);
    assert_eq!(w.list_passes(), before.0, "nothing of the refused bundles reached the file");
    assert!(rec.changes().is_empty());
}

//! Payment tokens in the encrypted store (payment spec §12, §13, §17.2): the life cycle
//! survives reopen through the core's `TokenBook`; the journal commits the ATC and the key
//! use durably before the applet may answer; a fault injected at every write and flush
//! point of a run of commits never loses an acknowledged ATC and never lets one repeat.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use common::*;
use hce_wallet_core::events::PaymentEvent;
use hce_wallet_core::payment::lifecycle::{DeviceEvent, Transition};
use hce_wallet_core::payment::ports::{JournalError, PaymentJournal, TokenSource};
use hce_wallet_core::payment::sample::{sample_keys, sample_token};
use hce_wallet_core::payment::token::{
    Atc, KeyBudget, Origin, ReasonCode, TokenState, TransactionLogEntry, KEY_INDEX_LEN,
};
use hce_wallet_core::time::Timestamp;
use hce_wallet_store::redb::backends::FileBackend;
use hce_wallet_store::{IntegrityCheck, Store, StoreOptions};

fn now() -> Timestamp {
    Timestamp::from_secs(1_800_000_000)
}

fn entry(atc: u16, key_index: [u8; KEY_INDEX_LEN]) -> TransactionLogEntry {
    TransactionLogEntry {
        atc: Atc(atc),
        key_index,
        unpredictable_number: [0xDE, 0xAD, 0xBE, 0xEF],
        amount: 1000,
        currency: 0x0156,
        date: [0x26, 0x12, 0x02],
        transaction_type: 0,
        cdcvm: true,
        cryptogram: Some(([7; 8], 0x80)),
        at: now(),
    }
}

#[test]
fn life_cycle_and_default_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    let (a, b) = (sample_token(0), sample_token(1));
    {
        let store = Store::open(&path, &key(1)).unwrap();
        let ev = store.provision_token(&a, &sample_keys(0, 2, 5, now()), true, now()).unwrap();
        assert!(ev.iter().any(|e| matches!(e, PaymentEvent::DefaultChanged { .. })));
        store.provision_token(&b, &sample_keys(1, 2, 5, now()), true, now()).unwrap();
        // One token per card: a second token for card-0 is refused and changes nothing.
        let mut dup = sample_token(5);
        dup.card = a.card.clone();
        assert!(store.provision_token(&dup, &[], true, now()).is_err());
        assert!(store.provision_token(&a, &[], true, now()).is_err(), "token reference reused");
        let ev = store
            .apply_token(&a.id, Transition::Suspend, Origin::User, Some(ReasonCode::Lost), now())
            .unwrap();
        assert!(ev.contains(&PaymentEvent::DefaultChanged {
            from: Some(a.id.clone()),
            to: Some(b.id.clone())
        }));
    }
    let store = Store::open(&path, &key(1)).unwrap();
    let book = store.token_book().unwrap();
    book.check().unwrap();
    assert_eq!(book.records().len(), 2);
    assert_eq!(book.get(&a.id).unwrap().state, TokenState::Suspended);
    assert_eq!(book.default_token(), Some(&b.id));
    let offered: Vec<_> = store.offered(now()).into_iter().map(|t| t.token.id).collect();
    assert_eq!(offered, vec![b.id.clone()], "a suspended token is never offered");
    assert_eq!(book.get(&a.id).unwrap().history.last().unwrap().reason, Some(ReasonCode::Lost));
    // Device wipe deletes everything and destroys the keys.
    store.device_event(DeviceEvent::Wiped, now()).unwrap();
    assert_eq!(store.current_key(&b.id, now()).budget, KeyBudget::NoKey);
    assert!(store.token_records().unwrap().iter().all(|r| r.keys.is_empty()));
    assert_eq!(store.token_book().unwrap().default_token(), None);
}

#[test]
fn journal_commits_are_durable_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    let tok = sample_token(0);
    {
        let store = Store::open(&path, &key(1)).unwrap();
        store.provision_token(&tok, &sample_keys(0, 1, 3, now()), true, now()).unwrap();
        let k = store.current_key(&tok.id, now()).key.unwrap().key_index;
        assert_eq!(
            store.commit(&tok.id, &entry(2, k)),
            Err(JournalError::AtcNotNext { offered: 2, last: 0 })
        );
        store.commit(&tok.id, &entry(1, k)).unwrap();
        store.commit(&tok.id, &entry(2, k)).unwrap();
    }
    let store = Store::open(&path, &key(1)).unwrap();
    assert_eq!(store.last_atc(&tok.id), Ok(Atc(2)), "the ATC survives reopen");
    let k = store.current_key(&tok.id, now()).key.unwrap().key_index;
    assert_eq!(
        store.commit(&tok.id, &entry(2, k)),
        Err(JournalError::AtcNotNext { offered: 2, last: 2 }),
        "an ATC is never committed twice"
    );
    store.commit(&tok.id, &entry(3, k)).unwrap();
    assert_eq!(store.current_key(&tok.id, now()).budget, KeyBudget::Exhausted);
    assert_eq!(store.commit(&tok.id, &entry(4, k)), Err(JournalError::KeyUnusable));
    assert_eq!(store.token_log(&tok.id).unwrap().len(), 3);
    // Replenish, then the counter goes on.
    let mut fresh = sample_keys(0, 1, 3, now());
    fresh[0].key_index = [2, 2, 2, 2];
    store.replenish_token(&tok.id, &fresh).unwrap();
    store.commit(&tok.id, &entry(4, [2, 2, 2, 2])).unwrap();
    store.apply_token(&tok.id, Transition::Suspend, Origin::IssuerOnToken, None, now()).unwrap();
    assert_eq!(
        store.commit(&tok.id, &entry(5, [2, 2, 2, 2])),
        Err(JournalError::NotActive(TokenState::Suspended))
    );
}

#[test]
fn a_file_under_another_root_key_does_not_serve_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    let store = Store::open(&path, &key(1)).unwrap();
    store.provision_token(&sample_token(0), &sample_keys(0, 1, 3, now()), true, now()).unwrap();
    drop(store);
    let copy = dir.path().join("copy.redb");
    std::fs::copy(&path, &copy).unwrap();
    assert!(Store::open(&copy, &key(2)).is_err(), "keys are bound to the device's root key");
}

/// Provisions one token, then commits ATC 1..=n; returns (I/O points, ATCs acknowledged).
fn commit_run(path: &std::path::Path, n: u16, fail_at: u64) -> (u64, u16) {
    let _ = std::fs::remove_file(path);
    {
        let store = Store::open(path, &key(1)).unwrap();
        store
            .provision_token(&sample_token(0), &sample_keys(0, 1, 100, now()), true, now())
            .unwrap();
    }
    let points = Arc::new(AtomicU64::new(0));
    let file = std::fs::OpenOptions::new().read(true).write(true).open(path).unwrap();
    let backend =
        FaultyBackend { inner: FileBackend::new(file).unwrap(), points: points.clone(), fail_at };
    let opts = StoreOptions { integrity_check: IntegrityCheck::Never, ..Default::default() };
    let Ok(store) = Store::open_with_backend(backend, &key(1), opts) else {
        return (points.load(Ordering::SeqCst), 0);
    };
    let id = sample_token(0).id;
    let mut acknowledged = 0;
    for atc in 1..=n {
        // The applet's contract: read the last ATC, commit last + 1, answer only on Ok.
        let Ok(last) = store.last_atc(&id) else { break };
        let Some(k) = store.current_key(&id, now()).key else { break };
        let next = last.next().unwrap();
        assert_eq!(next, Atc(atc));
        if store.commit(&id, &entry(next.0, k.key_index)).is_err() {
            break;
        }
        acknowledged = atc;
    }
    (points.load(Ordering::SeqCst), acknowledged)
}

#[test]
fn atc_never_repeats_and_no_acknowledged_atc_is_lost_at_any_fault_point() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atc.redb");
    let n = 4;
    let (total, acked) = commit_run(&path, n, 0);
    assert_eq!(acked, n);
    let (mut rolled_back, mut landed) = (0, 0);
    for fail_at in 1..=total {
        let (_, acked) = commit_run(&path, n, fail_at);
        let store = Store::open(&path, &key(1))
            .unwrap_or_else(|e| panic!("unreadable after a fault at point {fail_at}: {e}"));
        store.verify_all().unwrap();
        let id = sample_token(0).id;
        let last = store.last_atc(&id).unwrap().0;
        // What the terminal saw acknowledged is there; at most the interrupted commit landed.
        assert!(
            last >= acked,
            "fault at {fail_at}: acknowledged ATC {acked} lost (store has {last})"
        );
        assert!(last <= acked + 1, "fault at {fail_at}: store {last} ahead of {acked} + 1");
        if last == acked {
            rolled_back += 1
        } else {
            landed += 1
        }
        // The next tap after the crash uses a fresh ATC.
        let k = store.current_key(&id, now()).key.unwrap().key_index;
        if acked > 0 {
            assert_eq!(
                store.commit(&id, &entry(acked, k)).err(),
                Some(JournalError::AtcNotNext { offered: acked, last }),
                "fault at {fail_at}: an answered ATC could be committed again"
            );
        }
        store.commit(&id, &entry(last + 1, k)).unwrap();
    }
    println!("token journal: {total} fault points, {rolled_back} rolled back, {landed} landed");
}

mod signed {
    use super::*;
    use hce_wallet_core::key_bundle::PinnedRoots;
    use hce_wallet_core::payment::lifecycle::Transition;
    use hce_wallet_core::payment::provisioning::{
        sign_provisioning, Provisioning, ProvisioningError, StatusEvent, StatusMessage,
        StatusTarget,
    };
    use hce_wallet_store::tokens::TokenError;
    use p256::ecdsa::SigningKey;

    const DEVICE: &str = "device-A";

    fn tsp() -> SigningKey {
        SigningKey::from_slice(&[7; 32]).unwrap()
    }
    fn roots() -> PinnedRoots {
        PinnedRoots::new([p256::PublicKey::from(tsp().verifying_key())])
    }
    fn payload(seq: u64, n: usize) -> Vec<u8> {
        let p = Provisioning {
            sequence: seq,
            issued_at: now(),
            token: sample_token(n),
            keys: sample_keys(n, 2, 5, now()),
            active: true,
        };
        sign_provisioning(&p, DEVICE, &tsp()).unwrap()
    }

    #[test]
    fn signed_provisioning_and_status_are_rollback_proof_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.redb");
        let first = payload(1, 0);
        {
            let store = Store::open(&path, &key(1)).unwrap();
            store.provision_signed(&first, &roots(), DEVICE, now()).unwrap();
            // The same payload again, a payload for another device, a forged one: refused.
            assert!(matches!(
                store.provision_signed(&first, &roots(), DEVICE, now()),
                Err(TokenError::Provisioning(ProvisioningError::Replayed { sequence: 1, last: 1 }))
            ));
            assert!(matches!(
                store.provision_signed(&payload(2, 1), &roots(), "device-B", now()),
                Err(TokenError::Provisioning(ProvisioningError::OtherDevice(_)))
            ));
            let forged = {
                let p = Provisioning {
                    sequence: 9,
                    issued_at: now(),
                    token: sample_token(3),
                    keys: vec![],
                    active: true,
                };
                sign_provisioning(&p, DEVICE, &SigningKey::from_slice(&[8; 32]).unwrap()).unwrap()
            };
            assert!(store.provision_signed(&forged, &roots(), DEVICE, now()).is_err());
            // A second token for the same card is refused and does not spend the sequence.
            let mut same_card = sample_token(4);
            same_card.card = sample_token(0).card;
            let p = Provisioning {
                sequence: 3,
                issued_at: now(),
                token: same_card,
                keys: sample_keys(4, 1, 5, now()),
                active: true,
            };
            let dup = sign_provisioning(&p, DEVICE, &tsp()).unwrap();
            assert!(matches!(
                store.provision_signed(&dup, &roots(), DEVICE, now()),
                Err(TokenError::Lifecycle(_))
            ));
            assert_eq!(store.token_sequences().unwrap(), (1, 0));
            // A replenishment batch for the held token: same format, the token's reference.
            store.provision_signed(&payload(4, 0), &roots(), DEVICE, now()).unwrap();
            assert_eq!(store.token_records().unwrap()[0].keys.len(), 4);
        }
        let store = Store::open(&path, &key(1)).unwrap();
        assert!(
            store.provision_signed(&first, &roots(), DEVICE, now()).is_err(),
            "replay after reopen"
        );
        let id = sample_token(0).id;
        let msg = StatusMessage {
            sequence: 1,
            issued_at: now(),
            events: vec![StatusEvent {
                target: StatusTarget::Token(id.clone()),
                transition: Some(Transition::Suspend),
                origin: Origin::IssuerOnToken,
                reason: Some(ReasonCode::Fraudulent),
            }],
        };
        let signed = msg.sign(DEVICE, &tsp()).unwrap();
        let before = store.token_records().unwrap();
        // A tampered copy first: nothing changes.
        let mut tampered = signed.clone();
        let i = tampered.len() / 2;
        tampered[i] ^= 0x40;
        assert!(store.apply_status(&tampered, &roots(), DEVICE, now()).is_err());
        assert_eq!(store.token_records().unwrap(), before);
        store.apply_status(&signed, &roots(), DEVICE, now()).unwrap();
        assert_eq!(store.token(&id).unwrap().state, TokenState::Suspended);
        assert!(store.offered(now()).is_empty(), "a suspended token is no longer offered");
        assert!(store.apply_status(&signed, &roots(), DEVICE, now()).is_err(), "replayed");
        assert_eq!(store.token_sequences().unwrap(), (4, 1));
    }

    /// The state a status message changes: every token's record (state, holds, default,
    /// history), the status sequence and the queue of user requests.
    type Snapshot = (Vec<hce_wallet_store::tokens::PaymentTokenRecord>, (u64, u64), usize);

    fn snapshot(store: &Store) -> Snapshot {
        (
            store.token_records().unwrap(),
            store.token_sequences().unwrap(),
            store.pending_token_requests().unwrap().len(),
        )
    }

    /// Three tokens; tok-2 reported lost by the user, who then asked to resume it.
    fn status_setup(path: &std::path::Path) -> Snapshot {
        let _ = std::fs::remove_file(path);
        let store = Store::open(path, &key(1)).unwrap();
        for n in 0..3 {
            store.provision_signed(&payload(n as u64 + 1, n), &roots(), DEVICE, now()).unwrap();
        }
        let id2 = sample_token(2).id;
        use hce_wallet_store::tokens::UserRequestKind;
        store.user_token_request(&id2, UserRequestKind::ReportLost, now()).unwrap();
        store.user_token_request(&id2, UserRequestKind::Resume, now()).unwrap();
        snapshot(&store)
    }

    /// Suspend tok-0, cancel the card of tok-1 (cascade delete), confirm the user's resume
    /// of tok-2: three events that must land together or not at all.
    fn three_events() -> Vec<u8> {
        let event = |target, transition, origin, reason| StatusEvent {
            target,
            transition: Some(transition),
            origin,
            reason,
        };
        let msg = StatusMessage {
            sequence: 1,
            issued_at: now(),
            events: vec![
                event(
                    StatusTarget::Token(sample_token(0).id),
                    Transition::Suspend,
                    Origin::IssuerOnToken,
                    Some(ReasonCode::Fraudulent),
                ),
                event(
                    StatusTarget::Card(sample_token(1).card),
                    Transition::Delete,
                    Origin::IssuerOnCard,
                    Some(ReasonCode::AccountClosed),
                ),
                event(
                    StatusTarget::Token(sample_token(2).id),
                    Transition::Resume,
                    Origin::User,
                    Some(ReasonCode::Found),
                ),
            ],
        };
        msg.sign(DEVICE, &tsp()).unwrap()
    }

    /// Applies the message through a backend that fails at I/O point `fail_at` (0: never);
    /// returns the points counted and whether the store acknowledged the message.
    fn status_run(path: &std::path::Path, fail_at: u64) -> (u64, bool) {
        let points = Arc::new(AtomicU64::new(0));
        let file = std::fs::OpenOptions::new().read(true).write(true).open(path).unwrap();
        let backend = FaultyBackend {
            inner: FileBackend::new(file).unwrap(),
            points: points.clone(),
            fail_at,
        };
        let opts = StoreOptions { integrity_check: IntegrityCheck::Never, ..Default::default() };
        let Ok(store) = Store::open_with_backend(backend, &key(1), opts) else {
            return (points.load(Ordering::SeqCst), false);
        };
        let acked = store.apply_status(&three_events(), &roots(), DEVICE, now()).is_ok();
        (points.load(Ordering::SeqCst), acked)
    }

    #[test]
    fn a_status_message_lands_whole_or_not_at_all_at_every_fault_point() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status.redb");
        let before = status_setup(&path);
        let (total, acked) = status_run(&path, 0);
        assert!(acked);
        let after = snapshot(&Store::open(&path, &key(1)).unwrap());
        assert_ne!(before, after);
        assert_eq!(after.1, (3, 1));
        assert_eq!(after.2, 1, "the confirmed resume left the queue, the report lost stays");
        let (mut rolled_back, mut landed) = (0, 0);
        for fail_at in 1..=total {
            assert_eq!(status_setup(&path), before);
            let (_, acked) = status_run(&path, fail_at);
            let store = Store::open(&path, &key(1))
                .unwrap_or_else(|e| panic!("unreadable after a fault at point {fail_at}: {e}"));
            store.verify_all().unwrap();
            let now_is = snapshot(&store);
            if acked {
                assert_eq!(now_is, after, "fault at {fail_at}: an acknowledged message was lost");
            }
            if now_is == before {
                rolled_back += 1;
                // Not applied: the same message applies now, whole.
                store.apply_status(&three_events(), &roots(), DEVICE, now()).unwrap();
                assert_eq!(snapshot(&store), after, "fault at {fail_at}: retry");
            } else {
                assert_eq!(now_is, after, "fault at {fail_at}: half-applied status message");
                landed += 1;
                assert!(
                    store.apply_status(&three_events(), &roots(), DEVICE, now()).is_err(),
                    "fault at {fail_at}: a message that landed applied twice"
                );
            }
        }
        assert!(rolled_back > 0 && landed > 0);
        println!(
            "status message: {total} fault points, {rolled_back} rolled back, {landed} landed"
        );
    }
}

//! The NFC pass applet through the router (issue 15): selection by AID, files, access
//! conditions, authentication with durable retry counters, durable writes, use events.
//! The reader side here uses the core's own token function; the independent reference
//! reader and the negative suite live in `tests/`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;

use hce_wallet_core::events::{NfcPassEvent, WalletEvent};
use hce_wallet_core::nfc_pass::applet::{NfcPassApplet, NfcPassPorts};
use hce_wallet_core::nfc_pass::auth::{self, ID_ICC};
use hce_wallet_core::nfc_pass::memory::InMemoryNfcPasses;
use hce_wallet_core::nfc_pass::model::{
    Access, Aid, FileId, KeyAlgorithm, KeyNumber, NfcFile, NfcKey, NfcPass, PassId,
};
use hce_wallet_core::ports::{EventLog, RandomSource};
use hce_wallet_core::router::{Deactivation, Router};

const AID: [u8; 7] = [0xF0, 0x48, 0x43, 0x45, 0x4B, 0x45, 0x59];
const KEY: [u8; 16] = [0x11; 16];

struct Counter(u8);
impl RandomSource for Counter {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 = self.0.wrapping_add(1);
            *b = self.0;
        }
    }
}

fn door(id: &str, algorithm: KeyAlgorithm) -> NfcPass {
    let k1 = KeyNumber::new(1).unwrap();
    let files = vec![
        NfcFile::new(0x0101, 16, b"DOOR-7-CRED", Access::Key(k1), Access::Never, "credential")
            .unwrap(),
        NfcFile::new(0x0102, 4, &[0, 0, 0, 1], Access::Always, Access::Key(k1), "visits").unwrap(),
        NfcFile::new(0x0103, 8, b"public", Access::Always, Access::Never, "label").unwrap(),
    ];
    let key = if algorithm == KeyAlgorithm::Aes128 { KEY } else { *b"0123456789ABCDEF" };
    let keys = vec![NfcKey::new(1, algorithm, &key, 3).unwrap()];
    NfcPass::new(PassId::new(id).unwrap(), "Example", Aid::new(&AID).unwrap(), files, keys).unwrap()
}

fn card(passes: Vec<NfcPass>) -> (Router, Arc<InMemoryNfcPasses>, Arc<EventLog>) {
    let store = Arc::new(InMemoryNfcPasses::new(passes));
    let events = Arc::new(EventLog::default());
    let applet = NfcPassApplet::new(NfcPassPorts {
        source: store.clone(),
        journal: store.clone(),
        events: events.clone(),
        random: Box::new(Counter(0)),
    });
    let mut router = Router::new();
    router.register(Box::new(applet));
    (router, store, events)
}

fn send(r: &mut Router, apdu: &[u8]) -> (Vec<u8>, u16) {
    let out = r.process(apdu);
    let (data, sw) = out.split_at(out.len() - 2);
    (data.to_vec(), u16::from_be_bytes([sw[0], sw[1]]))
}

fn select(r: &mut Router) -> u16 {
    let mut apdu = vec![0x00, 0xA4, 0x04, 0x00, AID.len() as u8];
    apdu.extend_from_slice(&AID);
    apdu.push(0);
    send(r, &apdu).1
}

fn authenticate(r: &mut Router, pass: &NfcPass, key: u8) -> u16 {
    let (challenge, sw) = send(r, &[0x00, 0x84, 0x00, 0x00, 0x08]);
    assert_eq!(sw, 0x9000);
    let key = pass.key(KeyNumber::new(key).unwrap()).unwrap();
    let token = auth::token(key, &challenge.try_into().unwrap(), &ID_ICC);
    let mut apdu = vec![0x00, 0x82, 0x00, 0x01, 0x10];
    apdu.extend_from_slice(&token);
    send(r, &apdu).1
}

fn select_file(r: &mut Router, fid: u16) -> u16 {
    let [a, b] = fid.to_be_bytes();
    send(r, &[0x00, 0xA4, 0x02, 0x0C, 0x02, a, b]).1
}

#[test]
fn authenticated_reader_reads_the_credential() {
    for algorithm in [KeyAlgorithm::Aes128, KeyAlgorithm::Tdes2Key] {
        let pass = door("door-1", algorithm);
        let (mut r, _, events) = card(vec![pass.clone()]);
        let out =
            r.process(&[0x00, 0xA4, 0x04, 0x00, 7, 0xF0, 0x48, 0x43, 0x45, 0x4B, 0x45, 0x59, 0]);
        assert_eq!(out, [&[0x6F, 9, 0x84, 7][..], &AID, &[0x90, 0x00]].concat());
        assert_eq!(select_file(&mut r, 0x0101), 0x9000);
        assert_eq!(send(&mut r, &[0x00, 0xB0, 0x00, 0x00, 0x10]), (vec![], 0x6982));
        assert_eq!(authenticate(&mut r, &pass, 1), 0x9000);
        let (data, sw) = send(&mut r, &[0x00, 0xB0, 0x00, 0x00, 0x00]);
        assert_eq!((&data[..11], sw), (&b"DOOR-7-CRED"[..], 0x9000));
        assert_eq!(send(&mut r, &[0x00, 0xB0, 0x00, 0x05, 0x04]).0, b"7-CR");
        r.deactivate(Deactivation::LinkLoss);
        assert_eq!(
            events.take(),
            vec![WalletEvent::NfcPass(NfcPassEvent::Used {
                pass: PassId::new("door-1").unwrap(),
                aid: Aid::new(&AID).unwrap(),
                read: vec![FileId(0x0101)],
                written: vec![],
                authenticated: true,
            })]
        );
        // A new field session starts unauthenticated.
        assert_eq!(select(&mut r), 0x9000);
        assert_eq!(select_file(&mut r, 0x0101), 0x9000);
        assert_eq!(send(&mut r, &[0x00, 0xB0, 0x00, 0x00, 0x10]), (vec![], 0x6982));
    }
}

#[test]
fn writes_are_durable_before_acknowledged() {
    let pass = door("door-1", KeyAlgorithm::Aes128);
    let (mut r, store, events) = card(vec![pass.clone()]);
    select(&mut r);
    select_file(&mut r, 0x0102);
    assert_eq!(send(&mut r, &[0x00, 0xD6, 0x00, 0x02, 0x02, 0xAB, 0xCD]).1, 0x6982);
    authenticate(&mut r, &pass, 1);
    assert_eq!(send(&mut r, &[0x00, 0xD6, 0x00, 0x02, 0x02, 0xAB, 0xCD]).1, 0x9000);
    let stored = |s: &InMemoryNfcPasses| {
        s.pass(&pass.id).unwrap().file(FileId(0x0102)).unwrap().content().to_vec()
    };
    assert_eq!(stored(&store), [0, 0, 0xAB, 0xCD]);
    // The journal fails: 6581, nothing changes, neither in the store nor in the session.
    store.set_failing(true);
    assert_eq!(send(&mut r, &[0x00, 0xD6, 0x00, 0x00, 0x01, 0xEE]).1, 0x6581);
    assert_eq!(stored(&store), [0, 0, 0xAB, 0xCD]);
    assert_eq!(send(&mut r, &[0x00, 0xB0, 0x00, 0x00, 0x04]).0, [0, 0, 0xAB, 0xCD]);
    store.set_failing(false);
    r.deactivate(Deactivation::LinkLoss);
    let events = events.take();
    assert!(events.contains(&WalletEvent::NfcPass(NfcPassEvent::WriteFailed {
        pass: pass.id.clone(),
        file: FileId(0x0102)
    })));
    assert!(matches!(events.last(), Some(WalletEvent::NfcPass(NfcPassEvent::Used { written, .. }))
        if written == &vec![FileId(0x0102)]));
    // The next session reads what was committed.
    select(&mut r);
    select_file(&mut r, 0x0102);
    assert_eq!(send(&mut r, &[0x00, 0xB0, 0x00, 0x00, 0x00]).0, [0, 0, 0xAB, 0xCD]);
}

#[test]
fn retry_counter_survives_sessions_and_blocks() {
    let pass = door("door-1", KeyAlgorithm::Aes128);
    let (mut r, store, _) = card(vec![pass.clone()]);
    let wrong = |r: &mut Router| {
        select(r);
        send(r, &[0x00, 0x84, 0x00, 0x00, 0x08]);
        let mut apdu = vec![0x00, 0x82, 0x00, 0x01, 0x10];
        apdu.extend_from_slice(&[0x55; 16]);
        let sw = send(r, &apdu).1;
        r.deactivate(Deactivation::LinkLoss);
        sw
    };
    assert_eq!(wrong(&mut r), 0x63C2);
    assert_eq!(wrong(&mut r), 0x63C1);
    // A correct answer resets the counter (durably).
    select(&mut r);
    assert_eq!(authenticate(&mut r, &pass, 1), 0x9000);
    r.deactivate(Deactivation::LinkLoss);
    assert_eq!(store.pass(&pass.id).unwrap().keys()[0].remaining, 3);
    for expected in [0x63C2, 0x63C1, 0x63C0] {
        assert_eq!(wrong(&mut r), expected);
    }
    assert_eq!(store.pass(&pass.id).unwrap().keys()[0].remaining, 0);
    select(&mut r);
    assert_eq!(authenticate(&mut r, &pass, 1), 0x6983);
}

#[test]
fn challenge_single_use_and_no_reflection() {
    let pass = door("door-1", KeyAlgorithm::Aes128);
    let (mut r, _, _) = card(vec![pass.clone()]);
    select(&mut r);
    let (challenge, _) = send(&mut r, &[0x00, 0x84, 0x00, 0x00, 0x08]);
    // The card's own INTERNAL AUTHENTICATE answer to its challenge is no reader token.
    let mut internal = vec![0x00, 0x88, 0x00, 0x01, 0x08];
    internal.extend_from_slice(&challenge);
    internal.push(0x00);
    let (reflected, sw) = send(&mut r, &internal);
    assert_eq!((reflected.len(), sw), (16, 0x9000));
    let mut apdu = vec![0x00, 0x82, 0x00, 0x01, 0x10];
    apdu.extend_from_slice(&reflected);
    assert_eq!(send(&mut r, &apdu).1, 0x63C2);
    // A correct token for a spent challenge is refused too.
    let key = pass.key(KeyNumber::new(1).unwrap()).unwrap();
    let token = auth::token(key, &challenge.try_into().unwrap(), &ID_ICC);
    let mut replay = vec![0x00, 0x82, 0x00, 0x01, 0x10];
    replay.extend_from_slice(&token);
    assert_eq!(send(&mut r, &replay).1, 0x6985);
}

#[test]
fn two_passes_on_one_aid() {
    let (a, b) = (door("door-a", KeyAlgorithm::Aes128), door("door-b", KeyAlgorithm::Aes128));
    let (mut r, store, events) = card(vec![a.clone(), b.clone()]);
    assert_eq!(select(&mut r), 0x6A82);
    assert!(matches!(&events.take()[..],
        [WalletEvent::NfcPass(NfcPassEvent::AidConflict { candidates, .. })] if candidates.len() == 2));
    // Nothing is selected: no file can be read.
    assert_eq!(select_file(&mut r, 0x0103), 0x6985);
    store.choose(Some(b.id.clone()));
    assert_eq!(select(&mut r), 0x9000);
    r.deactivate(Deactivation::LinkLoss);
    assert!(matches!(&events.take()[..],
        [WalletEvent::NfcPass(NfcPassEvent::Used { pass, .. })] if pass == &b.id));
    // Only one Active: it answers.
    store.choose(None);
    store.set_state(&b.id, hce_wallet_core::nfc_pass::model::NfcPassState::Suspended);
    assert_eq!(select(&mut r), 0x9000);
    r.deactivate(Deactivation::LinkLoss);
    assert!(matches!(&events.take()[..],
        [WalletEvent::NfcPass(NfcPassEvent::Used { pass, .. })] if pass == &a.id));
}

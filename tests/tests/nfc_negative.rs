//! Issuer NFC passes against the independent reference reader (`tests/src/nfc_reader.rs`):
//! the door-key flow, then every refusal the issue lists — each a status word, never data.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod nfc_support;

use hce_wallet_core::nfc_pass::model::{FileId, NfcPassState, PassId};
use hce_wallet_harness::demo_nfc::{self, DEMO_AID, DEMO_COUNTER_FILE, DEMO_CREDENTIAL_FILE};
use hce_wallet_harness::nfc_reader::{ReaderAlgorithm, ReaderError, ReaderKey};
use nfc_support::{door, door_with, fixture_file, fixture_key, leaked};

const RND_IFD: [u8; 8] = [9, 8, 7, 6, 5, 4, 3, 2];

fn refused(step: &'static str, sw: u16) -> Result<(), ReaderError> {
    Err(ReaderError::Refused { step, sw })
}

fn wrong_key() -> ReaderKey {
    ReaderKey::new(1, ReaderAlgorithm::Aes128, [0x42; 16])
}

#[test]
fn door_key_flow_aes_and_tdes() {
    let mut d = door();
    let credential =
        d.reader.open_door(&DEMO_AID, &fixture_key(1), DEMO_CREDENTIAL_FILE, RND_IFD).unwrap();
    assert_eq!(credential, fixture_file("0101"));
    // The leak check sees the credential when it was legitimately read.
    assert!(leaked(&d.reader.transcript, &fixture_file("0101")));
    // The lock bumps the visit counter; the write survives the session.
    d.reader.select_file(DEMO_COUNTER_FILE).unwrap();
    d.reader.write(2, &[0x00, 0x01]).unwrap();
    d.reader.card_mut().deactivate();
    d.reader.select(&DEMO_AID).unwrap();
    d.reader.select_file(DEMO_COUNTER_FILE).unwrap();
    assert_eq!(d.reader.read(0, 4).unwrap(), [0, 0, 0, 1]);
    // The legacy area under the two-key TDES key.
    d.reader.authenticate(&fixture_key(2)).unwrap();
    d.reader.verify_card(&fixture_key(2), RND_IFD).unwrap();
    d.reader.select_file(0x0104).unwrap();
    assert_eq!(d.reader.read(0, 8).unwrap(), fixture_file("0104"));
}

#[test]
fn no_authentication_reads_no_credential() {
    let mut d = door();
    d.reader.select(&DEMO_AID).unwrap();
    assert_eq!(d.reader.select_file(DEMO_CREDENTIAL_FILE), Ok(16));
    assert_eq!(d.reader.read(0, 16).map(|_| ()), refused("READ BINARY", 0x6982));
    assert!(!leaked(&d.reader.transcript, &fixture_file("0101")));
    // Public files need nothing.
    d.reader.select_file(0x0103).unwrap();
    assert_eq!(&d.reader.read(0, 14).unwrap(), b"Example Campus");
}

#[test]
fn wrong_key_gets_a_status_word_and_no_file_byte() {
    let mut d = door();
    let out = d.reader.open_door(&DEMO_AID, &wrong_key(), DEMO_CREDENTIAL_FILE, RND_IFD);
    assert_eq!(out, Err(ReaderError::Refused { step: "EXTERNAL AUTHENTICATE", sw: 0x63C2 }));
    d.reader.select_file(DEMO_CREDENTIAL_FILE).unwrap();
    assert_eq!(d.reader.read(0, 16).map(|_| ()), refused("READ BINARY", 0x6982));
    assert!(!leaked(&d.reader.transcript, &fixture_file("0101")));
    // A card with another key fails the reader's INTERNAL AUTHENTICATE check.
    let mut d = door();
    d.reader.select(&DEMO_AID).unwrap();
    assert_eq!(d.reader.verify_card(&wrong_key(), RND_IFD), Err(ReaderError::CardNotAuthentic));
}

#[test]
fn replayed_challenge_response_is_refused() {
    let mut d = door();
    d.reader.select(&DEMO_AID).unwrap();
    let (challenge, _) = d.reader.exchange(&[0x00, 0x84, 0x00, 0x00, 0x08]).unwrap();
    let token = fixture_key(1)
        .token(&challenge.try_into().unwrap(), &[b'H', b'C', b'E', b'-', b'I', b'C', b'C', 1]);
    let external = [&[0x00, 0x82, 0x00, 0x01, 0x10][..], &token].concat();
    assert_eq!(d.reader.exchange(&external).unwrap(), (vec![], 0x9000));
    // Same session: the challenge is spent.
    assert_eq!(d.reader.exchange(&external).unwrap(), (vec![], 0x6985));
    // Next session, fresh challenge: the recorded answer is wrong for it.
    d.reader.card_mut().deactivate();
    d.reader.select(&DEMO_AID).unwrap();
    d.reader.exchange(&[0x00, 0x84, 0x00, 0x00, 0x08]).unwrap();
    assert_eq!(d.reader.exchange(&external).unwrap(), (vec![], 0x63C2));
    d.reader.select_file(DEMO_CREDENTIAL_FILE).unwrap();
    assert_eq!(d.reader.read(0, 1).map(|_| ()), refused("READ BINARY", 0x6982));
}

#[test]
fn retry_counter_exhausted_blocks_the_key_across_sessions() {
    let mut d = door();
    for sw in [0x63C2, 0x63C1, 0x63C0] {
        d.reader.select(&DEMO_AID).unwrap();
        assert_eq!(d.reader.authenticate(&wrong_key()), refused("EXTERNAL AUTHENTICATE", sw));
        d.reader.card_mut().deactivate();
    }
    d.reader.select(&DEMO_AID).unwrap();
    assert_eq!(d.reader.authenticate(&fixture_key(1)), refused("EXTERNAL AUTHENTICATE", 0x6983));
    assert_eq!(
        d.reader.verify_card(&fixture_key(1), RND_IFD),
        refused("INTERNAL AUTHENTICATE", 0x6983)
    );
    let pass = d.store.pass(&PassId::new("campus-door-0001").unwrap()).unwrap();
    assert!(pass.keys()[0].is_blocked());
    // Key 2 is unaffected.
    d.reader.authenticate(&fixture_key(2)).unwrap();
}

#[test]
fn read_only_files_refuse_writes() {
    let mut d = door();
    d.reader.select(&DEMO_AID).unwrap();
    d.reader.authenticate(&fixture_key(1)).unwrap();
    for fid in [DEMO_CREDENTIAL_FILE, 0x0103] {
        d.reader.select_file(fid).unwrap();
        assert_eq!(d.reader.write(0, b"XX"), refused("UPDATE BINARY", 0x6985));
    }
    // Not authenticated with the file's key (key 2's area): 6982.
    d.reader.select_file(0x0104).unwrap();
    assert_eq!(d.reader.write(0, b"XX"), refused("UPDATE BINARY", 0x6982));
    let pass = d.store.pass(&PassId::new("campus-door-0001").unwrap()).unwrap();
    assert_eq!(pass.file(FileId(0x0103)).unwrap().content(), fixture_file("0103"));
    assert_eq!(pass.file(FileId(0x0101)).unwrap().content(), fixture_file("0101"));
}

#[test]
fn offsets_past_the_end() {
    let mut d = door();
    d.reader.select(&DEMO_AID).unwrap();
    d.reader.authenticate(&fixture_key(1)).unwrap();
    d.reader.select_file(DEMO_COUNTER_FILE).unwrap();
    let ex = |d: &mut nfc_support::Door, apdu: &[u8]| d.reader.exchange(apdu).unwrap();
    assert_eq!(ex(&mut d, &[0x00, 0xB0, 0x00, 0x04, 0x01]), (vec![], 0x6B00));
    assert_eq!(ex(&mut d, &[0x00, 0xB0, 0x7F, 0xFF, 0x01]), (vec![], 0x6B00));
    assert_eq!(ex(&mut d, &[0x00, 0xD6, 0x00, 0x04, 0x01, 0xAA]), (vec![], 0x6B00));
    assert_eq!(ex(&mut d, &[0x00, 0xD6, 0x00, 0x03, 0x02, 0xAA, 0xBB]), (vec![], 0x6700));
    // Asking more than there is: the bytes that exist, then 6282.
    assert_eq!(ex(&mut d, &[0x00, 0xB0, 0x00, 0x02, 0x08]), (vec![0, 0], 0x6282));
    // Short EF identifiers are not supported.
    assert_eq!(ex(&mut d, &[0x00, 0xB0, 0x81, 0x00, 0x01]), (vec![], 0x6A81));
    let pass = d.store.pass(&PassId::new("campus-door-0001").unwrap()).unwrap();
    assert_eq!(pass.file(FileId(DEMO_COUNTER_FILE)).unwrap().content(), [0, 0, 0, 0]);
}

#[test]
fn wrong_lc_and_le() {
    let mut d = door();
    d.reader.select(&DEMO_AID).unwrap();
    let cases: &[&[u8]] = &[
        &[0x00, 0x84, 0x00, 0x00, 0x04],             // GET CHALLENGE Le 4
        &[0x00, 0x84, 0x00, 0x00],                   // GET CHALLENGE without Le
        &[0x00, 0xA4, 0x02, 0x0C, 0x01, 0x01],       // SELECT FILE, Lc 1
        &[0x00, 0xB0, 0x00, 0x00],                   // READ BINARY without Le
        &[0x00, 0x88, 0x00, 0x01, 0x04, 1, 2, 3, 4], // INTERNAL AUTHENTICATE, Lc 4
        &[0x00, 0x88, 0x00, 0x01, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x08], // Ne 8 < 16
        &[0x00, 0xB0, 0x00, 0x00, 0x05, 0xAA],       // Lc announces 5, 1 follows
    ];
    for apdu in cases {
        assert_eq!(d.reader.exchange(apdu).unwrap(), (vec![], 0x6700), "{apdu:02X?}");
    }
    d.reader.exchange(&[0x00, 0x84, 0x00, 0x00, 0x08]).unwrap();
    assert_eq!(
        d.reader.exchange(&[0x00, 0x82, 0x00, 0x01, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]).unwrap(),
        (vec![], 0x6700)
    );
    d.reader.authenticate(&fixture_key(1)).unwrap();
    d.reader.select_file(DEMO_COUNTER_FILE).unwrap();
    // UPDATE BINARY is case 3: an Le is wrong, and nothing is written.
    assert_eq!(
        d.reader.exchange(&[0x00, 0xD6, 0x00, 0x00, 0x01, 0x77, 0x00]).unwrap(),
        (vec![], 0x6700)
    );
    assert_eq!(d.reader.read(0, 4).unwrap(), [0, 0, 0, 0]);
}

#[test]
fn two_passes_on_one_aid() {
    let a = demo_nfc::demo_pass().unwrap();
    let b_json = demo_nfc::DEMO_JSON.replace("campus-door-0001", "campus-door-0002");
    let b = hce_wallet_core::nfc_pass::fixture::parse(b_json.as_bytes()).unwrap();
    let mut d = door_with(vec![a.clone(), b.clone()]);
    assert_eq!(
        d.reader.select(&DEMO_AID),
        Err(ReaderError::Refused { step: "SELECT AID", sw: 0x6A82 })
    );
    assert_eq!(d.reader.exchange(&[0x00, 0x84, 0x00, 0x00, 0x08]).unwrap(), (vec![], 0x6985));
    d.store.choose(Some(b.id.clone()));
    d.reader.select(&DEMO_AID).unwrap();
    d.reader.authenticate(&fixture_key(1)).unwrap();
    d.reader.select_file(DEMO_COUNTER_FILE).unwrap();
    d.reader.write(0, &[0xB0]).unwrap();
    // The chosen pass took the write, the other did not.
    let counter = |id: &PassId| {
        d.store.pass(id).unwrap().file(FileId(DEMO_COUNTER_FILE)).unwrap().content()[0]
    };
    assert_eq!((counter(&a.id), counter(&b.id)), (0x00, 0xB0));
    d.store.choose(None);
    d.store.set_state(&b.id, NfcPassState::Suspended);
    d.reader.card_mut().deactivate();
    d.reader.select(&DEMO_AID).unwrap();
    d.reader.select_file(DEMO_COUNTER_FILE).unwrap();
    assert_eq!(d.reader.read(0, 1).unwrap(), [0x00]);
}

#[test]
fn unknown_ins_cla_and_keys() {
    let mut d = door();
    d.reader.select(&DEMO_AID).unwrap();
    let cases: &[(&[u8], u16)] = &[
        (&[0x00, 0xCA, 0x00, 0x00, 0x00], 0x6D00),
        (&[0x00, 0x20, 0x00, 0x01, 0x02, 1, 2], 0x6D00),
        (&[0x80, 0xB0, 0x00, 0x00, 0x01], 0x6E00),
        (&[0x0C, 0xB0, 0x00, 0x00, 0x01], 0x6E00),
        (&[0x00, 0x88, 0x00, 0x05, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0], 0x6A88),
        (&[0x00, 0x88, 0x00, 0x60, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0], 0x6A86),
        (&[0x00, 0x84, 0x01, 0x00, 0x08], 0x6A86),
        (&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x0F, 0x0F], 0x6A82),
        (&[0x00, 0xB0, 0x00, 0x00, 0x01], 0x6986),
        (&[0x00, 0xA4, 0x04, 0x00, 0x05, 0xF0, 0, 0, 0, 0], 0x6A82),
    ];
    for (apdu, sw) in cases {
        assert_eq!(d.reader.exchange(apdu).unwrap(), (vec![], *sw), "{apdu:02X?}");
    }
}

#[test]
fn failed_commit_is_never_acknowledged() {
    let mut d = door();
    d.reader.select(&DEMO_AID).unwrap();
    d.reader.authenticate(&fixture_key(1)).unwrap();
    d.reader.select_file(DEMO_COUNTER_FILE).unwrap();
    d.store.set_failing(true);
    assert_eq!(d.reader.write(0, &[1]), refused("UPDATE BINARY", 0x6581));
    // A failed authentication whose lower count cannot be saved is not answered 63Cx.
    assert_eq!(d.reader.authenticate(&wrong_key()), refused("EXTERNAL AUTHENTICATE", 0x6581));
    d.store.set_failing(false);
    let pass = d.store.pass(&PassId::new("campus-door-0001").unwrap()).unwrap();
    assert_eq!(pass.file(FileId(DEMO_COUNTER_FILE)).unwrap().content(), [0, 0, 0, 0]);
    assert_eq!(d.reader.read(0, 4).unwrap(), [0, 0, 0, 0]);
}

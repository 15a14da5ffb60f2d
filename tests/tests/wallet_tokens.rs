//! Payment tokens through the `Wallet` facade (payment spec §9.2, §10, §12, §13): every
//! §12.3 life-cycle event checks the token's state, the default card and what the
//! independent reference EMV terminal ([`hce_wallet_harness::emv_terminal`]) sees next
//! through `Wallet::process_apdu`; the ATC keeps rising across close and reopen.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod token_support;

use token_support::*;

#[test]
fn provision_lists_the_token_and_a_terminal_pays_with_it() {
    let mut f = Fixture::new();
    let w = f.open();
    let keys = f.svc.keys(0, 0, 2, 5);
    w.provision_token(&f.svc.provisioning(sample_token(0), keys, true)).unwrap();
    let t = token(&w, 0).unwrap();
    assert_eq!(t.state, TokenState::Active);
    assert!(t.is_default);
    assert_eq!(t.last_four, "0008");
    assert_eq!((t.expiry_year, t.expiry_month), (2030, 12));
    assert_eq!(t.keys, KeyStatus::Available { transactions_left: 10, low: false });
    assert_eq!(t.keys_held, 2);
    assert_eq!(t.label, "UP CREDIT");
    assert_eq!(t.aid, hex::decode("A000000333010102").unwrap());
    assert!(!format!("{t:?}").contains("6231000000000008"), "only the last four digits");
    let events = f.rec.payment();
    assert!(has_state_change(&events, 0, TokenState::Active, Origin::User), "{events:?}");
    assert!(events.iter().any(|e| matches!(e, PaymentEvent::DefaultChanged { .. })));

    assert_eq!(tap(&w, &f.svc), paid(0, 1));
    assert_eq!(tap(&w, &f.svc), paid(0, 2));
    assert_eq!(token(&w, 0).unwrap().atc, 2);
    let events = f.rec.payment();
    assert!(events.iter().any(|e| matches!(e, PaymentEvent::Cryptogram { atc: 2, .. })));
}

#[test]
fn refused_payloads_are_typed_and_change_nothing() {
    let mut f = Fixture::new();
    let w = f.open();
    let keys = f.svc.keys(0, 0, 1, 5);
    let good = f.svc.provisioning(sample_token(0), keys.clone(), true);
    w.provision_token(&good).unwrap();
    // Replayed.
    assert!(matches!(
        w.provision_token(&good),
        Err(WalletError::TokenMessageReplayed { sequence: 1, last: 1 })
    ));
    // Another signer.
    let other = SigningKey::from_slice(&Sha256::digest(b"not the service")).unwrap();
    let p = Provisioning {
        sequence: 9,
        issued_at: Timestamp(NOW_MS),
        token: sample_token(1),
        keys: keys.clone(),
        active: true,
    };
    assert!(matches!(
        w.provision_token(&sign_provisioning(&p, DEVICE, &other).unwrap()),
        Err(WalletError::TokenMessageSignature(_))
    ));
    // Another device.
    assert!(matches!(
        w.provision_token(&sign_provisioning(&p, "device-2", &f.svc.key).unwrap()),
        Err(WalletError::TokenMessageOtherDevice(d)) if d == "device-2"
    ));
    // A second token for the same card.
    let mut second = sample_token(1);
    second.card = sample_token(0).card;
    assert!(matches!(
        w.provision_token(&f.svc.provisioning(second, keys, true)),
        Err(WalletError::DuplicateCard { card, token }) if card == "card-0" && token == "tok-0"
    ));
    // A status message as a provisioning payload (another content type).
    let msg = f.svc.on_token(0, Transition::Suspend, Origin::IssuerOnToken, ReasonCode::Fraudulent);
    assert!(matches!(w.provision_token(&msg), Err(WalletError::TokenMessageSignature(_))));
    assert_eq!(w.tokens().unwrap().len(), 1);
    assert_eq!(state(&w, 0), Some(TokenState::Active));
    // Unknown tokens and refused operations.
    assert!(matches!(w.report_lost("tok-9"), Err(WalletError::NoSuchToken(t)) if t == "tok-9"));
    assert!(matches!(
        w.resume_token("tok-0"),
        Err(WalletError::TokenStateRefused { state: TokenState::Active, .. })
    ));
    assert!(w.pending_token_requests().unwrap().is_empty());
    // Not configured.
    drop(w);
    let host = Host { clock: f.clock.clone(), ..Host::default() };
    let bare = Wallet::open(&f.path, &[9u8; 32], WalletConfig::default(), host).unwrap();
    assert!(matches!(bare.provision_token(&good), Err(WalletError::TokensNotConfigured(_))));
}

#[test]
fn user_report_lost_applies_at_once_and_resume_waits_for_the_server() {
    let mut f = Fixture::new();
    let w = two_tokens(&mut f);
    f.rec.payment();

    w.report_lost("tok-0").unwrap();
    assert_eq!(state(&w, 0), Some(TokenState::Suspended));
    assert_eq!(default_of(&w).as_deref(), Some("tok-1"), "the default moves on");
    let events = f.rec.payment();
    assert!(has_state_change(&events, 0, TokenState::Suspended, Origin::User));
    assert!(events.iter().any(
        |e| matches!(e, PaymentEvent::DefaultChanged { to: Some(t), .. } if t.as_str() == "tok-1")
    ));
    assert_eq!(tap(&w, &f.svc), paid(1, 1), "the terminal sees only the other card");

    // The user un-reports: nothing changes until the server confirms.
    w.resume_token("tok-0").unwrap();
    let t = token(&w, 0).unwrap();
    assert_eq!(t.state, TokenState::Suspended);
    assert!(t.resume_requested);
    let kinds: Vec<UserRequestKind> =
        w.pending_token_requests().unwrap().into_iter().map(|r| r.kind).collect();
    assert_eq!(kinds, vec![UserRequestKind::ReportLost, UserRequestKind::Resume]);
    // An issuer-origin resume does lift a user hold, but here the server confirms the user's.
    let confirm = f.svc.on_token(0, Transition::Resume, Origin::User, ReasonCode::Found);
    w.apply_token_status(&confirm).unwrap();
    let t = token(&w, 0).unwrap();
    assert_eq!(t.state, TokenState::Active);
    assert!(!t.resume_requested);
    assert_eq!(default_of(&w).as_deref(), Some("tok-1"), "resume does not take the default");
    assert!(has_state_change(&f.rec.payment(), 0, TokenState::Active, Origin::User));
    let kinds: Vec<UserRequestKind> =
        w.pending_token_requests().unwrap().into_iter().map(|r| r.kind).collect();
    assert_eq!(kinds, vec![UserRequestKind::ReportLost], "the confirmed resume left the queue");
    assert_eq!(tap(&w, &f.svc), paid(1, 2));
    w.set_default_token("tok-0").unwrap();
    assert_eq!(tap(&w, &f.svc), paid(0, 1));

    // The queue survives a reopen and empties on acknowledgement (no token service is
    // configured here, so the host acknowledges what it delivered itself).
    drop(w);
    let w = f.open();
    assert_eq!(w.pending_token_requests().unwrap().len(), 1);
    assert_eq!(w.acknowledge_token_requests(2).unwrap(), 1);
    assert!(w.pending_token_requests().unwrap().is_empty());
}

#[test]
fn user_delete_wipes_at_once() {
    let mut f = Fixture::new();
    let w = two_tokens(&mut f);
    w.delete_token("tok-0").unwrap();
    assert_eq!(state(&w, 0), None, "Deleted tokens are not listed");
    assert_eq!(default_of(&w).as_deref(), Some("tok-1"));
    assert_eq!(tap(&w, &f.svc), paid(1, 1));
    assert!(matches!(
        w.set_default_token("tok-0"),
        Err(WalletError::DefaultNotActive { state: TokenState::Deleted, .. })
    ));
    assert!(matches!(w.delete_token("tok-0"), Err(WalletError::TokenStateRefused { .. })));
    let q = w.pending_token_requests().unwrap();
    assert_eq!(
        (q.len(), q[0].kind, q[0].token_ref.as_str()),
        (1, UserRequestKind::Delete, "tok-0")
    );
    w.delete_token("tok-1").unwrap();
    assert_eq!(default_of(&w), None);
    assert_eq!(tap(&w, &f.svc), no_token());
    // On file: both records Deleted, their keys gone.
    drop(w);
    let store =
        hce_wallet_store::Store::open(&f.path, &hce_wallet_store::RootKey::from_bytes([9u8; 32]))
            .unwrap();
    let records = store.token_records().unwrap();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r.state == TokenState::Deleted && r.keys.is_empty()));
}

#[test]
fn issuer_suspend_resume_update_delete() {
    let mut f = Fixture::new();
    let w = two_tokens(&mut f);
    let m = f.svc.on_token(0, Transition::Suspend, Origin::IssuerOnToken, ReasonCode::Fraudulent);
    w.apply_token_status(&m).unwrap();
    assert_eq!(state(&w, 0), Some(TokenState::Suspended));
    assert_eq!(default_of(&w).as_deref(), Some("tok-1"));
    assert_eq!(tap(&w, &f.svc), paid(1, 1));
    // The user cannot un-report an issuer suspension.
    assert!(matches!(w.resume_token("tok-0"), Err(WalletError::TokenStateRefused { .. })));

    let m = f.svc.on_token(0, Transition::Resume, Origin::IssuerOnToken, ReasonCode::FraudCleared);
    w.apply_token_status(&m).unwrap();
    assert_eq!(state(&w, 0), Some(TokenState::Active));
    assert_eq!(default_of(&w).as_deref(), Some("tok-1"));

    let update = TokenUpdate {
        expiry: Some(Expiry::new(2031, 6).unwrap()),
        card_art: Some(Some("art://new".into())),
        ..TokenUpdate::default()
    };
    let m =
        f.svc.on_token(1, Transition::Update(update), Origin::IssuerOnToken, ReasonCode::Reissued);
    w.apply_token_status(&m).unwrap();
    let t = token(&w, 1).unwrap();
    assert_eq!((t.state, t.expiry_year, t.expiry_month), (TokenState::Active, 2031, 6));
    assert_eq!(t.card_art.as_deref(), Some("art://new"));
    assert!(t.is_default);
    let mut card = WalletCard(&w);
    let r = Terminal::new(&mut card, TerminalParams::default()).run().unwrap();
    w.on_deactivated(Deactivation::LinkLoss);
    assert_eq!(r.expiry, "310630", "the terminal sees the new expiry");

    let m = f.svc.on_token(1, Transition::Delete, Origin::IssuerOnToken, ReasonCode::AccountClosed);
    w.apply_token_status(&m).unwrap();
    assert_eq!(state(&w, 1), None);
    assert_eq!(default_of(&w).as_deref(), Some("tok-0"), "promotion to the other Active");
    assert_eq!(tap(&w, &f.svc), paid(0, 1));
    // A replayed status message changes nothing.
    assert!(matches!(w.apply_token_status(&m), Err(WalletError::TokenMessageReplayed { .. })));
    // A message refused part way applies nothing.
    let bad = f.svc.status(vec![
        StatusEvent {
            target: StatusTarget::Token(TokenId::new("tok-0").unwrap()),
            transition: Some(Transition::Suspend),
            origin: Origin::IssuerOnToken,
            reason: None,
        },
        StatusEvent {
            target: StatusTarget::Token(TokenId::new("tok-9").unwrap()),
            transition: Some(Transition::Suspend),
            origin: Origin::IssuerOnToken,
            reason: None,
        },
    ]);
    assert!(matches!(
        w.apply_token_status(&bad),
        Err(WalletError::StatusEventRefused { index: 1, .. })
    ));
    assert_eq!(state(&w, 0), Some(TokenState::Active));
}

#[test]
fn card_lost_reissued_cancelled_cascade() {
    let mut f = Fixture::new();
    let w = two_tokens(&mut f);
    w.apply_token_status(&f.svc.on_card(0, Transition::Suspend, ReasonCode::Lost)).unwrap();
    assert_eq!(state(&w, 0), Some(TokenState::Suspended));
    assert_eq!(default_of(&w).as_deref(), Some("tok-1"));
    assert_eq!(tap(&w, &f.svc), paid(1, 1));
    w.apply_token_status(&f.svc.on_card(0, Transition::Resume, ReasonCode::Found)).unwrap();
    assert_eq!(state(&w, 0), Some(TokenState::Active));

    let reissue =
        TokenUpdate { expiry: Some(Expiry::new(2032, 1).unwrap()), ..TokenUpdate::default() };
    w.apply_token_status(&f.svc.on_card(0, Transition::Update(reissue), ReasonCode::Reissued))
        .unwrap();
    let t = token(&w, 0).unwrap();
    assert_eq!((t.state, t.expiry_year), (TokenState::Active, 2032));

    w.apply_token_status(&f.svc.on_card(1, Transition::Delete, ReasonCode::AccountClosed)).unwrap();
    assert_eq!(state(&w, 1), None);
    assert_eq!(default_of(&w).as_deref(), Some("tok-0"));
    assert_eq!(tap(&w, &f.svc), paid(0, 1));
    assert!(matches!(
        w.apply_token_status(&f.svc.on_card(7, Transition::Suspend, ReasonCode::Lost)),
        Err(WalletError::StatusEventRefused { index: 0, .. })
    ));
}

#[test]
fn device_lost_found_wiped() {
    let mut f = Fixture::new();
    let w = two_tokens(&mut f);
    w.report_lost("tok-1").unwrap();
    w.apply_token_status(&f.svc.on_device(DeviceEvent::Lost)).unwrap();
    assert_eq!(state(&w, 0), Some(TokenState::Suspended));
    assert_eq!(default_of(&w), None);
    assert_eq!(tap(&w, &f.svc), no_token());
    w.apply_token_status(&f.svc.on_device(DeviceEvent::Found)).unwrap();
    assert_eq!(state(&w, 0), Some(TokenState::Active));
    assert_eq!(state(&w, 1), Some(TokenState::Suspended), "the user's own report stays");
    assert_eq!(default_of(&w).as_deref(), Some("tok-0"));
    assert_eq!(tap(&w, &f.svc), paid(0, 1));

    w.on_device_event(DeviceEvent::Wiped).unwrap();
    assert!(w.tokens().unwrap().is_empty());
    assert_eq!(default_of(&w), None);
    assert_eq!(tap(&w, &f.svc), no_token());
}

#[test]
fn device_restored_needs_reprovisioning() {
    let mut f = Fixture::new();
    let w = two_tokens(&mut f);
    assert_eq!(tap(&w, &f.svc), paid(0, 1));
    w.on_device_event(DeviceEvent::Restored).unwrap();
    for n in 0..2 {
        let t = token(&w, n).unwrap();
        assert_eq!((t.state, t.keys, t.keys_held), (TokenState::Pending, KeyStatus::NoKey, 0));
    }
    assert_eq!(default_of(&w), None);
    assert_eq!(tap(&w, &f.svc), no_token());
    // Re-provisioning: a fresh batch, then the service activates the token.
    let keys = f.svc.keys(0, 1, 2, 5);
    w.provision_token(&f.svc.provisioning(sample_token(0), keys, true)).unwrap();
    assert_eq!(token(&w, 0).unwrap().keys_held, 2);
    assert_eq!(tap(&w, &f.svc), no_token(), "still Pending until activated");
    let m = f.svc.on_token(0, Transition::Activate, Origin::IssuerOnToken, ReasonCode::Other);
    w.apply_token_status(&m).unwrap();
    assert_eq!(default_of(&w).as_deref(), Some("tok-0"));
    assert_eq!(tap(&w, &f.svc), paid(0, 2), "the ATC continues, never repeats");
}

#[test]
fn sign_out_deletes_and_credential_removal_suspends() {
    let mut f = Fixture::new();
    let w = two_tokens(&mut f);
    w.on_device_event(DeviceEvent::CredentialRemoved).unwrap();
    assert_eq!(state(&w, 0), Some(TokenState::Suspended));
    assert_eq!(state(&w, 1), Some(TokenState::Suspended));
    assert_eq!(default_of(&w), None);
    assert!(has_state_change(
        &f.rec.payment(),
        0,
        TokenState::Suspended,
        Origin::DeviceCredentialRemoved
    ));
    assert_eq!(tap(&w, &f.svc), no_token());
    w.on_device_event(DeviceEvent::CredentialSet).unwrap();
    assert_eq!(state(&w, 0), Some(TokenState::Active));
    assert_eq!(default_of(&w).as_deref(), Some("tok-0"));
    assert_eq!(tap(&w, &f.svc), paid(0, 1));

    w.on_device_event(DeviceEvent::SignedOut).unwrap();
    assert!(w.tokens().unwrap().is_empty());
    assert_eq!(default_of(&w), None);
    assert_eq!(tap(&w, &f.svc), no_token());
}

#[test]
fn cdcvm_verify_on_the_phone_then_tap_again() {
    let mut f = Fixture::new();
    let w = f.open();
    let mut t = sample_token(0);
    t.profile.cvm_policy = CvmPolicy::EveryTransaction;
    let keys = f.svc.keys(0, 0, 1, 5);
    w.provision_token(&f.svc.provisioning(t, keys, true)).unwrap();
    f.rec.payment();
    assert_eq!(tap(&w, &f.svc), Seen::Refused { step: "GPO".into(), sw: 0x6986 });
    assert!(f.rec.payment().iter().any(|e| matches!(e, PaymentEvent::VerificationRequired { .. })));
    w.user_verified(CdcvmMethod::Biometric, 30_000);
    assert_eq!(tap(&w, &f.svc), Seen::Paid { last_four: "0008".into(), atc: 1, cdcvm: true });
    // The window closes.
    f.clock.0.fetch_add(31_000, Ordering::SeqCst);
    assert!(matches!(tap(&w, &f.svc), Seen::Refused { sw: 0x6986, .. }));
}

#[test]
fn keys_exhausted_then_replenished_and_the_atc_rises_across_reopen() {
    let mut f = Fixture::new();
    let w = f.open();
    let keys = f.svc.keys(0, 0, 1, 3);
    w.provision_token(&f.svc.provisioning(sample_token(0), keys, true)).unwrap();
    assert_eq!(tap(&w, &f.svc), paid(0, 1));
    drop(w);
    let w = f.open();
    assert_eq!(token(&w, 0).unwrap().atc, 1);
    assert_eq!(tap(&w, &f.svc), paid(0, 2));
    f.rec.payment();
    assert_eq!(tap(&w, &f.svc), paid(0, 3));
    assert!(f.rec.payment().iter().any(|e| matches!(e, PaymentEvent::ReplenishmentNeeded { .. })));
    assert_eq!(token(&w, 0).unwrap().keys, KeyStatus::Exhausted);
    // Exhausted: still listed (§12.5) but declined at GPO, no ATC spent.
    assert!(matches!(tap(&w, &f.svc), Seen::Refused { sw: 0x6985, .. }));
    assert_eq!(token(&w, 0).unwrap().atc, 3);
    drop(w);
    let w = f.open();
    let batch = f.svc.keys(0, 1, 2, 3);
    w.provision_token(&f.svc.provisioning(sample_token(0), batch, true)).unwrap();
    assert_eq!(
        token(&w, 0).unwrap().keys,
        KeyStatus::Available { transactions_left: 6, low: false }
    );
    assert_eq!(tap(&w, &f.svc), paid(0, 4));
    drop(w);
    let w = f.open();
    assert_eq!(tap(&w, &f.svc), paid(0, 5));
    assert!(w.tokens().unwrap()[0].is_default);
}

#[test]
fn a_pending_token_deleted_before_activation_loses_its_keys() {
    let mut f = Fixture::new();
    let w = f.open();
    let keys = f.svc.keys(0, 0, 2, 5);
    w.provision_token(&f.svc.provisioning(sample_token(0), keys, false)).unwrap();
    let t = token(&w, 0).unwrap();
    assert_eq!((t.state, t.is_default, t.keys_held), (TokenState::Pending, false, 2));
    assert_eq!(tap(&w, &f.svc), no_token());
    w.delete_token("tok-0").unwrap();
    drop(w);
    let store =
        hce_wallet_store::Store::open(&f.path, &hce_wallet_store::RootKey::from_bytes([9u8; 32]))
            .unwrap();
    let r = &store.token_records().unwrap()[0];
    assert_eq!((r.state, r.keys.len()), (TokenState::Deleted, 0));
}

/// The AID set the host registers with `CardEmulation` (wallet `aids`): PPSE plus the AID of
/// every Active token in category payment, Smart Tap in other; `AidSetChanged` exactly when a
/// token change alters it (a change of default does not).
#[test]
fn the_aid_set_follows_the_active_tokens() {
    use hce_wallet::{AidCategory, AidSet};
    use hce_wallet_core::payment::profile::PPSE_NAME;
    use hce_wallet_core::payment::sample::{UNIONPAY_CREDIT_AID, VISA_AID};
    use hce_wallet_core::smart_tap::{OSE_AID, ST2_AID};

    fn changes(rec: &Recorder) -> Vec<AidSet> {
        std::mem::take(&mut *rec.0.lock().unwrap())
            .into_iter()
            .filter_map(|n| match n {
                Notice::AidSetChanged(s) => Some(s),
                _ => None,
            })
            .collect()
    }
    fn payment(aids: &[&[u8]]) -> Vec<Vec<u8>> {
        aids.iter().map(|a| a.to_vec()).collect()
    }

    let mut f = Fixture::new();
    let w = f.open();
    let set = w.aid_set().unwrap();
    assert_eq!(set.aids(AidCategory::Payment), payment(&[PPSE_NAME]));
    assert_eq!(set.aids(AidCategory::Other), payment(&[OSE_AID, ST2_AID]));
    assert!(changes(&f.rec).is_empty(), "opening reports nothing");

    let keys = f.svc.keys(0, 0, 2, 5);
    w.provision_token(&f.svc.provisioning(sample_token(0), keys, true)).unwrap();
    let c = changes(&f.rec);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].aids(AidCategory::Payment), payment(&[PPSE_NAME, &UNIONPAY_CREDIT_AID]));
    assert_eq!(c[0], w.aid_set().unwrap());

    let mut visa = sample_token(1);
    visa.profile.aid = VISA_AID.to_vec();
    let keys = f.svc.keys(1, 0, 2, 5);
    w.provision_token(&f.svc.provisioning(visa, keys, true)).unwrap();
    let c = changes(&f.rec);
    let all = payment(&[PPSE_NAME, &VISA_AID, &UNIONPAY_CREDIT_AID]);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].aids(AidCategory::Payment), all);

    w.set_default_token("tok-1").unwrap();
    assert!(changes(&f.rec).is_empty(), "a new default routes the same AIDs");

    w.report_lost("tok-0").unwrap();
    let c = changes(&f.rec);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].aids(AidCategory::Payment), payment(&[PPSE_NAME, &VISA_AID]));
    assert_eq!(c[0].aids(AidCategory::Other), payment(&[OSE_AID, ST2_AID]));
    assert_eq!(token(&w, 0).unwrap().holds, vec![hce_wallet::Hold::User]);
    assert!(token(&w, 1).unwrap().holds.is_empty());

    w.on_device_event(DeviceEvent::SignedOut).unwrap();
    let c = changes(&f.rec);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].aids(AidCategory::Payment), payment(&[PPSE_NAME]));
    drop(w);
    assert_eq!(f.open().aid_set().unwrap().aids(AidCategory::Payment), payment(&[PPSE_NAME]));
}

//! Property tests of the token life cycle (payment spec §12.4): over random sequences of
//! user, issuer, card and device events, every invariant of `TokenBook` holds after every
//! step — one live token per card reference, exactly one default among Active tokens (none
//! without one), Deleted terminal — a refused operation changes nothing, and every change
//! of the default is announced by a `DefaultChanged` event naming both sides.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::HashSet;

use hce_wallet_core::events::PaymentEvent;
use hce_wallet_core::payment::lifecycle::{DeviceEvent, TokenBook, TokenUpdate, Transition};
use hce_wallet_core::payment::sample::sample_token;
use hce_wallet_core::payment::token::{CardRef, Origin, ReasonCode, TokenId, TokenState};
use hce_wallet_core::time::Timestamp;
use proptest::prelude::*;

const ORIGINS: [Origin; 10] = [
    Origin::User,
    Origin::IssuerOnToken,
    Origin::IssuerOnCard,
    Origin::DeviceLost,
    Origin::DeviceFound,
    Origin::DeviceWipe,
    Origin::DeviceRestore,
    Origin::AccountSignOut,
    Origin::DeviceCredentialRemoved,
    Origin::DeviceCredentialSet,
];
const DEVICE: [DeviceEvent; 7] = [
    DeviceEvent::Lost,
    DeviceEvent::Found,
    DeviceEvent::Wiped,
    DeviceEvent::Restored,
    DeviceEvent::SignedOut,
    DeviceEvent::CredentialRemoved,
    DeviceEvent::CredentialSet,
];

#[derive(Clone, Debug)]
enum Op {
    /// Load token `n` for card `card % 4` (a fresh token reference each time).
    Load {
        card: usize,
        active: bool,
    },
    Apply {
        token: usize,
        transition: u8,
        origin: usize,
    },
    Card {
        card: usize,
        transition: u8,
    },
    Device(usize),
    SetDefault(usize),
    Use(usize),
}

fn transition(kind: u8) -> Transition {
    match kind % 6 {
        0 => Transition::Activate,
        1 => Transition::Suspend,
        2 => Transition::Resume,
        3 => Transition::Update(TokenUpdate { psn: Some(kind), ..Default::default() }),
        4 => Transition::Delete,
        _ => Transition::RequireReprovisioning,
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..4usize, any::<bool>()).prop_map(|(card, active)| Op::Load { card, active }),
        (0..12usize, any::<u8>(), 0..ORIGINS.len())
            .prop_map(|(token, transition, origin)| Op::Apply { token, transition, origin }),
        (0..4usize, any::<u8>()).prop_map(|(card, transition)| Op::Card { card, transition }),
        (0..DEVICE.len()).prop_map(Op::Device),
        (0..12usize).prop_map(Op::SetDefault),
        (0..12usize).prop_map(Op::Use),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_over_random_event_sequences(ops in proptest::collection::vec(op(), 1..60)) {
        let mut book = TokenBook::new();
        let mut ids: Vec<TokenId> = Vec::new();
        let mut deleted: HashSet<TokenId> = HashSet::new();
        for (step, op) in ops.into_iter().enumerate() {
            let now = Timestamp::from_secs(1_800_000_000 + step as i64);
            let before = book.clone();
            let result = match op {
                Op::Load { card, active } => {
                    let mut token = sample_token(ids.len() + 1);
                    token.card = CardRef::new(format!("card-{card}")).unwrap();
                    let id = token.id.clone();
                    let r = book.load(token, active, now);
                    if r.is_ok() {
                        ids.push(id);
                    }
                    r.map_err(|e| e.to_string())
                }
                Op::Apply { token, transition: t, origin } => match ids.get(token) {
                    Some(id) => book
                        .apply(id, transition(t), ORIGINS[origin], Some(ReasonCode::Other), now)
                        .map_err(|e| e.to_string()),
                    None => Err("no such token".into()),
                },
                Op::Card { card, transition: t } => book
                    .apply_to_card(&CardRef::new(format!("card-{card}")).unwrap(), transition(t), None, now)
                    .map_err(|e| e.to_string()),
                Op::Device(d) => Ok(book.apply_device(DEVICE[d], now)),
                Op::SetDefault(i) => match ids.get(i) {
                    Some(id) => book.set_default(id).map_err(|e| e.to_string()),
                    None => Err("no such token".into()),
                },
                Op::Use(i) => {
                    if let Some(id) = ids.get(i) {
                        book.mark_used(id, now);
                    }
                    Ok(Vec::new())
                }
            };
            prop_assert!(book.check().is_ok(), "step {step}: {:?}", book.check());
            match result {
                Err(_) => prop_assert_eq!(&book, &before, "a refused operation changed the book"),
                Ok(events) => {
                    let (old, new) = (before.default_token().cloned(), book.default_token().cloned());
                    if old != new {
                        prop_assert!(
                            events.contains(&PaymentEvent::DefaultChanged { from: old.clone(), to: new.clone() }),
                            "default {:?} -> {:?} without its event: {:?}", old, new, events
                        );
                    }
                    for e in &events {
                        if let PaymentEvent::StateChanged { token, to, .. } = e {
                            prop_assert!(book.get(token).is_some());
                            if *to == TokenState::Deleted {
                                prop_assert_eq!(book.get(token).unwrap().state, TokenState::Deleted);
                            }
                        }
                    }
                }
            }
            for id in &deleted {
                prop_assert_eq!(book.get(id).unwrap().state, TokenState::Deleted, "Deleted is terminal");
            }
            for r in book.records() {
                if r.state == TokenState::Deleted {
                    deleted.insert(r.token.id.clone());
                }
            }
        }
    }
}

use proptest::prelude::*;

use super::*;
use crate::key_bundle::test_support::*;
use crate::key_bundle::{sign, verify, KeyBundle, Limits};

const DEMO_ISSUER: u64 = 3265320111641956183;
const DEMO_COLLECTOR: CollectorId = CollectorId(20180608);

fn kr(issuer: u64, collector: u32, version: u32) -> KeyRef {
    KeyRef { issuer, collector: CollectorId(collector), version }
}

fn ring_with(b: &KeyBundle) -> KeyRing {
    let mut ring = KeyRing::new();
    ring.apply(&verified(b), now()).unwrap();
    ring
}

#[test]
fn applied_keys_are_found_by_exact_collector_and_version() {
    let ring = ring_with(&bundle(1, vec![issuer(DEMO_ISSUER, 20180608, &[1, 3])]));
    assert_eq!(ring.collector_key(DEMO_COLLECTOR, 1, now()), Some(public("collector-20180608-v1")));
    assert_eq!(ring.collector_key(DEMO_COLLECTOR, 3, now()), Some(public("collector-20180608-v3")));
    // Never another version, never another collector (spec §14).
    assert_eq!(ring.collector_key(DEMO_COLLECTOR, 2, now()), None);
    assert_eq!(ring.collector_key(CollectorId(20180609), 1, now()), None);
    assert_eq!(ring.applied_sequence(), Some(1));
    assert_eq!(ring.issuer_ids().into_iter().collect::<Vec<_>>(), vec![DEMO_ISSUER]);
}

#[test]
fn keys_outside_their_validity_window_are_not_used() {
    let ring = ring_with(&bundle(1, vec![issuer(DEMO_ISSUER, 20180608, &[1])]));
    let k = key(20180608, 1);
    assert!(ring.collector_key(DEMO_COLLECTOR, 1, k.not_before).is_some());
    assert!(ring.collector_key(DEMO_COLLECTOR, 1, k.not_before.plus_millis(-1)).is_none());
    assert!(ring.collector_key(DEMO_COLLECTOR, 1, k.not_after.plus_millis(-1)).is_some());
    assert!(ring.collector_key(DEMO_COLLECTOR, 1, k.not_after).is_none());
    assert!(ring.has_usable_key(DEMO_ISSUER, now()));
    assert!(!ring.has_usable_key(DEMO_ISSUER, k.not_after));
    assert!(!ring.has_usable_key(1, now()));
    assert_eq!(ring.issuers_with_usable_keys(now()), BTreeSet::from([DEMO_ISSUER]));
    assert!(ring.issuers_with_usable_keys(k.not_after).is_empty());
}

#[test]
fn rollback_is_refused_and_leaves_the_ring_alone() {
    let mut ring = ring_with(&bundle(5, vec![issuer(1, 10, &[1])]));
    let before = ring.clone();
    let older = verified(&bundle(4, vec![issuer(1, 10, &[2])]));
    assert_eq!(ring.apply(&older, now()), Err(ApplyError::Rollback { applied: 5, offered: 4 }));
    assert_eq!(ring, before);
    assert!(ring.collector_key(CollectorId(10), 2, now()).is_none());
}

#[test]
fn equal_sequence_is_a_no_op() {
    let b = bundle(5, vec![issuer(1, 10, &[1])]);
    let mut ring = ring_with(&b);
    let before = ring.clone();
    let report = ring.apply(&verified(&b), now().plus_millis(1000)).unwrap();
    assert_eq!(report.outcome, ApplyOutcome::AlreadyCurrent);
    assert!(!report.content_differs);
    assert_eq!((report.keys, report.issuers), (1, 1));
    assert_eq!(ring, before, "applied_at is not even touched");

    // Same sequence, other content: still a no-op, but flagged.
    let other = verified(&bundle(5, vec![issuer(1, 10, &[2])]));
    let report = ring.apply(&other, now()).unwrap();
    assert_eq!(report.outcome, ApplyOutcome::AlreadyCurrent);
    assert!(report.content_differs);
    assert!(ring.collector_key(CollectorId(10), 2, now()).is_none());
}

#[test]
fn expired_bundle_is_not_applied() {
    let b = bundle(2, vec![issuer(1, 10, &[1])]);
    let mut ring = KeyRing::new();
    let err = ring.apply(&verified(&b), b.expires_at).unwrap_err();
    assert_eq!(
        err,
        ApplyError::Expired { sequence: 2, expired_at_ms: b.expires_at.0, now_ms: b.expires_at.0 }
    );
    assert_eq!(ring, KeyRing::new());
    assert!(ring.apply(&verified(&b), b.expires_at.plus_millis(-1)).is_ok());
}

#[test]
fn rotation_adds_new_versions_and_drops_removed_ones() {
    let mut ring = ring_with(&bundle(1, vec![issuer(1, 10, &[1]), issuer(2, 20, &[1])]));
    let r =
        ring.apply(&verified(&bundle(2, vec![issuer(1, 10, &[1, 2]), issuer(2, 20, &[1])])), now());
    let r = r.unwrap();
    assert_eq!((r.outcome, r.previous_sequence, r.sequence), (ApplyOutcome::Applied, Some(1), 2));
    assert_eq!((r.added, r.removed, r.changed), (vec![kr(1, 10, 2)], vec![], vec![]));

    // Version 1 retired, issuer 2 gone entirely, issuer 3 new.
    let r =
        ring.apply(&verified(&bundle(3, vec![issuer(1, 10, &[2]), issuer(3, 30, &[7])])), now());
    let r = r.unwrap();
    assert_eq!(r.added, vec![kr(3, 30, 7)]);
    assert_eq!(r.removed, vec![kr(1, 10, 1), kr(2, 20, 1)]);
    assert_eq!((r.issuers, r.keys), (2, 2));
    assert!(ring.collector_key(CollectorId(10), 1, now()).is_none());
    assert!(ring.collector_key(CollectorId(20), 1, now()).is_none());
    assert!(ring.collector_key(CollectorId(10), 2, now()).is_some());
    assert!(ring.collector_key(CollectorId(30), 7, now()).is_some());
}

#[test]
fn a_key_replaced_under_the_same_version_is_reported_as_changed() {
    let mut ring = ring_with(&bundle(1, vec![issuer(1, 10, &[1])]));
    let mut b = bundle(2, vec![issuer(1, 10, &[1])]);
    b.issuers[0].collectors[0].keys[0].public_key = public("replacement");
    let r = ring.apply(&verified(&b), now()).unwrap();
    assert_eq!(r.changed, vec![kr(1, 10, 1)]);
    assert_eq!(ring.collector_key(CollectorId(10), 1, now()), Some(public("replacement")));
}

#[test]
fn a_failed_apply_after_a_good_one_keeps_the_good_one() {
    let mut ring = ring_with(&bundle(3, vec![issuer(1, 10, &[1])]));
    let mut expired = bundle(9, vec![issuer(1, 10, &[2])]);
    expired.expires_at = now();
    assert!(ring.apply(&verified(&expired), now()).is_err());
    assert_eq!(ring.applied_sequence(), Some(3));
    assert!(ring.collector_key(CollectorId(10), 1, now()).is_some());
}

#[test]
fn expiring_before_lists_usable_keys_ending_in_the_window() {
    let mut b = bundle(1, vec![issuer(1, 10, &[1, 2]), issuer(2, 20, &[1])]);
    b.issuers[0].collectors[0].keys[0].not_after = now().plus_millis(3_600_000);
    let ring = ring_with(&b);
    let soon = ring.expiring_before(now(), now().plus_millis(86_400_000));
    assert_eq!(soon.iter().map(|k| k.key).collect::<Vec<_>>(), vec![kr(1, 10, 1)]);
    assert!(ring
        .expiring_before(now().plus_millis(3_600_000), now().plus_millis(86_400_000))
        .is_empty());
}

#[test]
fn state_round_trips_through_json_and_cbor() {
    let ring =
        ring_with(&bundle(4, vec![issuer(DEMO_ISSUER, 20180608, &[1, 2]), issuer(9, 90, &[5])]));
    let state = ring.state();
    assert_eq!(state.keys.len(), 3);
    assert!(state.keys.windows(2).all(|w| (w[0].issuer, w[0].collector, w[0].version)
        < (w[1].issuer, w[1].collector, w[1].version)));

    let json = serde_json::to_string(&state).unwrap();
    let pk_hex = hex::encode(public("collector-20180608-v1").to_sec1_point(false).as_bytes());
    assert!(json.contains(&pk_hex), "keys are hex in JSON");
    let back: KeyRingState = serde_json::from_str(&json).unwrap();
    assert_eq!(KeyRing::from_state(&back).unwrap(), ring);

    let mut cbor = Vec::new();
    ciborium::ser::into_writer(&state, &mut cbor).unwrap();
    assert!(cbor.len() < json.len() / 2 + 200, "keys are byte strings in CBOR");
    let back: KeyRingState = ciborium::de::from_reader(cbor.as_slice()).unwrap();
    assert_eq!(KeyRing::from_state(&back).unwrap(), ring);
    assert_eq!(KeyRing::from_state(&KeyRingState::default()).unwrap(), KeyRing::new());
}

#[test]
fn corrupt_state_is_refused_precisely() {
    let state = ring_with(&bundle(1, vec![issuer(1, 10, &[1, 2])])).state();

    let mut s = state.clone();
    s.format = 99;
    assert_eq!(KeyRing::from_state(&s), Err(StateError::Format(99)));

    let mut s = state.clone();
    s.keys[0].public_key[64] ^= 1;
    assert_eq!(KeyRing::from_state(&s), Err(StateError::BadKey(kr(1, 10, 1))));

    let mut s = state.clone();
    s.keys[1].not_after_ms = s.keys[1].not_before_ms;
    assert_eq!(KeyRing::from_state(&s), Err(StateError::Window(kr(1, 10, 2))));

    let mut s = state.clone();
    s.keys[1].version = 1;
    assert_eq!(
        KeyRing::from_state(&s),
        Err(StateError::Duplicate { collector: CollectorId(10), version: 1 })
    );

    let short_hex = r#"{"issuer":1,"collector":1,"version":1,"public_key":"04ab","not_before_ms":0,"not_after_ms":1}"#;
    assert!(serde_json::from_str::<StoredKey>(short_hex).is_err());
}

#[test]
fn a_snapshot_is_not_changed_by_a_later_apply() {
    let shared = SharedKeyRing::new(ring_with(&bundle(1, vec![issuer(1, 10, &[1])])));
    let tap = shared.snapshot();
    let r = shared.apply(&verified(&bundle(2, vec![issuer(1, 10, &[2])])), now()).unwrap();
    assert_eq!(r.removed, vec![kr(1, 10, 1)]);
    // The tap that began before the sync still sees version 1 ...
    assert!(tap.collector_key(CollectorId(10), 1, now()).is_some());
    // ... the next one sees only version 2.
    assert!(shared.collector_key(CollectorId(10), 1, now()).is_none());
    assert!(shared.collector_key(CollectorId(10), 2, now()).is_some());
    assert_eq!(
        shared.apply(&verified(&bundle(1, vec![])), now()),
        Err(ApplyError::Rollback { applied: 2, offered: 1 })
    );
    shared.replace(KeyRing::new());
    assert_eq!(shared.snapshot().applied_sequence(), None);
}

#[test]
fn root_key_id_and_digest_are_remembered() {
    let b = bundle(1, vec![]);
    let bytes = sign(&b, &signing_key(ROOT)).unwrap();
    let v = verify(&bytes, &roots(), &Limits::default()).unwrap();
    let mut ring = KeyRing::new();
    ring.apply(&v, now()).unwrap();
    let applied = ring.applied().unwrap();
    assert_eq!(applied.digest, v.digest());
    assert_eq!(applied.root_key_id, v.root_key_id());
    assert_eq!(applied.applied_at_ms, now().0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Whatever order bundles arrive in, the ring holds exactly the highest-sequence
    /// unexpired bundle seen so far, and the applied sequence never goes down.
    #[test]
    fn the_ring_follows_the_highest_sequence(
        offers in prop::collection::vec((0u64..6, any::<bool>(), prop::collection::vec(1u32..4, 0..3)), 1..12)
    ) {
        let mut ring = KeyRing::new();
        let mut best: Option<(u64, Vec<u32>)> = None;
        for (seq, expired, versions) in offers {
            let mut b = bundle(seq, vec![issuer(1, 10, &versions.iter().copied().collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>())]);
            if expired {
                b.expires_at = now();
            }
            let before = ring.applied_sequence();
            let result = ring.apply(&verified(&b), now());
            match &best {
                Some((s, _)) if seq < *s => { let rolled_back = matches!(result, Err(ApplyError::Rollback { .. })); prop_assert!(rolled_back) },
                Some((s, _)) if seq == *s => prop_assert_eq!(result.unwrap().outcome, ApplyOutcome::AlreadyCurrent),
                _ if expired => { let expired = matches!(result, Err(ApplyError::Expired { .. })); prop_assert!(expired) },
                _ => {
                    prop_assert_eq!(result.unwrap().outcome, ApplyOutcome::Applied);
                    best = Some((seq, versions.clone()));
                }
            }
            prop_assert!(ring.applied_sequence() >= before);
            for v in 1u32..4 {
                let expected = best.as_ref().is_some_and(|(_, vs)| vs.contains(&v));
                prop_assert_eq!(ring.collector_key(CollectorId(10), v, now()).is_some(), expected);
            }
        }
    }
}

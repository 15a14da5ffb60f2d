//! Property tests of the selection engine (issue #5), against a reference model that scans
//! every pass and applies smart-tap spec §12.2 literally:
//!
//! - the decision always equals the reference decision;
//! - never a pass whose class does not list the collector's issuer;
//! - never an inactive, expired, not-yet-valid or toggled-off pass;
//! - an open eligible pass always wins;
//! - at most one pass per tap (a chooser lists ≥ 2 distinct eligible passes, sends none);
//! - after any sequence of inserts, updates and removals, the incremental index equals a
//!   from-scratch recomputation and the decisions still equal the reference.

use std::collections::BTreeSet;

use proptest::prelude::*;
use zeroize::Zeroizing;

use hce_wallet_core::pass::{
    DateTimeBound, Issuer, ObjectDisplay, PassClass, PassObject, PassState, RedemptionValue,
    ValidTimeInterval,
};
use hce_wallet_core::ports::{
    CollectorId, PassSource, PassType, Selection, SelectionRequest, UiContext,
};
use hce_wallet_core::selection::{
    LockPolicy, SelectionConfig, SelectionEngine, DEFAULT_CHOOSER_WINDOW_MS,
};
use hce_wallet_core::time::Timestamp;

const NOW: Timestamp = Timestamp(1_800_000_000_000);
const HOUR: i64 = 3_600_000;
const STATES: [PassState; 4] =
    [PassState::Active, PassState::Completed, PassState::Expired, PassState::Inactive];
const SERVICE_TYPES: [u8; 10] = [0x00, 0x01, 0x03, 0x04, 0x05, 0x07, 0x08, 0x09, 0x12, 0x40];

#[derive(Clone, Debug)]
struct World {
    issuers: Vec<Issuer>,
    classes: Vec<PassClass>,
    objects: Vec<PassObject>,
}

#[derive(Clone, Debug)]
struct Tap {
    ui: UiContext,
    lock_policy: LockPolicy,
    /// (object, ms before the tap) the user picked in the chooser.
    choice: Option<(String, i64)>,
    request: SelectionRequest,
}

fn issuer_strategy(id: u64) -> impl Strategy<Value = Issuer> {
    proptest::sample::subsequence(vec![1u32, 2, 3], 0..=3).prop_map(move |ks| Issuer {
        id,
        name: format!("issuer {id}"),
        collector_ids: ks.into_iter().map(|k| CollectorId(id as u32 * 100 + k)).collect(),
    })
}

fn class_strategy(k: usize) -> impl Strategy<Value = PassClass> {
    (
        0..7usize,
        prop::bool::weighted(0.8),
        proptest::sample::subsequence(vec![1u64, 2, 3, 4, 5], 0..=3),
    )
        .prop_map(move |(t, enable, redeemers)| PassClass {
            id: format!("9.c{k}"),
            issuer_id: 9,
            pass_type: PassType::ALL[t],
            enable_smart_tap: enable,
            redemption_issuers: redeemers,
            display: Default::default(),
            details: Default::default(),
        })
}

fn bound() -> impl Strategy<Value = Option<DateTimeBound>> {
    prop_oneof![
        2 => Just(None),
        1 => (-48i64..48).prop_map(|h| Some(DateTimeBound::Instant { utc_ms: NOW.0 + h * HOUR })),
        1 => (-48i64..48).prop_map(|h| Some(DateTimeBound::Local { wall_ms: NOW.0 + h * HOUR })),
    ]
}

/// An object of class `c{class}`; `class_type` is that class's vertical when it exists.
fn object_strategy(k: usize, n_classes: usize) -> impl Strategy<Value = (usize, PassObject)> {
    (
        0..n_classes + 2,
        prop_oneof![3 => Just(PassState::Active), 1 => prop::sample::select(STATES.to_vec())],
        prop::bool::weighted(0.85),
        prop::bool::weighted(0.1),
        bound(),
        bound(),
        0..7usize,
    )
        .prop_map(move |(class, state, has_value, toggled, start, end, t)| {
            let value =
                has_value.then(|| RedemptionValue::new(Zeroizing::new(format!("V{k}"))).unwrap());
            (
                class,
                PassObject {
                    id: format!("9.o{k}"),
                    class_id: format!("9.c{class}"),
                    pass_type: PassType::ALL[t],
                    state,
                    valid_time_interval: ValidTimeInterval { start, end },
                    smart_tap_redemption_value: value,
                    barcode: None,
                    balance: None,
                    user_smart_tap_disabled: toggled,
                    display: ObjectDisplay::default(),
                    last_terminal_update: None,
                    details: Default::default(),
                },
            )
        })
}

fn world_strategy() -> impl Strategy<Value = World> {
    (1usize..=4, 0usize..=6, 0usize..=12).prop_flat_map(|(ni, nc, no)| {
        let issuers: Vec<_> = (1..=ni as u64).map(issuer_strategy).collect();
        let classes: Vec<_> = (0..nc).map(class_strategy).collect();
        let objects: Vec<_> = (0..no).map(|k| object_strategy(k, nc)).collect();
        (issuers, classes, objects).prop_map(|(issuers, classes, objects)| {
            let objects = objects
                .into_iter()
                .map(|(class, mut o)| {
                    // An object has its class's vertical (the engine refuses anything else).
                    if let Some(c) = classes.get(class) {
                        o.pass_type = c.pass_type;
                    }
                    o
                })
                .collect();
            World { issuers, classes, objects }
        })
    })
}

fn tap_strategy(world: &World) -> impl Strategy<Value = Tap> {
    let mut ids: Vec<String> = world.objects.iter().map(|o| o.id.clone()).collect();
    let mut collectors: Vec<u32> =
        world.issuers.iter().flat_map(|i| i.collector_ids.iter().map(|c| c.0)).collect();
    collectors.push(999);
    collectors.push(501); // issuer 5: a redemption issuer the wallet knows no collector of
    let chosen: Vec<String> = ids.clone();
    ids.push("9.none".into());
    let ui = prop_oneof![
        Just(UiContext::Home),
        Just(UiContext::Unlocked),
        Just(UiContext::Locked),
        prop::sample::select(ids).prop_map(UiContext::PassOpen),
    ];
    let choice = if chosen.is_empty() {
        Just(None).boxed()
    } else {
        prop::option::of((prop::sample::select(chosen), -5_000i64..2 * DEFAULT_CHOOSER_WINDOW_MS))
            .boxed()
    };
    (
        ui,
        prop_oneof![Just(LockPolicy::RequireUnlock), Just(LockPolicy::Allow)],
        choice,
        prop::sample::select(collectors),
        proptest::sample::subsequence(SERVICE_TYPES.to_vec(), 1..=3),
        -2i64..=2,
    )
        .prop_map(|(ui, lock_policy, choice, c, service_types, offset_h)| Tap {
            ui,
            lock_policy,
            choice,
            request: SelectionRequest {
                collector: CollectorId(c),
                service_types,
                now: Timestamp(NOW.0 + offset_h * 7 * 60_000),
            },
        })
}

fn build(world: &World) -> SelectionEngine {
    let engine = SelectionEngine::default();
    for i in &world.issuers {
        engine.insert_issuer(i.clone()).unwrap();
    }
    for c in &world.classes {
        engine.insert_class(c.clone()).unwrap();
    }
    for o in &world.objects {
        engine.upsert_object(o.clone()).unwrap();
    }
    engine
}

// ---- the reference model: a literal reading of §12.2 over every pass ----------------

fn owner(world: &World, c: CollectorId) -> Option<u64> {
    world.issuers.iter().find(|i| i.collector_ids.contains(&c)).map(|i| i.id)
}

fn lists_issuer(world: &World, o: &PassObject, c: CollectorId) -> bool {
    let class = world.classes.iter().find(|k| k.id == o.class_id);
    match (class, owner(world, c)) {
        (Some(k), Some(i)) => k.redemption_issuers.contains(&i),
        _ => false,
    }
}

fn in_validity(o: &PassObject, now: Timestamp) -> bool {
    let at = |b: DateTimeBound| b.instant(0);
    o.valid_time_interval.start.is_none_or(|s| at(s) <= now)
        && o.valid_time_interval.end.is_none_or(|e| now < at(e))
}

fn eligible(world: &World, o: &PassObject, r: &SelectionRequest) -> bool {
    let Some(class) = world.classes.iter().find(|k| k.id == o.class_id) else { return false };
    lists_issuer(world, o, r.collector)
        && class.enable_smart_tap
        && !o.user_smart_tap_disabled
        && o.smart_tap_redemption_value.is_some()
        && o.state == PassState::Active
        && in_validity(o, r.now)
        && class.pass_type.requested_by(&r.service_types)
}

#[derive(Debug, PartialEq)]
enum Decision {
    Send(String),
    Nothing,
    Chooser(Vec<String>),
    Unlock,
}

fn reference(world: &World, tap: &Tap) -> Decision {
    let r = &tap.request;
    let e: BTreeSet<&str> =
        world.objects.iter().filter(|o| eligible(world, o, r)).map(|o| o.id.as_str()).collect();
    match &tap.ui {
        UiContext::Locked if tap.lock_policy == LockPolicy::RequireUnlock => {
            return if e.is_empty() { Decision::Nothing } else { Decision::Unlock };
        }
        UiContext::PassOpen(p) if e.contains(p.as_str()) => return Decision::Send(p.clone()),
        _ => {}
    }
    match e.len() {
        0 => Decision::Nothing,
        1 => Decision::Send(e.iter().next().unwrap().to_string()),
        _ => match &tap.choice {
            Some((p, ago))
                if e.contains(p.as_str()) && (0..=DEFAULT_CHOOSER_WINDOW_MS).contains(ago) =>
            {
                Decision::Send(p.clone())
            }
            _ => Decision::Chooser(e.iter().map(|s| s.to_string()).collect()),
        },
    }
}

fn run(engine: &SelectionEngine, tap: &Tap) -> Selection {
    engine
        .set_config(SelectionConfig { lock_policy: tap.lock_policy, ..SelectionConfig::default() });
    engine.set_ui_context(tap.ui.clone());
    engine.clear_choices();
    if let Some((p, ago)) = &tap.choice {
        engine.choose(p, tap.request.now.plus_millis(-ago)).unwrap();
    }
    engine.select(&tap.request)
}

fn as_decision(s: &Selection) -> Decision {
    match s {
        Selection::Send(p) => Decision::Send(p.object_id.clone()),
        Selection::NothingEligible => Decision::Nothing,
        Selection::ChooserRequired { candidates } => Decision::Chooser(candidates.clone()),
        Selection::UnlockRequired => Decision::Unlock,
    }
}

fn world_and_tap() -> impl Strategy<Value = (World, Tap)> {
    world_strategy().prop_flat_map(|w| {
        let t = tap_strategy(&w);
        (Just(w), t)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_decision_equals_the_reference((world, tap) in world_and_tap()) {
        let engine = build(&world);
        prop_assert_eq!(as_decision(&run(&engine, &tap)), reference(&world, &tap));
    }

    #[test]
    fn never_a_pass_whose_class_does_not_list_the_collectors_issuer((world, tap) in world_and_tap()) {
        let engine = build(&world);
        if let Selection::Send(p) = run(&engine, &tap) {
            let o = world.objects.iter().find(|o| o.id == p.object_id).unwrap();
            prop_assert!(lists_issuer(&world, o, tap.request.collector));
        }
    }

    #[test]
    fn never_an_inactive_expired_not_yet_valid_or_toggled_off_pass((world, tap) in world_and_tap()) {
        let engine = build(&world);
        let mut offered: Vec<String> = Vec::new();
        match run(&engine, &tap) {
            Selection::Send(p) => offered.push(p.object_id),
            Selection::ChooserRequired { candidates } => offered.extend(candidates),
            _ => {}
        }
        for id in offered {
            let o = world.objects.iter().find(|o| o.id == id).unwrap();
            prop_assert_eq!(o.state, PassState::Active);
            prop_assert!(in_validity(o, tap.request.now));
            prop_assert!(!o.user_smart_tap_disabled);
            prop_assert!(o.smart_tap_redemption_value.is_some());
        }
    }

    #[test]
    fn an_open_eligible_pass_always_wins((world, mut tap) in world_and_tap(), pick in any::<prop::sample::Index>()) {
        prop_assume!(!world.objects.is_empty());
        let o = pick.get(&world.objects);
        tap.ui = UiContext::PassOpen(o.id.clone());
        let engine = build(&world);
        let got = run(&engine, &tap);
        if eligible(&world, o, &tap.request) {
            prop_assert_eq!(as_decision(&got), Decision::Send(o.id.clone()));
        }
    }

    #[test]
    fn at_most_one_pass_per_tap((world, tap) in world_and_tap()) {
        let engine = build(&world);
        match run(&engine, &tap) {
            Selection::Send(p) => {
                let o = world.objects.iter().find(|o| o.id == p.object_id).unwrap();
                prop_assert!(eligible(&world, o, &tap.request));
                let value = o.smart_tap_redemption_value.as_ref().unwrap().expose();
                prop_assert_eq!(&p.redemption_value, value);
            }
            Selection::ChooserRequired { candidates } => {
                let distinct: BTreeSet<&String> = candidates.iter().collect();
                prop_assert!(candidates.len() >= 2);
                prop_assert_eq!(distinct.len(), candidates.len());
            }
            Selection::NothingEligible | Selection::UnlockRequired => {}
        }
    }

    #[test]
    fn could_redeem_is_true_exactly_when_some_type_would_be_eligible((world, tap) in world_and_tap()) {
        let engine = build(&world);
        let all = SelectionRequest { service_types: vec![0x00], ..tap.request.clone() };
        let any = world.objects.iter().any(|o| eligible(&world, o, &all));
        prop_assert_eq!(engine.could_redeem(tap.request.collector, tap.request.now), any);
    }
}

// ---- incremental index under arbitrary change sequences -----------------------------

#[derive(Clone, Debug)]
enum Op {
    Issuer(Issuer),
    RemoveIssuer(u64),
    Class(Box<PassClass>),
    RemoveClass(usize),
    Object(Box<PassObject>),
    RemoveObject(usize),
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u64..=4).prop_flat_map(issuer_strategy).prop_map(Op::Issuer),
        (1u64..=4).prop_map(Op::RemoveIssuer),
        (0usize..5).prop_flat_map(class_strategy).prop_map(|c| Op::Class(Box::new(c))),
        (0usize..5).prop_map(Op::RemoveClass),
        (0usize..10)
            .prop_flat_map(|k| object_strategy(k, 5))
            .prop_map(|(_, o)| Op::Object(Box::new(o))),
        (0usize..10).prop_map(Op::RemoveObject),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_index_follows_every_change(ops in prop::collection::vec(op_strategy(), 1..60),
                                      taps in prop::collection::vec(any::<prop::sample::Index>(), 4)) {
        let engine = SelectionEngine::default();
        let mut world = World { issuers: vec![], classes: vec![], objects: vec![] };
        for op in ops {
            match op {
                Op::Issuer(i) => {
                    world.issuers.retain(|x| x.id != i.id);
                    engine.insert_issuer(i.clone()).unwrap();
                    world.issuers.push(i);
                }
                Op::RemoveIssuer(id) => {
                    world.issuers.retain(|x| x.id != id);
                    engine.remove_issuer(id);
                }
                Op::Class(c) => {
                    let mut c = *c;
                    // Keep the vertical of objects already held (the engine refuses others).
                    if let Some(o) = world.objects.iter().find(|o| o.class_id == c.id) {
                        c.pass_type = o.pass_type;
                    }
                    world.classes.retain(|x| x.id != c.id);
                    engine.insert_class(c.clone()).unwrap();
                    world.classes.push(c);
                }
                Op::RemoveClass(k) => {
                    let id = format!("9.c{k}");
                    world.classes.retain(|x| x.id != id);
                    engine.remove_class(&id);
                }
                Op::Object(o) => {
                    let mut o = *o;
                    if let Some(c) = world.classes.iter().find(|c| c.id == o.class_id) {
                        o.pass_type = c.pass_type;
                    } else if let Some(other) = world.objects.iter().find(|x| x.class_id == o.class_id && x.id != o.id) {
                        o.pass_type = other.pass_type;
                    }
                    world.objects.retain(|x| x.id != o.id);
                    engine.upsert_object(o.clone()).unwrap();
                    world.objects.push(o);
                }
                Op::RemoveObject(k) => {
                    let id = format!("9.o{k}");
                    world.objects.retain(|x| x.id != id);
                    engine.remove_object(&id);
                }
            }
        }
        let mut collectors: Vec<CollectorId> =
            world.issuers.iter().flat_map(|i| i.collector_ids.clone()).collect();
        collectors.push(CollectorId(999));
        for c in &collectors {
            let want: Vec<String> = {
                let mut v: Vec<String> = world.objects.iter()
                    .filter(|o| lists_issuer(&world, o, *c))
                    .map(|o| o.id.clone()).collect();
                v.sort();
                v
            };
            prop_assert_eq!(engine.candidates(*c), want);
        }
        for t in taps {
            let c = *t.get(&collectors);
            let tap = Tap {
                ui: UiContext::Home,
                lock_policy: LockPolicy::RequireUnlock,
                choice: None,
                request: SelectionRequest { collector: c, service_types: vec![0x00], now: NOW },
            };
            prop_assert_eq!(as_decision(&run(&engine, &tap)), reference(&world, &tap));
        }
    }
}

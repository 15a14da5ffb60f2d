//! Properties of the payment applet under random reader behaviour: no panic, every answer
//! within 256 bytes, and the ATCs committed (and answered) strictly increasing with no
//! duplicates, whatever the order of commands, deactivations, journal failures and
//! changes of the verification window or key budget.

mod payment_support;

use std::sync::atomic::Ordering;

use hce_wallet_core::ber_tlv::{Tag, Tlv};
use hce_wallet_core::payment::applet::PaymentConfig;
use hce_wallet_core::payment::dol::{tags, Dol};
use hce_wallet_core::payment::profile::ProfileSettings;
use hce_wallet_core::payment::token::{CvmPolicy, KeyBudget};
use hce_wallet_core::router::Deactivation;
use payment_support::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Step {
    Apdu(Vec<u8>),
    /// SELECT AID then a GPO: a whole transaction start.
    Tap,
    Deactivate,
    FailCommit(bool),
    Verified(bool),
    Budget(u8),
}

fn vocabulary() -> Vec<Vec<u8>> {
    [
        SELECT_PPSE,
        SELECT_AID,
        "00A404000E315041592E5359532E444446303100",
        GPO_V1,
        "80A8000002830000",
        READ_RECORD_1,
        "00B2020C00",
        "80CA9F3600",
        "80AE80001D000000001000000000000000015600000000000156261122001234567800",
        "80AE40001F3030000000001000000000000000015600000000000156261122001234567800",
        "80AE00001D000000001000000000000000015600000000000156261122001234567800",
    ]
    .iter()
    .map(|s| h(s))
    .collect()
}

fn step() -> impl Strategy<Value = Step> {
    let vocab = vocabulary();
    prop_oneof![
        6 => (0..vocab.len()).prop_map(move |i| Step::Apdu(vocab[i].clone())),
        2 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Step::Apdu),
        // A GPO with random PDOL values (random TTQ bits, amounts, UN).
        2 => proptest::collection::vec(any::<u8>(), 33).prop_map(|v| {
            let mut apdu = h("80A8000023 8321");
            apdu.extend(v);
            apdu.push(0);
            Step::Apdu(apdu)
        }),
        3 => Just(Step::Tap),
        1 => Just(Step::Deactivate),
        1 => any::<bool>().prop_map(Step::FailCommit),
        1 => any::<bool>().prop_map(Step::Verified),
        1 => (0u8..4).prop_map(Step::Budget),
    ]
}

fn atc_of(data: &[u8]) -> Option<u16> {
    let t = Tlv::parse(data).ok()?;
    let atc = t.find_recursive(Tag::new(0x9F36).unwrap())?.bytes()?;
    Some(u16::from_be_bytes(atc.try_into().ok()?))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_sequences_never_panic_and_never_repeat_an_atc(
        steps in proptest::collection::vec(step(), 1..60),
        lenient in any::<bool>(),
        policy in prop_oneof![Just(CvmPolicy::EveryTransaction), Just(CvmPolicy::WhenReaderRequires)],
    ) {
        let config = PaymentConfig {
            lenient_empty_pdol: lenient,
            contact_pse: lenient,
            profile: ProfileSettings { offer_generate_ac: true, ..Default::default() },
            ..Default::default()
        };
        let mut rig = Rig::standard(config, policy);
        let mut answered: Vec<u16> = Vec::new();
        for s in steps {
            match s {
                Step::Apdu(apdu) => {
                    let r = rig.router.dispatch(&apdu);
                    prop_assert!(r.data.len() <= 256);
                    let is_gpo = apdu.get(..2) == Some(&[0x80, 0xA8][..]);
                    if is_gpo && r.sw.0 == 0x9000 {
                        answered.push(atc_of(&r.data).expect("GPO answer carries 9F36"));
                    }
                }
                Step::Tap => {
                    rig.router.dispatch(&h(SELECT_AID));
                    let r = rig.router.dispatch(&h(GPO_V1));
                    if r.sw.0 == 0x9000 {
                        answered.push(atc_of(&r.data).expect("GPO answer carries 9F36"));
                    }
                }
                Step::Deactivate => rig.router.deactivate(Deactivation::LinkLoss),
                Step::FailCommit(f) => rig.journal.fail_commit.store(f, Ordering::SeqCst),
                Step::Verified(v) => rig.tokens.verify_until(v.then(|| now().plus_millis(5000))),
                Step::Budget(b) => rig.tokens.set_budget("tok-1", match b {
                    0 => KeyBudget::Available { transactions_left: 5, low: false },
                    1 => KeyBudget::Available { transactions_left: 1, low: true },
                    2 => KeyBudget::Exhausted,
                    _ => KeyBudget::Expired,
                }),
            }
        }
        let committed: Vec<u16> = rig.journal.commits.lock().unwrap().iter().map(|c| c.1).collect();
        prop_assert!(committed.windows(2).all(|w| w[0] < w[1]), "committed {committed:?}");
        prop_assert!(answered.windows(2).all(|w| w[0] < w[1]), "answered {answered:?}");
        // Every answered ATC was committed first.
        prop_assert!(answered.iter().all(|a| committed.contains(a)));
        // Every GENERATE AC cryptogram uses an ATC a GPO committed.
        for rec in rig.journal.cryptograms.lock().unwrap().iter() {
            prop_assert!(committed.contains(&rec.1));
        }
    }

    #[test]
    fn dol_split_takes_back_what_fill_wrote(
        lens in proptest::collection::vec(1usize..12, 1..9),
        seed in any::<u8>(),
    ) {
        let pool = [
            tags::TTQ, tags::AMOUNT_AUTHORISED, tags::AMOUNT_OTHER, tags::TERMINAL_COUNTRY,
            tags::TVR, tags::CURRENCY, tags::DATE, tags::TRANSACTION_TYPE,
            tags::UNPREDICTABLE_NUMBER,
        ];
        let entries: Vec<(Tag, usize)> = pool.iter().copied().zip(lens).collect();
        let dol = Dol::new(entries.clone()).unwrap();
        prop_assert_eq!(Dol::parse(&dol.encode()).unwrap(), dol.clone());
        let value = |t: Tag| -> Vec<u8> {
            let len = dol.length_of(t).unwrap();
            (0..len).map(|i| seed.wrapping_add(i as u8).wrapping_add(t.raw() as u8)).collect()
        };
        let values: Vec<(Tag, Vec<u8>)> = entries.iter().map(|(t, _)| (*t, value(*t))).collect();
        let data = dol.fill(
            |t| values.iter().find(|(x, _)| *x == t).map(|(_, v)| v.as_slice()),
            tags::is_numeric,
        );
        prop_assert_eq!(data.len(), dol.total_len());
        let split = dol.split(&data).unwrap();
        for (t, v) in &values {
            prop_assert_eq!(split.get(*t).unwrap(), v.as_slice());
        }
        prop_assert!(dol.split(&data[1..]).is_err());
    }
}

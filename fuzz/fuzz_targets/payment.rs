//! The EMV payment applet behind the router under a sequence of APDUs and deactivations
//! (the frame driver shared with `router` and `smart_tap`): it never panics, always
//! answers a status word, never answers more than 256 bytes, and the ATCs its journal
//! commits strictly increase. Desktop switches (lenient PDOL, contact PSE, GENERATE AC)
//! are on so that every command path is reachable.
#![no_main]

mod frames;

use std::sync::{Arc, Mutex};

use hce_wallet_core::payment::applet::{PaymentApplet, PaymentConfig, PaymentPorts};
use hce_wallet_core::payment::cryptogram::GenericProfile;
use hce_wallet_core::payment::ports::{
    CdcvmMethod, CurrentKey, JournalError, PaymentJournal, TapToken, TokenSource, Verification,
};
use hce_wallet_core::payment::profile::ProfileSettings;
use hce_wallet_core::payment::token::*;
use hce_wallet_core::ports::{FixedClock, NoEvents};
use hce_wallet_core::router::Router;
use hce_wallet_core::time::Timestamp;
use libfuzzer_sys::fuzz_target;
use zeroize::Zeroizing;

const NOW: Timestamp = Timestamp(1_795_000_000_000);

struct Tokens(TapToken, LimitedUseKey);

impl TokenSource for Tokens {
    fn offered(&self, _now: Timestamp) -> Vec<TapToken> {
        vec![self.0.clone()]
    }
    fn token(&self, id: &TokenId) -> Option<TapToken> {
        (id == &self.0.token.id).then(|| self.0.clone())
    }
    fn current_key(&self, _id: &TokenId, _now: Timestamp) -> CurrentKey {
        CurrentKey {
            key: Some(self.1.clone()),
            budget: KeyBudget::Available { transactions_left: 100, low: false },
        }
    }
    fn verification(&self, _now: Timestamp) -> Verification {
        Verification { until: Some(NOW.plus_millis(1000)), method: Some(CdcvmMethod::Biometric) }
    }
}

#[derive(Default)]
struct Journal(Mutex<Vec<u16>>);

impl PaymentJournal for Journal {
    fn last_atc(&self, _id: &TokenId) -> Result<Atc, JournalError> {
        Ok(Atc(self.0.lock().unwrap().last().copied().unwrap_or(0)))
    }
    fn commit(&self, _id: &TokenId, entry: &TransactionLogEntry) -> Result<(), JournalError> {
        let mut atcs = self.0.lock().unwrap();
        let last = atcs.last().copied().unwrap_or(0);
        assert!(entry.atc.0 > last, "ATC {} after {last}", entry.atc.0);
        atcs.push(entry.atc.0);
        Ok(())
    }
    fn record_cryptogram(
        &self,
        _: &TokenId,
        atc: Atc,
        _: [u8; 8],
        _: u8,
    ) -> Result<(), JournalError> {
        assert!(self.0.lock().unwrap().contains(&atc.0), "cryptogram for an uncommitted ATC");
        Ok(())
    }
}

fn router() -> Router {
    let token = Token {
        id: TokenId::new("fuzz").unwrap(),
        card: CardRef::new("card").unwrap(),
        mpan: Mpan::new("6231000000000008").unwrap(),
        expiry: Expiry::new(2030, 12).unwrap(),
        psn: 0,
        product: Product::Credit,
        token_requestor_id: None,
        par: None,
        profile: AidProfile {
            aid: vec![0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x02],
            label: "UP CREDIT".into(),
            kernel_id: Some(7),
            issuer_country: 0x0156,
            cvm_policy: CvmPolicy::WhenReaderRequires,
        },
        card_art: None,
    };
    let key = LimitedUseKey {
        key: Zeroizing::new([0x11; 16]),
        key_index: [0, 0, 0, 1],
        issued_at: NOW,
        thresholds: KeyThresholds {
            max_transactions: 100,
            lifetime_secs: 86_400,
            max_cumulative_amount: u64::MAX,
        },
    };
    let config = PaymentConfig {
        lenient_empty_pdol: true,
        contact_pse: true,
        profile: ProfileSettings { offer_generate_ac: true, ..Default::default() },
        ..Default::default()
    };
    let ports = PaymentPorts {
        tokens: Arc::new(Tokens(
            TapToken { token, state: TokenState::Active, is_default: true },
            key,
        )),
        journal: Arc::new(Journal::default()),
        events: Arc::new(NoEvents),
        clock: Arc::new(FixedClock(NOW)),
        engine: Arc::new(GenericProfile),
    };
    let mut router = Router::new();
    router.register(Box::new(PaymentApplet::new(config, ports).unwrap()));
    router
}

fuzz_target!(|data: &[u8]| {
    let mut router = router();
    frames::drive_checked(&mut router, data, |r| assert!(r.data.len() <= 256));
});

//! The demo wallet's payment side: one sample token of the generic profile (payment spec
//! §9.4; the spec's fixture MPAN `6231000000000008`, UnionPay credit AID) with deterministic
//! key batches, the payment applet `hcectl` registers beside the Smart Tap one, and the
//! "issuer side" a desktop terminal needs to verify a cryptogram: the LUK of a key index.
//!
//! Key batch `b` holds [`KEYS_PER_BATCH`] keys with key index `00 (01+b) kk 00`, LUK = the §9.4
//! test LUK with byte 15 XOR `kk` and byte 13 XOR `b` (batch 0, key 0 is exactly the §9.4
//! LUK, so vector 1's figures apply to the first tap of a fresh demo token).

use std::sync::Arc;

use hce_wallet_core::payment::applet::{PaymentApplet, PaymentConfig, PaymentPorts};
use hce_wallet_core::payment::cryptogram::GenericProfile;
use hce_wallet_core::payment::ports::{PaymentJournal, TokenSource};
use hce_wallet_core::payment::sample::{sample_keys, sample_token};
use hce_wallet_core::payment::token::{LimitedUseKey, Token, KEY_INDEX_LEN, LUK_LEN};
use hce_wallet_core::ports::{Clock, EventSink};
use hce_wallet_core::time::Timestamp;

use crate::demo_wallet::SystemClock;

/// Keys per demo batch, and transactions per key.
pub const KEYS_PER_BATCH: u8 = 4;
pub const TRANSACTIONS_PER_KEY: u32 = 25;

/// How `hcectl` serves payment tokens to desktop readers (payment spec §15).
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args)]
pub struct PayOptions {
    /// Answer SELECT 1PAY.SYS.DDF01 with a directory (emvtool finds applications only
    /// through it; payment spec §6.7, §15.1)
    #[arg(long)]
    pub pay_pse: bool,
    /// Accept GPO `83 00` against a non-empty PDOL as all zeros (emvtool, §6.3, §15.1)
    #[arg(long)]
    pub pay_lenient_gpo: bool,
    /// List CDOL1/CDOL2 in the record and answer GENERATE AC (contact-style readers such
    /// as emv-test-transaction, §6.5, §15.3)
    #[arg(long)]
    pub pay_generate_ac: bool,
    /// The user verified on the phone for the whole session (CDCVM, §10)
    #[arg(long)]
    pub pay_verified: bool,
}

/// The demo token.
pub fn demo_token() -> Token {
    sample_token(0)
}

/// Demo key batch `batch` (see the module doc).
pub fn demo_keys(batch: u8, issued_at: Timestamp) -> Vec<LimitedUseKey> {
    let mut keys = sample_keys(0, KEYS_PER_BATCH, TRANSACTIONS_PER_KEY, issued_at);
    for k in &mut keys {
        if let Some(b) = k.key_index.get_mut(1) {
            *b = 0x01u8.wrapping_add(batch);
        }
        if let Some(b) = k.key.get_mut(13) {
            *b ^= batch;
        }
    }
    keys
}

/// The issuer side of the demo: regenerates the LUK of a demo key index (§9.2: the key
/// index travels in `9F10` so the issuer can).
pub fn demo_luk(key_index: [u8; KEY_INDEX_LEN]) -> Option<[u8; LUK_LEN]> {
    let batch = key_index.get(1)?.checked_sub(1)?;
    demo_keys(batch, Timestamp(0)).into_iter().find(|k| k.key_index == key_index).map(|k| *k.key)
}

/// The key index in a generic-profile `9F10` (`01 ‖ key index ‖ CVR`, §9.4).
pub fn key_index_of_iad(iad: &[u8]) -> Option<[u8; KEY_INDEX_LEN]> {
    iad.get(1..5)?.try_into().ok()
}

/// The payment applet over `tokens` / `journal`, set up for the readers `options` names.
pub fn payment_applet(
    tokens: Arc<dyn TokenSource>,
    journal: Arc<dyn PaymentJournal>,
    events: Arc<dyn EventSink>,
    options: &PayOptions,
) -> Result<PaymentApplet, String> {
    let mut config = PaymentConfig {
        lenient_empty_pdol: options.pay_lenient_gpo,
        contact_pse: options.pay_pse,
        ..PaymentConfig::default()
    };
    config.profile.offer_generate_ac = options.pay_generate_ac;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut applet = PaymentApplet::new(
        config,
        PaymentPorts { tokens, journal, events, clock, engine: Arc::new(GenericProfile) },
    )
    .map_err(|e| e.to_string())?;
    applet.prepare();
    Ok(applet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hce_wallet_core::payment::sample::SAMPLE_LUK;

    #[test]
    fn demo_keys_are_distinct_and_the_issuer_finds_them() {
        let b0 = demo_keys(0, Timestamp(0));
        let b1 = demo_keys(1, Timestamp(0));
        assert_eq!(*b0[0].key, SAMPLE_LUK);
        assert_eq!(b0[0].key_index, [0, 1, 0, 0]);
        assert_ne!(b0[0].key_index, b1[0].key_index);
        assert_ne!(*b0[0].key, *b1[0].key);
        assert_eq!(demo_luk(b1[2].key_index), Some(*b1[2].key));
        assert_eq!(demo_luk([0, 0, 0, 0]), None);
    }
}

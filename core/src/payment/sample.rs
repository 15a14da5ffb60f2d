//! Sample tokens for demos, tests and benches: the spec's synthetic fixture values (payment
//! spec §6.1–6.4: UnionPay credit AID `A000000333010102`, label "UP CREDIT", MPAN
//! `6231000000000008`, expiry 2030-12, PSN 00, issuer country China) and the generic
//! profile's LUK of §9.4. Nothing here is a real card or key.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use zeroize::Zeroizing;

use super::token::{
    AidProfile, CardRef, CvmPolicy, Expiry, KeyThresholds, LimitedUseKey, Mpan, Product, Token,
    TokenId,
};
use crate::time::Timestamp;

/// UnionPay credit (payment spec §4).
pub const UNIONPAY_CREDIT_AID: [u8; 8] = [0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x02];
/// Visa credit/debit (payment spec §4): the AID emvtool finds without a PSE (§15.1).
pub const VISA_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10];
/// The generic profile's test LUK (payment spec §9.4, vector 1).
pub const SAMPLE_LUK: [u8; 16] = [
    0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10,
];
/// The fixture MPAN (§6.3, §6.4).
pub const SAMPLE_MPAN: &str = "6231000000000008";

/// Appends the Luhn check digit to `body` (digits only).
pub fn with_luhn_digit(body: &str) -> String {
    (0..10u8)
        .map(|d| format!("{body}{d}"))
        .find(|candidate| super::token::luhn_valid(candidate))
        .unwrap_or_default()
}

/// Sample token `n`: token 0 is the spec's fixture (MPAN `6231000000000008`); others get
/// their own token reference, card reference and MPAN. All use the UnionPay credit AID.
pub fn sample_token(n: usize) -> Token {
    let mpan =
        if n == 0 { SAMPLE_MPAN.to_owned() } else { with_luhn_digit(&format!("623100{:09}", n)) };
    let fallback = || Mpan::new(SAMPLE_MPAN);
    Token {
        id: TokenId::new(format!("tok-{n}")).unwrap_or_else(|_| unreachable_id()),
        card: CardRef::new(format!("card-{n}")).unwrap_or_else(|_| unreachable_card()),
        mpan: Mpan::new(&mpan).or_else(|_| fallback()).unwrap_or_else(|_| unreachable_mpan()),
        expiry: Expiry::new(2030, 12).unwrap_or_else(|_| unreachable_expiry()),
        psn: 0,
        product: Product::Credit,
        token_requestor_id: None,
        par: None,
        profile: AidProfile {
            aid: UNIONPAY_CREDIT_AID.to_vec(),
            label: "UP CREDIT".to_owned(),
            kernel_id: Some(7),
            issuer_country: 0x0156,
            cvm_policy: CvmPolicy::WhenReaderRequires,
        },
        card_art: None,
    }
}

/// A sample key batch of `count` LUKs for token `n` (key 0 of token 0 is [`SAMPLE_LUK`]
/// with key index `00010000`, as in vector 1), each good for `per_key` transactions.
pub fn sample_keys(n: usize, count: u8, per_key: u32, issued_at: Timestamp) -> Vec<LimitedUseKey> {
    (0..count)
        .map(|k| {
            let mut key = SAMPLE_LUK;
            if let Some(b) = key.get_mut(15) {
                *b ^= k;
            }
            if let Some(b) = key.get_mut(14) {
                *b ^= n as u8;
            }
            LimitedUseKey {
                key: Zeroizing::new(key),
                key_index: [0x00, 0x01, k, n as u8],
                issued_at,
                thresholds: KeyThresholds {
                    max_transactions: per_key,
                    lifetime_secs: 30 * 86_400,
                    max_cumulative_amount: u64::MAX,
                },
            }
        })
        .collect()
}

// The constants above are valid by construction; these keep the input paths panic-free.
fn unreachable_id() -> TokenId {
    TokenId::new("tok").unwrap_or_else(|_| unreachable_id())
}
fn unreachable_card() -> CardRef {
    CardRef::new("card").unwrap_or_else(|_| unreachable_card())
}
fn unreachable_mpan() -> Mpan {
    Mpan::new(SAMPLE_MPAN).unwrap_or_else(|_| unreachable_mpan())
}
fn unreachable_expiry() -> Expiry {
    Expiry::new(2030, 12).unwrap_or_else(|_| unreachable_expiry())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn sample_tokens_are_distinct_and_valid() {
        let a = sample_token(0);
        assert_eq!(a.mpan.digits(), SAMPLE_MPAN);
        let b = sample_token(7);
        assert_ne!(a.mpan, b.mpan);
        assert_ne!(a.card, b.card);
        assert!(super::super::token::luhn_valid(b.mpan.digits()));
        assert_eq!(b.mpan.digits().len(), 16);
        let keys = sample_keys(0, 2, 5, Timestamp::from_secs(0));
        assert_eq!(*keys[0].key, SAMPLE_LUK);
        assert_eq!(keys[0].key_index, [0, 1, 0, 0]);
        assert_ne!(keys[0].key, keys[1].key);
    }
}

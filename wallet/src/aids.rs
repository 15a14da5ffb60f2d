//! The AIDs the host should route to this wallet, by Android category: what an app hands
//! `CardEmulation.registerAidsForService` (payment spec §3: "Android routes by AID").
//!
//! * [`AidCategory::Payment`]: PPSE (payment spec §6.1) and the AID of every token that can
//!   be offered — the Active ones (§12.5: Suspended, Pending and Deleted tokens are hidden;
//!   an Active token that is not the default can still be picked for a tap, so it stays
//!   routed and a change of default re-registers nothing). PPSE is always there: with no
//!   token to offer the applet answers it `6A82`, exactly what the platform would.
//! * [`AidCategory::Other`]: the Smart Tap AIDs (smart-tap spec §6.1). Issuer NFC-pass
//!   AIDs belong here too ([`AidSet::add`]).
//!
//! The wallet recomputes the set after every token change and tells the host with
//! [`crate::Notice::AidSetChanged`] when it differs. Another source of AIDs adds its own in
//! `Wallet::aid_set` and calls `Wallet::refresh_aid_set` after its changes (as token
//! changes do in `Wallet::deliver`).

use hce_wallet_core::payment::profile::PPSE_NAME;
use hce_wallet_core::payment::token::TokenState;
use hce_wallet_core::smart_tap::{OSE_AID, ST2_AID};
use hce_wallet_store::tokens::PaymentTokenRecord;

/// Android's AID categories (`CardEmulation.CATEGORY_PAYMENT` / `CATEGORY_OTHER`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AidCategory {
    /// One default app system-wide routes these (PPSE, payment token AIDs).
    Payment,
    /// Any app may register these (Smart Tap, issuer NFC passes).
    Other,
}

/// The AIDs of one category, sorted, without duplicates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AidGroup {
    pub category: AidCategory,
    pub aids: Vec<Vec<u8>>,
}

/// Every AID the wallet answers, one group per category (payment first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AidSet {
    pub groups: Vec<AidGroup>,
}

impl AidSet {
    /// The set for these token records (any order; Deleted ones included or not).
    pub fn for_tokens(tokens: &[PaymentTokenRecord]) -> AidSet {
        let mut set = AidSet {
            groups: vec![
                AidGroup { category: AidCategory::Payment, aids: Vec::new() },
                AidGroup { category: AidCategory::Other, aids: Vec::new() },
            ],
        };
        set.add(AidCategory::Payment, PPSE_NAME);
        for t in tokens.iter().filter(|t| t.state == TokenState::Active) {
            set.add(AidCategory::Payment, &t.aid);
        }
        set.add(AidCategory::Other, OSE_AID);
        set.add(AidCategory::Other, ST2_AID);
        set
    }

    /// Adds `aid` to `category`'s group (kept sorted; a duplicate is ignored).
    pub fn add(&mut self, category: AidCategory, aid: &[u8]) {
        if !self.groups.iter().any(|g| g.category == category) {
            self.groups.push(AidGroup { category, aids: Vec::new() });
            self.groups.sort_by_key(|g| g.category);
        }
        if let Some(group) = self.groups.iter_mut().find(|g| g.category == category) {
            if let Err(at) = group.aids.binary_search_by(|a| a.as_slice().cmp(aid)) {
                group.aids.insert(at, aid.to_vec());
            }
        }
    }

    /// The AIDs of `category` (empty when it has none).
    pub fn aids(&self, category: AidCategory) -> &[Vec<u8>] {
        self.groups.iter().find(|g| g.category == category).map_or(&[], |g| g.aids.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_aids_without_tokens_and_add_keeps_groups_sorted_and_unique() {
        let mut set = AidSet::for_tokens(&[]);
        assert_eq!(set.aids(AidCategory::Payment), [PPSE_NAME.to_vec()]);
        assert_eq!(set.aids(AidCategory::Other), [OSE_AID.to_vec(), ST2_AID.to_vec()]);
        let visa = [0xA0, 0, 0, 0, 0x03, 0x10, 0x10];
        set.add(AidCategory::Payment, &visa);
        set.add(AidCategory::Payment, &visa);
        set.add(AidCategory::Payment, PPSE_NAME);
        assert_eq!(set.aids(AidCategory::Payment), [PPSE_NAME.to_vec(), visa.to_vec()]);
        assert_eq!(
            set.groups.iter().map(|g| g.category).collect::<Vec<_>>(),
            [AidCategory::Payment, AidCategory::Other]
        );
    }
}

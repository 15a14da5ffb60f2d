//! The AID set as Kotlin sees it (translation of `hce_wallet::aids`): what the app hands
//! `CardEmulation.registerAidsForService`, one group per category, AIDs as upper-case hex.

/// Android's AID categories: `CardEmulation.CATEGORY_PAYMENT` / `CATEGORY_OTHER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum AidCategory {
    /// PPSE and the payment token AIDs (one default payment app system-wide).
    Payment,
    /// Smart Tap and issuer NFC-pass AIDs.
    Other,
}

/// The AIDs of one category, sorted, upper-case hex.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct AidGroup {
    pub category: AidCategory,
    pub aids: Vec<String>,
}

/// Every AID the wallet answers, one group per category (payment first).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct AidSet {
    pub groups: Vec<AidGroup>,
}

impl From<hce_wallet::AidSet> for AidSet {
    fn from(s: hce_wallet::AidSet) -> Self {
        AidSet {
            groups: s
                .groups
                .into_iter()
                .map(|g| AidGroup {
                    category: match g.category {
                        hce_wallet::AidCategory::Payment => AidCategory::Payment,
                        hce_wallet::AidCategory::Other => AidCategory::Other,
                    },
                    aids: g
                        .aids
                        .iter()
                        .map(|a| a.iter().map(|b| format!("{b:02X}")).collect())
                        .collect(),
                })
                .collect(),
        }
    }
}

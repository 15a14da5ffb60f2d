//! The entities of a device token (payment spec §12.1) and the vocabulary of its life
//! cycle (§12.3).
//!
//! A **card reference** is the opaque server-side identity of the funding account (a PAR
//! or a token-service id) — never the real card number (SPAN): the device never holds it
//! (§12.4, §17.10). A **token** is the device card number (MPAN) with its expiry, PAN
//! sequence number, token reference and the card profile it is offered under. Its
//! **limited-use keys** (LUKs, §9.2) carry a key index and thresholds (count, lifetime,
//! cumulative amount). Secrets live in zeroizing types and every `Debug` here redacts them;
//! an MPAN prints as its last four digits only.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::fmt;

use zeroize::Zeroizing;

use crate::time::Timestamp;

/// Shortest and longest PAN (ISO/IEC 7812: 12 to 19 digits; EMV `5A` is `cn` up to 10 bytes).
pub const MPAN_DIGITS: std::ops::RangeInclusive<usize> = 12..=19;
/// Longest card reference kept (a PAR is 29 characters; token-service ids are shorter).
pub const MAX_CARD_REF_LEN: usize = 64;
/// Longest token reference kept.
pub const MAX_TOKEN_REF_LEN: usize = 64;
/// Length of a limited-use key: double-length TDES (§9.4).
pub const LUK_LEN: usize = 16;
/// Length of the key index carried in `9F10` (§9.4).
pub const KEY_INDEX_LEN: usize = 4;

/// Why a token entity is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenDataError {
    #[error("MPAN must be {min} to {max} decimal digits, got {0} characters", min = MPAN_DIGITS.start(), max = MPAN_DIGITS.end())]
    MpanLength(usize),
    #[error("MPAN must hold decimal digits only")]
    MpanNotDigits,
    #[error("MPAN fails the Luhn check")]
    MpanLuhn,
    #[error("expiry month must be 1 to 12, got {0}")]
    ExpiryMonth(u8),
    #[error("expiry year must be 2000 to 2099, got {0}")]
    ExpiryYear(u16),
    #[error("card reference must be 1 to {MAX_CARD_REF_LEN} printable ASCII characters")]
    CardRef,
    #[error("token reference must be 1 to {MAX_TOKEN_REF_LEN} printable ASCII characters")]
    TokenRef,
}

fn printable_ascii(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| (0x21..=0x7E).contains(&b))
}

/// The opaque reference of the funding account a token stands for (a PAR or a
/// token-service id; never the SPAN itself, §12.4). One token per card reference per device.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CardRef(String);

impl CardRef {
    pub fn new(reference: impl Into<String>) -> Result<CardRef, TokenDataError> {
        let reference = reference.into();
        if printable_ascii(&reference, MAX_CARD_REF_LEN) {
            Ok(CardRef(reference))
        } else {
            Err(TokenDataError::CardRef)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl fmt::Debug for CardRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardRef({})", self.0)
    }
}

/// The token service's reference of one token (unique per token, never reused after delete).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenId(String);

impl TokenId {
    pub fn new(reference: impl Into<String>) -> Result<TokenId, TokenDataError> {
        let reference = reference.into();
        if printable_ascii(&reference, MAX_TOKEN_REF_LEN) {
            Ok(TokenId(reference))
        } else {
            Err(TokenDataError::TokenRef)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenId({})", self.0)
    }
}
impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The device card number a terminal sees (MPAN / DPAN, §12.1). Validated digits; its
/// `Debug` and `Display` show only the last four (§17.10).
#[derive(Clone, PartialEq, Eq)]
pub struct Mpan(Zeroizing<String>);

impl Mpan {
    /// Parses 12–19 decimal digits that pass the Luhn check (ISO/IEC 7812-1 Annex B).
    pub fn new(digits: &str) -> Result<Mpan, TokenDataError> {
        if !MPAN_DIGITS.contains(&digits.len()) {
            return Err(TokenDataError::MpanLength(digits.len()));
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TokenDataError::MpanNotDigits);
        }
        if !luhn_valid(digits) {
            return Err(TokenDataError::MpanLuhn);
        }
        Ok(Mpan(Zeroizing::new(digits.to_owned())))
    }
    /// All digits: for building `5A` / `57` only, never for a log or an event.
    pub fn digits(&self) -> &str {
        &self.0
    }
    /// The last four digits (what events, logs and the app's card list show).
    pub fn last_four(&self) -> &str {
        let start = self.0.len().saturating_sub(4);
        self.0.get(start..).unwrap_or_default()
    }
    /// EMV `cn` encoding (`5A`): BCD, left-aligned, padded with `F` to a whole byte.
    pub fn to_cn(&self) -> Vec<u8> {
        let mut nibbles: Vec<u8> = self.0.bytes().map(|b| b.wrapping_sub(b'0')).collect();
        if nibbles.len() % 2 == 1 {
            nibbles.push(0x0F);
        }
        nibbles.chunks(2).map(|p| p.iter().fold(0u8, |acc, n| (acc << 4) | n)).collect()
    }
}
impl fmt::Debug for Mpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mpan(…{})", self.last_four())
    }
}
impl fmt::Display for Mpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "…{}", self.last_four())
    }
}

/// The Luhn (mod 10) check over decimal digits.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let d = u32::from(b.wrapping_sub(b'0'));
        let d = if i % 2 == 1 { d * 2 } else { d };
        sum = sum.wrapping_add(if d > 9 { d.wrapping_sub(9) } else { d });
    }
    sum % 10 == 0
}

/// Token expiry, year and month (`5F24` carries `YYMMDD` with the last day; `57` `YYMM`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expiry {
    year: u16,
    month: u8,
}

impl Expiry {
    pub fn new(year: u16, month: u8) -> Result<Expiry, TokenDataError> {
        if !(1..=12).contains(&month) {
            return Err(TokenDataError::ExpiryMonth(month));
        }
        if !(2000..=2099).contains(&year) {
            return Err(TokenDataError::ExpiryYear(year));
        }
        Ok(Expiry { year, month })
    }
    pub fn year(self) -> u16 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    /// `YYMM` as two BCD bytes (Track 2 equivalent data, `57`).
    pub fn yymm_bcd(self) -> [u8; 2] {
        [bcd((self.year % 100) as u8), bcd(self.month)]
    }
    /// `YYMMDD` with the month's last day, three BCD bytes (`5F24`).
    pub fn yymmdd_bcd(self) -> [u8; 3] {
        let [yy, mm] = self.yymm_bcd();
        [yy, mm, bcd(self.last_day())]
    }
    fn last_day(self) -> u8 {
        match self.month {
            4 | 6 | 9 | 11 => 30,
            2 if self.year % 4 == 0 => 29, // 2000–2099: every fourth year is a leap year
            2 => 28,
            _ => 31,
        }
    }
    /// Whether the token has expired at `now` (after the last second of its month, UTC).
    pub fn has_passed(self, now: Timestamp) -> bool {
        let (y, m) = if self.month == 12 {
            (i64::from(self.year).saturating_add(1), 1)
        } else {
            (i64::from(self.year), i64::from(self.month).saturating_add(1))
        };
        let first_of_next = crate::time::days_from_civil(y, m, 1).saturating_mul(86_400);
        now.secs() >= first_of_next
    }
}

fn bcd(v: u8) -> u8 {
    ((v / 10) << 4) | (v % 10)
}

/// What kind of funding account a token stands for (shown to the user; picks the AID).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Product {
    Debit,
    Credit,
    Prepaid,
}

/// How a token is offered to terminals: its AID and the FCI / PPSE data that depend on
/// the issuer's product (§4, §6.1–6.2). The wire layout is built by [`super::profile`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AidProfile {
    /// The application AID (5–16 bytes), e.g. `A000000333010102` for UnionPay credit.
    pub aid: Vec<u8>,
    /// Application label `50` (≤ 16 characters `ans`), shown by terminals.
    pub label: String,
    /// Kernel identifier `9F2A` for the PPSE entry (§4), when the profile names one.
    pub kernel_id: Option<u8>,
    /// Issuer country `5F28`, ISO 3166 numeric as 4 BCD digits (`0x0156` China).
    pub issuer_country: u16,
    /// When the user must be verified on the phone (§10).
    pub cvm_policy: CvmPolicy,
}

/// When the handset demands consumer-device verification (§10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CvmPolicy {
    /// Every transaction, whatever the amount (Huawei Pay, §10 [Seed-HW]).
    EveryTransaction,
    /// Only when the reader asks for a CVM (TTQ byte 2 bit 7, e.g. above its no-CVM
    /// limit); the amount decision stays with the terminal and the issuer (§10 [Seed-UP]).
    WhenReaderRequires,
}

/// One device token: the card data a terminal sees and how it is offered (§12.1). Its
/// life-cycle state and default flag live in [`super::lifecycle`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub id: TokenId,
    /// The funding account; at most one token per card reference per device (§12.2).
    pub card: CardRef,
    pub mpan: Mpan,
    pub expiry: Expiry,
    /// PAN sequence number `5F34`.
    pub psn: u8,
    pub product: Product,
    /// Token Requestor ID `9F19` (11 digits), when the profile sends it.
    pub token_requestor_id: Option<String>,
    /// Payment Account Reference `9F24` (29 characters), when the profile sends it.
    pub par: Option<String>,
    pub profile: AidProfile,
    /// Card art reference for the app (a URI or an asset id), never fetched by the core.
    pub card_art: Option<String>,
}

/// A limited-use key (§9.2): the LUK, the key index the issuer side regenerates it from,
/// and the thresholds beyond which it must not be used.
#[derive(Clone, PartialEq, Eq)]
pub struct LimitedUseKey {
    /// Double-length TDES key; in the generic profile it plays the ICC master key (§9.4).
    pub key: Zeroizing<[u8; LUK_LEN]>,
    /// Carried in `9F10` so the issuer side can regenerate the key (§9.2, §9.4).
    pub key_index: [u8; KEY_INDEX_LEN],
    /// When the token service made it (for the lifetime threshold).
    pub issued_at: Timestamp,
    pub thresholds: KeyThresholds,
}
impl fmt::Debug for LimitedUseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LimitedUseKey")
            .field("key", &"<redacted>")
            .field("key_index", &format_args!("{:02X?}", self.key_index))
            .field("issued_at", &self.issued_at)
            .field("thresholds", &self.thresholds)
            .finish()
    }
}

/// The limits of one LUK (§9.2, §14): the issuer side declines beyond them, so the phone
/// stops using the key there and asks for replenishment before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyThresholds {
    /// Transactions (GPOs that produced a cryptogram) one key may serve.
    pub max_transactions: u32,
    /// Seconds from `issued_at` after which the key is expired.
    pub lifetime_secs: i64,
    /// Sum of amounts (`9F02`, minor units) the key may authorise; `u64::MAX` for no limit.
    pub max_cumulative_amount: u64,
}

/// How much of a key has been used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct KeyUsage {
    pub transactions: u32,
    pub cumulative_amount: u64,
}

/// Whether a key may serve one more transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyBudget {
    /// Usable; `low` when the host should replenish now (§9.2: replenish early).
    Available { transactions_left: u32, low: bool },
    /// Count or amount threshold reached.
    Exhausted,
    /// Lifetime passed.
    Expired,
    /// The token has no key at all (never provisioned, or wiped).
    NoKey,
}

impl LimitedUseKey {
    /// The budget of this key after `usage`, at `now`; `low_at` transactions left or fewer
    /// (or a quarter of the lifetime left) counts as low.
    pub fn budget(&self, usage: KeyUsage, now: Timestamp, low_at: u32) -> KeyBudget {
        let age = now.secs().saturating_sub(self.issued_at.secs());
        if age >= self.thresholds.lifetime_secs || age < 0 {
            return KeyBudget::Expired;
        }
        if usage.transactions >= self.thresholds.max_transactions
            || usage.cumulative_amount >= self.thresholds.max_cumulative_amount
        {
            return KeyBudget::Exhausted;
        }
        let left = self.thresholds.max_transactions.saturating_sub(usage.transactions);
        let time_low = age.saturating_mul(4) >= self.thresholds.lifetime_secs.saturating_mul(3);
        KeyBudget::Available { transactions_left: left, low: left <= low_at || time_low }
    }
}

/// Application Transaction Counter (`9F36`): 2 bytes, strictly increasing per token,
/// never repeated (§6.3, §17.2). `0` is never used: the first GPO answers `0001`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Atc(pub u16);

impl Atc {
    /// The next value, or `None` when the counter is spent (`FFFF` used: the token can
    /// make no more cryptograms and must be re-provisioned).
    pub fn next(self) -> Option<Atc> {
        self.0.checked_add(1).map(Atc)
    }
    pub fn to_be_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
}

/// The four life-cycle states (§12.4). Deleted is terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenState {
    /// Loaded, waiting for activation (or for re-provisioning after a restore).
    Pending,
    Active,
    Suspended,
    Deleted,
}

/// Who started a life-cycle change (§12.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The user, in the wallet app or the bank's app (load, report lost, resume, delete).
    User,
    /// The issuer or token service, on this token (suspend, resume, update, delete).
    IssuerOnToken,
    /// The issuer, on the physical card: cascades to every token of the card reference.
    IssuerOnCard,
    /// The device was reported lost (server-driven).
    DeviceLost,
    /// The device was found again (server-driven).
    DeviceFound,
    /// The device's contents were wiped.
    DeviceWipe,
    /// The device was restored from a backup: keys are device-bound, tokens re-provision.
    DeviceRestore,
    /// The user signed out of the wallet account on this device.
    AccountSignOut,
    /// The device credential (screen lock, fingerprint) was removed: no CDCVM possible.
    DeviceCredentialRemoved,
}

/// Reason codes, the enumeration one token processor's API uses (§12.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReasonCode {
    Lost,
    Stolen,
    Fraudulent,
    Found,
    /// Fraud suspicion cleared.
    FraudCleared,
    AccountClosed,
    ConsumerDeleted,
    /// Card reissued or updated (new expiry, new keys, new art).
    Reissued,
    Other,
}

/// One entry of a token's transaction log, kept for replenishment evidence (§9.2, §13
/// step 3). Sensitive: encrypted at rest, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct TransactionLogEntry {
    pub atc: Atc,
    pub key_index: [u8; KEY_INDEX_LEN],
    /// Unpredictable number `9F37`.
    pub unpredictable_number: [u8; 4],
    /// Amount `9F02`, minor units.
    pub amount: u64,
    /// Currency `5F2A`, ISO 4217 numeric.
    pub currency: u16,
    /// Transaction date `9A`, `YYMMDD` BCD as the terminal sent it.
    pub date: [u8; 3],
    /// Transaction type `9C`.
    pub transaction_type: u8,
    /// Whether the cardholder was verified on the device for this transaction (§10).
    pub cdcvm: bool,
    /// The application cryptogram (`9F26`) when one was produced, with its type (CID).
    pub cryptogram: Option<([u8; 8], u8)>,
    /// When the phone answered.
    pub at: Timestamp,
}
impl fmt::Debug for TransactionLogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransactionLogEntry")
            .field("atc", &self.atc)
            .field("amount", &self.amount)
            .field("currency", &self.currency)
            .field("cdcvm", &self.cdcvm)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn mpan_is_validated_and_redacted() {
        let m = Mpan::new("6231000000000008").unwrap();
        assert_eq!(m.last_four(), "0008");
        assert_eq!(format!("{m:?}"), "Mpan(…0008)");
        assert_eq!(m.to_cn(), hex_literal::hex!("6231000000000008"));
        assert_eq!(Mpan::new("6231000000000009"), Err(TokenDataError::MpanLuhn));
        assert_eq!(Mpan::new("62310000000a0008"), Err(TokenDataError::MpanNotDigits));
        assert_eq!(Mpan::new("12345"), Err(TokenDataError::MpanLength(5)));
        // Odd length pads with F (cn).
        assert_eq!(Mpan::new("4111111111111111110").unwrap().to_cn().last(), Some(&0x0F));
    }

    #[test]
    fn expiry_encodes_and_expires() {
        let e = Expiry::new(2030, 12).unwrap();
        assert_eq!(e.yymm_bcd(), [0x30, 0x12]);
        assert_eq!(e.yymmdd_bcd(), [0x30, 0x12, 0x31]);
        assert_eq!(Expiry::new(2028, 2).unwrap().yymmdd_bcd(), [0x28, 0x02, 0x29]);
        let jan_2031 = Timestamp::from_secs(crate::time::days_from_civil(2031, 1, 1) * 86_400);
        assert!(e.has_passed(jan_2031));
        assert!(!e.has_passed(Timestamp::from_secs(jan_2031.secs() - 1)));
        assert_eq!(Expiry::new(2030, 13), Err(TokenDataError::ExpiryMonth(13)));
    }

    #[test]
    fn key_budget_follows_thresholds() {
        let key = LimitedUseKey {
            key: Zeroizing::new([0x11; 16]),
            key_index: [0, 1, 0, 0],
            issued_at: Timestamp::from_secs(1000),
            thresholds: KeyThresholds {
                max_transactions: 5,
                lifetime_secs: 400,
                max_cumulative_amount: 10_000,
            },
        };
        let at = Timestamp::from_secs(1100);
        let used = |t, a| KeyUsage { transactions: t, cumulative_amount: a };
        assert_eq!(
            key.budget(used(0, 0), at, 1),
            KeyBudget::Available { transactions_left: 5, low: false }
        );
        assert_eq!(
            key.budget(used(4, 0), at, 1),
            KeyBudget::Available { transactions_left: 1, low: true }
        );
        assert_eq!(key.budget(used(5, 0), at, 1), KeyBudget::Exhausted);
        assert_eq!(key.budget(used(1, 10_000), at, 1), KeyBudget::Exhausted);
        assert_eq!(key.budget(used(0, 0), Timestamp::from_secs(1400), 1), KeyBudget::Expired);
        assert!(matches!(
            key.budget(used(0, 0), Timestamp::from_secs(1300), 1),
            KeyBudget::Available { low: true, .. }
        ));
        assert!(!format!("{key:?}").contains("17"), "key bytes must not be printed");
    }

    #[test]
    fn atc_never_wraps() {
        assert_eq!(Atc(0).next(), Some(Atc(1)));
        assert_eq!(Atc(0xFFFF).next(), None);
    }
}

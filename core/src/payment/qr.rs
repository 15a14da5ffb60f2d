//! Paying by code: an EMVCo **consumer-presented QR** (EMV QRCPS, consumer-presented mode)
//! from the default token, with the same ATC and cryptogram rules as a tap (payment spec
//! §6.3, §10, §13, §17.2–17.3). Huawei Pay and UnionPay show such a code on the phone's
//! screen for the merchant's scanner.
//!
//! Layout (BER-TLV, then base64 for the QR code, as QRCPS prescribes):
//!
//! ```text
//! 85 "CPV01"                               payload format indicator
//! 61                                       application template
//!   4F AID · 50 label · 57 track 2 · 5A PAN · 5F34 PSN
//!   63                                     application specific transparent template
//!     9F26 AC · 9F27 CID · 9F10 IAD · 9F36 ATC · 82 AIP · 9F37 UN · 9A date
//! ```
//!
//! There is no terminal in consumer-presented mode, so the phone supplies what the MAC
//! covers (§9.4): amounts, TVR, currency and transaction type zero, terminal country = the
//! token's issuer country, the date and an unpredictable number generated on the phone —
//! the last two travel in `63` so the issuer side can recompute the AC. The AIP is `0000`.
//!
//! Rules, as for a tap: only the default Active token (or the one the user picked); its
//! expiry and key budget are checked before anything is spent; showing a code needs a
//! valid CDCVM window whatever the token's policy (the code is shown to whoever looks at
//! the screen, so the user must have verified; §10) and the cryptogram claims it; the ATC
//! is committed to the journal, with the cryptogram, **before** the code is returned.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use base64::Engine as _;

use super::cryptogram::{cid_of, CryptogramEngine, CryptogramError, CryptogramInput};
use super::dol::{tags, Dol};
use super::ports::{JournalError, PaymentJournal, TokenSource};
use super::profile::{track2_equivalent, ProfileSettings};
use super::token::{Atc, KeyBudget, TokenId, TransactionLogEntry};
use crate::ber_tlv::{Tag, Tlv};
use crate::events::CryptogramKind;
use crate::time::Timestamp;

/// Payload format indicator value (QRCPS: "CPV01").
pub const PAYLOAD_FORMAT_INDICATOR: &[u8] = b"CPV01";
/// `85` payload format indicator.
pub const TAG_PAYLOAD_FORMAT: Tag = Tag::constant(0x85);
/// `61` application template.
pub const TAG_APPLICATION_TEMPLATE: Tag = Tag::constant(0x61);
/// `63` application specific transparent template.
pub const TAG_TRANSPARENT_TEMPLATE: Tag = Tag::constant(0x63);
const TAG_AID: Tag = Tag::constant(0x4F);
const TAG_LABEL: Tag = Tag::constant(0x50);
const TAG_TRACK2: Tag = Tag::constant(0x57);
const TAG_PAN: Tag = Tag::constant(0x5A);
const TAG_PSN: Tag = Tag::constant(0x5F34);
const TAG_AC: Tag = Tag::constant(0x9F26);
const TAG_CID: Tag = Tag::constant(0x9F27);
const TAG_IAD: Tag = Tag::constant(0x9F10);
const TAG_ATC: Tag = Tag::constant(0x9F36);
const TAG_AIP: Tag = Tag::constant(0x82);
const QR_AIP: [u8; 2] = [0x00, 0x00];

/// Why no code was produced. Nothing was spent unless the journal said otherwise.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("no Active default token to pay with")]
    NoToken,
    #[error("the token's expiry date has passed")]
    TokenExpired,
    #[error("the token cannot pay now: keys {0:?}")]
    Keys(KeyBudget),
    #[error("verify on the phone first (a payment code needs CDCVM)")]
    VerificationRequired,
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Cryptogram(#[from] CryptogramError),
    #[error("payload encoding failed: {0}")]
    Encoding(String),
}

/// A consumer-presented payment code.
#[derive(Clone, PartialEq, Eq)]
pub struct QrPayload {
    /// The BER-TLV payload.
    pub bytes: Vec<u8>,
    pub token: TokenId,
    pub atc: Atc,
}

impl std::fmt::Debug for QrPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QrPayload").field("token", &self.token).field("atc", &self.atc).finish()
    }
}

impl QrPayload {
    /// The text the QR code carries: base64 of the payload (QRCPS).
    pub fn base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.bytes)
    }
}

fn bcd2(v: i64) -> u8 {
    let v = u8::try_from(v.rem_euclid(100)).unwrap_or(0);
    ((v / 10) << 4) | (v % 10)
}

/// Produces one code (see the module doc). `un` is the phone's unpredictable number.
pub fn present(
    tokens: &dyn TokenSource,
    journal: &dyn PaymentJournal,
    engine: &dyn CryptogramEngine,
    now: Timestamp,
    un: [u8; 4],
) -> Result<QrPayload, QrError> {
    let tap = tokens.offered(now).into_iter().next().ok_or(QrError::NoToken)?;
    let token = tap.token;
    if token.expiry.has_passed(now) {
        return Err(QrError::TokenExpired);
    }
    let current = tokens.current_key(&token.id, now);
    let key = match (&current.budget, current.key) {
        (KeyBudget::Available { .. }, Some(key)) => key,
        (budget, _) => return Err(QrError::Keys(*budget)),
    };
    if !tokens.verification(now).is_valid(now) {
        return Err(QrError::VerificationRequired);
    }
    let atc = journal.last_atc(&token.id)?.next().ok_or(JournalError::AtcSpent)?;

    let (y, m, d) = crate::time::civil_from_days(now.secs().div_euclid(86_400));
    let date = [bcd2(y), bcd2(m), bcd2(d)];
    let country = token.profile.issuer_country.to_be_bytes();
    let dol =
        Dol::new(engine.terminal_data().to_vec()).map_err(|e| QrError::Encoding(e.to_string()))?;
    let value = |tag: Tag| -> Option<&[u8]> {
        match tag {
            t if t == tags::TERMINAL_COUNTRY => Some(&country[..]),
            t if t == tags::DATE => Some(&date[..]),
            t if t == tags::UNPREDICTABLE_NUMBER => Some(&un[..]),
            _ => None,
        }
    };
    let data = dol.fill(value, |_| false);
    let terminal = dol.split(&data).map_err(|e| QrError::Encoding(e.to_string()))?;
    let cryptogram = engine.generate(&CryptogramInput {
        key: &key,
        atc,
        aip: QR_AIP,
        terminal: &terminal,
        cdcvm: true,
        kind: CryptogramKind::Arqc,
    })?;
    journal.commit(
        &token.id,
        &TransactionLogEntry {
            atc,
            key_index: key.key_index,
            unpredictable_number: un,
            amount: 0,
            currency: 0,
            date,
            transaction_type: 0,
            cdcvm: true,
            cryptogram: Some((cryptogram.ac, cid_of(CryptogramKind::Arqc))),
            at: now,
        },
    )?;

    let track2 = track2_equivalent(&token, &ProfileSettings::default())
        .map_err(|e| QrError::Encoding(e.to_string()))?;
    let prim = |tag: Tag, v: &[u8]| {
        Tlv::primitive(tag, v.to_vec()).map_err(|e| QrError::Encoding(e.to_string()))
    };
    let transparent = Tlv::constructed(
        TAG_TRANSPARENT_TEMPLATE,
        vec![
            prim(TAG_AC, &cryptogram.ac)?,
            prim(TAG_CID, &[cryptogram.cid])?,
            prim(TAG_IAD, &cryptogram.iad)?,
            prim(TAG_ATC, &atc.to_be_bytes())?,
            prim(TAG_AIP, &QR_AIP)?,
            prim(tags::UNPREDICTABLE_NUMBER, &un)?,
            prim(tags::DATE, &date)?,
        ],
    )
    .map_err(|e| QrError::Encoding(e.to_string()))?;
    let application = Tlv::constructed(
        TAG_APPLICATION_TEMPLATE,
        vec![
            prim(TAG_AID, &token.profile.aid)?,
            prim(TAG_LABEL, token.profile.label.as_bytes())?,
            prim(TAG_TRACK2, &track2)?,
            prim(TAG_PAN, &token.mpan.to_cn())?,
            prim(TAG_PSN, &[token.psn])?,
            transparent,
        ],
    )
    .map_err(|e| QrError::Encoding(e.to_string()))?;
    let mut bytes = prim(TAG_PAYLOAD_FORMAT, PAYLOAD_FORMAT_INDICATOR)?.encode();
    application.encode_into(&mut bytes);
    Ok(QrPayload { bytes, token: token.id, atc })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::ber_tlv::parse_all;
    use crate::payment::cryptogram::GenericProfile;
    use crate::payment::memory::InMemoryTokens;
    use crate::payment::ports::{CdcvmMethod, Verification};
    use crate::payment::sample::{sample_keys, sample_token};

    fn now() -> Timestamp {
        Timestamp::from_secs(1_800_000_000)
    }

    #[test]
    fn a_code_spends_one_atc_and_needs_verification() {
        let t = InMemoryTokens::default();
        t.provision(sample_token(0), sample_keys(0, 1, 2, now()), true, now()).unwrap();
        let un = [1, 2, 3, 4];
        assert_eq!(present(&t, &t, &GenericProfile, now(), un), Err(QrError::VerificationRequired));
        t.set_verification(Verification {
            until: Some(now().plus_millis(60_000)),
            method: Some(CdcvmMethod::Biometric),
        });
        let qr = present(&t, &t, &GenericProfile, now(), un).unwrap();
        assert_eq!(qr.atc, Atc(1));
        let tree = parse_all(&qr.bytes).unwrap();
        assert_eq!(tree[0].bytes(), Some(PAYLOAD_FORMAT_INDICATOR));
        let app = &tree[1];
        assert_eq!(app.find(TAG_AID).unwrap().bytes(), Some(&sample_token(0).profile.aid[..]));
        let atc = app.find(TAG_TRANSPARENT_TEMPLATE).unwrap().find(TAG_ATC).unwrap();
        assert_eq!(atc.bytes(), Some(&[0, 1][..]));
        assert_eq!(t.log(&sample_token(0).id).len(), 1, "committed before the code left");
        // The second code spends the next ATC; then the key (2 uses) is exhausted.
        assert_eq!(present(&t, &t, &GenericProfile, now(), un).unwrap().atc, Atc(2));
        assert_eq!(
            present(&t, &t, &GenericProfile, now(), un),
            Err(QrError::Keys(KeyBudget::Exhausted))
        );
        assert!(!qr.base64().is_empty());
    }
}

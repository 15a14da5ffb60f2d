//! Answers to the two SELECTs: the OSE.VAS.01 FCI (spec §6.1) and the Smart Tap 2
//! version + `mdn` answer (spec §6.2).
//!
//! The FCI is BER-TLV. Only writing is needed here, and only the handful of tags of
//! §6.1, so a ten-line writer is used instead of a codec: definite lengths in short form
//! below 128 and `81`/`82` long forms above, single-byte tags except `BF0C`/`DFxx`, as
//! Google's sample reader requires (§13 item 1).

use crate::ndef::{Message, Record, Tnf};

use super::records::{name, FORMAT_BINARY, MAX_VERSION, MIN_VERSION};
use super::{SmartTapConfig, ST2_AID};

/// FCI tags (spec §6.1).
mod tag {
    pub const FCI_TEMPLATE: &[u8] = &[0x6F];
    pub const LABEL: &[u8] = &[0x50];
    pub const APP_VERSION: &[u8] = &[0xC0];
    pub const TRANSACTION_MODE: &[u8] = &[0xC1];
    pub const NONCE: &[u8] = &[0xC2];
    pub const EPHEMERAL_KEY: &[u8] = &[0xC3];
    pub const PROPRIETARY: &[u8] = &[0xA5];
    pub const ISSUER_DISCRETIONARY: &[u8] = &[0xBF, 0x0C];
    pub const DIRECTORY_ENTRY: &[u8] = &[0x61];
    pub const AID: &[u8] = &[0x4F];
    pub const PRIORITY: &[u8] = &[0x87];
    pub const DISCRETIONARY: &[u8] = &[0x73];
    pub const MIN_VERSION: &[u8] = &[0xDF, 0x6D];
    pub const MAX_VERSION: &[u8] = &[0xDF, 0x4D];
    pub const CAPABILITIES: &[u8] = &[0xDF, 0x62];
}

/// Application version in `C0` (Smart Tap 2.1).
const APP_VERSION: [u8; 2] = [0x00, 0x01];
/// Priority of the Smart Tap directory entry (`87`).
const PRIORITY: u8 = 0x01;

/// Appends one TLV with a definite length.
fn tlv(out: &mut Vec<u8>, tag: &[u8], value: &[u8]) {
    out.extend_from_slice(tag);
    let len = value.len();
    if let Ok(short) = u8::try_from(len) {
        if short < 0x80 {
            out.push(short);
        } else {
            out.extend_from_slice(&[0x81, short]);
        }
    } else {
        let two = u16::try_from(len).unwrap_or(u16::MAX);
        out.push(0x82);
        out.extend_from_slice(&two.to_be_bytes());
    }
    out.extend_from_slice(value);
}

/// The SELECT OSE.VAS.01 answer data (without SW); `transaction_mode` is `C1` byte 0
/// (the configured mode plus the payment bits of this SELECT).
pub fn ose_fci(
    config: &SmartTapConfig,
    transaction_mode: u8,
    nonce: &[u8; 32],
    ephemeral: &[u8; 33],
) -> Vec<u8> {
    let mut discretionary = Vec::with_capacity(16);
    tlv(&mut discretionary, tag::MIN_VERSION, &MIN_VERSION);
    tlv(&mut discretionary, tag::MAX_VERSION, &MAX_VERSION);
    tlv(&mut discretionary, tag::CAPABILITIES, &[config.capabilities]);

    let mut entry = Vec::with_capacity(32);
    tlv(&mut entry, tag::AID, ST2_AID);
    tlv(&mut entry, tag::PRIORITY, &[PRIORITY]);
    tlv(&mut entry, tag::DISCRETIONARY, &discretionary);

    let mut directory = Vec::with_capacity(34);
    tlv(&mut directory, tag::DIRECTORY_ENTRY, &entry);
    let mut bf0c = Vec::with_capacity(36);
    tlv(&mut bf0c, tag::ISSUER_DISCRETIONARY, &directory);

    let mut mode = [0u8; 8];
    let (first, rest) = mode.split_at_mut(1);
    first.copy_from_slice(&[transaction_mode]);
    rest.copy_from_slice(&config.c1_trailing);

    let mut body = Vec::with_capacity(160);
    tlv(&mut body, tag::LABEL, config.wallet_label.as_bytes());
    tlv(&mut body, tag::APP_VERSION, &APP_VERSION);
    tlv(&mut body, tag::TRANSACTION_MODE, &mode);
    tlv(&mut body, tag::NONCE, nonce);
    tlv(&mut body, tag::EPHEMERAL_KEY, ephemeral);
    tlv(&mut body, tag::PROPRIETARY, &bf0c);

    let mut out = Vec::with_capacity(body.len().saturating_add(4));
    tlv(&mut out, tag::FCI_TEMPLATE, &body);
    out
}

/// The SELECT Smart Tap 2 answer data: min version, max version, NDEF[`mdn`] with the
/// handset nonce in both type and ID (header `DC`, spec §4.2, §6.2).
pub fn st2_answer(nonce: &[u8; 32]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(33);
    payload.push(FORMAT_BINARY);
    payload.extend_from_slice(nonce);
    let mdn = Message::new(vec![Record::new(Tnf::External, name::MDN, name::MDN, payload)]);
    let mut out = Vec::with_capacity(48);
    out.extend_from_slice(&MIN_VERSION);
    out.extend_from_slice(&MAX_VERSION);
    mdn.encode_into(&mut out);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn tlv_lengths() {
        let mut out = Vec::new();
        tlv(&mut out, &[0x50], &[1; 127]);
        assert_eq!(&out[..2], &[0x50, 127]);
        out.clear();
        tlv(&mut out, &[0x50], &[1; 128]);
        assert_eq!(&out[..3], &[0x50, 0x81, 128]);
        out.clear();
        tlv(&mut out, &[0xBF, 0x0C], &[1; 300]);
        assert_eq!(&out[..5], &[0xBF, 0x0C, 0x82, 0x01, 0x2C]);
        assert_eq!(out.len(), 305);
    }
}

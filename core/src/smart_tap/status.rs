//! Smart Tap status words (spec §8), named once. The ISO/IEC 7816-4 words the applet
//! also uses (`6A82`, `6B00`, `6D00`, `6E00`) live in [`crate::apdu::sw`].
//!
//! Google's rule: SW1 tells the terminal what to do (`90`/`91` success, `92` transient,
//! `93` user action, `94` terminal error, `95` permanent error); SW2 is detail. The
//! 92xx–95xx detail codes are K-reader's names (spec §8 table).

use crate::apdu::StatusWord;

/// Success (SELECT ready, NEGOTIATE live-authenticated, GET DATA complete, PUSH done).
pub const OK: StatusWord = StatusWord(0x9000);
/// Success, no pass sent (GET DATA: nothing eligible / not authenticated for this request).
pub const NO_PASSES: StatusWord = StatusWord(0x9001);
/// GET DATA: pass sent, payment not ready (pass-and-payment terminals, spec §8).
pub const PASS_PAYMENT_NOT_READY: StatusWord = StatusWord(0x9101);
/// GET DATA: no pass, payment not ready (spec §8).
pub const NO_PASS_PAYMENT_NOT_READY: StatusWord = StatusWord(0x9102);
/// NEGOTIATE: authenticated with a pre-signed (non-live) signature.
pub const PRE_SIGNED: StatusWord = StatusWord(0x9002);
/// More data available: send GET MORE SMART TAP DATA (spec §6.5; not `9091`, §14).
pub const MORE_DATA: StatusWord = StatusWord(0x9100);
/// Transient execution failure (e.g. a PUSH DATA that could not be saved): the terminal
/// retries (spec §8, `92xx`).
pub const EXECUTION_FAILURE: StatusWord = StatusWord(0x9203);
/// User action needed: unlock the device.
pub const DEVICE_LOCKED: StatusWord = StatusWord(0x9300);
/// User action needed: choose a pass in the chooser and tap again.
pub const CHOOSER_REQUIRED: StatusWord = StatusWord(0x9302);
/// Command not valid in this state (or unknown Smart Tap instruction, spec §6.7).
pub const INVALID_STATE: StatusWord = StatusWord(0x9400);
/// The command data could not be parsed.
pub const PARSE_FAILURE: StatusWord = StatusWord(0x9402);
/// Invalid cryptographic input (K-reader's name). Not sent by NEGOTIATE: a terminal
/// ephemeral key that is not a P-256 point answers [`AUTH_FAILED`] like every other
/// refusal, so that the answer does not depend on what the wallet holds (issue 12).
pub const INVALID_CRYPTO_INPUT: StatusWord = StatusWord(0x9403);
/// GET MORE DATA with nothing pending.
pub const NO_MORE_DATA: StatusWord = StatusWord(0x9404);
/// GET MORE DATA after the last chunk was sent.
pub const ALL_DATA_SENT: StatusWord = StatusWord(0x9405);
/// Too many requests (here: the failed-NEGOTIATE budget is spent, see
/// [`super::budget`]).
pub const TOO_MANY_REQUESTS: StatusWord = StatusWord(0x9406);
/// Authentication failed: every NEGOTIATE refusal after parsing — no redeemable pass,
/// unknown collector/key version, malformed terminal key, bad signature, refused mode.
pub const AUTH_FAILED: StatusWord = StatusWord(0x9500);
/// Smart Tap version not supported (container version other than `0001`).
pub const VERSION_NOT_SUPPORTED: StatusWord = StatusWord(0x9502);

//! The status words the NFC pass applet answers beyond [`crate::apdu::sw`], named once
//! (ISO/IEC 7816-4 §5.6, tables 5–6).

use crate::apdu::StatusWord;

/// `6282`: end of file reached before reading Ne bytes (the data that exists is sent).
pub const END_OF_FILE: StatusWord = StatusWord(0x6282);
/// SW1 of `63Cx`: verification failed, `x` tries left.
pub const COUNTER_SW1: u8 = 0x63;
/// `6581`: memory failure — the write could not be made durable, nothing was acknowledged.
pub const MEMORY_FAILURE: StatusWord = StatusWord(0x6581);
/// `6983`: authentication method blocked (the key's tries are spent).
pub const AUTH_BLOCKED: StatusWord = StatusWord(0x6983);
/// `6986`: command not allowed, no current EF.
pub const NO_CURRENT_EF: StatusWord = StatusWord(0x6986);
/// `6A81`: function not supported (short EF identifiers in READ/UPDATE BINARY P1).
pub const FUNCTION_NOT_SUPPORTED: StatusWord = StatusWord(0x6A81);
/// `6A88`: referenced data not found (an unknown key number).
pub const REFERENCED_DATA_NOT_FOUND: StatusWord = StatusWord(0x6A88);

/// `63Cx` for `remaining` tries left (capped at 15).
pub fn counter(remaining: u8) -> StatusWord {
    StatusWord(u16::from_be_bytes([COUNTER_SW1, 0xC0 | remaining.min(0x0F)]))
}

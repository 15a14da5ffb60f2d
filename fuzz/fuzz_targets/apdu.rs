//! Command and response APDUs: parsing never panics, and whatever parses re-encodes to
//! the same bytes (ISO/IEC 7816-4 §5.1; `core::apdu`).
#![no_main]

use hce_wallet_core::apdu::{Command, Response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cmd) = Command::parse(data) {
        assert_eq!(cmd.encode().as_deref(), Ok(data), "C-APDU round trip");
        assert!(cmd.ne() >= 1 && cmd.ne() <= 65536);
        let _ = cmd.is_select_by_name();
    }
    if let Some(r) = Response::parse(data) {
        assert_eq!(r.to_bytes(), data, "R-APDU round trip");
    }
});

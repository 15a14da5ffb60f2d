//! NDEF: strict parsing never panics and re-encodes byte-exact, at the top level and in
//! every nested message reachable through record payloads (offsets 0, 1, 2 and 70 are
//! where Smart Tap containers start their inner message; depth capped by the parser).
#![no_main]

use hce_wallet_core::ndef::Message;
use libfuzzer_sys::fuzz_target;

fn descend(message: &Message, depth: usize) {
    for record in &message.records {
        for offset in [0, 1, 2, 70] {
            if let Ok(inner) = record.nested(offset, depth) {
                assert_eq!(inner.encode(), record.payload[offset..], "nested round trip");
                descend(&inner, depth + 1);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = Message::parse(data) {
        assert_eq!(message.encode(), data, "NDEF round trip");
        assert_eq!(message.try_encode().as_deref(), Ok(data));
        descend(&message, 0);
    }
});

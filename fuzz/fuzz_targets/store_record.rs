//! Fuzzes the store's record decoder (envelope + CBOR of every record type).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hce_wallet_store::fuzzing::decode_record(data);
});

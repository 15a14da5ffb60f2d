//! Fuzzes opening arbitrary bytes as a store file (redb in memory) and reading it all.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hce_wallet_store::fuzzing::open_file_bytes(data);
});

//! BER-TLV: strict decoding never panics and is canonical (what parses re-encodes to the
//! same bytes); the padding-tolerant decoder and the DOL reader never panic either.
#![no_main]

use hce_wallet_core::ber_tlv::{self, DecodeOptions, Tlv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(objects) = ber_tlv::parse_all(data) {
        assert_eq!(ber_tlv::encode_all(&objects), data, "strict TLV round trip");
        for o in &objects {
            assert_eq!(o.encoded_len(), Some(o.encode().len()));
            let _ = o.find_recursive(o.tag());
        }
    }
    if let Ok(one) = Tlv::parse(data) {
        assert_eq!(one.encode(), data);
    }
    let lenient = DecodeOptions { skip_padding: true, ..DecodeOptions::default() };
    if let Ok(objects) = ber_tlv::parse_all_with(data, &lenient) {
        // Re-encoding drops padding: the result must parse strictly to the same tree.
        let bytes = ber_tlv::encode_all(&objects);
        if !bytes.is_empty() {
            assert_eq!(ber_tlv::parse_all(&bytes).ok(), Some(objects));
        }
    }
    if let Ok(dol) = ber_tlv::parse_dol(data) {
        assert_eq!(ber_tlv::encode_dol(&dol), data, "DOL round trip");
    }
});

//! The NFC pass importers (issue 15) on hostile bytes: Huawei `HwWalletObject` JSON, the
//! Google generic object with the `hceWalletNfc` extension, and the fixture form. Never a panic; whatever is accepted is a pass the applet can serve (the
//! model's rules hold), and an error message never carries the input's key bytes.
#![no_main]

use hce_wallet_core::nfc_pass::model::{Access, AID_LEN};
use hce_wallet_core::nfc_pass::{fixture, google, huawei};
use libfuzzer_sys::fuzz_target;

fn check(pass: &hce_wallet_core::nfc_pass::model::NfcPass) {
    assert!(AID_LEN.contains(&pass.aid.as_bytes().len()));
    for f in pass.files() {
        for a in [f.read, f.write] {
            if let Access::Key(k) = a {
                assert!(pass.key(k).is_some(), "file {} names a missing key", f.id);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    match huawei::import_json(data) {
        Ok(hw) => check(&hw.pass),
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Ok(pass) = fixture::parse(data) {
        check(&pass);
    }
    if let Ok(pass) = google::import_generic_object(data) {
        check(&pass);
    }
});

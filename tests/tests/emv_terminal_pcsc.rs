//! The reference EMV terminal (`hce_wallet_harness::emv_terminal`) over PC/SC, against a
//! live card: run by `scripts/test-pay-readers.sh` with `EMV_TERMINAL_READER` (the PC/SC
//! reader name), `EMV_TERMINAL_LUK` (hex) and `EMV_TERMINAL_LAST4` set; a plain
//! `cargo test` has no reader and skips it (it prints why). Against the replay card the
//! cryptograms come from pyemv, so this checks the terminal's own MAC code against it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hce_wallet_harness::emv_terminal::{verify, CryptogramSource, Terminal, TerminalParams};
use hce_wallet_harness::pcsc::PcscCard;

#[test]
fn reference_terminal_taps_a_live_card() {
    let Ok(reader) = std::env::var("EMV_TERMINAL_READER") else {
        eprintln!("skipped: EMV_TERMINAL_READER not set (scripts/test-pay-readers.sh sets it)");
        return;
    };
    let luk: [u8; 16] = hex::decode(std::env::var("EMV_TERMINAL_LUK").expect("EMV_TERMINAL_LUK"))
        .expect("LUK hex")
        .try_into()
        .expect("16-byte LUK");
    let last4 = std::env::var("EMV_TERMINAL_LAST4").expect("EMV_TERMINAL_LAST4");
    let mut card = PcscCard::connect(Some(&reader)).expect("connect");
    // A fresh unpredictable number per run, so a replayed answer cannot pass.
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let params = TerminalParams { un: nanos.to_be_bytes(), ..TerminalParams::default() };
    let result =
        Terminal::new(&mut card, params).run().unwrap_or_else(|e| panic!("tap failed: {e}"));
    for e in &result.transcript {
        println!(
            "{:<28} > {}  < {} {:04X}",
            e.note,
            hex::encode_upper(&e.command),
            hex::encode_upper(&e.response),
            e.sw
        );
    }
    assert!(
        result.pan.ends_with(&last4),
        "PAN ...{}",
        &result.pan[result.pan.len().saturating_sub(4)..]
    );
    assert!(!result.cryptograms.is_empty());
    verify(&result, &luk).unwrap_or_else(|e| panic!("cryptogram: {e}"));
    // A wrong key must not verify (bit 2: bit 1 is DES parity).
    let mut wrong = luk;
    wrong[0] ^= 0x02;
    assert!(verify(&result, &wrong).is_err());
    let sources: Vec<CryptogramSource> = result.cryptograms.iter().map(|c| c.source).collect();
    println!("verified {sources:?}, ATC {:04X}, AC {}", result.atc, hex::encode_upper(result.ac));
}

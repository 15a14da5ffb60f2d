//! `hcectl tap --pay`: one payment tap by the independent reference EMV terminal
//! ([`crate::emv_terminal`]): PPSE → SELECT → GPO with a filled PDOL → READ RECORD (→
//! GENERATE AC), the transcript printed exchange by exchange, then the cryptogram verified
//! against the token's LUK (payment spec §9.4). The LUK is `--luk`, else the demo issuer's
//! key for the key index the card sent in `9F10` ([`crate::demo_pay::demo_luk`]).

use std::io::Write;

use crate::card::Card;
use crate::demo_pay::{demo_luk, key_index_of_iad};
use crate::emv_terminal::{verify, EmvResult, Terminal, TerminalParams};

use super::tap::TapCliError;

/// Today's date as `YYMMDD` BCD and a fresh unpredictable number.
pub fn todays_params() -> TerminalParams {
    use hce_wallet_core::ports::{Clock, OsRandom, RandomSource};
    let now = crate::demo_wallet::SystemClock.now();
    let (y, m, d) = hce_wallet_core::time::civil_from_days(now.secs().div_euclid(86_400));
    let bcd = |v: i64| {
        let v = u8::try_from(v.rem_euclid(100)).unwrap_or(0);
        ((v / 10) << 4) | (v % 10)
    };
    let mut un = [0u8; 4];
    OsRandom.fill(&mut un);
    TerminalParams { date: [bcd(y), bcd(m), bcd(d)], un, ..TerminalParams::default() }
}

fn print_transcript(
    result_transcript: &[crate::emv_terminal::Exchange],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for x in result_transcript {
        writeln!(out, ">> {}", hex::encode_upper(&x.command))?;
        writeln!(out, "<< {} {:04X}", hex::encode_upper(&x.response), x.sw)?;
        writeln!(out, "   {}", x.note)?;
    }
    Ok(())
}

/// Runs one payment tap on `card` and verifies its cryptogram. Exit status 0 when it
/// verified, 1 when the tap failed or the cryptogram did not verify.
pub fn pay_once(
    card: &mut dyn Card,
    params: TerminalParams,
    luk: Option<[u8; 16]>,
    out: &mut dyn Write,
) -> Result<u8, TapCliError> {
    let result: EmvResult = match Terminal::new(card, params).run() {
        Ok(r) => r,
        Err(e) => {
            writeln!(out, "payment tap failed: {e}")?;
            return Ok(1);
        }
    };
    print_transcript(&result.transcript, out)?;
    let last4 = result.pan.get(result.pan.len().saturating_sub(4)..).unwrap_or("");
    writeln!(
        out,
        "token …{last4} (AID {}), ATC {:04X}, AC {} (CID {:02X}), CTQ {}",
        hex::encode_upper(&result.aid),
        result.atc,
        hex::encode_upper(result.ac),
        result.cid,
        result.ctq.map(hex::encode_upper).unwrap_or_else(|| "-".into()),
    )?;
    let key = luk.or_else(|| result.iad.as_deref().and_then(key_index_of_iad).and_then(demo_luk));
    let Some(key) = key else {
        writeln!(out, "cannot verify: no LUK for this key index (give --luk)")?;
        return Ok(1);
    };
    match verify(&result, &key) {
        Ok(()) => {
            writeln!(
                out,
                "cryptogram verified ({} cryptogram(s), generic profile §9.4)",
                result.cryptograms.len()
            )?;
            Ok(0)
        }
        Err(e) => {
            writeln!(out, "cryptogram NOT verified: {e}")?;
            Ok(1)
        }
    }
}

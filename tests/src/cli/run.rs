//! `hcectl run SCRIPT [--pcsc [READER]]`: runs an APDU script (format: [`crate::script`])
//! against the core in-process, or against the card in a PC/SC reader, and prints the
//! annotated transcript. Exit status: 0 every expectation held, 1 a mismatch (the diff
//! is printed), 2 the script or the card could not be used.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use hce_wallet_core::apdu::{StatusWord, CLA_ISO, INS_SELECT, SELECT_BY_NAME};
use hce_wallet_core::smart_tap::{
    CLA_SMART_TAP, INS_GET_DATA, INS_GET_MORE_DATA, INS_NEGOTIATE, INS_PUSH_DATA,
};

use crate::card::{Card, RouterCard};
use crate::cli::{CardFactory, CardOptions, CliError};
use crate::pcsc::PcscCard;
use crate::script::{Annotator, Script};
use crate::terminal::{sw_meaning, Step};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The APDU script (`-` reads standard input)
    pub script: PathBuf,
    /// Run against a PC/SC card: the first reader with a card, or the first whose name
    /// contains READER (without READER, put --pcsc after SCRIPT)
    #[arg(long, value_name = "READER", num_args = 0..=1, default_missing_value = "")]
    pub pcsc: Option<String>,
    /// Go on after a mismatch instead of stopping at the first one
    #[arg(long)]
    pub keep_going: bool,
    /// In-process only: serve this wallet store
    #[arg(long, value_name = "PATH", conflicts_with = "pcsc")]
    pub store: Option<PathBuf>,
    #[command(flatten)]
    pub pay: crate::demo_pay::PayOptions,
    /// Serve these issuer NFC pass fixtures (JSON) instead of the demo door key
    #[arg(long, value_name = "PATH")]
    pub nfc: Vec<PathBuf>,
    /// Serve the shared e2e Smart Tap vector's wallet (transport tests)
    #[arg(long, hide = true, conflicts_with_all = ["pcsc", "store"])]
    pub vector_wallet: bool,
}

pub fn run(args: &RunArgs, factory: CardFactory<'_>) -> Result<ExitCode, CliError> {
    let name = args.script.display().to_string();
    let text = if name == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        text
    } else {
        std::fs::read_to_string(&args.script)
            .map_err(|e| CliError::Usage(format!("{name}: {e}")))?
    };
    let script = Script::parse(&text)
        .map_err(|e| CliError::Usage(format!("{name}:{}:{}: {}", e.line, e.column, e.kind)))?;
    let mut card: Box<dyn Card> = match &args.pcsc {
        Some(reader) => {
            let card = PcscCard::connect(Some(reader.as_str()).filter(|r| !r.is_empty()))?;
            eprintln!("hcectl run: PC/SC reader {:?}", card.reader());
            Box::new(card)
        }
        None => Box::new(RouterCard::new(factory(&CardOptions {
            store: args.store.clone(),
            vector_wallet: args.vector_wallet,
            pay: args.pay.clone(),
            nfc: args.nfc.clone(),
        })?)),
    };
    let transcript = script.run(card.as_mut(), args.keep_going);
    let mut out = std::io::stdout().lock();
    out.write_all(transcript.render(&BasicNotes).as_bytes())?;
    out.flush()?;
    if let Some((step, e)) = &transcript.error {
        return Err(CliError::Usage(format!("{name}:{}: {e}", step.line)));
    }
    Ok(if transcript.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Names the command and the status word; a stand-in until the trace decoder is wired in.
pub struct BasicNotes;

impl Annotator for BasicNotes {
    fn command(&self, apdu: &[u8]) -> Vec<String> {
        let [cla, ins, p1, p2, rest @ ..] = apdu else {
            return vec!["(shorter than a command header)".into()];
        };
        let name = match (*cla, *ins, *p1) {
            (CLA_ISO, INS_SELECT, SELECT_BY_NAME) => {
                let aid = rest.get(1..).unwrap_or_default();
                let aid = aid.get(..usize::from(rest.first().copied().unwrap_or(0))).unwrap_or(aid);
                let text: String = aid
                    .iter()
                    .map(|&b| if b.is_ascii_graphic() { char::from(b) } else { '.' })
                    .collect();
                format!("SELECT by name, AID {} \"{text}\"", hex::encode_upper(aid))
            }
            (CLA_SMART_TAP, INS_NEGOTIATE, _) => Step::Negotiate.name().into(),
            (CLA_SMART_TAP, INS_GET_DATA, _) => Step::GetData.name().into(),
            (CLA_SMART_TAP, INS_GET_MORE_DATA, _) => Step::GetMoreData.name().into(),
            (CLA_SMART_TAP, INS_PUSH_DATA, _) => Step::PushData.name().into(),
            _ => format!("CLA {cla:02X} INS {ins:02X} P1 {p1:02X} P2 {p2:02X}"),
        };
        vec![format!("{name}, {} bytes", apdu.len())]
    }

    fn response(&self, _command: &[u8], response: &[u8]) -> Vec<String> {
        let Some((data, sw)) = response.split_last_chunk::<2>() else {
            return vec!["(no status word)".into()];
        };
        let sw = StatusWord(u16::from_be_bytes(*sw));
        vec![format!("SW {sw} {}, {} data bytes", sw_meaning(sw), data.len())]
    }
}

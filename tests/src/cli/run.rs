//! `hcectl run SCRIPT [--pcsc [READER]]`: runs an APDU script (format: [`crate::script`])
//! against the core in-process, or against the card in a PC/SC reader, and prints the
//! annotated transcript. Exit status: 0 every expectation held, 1 a mismatch (the diff
//! is printed), 2 the script or the card could not be used.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::card::{Card, RouterCard};
use crate::cli::{CardFactory, CardOptions, CliError};
use crate::pcsc::PcscCard;
use crate::script::{Annotator, Script};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The APDU script (`-` reads standard input)
    pub script: PathBuf,
    /// Run against a PC/SC card: the first reader with a card, or the one whose name
    /// contains READER
    #[arg(long, value_name = "READER", num_args = 0..=1, default_missing_value = "")]
    pub pcsc: Option<String>,
    /// Go on after a mismatch instead of stopping at the first one
    #[arg(long)]
    pub keep_going: bool,
    /// In-process only: serve this wallet store
    #[arg(long, value_name = "PATH", conflicts_with = "pcsc")]
    pub store: Option<PathBuf>,
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
        None => Box::new(RouterCard::new(factory(&CardOptions { store: args.store.clone() })?)),
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
        let name = match (cla, ins, p1) {
            (0x00, 0xA4, 0x04) => {
                let aid = rest.get(1..).unwrap_or_default();
                let aid = aid.get(..usize::from(rest.first().copied().unwrap_or(0))).unwrap_or(aid);
                let text: String = aid
                    .iter()
                    .map(|&b| if b.is_ascii_graphic() { char::from(b) } else { '.' })
                    .collect();
                format!("SELECT by name, AID {} \"{text}\"", hex::encode_upper(aid))
            }
            (0x00, 0xA4, _) => "SELECT".into(),
            (0x00, 0xC0, _) => "GET RESPONSE".into(),
            (0x00, 0xB0, _) => "READ BINARY".into(),
            (0x00, 0xB2, _) => "READ RECORD".into(),
            (0x90, 0x53, _) => "NEGOTIATE SECURE SMART TAP SESSION".into(),
            (0x90, 0x50, _) => "GET SMART TAP DATA".into(),
            (0x90, 0xC0, _) => "GET MORE SMART TAP DATA".into(),
            (0x90, 0x52, _) => "PUSH SMART TAP DATA".into(),
            _ => format!("CLA {cla:02X} INS {ins:02X} P1 {p1:02X} P2 {p2:02X}"),
        };
        vec![format!("{name}, {} bytes", apdu.len())]
    }

    fn response(&self, _command: &[u8], response: &[u8]) -> Vec<String> {
        let Some((data, [sw1, sw2])) = response.split_last_chunk::<2>() else {
            return vec!["(no status word)".into()];
        };
        let meaning = match (sw1, sw2) {
            (0x90, 0x00) => "success",
            (0x90, 0x01) => "success, no passes",
            (0x90, 0x02) => "success, pre-signed authentication",
            (0x91, 0x00) => "more data: send GET MORE DATA",
            (0x92, _) => "transient failure, terminal may retry",
            (0x93, _) => "user action needed",
            (0x94, _) => "terminal error",
            (0x95, _) => "permanent error",
            (0x61, _) => "more data: send GET RESPONSE",
            (0x67, 0x00) => "wrong length",
            (0x69, 0x82) => "security status not satisfied",
            (0x69, 0x85) => "conditions of use not satisfied",
            (0x6A, 0x80) => "wrong data",
            (0x6A, 0x82) => "application not found",
            (0x6A, 0x86) => "incorrect P1-P2",
            (0x6B, 0x00) => "wrong P1-P2",
            (0x6D, 0x00) => "instruction not supported",
            (0x6E, 0x00) => "class not supported",
            (0x6F, 0x00) => "no precise diagnosis",
            _ => "",
        };
        vec![format!("SW {sw1:02X}{sw2:02X} {meaning}, {} data bytes", data.len())]
    }
}

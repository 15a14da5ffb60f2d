//! `hcectl decode HEX…`: an annotated reading of an APDU, BER-TLV or NDEF message
//! (see [`crate::decode`]). Arguments are joined, so a trace can be pasted with spaces.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::CliResult;
use crate::decode::{decode, Kind};

#[derive(Args, Debug)]
pub struct DecodeArgs {
    /// The bytes in hex; several arguments are joined. Spaces and ':' are ignored.
    #[arg(required = true, value_name = "HEX")]
    pub hex: Vec<String>,
    /// How to read the bytes (default: guess).
    #[arg(long = "as", value_enum, default_value_t = As::Auto)]
    pub kind: As,
}

/// `--as` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum As {
    Auto,
    /// A command APDU.
    Capdu,
    /// A response APDU (data and status word).
    Rapdu,
    /// BER-TLV objects.
    Tlv,
    /// An NDEF message.
    Ndef,
    /// The data of the Smart Tap 2 SELECT answer (versions + NDEF).
    St2Select,
}

impl From<As> for Kind {
    fn from(a: As) -> Kind {
        match a {
            As::Auto => Kind::Auto,
            As::Capdu => Kind::Command,
            As::Rapdu => Kind::Response,
            As::Tlv => Kind::Tlv,
            As::Ndef => Kind::Ndef,
            As::St2Select => Kind::SmartTapSelect,
        }
    }
}

/// Why the arguments are not hex.
#[derive(Debug, thiserror::Error)]
pub enum HexError {
    #[error("character {0:?} is not a hex digit")]
    NotHex(char),
    #[error("odd number of hex digits ({0})")]
    OddLength(usize),
}

/// Joins the arguments and reads them as hex (whitespace, `:` and a `0x` prefix ignored).
pub fn parse_hex(parts: &[String]) -> Result<Vec<u8>, HexError> {
    let mut digits = String::new();
    for part in parts {
        let part = part.strip_prefix("0x").unwrap_or(part);
        for c in part.chars().filter(|c| !c.is_whitespace() && *c != ':') {
            if !c.is_ascii_hexdigit() {
                return Err(HexError::NotHex(c));
            }
            digits.push(c);
        }
    }
    if digits.len() % 2 != 0 {
        return Err(HexError::OddLength(digits.len()));
    }
    hex::decode(&digits).map_err(|_| HexError::OddLength(digits.len()))
}

pub fn run(args: &DecodeArgs) -> CliResult {
    let bytes = parse_hex(&args.hex)?;
    print!("{}", decode(&bytes, args.kind.into()));
    Ok(ExitCode::SUCCESS)
}

//! The annotated record of a tap: every C-APDU and R-APDU with notes on their key fields,
//! and the status-word meanings of smart-tap spec §8. Notes never contain secrets: no keys,
//! no shared secrets, no decrypted pass data (nonces, public keys, ciphertext are public).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fmt;

use hce_wallet_core::apdu::StatusWord;

/// Which command an exchange was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    SelectOse,
    SelectSmartTap,
    Negotiate,
    GetData,
    GetMoreData,
    PushData,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::SelectOse => "SELECT OSE.VAS.01",
            Step::SelectSmartTap => "SELECT SMART TAP 2",
            Step::Negotiate => "NEGOTIATE SECURE SMART TAP SESSION",
            Step::GetData => "GET SMART TAP DATA",
            Step::GetMoreData => "GET MORE SMART TAP DATA",
            Step::PushData => "PUSH SMART TAP DATA",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The meaning of a status word a Smart Tap handset returns (spec §8).
pub fn sw_meaning(sw: StatusWord) -> &'static str {
    match sw.0 {
        0x9000 => "success",
        0x9001 => "success, no pass sent",
        0x9002 => "success, pre-signed authentication",
        0x9100 => "more data available (send GET MORE DATA)",
        0x9101 => "success with pass, payment not ready",
        0x9102 => "success, no pass, payment not ready",
        0x9200 => "transient error, retry",
        0x9201 => "transient: crypto failure",
        0x9203 => "transient: execution failure",
        0x9300 => "user action: unlock the device",
        0x9302 => "user action: choose a pass and tap again",
        0x9400 => "terminal error: command not valid in this state",
        0x9402 => "terminal error: parsing failure",
        0x9403 => "terminal error: invalid crypto input",
        0x9404 => "terminal error: no more data pending",
        0x9405 => "terminal error: all data already sent",
        0x9406 => "terminal error: too many requests",
        0x9407 => "terminal error: no merchant set",
        0x9408 => "terminal error: invalid push-back URI",
        0x9500 => "permanent: authentication failed",
        0x9502 => "permanent: version not supported",
        0x6700 => "ISO: wrong length",
        0x6985 => "ISO: conditions of use not satisfied",
        0x6A82 => "ISO: application not found",
        0x6D00 => "ISO: instruction not supported",
        0x6E00 => "ISO: class not supported",
        0x6F00 => "ISO: no precise diagnosis",
        _ => match sw.sw1() {
            0x92 => "transient error, retry",
            0x93 => "user action needed",
            0x94 => "terminal error",
            0x95 => "permanent error: stop Smart Tap",
            _ => "unknown status word",
        },
    }
}

/// One command and its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    pub step: Step,
    pub command: Vec<u8>,
    /// `data ‖ SW`, empty when the transport failed.
    pub response: Vec<u8>,
    /// What the command said (session, sequence, collector, ...).
    pub command_notes: Vec<String>,
    /// What the answer said, or what was wrong with it.
    pub response_notes: Vec<String>,
}

impl Exchange {
    /// The answer's status word, if it had one.
    pub fn sw(&self) -> Option<StatusWord> {
        let (_, sw) = self.response.split_last_chunk::<2>()?;
        Some(StatusWord(u16::from_be_bytes(*sw)))
    }
}

/// All exchanges of a tap, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    pub exchanges: Vec<Exchange>,
}

impl Transcript {
    /// The C-APDUs sent, in order.
    pub fn commands(&self) -> Vec<&[u8]> {
        self.exchanges.iter().map(|e| e.command.as_slice()).collect()
    }
    pub(crate) fn push(&mut self, step: Step, command: Vec<u8>, notes: Vec<String>) {
        self.exchanges.push(Exchange {
            step,
            command,
            response: Vec::new(),
            command_notes: notes,
            response_notes: Vec::new(),
        });
    }
    pub(crate) fn last_mut(&mut self) -> Option<&mut Exchange> {
        self.exchanges.last_mut()
    }
    /// Adds a note to the last answer.
    pub(crate) fn note(&mut self, note: impl Into<String>) {
        if let Some(e) = self.exchanges.last_mut() {
            e.response_notes.push(note.into());
        }
    }
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.exchanges.iter().enumerate() {
            writeln!(f, "[{}] {}", i + 1, e.step)?;
            writeln!(f, "  > {}", hex::encode_upper(&e.command))?;
            for n in &e.command_notes {
                writeln!(f, "    · {n}")?;
            }
            match e.sw() {
                Some(sw) => {
                    writeln!(f, "  < {}", hex::encode_upper(&e.response))?;
                    writeln!(f, "    SW {sw}: {}", sw_meaning(sw))?;
                }
                None => writeln!(f, "  < (no answer)")?,
            }
            for n in &e.response_notes {
                writeln!(f, "    · {n}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn meanings_cover_classes() {
        assert_eq!(sw_meaning(StatusWord(0x9302)), "user action: choose a pass and tap again");
        assert_eq!(sw_meaning(StatusWord(0x92AB)), "transient error, retry");
        assert_eq!(sw_meaning(StatusWord(0x95FF)), "permanent error: stop Smart Tap");
        assert_eq!(sw_meaning(StatusWord(0x1234)), "unknown status word");
    }

    #[test]
    fn display_shows_commands_and_notes() {
        let mut t = Transcript::default();
        t.push(Step::GetMoreData, vec![0x90, 0xC0, 0, 0, 0], vec!["chunk 2".into()]);
        t.last_mut().unwrap().response = vec![1, 0x90, 0x00];
        t.note("done");
        let s = t.to_string();
        assert!(s.contains("[1] GET MORE SMART TAP DATA"), "{s}");
        assert!(s.contains("> 90C0000000"));
        assert!(s.contains("SW 9000: success"));
        assert!(s.contains("· chunk 2") && s.contains("· done"));
    }
}

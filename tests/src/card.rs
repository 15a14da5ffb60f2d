//! The card side of a reader: something that takes a C-APDU and returns `data ‖ SW`.
//!
//! [`Card`] is the one seam between the reference terminal and a transport. Implementations:
//! [`RouterCard`] (the wallet core in this process, through its AID router), [`ScriptedCard`]
//! (replays recorded answers, e.g. the Smart Tap vectors), and the PC/SC and vpcd transports
//! elsewhere in this crate.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use hce_wallet_core::router::{Deactivation, Router};

/// Why an APDU could not be exchanged with the card.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// The card left the field or was never there.
    #[error("no card present")]
    NoCard,
    /// The transport failed (reader error, socket closed, ...).
    #[error("transport error: {0}")]
    Transport(String),
    /// The card answered fewer than the two status-word bytes.
    #[error("card answered {0} bytes, fewer than a status word")]
    ShortResponse(usize),
    /// A scripted card received a command other than the one its script expects.
    #[error("script step {step}: expected command {expected}, got {got}")]
    UnexpectedCommand { step: usize, expected: String, got: String },
    /// A scripted card ran out of recorded answers.
    #[error("script exhausted after {0} exchanges")]
    ScriptExhausted(usize),
    /// This transport is not available in this build or on this machine.
    #[error("card transport not available: {0}")]
    Unavailable(String),
}

/// A contactless card (or an emulated one) as a reader sees it: one C-APDU in, the R-APDU
/// (`data ‖ SW1 SW2`) out. Exchanges are half-duplex and strictly ordered.
pub trait Card {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError>;
}

impl<C: Card + ?Sized> Card for Box<C> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        (**self).transmit(apdu)
    }
}

/// The wallet core in this process: every APDU goes through [`Router::process`], as Android's
/// `HostApduService` would deliver it.
#[derive(Debug)]
pub struct RouterCard {
    router: Router,
}

impl RouterCard {
    pub fn new(router: Router) -> RouterCard {
        RouterCard { router }
    }
    /// The phone leaves the field: the router's applets drop their session state.
    pub fn deactivate(&mut self) {
        self.router.deactivate(Deactivation::LinkLoss);
    }
    pub fn router_mut(&mut self) -> &mut Router {
        &mut self.router
    }
    pub fn into_router(self) -> Router {
        self.router
    }
}

impl Card for RouterCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        Ok(self.router.process(apdu))
    }
}

/// One recorded exchange: the command a script expects (or `None` for any) and its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptStep {
    pub expect: Option<Vec<u8>>,
    pub respond: Vec<u8>,
}

/// Replays recorded R-APDUs in order and checks each C-APDU against the recording.
#[derive(Clone, Debug, Default)]
pub struct ScriptedCard {
    steps: Vec<ScriptStep>,
    next: usize,
}

impl ScriptedCard {
    pub fn new(steps: Vec<ScriptStep>) -> ScriptedCard {
        ScriptedCard { steps, next: 0 }
    }
    /// Parses the line format of `shared/vectors/smart-tap/*.apdu`: `#` comments,
    /// `> hex` commands, `< hex` responses, each response answering the command before it.
    pub fn from_apdu_script(text: &str) -> Result<ScriptedCard, String> {
        let mut steps = Vec::new();
        let mut pending: Option<Vec<u8>> = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (command, hex_text) = match (line.strip_prefix('>'), line.strip_prefix('<')) {
                (Some(rest), _) => (true, rest),
                (_, Some(rest)) => (false, rest),
                _ => return Err(format!("line {}: expected '>' or '<'", n + 1)),
            };
            let bytes = hex::decode(hex_text.trim().replace(' ', ""))
                .map_err(|e| format!("line {}: {e}", n + 1))?;
            match (command, pending.take()) {
                (true, None) => pending = Some(bytes),
                (false, Some(cmd)) => steps.push(ScriptStep { expect: Some(cmd), respond: bytes }),
                (true, Some(_)) => return Err(format!("line {}: two commands in a row", n + 1)),
                (false, None) => return Err(format!("line {}: response without command", n + 1)),
            }
        }
        if pending.is_some() {
            return Err("script ends with a command that has no response".into());
        }
        Ok(ScriptedCard::new(steps))
    }
    /// How many recorded exchanges have been played.
    pub fn played(&self) -> usize {
        self.next
    }
    /// Whether every recorded exchange has been played.
    pub fn finished(&self) -> bool {
        self.next == self.steps.len()
    }
}

impl Card for ScriptedCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        let step = self.steps.get(self.next).ok_or(CardError::ScriptExhausted(self.next))?;
        if let Some(expected) = &step.expect {
            if expected.as_slice() != apdu {
                return Err(CardError::UnexpectedCommand {
                    step: self.next,
                    expected: hex::encode(expected),
                    got: hex::encode(apdu),
                });
            }
        }
        self.next += 1;
        Ok(step.respond.clone())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn script_parses_and_checks_commands() {
        let mut card =
            ScriptedCard::from_apdu_script("# c\n> 00a40400\n< 9000\n> 90c0000000\n< 01029000\n")
                .unwrap();
        assert_eq!(card.transmit(&[0, 0xA4, 4, 0]).unwrap(), vec![0x90, 0]);
        assert!(matches!(
            card.transmit(&[0x90, 0xC0, 0, 0, 1]),
            Err(CardError::UnexpectedCommand { step: 1, .. })
        ));
        assert_eq!(card.transmit(&[0x90, 0xC0, 0, 0, 0]).unwrap(), vec![1, 2, 0x90, 0]);
        assert!(card.finished());
        assert_eq!(card.transmit(&[0]), Err(CardError::ScriptExhausted(2)));
        assert!(ScriptedCard::from_apdu_script("< 9000").is_err());
        assert!(ScriptedCard::from_apdu_script("> 00\n> 00").is_err());
        assert!(ScriptedCard::from_apdu_script("> zz\n< 9000").is_err());
        assert!(ScriptedCard::from_apdu_script("é00\n< 9000").is_err());
    }
}

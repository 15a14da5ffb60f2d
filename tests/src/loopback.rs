//! A diagnostic applet for checking transports (in-process, PC/SC, vpcd) end to end.
//!
//! It is not part of any standard; it plays the role of a reader vendor's test card so
//! that a transport can be checked without the Smart Tap applet: long commands and
//! answers, arbitrary status words, and whether a power-off or reset really reached the
//! router (a command after one answers `6985`, since nothing is selected any more).
//!
//! AID [`AID`] (`F0` = proprietary, then ASCII "hce-loop"). Commands, CLA [`CLA`]:
//! - `80 01 00 00 Lc data [Le]` ECHO → `data 9000`
//! - `80 02 P1 P2 [Le]` FILL → `P1P2` bytes (big-endian count) `00 01 02 …` and `9000`
//! - `80 03 SW1 SW2 [Le]` STATUS → no data, `SW1 SW2`
//! - `80 04 00 00 [Le]` COUNT → commands processed since SELECT (4 bytes, big-endian), `9000`
//!
//! Other INS → `6D00`, other CLA → `6E00`, P1 P2 ≠ `00 00` on ECHO/COUNT → `6B00`.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use hce_wallet_core::apdu::{sw, Command, Response, StatusWord};
use hce_wallet_core::router::{Applet, Deactivation};

/// `F0` ‖ "hce-loop".
pub const AID: &[u8] = b"\xF0hce-loop";
/// CLA of the loopback commands (proprietary class).
pub const CLA: u8 = 0x80;
pub const INS_ECHO: u8 = 0x01;
pub const INS_FILL: u8 = 0x02;
pub const INS_STATUS: u8 = 0x03;
pub const INS_COUNT: u8 = 0x04;

/// See the module doc.
#[derive(Debug, Default)]
pub struct Loopback {
    count: u32,
}

impl Loopback {
    pub fn new() -> Self {
        Loopback::default()
    }
}

impl Applet for Loopback {
    fn aids(&self) -> &[&'static [u8]] {
        &[AID]
    }

    fn select(&mut self, _aid: &[u8], _command: &Command<'_>) -> Response {
        self.count = 0;
        Response::status(sw::OK)
    }

    fn process(&mut self, c: &Command<'_>) -> Response {
        self.count = self.count.saturating_add(1);
        if c.cla != CLA {
            return Response::status(sw::CLA_NOT_SUPPORTED);
        }
        let p1p2 = u16::from_be_bytes([c.p1, c.p2]);
        match c.ins {
            INS_ECHO if p1p2 == 0 => Response::new(c.data.to_vec(), sw::OK),
            INS_FILL => Response::new((0..usize::from(p1p2)).map(|i| i as u8).collect(), sw::OK),
            INS_STATUS => Response::status(StatusWord(p1p2)),
            INS_COUNT if p1p2 == 0 => Response::new(self.count.to_be_bytes().to_vec(), sw::OK),
            INS_ECHO | INS_COUNT => Response::status(sw::WRONG_P1P2),
            _ => Response::status(sw::INS_NOT_SUPPORTED),
        }
    }

    fn deactivate(&mut self, _reason: Deactivation) {
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hce_wallet_core::router::Router;

    fn select() -> Vec<u8> {
        let mut apdu = vec![0x00, 0xA4, 0x04, 0x00, AID.len() as u8];
        apdu.extend_from_slice(AID);
        apdu.push(0);
        apdu
    }

    #[test]
    fn commands() {
        let mut r = Router::new();
        r.register(Box::new(Loopback::new()));
        assert_eq!(r.process(&select()), [0x90, 0x00]);
        assert_eq!(r.process(&[0x80, 0x01, 0, 0, 2, 0xAB, 0xCD, 0]), [0xAB, 0xCD, 0x90, 0x00]);
        assert_eq!(r.process(&[0x80, 0x02, 0, 3, 0]), [0, 1, 2, 0x90, 0x00]);
        assert_eq!(r.process(&[0x80, 0x02, 0x01, 0x2C, 0]).len(), 302);
        assert_eq!(r.process(&[0x80, 0x03, 0x91, 0x00]), [0x91, 0x00]);
        assert_eq!(r.process(&[0x80, 0x04, 0, 0, 0]), [0, 0, 0, 5, 0x90, 0x00]);
        assert_eq!(r.process(&[0x80, 0x01, 1, 0]), [0x6B, 0x00]);
        assert_eq!(r.process(&[0x80, 0x7F, 0, 0]), [0x6D, 0x00]);
        assert_eq!(r.process(&[0x00, 0x01, 0, 0]), [0x6E, 0x00]);
        r.deactivate(Deactivation::LinkLoss);
        assert_eq!(r.process(&[0x80, 0x04, 0, 0, 0]), [0x69, 0x85]);
    }
}

//! The router under a sequence of APDUs and deactivations: it never panics and always
//! answers at least a status word. The input is a sequence of frames `op len bytes…`:
//! `op & 1` deactivates (link loss) before the APDU, `op & 2` deselects.
//!
//! The router holds two cheap applets (echo, one registered for OSE.VAS.01 and Smart Tap
//! 2 that parses NDEF data the way Smart Tap commands carry it, one on another AID), so
//! this target runs fast and exercises the routing rules; `smart_tap` puts the real
//! Smart Tap applet behind the router.
#![no_main]

mod frames;

use hce_wallet_core::apdu::{sw, Command, Response, StatusWord};
use hce_wallet_core::ndef::Message;
use hce_wallet_core::router::{Applet, Deactivation, Router};
use libfuzzer_sys::fuzz_target;

const OSE: &[u8] = b"OSE.VAS.01";
const SMART_TAP_2: &[u8] = &[0xA0, 0x00, 0x00, 0x04, 0x76, 0xD0, 0x00, 0x01, 0x11];
const OTHER: &[u8] = &[0xF0, 0x01, 0x02, 0x03, 0x04, 0x05];

/// Keeps a little session state so deactivation has something to drop.
struct Echo {
    aids: &'static [&'static [u8]],
    selected: Option<Vec<u8>>,
    commands: u32,
}

impl Applet for Echo {
    fn aids(&self) -> &[&'static [u8]] {
        self.aids
    }
    fn select(&mut self, aid: &[u8], _command: &Command<'_>) -> Response {
        self.selected = Some(aid.to_vec());
        self.commands = 0;
        Response::status(sw::OK)
    }
    fn process(&mut self, command: &Command<'_>) -> Response {
        assert!(self.selected.is_some(), "process without select");
        self.commands = self.commands.saturating_add(1);
        match command.cla {
            0x90 => match Message::parse(command.data) {
                Ok(m) => Response::new(m.encode(), sw::OK),
                Err(_) => Response::status(StatusWord(0x9402)),
            },
            _ => {
                let n = command.data.len().min(command.ne());
                Response::new(command.data[..n].to_vec(), sw::OK)
            }
        }
    }
    fn deactivate(&mut self, _reason: Deactivation) {
        self.selected = None;
        self.commands = 0;
    }
}

fuzz_target!(|data: &[u8]| {
    let mut router = Router::new();
    router.register(Box::new(Echo { aids: &[OSE, SMART_TAP_2], selected: None, commands: 0 }));
    router.register(Box::new(Echo { aids: &[OTHER], selected: None, commands: 0 }));
    frames::drive(&mut router, data);
});

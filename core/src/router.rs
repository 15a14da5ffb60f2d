//! The AID router: the single entry the bindings call for every APDU.
//!
//! It behaves the way Android's `HostApduService` delivers APDUs (smart-tap spec §2,
//! Android HCE guide): SELECT by name (`00 A4 04 xx`) picks the applet registered for
//! that AID; every other command goes to the applet selected last. A SELECT of another
//! AID of the *same* applet (OSE.VAS.01 then Smart Tap 2) keeps its state, as one
//! `HostApduService` registered for both AIDs would; a SELECT of a different applet
//! deselects the previous one. Link loss wipes all per-tap state.
//!
//! Status words: malformed APDU → `6700`; SELECT of an unregistered AID → `6A82`;
//! any command before a successful SELECT → `6985` (conditions of use not satisfied).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::apdu::{sw, Command, Response};

/// Why the field session with an applet ended (Android's `onDeactivated` reasons).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Deactivation {
    /// The NFC link was lost (`DEACTIVATION_LINK_LOSS`), or the reader powered off/reset.
    LinkLoss,
    /// Another applet's AID was selected (`DEACTIVATION_DESELECTED`).
    Deselected,
}

/// An application behind the router (model: trussed-dev/apdu-dispatch's `App`).
pub trait Applet: Send {
    /// The fixed AIDs this applet answers SELECT for.
    fn aids(&self) -> &[&'static [u8]];
    /// Whether a SELECT of `aid` goes to this applet: the fixed [`Applet::aids`], plus any
    /// AIDs that arrive with data (token AIDs, issuer NFC pass AIDs).
    fn selects(&self, aid: &[u8]) -> bool {
        self.aids().contains(&aid)
    }
    /// SELECT by name of one of [`Applet::aids`].
    fn select(&mut self, aid: &[u8], command: &Command<'_>) -> Response;
    /// Any non-SELECT command while this applet is selected.
    fn process(&mut self, command: &Command<'_>) -> Response;
    /// The field session ended: drop all session state, zeroize session secrets.
    fn deactivate(&mut self, reason: Deactivation);
}

/// Dispatches APDUs to applets by the AID of the last SELECT.
#[derive(Default)]
pub struct Router {
    applets: Vec<Box<dyn Applet>>,
    active: Option<usize>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("applets", &self.applets.len())
            .field("active", &self.active)
            .finish()
    }
}

impl Router {
    pub fn new() -> Router {
        Router::default()
    }

    /// Registers an applet. Later registrations do not override earlier AIDs.
    pub fn register(&mut self, applet: Box<dyn Applet>) -> &mut Self {
        self.applets.push(applet);
        self
    }

    /// Answers one command APDU with `data ‖ SW`. Never panics: a bug inside an applet
    /// (or a host logger or event sink that panics) answers `6F00` and resets every
    /// applet rather than unwinding into the host. The reset comes first and the log
    /// line after it, each guarded, so that a panicking logger can neither skip the
    /// reset nor escape (issue 12).
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        match catch_unwind(AssertUnwindSafe(|| self.dispatch(apdu))) {
            Ok(response) => response.to_bytes(),
            Err(_) => {
                self.reset_after_panic();
                let _ = catch_unwind(|| {
                    log::error!("applet panicked on an APDU; all applets were reset");
                });
                Response::status(sw::UNKNOWN).to_bytes()
            }
        }
    }

    /// Forgets the selection and deactivates every applet, each call guarded.
    fn reset_after_panic(&mut self) {
        self.active = None;
        for applet in &mut self.applets {
            let _ = catch_unwind(AssertUnwindSafe(|| applet.deactivate(Deactivation::LinkLoss)));
        }
    }

    /// Like [`Router::process`] but without the panic guard, returning the parsed
    /// response: what fuzzing and tests drive, so that a panic is seen, not hidden.
    pub fn dispatch(&mut self, apdu: &[u8]) -> Response {
        let command = match Command::parse(apdu) {
            Ok(c) => c,
            Err(e) => return Response::status(e.status()),
        };
        if command.is_select_by_name() {
            return self.select(&command);
        }
        match self.active.and_then(|i| self.applets.get_mut(i)) {
            Some(applet) => applet.process(&command),
            None => Response::status(sw::CONDITIONS_NOT_SATISFIED),
        }
    }

    fn select(&mut self, command: &Command<'_>) -> Response {
        let aid = command.data;
        let target = self.applets.iter().position(|a| a.selects(aid));
        let Some(target) = target else {
            // ISO 7816-4: a failed SELECT leaves the current selection as it was.
            return Response::status(sw::FILE_NOT_FOUND);
        };
        if let Some(previous) = self.active.filter(|&p| p != target) {
            if let Some(applet) = self.applets.get_mut(previous) {
                applet.deactivate(Deactivation::Deselected);
            }
        }
        self.active = Some(target);
        match self.applets.get_mut(target) {
            Some(applet) => applet.select(aid, command),
            None => Response::status(sw::FILE_NOT_FOUND),
        }
    }

    /// The field session ended (Android `onDeactivated`, vpcd power-off/reset).
    pub fn deactivate(&mut self, reason: Deactivation) {
        if let Some(applet) = self.active.take().and_then(|i| self.applets.get_mut(i)) {
            applet.deactivate(reason);
        }
    }

    /// Gives access to a registered applet of a concrete type (hosts use it to arm or
    /// configure, e.g. the Smart Tap applet's UI context).
    pub fn applets_mut(&mut self) -> impl Iterator<Item = &mut Box<dyn Applet>> {
        self.applets.iter_mut()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::apdu::StatusWord;

    struct Echo {
        aids: &'static [&'static [u8]],
        selected: Vec<Vec<u8>>,
        deactivations: Vec<Deactivation>,
        log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    }
    impl Applet for Echo {
        fn aids(&self) -> &[&'static [u8]] {
            self.aids
        }
        fn select(&mut self, aid: &[u8], _c: &Command<'_>) -> Response {
            self.selected.push(aid.to_vec());
            self.log.lock().unwrap().push(format!("select {:02x?}", aid));
            Response::status(sw::OK)
        }
        fn process(&mut self, c: &Command<'_>) -> Response {
            if c.ins == 0xEE {
                panic!("boom");
            }
            Response::new(c.data.to_vec(), StatusWord(0x9000 | u16::from(self.aids[0][0])))
        }
        fn deactivate(&mut self, reason: Deactivation) {
            self.deactivations.push(reason);
            self.log
                .lock()
                .unwrap()
                .push(format!("deactivate {:?} {:02x}", reason, self.aids[0][0]));
        }
    }

    fn router() -> (Router, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut r = Router::new();
        for aids in [&[&[0x01u8, 1][..], &[0x01, 2][..]][..], &[&[0x02u8, 1][..]][..]] {
            let aids: &'static [&'static [u8]] = Box::leak(aids.to_vec().into_boxed_slice());
            r.register(Box::new(Echo {
                aids,
                selected: vec![],
                deactivations: vec![],
                log: log.clone(),
            }));
        }
        (r, log)
    }

    #[test]
    fn routes_by_aid_and_reports_errors() {
        let (mut r, log) = router();
        assert_eq!(r.process(&[0x90, 0x50, 0, 0, 1, 7]), vec![0x69, 0x85]);
        assert_eq!(r.process(&[0x00, 0xA4, 0x04, 0x00, 2, 9, 9, 0]), vec![0x6A, 0x82]);
        assert_eq!(r.process(&[0x00, 0xA4]), vec![0x67, 0x00]);
        assert_eq!(r.process(&[0x00, 0xA4, 0x04, 0x00, 2, 1, 1, 0]), vec![0x90, 0x00]);
        assert_eq!(r.process(&[0x90, 0x50, 0, 0, 1, 7]), vec![7, 0x90, 0x01]);
        // Second AID of the same applet: no deactivation.
        assert_eq!(r.process(&[0x00, 0xA4, 0x04, 0x00, 2, 1, 2, 0]), vec![0x90, 0x00]);
        assert!(!log.lock().unwrap().iter().any(|l| l.starts_with("deactivate")));
        // Another applet: the first is deselected.
        assert_eq!(r.process(&[0x00, 0xA4, 0x04, 0x00, 2, 2, 1, 0]), vec![0x90, 0x00]);
        assert_eq!(r.process(&[0x90, 0x50, 0, 0, 1, 7]), vec![7, 0x90, 0x02]);
        r.deactivate(Deactivation::LinkLoss);
        assert_eq!(r.process(&[0x90, 0x50, 0, 0, 1, 7]), vec![0x69, 0x85]);
        let log = log.lock().unwrap().clone();
        assert!(log.contains(&"deactivate Deselected 01".to_string()));
        assert!(log.contains(&"deactivate LinkLoss 02".to_string()));
    }

    #[test]
    fn panic_is_contained() {
        let (mut r, log) = router();
        r.process(&[0x00, 0xA4, 0x04, 0x00, 2, 1, 1, 0]);
        assert_eq!(r.process(&[0x90, 0xEE, 0, 0]), vec![0x6F, 0x00]);
        // All session state reset: nothing selected any more, every applet deactivated.
        assert_eq!(r.process(&[0x90, 0x50, 0, 0, 1, 7]), vec![0x69, 0x85]);
        let log = log.lock().unwrap().clone();
        assert!(log.contains(&"deactivate LinkLoss 01".to_string()));
        assert!(log.contains(&"deactivate LinkLoss 02".to_string()));
    }
}

//! The terminal's view of a card: one C-APDU in, one R-APDU (`data ‖ SW1 SW2`) out.
//!
//! The same [`Card`] trait fronts the core in-process ([`RouterCard`]), a PC/SC reader
//! ([`crate::pcsc::PcscCard`]) and anything a test makes up, so an APDU script or the
//! reference terminal runs unchanged against each.

use hce_wallet_core::router::{Deactivation, Router};

/// Why an exchange with a card failed (the card's own status words are not errors).
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// The reader, driver or link failed; the message says where.
    #[error("card transport failed: {0}")]
    Transport(String),
    /// The card answered fewer than the two bytes of a status word.
    #[error("card answered {0} bytes, fewer than a status word")]
    ShortResponse(usize),
}

/// A card the terminal side can talk to.
pub trait Card {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError>;
}

/// The core in-process: every APDU goes straight to [`Router::process`].
#[derive(Debug)]
pub struct RouterCard {
    router: Router,
}

impl RouterCard {
    pub fn new(router: Router) -> Self {
        RouterCard { router }
    }

    /// Ends the field session as a lost link would (what a reader's power-off does).
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

//! The security state of one selection (ISO/IEC 7816-4 §5.4): the outstanding challenge
//! and the keys a reader proved in this selection. Reset by every SELECT of the AID and by
//! deactivation; never persisted.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use zeroize::Zeroizing;

use super::auth::CHALLENGE_LEN;
use super::model::{Access, KeyNumber};
use crate::apdu::{sw, StatusWord};

/// The challenge and the authenticated keys of one selection.
#[derive(Default)]
pub struct SecurityState {
    challenge: Option<Zeroizing<[u8; CHALLENGE_LEN]>>,
    authenticated: Vec<KeyNumber>,
}

impl std::fmt::Debug for SecurityState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityState")
            .field("challenge", &self.challenge.as_ref().map(|_| "<pending>"))
            .field("authenticated", &self.authenticated)
            .finish()
    }
}

impl SecurityState {
    /// Stores a new challenge (replacing any unused one).
    pub fn issue(&mut self, challenge: [u8; CHALLENGE_LEN]) {
        self.challenge = Some(Zeroizing::new(challenge));
    }
    /// Takes the outstanding challenge: it is good for one EXTERNAL AUTHENTICATE only.
    pub fn take_challenge(&mut self) -> Option<Zeroizing<[u8; CHALLENGE_LEN]>> {
        self.challenge.take()
    }
    /// A reader proved `key`.
    pub fn grant(&mut self, key: KeyNumber) {
        if !self.authenticated.contains(&key) {
            self.authenticated.push(key);
        }
    }
    /// A reader failed with `key`: whatever it proved before with it no longer counts.
    pub fn revoke(&mut self, key: KeyNumber) {
        self.authenticated.retain(|k| *k != key);
    }
    pub fn is_authenticated(&self) -> bool {
        !self.authenticated.is_empty()
    }
    /// `Ok` when `access` is met now; else the refusal: `6982` (authenticate with the key
    /// first), `6985` (never by a reader: no authentication would help).
    pub fn check(&self, access: Access) -> Result<(), StatusWord> {
        match access {
            Access::Always => Ok(()),
            Access::Key(k) if self.authenticated.contains(&k) => Ok(()),
            Access::Key(_) => Err(sw::SECURITY_NOT_SATISFIED),
            Access::Never => Err(sw::CONDITIONS_NOT_SATISFIED),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::nfc_pass::status;

    #[test]
    fn challenge_is_single_use_and_access_follows_keys() {
        let mut s = SecurityState::default();
        assert!(s.take_challenge().is_none());
        s.issue([1; 8]);
        assert_eq!(*s.take_challenge().unwrap(), [1; 8]);
        assert!(s.take_challenge().is_none());
        let k = KeyNumber::new(2).unwrap();
        assert_eq!(s.check(Access::Key(k)), Err(sw::SECURITY_NOT_SATISFIED));
        s.grant(k);
        assert_eq!(s.check(Access::Key(k)), Ok(()));
        assert_eq!(s.check(Access::Never), Err(sw::CONDITIONS_NOT_SATISFIED));
        s.revoke(k);
        assert_eq!(s.check(Access::Key(k)), Err(sw::SECURITY_NOT_SATISFIED));
        assert_eq!(status::counter(2).0, 0x63C2);
    }
}

//! A [`Card`] behind a PC/SC reader (pcsc-lite on Linux, WinSCard elsewhere), over the
//! `pcsc` crate: a real phone on a USB NFC reader, or the core itself behind vpcd.
//!
//! pcsc-lite clients find the daemon's socket through `PCSCLITE_CSOCK_NAME` when it is
//! set, which is how the vpcd integration test reaches its private `pcscd`.

use std::ffi::CString;

use ::pcsc::{Context, Disposition, Protocols, Scope, ShareMode, MAX_BUFFER_SIZE_EXTENDED};

use crate::card::{Card, CardError};

/// A connected card (shared mode, T=0 or T=1).
pub struct PcscCard {
    card: ::pcsc::Card,
    reader: String,
    buffer: Vec<u8>,
}

impl std::fmt::Debug for PcscCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscCard").field("reader", &self.reader).finish()
    }
}

fn transport(what: &str) -> impl FnOnce(::pcsc::Error) -> CardError + '_ {
    move |e| match e {
        ::pcsc::Error::NoSmartcard | ::pcsc::Error::RemovedCard => CardError::NoCard,
        ::pcsc::Error::NoService | ::pcsc::Error::ServiceStopped => {
            CardError::Unavailable(format!("PC/SC {what}: {e}"))
        }
        e => CardError::Transport(format!("PC/SC {what}: {e}")),
    }
}

/// The reader names pcscd knows, in its order.
pub fn readers() -> Result<Vec<String>, CardError> {
    let ctx = Context::establish(Scope::User).map_err(transport("establish context"))?;
    list(&ctx)
}

fn list(ctx: &Context) -> Result<Vec<String>, CardError> {
    match ctx.list_readers_owned() {
        Ok(names) => Ok(names.into_iter().map(|n| n.to_string_lossy().into_owned()).collect()),
        Err(::pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(transport("list readers")(e)),
    }
}

impl PcscCard {
    /// Connects to the first reader whose name contains `filter` (case-insensitive; an
    /// exact name always wins) and that holds a card; with no filter, any reader.
    pub fn connect(filter: Option<&str>) -> Result<PcscCard, CardError> {
        let ctx = Context::establish(Scope::User).map_err(transport("establish context"))?;
        let names = list(&ctx)?;
        let candidates: Vec<&String> = match filter {
            Some(f) if names.iter().any(|n| n == f) => names.iter().filter(|n| *n == f).collect(),
            Some(f) => {
                let f = f.to_lowercase();
                names.iter().filter(|n| n.to_lowercase().contains(&f)).collect()
            }
            None => names.iter().collect(),
        };
        let mut failures = Vec::new();
        for name in candidates {
            let Ok(c_name) = CString::new(name.as_bytes()) else { continue };
            match ctx.connect(&c_name, ShareMode::Shared, Protocols::ANY) {
                Ok(card) => {
                    log::info!("connected to the card in {name}");
                    return Ok(PcscCard {
                        card,
                        reader: name.clone(),
                        buffer: vec![0; MAX_BUFFER_SIZE_EXTENDED],
                    });
                }
                Err(e) => failures.push(format!("{name}: {e}")),
            }
        }
        let wanted = filter.map_or(String::new(), |f| format!(" matching {f:?}"));
        Err(CardError::Transport(if failures.is_empty() {
            format!("no PC/SC reader{wanted} (readers: {names:?})")
        } else {
            format!("no card in any reader{wanted} ({})", failures.join("; "))
        }))
    }

    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// Disconnects, asking the reader to reset the card (the card sees a field reset).
    pub fn disconnect_reset(self) -> Result<(), CardError> {
        self.card.disconnect(Disposition::ResetCard).map_err(|(_, e)| transport("disconnect")(e))
    }
}

impl Card for PcscCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        let answer = self.card.transmit(apdu, &mut self.buffer).map_err(transport("transmit"))?;
        if answer.len() < 2 {
            return Err(CardError::ShortResponse(answer.len()));
        }
        Ok(answer.to_vec())
    }
}

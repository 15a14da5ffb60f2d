//! Delivery of events to the host, outside every lock.
//!
//! The Smart Tap applet reports its decisions (spec §12.2, last paragraph) through an
//! [`EventSink`] while the router is locked on the APDU path. Calling the host's listener
//! there would let a listener that calls back into the wallet (to list passes, say)
//! deadlock or stall the tap. So the sink only queues; the wallet drains the queue and
//! calls the [`WalletListener`] after it has released the router, on the calling thread
//! (STYLE §4: callbacks on the calling thread, never on a thread Rust created).

use std::sync::{Arc, Mutex, PoisonError};

use hce_wallet_core::events::WalletEvent;
use hce_wallet_core::ports::EventSink;

use crate::aids::AidSet;
use crate::sync::SyncOutcome;

/// What the host hears from the wallet.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// A decision or occurrence of a tap (see [`WalletEvent`]).
    Tap(WalletEvent),
    /// A key sync attempt finished.
    Sync(SyncOutcome),
    /// The AIDs to route to this wallet changed (a token became Active or stopped being
    /// so): the host re-registers them ([`crate::Wallet::aid_set`]).
    AidSetChanged(AidSet),
    /// An issuer's pass-update bundle changed a pass (for a notification).
    PassChanged(crate::pass_feeds::PassChange),
}

/// Implemented by the host app. Called on the thread that called the wallet, after the
/// wallet's locks are released; it may call back into the wallet.
pub trait WalletListener: Send + Sync {
    fn on_notice(&self, notice: Notice);
}

/// An [`EventSink`] that queues; [`Notifier::flush`] hands the queue to the listener.
/// Every tap event is also handed to `log` (the store's event log, itself a queue).
#[derive(Default)]
pub(crate) struct Notifier {
    queue: Mutex<Vec<Notice>>,
    listener: Option<Arc<dyn WalletListener>>,
    log: Option<Arc<dyn EventSink>>,
}

impl Notifier {
    pub(crate) fn new(
        listener: Option<Arc<dyn WalletListener>>,
        log: Option<Arc<dyn EventSink>>,
    ) -> Notifier {
        Notifier { queue: Mutex::new(Vec::new()), listener, log }
    }

    pub(crate) fn push(&self, notice: Notice) {
        if self.listener.is_some() {
            self.queue.lock().unwrap_or_else(PoisonError::into_inner).push(notice);
        }
    }

    /// Delivers everything queued so far. Call with no wallet lock held.
    pub(crate) fn flush(&self) {
        let Some(listener) = &self.listener else { return };
        let pending =
            std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
        for notice in pending {
            listener.on_notice(notice);
        }
    }
}

impl EventSink for Notifier {
    fn emit(&self, event: WalletEvent) {
        if let Some(log) = &self.log {
            log.emit(event.clone());
        }
        self.push(Notice::Tap(event));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hce_wallet_core::ports::CollectorId;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<Notice>>);
    impl WalletListener for Recorder {
        fn on_notice(&self, notice: Notice) {
            self.0.lock().unwrap().push(notice);
        }
    }

    #[test]
    fn queues_until_flushed_then_delivers_in_order() {
        let rec = Arc::new(Recorder::default());
        let n = Notifier::new(Some(rec.clone()), None);
        n.emit(WalletEvent::Deactivated);
        n.emit(WalletEvent::NothingEligible { collector: CollectorId(7) });
        assert!(rec.0.lock().unwrap().is_empty());
        n.flush();
        assert_eq!(
            *rec.0.lock().unwrap(),
            vec![
                Notice::Tap(WalletEvent::Deactivated),
                Notice::Tap(WalletEvent::NothingEligible { collector: CollectorId(7) })
            ]
        );
        n.flush();
        assert_eq!(rec.0.lock().unwrap().len(), 2);
    }
}

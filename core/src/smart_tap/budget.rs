//! The failed-NEGOTIATE budget (spec §6.3 last paragraph, §8 `9406`; issue 12): a token
//! bucket over wall-clock time from the [`crate::ports::Clock`] port, kept by the applet
//! across field sessions, so that a terminal probing collector IDs or key versions gets
//! no fresh budget from lifting the phone away and tapping again.
//!
//! Every failed NEGOTIATE (parse error or refusal) takes one token; a success takes
//! none and gives none back. With no token left, NEGOTIATE answers `9406` without doing
//! any work. Tokens come back one per [`NegotiationBudget::refill_ms`], up to
//! [`NegotiationBudget::burst`]. The bucket lives in memory: it starts full when the
//! applet is made (process start), survives deactivation, and a clock that goes back
//! gives nothing back.

use crate::time::Timestamp;

/// Failures allowed at once by default: a terminal trying all its key versions needs a
/// few; eight leave room for two such taps in a row.
pub const DEFAULT_BURST: u32 = 8;
/// One failure's worth of budget returns every 15 s by default: after the burst, at
/// most 4 failed NEGOTIATEs a minute (240 an hour) from any number of taps.
pub const DEFAULT_REFILL_MS: i64 = 15_000;

/// How many NEGOTIATEs may fail, over time (the numbers of the token bucket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NegotiationBudget {
    /// Bucket capacity: failures allowed in a row from a full bucket. 0 refuses every
    /// NEGOTIATE.
    pub burst: u32,
    /// Milliseconds for one token to come back (at least 1; checked by
    /// [`super::SmartTapConfig::validate`]).
    pub refill_ms: i64,
}

impl NegotiationBudget {
    /// A budget that never runs out (benches, fuzzing).
    pub const UNLIMITED: NegotiationBudget = NegotiationBudget { burst: u32::MAX, refill_ms: 1 };
}

impl Default for NegotiationBudget {
    fn default() -> Self {
        NegotiationBudget { burst: DEFAULT_BURST, refill_ms: DEFAULT_REFILL_MS }
    }
}

/// The bucket's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureBucket {
    tokens: u32,
    /// When tokens were last counted; `None` until the first NEGOTIATE.
    counted_at: Option<Timestamp>,
}

impl FailureBucket {
    /// A full bucket.
    pub fn new(budget: &NegotiationBudget) -> FailureBucket {
        FailureBucket { tokens: budget.burst, counted_at: None }
    }

    /// Credits the tokens earned since the last count; true if one is available.
    pub fn has_token(&mut self, budget: &NegotiationBudget, now: Timestamp) -> bool {
        let refill_ms = budget.refill_ms.max(1);
        match self.counted_at {
            None => self.counted_at = Some(now),
            Some(then) if now > then => {
                let elapsed = now.0.saturating_sub(then.0);
                let earned = elapsed.checked_div(refill_ms).unwrap_or(0);
                let earned_u32 = u32::try_from(earned).unwrap_or(u32::MAX);
                self.tokens = self.tokens.saturating_add(earned_u32).min(budget.burst);
                self.counted_at = if self.tokens == budget.burst {
                    Some(now)
                } else {
                    // Keep the unfinished part of the current refill interval.
                    Some(then.plus_millis(earned.saturating_mul(refill_ms)))
                };
            }
            // Same instant, or the clock went back: nothing earned.
            Some(_) => {}
        }
        self.tokens > 0
    }

    /// One NEGOTIATE failed.
    pub fn take(&mut self) {
        self.tokens = self.tokens.saturating_sub(1);
    }

    pub fn tokens(&self) -> u32 {
        self.tokens
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_780_000_000_000);

    #[test]
    fn burst_then_one_token_per_interval() {
        let budget = NegotiationBudget { burst: 3, refill_ms: 1000 };
        let mut b = FailureBucket::new(&budget);
        for _ in 0..3 {
            assert!(b.has_token(&budget, T0));
            b.take();
        }
        assert!(!b.has_token(&budget, T0));
        assert!(!b.has_token(&budget, T0.plus_millis(999)));
        assert!(b.has_token(&budget, T0.plus_millis(1000)));
        b.take();
        // The 500 ms past the first refill count towards the next one.
        assert!(!b.has_token(&budget, T0.plus_millis(1500)));
        assert!(b.has_token(&budget, T0.plus_millis(2000)));
        // Long idle: back to the burst, never above.
        assert!(b.has_token(&budget, T0.plus_millis(1_000_000)));
        assert_eq!(b.tokens(), 3);
    }

    #[test]
    fn a_clock_going_back_earns_nothing() {
        let budget = NegotiationBudget { burst: 1, refill_ms: 1000 };
        let mut b = FailureBucket::new(&budget);
        assert!(b.has_token(&budget, T0));
        b.take();
        assert!(!b.has_token(&budget, T0.plus_millis(-50_000)));
        assert!(!b.has_token(&budget, T0.plus_millis(999)));
        assert!(b.has_token(&budget, T0.plus_millis(1000)));
    }

    #[test]
    fn zero_burst_refuses_and_unlimited_never_runs_out() {
        let zero = NegotiationBudget { burst: 0, refill_ms: 0 };
        let mut b = FailureBucket::new(&zero);
        assert!(!b.has_token(&zero, T0));
        assert!(!b.has_token(&zero, T0.plus_millis(i64::MAX)));
        let mut u = FailureBucket::new(&NegotiationBudget::UNLIMITED);
        for _ in 0..10_000 {
            assert!(u.has_token(&NegotiationBudget::UNLIMITED, T0));
            u.take();
        }
    }
}

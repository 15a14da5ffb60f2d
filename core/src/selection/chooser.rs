//! The chooser memory (smart-tap spec §12.2, home screen with ≥ 2 eligible passes): when
//! the user picks a pass in the carousel, the pick is remembered per collector for a
//! short window so the re-tap sends it. A choice is only honoured inside
//! `[chosen_at, chosen_at + window]` (a clock that went backwards expires it) and only
//! when the chosen pass is among the passes eligible for that tap.

use std::collections::{BTreeMap, HashMap};

use crate::ports::CollectorId;
use crate::time::Timestamp;

/// How long a choice is honoured: a default, with optional per-collector overrides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChooserWindow {
    pub default_ms: i64,
    pub per_collector_ms: BTreeMap<CollectorId, i64>,
}

impl Default for ChooserWindow {
    fn default() -> Self {
        ChooserWindow { default_ms: DEFAULT_CHOOSER_WINDOW_MS, per_collector_ms: BTreeMap::new() }
    }
}

/// Default window: long enough to pick a pass and tap again, short enough that a later
/// visit to the same merchant asks again.
pub const DEFAULT_CHOOSER_WINDOW_MS: i64 = 60_000;

impl ChooserWindow {
    pub fn for_collector(&self, collector: CollectorId) -> i64 {
        self.per_collector_ms.get(&collector).copied().unwrap_or(self.default_ms)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Choice {
    object_id: String,
    at: Timestamp,
}

/// The user's recent picks, one per collector.
#[derive(Clone, Debug, Default)]
pub struct ChooserMemory {
    choices: HashMap<CollectorId, Choice>,
}

impl ChooserMemory {
    /// Remembers `object_id` as the pick for each of `collectors`, dropping picks that have
    /// expired at `now` (the memory never outgrows the collectors picked for recently).
    pub fn record(
        &mut self,
        collectors: impl IntoIterator<Item = CollectorId>,
        object_id: &str,
        now: Timestamp,
        window: &ChooserWindow,
    ) {
        self.choices.retain(|c, choice| within(choice.at, now, window.for_collector(*c)));
        for c in collectors {
            self.choices.insert(c, Choice { object_id: object_id.to_owned(), at: now });
        }
    }

    /// The pick for `collector` still inside its window at `now`.
    pub fn recent(&self, collector: CollectorId, now: Timestamp, window_ms: i64) -> Option<&str> {
        let choice = self.choices.get(&collector)?;
        within(choice.at, now, window_ms).then_some(choice.object_id.as_str())
    }

    /// Forgets every pick of `object_id` (the pass was removed).
    pub fn forget_object(&mut self, object_id: &str) {
        self.choices.retain(|_, c| c.object_id != object_id);
    }

    /// Forgets every pick.
    pub fn clear(&mut self) {
        self.choices.clear();
    }
}

fn within(at: Timestamp, now: Timestamp, window_ms: i64) -> bool {
    at <= now && now <= at.plus_millis(window_ms.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_expires_and_is_per_collector() {
        let w = ChooserWindow::default();
        let mut m = ChooserMemory::default();
        let t = Timestamp(1_000_000);
        m.record([CollectorId(1)], "a", t, &w);
        assert_eq!(m.recent(CollectorId(1), t.plus_millis(59_999), w.default_ms), Some("a"));
        assert_eq!(m.recent(CollectorId(1), t.plus_millis(60_000), w.default_ms), Some("a"));
        assert_eq!(m.recent(CollectorId(1), t.plus_millis(60_001), w.default_ms), None);
        assert_eq!(m.recent(CollectorId(1), t.plus_millis(-1), w.default_ms), None);
        assert_eq!(m.recent(CollectorId(2), t, w.default_ms), None);
        m.record([CollectorId(1)], "b", t.plus_millis(10), &w);
        assert_eq!(m.recent(CollectorId(1), t.plus_millis(20), w.default_ms), Some("b"));
        m.forget_object("b");
        assert_eq!(m.recent(CollectorId(1), t.plus_millis(20), w.default_ms), None);
    }

    #[test]
    fn expired_choices_are_dropped_on_record() {
        let w = ChooserWindow::default();
        let mut m = ChooserMemory::default();
        for i in 0..100u32 {
            m.record([CollectorId(i)], "a", Timestamp(i64::from(i) * 100_000), &w);
        }
        assert!(m.choices.len() <= 2);
    }
}

//! The collector → candidate passes index (smart-tap spec §12.1: a pass is a candidate for
//! a collector when its class lists the redemption issuer that owns the collector).
//!
//! Kept incrementally: every change to an issuer's collectors, a class's redemption
//! issuers or an object's class updates exactly the (collector, object) pairs it touches,
//! so a tap looks candidates up instead of scanning the wallet. Candidate membership is
//! structural only; the per-tap rules (Smart Tap enabled, state, validity, …) are checked
//! by [`super::rules`] on the few candidates.
//!
//! Invariant (checked by a property test against a from-scratch recomputation):
//! `candidates(c) = { o | redeemers(class(o)) ∋ owner(c) }`.

use std::collections::{BTreeSet, HashMap};

use crate::ports::{CollectorId, IssuerId};

/// A collector already belongs to another issuer (spec §12.1: exactly one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("collector {collector} already belongs to issuer {owner}")]
pub struct CollectorTaken {
    pub collector: CollectorId,
    pub owner: IssuerId,
}

#[derive(Clone, Debug, Default)]
pub struct CandidateIndex {
    owner: HashMap<CollectorId, IssuerId>,
    collectors_of: HashMap<IssuerId, BTreeSet<CollectorId>>,
    redeemers_of: HashMap<String, BTreeSet<IssuerId>>,
    classes_redeemable_by: HashMap<IssuerId, BTreeSet<String>>,
    objects_of: HashMap<String, BTreeSet<String>>,
    class_of: HashMap<String, String>,
    by_collector: HashMap<CollectorId, BTreeSet<String>>,
    by_ref: HashMap<[u8; 8], BTreeSet<String>>,
}

impl CandidateIndex {
    /// The candidate object IDs for `collector`, in ID order.
    pub fn candidates(&self, collector: CollectorId) -> Option<&BTreeSet<String>> {
        self.by_collector.get(&collector)
    }

    /// Whether `object_id` is a candidate for `collector`.
    pub fn is_candidate(&self, collector: CollectorId, object_id: &str) -> bool {
        self.by_collector.get(&collector).is_some_and(|s| s.contains(object_id))
    }

    /// The issuer that owns `collector`.
    pub fn owner(&self, collector: CollectorId) -> Option<IssuerId> {
        self.owner.get(&collector).copied()
    }

    /// Every collector `object_id` is a candidate for.
    pub fn collectors_for(&self, object_id: &str) -> BTreeSet<CollectorId> {
        let mut out = BTreeSet::new();
        let Some(class) = self.class_of.get(object_id) else { return out };
        for issuer in self.redeemers_of.get(class).into_iter().flatten() {
            out.extend(self.collectors_of.get(issuer).into_iter().flatten().copied());
        }
        out
    }

    /// The objects that reference `class_id` (whether or not the class is known).
    pub fn objects_of_class(&self, class_id: &str) -> impl Iterator<Item = &str> {
        self.objects_of.get(class_id).into_iter().flatten().map(String::as_str)
    }

    /// Objects whose `oid` value is `object_ref` (several only on a SHA-256 prefix clash).
    pub fn objects_by_ref(&self, object_ref: &[u8; 8]) -> impl Iterator<Item = &str> {
        self.by_ref.get(object_ref).into_iter().flatten().map(String::as_str)
    }

    /// Checks that `issuer` may own all of `collectors`.
    pub fn check_collectors(
        &self,
        issuer: IssuerId,
        collectors: &BTreeSet<CollectorId>,
    ) -> Result<(), CollectorTaken> {
        for c in collectors {
            if let Some(&owner) = self.owner.get(c) {
                if owner != issuer {
                    return Err(CollectorTaken { collector: *c, owner });
                }
            }
        }
        Ok(())
    }

    /// Sets the collectors of `issuer` (empty = the issuer is gone).
    pub fn set_collectors(
        &mut self,
        issuer: IssuerId,
        collectors: BTreeSet<CollectorId>,
    ) -> Result<(), CollectorTaken> {
        self.check_collectors(issuer, &collectors)?;
        let old = self.collectors_of.remove(&issuer).unwrap_or_default();
        for c in old.difference(&collectors) {
            // Every candidate of `c` came through `issuer`, its only owner.
            self.owner.remove(c);
            self.by_collector.remove(c);
        }
        for c in collectors.difference(&old) {
            self.owner.insert(*c, issuer);
            let mut set = BTreeSet::new();
            for class in self.classes_redeemable_by.get(&issuer).into_iter().flatten() {
                set.extend(self.objects_of.get(class).into_iter().flatten().cloned());
            }
            if !set.is_empty() {
                self.by_collector.insert(*c, set);
            }
        }
        if !collectors.is_empty() {
            self.collectors_of.insert(issuer, collectors);
        }
        Ok(())
    }

    /// Sets the redemption issuers of `class_id` (empty = the class is gone).
    pub fn set_redeemers(&mut self, class_id: &str, redeemers: BTreeSet<IssuerId>) {
        let old = self.redeemers_of.remove(class_id).unwrap_or_default();
        for issuer in old.difference(&redeemers) {
            remove_from(&mut self.classes_redeemable_by, issuer, class_id);
            self.link(*issuer, class_id, false);
        }
        for issuer in redeemers.difference(&old) {
            self.classes_redeemable_by.entry(*issuer).or_default().insert(class_id.to_owned());
            self.link(*issuer, class_id, true);
        }
        if !redeemers.is_empty() {
            self.redeemers_of.insert(class_id.to_owned(), redeemers);
        }
    }

    /// Sets the class of `object_id` (`None` = the object is gone).
    pub fn set_object_class(&mut self, object_id: &str, class_id: Option<&str>) {
        let old = self.class_of.get(object_id).cloned();
        if old.as_deref() == class_id {
            return;
        }
        if let Some(old) = old {
            self.object_links(object_id, &old, false);
            remove_from(&mut self.objects_of, old.as_str(), object_id);
            self.class_of.remove(object_id);
            remove_from(&mut self.by_ref, &crate::pass::object_ref(object_id), object_id);
        }
        if let Some(new) = class_id {
            self.class_of.insert(object_id.to_owned(), new.to_owned());
            self.objects_of.entry(new.to_owned()).or_default().insert(object_id.to_owned());
            self.by_ref
                .entry(crate::pass::object_ref(object_id))
                .or_default()
                .insert(object_id.to_owned());
            self.object_links(object_id, new, true);
        }
    }

    /// Adds or removes the pairs (collector of `issuer`, object of `class_id`).
    fn link(&mut self, issuer: IssuerId, class_id: &str, add: bool) {
        let Some(collectors) = self.collectors_of.get(&issuer) else { return };
        let Some(objects) = self.objects_of.get(class_id) else { return };
        for c in collectors {
            for o in objects {
                if add {
                    self.by_collector.entry(*c).or_default().insert(o.clone());
                } else {
                    remove_from(&mut self.by_collector, c, o);
                }
            }
        }
    }

    /// Adds or removes `object_id` for every collector of every redeemer of `class_id`.
    fn object_links(&mut self, object_id: &str, class_id: &str, add: bool) {
        let Some(redeemers) = self.redeemers_of.get(class_id) else { return };
        for issuer in redeemers {
            for c in self.collectors_of.get(issuer).into_iter().flatten() {
                if add {
                    self.by_collector.entry(*c).or_default().insert(object_id.to_owned());
                } else {
                    remove_from(&mut self.by_collector, c, object_id);
                }
            }
        }
    }

    /// Recomputes every collector's candidates from the relations (tests, debugging).
    pub fn recompute(&self) -> HashMap<CollectorId, BTreeSet<String>> {
        let mut out: HashMap<CollectorId, BTreeSet<String>> = HashMap::new();
        for (object, class) in &self.class_of {
            for issuer in self.redeemers_of.get(class).into_iter().flatten() {
                for c in self.collectors_of.get(issuer).into_iter().flatten() {
                    out.entry(*c).or_default().insert(object.clone());
                }
            }
        }
        out
    }

    /// The materialized candidates, for comparison with [`CandidateIndex::recompute`].
    pub fn materialized(&self) -> &HashMap<CollectorId, BTreeSet<String>> {
        &self.by_collector
    }
}

/// Removes `value` from the set under `key`, dropping the set when it empties.
fn remove_from<K, Q, V, R>(map: &mut HashMap<K, BTreeSet<V>>, key: &Q, value: &R)
where
    K: std::borrow::Borrow<Q> + std::hash::Hash + Eq,
    Q: std::hash::Hash + Eq + ?Sized,
    V: std::borrow::Borrow<R> + Ord,
    R: Ord + ?Sized,
{
    if let Some(set) = map.get_mut(key) {
        set.remove(value);
        if set.is_empty() {
            map.remove(key);
        }
    }
}

//! Which issuer owns which collector IDs: the selection engine learns it from the key
//! ring, i.e. from the signed key bundles (spec §12.1: each collector ID belongs to one
//! redemption issuer; the bundle lists each issuer's collectors and their keys).

use std::collections::{BTreeMap, BTreeSet};

use hce_wallet_core::key_ring::KeyRing;
use hce_wallet_core::pass::Issuer;
use hce_wallet_core::ports::{CollectorId, IssuerId};
use hce_wallet_core::selection::SelectionEngine;

/// Makes the engine's issuers equal to the key ring's. Issuers that vanished or whose
/// collectors changed are removed first, so a collector moving between issuers never
/// conflicts.
pub(crate) fn refresh_issuers(engine: &SelectionEngine, ring: &KeyRing) {
    let mut wanted: BTreeMap<IssuerId, BTreeSet<CollectorId>> = BTreeMap::new();
    for k in ring.keys() {
        wanted.entry(k.key.issuer).or_default().insert(k.key.collector);
    }
    let current = engine.issuers();
    for issuer in &current {
        let same = wanted
            .get(&issuer.id)
            .is_some_and(|c| *c == issuer.collector_ids.iter().copied().collect());
        if !same {
            engine.remove_issuer(issuer.id);
        }
    }
    for (id, collectors) in wanted {
        if current
            .iter()
            .any(|i| i.id == id && i.collector_ids.iter().copied().eq(collectors.iter().copied()))
        {
            continue;
        }
        let issuer =
            Issuer { id, name: String::new(), collector_ids: collectors.into_iter().collect() };
        if let Err(e) = engine.insert_issuer(issuer) {
            log::warn!("issuer {id} not usable for selection: {e}");
        }
    }
}

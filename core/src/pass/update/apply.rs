//! Applying a verified bundle to the passes held, in order, all or nothing — pure: the
//! wallet writes [`Applied`] in one store transaction.
//!
//! Rules:
//! - the sequence must exceed the applied one ([`UpdateError::Stale`]);
//! - an upserted object keeps what the *user* set on it: the Smart Tap switch and the last
//!   terminal update (the chooser choice lives in the selection engine, untouched);
//! - **balance rule**: an upserted balance replaces the held one unless a terminal's PUSH
//!   DATA changed the balance *after* the bundle was issued (`last_terminal_update.at_ms >
//!   iat`): the issuer had not seen that redemption yet, so the terminal's balance stays
//!   until a newer bundle (issued after it) says otherwise;
//! - an object must name a class held or in the bundle, of its own vertical;
//! - `addMessage`, `expire` and `remove` of a pass not held (the user removed it) are
//!   skipped, so a feed never gets stuck on it; `addMessage` replaces a message with the
//!   same `id` and drops the oldest beyond [`crate::pass::display::MAX_MESSAGES`].
// Works on untrusted bundles: no panics.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};

use super::diff::Shown;
use super::{diff, Change, PassChange, PassUpdate, UpdateError};
use crate::pass::display::{Message, MAX_MESSAGES};
use crate::pass::model::{PassClass, PassObject, PassState};

/// What the wallet holds of the bundle's issuer (or everything: others are left alone).
#[derive(Clone, Debug, Default)]
pub struct Held {
    pub classes: BTreeMap<String, PassClass>,
    pub objects: BTreeMap<String, PassObject>,
}

impl Held {
    pub fn new(classes: Vec<PassClass>, objects: Vec<PassObject>) -> Held {
        Held {
            classes: classes.into_iter().map(|c| (c.id.clone(), c)).collect(),
            objects: objects.into_iter().map(|o| (o.id.clone(), o)).collect(),
        }
    }
}

/// The outcome: what to write, what to delete, what to tell the user.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    pub sequence: u64,
    /// Classes added or replaced.
    pub classes: Vec<PassClass>,
    /// Objects added or changed.
    pub objects: Vec<PassObject>,
    /// Objects removed.
    pub removed: Vec<String>,
    /// What changed, per pass, ordered by object ID.
    pub changes: Vec<PassChange>,
}

/// Applies `update` to `held`; `applied`: the sequence last applied from this feed.
pub fn apply(
    update: &PassUpdate,
    held: &Held,
    applied: Option<u64>,
) -> Result<Applied, UpdateError> {
    if let Some(applied) = applied {
        if update.sequence <= applied {
            return Err(UpdateError::Stale { applied, found: update.sequence });
        }
    }
    let mut now = held.clone();
    let (mut classes, mut objects) = (BTreeSet::new(), BTreeSet::new());
    for (i, change) in update.changes.iter().enumerate() {
        match change {
            Change::Upsert(batch) => {
                for c in &batch.classes {
                    if let Some(o) = now.objects.values().find(|o| o.class_id == c.id) {
                        if o.pass_type != c.pass_type {
                            return Err(UpdateError::Invalid {
                                path: format!("changes[{i}].upsert.{}", c.id),
                                reason: "the class changes vertical under held objects".into(),
                            });
                        }
                    }
                    now.classes.insert(c.id.clone(), c.clone());
                    classes.insert(c.id.clone());
                }
                for o in &batch.objects {
                    let path = || format!("changes[{i}].upsert.{}", o.id);
                    let class = now.classes.get(&o.class_id).ok_or_else(|| {
                        UpdateError::UnknownClass { path: path(), class_id: o.class_id.clone() }
                    })?;
                    if class.pass_type != o.pass_type {
                        return Err(UpdateError::Invalid {
                            path: path(),
                            reason: "object and class are of different verticals".into(),
                        });
                    }
                    let mut next = o.clone();
                    if let Some(prev) = now.objects.get(&o.id) {
                        keep_user_state(prev, &mut next, update.issued_at_ms);
                    }
                    now.objects.insert(o.id.clone(), next);
                    objects.insert(o.id.clone());
                }
            }
            Change::AddMessage { target, message } => {
                if let Some(o) = now.objects.get_mut(target) {
                    add_message(&mut o.details.modules.messages, message);
                    objects.insert(target.clone());
                } else if let Some(c) = now.classes.get_mut(target) {
                    add_message(&mut c.details.modules.messages, message);
                    classes.insert(target.clone());
                }
            }
            Change::Expire { object_id } => {
                if let Some(o) = now.objects.get_mut(object_id) {
                    o.state = PassState::Expired;
                    objects.insert(object_id.clone());
                }
            }
            Change::Remove { object_id } => {
                if now.objects.remove(object_id).is_some() {
                    objects.remove(object_id);
                }
            }
        }
    }
    let removed: Vec<String> =
        held.objects.keys().filter(|id| !now.objects.contains_key(*id)).cloned().collect();
    // Every pass whose object or class changed, or that left.
    let mut affected: BTreeSet<&String> = objects.iter().chain(&removed).collect();
    for (id, o) in now.objects.iter().chain(&held.objects) {
        if classes.contains(&o.class_id) {
            affected.insert(id);
        }
    }
    let mut changes = Vec::new();
    for id in affected {
        changes.extend(diff(shown(held, id), shown(&now, id)));
    }
    Ok(Applied {
        sequence: update.sequence,
        classes: classes.iter().filter_map(|id| now.classes.get(id).cloned()).collect(),
        objects: objects.iter().filter_map(|id| now.objects.get(id).cloned()).collect(),
        removed,
        changes,
    })
}

fn shown<'a>(h: &'a Held, id: &str) -> Option<Shown<'a>> {
    h.objects.get(id).map(|o| (o, h.classes.get(&o.class_id)))
}

/// The user's state survives an upsert; the balance follows the documented rule.
fn keep_user_state(prev: &PassObject, next: &mut PassObject, issued_at_ms: i64) {
    next.user_smart_tap_disabled = prev.user_smart_tap_disabled;
    next.last_terminal_update = prev.last_terminal_update.clone();
    let pushed_later = prev
        .last_terminal_update
        .as_ref()
        .is_some_and(|u| u.balance_changed && u.at_ms > issued_at_ms);
    if pushed_later {
        next.balance = prev.balance.clone();
    }
}

fn add_message(messages: &mut Vec<Message>, m: &Message) {
    if m.id.is_some() {
        messages.retain(|x| x.id != m.id);
    }
    messages.push(m.clone());
    while messages.len() > MAX_MESSAGES {
        messages.remove(0);
    }
}

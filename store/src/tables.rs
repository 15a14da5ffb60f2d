//! Table names and definitions. Names are part of every value's AAD: renaming a table is a
//! schema change.

use redb::TableDefinition;

pub(crate) const META: &str = "meta";
pub(crate) const ISSUERS: &str = "issuers";
pub(crate) const COLLECTOR_KEYS: &str = "collector_keys";
pub(crate) const PASS_CLASSES: &str = "pass_classes";
pub(crate) const PASS_OBJECTS: &str = "pass_objects";
pub(crate) const SELECTION_INDEX: &str = "selection_index";
pub(crate) const PAYMENT_TOKENS: &str = "payment_tokens";
pub(crate) const SETTINGS: &str = "settings";
pub(crate) const EVENTS: &str = "events";
pub(crate) const OUTBOX: &str = "outbox";
pub(crate) const NFC_PASSES: &str = "nfc_passes";

/// Plaintext header: format marker, schema version, key identifier; plus the sealed key
/// check record.
pub(crate) const META_T: TableDefinition<&str, &[u8]> = TableDefinition::new(META);
/// Blinded key → sealed record.
pub(crate) type BlindTable = TableDefinition<'static, &'static [u8], &'static [u8]>;
pub(crate) const ISSUERS_T: BlindTable = TableDefinition::new(ISSUERS);
pub(crate) const COLLECTOR_KEYS_T: BlindTable = TableDefinition::new(COLLECTOR_KEYS);
pub(crate) const PASS_CLASSES_T: BlindTable = TableDefinition::new(PASS_CLASSES);
pub(crate) const PASS_OBJECTS_T: BlindTable = TableDefinition::new(PASS_OBJECTS);
pub(crate) const SELECTION_INDEX_T: BlindTable = TableDefinition::new(SELECTION_INDEX);
pub(crate) const PAYMENT_TOKENS_T: BlindTable = TableDefinition::new(PAYMENT_TOKENS);
pub(crate) const SETTINGS_T: BlindTable = TableDefinition::new(SETTINGS);
/// Event ID → sealed outbox entry ([`crate::outbox`]); created empty on open of any
/// schema-3 file that lacks it (no data migration needed).
pub(crate) const OUTBOX_T: BlindTable = TableDefinition::new(OUTBOX);
/// Pass ID → sealed issuer NFC pass ([`crate::nfc_passes`]); like `outbox`, created empty
/// on open of any schema-3 file that lacks it.
pub(crate) const NFC_PASSES_T: BlindTable = TableDefinition::new(NFC_PASSES);
/// Sequence number → sealed event (event-log key).
pub(crate) const EVENTS_T: TableDefinition<u64, &[u8]> = TableDefinition::new(EVENTS);

/// Every blinded-key table of the current schema, in a fixed order.
pub(crate) const BLIND_TABLES: [BlindTable; 9] = [
    ISSUERS_T,
    COLLECTOR_KEYS_T,
    PASS_CLASSES_T,
    PASS_OBJECTS_T,
    SELECTION_INDEX_T,
    PAYMENT_TOKENS_T,
    SETTINGS_T,
    OUTBOX_T,
    NFC_PASSES_T,
];

/// Meta keys.
pub(crate) const META_FORMAT: &str = "format";
pub(crate) const META_SCHEMA: &str = "schema";
pub(crate) const META_KEY_ID: &str = "key_id";
pub(crate) const META_CHECK: &str = "check";
pub(crate) const META_NEXT_EVENT: &str = "next_event";
/// Value of [`META_FORMAT`].
pub(crate) const FORMAT_MARKER: &[u8] = b"hce-wallet-store";

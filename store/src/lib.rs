//! Encrypted store (see issue: encrypted store). Filled in by its own work item.

//! Kotlin bindings (see issue: Kotlin API). Filled in by its own work item.

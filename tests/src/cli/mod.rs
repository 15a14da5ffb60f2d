//! `hcectl` subcommands, one module each.

pub mod keys;

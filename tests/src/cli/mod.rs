//! `hcectl` subcommands, one module each.

pub mod keys;
pub mod tap;

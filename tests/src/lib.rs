//! Desktop harness library: shared by `hcectl` and the end-to-end tests.

pub mod cli;
pub mod http;
pub mod nginx;

//! Desktop harness library: shared by `hcectl` and the end-to-end tests.

pub mod card;
pub mod cli;
pub mod demo;
pub mod http;
pub mod nginx;
pub mod terminal;
pub mod loopback;
pub mod pcsc;
pub mod script;
pub mod vpcd;

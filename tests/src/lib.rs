//! Desktop harness library: shared by `hcectl` and the end-to-end tests.

pub mod card;
pub mod cli;
pub mod decode;
pub mod demo;
pub mod demo_nfc;
pub mod demo_pay;
pub mod demo_wallet;
pub mod emv_terminal;
pub mod http;
pub mod loopback;
pub mod nfc_reader;
pub mod nginx;
pub mod pcsc;
pub mod script;
pub mod terminal;
pub mod vector_wallet;
pub mod vpcd;

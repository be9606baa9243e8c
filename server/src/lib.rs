//! parlog-server: the `parlog` command line and (later) the HTTP server. Only this crate knows
//! about terminals and HTTP; the libraries below it do not.

pub mod alloc;
pub mod backend;
pub mod cli;
pub mod http;
pub mod qda;
pub mod notes;
pub mod report;
pub mod request;
pub mod studies;
pub mod wire;

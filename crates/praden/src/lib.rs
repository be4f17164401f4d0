//! The praden binary's library: configuration, command implementations and wiring. `main.rs`
//! only parses the command line and calls into here, so the end-to-end tests can run the whole
//! application in-process.

pub mod app;
pub mod cli;
pub mod config;
pub mod detect;
pub mod follow;
pub mod import;

pub use app::Application;
pub use config::Config;

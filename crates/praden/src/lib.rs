//! The praden binary's library: configuration, command implementations and wiring. `main.rs`
//! only parses the command line and calls into here, so the end-to-end tests can run the whole
//! application in-process.

pub mod accounts;
pub mod app;
pub mod cli;
pub mod config;
pub mod import;
pub mod logging;
pub mod match_clarification;
pub mod replay;

pub use app::Application;
pub use config::Config;

// glibc's malloc spent ~6% of a loaded server's CPU in arena bookkeeping (consolidation,
// unlinking chunks) across the search threads; mimalloc's per-thread pages avoid it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

//! What `praden suggest-agency` does: JSON lines in on stdin, JSON lines out on stdout.
//!   echo '{"title": "สธ. เตือนไข้เลือดออก"}' | cargo run --release --example suggest_agency
//! Optional first argument: a registry extension TSV (same format as data/agencies.tsv).

use std::io;
use std::process::ExitCode;

use praden_detect::{suggest_stream, AgencyRegistry, AgencySuggester};

fn main() -> ExitCode {
    let registry = match std::env::args().nth(1) {
        Some(path) => AgencyRegistry::load_with_extension(path.as_ref()),
        None => AgencyRegistry::load_default(),
    };
    let suggester = match registry
        .map_err(Into::into)
        .and_then(|r| AgencySuggester::new(&r))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("suggest-agency: {e}");
            return ExitCode::FAILURE;
        }
    };
    match suggest_stream(
        &suggester,
        io::stdin().lock(),
        io::stdout().lock(),
        io::stderr().lock(),
    ) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("suggest-agency: {e}");
            ExitCode::FAILURE
        }
    }
}

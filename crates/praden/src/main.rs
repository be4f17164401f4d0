use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("PRADEN_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,tantivy=warn,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match praden::cli::run(praden::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

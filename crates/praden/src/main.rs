use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    if let Err(e) = praden::logging::init() {
        eprintln!("error: {e:#}");
        return std::process::ExitCode::FAILURE;
    }
    match praden::cli::run(praden::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

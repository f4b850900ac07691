//! `sessiond`: parse the command line and hand over to the CLI dispatcher. Exit codes: 0 ok,
//! 1 failure, 2 invalid configuration or usage.

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    let cli = sessiond_server::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sessiond: could not start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(sessiond_server::cli::run(cli))
}

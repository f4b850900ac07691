//! `sessiond`: parse the command line and hand over to the CLI dispatcher. Exit codes: 0 ok,
//! 1 failure, 2 invalid configuration or usage.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use clap::Parser as _;

// glibc malloc spent 15% of a passive check's CPU in frees across threads (decision 0055).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // `sessiond audit list | head`: once the reader is gone, printing fails, and `println!`
    // panics. That is the end of the output, not an error: exit quietly.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !closed_pipe(info.payload()) {
            default_hook(info);
        }
    }));
    let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
        runtime.block_on(sessiond_server::cli::run(cli))
    }));
    match run {
        Ok(code) => code,
        Err(payload) if closed_pipe(&*payload) => std::process::ExitCode::SUCCESS,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Whether a panic is `println!`'s on a closed pipe.
fn closed_pipe(payload: &(dyn Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied());
    message.is_some_and(|m| m.starts_with("failed printing to stdout") && m.contains("os error 32"))
}

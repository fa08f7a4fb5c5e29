//! The `scorecard` binary: parse arguments and run, on a stack large enough for
//! the deepest input the limits allow.

use std::process::ExitCode;

/// Deeply nested (but within limits) scorecards recurse; 256 MiB of address
/// space is reserved, and only what is touched is used.
const STACK_BYTES: usize = 256 * 1024 * 1024;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Ctrl-C and SIGTERM stop the work at the next batch; files being written
    // are abandoned, so the previous output stays as it was.
    let _ = ctrlc::set_handler(scorecard::interrupt::on_signal);
    // On the main thread, switched to a stack of its own: the main thread
    // allocates from the main heap, which grows in large steps, where a
    // thread's own heap grows page run by page run.
    let run = std::panic::catch_unwind(move || {
        stacker::grow(STACK_BYTES, move || scorecard::cli::run(args))
    });
    match run {
        Ok(exit) => exit.into(),
        _ => {
            eprintln!(
                "error: scorecard stopped unexpectedly; please report this with the command that caused it"
            );
            ExitCode::from(2)
        }
    }
}

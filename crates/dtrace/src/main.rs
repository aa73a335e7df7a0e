//! `dtrace`: the command.
//!
//! The pipeline, as this binary drives it:
//!
//! ```text
//!   cli          argv → Invocation
//!   compile      sources → (cpp) → AST → probe matching → typed program → object
//!   session      object → maps, programs, attachments in the kernel
//!   consume      ring buffer records, aggregation snapshots → output
//! ```
//!
//! Exit status follows dtrace(1): 0 on success (even with drops or runtime
//! errors), 1 on failure, 2 on bad usage, or the value given to `exit()`.

mod cli;
mod compile;
mod consume;
mod listing;
mod options;
mod providers;
mod report;
mod session;
mod target;

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = match cli::parse(std::env::args_os()) {
        Ok(inv) => compile::run(inv),
        Err(cli::CliError::Usage(msg)) => {
            report::usage(msg.as_deref());
            2
        }
    };
    ExitCode::from(code)
}

//! Thin: parse the arguments, run, map the outcome to an exit code, print the error once.

use clap::Parser;
use vapi_drift::cli::Cli;
use vapi_drift::exit::{ExitCode, RunError};

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap exits 2 on a bad flag by itself; 2 means drift here.
            return if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::InSync
            }
            .into();
        }
    };
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError::Setup(anyhow::anyhow!("cannot start the async runtime: {e}")))
        .and_then(|runtime| runtime.block_on(vapi_drift::run::run(cli)));
    match outcome {
        Ok(code) => code.into(),
        // Stdout closed by its reader (`| head`): a quiet exit, as ripgrep does.
        Err(e) if e.is_broken_pipe() => ExitCode::InSync.into(),
        Err(e) => {
            e.print();
            e.exit_code().into()
        }
    }
}

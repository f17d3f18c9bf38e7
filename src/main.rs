//! Thin: parse the arguments, run, map the outcome to an exit code, print the error chain once.

use clap::Parser;
use vapi_drift::cli::Cli;
use vapi_drift::exit::ExitCode;

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap exits 2 on a bad flag by itself; 2 means drift here.
            let code = if e.use_stderr() {
                ExitCode::Usage.code()
            } else {
                0
            };
            return std::process::ExitCode::from(code as u8);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(ExitCode::Error.code() as u8);
        }
    };
    let code = match runtime.block_on(vapi_drift::run::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::Error.code()
        }
    };
    std::process::ExitCode::from(code as u8)
}

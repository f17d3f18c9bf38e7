//! `vapi-standin`: serves the stand-in on loopback until interrupted, for the
//! benchmarks, the GitHub Action's self-test and manual testing. Prints its base
//! URL on stdout.

use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;
use vapi_standin::{StandIn, StandInConfig, org};

/// Serve a stand-in of the Vapi phone-number API on 127.0.0.1 (read routes only)
#[derive(Debug, Parser)]
#[command(name = "vapi-standin", version)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one; the URL is printed on stdout)
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// A JSON file with an array of live phone numbers (default: the demo's sample numbers)
    #[arg(long, conflicts_with = "generate")]
    numbers: Option<PathBuf>,
    /// Generate this many synthetic numbers instead
    #[arg(long)]
    generate: Option<usize>,
    /// Latency added to every response, in milliseconds
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Requests allowed in any one-second window (429 beyond it)
    #[arg(long)]
    rate_limit: Option<u32>,
    /// The API key the stand-in accepts is read from this environment variable
    /// (default when unset: the demo's key)
    #[arg(long, default_value = "VAPI_API_KEY")]
    key_env: String,
}

fn main() -> std::process::ExitCode {
    match serve(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vapi-standin: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn serve(args: Args) -> Result<(), String> {
    let numbers = match (&args.numbers, args.generate) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{} is not a JSON array of phone numbers: {e}",
                    path.display()
                )
            })?
        }
        (None, Some(n)) => org::synthetic_numbers(n),
        (None, None) => org::numbers(),
    };
    let api_key = std::env::var(&args.key_env).unwrap_or_else(|_| org::DEMO_API_KEY.to_string());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let standin = StandIn::start_on(
            StandInConfig {
                api_key,
                numbers,
                latency: Duration::from_millis(args.latency_ms),
                rate_limit: args.rate_limit,
                ..StandInConfig::default()
            },
            args.port,
        )
        .await
        .map_err(|e| format!("cannot start the stand-in: {e}"))?;
        println!("{}", standin.base_url());
        let waited = tokio::signal::ctrl_c().await;
        standin.shutdown().await;
        waited.map_err(|e| format!("waiting for ctrl-c: {e}"))
    })
}

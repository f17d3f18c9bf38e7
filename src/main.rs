//! Thin: parse the arguments, run, map the outcome to an exit code, print the error once.

use clap::Parser;
use vapi_drift::cli::Cli;
use vapi_drift::exit::{ExitCode, RunError};

/// See Cargo.toml: less memory held beyond the live heap, and cheaper allocations.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v3's numbers for the two options below (`mi_option_e` in its
/// `include/mimalloc.h`; libmimalloc-sys, pinned in Cargo.toml, does not name them).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// A batch job's trade: memory back to the OS at once, and only as it is used.
/// By default mimalloc commits its arenas eagerly and returns freed pages after
/// 10 ms, which took a 10,000-number check from 50 to 77 MB peak RSS; with
/// these two it is 43 MB, and 212 MB instead of 255–275 MB at 100,000
/// (BENCHMARKS.md), for no measurable CPU.
///
/// The arena option counts only before mimalloc's first arena, that is before
/// the first allocation, which Rust's runtime makes before `main`: on Linux this
/// runs first, from the ELF constructors (`.init_array`); elsewhere `main` sets
/// both, and only the purge delay takes effect.
extern "C" fn tune_allocator() {
    // SAFETY: plain setters of mimalloc's option table, called before any other
    // thread exists (they are not thread-safe).
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}

#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static TUNE_ALLOCATOR_FIRST: extern "C" fn() = tune_allocator;

fn main() -> std::process::ExitCode {
    tune_allocator();
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

//! The command line both fuzzers take: `--seconds N [--seed N]`.

/// How long to run (30 s by default) and the seed (random by default).
pub fn seconds_and_seed() -> (f64, u64) {
    let mut seconds = 30.0_f64;
    let mut seed = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--seconds N")
            }
            "--seed" => seed = args.next().and_then(|s| s.parse().ok()),
            other => panic!("unknown argument {other} (expected --seconds N [--seed N])"),
        }
    }
    (seconds, seed.unwrap_or_else(|| fastrand::u64(..)))
}

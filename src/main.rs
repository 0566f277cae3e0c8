//! The `gcatm` command line: a thin layer over the library.
use clap::{Parser, Subcommand};

mod cli;

/// Adversarial neural topic models with a contrastive (InfoNCE) generator.
#[derive(Parser)]
#[command(name = "gcatm", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inspect corpora.
    Corpus(cli::corpus::CorpusArgs),
    /// Download and verify the standard corpora.
    Data(cli::data::DataArgs),
    /// Train a model and write a run folder.
    Train(cli::train::TrainArgs),
    /// Measure training speed (median epoch time, iterations per second, peak memory).
    Bench(cli::bench::BenchArgs),
    /// Score topics (one per line) against a reference corpus.
    Coherence(cli::coherence::CoherenceArgs),
    /// The experiment log's entries.
    Log(cli::log::LogArgs),
    /// Re-run entries of the experiment log.
    Reproduce(cli::reproduce::ReproduceArgs),
    /// Baselines: LDA scored like a trained model, and the random-topic floor.
    Baseline(cli::baseline::BaselineArgs),
    /// Compare recipes (the log's settings and departures from it) over K and seeds.
    Sweep(cli::sweep::SweepArgs),
}

/// Restarts this process once with glibc's malloc asked to back its large blocks with
/// transparent huge pages (`glibc.malloc.hugetlb=1`; glibc reads it only at start-up). Where
/// the kernel grants huge pages only on request (`madvise`, a common default), the training
/// loop's weights, gradients and moments otherwise sit on 4 KiB pages, and the products' TLB
/// misses cost about 7% of an epoch (measured: 2.69 vs 2.91 s, 20NG, K = 50, 2 cores). An
/// explicit `GLIBC_TUNABLES` setting of it is left alone; if the restart fails, the run goes
/// on as it is.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn use_huge_pages() {
    use std::os::unix::process::CommandExt;
    const TUNABLE: &str = gcatm::device::HUGE_PAGES_TUNABLE;
    // A marker, so that an environment that drops GLIBC_TUNABLES cannot make a restart loop; the
    // restarted process removes it, so that programs it starts do not inherit it.
    const MARKER: &str = "GCATM_RESTARTED";
    if std::env::var_os(MARKER).is_some() {
        std::env::remove_var(MARKER);
        return;
    }
    let tunables = match std::env::var("GLIBC_TUNABLES") {
        Ok(t) if t.contains(TUNABLE) => return,
        Ok(t) if !t.is_empty() => format!("{t}:{TUNABLE}=1"),
        _ => format!("{TUNABLE}=1"),
    };
    if let Ok(exe) = std::env::current_exe() {
        // `exec` returns only on failure.
        let _ = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("GLIBC_TUNABLES", tunables)
            .env(MARKER, "1")
            .exec();
    }
}

/// Errors the user can act on print as one message with its causes, never with a backtrace (even
/// under `RUST_BACKTRACE=1`, which only panics — real bugs — should honour).
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Only the commands that train allocate the large buffers huge pages are for.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if matches!(
        cli.command,
        Command::Train(_)
            | Command::Bench(_)
            | Command::Reproduce(_)
            | Command::Sweep(_)
            | Command::Baseline(_)
    ) {
        use_huge_pages();
    }
    // Element-wise ops on one thread unless set (see the function; a notebook calls it too).
    gcatm::device::tune_cpu();
    match cli.command {
        Command::Corpus(a) => cli::corpus::run(a),
        Command::Data(a) => cli::data::run(a),
        Command::Train(a) => cli::train::run(a),
        Command::Bench(a) => cli::bench::run(a),
        Command::Coherence(a) => cli::coherence::run(a),
        Command::Log(a) => cli::log::run(a),
        Command::Reproduce(a) => cli::reproduce::run(a),
        Command::Baseline(a) => cli::baseline::run(a),
        Command::Sweep(a) => cli::sweep::run(a),
    }
}

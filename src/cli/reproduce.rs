//! `gcatm reproduce`: re-run one entry of the experiment log, or all of them, at a budget.
use super::common::{epoch_line, Eta};
use anyhow::Context;
use gcatm::experiments::reproduce::{
    all_entries, find_entry, load_data, run_all, run_entry, Progress, SummaryRow, SUMMARY_FILE,
};
use gcatm::experiments::{Budget, Entry};
use gcatm::train::EpochRecord;
use std::path::PathBuf;

/// Arguments of `gcatm reproduce`.
#[derive(clap::Args)]
pub struct ReproduceArgs {
    /// The entry: its number (1..12), label (9b), time stamp id or log folder.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    entry: Option<String>,
    /// Run every entry (the twelve and 9b), then write <OUT>/summary.json.
    #[arg(long)]
    all: bool,
    /// smoke, cpu, long or full (default: GCATM_BUDGET, else cpu).
    #[arg(long)]
    budget: Option<Budget>,
    /// Folder of the run folders (<OUT>/<label>) and of summary.json. A folder that holds a
    /// finished run of the same configuration is reused, an interrupted one continued; delete
    /// it to train from the start.
    #[arg(long, default_value = "runs")]
    out: PathBuf,
    /// Data folder holding 20ng/ and 20news_clean/ (default: GCATM_DATA, else ./data).
    #[arg(long)]
    data: Option<PathBuf>,
}

/// Runs `gcatm reproduce`.
pub fn run(args: ReproduceArgs) -> anyhow::Result<()> {
    let budget = match args.budget {
        Some(b) => b,
        None => Budget::from_env()?,
    };
    let data = load_data(budget, args.data.as_deref())?;
    match data.source.as_ref().and_then(|s| s.corpus.as_ref()) {
        Some(dir) => eprintln!(
            "budget {budget}; corpus: {} from {}",
            data.description,
            dir.display()
        ),
        None => eprintln!("budget {budget}; corpus: {}", data.description),
    }
    if args.all {
        let list = all_entries();
        let mut eta = Eta::new(budget.epochs());
        let rows = run_all(&list, budget, &data, &args.out, |p| match p {
            Progress::Start(e, i, n) => {
                eta = Eta::new(e.config(budget).epochs);
                eprintln!("[{}/{n}] {}", i + 1, describe(e, budget))
            }
            Progress::Epoch(_, r) => show_epoch(r, &mut eta),
            Progress::Done(row) => eprintln!("  {}", row_line(row)),
        })?;
        let summary = args.out.join(SUMMARY_FILE);
        println!("{}", serde_json::to_string_pretty(&rows)?);
        eprintln!("summary: {}", summary.display());
        let failed: Vec<&str> = rows
            .iter()
            .filter(|r| r.error.is_some())
            .map(|r| r.entry.as_str())
            .collect();
        if !failed.is_empty() {
            anyhow::bail!(
                "{} of {} entries failed ({}): see `error` in {}",
                failed.len(),
                rows.len(),
                failed.join(", "),
                summary.display()
            );
        }
    } else {
        let key = args.entry.as_deref().unwrap_or_default();
        let e = find_entry(key)?;
        eprintln!("{}", describe(e, budget));
        let evaluator = data.evaluator()?;
        let mut eta = Eta::new(e.config(budget).epochs);
        let run = run_entry(e, budget, &data, &evaluator, &args.out, |r| {
            show_epoch(r, &mut eta)
        })
        .with_context(|| format!("reproducing entry {}", e.label))?;
        println!("{}", serde_json::to_string_pretty(&run.row)?);
        eprintln!("run folder: {}: {}", run.dir.display(), run.origin);
    }
    Ok(())
}

fn describe(e: &Entry, budget: Budget) -> String {
    let c = e.config(budget);
    format!(
        "entry {} ({}), section {}, K = {}, variant {}, generator lr {:.0e}, lr {:.0e}, tau {}, batch {}, {} epochs",
        e.label,
        e.id,
        e.section.number(),
        c.topics,
        c.variant,
        c.generator_lr(),
        c.lr,
        c.temperature,
        c.batch_size,
        c.epochs
    )
}

fn show_epoch(r: &EpochRecord, eta: &mut Eta) {
    eprintln!("  {}", epoch_line(r, eta));
}

fn row_line(r: &SummaryRow) -> String {
    if let Some(err) = &r.error {
        return format!("entry {} FAILED: {err}", r.entry);
    }
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
    format!(
        "entry {} done: best NPMI {} at epoch {}, final NPMI {}, TD {}, C_V {}, {:.1} s on {}",
        r.entry,
        f(r.best_npmi),
        r.best_epoch.map_or("-".to_string(), |e| e.to_string()),
        f(r.final_npmi),
        f(r.td),
        f(r.cv),
        r.wall_seconds,
        r.device
    )
}

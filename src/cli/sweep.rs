//! `gcatm sweep`: train a grid of recipes (the log's settings and the options that depart from
//! it) × K × seeds over one log entry, and print the comparison table.
use super::common::{epoch_line, Eta};
use gcatm::experiments::reproduce::{find_entry, load_data};
use gcatm::experiments::sweep::{
    find_recipe, run_sweep, table, Sweep, SweepProgress, SWEEP_FILE, TABLE_FILE,
};
use gcatm::experiments::Budget;
use std::path::PathBuf;

/// Arguments of `gcatm sweep`.
#[derive(clap::Args)]
pub struct SweepArgs {
    /// The log entry every run starts from (its settings at the budget).
    #[arg(long, default_value = "11")]
    entry: String,
    /// Recipes, comma-separated (log, balance, spectral, ttur, spectral-ttur, all; default: all
    /// of them).
    #[arg(long, value_delimiter = ',')]
    recipes: Vec<String>,
    /// Values of K, comma-separated (default: the entry's).
    #[arg(long, value_delimiter = ',')]
    topics: Vec<usize>,
    /// Seeds, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0,1,2")]
    seeds: Vec<u64>,
    /// Epochs of every run (default: the budget's).
    #[arg(long)]
    epochs: Option<usize>,
    /// Evaluate every N epochs (default: the budget's).
    #[arg(long)]
    eval_every: Option<usize>,
    /// smoke (the planted corpus, a small network), cpu or long (20ng-1883); default:
    /// GCATM_BUDGET, else cpu.
    #[arg(long)]
    budget: Option<Budget>,
    /// Folder of the run folders (<OUT>/k<K>/<recipe>/seed<S>), sweep.json and sweep.md. Finished
    /// runs of the same configuration are reused, interrupted ones continued.
    #[arg(long, default_value = "runs/sweep")]
    out: PathBuf,
    /// Data folder holding 20ng/ and 20news_clean/ (default: GCATM_DATA, else ./data).
    #[arg(long)]
    data: Option<PathBuf>,
}

/// Runs `gcatm sweep`.
pub fn run(args: SweepArgs) -> anyhow::Result<()> {
    let budget = match args.budget {
        Some(b) => b,
        None => Budget::from_env()?,
    };
    let entry = find_entry(&args.entry)?;
    let mut sweep = Sweep::new(entry, budget).seeds(args.seeds.clone());
    if !args.recipes.is_empty() {
        sweep = sweep.recipes(
            args.recipes
                .iter()
                .map(|n| find_recipe(n.trim()))
                .collect::<Result<_, _>>()?,
        );
    }
    if !args.topics.is_empty() {
        sweep = sweep.topics(args.topics.clone());
    }
    if let Some(e) = args.epochs {
        sweep = sweep.epochs(e);
    }
    if let Some(e) = args.eval_every {
        sweep = sweep.eval_every(e);
    }
    if sweep.seeds.is_empty() || sweep.topics.contains(&0) {
        anyhow::bail!("a sweep needs at least one seed and K > 0");
    }
    let data = load_data(budget, args.data.as_deref())?;
    eprintln!(
        "sweep over entry {} at the {budget} budget on {}: {} runs",
        entry.label,
        data.description,
        sweep.cells().len()
    );
    eprintln!(
        "baselines for K = {:?} (LDA takes a minute or two per K the first time)",
        sweep.topics
    );
    let mut eta = Eta::new(1);
    let (rows, baselines) = run_sweep(&sweep, &data, &args.out, |p| match p {
        SweepProgress::Start(cell, i, n) => {
            let c = sweep.config(cell);
            eta = Eta::new(c.epochs);
            eprintln!(
                "[{}/{n}] {} ({}), {} epochs",
                i + 1,
                cell.label(),
                cell.recipe.summary,
                c.epochs
            );
        }
        SweepProgress::Epoch(r) => eprintln!("  {}", epoch_line(r, &mut eta)),
        SweepProgress::Done(row) => match (&row.error, row.best(), row.last()) {
            (Some(e), _, _) => eprintln!("  FAILED: {e}"),
            (None, Some(b), Some(l)) => eprintln!(
                "  best NPMI {:.3} at epoch {} (TD {:.2}); last NPMI {:.3}, TD {:.2}; {:.1} min",
                b.npmi,
                b.epoch,
                b.td,
                l.npmi,
                l.td,
                row.wall_seconds / 60.0
            ),
            _ => eprintln!("  no evaluation"),
        },
    })?;
    print!("{}", table(&rows, &baselines));
    eprintln!(
        "rows: {}; table: {}",
        args.out.join(SWEEP_FILE).display(),
        args.out.join(TABLE_FILE).display()
    );
    let failed = rows.iter().filter(|r| r.error.is_some()).count();
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} runs failed (see `error` in {})",
            rows.len(),
            args.out.join(SWEEP_FILE).display()
        );
    }
    Ok(())
}

//! `gcatm log`: the experiment log's entries.
use anyhow::Context;
use gcatm::experiments::{entries, entry, Budget, Entry};

/// Arguments of `gcatm log`.
#[derive(clap::Args)]
pub struct LogArgs {
    #[command(subcommand)]
    command: LogCommand,
}

#[derive(clap::Subcommand)]
enum LogCommand {
    /// Print the twelve entries (and entry 9's follow-up) as a table.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print one entry and its training configuration at a budget.
    Show {
        /// Entry number, label (9b), time stamp id or log folder.
        entry: String,
        /// smoke, cpu, long or full (default: GCATM_BUDGET, else cpu).
        #[arg(long)]
        budget: Option<Budget>,
    },
}

/// Runs `gcatm log`.
pub fn run(args: LogArgs) -> anyhow::Result<()> {
    match args.command {
        LogCommand::List { json } => {
            let rows: Vec<&Entry> = entries()
                .iter()
                .flat_map(|e| std::iter::once(e).chain(e.follow_up))
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", table(&rows));
            }
        }
        LogCommand::Show { entry: key, budget } => {
            let e = entry(&key).with_context(|| format!("no log entry `{key}`"))?;
            let budget = match budget {
                Some(b) => b,
                None => Budget::from_env()?,
            };
            println!("{}", serde_json::to_string_pretty(e)?);
            println!("log folder: {}", e.log_dir().as_deref().unwrap_or("(none)"));
            println!("config at budget {budget}:");
            println!("{}", serde_json::to_string_pretty(&e.config(budget))?);
        }
    }
    Ok(())
}

/// The entries as a fixed-width text table.
fn table(rows: &[&Entry]) -> String {
    let mut out = format!(
        "{:<4} {:<17} {:<4} {:>4} {:>7} {:>7} {:>5} {:>6} {:<5} {:>8}  notes\n",
        "#", "id", "sec", "K", "lr", "G lr", "tau", "batch", "var", "NPMI"
    );
    for e in rows {
        let npmi = e
            .reported_npmi
            .map_or("-".to_string(), |v| format!("{v:.5}"));
        let note: String = e.notes.chars().take(60).collect();
        let ellipsis = if e.notes.chars().count() > 60 {
            "..."
        } else {
            ""
        };
        out.push_str(&format!(
            "{:<4} {:<17} {:<4} {:>4} {:>7.0e} {:>7.0e} {:>5} {:>6} {:<5} {:>8}  {note}{ellipsis}\n",
            e.label,
            e.id,
            e.section.number(),
            e.topics,
            e.lr,
            e.generator_lr(),
            e.temperature,
            e.batch_size,
            e.variant.to_string(),
            npmi,
        ));
    }
    out
}

//! The README's results: every entry over its three seeds and the baselines, read from the shipped
//! evidence (`notebooks/seeds/cpu/`), as Markdown tables on stdout and a chart.
//!
//!     cargo run --release --example results > /tmp/results.md   # writes notebooks/seeds/cpu/results.svg
//!
//! The README carries the tables between its `<!-- results -->` markers (a test compares them).
use gcatm::experiments::reproduce::load_data;
use gcatm::experiments::seeds::{chart_by_topics, read_evidence, results_markdown};
use gcatm::experiments::Budget;
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks/seeds/cpu");
    let data = load_data(Budget::Cpu, None)?;
    let evidence = read_evidence(Budget::Cpu, &data.description, &out)?;
    print!("{}", results_markdown(&evidence));
    let fig = chart_by_topics(
        &evidence.0,
        &evidence.1,
        "20ng-1883, 200 epochs, seeds 0-2: best NPMI against K",
    )?;
    fig.save_svg(out.join("results.svg"))?;
    Ok(())
}

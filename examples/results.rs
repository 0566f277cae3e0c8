//! The README's results: every entry over its three seeds and the baselines, read from the shipped
//! evidence (`notebooks/seeds/cpu/`), as Markdown tables on stdout and a chart.
//!
//!     cargo run --release --example results > /tmp/results.md   # writes notebooks/seeds/cpu/results.svg
use gcatm::experiments::reproduce::load_data;
use gcatm::experiments::seeds::{baselines_table, chart_by_topics, read_evidence, summary_table};
use gcatm::experiments::Budget;
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks/seeds/cpu");
    let data = load_data(Budget::Cpu, None)?;
    let (groups, baselines) = read_evidence(Budget::Cpu, &data.description, &out)?;
    println!("{}", summary_table(&groups, &baselines).to_markdown());
    println!("{}", baselines_table(&baselines).to_markdown());
    let fig = chart_by_topics(
        &groups,
        &baselines,
        "20ng-1883, 200 epochs: best NPMI against K",
    )?;
    fig.save_svg(out.join("results.svg"))?;
    Ok(())
}

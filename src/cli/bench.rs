//! `gcatm bench` (to be written).

/// Arguments of `gcatm bench`.
#[derive(clap::Args)]
pub struct BenchArgs {}

/// Runs `gcatm bench`.
pub fn run(_args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("gcatm bench is not written yet")
}

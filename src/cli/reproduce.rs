//! `gcatm reproduce` (to be written).

/// Arguments of `gcatm reproduce`.
#[derive(clap::Args)]
pub struct ReproduceArgs {}

/// Runs `gcatm reproduce`.
pub fn run(_args: ReproduceArgs) -> anyhow::Result<()> {
    anyhow::bail!("gcatm reproduce is not written yet")
}

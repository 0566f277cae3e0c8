//! `gcatm train` (to be written).

/// Arguments of `gcatm train`.
#[derive(clap::Args)]
pub struct TrainArgs {}

/// Runs `gcatm train`.
pub fn run(_args: TrainArgs) -> anyhow::Result<()> {
    anyhow::bail!("gcatm train is not written yet")
}

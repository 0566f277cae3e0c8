//! `gcatm data` (to be written).

/// Arguments of `gcatm data`.
#[derive(clap::Args)]
pub struct DataArgs {}

/// Runs `gcatm data`.
pub fn run(_args: DataArgs) -> anyhow::Result<()> {
    anyhow::bail!("gcatm data is not written yet")
}

//! `gcatm log` (to be written).

/// Arguments of `gcatm log`.
#[derive(clap::Args)]
pub struct LogArgs {}

/// Runs `gcatm log`.
pub fn run(_args: LogArgs) -> anyhow::Result<()> {
    anyhow::bail!("gcatm log is not written yet")
}

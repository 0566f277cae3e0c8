//! `gcatm coherence` (to be written).

/// Arguments of `gcatm coherence`.
#[derive(clap::Args)]
pub struct CoherenceArgs {}

/// Runs `gcatm coherence`.
pub fn run(_args: CoherenceArgs) -> anyhow::Result<()> {
    anyhow::bail!("gcatm coherence is not written yet")
}

//! `gcatm corpus` (to be written).

/// Arguments of `gcatm corpus`.
#[derive(clap::Args)]
pub struct CorpusArgs {}

/// Runs `gcatm corpus`.
pub fn run(_args: CorpusArgs) -> anyhow::Result<()> {
    anyhow::bail!("gcatm corpus is not written yet")
}

//! `gcatm data`: download and verify the standard corpora.
use clap::{Args, Subcommand};
use gcatm::corpus::fetch::{self, Check, Dataset};
use std::path::PathBuf;

/// Arguments of `gcatm data`.
#[derive(Args)]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Subcommand)]
enum DataCommand {
    /// Download a corpus (20ng or 20news_clean) into <DIR>/<name>/, verifying its checksums.
    Fetch(Target),
    /// Check the local files of a corpus against the published checksums (no download).
    Verify(Target),
    /// Print the data folder in use (--dir, then $GCATM_DATA, then ./data).
    Dir {
        /// An explicit data folder.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Args)]
struct Target {
    /// 20ng or 20news_clean.
    name: Dataset,
    /// The data folder (default: $GCATM_DATA, else ./data).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Runs `gcatm data`.
pub fn run(args: DataArgs) -> anyhow::Result<()> {
    match args.command {
        DataCommand::Fetch(t) => {
            let dir = fetch::data_dir(t.dir.as_deref());
            for f in fetch::fetch(t.name, &dir)? {
                println!("{f}");
            }
            Ok(())
        }
        DataCommand::Verify(t) => {
            let dir = fetch::data_dir(t.dir.as_deref());
            let mut bad = 0;
            for (path, check) in fetch::verify(t.name, &dir)? {
                let p = path.display();
                match check {
                    Check::Good => println!("ok         {p}"),
                    Check::Unpinned { actual } => {
                        println!("unpinned   {p} (computed sha256 {actual})")
                    }
                    Check::Missing => {
                        bad += 1;
                        println!("missing    {p}")
                    }
                    Check::Bad { actual } => {
                        bad += 1;
                        println!("MISMATCH   {p} (sha256 {actual})")
                    }
                }
            }
            if bad > 0 {
                anyhow::bail!(
                    "{bad} file(s) of {} missing or wrong: run `gcatm data fetch {}`",
                    t.name,
                    t.name
                );
            }
            Ok(())
        }
        DataCommand::Dir { dir } => {
            println!("{}", fetch::data_dir(dir.as_deref()).display());
            Ok(())
        }
    }
}

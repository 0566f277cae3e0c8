//! `gcatm corpus`: inspect corpora.
use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use gcatm::corpus::{fetch, load_text, read_vocab_file, Corpus, Format, Split, TextOptions};
use std::path::PathBuf;

/// Arguments of `gcatm corpus`.
#[derive(Args)]
pub struct CorpusArgs {
    #[command(subcommand)]
    command: CorpusCommand,
}

#[derive(Subcommand)]
enum CorpusCommand {
    /// Documents, vocabulary size, tokens, empty documents dropped, labels and mean length.
    Stats(StatsArgs),
}

#[derive(Args)]
struct StatsArgs {
    /// The corpus folder (or text file); a relative name not found here is looked up in the data
    /// folder (--data-dir, then $GCATM_DATA, then ./data).
    path: PathBuf,
    /// The layout of the files.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    format: FormatArg,
    /// Which split to load (UCI and text have none and ignore it).
    #[arg(long, value_enum, default_value_t = SplitArg::All)]
    split: SplitArg,
    /// Keep only the words of this vocabulary (`vocab.pkl` or a one-word-per-line `vocab.txt`).
    #[arg(long, value_name = "FILE")]
    restrict_vocab: Option<PathBuf>,
    /// The data folder to look names up in.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Text only: minimum number of documents a word occurs in.
    #[arg(long)]
    no_below: Option<usize>,
    /// Text only: maximum fraction of documents a word occurs in.
    #[arg(long)]
    no_above: Option<f64>,
    /// Text only: maximum vocabulary size (0: no limit).
    #[arg(long)]
    keep_n: Option<usize>,
    /// Print exactly one JSON object (keys docs, vocab, tokens, dropped_empty, labels, mean_len).
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Auto,
    Topmost,
    Prodlda,
    Uci,
    Text,
}

#[derive(Clone, Copy, ValueEnum)]
enum SplitArg {
    Train,
    Test,
    All,
}

/// Runs `gcatm corpus`.
pub fn run(args: CorpusArgs) -> anyhow::Result<()> {
    match args.command {
        CorpusCommand::Stats(a) => stats(a),
    }
}

fn stats(a: StatsArgs) -> anyhow::Result<()> {
    let path = fetch::resolve(&a.path, a.data_dir.as_deref());
    let format = match a.format {
        FormatArg::Auto => gcatm::corpus::detect_format(&path)?,
        FormatArg::Topmost => Format::TopMost,
        FormatArg::Prodlda => Format::ProdLda,
        FormatArg::Uci => Format::Uci,
        FormatArg::Text => Format::Text,
    };
    let split = match a.split {
        SplitArg::Train => Split::Train,
        SplitArg::Test => Split::Test,
        SplitArg::All => Split::All,
    };
    let corpus = if format == Format::Text {
        let mut opts = TextOptions::default();
        if let Some(n) = a.no_below {
            opts.no_below = n;
        }
        if let Some(f) = a.no_above {
            opts.no_above = f;
        }
        if let Some(k) = a.keep_n {
            opts.keep_n = (k > 0).then_some(k);
        }
        load_text(&path, &opts)?
    } else {
        Corpus::load(&path, format, split)?
    };
    let corpus = match &a.restrict_vocab {
        Some(v) => {
            let vocab = read_vocab_file(v)?;
            corpus
                .restrict_to(&vocab)
                .with_context(|| format!("restricting to {}", v.display()))?
        }
        None => corpus,
    };
    let (corpus, dropped) = corpus.drop_empty()?;
    let report = serde_json::json!({
        "docs": corpus.n_docs(),
        "vocab": corpus.vocab_size(),
        "tokens": corpus.tokens(),
        "dropped_empty": dropped,
        "labels": corpus.n_labels(),
        "mean_len": corpus.mean_len(),
    });
    if a.json {
        println!("{report}");
    } else {
        println!(
            "corpus         {} ({format:?}, split {:?})",
            path.display(),
            split
        );
        println!("documents      {}", corpus.n_docs());
        println!("vocabulary     {}", corpus.vocab_size());
        println!("tokens         {}", corpus.tokens());
        println!("dropped empty  {dropped}");
        println!("labels         {}", corpus.n_labels());
        println!("mean length    {:.2}", corpus.mean_len());
    }
    Ok(())
}

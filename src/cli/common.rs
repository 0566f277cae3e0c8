//! Pieces the subcommands share.
use anyhow::Context;
use gcatm::corpus::{read_vocab_file, Corpus, Format, PlantedCorpus, Split};
use std::path::Path;

/// A training corpus: the folder given (restricted to a vocabulary when asked, empty documents
/// dropped), or the built-in planted corpus when no folder is given.
pub struct Loaded {
    /// The documents.
    pub corpus: Corpus,
    /// Where they came from, for logs and summaries.
    pub description: String,
}

/// Loads `split` of `dir` (or the planted corpus), restricts it and drops empty documents.
pub fn load_corpus(
    dir: Option<&Path>,
    restrict: Option<&Path>,
    split: Split,
) -> anyhow::Result<Loaded> {
    let Some(dir) = dir else {
        let planted = PlantedCorpus::builder().build();
        let description = format!(
            "planted corpus ({} documents, {} topics, V = {})",
            planted.corpus.n_docs(),
            planted.topics.len(),
            planted.corpus.vocab_size()
        );
        return Ok(Loaded {
            corpus: planted.corpus,
            description,
        });
    };
    let mut corpus = Corpus::load(dir, Format::Auto, split)
        .with_context(|| format!("loading the corpus in {}", dir.display()))?;
    let mut description = format!("{} ({split:?})", dir.display());
    if let Some(r) = restrict {
        let vocab = read_vocab_file(r)?;
        corpus = corpus.restrict_to(&vocab)?;
        description.push_str(&format!(" restricted to {}", r.display()));
    }
    let (corpus, dropped) = corpus.drop_empty()?;
    description.push_str(&format!(
        ": {} documents, V = {}, {dropped} empty dropped",
        corpus.n_docs(),
        corpus.vocab_size()
    ));
    Ok(Loaded {
        corpus,
        description,
    })
}

/// Peak resident memory of this process in MiB (Linux; 0 where unknown).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

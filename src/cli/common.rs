//! Pieces the subcommands share.
use anyhow::Context;
use gcatm::corpus::fetch::data_dir;
use gcatm::corpus::{load_20ng_1883, read_vocab_file, Corpus, Format, PlantedCorpus, Split};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where a run's documents come from; saved in the run folder so that `--resume` reloads them.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct CorpusSource {
    /// The corpus folder; `None` means the default (20ng-1883 from the data folder, else planted).
    pub corpus: Option<PathBuf>,
    /// A vocabulary to restrict to.
    pub restrict_vocab: Option<PathBuf>,
}

/// Training and held-out documents, and where they came from.
pub struct Loaded {
    /// Training documents (empty ones dropped).
    pub train: Corpus,
    /// Held-out documents, when the source has them.
    pub test: Option<Corpus>,
    /// A one-line description for logs and summaries.
    pub description: String,
    /// The planted corpus with its truth, when that is what was loaded.
    pub planted: Option<PlantedCorpus>,
}

impl Loaded {
    /// The corpus used as the coherence reference: train and test together where both exist.
    pub fn reference(&self) -> anyhow::Result<Corpus> {
        Ok(match &self.test {
            Some(t) => self.train.concat(t)?,
            None => self.train.clone(),
        })
    }
}

/// Loads a training corpus.
///
/// With a folder: its train split (and test split where the layout has one), restricted and with
/// empty documents dropped. Without one: 20ng-1883 when the data folder (`$GCATM_DATA`, else
/// `./data`) holds `20ng/` and a `20news_clean` vocabulary, else the built-in planted corpus.
pub fn load_corpus(source: &CorpusSource) -> anyhow::Result<Loaded> {
    let Some(dir) = source.corpus.as_deref() else {
        let data = data_dir(None);
        if data.join("20ng").exists() && gcatm::corpus::news_clean_vocab_path(&data).is_some() {
            let (train, test) = load_20ng_1883(&data)?;
            let description = format!(
                "20ng-1883 from {} ({} train, {} test documents, V = {})",
                data.display(),
                train.n_docs(),
                test.n_docs(),
                train.vocab_size()
            );
            return Ok(Loaded {
                train,
                test: Some(test),
                description,
                planted: None,
            });
        }
        let mut p = planted();
        p.description
            .push_str(&format!(" (no 20ng data in {})", data.display()));
        return Ok(p);
    };
    let vocab = match source.restrict_vocab.as_deref() {
        Some(r) => Some(read_vocab_file(r)?),
        None => None,
    };
    let prepare = |c: Corpus| -> anyhow::Result<(Corpus, usize)> {
        let c = match &vocab {
            Some(v) => c.restrict_to(v)?,
            None => c,
        };
        Ok(c.drop_empty()?)
    };
    let (train, dropped) = match Corpus::load(dir, Format::Auto, Split::Train) {
        Ok(c) => prepare(c)?,
        // Layouts without splits (UCI, text) are all training documents.
        Err(_) => prepare(
            Corpus::load(dir, Format::Auto, Split::All)
                .with_context(|| format!("loading the corpus in {}", dir.display()))?,
        )?,
    };
    let test = Corpus::load(dir, Format::Auto, Split::Test)
        .ok()
        .map(prepare)
        .transpose()?
        .map(|(c, _)| c)
        .filter(|c| c.n_docs() > 0 && c.vocab() == train.vocab());
    let mut description = dir.display().to_string();
    if let Some(r) = &source.restrict_vocab {
        description.push_str(&format!(" restricted to {}", r.display()));
    }
    description.push_str(&format!(
        ": {} train documents ({dropped} empty dropped), {} test, V = {}",
        train.n_docs(),
        test.as_ref().map_or(0, |t| t.n_docs()),
        train.vocab_size()
    ));
    Ok(Loaded {
        train,
        test,
        description,
        planted: None,
    })
}

/// The built-in planted corpus with its default settings.
pub fn planted() -> Loaded {
    let planted = PlantedCorpus::builder().build();
    let description = format!(
        "the built-in planted corpus ({} documents, {} topics, V = {})",
        planted.corpus.n_docs(),
        planted.topics.len(),
        planted.corpus.vocab_size()
    );
    Loaded {
        train: planted.corpus.clone(),
        test: None,
        description,
        planted: Some(planted),
    }
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

/// Reads a JSON file into `T`, naming the file on error.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not valid JSON for this file", path.display()))
}

/// `1h02m`, `3m05s` or `7s`.
fn hms(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// The time left of a run, from the mean wall time of the epochs this process has trained
/// (evaluations and saves included), for progress lines written to a log or a notebook.
pub struct Eta {
    start: std::time::Instant,
    first: Option<usize>,
    /// The epoch the run ends at.
    total: usize,
}

impl Eta {
    /// Starts timing a run that ends at epoch `total`.
    pub fn new(total: usize) -> Eta {
        Eta {
            start: std::time::Instant::now(),
            first: None,
            total,
        }
    }

    /// The time left once `epoch` is done (the first call marks where this process started).
    pub fn after(&mut self, epoch: usize) -> String {
        let first = *self.first.get_or_insert(epoch.saturating_sub(1));
        let per = self.start.elapsed().as_secs_f64() / (epoch - first).max(1) as f64;
        hms(per * self.total.saturating_sub(epoch) as f64)
    }
}

/// One epoch's progress line: the record's own line (see `EpochRecord`'s `Display`) and the time
/// left.
pub fn epoch_line(r: &gcatm::train::EpochRecord, eta: &mut Eta) -> String {
    format!("{r} | eta {} to epoch {}", eta.after(r.epoch), eta.total)
}

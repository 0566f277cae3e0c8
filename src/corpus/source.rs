//! Where a run's documents come from: one type that `gcatm train` saves in a run folder
//! (`corpus.json`, so that `--resume` reloads the same documents), that the runner of the log's
//! entries writes for its 20ng-1883 runs, and one function that loads it.
use super::fetch::data_dir;
use super::{
    load_20ng_1883, news_clean_vocab_path, read_vocab_file, Corpus, CorpusError, Format,
    PlantedCorpus, Split,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A corpus folder, optionally restricted to a vocabulary; both `None` is the default corpus
/// (20ng-1883 from the data folder when it is there, else the built-in planted corpus).
///
/// ```
/// use gcatm::corpus::CorpusSource;
/// let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
/// let source = CorpusSource::twenty_ng_1883(&here).unwrap();
/// assert!(source.corpus.as_ref().unwrap().ends_with("20ng"));
/// let loaded = source.load().unwrap();
/// assert_eq!((loaded.train.vocab_size(), loaded.train.n_docs()), (1883, 11314));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CorpusSource {
    /// The corpus folder; `None` means the default (20ng-1883 from the data folder, else planted).
    pub corpus: Option<PathBuf>,
    /// A vocabulary to restrict to (`vocab.pkl` or `vocab.txt`).
    pub restrict_vocab: Option<PathBuf>,
}

/// Training and held-out documents, and where they came from.
pub struct LoadedCorpus {
    /// Training documents (empty ones dropped).
    pub train: Corpus,
    /// Held-out documents, when the source has them (with the training vocabulary).
    pub test: Option<Corpus>,
    /// A one-line description for logs and summaries.
    pub description: String,
    /// The planted corpus with its truth, when that is what was loaded.
    pub planted: Option<PlantedCorpus>,
}

impl LoadedCorpus {
    /// The built-in planted corpus with its default settings.
    ///
    /// ```
    /// let p = gcatm::corpus::LoadedCorpus::planted();
    /// assert!(p.planted.is_some() && p.test.is_none());
    /// ```
    pub fn planted() -> LoadedCorpus {
        let planted = PlantedCorpus::builder().build();
        let description = format!(
            "the built-in planted corpus ({} documents, {} topics, V = {})",
            planted.corpus.n_docs(),
            planted.topics.len(),
            planted.corpus.vocab_size()
        );
        LoadedCorpus {
            train: planted.corpus.clone(),
            test: None,
            description,
            planted: Some(planted),
        }
    }

    /// The corpus used as the coherence reference: train and test together where both exist.
    pub fn reference(&self) -> Result<Corpus, CorpusError> {
        match &self.test {
            Some(t) => self.train.concat(t),
            None => Ok(self.train.clone()),
        }
    }
}

impl CorpusSource {
    /// 20ng-1883 in the data folder `data_dir`: its `20ng/` folder restricted to the
    /// `20news_clean` vocabulary; `None` when that vocabulary is not there.
    pub fn twenty_ng_1883(data_dir: &Path) -> Option<CorpusSource> {
        Some(CorpusSource {
            corpus: Some(data_dir.join("20ng")),
            restrict_vocab: Some(news_clean_vocab_path(data_dir)?),
        })
    }

    /// Loads the documents. With a folder: its train split (and test split where the layout has
    /// one), restricted to the vocabulary and with empty documents dropped; a layout without
    /// splits (UCI, text) is all training documents. Without one: 20ng-1883 when the data folder
    /// (`$GCATM_DATA`, else `./data`, else the crate's own `data/`) holds it, else the planted
    /// corpus. Errors name the file that could not be read.
    pub fn load(&self) -> Result<LoadedCorpus, CorpusError> {
        let Some(dir) = self.corpus.as_deref() else {
            let data = data_dir(None);
            if data.join("20ng").exists() && news_clean_vocab_path(&data).is_some() {
                let (train, test) = load_20ng_1883(&data)?;
                let description = format!(
                    "20ng-1883 from {} ({} train, {} test documents, V = {})",
                    data.display(),
                    train.n_docs(),
                    test.n_docs(),
                    train.vocab_size()
                );
                return Ok(LoadedCorpus {
                    train,
                    test: Some(test),
                    description,
                    planted: None,
                });
            }
            let mut p = LoadedCorpus::planted();
            p.description
                .push_str(&format!(" (no 20ng data in {})", data.display()));
            return Ok(p);
        };
        let vocab = match self.restrict_vocab.as_deref() {
            Some(r) => Some(read_vocab_file(r)?),
            None => None,
        };
        let prepare = |c: Corpus| -> Result<(Corpus, usize), CorpusError> {
            let c = match &vocab {
                Some(v) => c.restrict_to(v)?,
                None => c,
            };
            c.drop_empty()
        };
        let (train, dropped) = match Corpus::load(dir, Format::Auto, Split::Train) {
            Ok(c) => prepare(c)?,
            Err(_) => prepare(Corpus::load(dir, Format::Auto, Split::All)?)?,
        };
        let test = Corpus::load(dir, Format::Auto, Split::Test)
            .ok()
            .map(prepare)
            .transpose()?
            .map(|(c, _)| c)
            .filter(|c| c.n_docs() > 0 && c.vocab() == train.vocab());
        let mut description = dir.display().to_string();
        if let Some(r) = &self.restrict_vocab {
            description.push_str(&format!(" restricted to {}", r.display()));
        }
        description.push_str(&format!(
            ": {} train documents ({dropped} empty dropped), {} test, V = {}",
            train.n_docs(),
            test.as_ref().map_or(0, |t| t.n_docs()),
            train.vocab_size()
        ));
        Ok(LoadedCorpus {
            train,
            test,
            description,
            planted: None,
        })
    }
}

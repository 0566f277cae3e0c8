//! Corpora: a sparse document-term matrix, its vocabulary and optional labels, the loaders for the
//! layouts researchers use, the transformations between them, and a [`Batcher`] that turns documents
//! into dense `B x V` tensors.
//!
//! A [`Corpus`] never holds a dense documents x vocabulary matrix: rows are stored in CSR form
//! (offsets, word ids, values). Only a batch is ever made dense.

mod batcher;
mod error;
pub mod fetch;
mod idf;
mod npy;
mod pickle;
mod planted;
mod prodlda;
mod source;
mod standard;
mod text;
mod topmost;
mod transform;
mod uci;
mod vocab;

pub use batcher::{Batch, Batcher, SparseBatch};
pub use error::CorpusError;
pub use idf::{Idf, InputTransform};
pub use planted::{PlantedCorpus, PlantedCorpusBuilder};
pub use prodlda::{load_prodlda, read_pickled_vocab};
pub use source::{CorpusSource, LoadedCorpus};
pub use standard::{load_20ng_1883, news_clean_vocab_path};
pub use text::{load_text, TextOptions, Tokenizer, ENGLISH_STOP_WORDS};
pub use topmost::load_topmost;
pub use uci::load_uci;
pub use vocab::{read_vocab_file, Vocab};

use std::path::Path;

/// Which split of a corpus folder to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// The training documents.
    Train,
    /// The held-out documents.
    Test,
    /// Training, then held-out documents (and, for ProdLDA, validation documents).
    All,
}

impl std::str::FromStr for Split {
    type Err = CorpusError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "train" => Ok(Split::Train),
            "test" => Ok(Split::Test),
            "all" => Ok(Split::All),
            other => Err(CorpusError::Invalid(format!(
                "unknown split `{other}` (expected train, test or all)"
            ))),
        }
    }
}

/// The on-disk layout of a corpus folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Look at the files and pick one of the others.
    Auto,
    /// TopMost / ECRTM: `{train,test}_bow.npz`, `vocab.txt`, `{train,test}_labels.txt`.
    TopMost,
    /// ProdLDA `20news_clean`: `{train,test,valid}.txt.npy` and `vocab.pkl`.
    ProdLda,
    /// UCI bag-of-words: `docword.NAME.txt[.gz]` and `vocab.NAME.txt`.
    Uci,
    /// Raw text: one document per line in a `.txt` file, or a folder of text files.
    Text,
}

impl std::str::FromStr for Format {
    type Err = CorpusError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Format::Auto),
            "topmost" => Ok(Format::TopMost),
            "prodlda" => Ok(Format::ProdLda),
            "uci" => Ok(Format::Uci),
            "text" => Ok(Format::Text),
            other => Err(CorpusError::Invalid(format!(
                "unknown format `{other}` (expected auto, topmost, prodlda, uci or text)"
            ))),
        }
    }
}

/// A bag-of-words corpus: a CSR document-term matrix with its vocabulary and optional labels.
///
/// Values are `f32`: integer counts as loaded, or weights after [`Corpus::tfidf`] /
/// [`Corpus::l1_normalized`].
///
/// ```
/// use gcatm::corpus::{Corpus, Vocab};
/// let vocab = Vocab::new(vec!["apple".into(), "pear".into(), "plum".into()]).unwrap();
/// // two documents: {apple: 2, plum: 1} and {pear: 3}
/// let c = Corpus::from_csr(vec![0, 2, 3], vec![0, 2, 1], vec![2.0, 1.0, 3.0], vocab, None).unwrap();
/// assert_eq!(c.n_docs(), 2);
/// assert_eq!(c.tokens(), 6.0);
/// assert_eq!(c.doc(1), (&[1u32][..], &[3.0f32][..]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Corpus {
    offsets: Vec<usize>,
    word_ids: Vec<u32>,
    values: Vec<f32>,
    vocab: Vocab,
    labels: Option<Vec<u32>>,
    label_names: Option<Vec<String>>,
}

impl Corpus {
    /// Builds a corpus from CSR parts, checking that they agree with each other and the vocabulary.
    ///
    /// `offsets` has one more entry than there are documents; document `d` owns
    /// `word_ids[offsets[d]..offsets[d + 1]]` and the same range of `values`.
    pub fn from_csr(
        offsets: Vec<usize>,
        word_ids: Vec<u32>,
        values: Vec<f32>,
        vocab: Vocab,
        labels: Option<Vec<u32>>,
    ) -> Result<Self, CorpusError> {
        if offsets.first() != Some(&0) {
            return Err(CorpusError::Invalid(
                "CSR offsets must start at 0".to_string(),
            ));
        }
        if offsets.windows(2).any(|w| w[0] > w[1]) {
            return Err(CorpusError::Invalid(
                "CSR offsets must not decrease".to_string(),
            ));
        }
        let nnz = *offsets.last().unwrap_or(&0);
        if nnz != word_ids.len() || nnz != values.len() {
            return Err(CorpusError::Invalid(format!(
                "CSR offsets end at {nnz} but there are {} word ids and {} values",
                word_ids.len(),
                values.len()
            )));
        }
        if let Some(&w) = word_ids.iter().find(|&&w| w as usize >= vocab.len()) {
            return Err(CorpusError::Invalid(format!(
                "word id {w} is out of range for a vocabulary of {} words",
                vocab.len()
            )));
        }
        if let Some(v) = values.iter().find(|v| !v.is_finite() || **v < 0.0) {
            return Err(CorpusError::Invalid(format!(
                "document-term values must be finite and non-negative, found {v}"
            )));
        }
        let n_docs = offsets.len() - 1;
        if let Some(l) = &labels {
            if l.len() != n_docs {
                return Err(CorpusError::Invalid(format!(
                    "{} labels for {n_docs} documents",
                    l.len()
                )));
            }
        }
        Ok(Corpus {
            offsets,
            word_ids,
            values,
            vocab,
            labels,
            label_names: None,
        })
    }

    /// Builds a corpus from per-document `(word id, count)` lists (ids may repeat; they are summed).
    ///
    /// ```
    /// use gcatm::corpus::{Corpus, Vocab};
    /// let vocab = Vocab::new(vec!["a".into(), "b".into()]).unwrap();
    /// let c = Corpus::from_docs(&[vec![(1, 1.0), (0, 2.0), (1, 1.0)]], vocab).unwrap();
    /// assert_eq!(c.doc(0), (&[0u32, 1][..], &[2.0f32, 2.0][..]));
    /// ```
    pub fn from_docs(docs: &[Vec<(u32, f32)>], vocab: Vocab) -> Result<Self, CorpusError> {
        let mut offsets = Vec::with_capacity(docs.len() + 1);
        offsets.push(0);
        let mut word_ids = Vec::new();
        let mut values = Vec::new();
        for doc in docs {
            let mut d = doc.clone();
            d.sort_by_key(|&(w, _)| w);
            for (w, v) in d {
                if word_ids.len() > *offsets.last().unwrap() && *word_ids.last().unwrap() == w {
                    *values.last_mut().unwrap() += v;
                } else {
                    word_ids.push(w);
                    values.push(v);
                }
            }
            offsets.push(word_ids.len());
        }
        Corpus::from_csr(offsets, word_ids, values, vocab, None)
    }

    /// Number of documents.
    pub fn n_docs(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The vocabulary (column `i` is word `vocab.word(i)`).
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Vocabulary size V.
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// Number of stored (non-zero) entries.
    pub fn nnz(&self) -> usize {
        self.word_ids.len()
    }

    /// Document `d` as `(word ids, values)`, word ids ascending.
    pub fn doc(&self, d: usize) -> (&[u32], &[f32]) {
        let (s, e) = (self.offsets[d], self.offsets[d + 1]);
        (&self.word_ids[s..e], &self.values[s..e])
    }

    /// Document `d`'s `n` largest values with their words, largest first (ties in word order).
    ///
    /// ```
    /// use gcatm::corpus::{Corpus, Vocab};
    /// let v = Vocab::new(vec!["a".into(), "b".into(), "c".into()]).unwrap();
    /// let c = Corpus::from_docs(&[vec![(0, 1.0), (1, 3.0), (2, 2.0)]], v).unwrap();
    /// assert_eq!(c.top_words(0, 2), vec![("b", 3.0), ("c", 2.0)]);
    /// ```
    pub fn top_words(&self, d: usize, n: usize) -> Vec<(&str, f32)> {
        let (ids, vals) = self.doc(d);
        let mut words: Vec<(&str, f32)> = ids
            .iter()
            .zip(vals)
            .map(|(&i, &v)| (self.vocab.word(i as usize), v))
            .collect();
        words.sort_by(|a, b| b.1.total_cmp(&a.1));
        words.truncate(n);
        words
    }

    /// Sum of document `d`'s values (its token count for a count matrix).
    pub fn doc_len(&self, d: usize) -> f64 {
        self.doc(d).1.iter().map(|&v| v as f64).sum()
    }

    /// Sum of all values (the number of tokens for a count matrix).
    pub fn tokens(&self) -> f64 {
        self.values.iter().map(|&v| v as f64).sum()
    }

    /// Mean document length in tokens (0 for an empty corpus).
    pub fn mean_len(&self) -> f64 {
        if self.n_docs() == 0 {
            0.0
        } else {
            self.tokens() / self.n_docs() as f64
        }
    }

    /// The raw CSR parts: `(offsets, word ids, values)`.
    pub fn csr(&self) -> (&[usize], &[u32], &[f32]) {
        (&self.offsets, &self.word_ids, &self.values)
    }

    /// The document labels, if the corpus has them.
    pub fn labels(&self) -> Option<&[u32]> {
        self.labels.as_deref()
    }

    /// Number of distinct labels (0 without labels).
    pub fn n_labels(&self) -> usize {
        match (&self.labels, &self.label_names) {
            (_, Some(names)) => names.len(),
            (Some(l), None) => {
                let mut s: Vec<u32> = l.clone();
                s.sort_unstable();
                s.dedup();
                s.len()
            }
            (None, None) => 0,
        }
    }

    /// Names of the labels, where known (label `i` is `label_names()[i]`).
    pub fn label_names(&self) -> Option<&[String]> {
        self.label_names.as_deref()
    }

    /// Attaches labels (one per document) and optionally their names.
    pub fn with_labels(
        mut self,
        labels: Vec<u32>,
        names: Option<Vec<String>>,
    ) -> Result<Self, CorpusError> {
        if labels.len() != self.n_docs() {
            return Err(CorpusError::Invalid(format!(
                "{} labels for {} documents",
                labels.len(),
                self.n_docs()
            )));
        }
        if let Some(n) = &names {
            if let Some(&l) = labels.iter().find(|&&l| l as usize >= n.len()) {
                return Err(CorpusError::Invalid(format!(
                    "label {l} has no name among {} label names",
                    n.len()
                )));
            }
        }
        self.labels = Some(labels);
        self.label_names = names;
        Ok(self)
    }

    /// Loads a corpus folder (or a text file) in the given layout; [`Format::Auto`] looks at the files
    /// ([`detect_format`]). The UCI and text layouts have no splits: `split` is ignored for them, and
    /// text is read with [`TextOptions::default`] (call [`load_text`] for other options).
    ///
    /// ```no_run
    /// use gcatm::corpus::{Corpus, Format, Split};
    /// let c = Corpus::load("data/20ng".as_ref(), Format::Auto, Split::Train)?;
    /// # Ok::<(), gcatm::corpus::CorpusError>(())
    /// ```
    pub fn load(path: &Path, format: Format, split: Split) -> Result<Corpus, CorpusError> {
        let format = match format {
            Format::Auto => detect_format(path)?,
            f => f,
        };
        match format {
            Format::TopMost => load_topmost(path, split),
            Format::ProdLda => load_prodlda(path, split),
            Format::Uci => load_uci(path),
            Format::Text => load_text(path, &TextOptions::default()),
            Format::Auto => unreachable!("resolved above"),
        }
    }
}

/// Looks at the files of `path` and says which layout it holds: a file is text; a folder with
/// `train_bow.npz`/`test_bow.npz` is TopMost; with `vocab.pkl` or `*.txt.npy` ProdLDA; with a
/// `docword.*` file UCI; any other folder holding files or sub-folders is text.
pub fn detect_format(path: &Path) -> Result<Format, CorpusError> {
    if !path.exists() {
        return Err(CorpusError::Missing(path.to_path_buf()));
    }
    if path.is_file() {
        return Ok(Format::Text);
    }
    let has = |name: &str| path.join(name).exists();
    if has("train_bow.npz") || has("test_bow.npz") {
        return Ok(Format::TopMost);
    }
    if [
        "vocab.pkl",
        "train.txt.npy",
        "test.txt.npy",
        "valid.txt.npy",
    ]
    .iter()
    .any(|f| has(f))
    {
        return Ok(Format::ProdLda);
    }
    let entries = std::fs::read_dir(path).map_err(|e| CorpusError::io(path, e))?;
    let mut any_text = false;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with("docword.") {
            return Ok(Format::Uci);
        }
        // A folder of class sub-folders (the raw 20 Newsgroups layout) is text too.
        any_text |= !name.starts_with('.') && (entry.path().is_file() || entry.path().is_dir());
    }
    if any_text {
        Ok(Format::Text)
    } else {
        Err(CorpusError::Invalid(format!(
            "{}: no corpus files found (expected train_bow.npz, vocab.pkl, docword.*.txt or text files)",
            path.display()
        )))
    }
}

//! What a document looks like to the networks: the log's TF-IDF weights, or raw counts.
//!
//! Either way the batcher then divides each row by its sum (L1), so a document is a distribution
//! over the vocabulary; TF-IDF only changes how much each word weighs in it.
use super::{Corpus, CorpusError};
use serde::{Deserialize, Serialize};

/// The document transform applied before the networks see a document (then L1 per row).
///
/// `Tfidf` is the log's: its author's code fed scikit-learn `TfidfTransformer` weights (smoothed
/// idf fitted on the training documents; the L2 row norm it applies is undone by the L1 that
/// follows). `Counts` (raw counts, then L1) departs from the log.
///
/// ```
/// use gcatm::corpus::InputTransform;
/// assert_eq!("tfidf".parse::<InputTransform>().unwrap(), InputTransform::Tfidf);
/// assert_eq!(InputTransform::default(), InputTransform::Tfidf);
/// assert_eq!(InputTransform::Counts.to_string(), "counts");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum InputTransform {
    /// count x smoothed idf (fitted on the training documents), then L1: the log's input.
    #[default]
    Tfidf,
    /// Raw counts, then L1 (not the log's).
    Counts,
}

impl std::str::FromStr for InputTransform {
    type Err = CorpusError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "tfidf" | "tf-idf" => Ok(InputTransform::Tfidf),
            "counts" => Ok(InputTransform::Counts),
            other => Err(CorpusError::Invalid(format!(
                "unknown input `{other}` (expected tfidf or counts)"
            ))),
        }
    }
}

impl std::fmt::Display for InputTransform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InputTransform::Tfidf => "tfidf",
            InputTransform::Counts => "counts",
        })
    }
}

/// Inverse document frequencies as scikit-learn's `TfidfTransformer` computes them by default:
/// `idf(w) = ln((1 + N) / (1 + df(w))) + 1`, so that no word gets weight 0 (N documents, df(w) of
/// them containing w). Fitted once on the training documents and applied to every document the
/// encoder sees, held-out ones included; a run saves it with its checkpoints.
///
/// ```
/// use gcatm::corpus::{Corpus, Idf, Vocab};
/// let v = Vocab::new(vec!["a".into(), "b".into()]).unwrap();
/// let c = Corpus::from_docs(&[vec![(0, 2.0), (1, 1.0)], vec![(0, 1.0)]], v).unwrap();
/// let idf = Idf::fit(&c);
/// assert_eq!(idf.values()[0], 1.0); // in every document: ln(3/3) + 1
/// assert!((idf.values()[1] - ((3.0f64 / 2.0).ln() + 1.0)).abs() < 1e-12);
/// let w = idf.apply(&c).unwrap();
/// assert_eq!(w.doc(0).1, &[2.0f32, (1.5f64.ln() + 1.0) as f32][..]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f64>", into = "Vec<f64>")]
pub struct Idf {
    values: Vec<f64>,
}

impl TryFrom<Vec<f64>> for Idf {
    type Error = CorpusError;
    fn try_from(values: Vec<f64>) -> Result<Self, Self::Error> {
        Idf::from_values(values)
    }
}

impl From<Idf> for Vec<f64> {
    fn from(idf: Idf) -> Self {
        idf.values
    }
}

impl Idf {
    /// Fits the smoothed idf on `train`.
    pub fn fit(train: &Corpus) -> Idf {
        let n = train.n_docs() as f64;
        let values = train
            .document_frequencies()
            .into_iter()
            .map(|df| ((1.0 + n) / (1.0 + df as f64)).ln() + 1.0)
            .collect();
        Idf { values }
    }

    /// An idf from saved values (one per vocabulary word); every value must be finite and positive.
    pub fn from_values(values: Vec<f64>) -> Result<Idf, CorpusError> {
        if let Some((w, v)) = values
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v > 0.0))
        {
            return Err(CorpusError::Invalid(format!(
                "idf of word {w} is {v}: idf values must be finite and positive"
            )));
        }
        Ok(Idf { values })
    }

    /// One value per vocabulary word.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// `corpus` with each value multiplied by its word's idf (not yet normalised: the batcher
    /// divides each row by its sum). The corpus must have the vocabulary size it was fitted on.
    pub fn apply(&self, corpus: &Corpus) -> Result<Corpus, CorpusError> {
        if corpus.vocab_size() != self.values.len() {
            return Err(CorpusError::Invalid(format!(
                "the idf was fitted on {} words but the corpus has {}",
                self.values.len(),
                corpus.vocab_size()
            )));
        }
        let mut c = corpus.clone();
        for (w, v) in c.word_ids.iter().zip(c.values.iter_mut()) {
            *v = (*v as f64 * self.values[*w as usize]) as f32;
        }
        Ok(c)
    }
}

use crate::corpus::CorpusError;

/// Everything that can go wrong while evaluating topics or clusterings.
///
/// Bad input (unknown words, mismatched lengths, a model whose output does not match the
/// vocabulary) is reported through these variants; the evaluation code does not panic on it.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// Topic words that the vocabulary does not have (all of them, in topic order).
    #[error("{} topic word(s) not in the vocabulary: {}", .0.len(), .0.join(", "))]
    MissingWords(Vec<String>),
    /// A word id outside the vocabulary.
    #[error("word id {id} is out of range for a vocabulary of {vocab_size} words")]
    WordOutOfRange {
        /// The offending id.
        id: u32,
        /// The vocabulary size.
        vocab_size: usize,
    },
    /// A topic has too few words for a pairwise measure.
    #[error("topic {topic} has {words} word(s); coherence needs at least 2")]
    TooFewWords {
        /// Index of the topic.
        topic: usize,
        /// How many words it has.
        words: usize,
    },
    /// No topics (or only empty ones) were given.
    #[error("no topics to evaluate")]
    NoTopics,
    /// Two things that must have the same size do not.
    #[error("{what}: expected {expected}, got {got}")]
    SizeMismatch {
        /// What was compared.
        what: String,
        /// The size required.
        expected: usize,
        /// The size found.
        got: usize,
    },
    /// An option or argument has an unusable value.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A model produced NaN or infinite values.
    #[error("non-finite value in {0}")]
    NonFinite(String),
    /// Clustering scores need at least one document.
    #[error("clustering scores need at least one document")]
    NoDocuments,
    /// A corpus operation failed.
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// A tensor operation (a model's forward pass) failed.
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
}

//! Baselines that give a model's scores a scale: latent Dirichlet allocation fitted two ways
//! ([`Lda`], variational; [`GibbsLda`], collapsed Gibbs), ProdLDA ([`ProdLda`]) and the
//! random-topic floor ([`random_floor`]).
//!
//! A coherence number alone says little. [`Lda`] is the classical model every neural topic model
//! is compared with, fitted by variational Bayes as scikit-learn and gensim do it; [`GibbsLda`]
//! samples the same model as tomotopy does, and usually finds more coherent topics; [`ProdLda`]
//! is the neural baseline (TopMost's settings). The floor is what topics of random words score.
//! A model is worth reading when it clears the floor by a wide margin and comes near the
//! strongest of the others.
//!
//! All are scored by the crate's [`Evaluator`](crate::eval::Evaluator), exactly like the
//! adversarial model: [`LdaModel::evaluate`] gives NPMI, C_V, TD and, with a labelled test
//! corpus, purity and NMI of argmax theta.
//!
//! ```
//! use gcatm::baseline::Lda;
//! use gcatm::corpus::PlantedCorpus;
//! use gcatm::eval::Evaluator;
//! let planted = PlantedCorpus::builder().topics(4).docs(300).seed(1).build();
//! let model = Lda::new(4).iterations(20).seed(0).fit(&planted.corpus).unwrap();
//! let evaluator = Evaluator::new(&planted.corpus, None).unwrap();
//! let lda = model.evaluate(&evaluator).unwrap();
//! let floor = evaluator.npmi_floor(4).unwrap();
//! assert!(lda.npmi.mean > floor.mean + 3.0 * floor.std);
//! ```
mod gibbs;
mod lda;
mod numpy_rng;
mod prodlda;
mod scoring;

pub use crate::eval::{random_floor, Floor, FloorOptions, Measure};
pub use gibbs::{GibbsConfig, GibbsLda, GibbsModel};
pub use lda::{Lda, LdaConfig, LdaModel};
pub use prodlda::{fit_to_folder, ProdLda, ProdLdaConfig, ProdLdaNet};

use crate::corpus::CorpusError;
use crate::eval::EvalError;

/// Everything that can go wrong when fitting or applying a baseline.
///
/// Bad input (no topics, more topics than words, an empty corpus, a prior that is not a positive
/// number, a corpus with another vocabulary) is reported here; the baselines do not panic on it.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// K = 0.
    #[error("the number of topics must be at least 1")]
    NoTopics,
    /// More topics than vocabulary words.
    #[error(
        "{topics} topics for a vocabulary of {vocab} words: K must not exceed the vocabulary size"
    )]
    TooManyTopics {
        /// The K asked for.
        topics: usize,
        /// The vocabulary size.
        vocab: usize,
    },
    /// A corpus with no documents or no tokens.
    #[error("the corpus is empty (no documents or no tokens)")]
    EmptyCorpus,
    /// A Dirichlet prior that is not a finite positive number.
    #[error("the prior {name} must be a finite positive number, got {value}")]
    InvalidPrior {
        /// `alpha` (document-topic) or `eta` (topic-word).
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// Another setting with an unusable value.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// Documents whose vocabulary is not the model's.
    #[error(
        "the corpus has a vocabulary of {got} words that is not the model's ({expected} words)"
    )]
    VocabMismatch {
        /// The model's vocabulary size.
        expected: usize,
        /// The corpus's vocabulary size.
        got: usize,
    },
    /// Scoring failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// A corpus operation failed.
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// A neural baseline's loss became NaN or infinite; the run folder keeps its last checkpoint.
    #[error("training diverged at epoch {epoch}, batch {iteration}: loss = {value}")]
    Diverged {
        /// The epoch (from 1).
        epoch: usize,
        /// The batch within the epoch (from 0).
        iteration: usize,
        /// The loss's value.
        value: f64,
    },
    /// A tensor operation failed.
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
    /// A run folder's file could not be read or written (boxed: the error stays small).
    #[error(transparent)]
    Run(Box<crate::train::TrainError>),
}

impl From<crate::train::TrainError> for BaselineError {
    fn from(e: crate::train::TrainError) -> Self {
        BaselineError::Run(Box::new(e))
    }
}

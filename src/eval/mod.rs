//! Evaluating topic models: coherence against a reference corpus, topic diversity, and document
//! clustering quality.
//!
//! - [`ReferenceIndex`]: which documents contain each word of a reference corpus; document
//!   frequencies of words and word pairs, in memory proportional to the corpus's non-zeros.
//! - [`coherence`] / [`TopicCounts`]: NPMI (Bouma), UCI, UMass and C_V by document co-occurrence,
//!   each with its formula and conventions documented; [`NpmiConvention`] chooses between the
//!   project's -1 convention and gensim's epsilon.
//! - [`topic_diversity`], [`topic_uniqueness`]: how much topics share their top words.
//! - [`purity`], [`nmi`]: a predicted clustering (argmax theta) against true labels.
//! - [`topic_words`], [`encoder_theta`] (and [`topic_words_of`], [`infer_theta`],
//!   [`assign_topics`] for any [`candle_nn::ModuleT`]): what a model's generator and encoder say,
//!   with BatchNorm in inference mode.
//! - [`random_floor`]: the chance level of a measure, the score of random topics.
//! - [`Evaluator`]: all of the above in one call, returning a serialisable [`Evaluation`].
//!
//! ```
//! use gcatm::corpus::PlantedCorpus;
//! use gcatm::eval::{Evaluator, Measures};
//! let planted = PlantedCorpus::builder().topics(3).docs(300).seed(5).build();
//! let evaluator = Evaluator::new(&planted.corpus, None).unwrap().measures(Measures::ALL);
//! let topics: Vec<Vec<String>> = (0..3).map(|k| planted.top_words(k, 10)).collect();
//! let e = evaluator.evaluate_topics(&topics).unwrap();
//! println!("NPMI {:.3}, C_V {:.3}, TD {:.2}", e.npmi.mean, e.cv.unwrap().mean, e.td);
//! ```
mod clustering;
mod coherence;
mod diversity;
mod error;
mod evaluator;
mod floor;
mod index;
mod topics;

pub use clustering::{clustering_scores, nmi, purity, ClusteringScores};
pub use coherence::{
    coherence, CoherenceOptions, CoherenceScores, Measures, NpmiConvention, TopicCounts,
    TopicScores, GENSIM_EPSILON,
};
pub use diversity::{topic_diversity, topic_uniqueness};
pub use error::EvalError;
pub use evaluator::{Evaluation, Evaluator};
pub use floor::{random_floor, Floor, FloorOptions, Measure};
pub use index::ReferenceIndex;
pub use topics::{
    assign_topics, encoder_theta, infer_theta, topic_words, topic_words_of, TopicWords,
};

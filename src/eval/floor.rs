//! The random-topic floor: what a coherence measure gives topics of words drawn at random.
//!
//! A coherence number means little alone. The floor is the score of `K` topics whose words are
//! drawn at random from the reference vocabulary: the level a model must clear before its topics
//! say anything about the corpus. One draw is the mean score of `K` random topics (as a model's
//! score is the mean over its `K` topics); the floor is the mean and standard deviation of that
//! over `draws` seeded draws.
use super::coherence::{coherence, CoherenceOptions, Measures};
use super::{EvalError, ReferenceIndex};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One coherence measure (see [`super::TopicCounts`] for the formulas).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// NPMI (Bouma).
    Npmi,
    /// UCI (PMI).
    Uci,
    /// UMass.
    Umass,
    /// C_V.
    Cv,
}

impl Measure {
    fn only(self) -> Measures {
        let mut m = Measures {
            npmi: false,
            uci: false,
            umass: false,
            cv: false,
        };
        match self {
            Measure::Npmi => m.npmi = true,
            Measure::Uci => m.uci = true,
            Measure::Umass => m.umass = true,
            Measure::Cv => m.cv = true,
        }
        m
    }
}

impl std::fmt::Display for Measure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Measure::Npmi => "npmi",
            Measure::Uci => "uci",
            Measure::Umass => "umass",
            Measure::Cv => "cv",
        })
    }
}

impl std::str::FromStr for Measure {
    type Err = EvalError;
    fn from_str(s: &str) -> Result<Self, EvalError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "npmi" => Ok(Measure::Npmi),
            "uci" => Ok(Measure::Uci),
            "umass" => Ok(Measure::Umass),
            "cv" | "c_v" => Ok(Measure::Cv),
            other => Err(EvalError::InvalidOption(format!(
                "unknown measure `{other}` (expected npmi, uci, umass or cv)"
            ))),
        }
    }
}

/// How random topics are drawn for [`random_floor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FloorOptions {
    /// Topics per draw: the model's K.
    pub topics: usize,
    /// Words per topic (the evaluator's `top_n`, 10 by default).
    pub words: usize,
    /// Number of draws (default 20).
    pub draws: usize,
    /// Seed of the draws.
    pub seed: u64,
    /// Draw words in proportion to their document frequency instead of uniformly (off by
    /// default: uniform is the usual chance level; frequent words co-occur more, so the weighted
    /// floor is higher).
    pub weighted: bool,
    /// The measure scored.
    pub measure: Measure,
}

impl FloorOptions {
    /// The defaults for `topics` topics: 10 words, 20 draws, seed 0, uniform, NPMI.
    pub fn new(topics: usize) -> FloorOptions {
        FloorOptions {
            topics,
            words: 10,
            draws: 20,
            seed: 0,
            weighted: false,
            measure: Measure::Npmi,
        }
    }
}

/// The random-topic floor of a measure: mean and standard deviation over draws of the mean
/// score of `topics` random topics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Floor {
    /// Mean over draws.
    pub mean: f64,
    /// Standard deviation over draws (population, n in the denominator).
    pub std: f64,
    /// How the topics were drawn.
    pub options: FloorOptions,
}

impl std::fmt::Display for Floor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.3} ± {:.3} (random {}-word topics, K = {}, {} draws)",
            self.mean, self.std, self.options.words, self.options.topics, self.options.draws
        )
    }
}

/// The floor of `options.measure` on `index`: `options.draws` draws, each of `options.topics`
/// topics of `options.words` distinct words drawn from the words that occur in the reference
/// (uniformly, or by document frequency with `weighted`), scored with `coherence_options`.
/// Seeded: the same options give the same floor.
///
/// ```
/// use gcatm::corpus::PlantedCorpus;
/// use gcatm::eval::{random_floor, CoherenceOptions, FloorOptions, ReferenceIndex};
/// let planted = PlantedCorpus::builder().topics(5).docs(300).seed(1).build();
/// let index = ReferenceIndex::new(&planted.corpus);
/// let floor = random_floor(&index, &FloorOptions::new(5), &CoherenceOptions::default()).unwrap();
/// // Random words rarely co-occur: far below the planted topics' NPMI.
/// assert!(floor.mean < 0.2 && floor.std >= 0.0);
/// ```
pub fn random_floor(
    index: &ReferenceIndex,
    options: &FloorOptions,
    coherence_options: &CoherenceOptions,
) -> Result<Floor, EvalError> {
    if options.topics == 0 || options.draws == 0 {
        return Err(EvalError::InvalidOption(
            "the floor needs at least one topic and one draw".into(),
        ));
    }
    if options.words < 2 {
        return Err(EvalError::TooFewWords {
            topic: 0,
            words: options.words,
        });
    }
    // Words that never occur score -1 against everything: drawing them would measure the
    // vocabulary's dead entries, not chance.
    let live: Vec<u32> = (0..index.vocab_size() as u32)
        .filter(|&w| index.df(w) > 0)
        .collect();
    if live.len() < options.words {
        return Err(EvalError::InvalidOption(format!(
            "the reference has {} word(s) that occur; random topics of {} words need more",
            live.len(),
            options.words
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let weights = if options.weighted {
        let w: Vec<f64> = live.iter().map(|&w| index.df(w) as f64).collect();
        Some(WeightedIndex::new(&w).map_err(|e| EvalError::InvalidOption(e.to_string()))?)
    } else {
        None
    };
    let draw_topic = |rng: &mut ChaCha8Rng| -> Vec<u32> {
        match &weights {
            None => sample(rng, live.len(), options.words)
                .into_iter()
                .map(|i| live[i])
                .collect(),
            Some(dist) => {
                // Distinct words, each drawn by document frequency (rejection of repeats).
                let mut t: Vec<u32> = Vec::with_capacity(options.words);
                while t.len() < options.words {
                    let w = live[dist.sample(rng)];
                    if !t.contains(&w) {
                        t.push(w);
                    }
                }
                t
            }
        }
    };
    let mut scores = Vec::with_capacity(options.draws);
    for _ in 0..options.draws {
        let topics: Vec<Vec<u32>> = (0..options.topics).map(|_| draw_topic(&mut rng)).collect();
        let s = coherence(index, &topics, options.measure.only(), coherence_options)?;
        let column = match options.measure {
            Measure::Npmi => s.npmi,
            Measure::Uci => s.uci,
            Measure::Umass => s.umass,
            Measure::Cv => s.cv,
        };
        scores.push(column.map_or(f64::NAN, |c| c.mean));
    }
    let n = scores.len() as f64;
    let mean = scores.iter().sum::<f64>() / n;
    let std = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
    Ok(Floor {
        mean,
        std,
        options: *options,
    })
}

//! One call that scores a model: topics, coherence, diversity and clustering.
use super::coherence::nan_as_null;
use super::floor::{random_floor, Floor, FloorOptions};
use super::topics::encoder_assignments;
use super::{
    assign_topics, clustering_scores, coherence, topic_diversity, topic_uniqueness, topic_words,
    topic_words_of, ClusteringScores, CoherenceOptions, EvalError, Measures, ReferenceIndex,
    TopicScores,
};
use crate::corpus::{Corpus, Vocab};
use crate::model::{Encoder, Generator};
use crate::train::Trainer;
use candle_core::Device;
use candle_nn::ModuleT;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Everything one evaluation measured; serialises to JSON.
///
/// NaN values (a measure undefined for a topic) are written as `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Each topic's top `top_n` words, most probable first.
    pub topics: Vec<Vec<String>>,
    /// Number of words per topic that coherence and TU use (10 by default).
    pub top_n: usize,
    /// NPMI per topic and mean, under `options.npmi` (always computed).
    pub npmi: TopicScores,
    /// UCI, when requested.
    pub uci: Option<TopicScores>,
    /// UMass, when requested.
    pub umass: Option<TopicScores>,
    /// C_V, when requested.
    pub cv: Option<TopicScores>,
    /// Topic diversity over each topic's top `td_top_n` words ([`topic_diversity`]).
    #[serde(with = "nan_as_null")]
    pub td: f64,
    /// Number of words per topic for TD (25 by default).
    pub td_top_n: usize,
    /// Topic uniqueness over each topic's top `top_n` words ([`topic_uniqueness`]).
    #[serde(with = "nan_as_null")]
    pub tu: f64,
    /// Purity and NMI of argmax theta against the test labels, when a labelled test corpus was
    /// given and a model evaluated.
    pub clustering: Option<ClusteringScores>,
    /// Topic words that occur in no reference document (see [`super::TopicCounts`]).
    pub unseen_words: Vec<String>,
    /// The constants the coherence measures used.
    pub options: CoherenceOptions,
}

/// Scores topic models against a reference corpus (built once) and, optionally, a labelled test
/// corpus.
///
/// The reference is indexed at construction ([`ReferenceIndex`]); each evaluation then costs one
/// generator pass over the K one-hot topics, the pair counts of K topics, and one encoder pass
/// over the test documents (for clustering). Settings: [`Evaluator::measures`],
/// [`Evaluator::options`], [`Evaluator::top_n`], [`Evaluator::td_top_n`],
/// [`Evaluator::batch_size`], [`Evaluator::model_vocab`].
///
/// ```
/// use gcatm::corpus::PlantedCorpus;
/// use gcatm::eval::{Evaluator, Measures};
/// let planted = PlantedCorpus::builder().topics(4).docs(400).seed(2).build();
/// let evaluator = Evaluator::new(&planted.corpus, None).unwrap().measures(Measures::ALL);
/// let topics: Vec<Vec<String>> = (0..4).map(|k| planted.top_words(k, 25)).collect();
/// let e = evaluator.evaluate_topics(&topics).unwrap();
/// assert_eq!(e.topics[0].len(), 10);
/// assert!(e.npmi.mean > 0.0 && e.cv.is_some());
/// // Each top 25 = the topic's 20 own words + the same 5 background words: (80 + 5) / 100.
/// assert!((e.td - 0.85).abs() < 1e-12);
/// assert_eq!(e.tu, 1.0); // TU uses the top 10, all own words
/// let json = serde_json::to_string(&e).unwrap();
/// assert!(json.contains("\"npmi\""));
/// ```
#[derive(Debug, Clone)]
pub struct Evaluator {
    index: ReferenceIndex,
    model_vocab: Vocab,
    test: Option<(Corpus, Vec<u32>)>,
    measures: Measures,
    options: CoherenceOptions,
    top_n: usize,
    td_top_n: usize,
    batch_size: usize,
    /// Floors computed so far: the same reference and options always give the same floor.
    floors: Arc<Mutex<HashMap<FloorOptions, Floor>>>,
}

impl Evaluator {
    /// Indexes `reference` and keeps the labelled documents of `test` (empty ones dropped) for
    /// clustering scores. A test corpus without labels is accepted and gives no clustering
    /// scores. The model's vocabulary is taken to be the test corpus's, else the reference's.
    pub fn new(reference: &Corpus, test: Option<&Corpus>) -> Result<Evaluator, EvalError> {
        let index = ReferenceIndex::new(reference);
        let model_vocab = test.unwrap_or(reference).vocab().clone();
        let test = match test {
            Some(t) if t.labels().is_some() => {
                let (t, _) = t.drop_empty()?;
                let labels = t.labels().map(<[u32]>::to_vec).unwrap_or_default();
                Some((t, labels))
            }
            _ => None,
        };
        Ok(Evaluator {
            index,
            model_vocab,
            test,
            measures: Measures::NPMI,
            options: CoherenceOptions::default(),
            top_n: 10,
            td_top_n: 25,
            batch_size: 1024,
            floors: Arc::default(),
        })
    }

    /// Which coherences to compute besides NPMI (default: NPMI only).
    pub fn measures(mut self, measures: Measures) -> Self {
        self.measures = measures;
        self
    }

    /// The constants of the measures (default [`CoherenceOptions::default`]); checked here.
    pub fn options(mut self, options: CoherenceOptions) -> Result<Self, EvalError> {
        options.validate()?;
        self.floors = Arc::default();
        self.options = options;
        Ok(self)
    }

    /// Words per topic for coherence and TU (default 10; at least 2).
    pub fn top_n(mut self, n: usize) -> Result<Self, EvalError> {
        if n < 2 {
            return Err(EvalError::InvalidOption(format!(
                "top_n must be at least 2, got {n}"
            )));
        }
        self.top_n = n;
        Ok(self)
    }

    /// Words per topic for topic diversity (default 25).
    pub fn td_top_n(mut self, n: usize) -> Result<Self, EvalError> {
        if n == 0 {
            return Err(EvalError::InvalidOption(
                "td_top_n must be at least 1".into(),
            ));
        }
        self.td_top_n = n;
        Ok(self)
    }

    /// Documents per encoder batch for clustering (default 1024).
    pub fn batch_size(mut self, n: usize) -> Result<Self, EvalError> {
        if n == 0 {
            return Err(EvalError::InvalidOption(
                "batch size must be at least 1".into(),
            ));
        }
        self.batch_size = n;
        Ok(self)
    }

    /// The vocabulary of the model's output columns, when it is neither the test corpus's nor
    /// the reference's.
    pub fn model_vocab(mut self, vocab: Vocab) -> Self {
        self.model_vocab = vocab;
        self
    }

    /// The reference index.
    pub fn index(&self) -> &ReferenceIndex {
        &self.index
    }

    /// Evaluates the crate's generator and encoder: the generator's top words (BatchNorm in
    /// inference mode) for coherence, TD and TU, and with a labelled test corpus the purity and
    /// NMI of argmax theta (the encoder's sparse path, `train = false`). Topic words missing from
    /// the reference vocabulary are an error ([`EvalError::MissingWords`]).
    ///
    /// ```
    /// use candle_core::Device;
    /// use candle_nn::VarMap;
    /// use gcatm::corpus::PlantedCorpus;
    /// use gcatm::eval::Evaluator;
    /// use gcatm::model::{seeded_var_builder, Encoder, Generator, Variant};
    /// let planted = PlantedCorpus::builder().topics(3).docs(60).seed(0).build();
    /// let v = planted.corpus.vocab_size();
    /// let (gv, ev) = (VarMap::new(), VarMap::new());
    /// let g = Generator::new(seeded_var_builder(&gv, 0, &Device::Cpu), v, 3, 16, Variant::Bat, 8, 8)
    ///     .unwrap();
    /// let e = Encoder::new(seeded_var_builder(&ev, 1, &Device::Cpu), v, 3, 16).unwrap();
    /// let evaluator = Evaluator::new(&planted.corpus, Some(&planted.corpus)).unwrap();
    /// let result = evaluator.evaluate(&g, &e).unwrap();
    /// assert_eq!(result.topics.len(), 3);
    /// assert_eq!(result.clustering.unwrap().docs, 60);
    /// ```
    pub fn evaluate(
        &self,
        generator: &Generator,
        encoder: &Encoder,
    ) -> Result<Evaluation, EvalError> {
        self.evaluate_networks(generator, encoder, None)
    }

    /// Evaluates a [`Trainer`]'s networks as [`Evaluator::evaluate`] does, with the test
    /// documents given to the encoder as the run trained on them (its input transform: TF-IDF
    /// with the run's idf, or counts). What a training loop or a notebook calls.
    ///
    /// ```
    /// use gcatm::corpus::PlantedCorpus;
    /// use gcatm::eval::Evaluator;
    /// use gcatm::train::{TrainConfig, Trainer};
    /// let p = PlantedCorpus::builder().topics(3).docs(60).seed(0).build();
    /// let config = TrainConfig { topics: 3, hidden: 16, batch_size: 20, device: "cpu".into(), ..TrainConfig::default() };
    /// let trainer = Trainer::new(config, &p.corpus).unwrap();
    /// let evaluator = Evaluator::new(&p.corpus, Some(&p.corpus)).unwrap();
    /// let e = evaluator.evaluate_trainer(&trainer).unwrap();
    /// assert_eq!(e.clustering.unwrap().docs, 60);
    /// ```
    pub fn evaluate_trainer(&self, trainer: &Trainer) -> Result<Evaluation, EvalError> {
        self.evaluate_networks(&trainer.generator, &trainer.encoder, trainer.idf())
    }

    /// [`Evaluator::evaluate`], the test documents weighted with `idf` first when given.
    fn evaluate_networks(
        &self,
        generator: &Generator,
        encoder: &Encoder,
        idf: Option<&crate::corpus::Idf>,
    ) -> Result<Evaluation, EvalError> {
        let n = self.top_n.max(self.td_top_n);
        let topics = topic_words(generator, &self.model_vocab, n)?;
        let words: Vec<Vec<String>> = topics.into_iter().map(|t| t.words).collect();
        let mut evaluation = self.evaluate_topics(&words)?;
        if let Some((test, labels)) = &self.test {
            let weighted;
            let test = match idf {
                Some(idf) => {
                    weighted = idf.apply(test)?;
                    &weighted
                }
                None => test,
            };
            let pred = encoder_assignments(encoder, test, self.batch_size)?;
            evaluation.clustering = Some(clustering_scores(&pred, labels)?);
        }
        Ok(evaluation)
    }

    /// [`Evaluator::evaluate`] for any modules: a generator (`n_topics` one-hot mixtures -> word
    /// distributions) and, with a labelled test corpus, an encoder (dense bow -> theta), both
    /// run on `device` with `train = false`. Topic words missing from the reference vocabulary are an error
    /// ([`EvalError::MissingWords`]).
    pub fn evaluate_modules<G: ModuleT, E: ModuleT>(
        &self,
        generator: &G,
        n_topics: usize,
        encoder: &E,
        device: &Device,
    ) -> Result<Evaluation, EvalError> {
        let n = self.top_n.max(self.td_top_n);
        let topics = topic_words_of(generator, n_topics, device, &self.model_vocab, n)?;
        let words: Vec<Vec<String>> = topics.into_iter().map(|t| t.words).collect();
        let mut evaluation = self.evaluate_topics(&words)?;
        if let Some((test, labels)) = &self.test {
            let pred = assign_topics(encoder, test, device, self.batch_size)?;
            evaluation.clustering = Some(clustering_scores(&pred, labels)?);
        }
        Ok(evaluation)
    }

    /// Scores topics given as words, most probable first (at least `top_n` words each for
    /// coherence, ideally `td_top_n` for TD): coherence and TU on the first `top_n`, TD on the
    /// first `td_top_n`. No clustering scores. Words missing from the reference vocabulary are an
    /// error ([`EvalError::MissingWords`], listing all of them).
    pub fn evaluate_topics<S: AsRef<str>>(
        &self,
        topics: &[Vec<S>],
    ) -> Result<Evaluation, EvalError> {
        if topics.is_empty() {
            return Err(EvalError::NoTopics);
        }
        let head: Vec<Vec<String>> = topics
            .iter()
            .map(|t| {
                t.iter()
                    .take(self.top_n)
                    .map(|w| w.as_ref().to_string())
                    .collect()
            })
            .collect();
        let mut ids = Vec::with_capacity(head.len());
        let mut missing = Vec::new();
        for t in &head {
            let (i, m) = self.index.ids_partial(t);
            ids.push(i);
            missing.extend(m);
        }
        if !missing.is_empty() {
            return Err(EvalError::MissingWords(missing));
        }
        let measures = Measures {
            npmi: true,
            ..self.measures
        };
        let scores = coherence(&self.index, &ids, measures, &self.options)?;
        let mut unseen: Vec<String> = Vec::new();
        for (t, tid) in head.iter().zip(&ids) {
            for (w, &id) in t.iter().zip(tid) {
                if self.index.df(id) == 0 && !unseen.contains(w) {
                    unseen.push(w.clone());
                }
            }
        }
        let td_words: Vec<Vec<&str>> = topics
            .iter()
            .map(|t| t.iter().take(self.td_top_n).map(|w| w.as_ref()).collect())
            .collect();
        Ok(Evaluation {
            td: topic_diversity(&td_words, self.td_top_n)?,
            td_top_n: self.td_top_n,
            tu: topic_uniqueness(&head, self.top_n)?,
            topics: head,
            top_n: self.top_n,
            npmi: scores.npmi.unwrap_or_else(|| TopicScores::new(Vec::new())),
            uci: scores.uci,
            umass: scores.umass,
            cv: scores.cv,
            clustering: None,
            unseen_words: unseen,
            options: self.options,
        })
    }

    /// The random-topic floor of NPMI for `topics` topics of this evaluator's `top_n` words
    /// ([`random_floor`] with [`FloorOptions::new`]), computed once per evaluator and K.
    ///
    /// ```
    /// use gcatm::corpus::PlantedCorpus;
    /// use gcatm::eval::Evaluator;
    /// let planted = PlantedCorpus::builder().topics(4).docs(400).seed(2).build();
    /// let evaluator = Evaluator::new(&planted.corpus, None).unwrap();
    /// let floor = evaluator.npmi_floor(4).unwrap();
    /// let topics: Vec<Vec<String>> = (0..4).map(|k| planted.top_words(k, 10)).collect();
    /// assert!(evaluator.evaluate_topics(&topics).unwrap().npmi.mean > floor.mean + 3.0 * floor.std);
    /// ```
    pub fn npmi_floor(&self, topics: usize) -> Result<Floor, EvalError> {
        self.floor(&FloorOptions {
            words: self.top_n,
            ..FloorOptions::new(topics)
        })
    }

    /// The random-topic floor for any [`FloorOptions`], with this evaluator's coherence
    /// options; cached.
    pub fn floor(&self, options: &FloorOptions) -> Result<Floor, EvalError> {
        if let Some(f) = self
            .floors
            .lock()
            .ok()
            .and_then(|c| c.get(options).copied())
        {
            return Ok(f);
        }
        let f = random_floor(&self.index, options, &self.options)?;
        if let Ok(mut c) = self.floors.lock() {
            c.insert(*options, f);
        }
        Ok(f)
    }

    /// Purity and NMI of a predicted cluster per test document (in the order of the test corpus
    /// with its empty documents dropped) against the test labels; `None` without labelled test
    /// documents.
    pub fn score_clusters(&self, pred: &[u32]) -> Result<Option<ClusteringScores>, EvalError> {
        match &self.test {
            Some((_, labels)) => Ok(Some(clustering_scores(pred, labels)?)),
            None => Ok(None),
        }
    }

    /// The labelled test documents kept for clustering (empty ones dropped), if any.
    pub fn test_corpus(&self) -> Option<&Corpus> {
        self.test.as_ref().map(|(c, _)| c)
    }
}

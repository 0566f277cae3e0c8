//! Latent Dirichlet allocation fitted by variational Bayes (Blei, Ng & Jordan 2003; the batch and
//! online updates of Hoffman, Blei & Bach 2010), following scikit-learn's
//! `LatentDirichletAllocation` step for step so that the numbers are comparable:
//!
//! - the topics' variational parameters `lambda` (K x V) start from Gamma(100, 1/100) draws;
//! - the E-step starts each document's `gamma` from Gamma(100, 1/100) draws (ones in
//!   [`LdaModel::transform`]) and alternates `phi ∝ exp(E[log theta]) exp(E[log beta])` and
//!   `gamma = alpha + sum_w n_w phi_w` until the mean absolute change of `gamma` falls below
//!   `tolerance` (1e-3) or `max_doc_iterations` (100) is reached;
//! - the batch M-step sets `lambda = eta + sstats`; the online one (per mini-batch of
//!   `batch_size` documents, in corpus order) blends `lambda` with `eta + D / |B| sstats` at the
//!   rate `rho = (tau0 + t)^-kappa`.
//!
//! The documents of an E-step are cut into at most 16 contiguous pieces of about equal size
//! (non-zeros), which rayon runs in parallel; each piece's sufficient statistics are then summed
//! in piece order. The pieces depend only on the corpus, so a seed gives the same model on any
//! number of threads.
//!
//! Every random draw (the topics' start, then each E-step's document starts, in document order)
//! comes from one stream that is numpy's `RandomState(seed)`: seed S starts from exactly the point
//! scikit-learn's `random_state=S` starts from, so the two fits differ only by summation order.
//!
//! Memory: `lambda`, `exp(E[log beta])` and one statistics buffer per piece (K x V each), the
//! documents' `gamma` (documents x K) and the corpus itself; no documents x vocabulary matrix.
use super::numpy_rng::RandomState;
use super::{scoring, BaselineError};
use crate::corpus::{Corpus, Vocab};
use crate::eval::{Evaluation, Evaluator};
use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Added to each `phi` normaliser, as scikit-learn does, so that a word no topic explains cannot
/// divide by zero.
const EPS: f64 = f64::EPSILON;
/// Most pieces an E-step is cut into: enough to balance a few cores, few enough that their
/// K x V statistics buffers stay small.
const MAX_PIECES: usize = 16;
/// Smallest piece worth a task of its own (non-zeros): a mini-batch of 128 20NG documents
/// (about 6,400 non-zeros) still splits over a few cores, while a piece's rayon task and the
/// clearing of its touched statistics rows stay small beside its E-step.
const MIN_PIECE_NNZ: usize = 1024;

/// The settings of an LDA fit; serialisable (a run folder's `config.json`).
///
/// `alpha` and `eta` left `None` mean 1/K, and `iterations` left `None` means 50 passes in batch
/// mode and 10 online. [`LdaModel::config`] returns the settings with these resolved.
///
/// ```
/// use gcatm::baseline::LdaConfig;
/// let c = LdaConfig::new(20);
/// assert_eq!((c.topics, c.online, c.batch_size), (20, false, 128));
/// assert!(c.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LdaConfig {
    /// Number of topics K.
    pub topics: usize,
    /// Document-topic Dirichlet prior (`None`: 1/K).
    pub alpha: Option<f64>,
    /// Topic-word Dirichlet prior (`None`: 1/K).
    pub eta: Option<f64>,
    /// Passes over the corpus (`None`: 50 in batch mode, 10 online).
    pub iterations: Option<usize>,
    /// Online variational Bayes (an M-step per mini-batch) instead of batch.
    pub online: bool,
    /// Documents per mini-batch in online mode (128, as scikit-learn).
    pub batch_size: usize,
    /// Online learning offset tau0 (10, as scikit-learn): down-weights the first mini-batches.
    pub tau0: f64,
    /// Online learning decay kappa (0.7, as scikit-learn); (0.5, 1] guarantees convergence.
    pub kappa: f64,
    /// Most updates of one document's `gamma` per E-step (100).
    pub max_doc_iterations: usize,
    /// A document's E-step stops when the mean absolute change of its `gamma` falls below this
    /// (1e-3).
    pub tolerance: f64,
    /// Seed of the topics' start and of the documents' random starts: numpy's
    /// `RandomState(seed)`, so below 2^32.
    pub seed: u64,
}

impl LdaConfig {
    /// scikit-learn's defaults for K topics (with 50 batch iterations instead of its 10).
    pub fn new(topics: usize) -> LdaConfig {
        LdaConfig {
            topics,
            alpha: None,
            eta: None,
            iterations: None,
            online: false,
            batch_size: 128,
            tau0: 10.0,
            kappa: 0.7,
            max_doc_iterations: 100,
            tolerance: 1e-3,
            seed: 0,
        }
    }

    /// Checks every setting that does not depend on the corpus.
    ///
    /// ```
    /// use gcatm::baseline::{BaselineError, LdaConfig};
    /// let mut c = LdaConfig::new(0);
    /// assert!(matches!(c.validate(), Err(BaselineError::NoTopics)));
    /// c.topics = 5;
    /// c.alpha = Some(f64::NAN);
    /// assert!(matches!(c.validate(), Err(BaselineError::InvalidPrior { name: "alpha", .. })));
    /// ```
    pub fn validate(&self) -> Result<(), BaselineError> {
        if self.topics == 0 {
            return Err(BaselineError::NoTopics);
        }
        for (name, value) in [("alpha", self.alpha), ("eta", self.eta)] {
            if let Some(v) = value {
                if !(v.is_finite() && v > 0.0) {
                    return Err(BaselineError::InvalidPrior { name, value: v });
                }
            }
        }
        let bad = |what: String| Err(BaselineError::InvalidOption(what));
        if self.seed > u64::from(u32::MAX) {
            return bad(format!(
                "seed must be below 2^32 (numpy's RandomState seeds), got {}",
                self.seed
            ));
        }
        if self.iterations == Some(0) {
            return bad("iterations must be at least 1".into());
        }
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1".into());
        }
        if !(self.tau0.is_finite() && self.tau0 >= 0.0) {
            return bad(format!(
                "tau0 must be a finite number >= 0, got {}",
                self.tau0
            ));
        }
        if !(self.kappa > 0.0 && self.kappa <= 1.0) {
            return bad(format!("kappa must be in (0, 1], got {}", self.kappa));
        }
        if self.max_doc_iterations == 0 {
            return bad("max_doc_iterations must be at least 1".into());
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return bad(format!(
                "tolerance must be a finite number >= 0, got {}",
                self.tolerance
            ));
        }
        Ok(())
    }

    /// These settings with the defaults that depend on K and the mode filled in.
    fn resolved(&self) -> LdaConfig {
        let prior = 1.0 / self.topics.max(1) as f64;
        LdaConfig {
            alpha: Some(self.alpha.unwrap_or(prior)),
            eta: Some(self.eta.unwrap_or(prior)),
            iterations: Some(self.iterations.unwrap_or(if self.online { 10 } else { 50 })),
            ..self.clone()
        }
    }
}

/// Fits latent Dirichlet allocation to a [`Corpus`]: a builder over [`LdaConfig`].
///
/// ```
/// use gcatm::baseline::Lda;
/// use gcatm::corpus::PlantedCorpus;
/// let planted = PlantedCorpus::builder().topics(3).docs(150).seed(2).build();
/// let model = Lda::new(3).iterations(15).seed(7).fit(&planted.corpus).unwrap();
/// assert_eq!(model.top_words(10).len(), 3);
/// let theta = model.doc_topic();
/// assert_eq!(theta.dim(), (150, 3));
/// assert!((theta.row(0).sum() - 1.0).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Lda {
    config: LdaConfig,
}

impl Lda {
    /// LDA with K topics and [`LdaConfig::new`]'s defaults.
    pub fn new(topics: usize) -> Lda {
        Lda {
            config: LdaConfig::new(topics),
        }
    }

    /// LDA with the given settings.
    pub fn from_config(config: LdaConfig) -> Lda {
        Lda { config }
    }

    /// The document-topic prior (default 1/K).
    pub fn alpha(mut self, alpha: f64) -> Lda {
        self.config.alpha = Some(alpha);
        self
    }

    /// The topic-word prior (default 1/K).
    pub fn eta(mut self, eta: f64) -> Lda {
        self.config.eta = Some(eta);
        self
    }

    /// Passes over the corpus (default 50 batch, 10 online).
    pub fn iterations(mut self, n: usize) -> Lda {
        self.config.iterations = Some(n);
        self
    }

    /// Online variational Bayes (default off: batch).
    pub fn online(mut self, online: bool) -> Lda {
        self.config.online = online;
        self
    }

    /// Documents per online mini-batch (default 128).
    pub fn batch_size(mut self, n: usize) -> Lda {
        self.config.batch_size = n;
        self
    }

    /// The online learning rate `rho_t = (tau0 + t)^-kappa` (default tau0 = 10, kappa = 0.7).
    pub fn learning_decay(mut self, tau0: f64, kappa: f64) -> Lda {
        self.config.tau0 = tau0;
        self.config.kappa = kappa;
        self
    }

    /// The E-step's limit of updates per document and its convergence tolerance (default 100,
    /// 1e-3).
    pub fn e_step(mut self, max_doc_iterations: usize, tolerance: f64) -> Lda {
        self.config.max_doc_iterations = max_doc_iterations;
        self.config.tolerance = tolerance;
        self
    }

    /// The seed (default 0).
    pub fn seed(mut self, seed: u64) -> Lda {
        self.config.seed = seed;
        self
    }

    /// The settings.
    pub fn config(&self) -> &LdaConfig {
        &self.config
    }

    /// Fits the model to `corpus` (its values are the counts; empty documents are allowed).
    pub fn fit(&self, corpus: &Corpus) -> Result<LdaModel, BaselineError> {
        self.fit_with_progress(corpus, |_, _| {})
    }

    /// [`Lda::fit`], calling `on_pass(done, total)` after every pass over the corpus.
    pub fn fit_with_progress<F: FnMut(usize, usize)>(
        &self,
        corpus: &Corpus,
        mut on_pass: F,
    ) -> Result<LdaModel, BaselineError> {
        self.config.validate()?;
        let config = self.config.resolved();
        let (k, v) = (config.topics, corpus.vocab_size());
        if k > v {
            return Err(BaselineError::TooManyTopics {
                topics: k,
                vocab: v,
            });
        }
        if corpus.n_docs() == 0 || corpus.tokens() <= 0.0 {
            return Err(BaselineError::EmptyCorpus);
        }
        let (alpha, eta) = (config.alpha.unwrap_or(0.0), config.eta.unwrap_or(0.0));
        let passes = config.iterations.unwrap_or(1);
        let estep = EStep {
            k,
            alpha,
            max_iter: config.max_doc_iterations,
            tol: config.tolerance,
        };
        let mut rng = RandomState::new(config.seed as u32);
        let mut topics = Topics::new(k, v, &mut rng);
        let n = corpus.n_docs();
        let mut gamma = vec![0f64; n * k];
        let mut sstats = vec![0f64; v * k];
        let mut buffers = Buffers::default();
        // Online mini-batches are numbered from 1 for the learning rate.
        let mut step: u64 = 0;
        for pass in 0..passes {
            if config.online {
                let mut start = 0;
                while start < n {
                    let docs = start..(start + config.batch_size).min(n);
                    draw_starts(&mut rng, &mut gamma[docs.start * k..docs.end * k]);
                    estep.run_parallel(
                        corpus,
                        docs.clone(),
                        &topics.exp_elog_beta,
                        Init::Given,
                        &mut gamma[docs.start * k..docs.end * k],
                        Some((&mut sstats, &mut buffers)),
                    );
                    // t starts at 1, as scikit-learn's n_batch_iter_.
                    let rho = (config.tau0 + (step + 1) as f64).powf(-config.kappa);
                    let ratio = n as f64 / docs.len() as f64;
                    topics.online_update(&sstats, eta, rho, ratio);
                    step += 1;
                    start = docs.end;
                }
            } else {
                draw_starts(&mut rng, &mut gamma);
                estep.run_parallel(
                    corpus,
                    0..n,
                    &topics.exp_elog_beta,
                    Init::Given,
                    &mut gamma,
                    Some((&mut sstats, &mut buffers)),
                );
                topics.batch_update(&sstats, eta);
            }
            on_pass(pass + 1, passes);
        }
        let doc_topic = normalized(gamma, n, k);
        Ok(LdaModel {
            config,
            vocab: corpus.vocab().clone(),
            lambda: topics.lambda,
            exp_elog_beta: topics.exp_elog_beta,
            doc_topic,
        })
    }
}

/// A fitted LDA model: topics, their top words, and document-topic proportions.
///
/// ```
/// use gcatm::baseline::Lda;
/// use gcatm::corpus::PlantedCorpus;
/// let planted = PlantedCorpus::builder().topics(3).docs(150).seed(2).build();
/// let model = Lda::new(3).iterations(15).fit(&planted.corpus).unwrap();
/// let beta = model.topic_word();
/// assert_eq!(beta.dim(), (3, planted.corpus.vocab_size()));
/// let theta = model.transform(&planted.corpus).unwrap();
/// assert_eq!(theta.dim(), (150, 3));
/// ```
#[derive(Debug, Clone)]
pub struct LdaModel {
    config: LdaConfig,
    vocab: Vocab,
    /// Topic-word variational parameters, V x K (a word's K values together).
    lambda: Vec<f64>,
    /// exp(E[log beta]), V x K, as the E-step reads it.
    exp_elog_beta: Vec<f64>,
    doc_topic: Array2<f64>,
}

impl LdaModel {
    /// The settings, with the priors and the number of passes resolved.
    pub fn config(&self) -> &LdaConfig {
        &self.config
    }

    /// Number of topics K.
    pub fn n_topics(&self) -> usize {
        self.config.topics
    }

    /// The vocabulary of the fitted corpus (column `w` of [`LdaModel::topic_word`]).
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// The topics' variational Dirichlet parameters `lambda`, K x V (scikit-learn's
    /// `components_`).
    pub fn lambda(&self) -> Array2<f64> {
        let (k, v) = (self.n_topics(), self.vocab.len());
        Array2::from_shape_fn((k, v), |(t, w)| self.lambda[w * k + t])
    }

    /// Topic-word distributions, K x V, each row the mean of its Dirichlet (`lambda` divided by
    /// its row sum).
    pub fn topic_word(&self) -> Array2<f64> {
        let mut beta = self.lambda();
        for mut row in beta.rows_mut() {
            let s = row.sum();
            row.mapv_inplace(|x| x / s);
        }
        beta
    }

    /// Each topic's `n` most probable words, most probable first (ties: lower word id first).
    pub fn top_words(&self, n: usize) -> Vec<Vec<String>> {
        let k = self.n_topics();
        scoring::top_words_by(k, &self.vocab, n, |t, w| self.lambda[w * k + t])
    }

    /// The training documents' topic proportions, documents x K, rows summing to 1: the
    /// normalised `gamma` of the last E-step (under the topics before the last M-step; online,
    /// of the last pass's mini-batches).
    pub fn doc_topic(&self) -> &Array2<f64> {
        &self.doc_topic
    }

    /// Topic proportions of (held-out) documents, documents x K, rows summing to 1: an E-step
    /// with the fitted topics, each `gamma` starting from ones (scikit-learn's `transform`). An
    /// empty document gets uniform proportions. The corpus must have the model's vocabulary.
    pub fn transform(&self, corpus: &Corpus) -> Result<Array2<f64>, BaselineError> {
        if corpus.vocab() != &self.vocab {
            return Err(BaselineError::VocabMismatch {
                expected: self.vocab.len(),
                got: corpus.vocab_size(),
            });
        }
        let (n, k) = (corpus.n_docs(), self.n_topics());
        let estep = EStep {
            k,
            alpha: self.config.alpha.unwrap_or(1.0 / k as f64),
            max_iter: self.config.max_doc_iterations,
            tol: self.config.tolerance,
        };
        let mut gamma = vec![0f64; n * k];
        estep.run_parallel(
            corpus,
            0..n,
            &self.exp_elog_beta,
            Init::Ones,
            &mut gamma,
            None,
        );
        Ok(normalized(gamma, n, k))
    }

    /// Each document's most probable topic (argmax of [`LdaModel::transform`]; ties: the lower
    /// topic), for clustering scores.
    pub fn assign(&self, corpus: &Corpus) -> Result<Vec<u32>, BaselineError> {
        Ok(scoring::argmax_rows(&self.transform(corpus)?))
    }

    /// Scores the model as the crate scores its own: coherence, TD and TU of the top words, and
    /// with the evaluator's labelled test documents, purity and NMI of [`LdaModel::assign`].
    /// The evaluator's reference must have the model's words.
    ///
    /// ```
    /// use gcatm::baseline::Lda;
    /// use gcatm::corpus::PlantedCorpus;
    /// use gcatm::eval::Evaluator;
    /// let planted = PlantedCorpus::builder().topics(3).docs(200).seed(4).build();
    /// let (train, test) = planted.corpus.split(0.25, 0).unwrap();
    /// let model = Lda::new(3).iterations(20).fit(&train).unwrap();
    /// let evaluator = Evaluator::new(&planted.corpus, Some(&test)).unwrap();
    /// let e = model.evaluate(&evaluator).unwrap();
    /// assert!(e.clustering.unwrap().purity > 0.9);
    /// ```
    pub fn evaluate(&self, evaluator: &Evaluator) -> Result<Evaluation, BaselineError> {
        let words = self.top_words(scoring::scored_words(&self.vocab));
        scoring::evaluate(evaluator, &words, |test| self.assign(test))
    }
}

/// Row-normalises `gamma` (n x k) into proportions.
fn normalized(mut gamma: Vec<f64>, n: usize, k: usize) -> Array2<f64> {
    for row in gamma.chunks_exact_mut(k.max(1)) {
        let s: f64 = row.iter().sum();
        row.iter_mut().for_each(|x| *x /= s);
    }
    Array2::from_shape_vec((n, k), gamma).expect("n x k values")
}

/// The topics' state: `lambda` and exp(E[log beta]), both V x K.
struct Topics {
    k: usize,
    lambda: Vec<f64>,
    exp_elog_beta: Vec<f64>,
}

impl Topics {
    /// `lambda` from Gamma(100, 1/100) draws, drawn topic by topic as scikit-learn does.
    fn new(k: usize, v: usize, rng: &mut RandomState) -> Topics {
        let mut lambda = vec![0f64; v * k];
        for t in 0..k {
            for w in 0..v {
                lambda[w * k + t] = rng.gamma(100.0, 0.01);
            }
        }
        let mut topics = Topics {
            k,
            lambda,
            exp_elog_beta: vec![0f64; v * k],
        };
        topics.refresh();
        topics
    }

    /// `lambda = eta + sstats * exp(E[log beta])`: the online update with rho = ratio = 1, which
    /// is exact in floating point (`0 * lambda` and the products by 1 add no rounding).
    fn batch_update(&mut self, sstats: &[f64], eta: f64) {
        self.online_update(sstats, eta, 1.0, 1.0);
    }

    /// `lambda = (1 - rho) lambda + rho (eta + ratio * sstats * exp(E[log beta]))`.
    fn online_update(&mut self, sstats: &[f64], eta: f64, rho: f64, ratio: f64) {
        self.lambda
            .par_chunks_mut(self.k * 64)
            .zip(sstats.par_chunks(self.k * 64))
            .zip(self.exp_elog_beta.par_chunks(self.k * 64))
            .for_each(|((l, s), e)| {
                for ((l, &s), &e) in l.iter_mut().zip(s).zip(e) {
                    *l = (1.0 - rho) * *l + rho * (eta + ratio * s * e);
                }
            });
        self.refresh();
    }

    /// exp(E[log beta_kw]) = exp(psi(lambda_kw) - psi(sum_w lambda_kw)).
    fn refresh(&mut self) {
        let k = self.k;
        let mut sums = vec![0f64; k];
        for row in self.lambda.chunks_exact(k) {
            for (s, &x) in sums.iter_mut().zip(row) {
                *s += x;
            }
        }
        let mut norm = vec![0f64; k];
        exp_digamma(&sums, &mut norm);
        self.exp_elog_beta
            .par_chunks_mut(k * 64)
            .zip(self.lambda.par_chunks(k * 64))
            .for_each(|(e, l)| {
                exp_digamma(l, e);
                for row in e.chunks_exact_mut(k) {
                    for (x, &z) in row.iter_mut().zip(&norm) {
                        *x /= z;
                    }
                }
            });
    }
}

/// How an E-step starts each document's `gamma`.
#[derive(Clone, Copy)]
enum Init {
    /// The values already in `gamma` (drawn by [`draw_starts`]).
    Given,
    /// All ones.
    Ones,
}

/// Reusable per-piece statistics buffers and the rows each piece touched.
#[derive(Default)]
struct Buffers {
    pieces: Vec<(Vec<f64>, Vec<u32>, Vec<bool>)>,
}

/// The E-step's constants.
struct EStep {
    k: usize,
    alpha: f64,
    max_iter: usize,
    tol: f64,
}

impl EStep {
    /// Runs the E-step on documents `docs`, writing their `gamma` into `gamma` (|docs| x K) and,
    /// when asked, their sufficient statistics (not yet multiplied by exp(E[log beta])) into
    /// `sstats` (V x K, overwritten).
    fn run_parallel(
        &self,
        corpus: &Corpus,
        docs: Range<usize>,
        exp_elog_beta: &[f64],
        init: Init,
        gamma: &mut [f64],
        sstats: Option<(&mut Vec<f64>, &mut Buffers)>,
    ) {
        let k = self.k;
        let v = corpus.vocab_size();
        let pieces = pieces(corpus, docs.clone());
        // Each piece's slice of gamma.
        let mut slices: Vec<&mut [f64]> = Vec::with_capacity(pieces.len());
        let mut rest = gamma;
        for p in &pieces {
            let (a, b) = rest.split_at_mut(p.len() * k);
            slices.push(a);
            rest = b;
        }
        match sstats {
            None => {
                pieces
                    .par_iter()
                    .zip(slices)
                    .for_each(|(p, g)| self.run(corpus, p.clone(), exp_elog_beta, init, g, None));
            }
            Some((sstats, buffers)) => {
                while buffers.pieces.len() < pieces.len() {
                    buffers
                        .pieces
                        .push((vec![0f64; v * k], Vec::new(), vec![false; v]));
                }
                pieces
                    .par_iter()
                    .zip(slices)
                    .zip(&mut buffers.pieces)
                    .for_each(|((p, g), (buf, rows, seen))| {
                        self.run(
                            corpus,
                            p.clone(),
                            exp_elog_beta,
                            init,
                            g,
                            Some((buf, rows, seen)),
                        )
                    });
                // Summed in piece order: the same result on any number of threads. Only the
                // rows a piece touched are read and cleared.
                sstats.clear();
                sstats.resize(v * k, 0.0);
                for (buf, rows, seen) in buffers.pieces.iter_mut().take(pieces.len()) {
                    for &w in rows.iter() {
                        let w = w as usize;
                        let (dst, src) = (&mut sstats[w * k..][..k], &mut buf[w * k..][..k]);
                        for (d, s) in dst.iter_mut().zip(src.iter_mut()) {
                            *d += *s;
                            *s = 0.0;
                        }
                        seen[w] = false;
                    }
                    rows.clear();
                }
            }
        }
    }

    /// The E-step of documents `docs` on one thread.
    fn run(
        &self,
        corpus: &Corpus,
        docs: Range<usize>,
        exp_elog_beta: &[f64],
        init: Init,
        gamma: &mut [f64],
        mut sstats: Option<(&mut Vec<f64>, &mut Vec<u32>, &mut Vec<bool>)>,
    ) {
        let k = self.k;
        let mut exp_theta = vec![0f64; k];
        let mut acc = vec![0f64; k];
        let mut scratch = vec![0f64; k];
        for (d, g) in docs.zip(gamma.chunks_exact_mut(k)) {
            if let Init::Ones = init {
                g.fill(1.0);
            }
            let (ids, counts) = corpus.doc(d);
            exp_dirichlet_expectation(g, &mut exp_theta, &mut scratch);
            for _ in 0..self.max_iter {
                acc.fill(0.0);
                accumulate_doc(ids, counts, exp_elog_beta, &exp_theta, &mut acc);
                let mut change = 0.0;
                for ((g, &e), &a) in g.iter_mut().zip(&exp_theta).zip(&acc) {
                    let new = self.alpha + e * a;
                    change += (new - *g).abs();
                    *g = new;
                }
                exp_dirichlet_expectation(g, &mut exp_theta, &mut scratch);
                if change / (k as f64) < self.tol {
                    break;
                }
            }
            if let Some((buf, rows, seen)) = sstats.as_mut() {
                for &w in ids {
                    if !seen[w as usize] {
                        seen[w as usize] = true;
                        rows.push(w);
                    }
                }
                add_doc_stats(ids, counts, exp_elog_beta, &exp_theta, buf);
            }
        }
    }
}

/// Cuts documents `docs` into at most [`MAX_PIECES`] contiguous pieces of about equal non-zeros
/// (none smaller than [`MIN_PIECE_NNZ`] unless it is the only one). Depends only on the corpus.
fn pieces(corpus: &Corpus, docs: Range<usize>) -> Vec<Range<usize>> {
    let (offsets, _, _) = corpus.csr();
    let (start, end) = (docs.start, docs.end);
    let nnz = offsets[end] - offsets[start];
    let n = (nnz / MIN_PIECE_NNZ).clamp(1, MAX_PIECES).min(end - start);
    if n <= 1 {
        return vec![docs];
    }
    let mut out = Vec::with_capacity(n);
    let mut s = start;
    for i in 1..n {
        let target = offsets[start] + nnz * i / n;
        // First document boundary at or after the target, leaving room for the rest.
        let mut e = s + 1;
        while e < end - (n - i) && offsets[e] < target {
            e += 1;
        }
        out.push(s..e);
        s = e;
    }
    out.push(s..end);
    out
}

/// Documents' random starts, Gamma(100, 1/100), drawn in document order before the E-step runs
/// them in parallel (scikit-learn's `_update_doc_distribution` draws the same array).
fn draw_starts(rng: &mut RandomState, gamma: &mut [f64]) {
    gamma.iter_mut().for_each(|x| *x = rng.gamma(100.0, 0.01));
}

crate::simd::multiversion! {
    /// One pass of a document's update: for each word, `phi_norm = exp_theta . eb[w] + EPS`, and
    /// `acc += n_w / phi_norm * eb[w]` (gamma is then `alpha + exp_theta * acc`).
    fn accumulate_doc(ids: &[u32], counts: &[f32], eb: &[f64], exp_theta: &[f64], acc: &mut [f64]) {
        let k = exp_theta.len();
        for (&w, &c) in ids.iter().zip(counts) {
            let row = &eb[w as usize * k..][..k];
            let r = c as f64 / (dot(exp_theta, row) + EPS);
            for (a, &b) in acc.iter_mut().zip(row) {
                *a += r * b;
            }
        }
    }
}

crate::simd::multiversion! {
    /// A document's sufficient statistics: `buf[w] += n_w / phi_norm * exp_theta`.
    fn add_doc_stats(ids: &[u32], counts: &[f32], eb: &[f64], exp_theta: &[f64], buf: &mut [f64]) {
        let k = exp_theta.len();
        for (&w, &c) in ids.iter().zip(counts) {
            let row = &eb[w as usize * k..][..k];
            let r = c as f64 / (dot(exp_theta, row) + EPS);
            for (a, &e) in buf[w as usize * k..][..k].iter_mut().zip(exp_theta) {
                *a += r * e;
            }
        }
    }
}

/// Dot product with eight running sums (a fixed order, so every build rounds alike), which the
/// compiler keeps in vector registers.
#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = [0f64; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (a8.remainder(), b8.remainder());
    for (x, y) in a8.zip(b8) {
        for i in 0..8 {
            s[i] += x[i] * y[i];
        }
    }
    for (i, (x, y)) in ra.iter().zip(rb).enumerate() {
        s[i] += x * y;
    }
    ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]))
}

/// `out_k = exp(E[log theta_k]) = exp(psi(gamma_k) - psi(sum gamma))`.
fn exp_dirichlet_expectation(gamma: &[f64], out: &mut [f64], scratch: &mut [f64]) {
    let total: f64 = gamma.iter().sum();
    let norm = exp_digamma_one(total);
    exp_digamma_into(gamma, out, scratch);
    out.iter_mut().for_each(|x| *x /= norm);
}

/// `out_i = exp(psi(x_i))` for positive `x_i`.
fn exp_digamma(x: &[f64], out: &mut [f64]) {
    let mut scratch = vec![0f64; x.len()];
    exp_digamma_into(x, out, &mut scratch);
}

/// `exp(psi(x))` written as `y exp(c)` with `y = x + 6` and `c` the asymptotic series at `y`
/// minus the recurrence's `sum 1/(x + i)`, so that it costs one `exp` and no `ln` (the E-step
/// needs only exp(psi), for every topic of every document at every update).
fn exp_digamma_into(x: &[f64], out: &mut [f64], c: &mut [f64]) {
    psi_parts(x, out, c);
    scale_by_exp(out, c);
}

fn exp_digamma_one(x: f64) -> f64 {
    let (mut y, mut c) = ([0f64], [0f64]);
    psi_parts(&[x], &mut y, &mut c);
    y[0] * exp(c[0])
}

crate::simd::multiversion! {
    /// `y_i *= exp(c_i)`, in vector registers.
    fn scale_by_exp(y: &mut [f64], c: &[f64]) {
        for (y, &c) in y.iter_mut().zip(c) {
            *y *= exp(c);
        }
    }
}

/// e^x to within a few ulp (|relative error| < 1e-15), branch-free so that loops over it
/// vectorise (the library `exp` is a call per element, and the E-step needs K of them per
/// update of every document). x = n ln 2 + r with |r| <= ln(2)/2, e^r by its Taylor series to
/// r^13, 2^n written into the exponent bits. Below -708 it returns 0 (the true value is
/// subnormal or 0); above 709 it saturates at e^709.
#[inline(always)]
fn exp(x: f64) -> f64 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    // ln 2 split so that n * LN2_HI is exact (fdlibm's constants, bit for bit).
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    // Adding 1.5 * 2^52 rounds to an integer and leaves it in the low mantissa bits.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    let xc = x.clamp(-708.0, 709.0);
    let t = xc * LOG2E + SHIFTER;
    let n = t - SHIFTER;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.0 / 6_227_020_800.0; // 1/13!
    for f in [
        479_001_600.0,
        39_916_800.0,
        3_628_800.0,
        362_880.0,
        40_320.0,
        5_040.0,
        720.0,
        120.0,
        24.0,
        6.0,
        2.0,
        1.0,
        1.0,
    ] {
        p = p * r + 1.0 / f;
    }
    let i = (t.to_bits() as i64).wrapping_sub(SHIFTER.to_bits() as i64);
    let scale = f64::from_bits(((i + 1023) << 52) as u64);
    if x < -708.0 {
        0.0
    } else {
        p * scale
    }
}

crate::simd::multiversion! {
    /// `psi(x) = ln(y) + c` with `y = x + 6` (x < 6) or `y = x`: branch-free, so that it runs in
    /// vector registers.
    fn psi_parts(x: &[f64], ys: &mut [f64], cs: &mut [f64]) {
        for ((&x, y_out), c_out) in x.iter().zip(ys.iter_mut()).zip(cs.iter_mut()) {
            let small = x < 6.0;
            // sum_{i<6} 1/(x + i) as one fraction num/den (den < 1e36 for x < 6).
            let xs = if small { x } else { 1.0 };
            let (mut num, mut den) = (0.0, 1.0);
            for i in 0..6 {
                let t = xs + i as f64;
                num = num * t + den;
                den *= t;
            }
            let shift = if small { num / den } else { 0.0 };
            let y = if small { x + 6.0 } else { x };
            let r = 1.0 / y;
            let r2 = r * r;
            // -1/(2y) - sum B_2n / (2n y^2n), through y^-12 (error < 4e-12 at y = 6).
            let series = -0.5 * r
                - r2 * (1.0 / 12.0
                    - r2 * (1.0 / 120.0
                        - r2 * (1.0 / 252.0
                            - r2 * (1.0 / 240.0 - r2 * (1.0 / 132.0 - r2 * (691.0 / 32760.0))))));
            *y_out = y;
            *c_out = series - shift;
        }
    }
}

/// The digamma function psi(x) = d/dx ln Gamma(x), for x > 0 (recurrence up to 6, then the
/// asymptotic series).
pub(super) fn digamma(x: f64) -> f64 {
    let (mut y, mut c) = ([0f64], [0f64]);
    psi_parts(&[x], &mut y, &mut c);
    y[0].ln() + c[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_known_values() {
        let euler = 0.577_215_664_901_532_9;
        assert!((digamma(1.0) + euler).abs() < 1e-11);
        assert!((digamma(0.5) + euler + 2.0 * 2f64.ln()).abs() < 1e-11);
        // psi(n) = H_{n-1} - gamma
        let h9: f64 = (1..10).map(|i| 1.0 / i as f64).sum();
        assert!((digamma(10.0) - (h9 - euler)).abs() < 1e-11);
        // psi(x + 1) = psi(x) + 1/x, across the switch at 6 and for small x
        for &x in &[1e-3, 0.05, 0.7, 3.2, 5.5, 5.999, 6.0, 17.0, 1e4, 1e7] {
            assert!(
                (digamma(x + 1.0) - digamma(x) - 1.0 / x).abs() < 1e-9 * (1.0 + 1.0 / x),
                "x = {x}"
            );
        }
        assert!((exp_digamma_one(2.5) - digamma(2.5).exp()).abs() < 1e-13);
    }

    #[test]
    fn exp_matches_the_library() {
        let mut x = -708.0;
        while x < 709.0 {
            let (a, b) = (exp(x), x.exp());
            assert!(((a - b) / b).abs() < 1e-15, "x = {x}: {a} vs {b}");
            x += 0.0137;
        }
        for x in [0.0, 1e-300, -1e-10, 0.5 * std::f64::consts::LN_2, 1.0, -1.0] {
            assert!(((exp(x) - x.exp()) / x.exp()).abs() < 1e-15, "x = {x}");
        }
        assert_eq!(exp(-800.0), 0.0);
        assert!(exp(800.0).is_finite());
    }

    #[test]
    fn pieces_cover_the_documents_in_order() {
        let planted = crate::corpus::PlantedCorpus::builder()
            .topics(3)
            .docs(2000)
            .seed(0)
            .build();
        let c = &planted.corpus;
        for docs in [0..2000, 5..6, 100..1900, 7..7] {
            let p = pieces(c, docs.clone());
            assert_eq!(p.first().map(|r| r.start), Some(docs.start));
            assert_eq!(p.last().map(|r| r.end), Some(docs.end));
            assert!(p
                .windows(2)
                .all(|w| w[0].end == w[1].start && !w[0].is_empty()));
            assert!(p.len() <= MAX_PIECES);
        }
        assert!(pieces(c, 0..2000).len() > 1);
    }
}

//! Latent Dirichlet allocation by collapsed Gibbs sampling (Griffiths & Steyvers 2004), at the
//! settings of tomotopy's `LDAModel` (the fast Gibbs LDA researchers reach for):
//!
//! - every token starts in a topic drawn uniformly; an iteration resamples each token from
//!   `p(z = k) ∝ (n_dk + alpha_k)(n_wk + eta)/(n_k + V eta)`, its own count taken out;
//! - alpha starts at `alpha` for every topic and, after every `optim_interval`-th iteration
//!   (10; 0 turns it off), is re-estimated per topic by ten rounds of Minka's fixed point
//!   `alpha_k <- alpha_k * sum_d [psi(n_dk + alpha_k) - psi(alpha_k)] /
//!   sum_d [psi(N_d + sum alpha) - psi(sum alpha)]`, floored at 1e-5, as tomotopy does by default;
//! - the topics are the counts of the last sample: `phi_wk = (n_wk + eta)/(n_k + V eta)`.
//!
//! **Sparse sampling** (after SparseLDA, Yao, Mimno & McCallum 2009). The conditional splits into
//! `q = sum_k (alpha_k + n_dk) n_wk/(n_k + V eta)` over the word's topics and
//! `sr = sum_k (alpha_k + n_dk) eta/(n_k + V eta)` over all (SparseLDA's smoothing and document
//! buckets in one). Each word keeps its topics as a list sorted by count, so `q` costs the number
//! of topics the word is in, not K; `sr` is kept up to date with the counts (two terms a token)
//! and walked only when the draw lands in it, which is rare: with eta = 1/K it holds little
//! mass.
//!
//! **Threads** (tomotopy's partition scheme, exact but for the topic totals). With `P` workers
//! the vocabulary is cut into `P` ranges of about equal work (tokens times the length of their
//! word's topic list, re-cut every 10 iterations as the lists shorten), the documents into `P`
//! blocks of about equal tokens;
//! an iteration is `P` rounds, and in round `i` worker `p` samples the tokens of words in range
//! `p` within document block `(p + i) mod P`, so no two workers touch the same word's or
//! document's counts. Each worker sees the topic totals `n_k` as they were at the start of the
//! round (its own changes included); they are summed after each round. Each worker draws from its
//! own xoshiro256++ stream, numbered by seed, iteration, round and worker: a seed and a number of
//! workers give the same model on any machine, however many threads rayon has.
//!
//! ```
//! use gcatm::baseline::GibbsLda;
//! use gcatm::corpus::PlantedCorpus;
//! let planted = PlantedCorpus::builder().topics(4).docs(300).seed(1).build();
//! let model = GibbsLda::new(4).iterations(100).seed(0).fit(&planted.corpus).unwrap();
//! assert_eq!(planted.recovered(&model.top_words(10)), 4);
//! ```
use super::{scoring, BaselineError};
use crate::corpus::{Corpus, Vocab};
use crate::eval::{Evaluation, Evaluator};
use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Bits of a word-topic entry that hold the topic; the count sits above them.
const TOPIC_BITS: u32 = 16;
const TOPIC_MASK: u64 = (1 << TOPIC_BITS) - 1;
const ONE: u64 = 1 << TOPIC_BITS;
/// The cost of a token beside its word's topic list, in list entries (for the workers' ranges).
const TOKEN_COST: u64 = 4;
/// Iterations between re-cuts of the workers' word ranges.
const RECUT_EVERY: u64 = 10;
/// tomotopy's floor on a re-estimated alpha.
const MIN_ALPHA: f64 = 1e-5;
/// Rounds of the fixed point per re-estimation (tomotopy's).
const ALPHA_ROUNDS: usize = 10;
/// Passes of the fold-in that gives held-out documents their topic proportions.
const FOLD_IN_PASSES: usize = 50;

/// The settings of a collapsed Gibbs fit; serialisable (a run folder's `config.json`).
///
/// [`GibbsConfig::new`] gives tomotopy's `LDAModel` defaults: alpha = eta = 1/K, alpha
/// re-estimated every 10 iterations, and 1,000 iterations.
///
/// ```
/// use gcatm::baseline::GibbsConfig;
/// let c = GibbsConfig::new(20);
/// assert_eq!((c.iterations, c.optim_interval, c.workers), (1000, 10, None));
/// assert!(c.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GibbsConfig {
    /// Number of topics K (at most 65,535).
    pub topics: usize,
    /// Document-topic prior, every topic's start (`None`: 1/K).
    pub alpha: Option<f64>,
    /// Topic-word prior (`None`: 1/K).
    pub eta: Option<f64>,
    /// Sweeps over every token.
    pub iterations: usize,
    /// Re-estimate alpha after every this many iterations (0: keep it fixed).
    pub optim_interval: usize,
    /// Workers sampling side by side (`None`: rayon's threads). The result depends on it.
    pub workers: Option<usize>,
    /// Seed of the start and of every draw.
    pub seed: u64,
}

impl GibbsConfig {
    /// tomotopy's defaults for K topics.
    pub fn new(topics: usize) -> GibbsConfig {
        GibbsConfig {
            topics,
            alpha: None,
            eta: None,
            iterations: 1000,
            optim_interval: 10,
            workers: None,
            seed: 0,
        }
    }

    /// Checks every setting that does not depend on the corpus.
    ///
    /// ```
    /// use gcatm::baseline::{BaselineError, GibbsConfig};
    /// let mut c = GibbsConfig::new(5);
    /// c.eta = Some(-1.0);
    /// assert!(matches!(c.validate(), Err(BaselineError::InvalidPrior { name: "eta", .. })));
    /// ```
    pub fn validate(&self) -> Result<(), BaselineError> {
        if self.topics == 0 {
            return Err(BaselineError::NoTopics);
        }
        if self.topics > TOPIC_MASK as usize {
            return Err(BaselineError::InvalidOption(format!(
                "collapsed Gibbs LDA takes at most {TOPIC_MASK} topics, got {}",
                self.topics
            )));
        }
        for (name, value) in [("alpha", self.alpha), ("eta", self.eta)] {
            if let Some(v) = value {
                if !(v.is_finite() && v > 0.0) {
                    return Err(BaselineError::InvalidPrior { name, value: v });
                }
            }
        }
        if self.iterations == 0 {
            return Err(BaselineError::InvalidOption(
                "iterations must be at least 1".into(),
            ));
        }
        if self.workers == Some(0) {
            return Err(BaselineError::InvalidOption(
                "workers must be at least 1".into(),
            ));
        }
        Ok(())
    }

    fn resolved(&self) -> GibbsConfig {
        let prior = 1.0 / self.topics.max(1) as f64;
        GibbsConfig {
            alpha: Some(self.alpha.unwrap_or(prior)),
            eta: Some(self.eta.unwrap_or(prior)),
            workers: Some(self.workers.unwrap_or_else(rayon::current_num_threads)),
            ..self.clone()
        }
    }
}

/// Fits LDA to a [`Corpus`] of counts by collapsed Gibbs sampling: a builder over
/// [`GibbsConfig`].
///
/// ```
/// use gcatm::baseline::GibbsLda;
/// use gcatm::corpus::PlantedCorpus;
/// let planted = PlantedCorpus::builder().topics(3).docs(150).seed(2).build();
/// let fit = |workers| GibbsLda::new(3).iterations(30).workers(workers).seed(7).fit(&planted.corpus).unwrap();
/// // A seed and a number of workers give one model.
/// assert_eq!(fit(2).top_words(10), fit(2).top_words(10));
/// assert!((fit(1).doc_topic().row(0).sum() - 1.0).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GibbsLda {
    config: GibbsConfig,
}

impl GibbsLda {
    /// tomotopy's settings for K topics ([`GibbsConfig::new`]).
    pub fn new(topics: usize) -> GibbsLda {
        GibbsLda::from_config(GibbsConfig::new(topics))
    }

    /// A fit with these settings.
    pub fn from_config(config: GibbsConfig) -> GibbsLda {
        GibbsLda { config }
    }

    /// Sets every topic's starting document-topic prior.
    pub fn alpha(mut self, alpha: f64) -> GibbsLda {
        self.config.alpha = Some(alpha);
        self
    }

    /// Sets the topic-word prior.
    pub fn eta(mut self, eta: f64) -> GibbsLda {
        self.config.eta = Some(eta);
        self
    }

    /// Sets the number of sweeps.
    pub fn iterations(mut self, n: usize) -> GibbsLda {
        self.config.iterations = n;
        self
    }

    /// Re-estimates alpha every `n` iterations (0: never).
    pub fn optim_interval(mut self, n: usize) -> GibbsLda {
        self.config.optim_interval = n;
        self
    }

    /// Sets the number of workers sampling side by side.
    pub fn workers(mut self, n: usize) -> GibbsLda {
        self.config.workers = Some(n);
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> GibbsLda {
        self.config.seed = seed;
        self
    }

    /// The settings as given (defaults unresolved).
    pub fn config(&self) -> &GibbsConfig {
        &self.config
    }

    /// Samples the corpus's topics. Its values must be whole counts.
    pub fn fit(&self, corpus: &Corpus) -> Result<GibbsModel, BaselineError> {
        self.fit_with_progress(corpus, |_, _| {})
    }

    /// [`GibbsLda::fit`], calling `on_iteration(done, total)` after every sweep.
    pub fn fit_with_progress<F: FnMut(usize, usize)>(
        &self,
        corpus: &Corpus,
        mut on_iteration: F,
    ) -> Result<GibbsModel, BaselineError> {
        self.config.validate()?;
        let mut config = self.config.resolved();
        let (k, v) = (config.topics, corpus.vocab_size());
        if k > v {
            return Err(BaselineError::TooManyTopics {
                topics: k,
                vocab: v,
            });
        }
        let tokens = Tokens::new(corpus)?;
        // More workers than words or documents would leave some without work.
        let workers = config
            .workers
            .unwrap_or(1)
            .min(v)
            .min(tokens.n_docs())
            .max(1);
        config.workers = Some(workers);
        let mut state = State::new(&config, tokens, v, workers);
        for iteration in 0..config.iterations {
            state = state.sweep(iteration as u64);
            if config.optim_interval > 0 && (iteration + 1) % config.optim_interval == 0 {
                state.optimize_alpha();
            }
            on_iteration(iteration + 1, config.iterations);
        }
        Ok(state.into_model(config, corpus.vocab().clone()))
    }
}

/// A fitted Gibbs LDA model: the last sample's counts, the re-estimated alpha and eta.
#[derive(Debug, Clone)]
pub struct GibbsModel {
    config: GibbsConfig,
    vocab: Vocab,
    alpha: Vec<f64>,
    /// Word-topic counts, V x K.
    nwk: Vec<u32>,
    /// Topic totals.
    nk: Vec<u64>,
    /// The training documents' topic counts, documents x K.
    ndk: Vec<u32>,
}

impl GibbsModel {
    /// The settings, with the priors and the number of workers resolved.
    pub fn config(&self) -> &GibbsConfig {
        &self.config
    }

    /// Number of topics K.
    pub fn n_topics(&self) -> usize {
        self.config.topics
    }

    /// The vocabulary of the fitted corpus.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// The document-topic prior per topic, as last re-estimated.
    pub fn alpha(&self) -> &[f64] {
        &self.alpha
    }

    /// Topic-word distributions, K x V: `(n_wk + eta)/(n_k + V eta)`.
    pub fn topic_word(&self) -> Array2<f64> {
        let (k, v) = (self.n_topics(), self.vocab.len());
        let eta = self.eta();
        Array2::from_shape_fn((k, v), |(t, w)| {
            (self.nwk[w * k + t] as f64 + eta) / (self.nk[t] as f64 + v as f64 * eta)
        })
    }

    /// Each topic's `n` most frequent words in the last sample, most first (ties: lower word id
    /// first).
    pub fn top_words(&self, n: usize) -> Vec<Vec<String>> {
        let k = self.n_topics();
        scoring::top_words_by(k, &self.vocab, n, |t, w| self.nwk[w * k + t] as f64)
    }

    /// The training documents' topic proportions, documents x K:
    /// `(n_dk + alpha_k)/(N_d + sum alpha)`.
    pub fn doc_topic(&self) -> Array2<f64> {
        let k = self.n_topics();
        let n = self.ndk.len() / k;
        let total: f64 = self.alpha.iter().sum();
        Array2::from_shape_fn((n, k), |(d, t)| {
            let row = &self.ndk[d * k..(d + 1) * k];
            let len: u64 = row.iter().map(|&c| u64::from(c)).sum();
            (row[t] as f64 + self.alpha[t]) / (len as f64 + total)
        })
    }

    /// Topic proportions of (held-out) documents under the fitted topics, documents x K, rows
    /// summing to 1: 50 passes of the fold-in `theta_k ∝ alpha_k + sum_w n_dw phi_wk theta_k /
    /// sum_j phi_wj theta_j` from uniform proportions (deterministic, unlike a sampled fold-in).
    /// An empty document gets `alpha` normalised. The corpus must have the model's vocabulary.
    pub fn transform(&self, corpus: &Corpus) -> Result<Array2<f64>, BaselineError> {
        if corpus.vocab() != &self.vocab {
            return Err(BaselineError::VocabMismatch {
                expected: self.vocab.len(),
                got: corpus.vocab_size(),
            });
        }
        let (k, v) = (self.n_topics(), self.vocab.len());
        let eta = self.eta();
        // phi, V x K, a word's topics together.
        let phi: Vec<f64> = (0..v * k)
            .map(|i| (self.nwk[i] as f64 + eta) / (self.nk[i % k] as f64 + v as f64 * eta))
            .collect();
        let rows: Vec<Vec<f64>> = (0..corpus.n_docs())
            .into_par_iter()
            .map(|d| {
                let (ids, counts) = corpus.doc(d);
                let mut theta = vec![1.0 / k as f64; k];
                let mut next = vec![0f64; k];
                for _ in 0..FOLD_IN_PASSES {
                    next.copy_from_slice(&self.alpha);
                    for (&w, &c) in ids.iter().zip(counts) {
                        let p = &phi[w as usize * k..(w as usize + 1) * k];
                        let z: f64 = p.iter().zip(&theta).map(|(a, b)| a * b).sum();
                        let scale = f64::from(c) / z;
                        for ((n, &a), &b) in next.iter_mut().zip(p).zip(&theta) {
                            *n += scale * a * b;
                        }
                    }
                    let s: f64 = next.iter().sum();
                    for (t, n) in theta.iter_mut().zip(&next) {
                        *t = n / s;
                    }
                }
                theta
            })
            .collect();
        Ok(Array2::from_shape_fn((rows.len(), k), |(d, t)| rows[d][t]))
    }

    /// Each document's most probable topic (argmax of [`GibbsModel::transform`]; ties: the
    /// lower topic), for clustering scores.
    pub fn assign(&self, corpus: &Corpus) -> Result<Vec<u32>, BaselineError> {
        Ok(scoring::argmax_rows(&self.transform(corpus)?))
    }

    /// Scores the model as the crate scores its own: coherence, TD and TU of the top words, and
    /// with the evaluator's labelled test documents, purity and NMI of [`GibbsModel::assign`].
    ///
    /// ```
    /// use gcatm::baseline::GibbsLda;
    /// use gcatm::corpus::PlantedCorpus;
    /// use gcatm::eval::Evaluator;
    /// let planted = PlantedCorpus::builder().topics(3).docs(200).seed(4).build();
    /// let (train, test) = planted.corpus.split(0.25, 0).unwrap();
    /// let model = GibbsLda::new(3).iterations(50).fit(&train).unwrap();
    /// let evaluator = Evaluator::new(&planted.corpus, Some(&test)).unwrap();
    /// assert!(model.evaluate(&evaluator).unwrap().clustering.unwrap().purity > 0.9);
    /// ```
    pub fn evaluate(&self, evaluator: &Evaluator) -> Result<Evaluation, BaselineError> {
        let words = self.top_words(scoring::scored_words(&self.vocab));
        scoring::evaluate(evaluator, &words, |test| self.assign(test))
    }

    fn eta(&self) -> f64 {
        self.config.eta.unwrap_or(1.0 / self.n_topics() as f64)
    }
}

/// The corpus as tokens: each document's word ids, in word order, a count's worth each.
struct Tokens {
    words: Vec<u32>,
    /// Document `d` owns `words[starts[d]..starts[d + 1]]`.
    starts: Vec<usize>,
}

impl Tokens {
    fn new(corpus: &Corpus) -> Result<Tokens, BaselineError> {
        let mut words = Vec::with_capacity(corpus.tokens().max(0.0) as usize);
        let mut starts = Vec::with_capacity(corpus.n_docs() + 1);
        starts.push(0);
        for d in 0..corpus.n_docs() {
            let (ids, counts) = corpus.doc(d);
            for (&w, &c) in ids.iter().zip(counts) {
                if c.fract() != 0.0 {
                    return Err(BaselineError::InvalidOption(format!(
                        "collapsed Gibbs LDA samples whole tokens, but document {d} holds {c} of \
                         word '{}': give it counts, not weights",
                        corpus.vocab().word(w as usize)
                    )));
                }
                words.extend(std::iter::repeat_n(w, c as usize));
            }
            starts.push(words.len());
        }
        if corpus.n_docs() == 0 || words.is_empty() {
            return Err(BaselineError::EmptyCorpus);
        }
        Ok(Tokens { words, starts })
    }

    fn n_docs(&self) -> usize {
        self.starts.len() - 1
    }
}

/// The sampler's state: assignments, counts and the word-topic lists.
struct State {
    k: usize,
    v: usize,
    eta: f64,
    alpha: Vec<f64>,
    seed: u64,
    tokens: Tokens,
    /// Each token's topic.
    z: Vec<u16>,
    /// Documents x K topic counts.
    ndk: Vec<u32>,
    /// Topic totals.
    nk: Vec<u64>,
    /// Word `w`'s topics: `lists[w * k..w * k + len[w]]`, entries `count << 16 | topic`, largest
    /// count first.
    lists: Vec<u64>,
    len: Vec<u16>,
    /// Each word's tokens.
    freq: Vec<u64>,
    /// `(document length, how many documents)`: the denominator of alpha's fixed point.
    len_hist: Vec<(u64, u64)>,
    /// Where word range `p` starts (`P + 1` entries).
    word_cuts: Vec<usize>,
    /// Where document block `b` starts (`P + 1` entries).
    doc_cuts: Vec<usize>,
    /// Per document, where its tokens of word range `p` start (`P + 1` entries each, absolute).
    token_cuts: Vec<usize>,
}

impl State {
    fn new(config: &GibbsConfig, tokens: Tokens, v: usize, workers: usize) -> State {
        let k = config.topics;
        let n_docs = tokens.n_docs();
        let mut freq = vec![0u64; v];
        for &w in &tokens.words {
            freq[w as usize] += 1;
        }
        let total = tokens.words.len() as u64;
        let doc_lens: Vec<u64> = tokens
            .starts
            .windows(2)
            .map(|s| (s[1] - s[0]) as u64)
            .collect();
        let doc_cuts = cuts(&doc_lens, workers);
        debug_assert_eq!(total, freq.iter().sum::<u64>());

        // The start: a uniform topic per token, from a stream of its own.
        let mut rng = stream(config.seed, u64::MAX);
        let z: Vec<u16> = tokens
            .words
            .iter()
            .map(|_| rng.below(k as u64) as u16)
            .collect();
        let mut ndk = vec![0u32; n_docs * k];
        let mut nk = vec![0u64; k];
        let mut nwk = vec![0u32; v * k];
        for d in 0..n_docs {
            let range = tokens.starts[d]..tokens.starts[d + 1];
            for (&w, &t) in tokens.words[range.clone()].iter().zip(&z[range]) {
                let (w, t) = (w as usize, t as usize);
                ndk[d * k + t] += 1;
                nk[t] += 1;
                nwk[w * k + t] += 1;
            }
        }
        let (mut lists, mut len) = (vec![0u64; v * k], vec![0u16; v]);
        for w in 0..v {
            len[w] = fill_list(&nwk[w * k..(w + 1) * k], &mut lists[w * k..(w + 1) * k]);
        }
        State {
            k,
            v,
            eta: config.eta.unwrap_or(1.0 / k as f64),
            alpha: vec![config.alpha.unwrap_or(1.0 / k as f64); k],
            seed: config.seed,
            tokens,
            z,
            ndk,
            nk,
            lists,
            len,
            freq,
            len_hist: histogram(doc_lens.iter().copied()),
            word_cuts: vec![0; workers + 1],
            doc_cuts,
            token_cuts: Vec::new(),
        }
        .recut()
    }

    /// Cuts the vocabulary into the workers' ranges by the work they hold: a word's tokens times
    /// the length of its topic list (the `q` loop's) plus a constant for the rest of a token.
    /// The lists shorten as the sampler settles, so this is redone every [`RECUT_EVERY`]
    /// iterations; it depends on the state alone, so the run stays deterministic.
    fn recut(mut self) -> State {
        let p = self.workers();
        let weights: Vec<u64> = self
            .freq
            .iter()
            .zip(&self.len)
            .map(|(&f, &l)| f * (TOKEN_COST + u64::from(l)))
            .collect();
        self.word_cuts = cuts(&weights, p);
        self.token_cuts.clear();
        for d in 0..self.tokens.n_docs() {
            let (a, b) = (self.tokens.starts[d], self.tokens.starts[d + 1]);
            let doc = &self.tokens.words[a..b];
            for &c in &self.word_cuts {
                self.token_cuts
                    .push(a + doc.partition_point(|&w| (w as usize) < c));
            }
        }
        self
    }

    fn workers(&self) -> usize {
        self.word_cuts.len() - 1
    }

    /// One iteration: every token resampled once, in `P` rounds.
    fn sweep(mut self, iteration: u64) -> State {
        let p = self.workers();
        if p > 1 && iteration > 0 && iteration.is_multiple_of(RECUT_EVERY) {
            self = self.recut();
        }
        let (k, eta, v_eta) = (self.k, self.eta, self.v as f64 * self.eta);
        for round in 0..p {
            // Each worker's word range (lists and lengths) and document block (counts and
            // assignments), split so that the borrows are disjoint.
            let mut ranges = Vec::with_capacity(p);
            let (mut lists, mut len) = (&mut self.lists[..], &mut self.len[..]);
            for r in 0..p {
                let n = self.word_cuts[r + 1] - self.word_cuts[r];
                let (l, rest) = std::mem::take(&mut lists).split_at_mut(n * k);
                let (c, rest_len) = std::mem::take(&mut len).split_at_mut(n);
                lists = rest;
                len = rest_len;
                ranges.push((r, l, c));
            }
            let mut blocks = Vec::with_capacity(p);
            let (mut ndk, mut z) = (&mut self.ndk[..], &mut self.z[..]);
            for b in 0..p {
                let docs = self.doc_cuts[b]..self.doc_cuts[b + 1];
                let toks = self.tokens.starts[docs.start]..self.tokens.starts[docs.end];
                let (n, rest) = std::mem::take(&mut ndk).split_at_mut(docs.len() * k);
                let (zz, rest_z) = std::mem::take(&mut z).split_at_mut(toks.len());
                ndk = rest;
                z = rest_z;
                blocks.push((docs, toks.start, n, zz));
            }
            blocks.rotate_left(round);
            let nk = &self.nk;
            let ctx = Context {
                k,
                eta,
                v_eta,
                alpha: &self.alpha,
                words: &self.tokens.words,
                token_cuts: &self.token_cuts,
                word_cuts: &self.word_cuts,
                p,
            };
            let seed = self.seed;
            let deltas: Vec<Vec<i64>> = ranges
                .into_par_iter()
                .zip(blocks.into_par_iter())
                .map(|((r, lists, len), (docs, tok0, ndk, z))| {
                    let mut rng = stream(
                        seed,
                        (iteration * p as u64 + round as u64) * p as u64 + r as u64,
                    );
                    let mut worker = Worker::new(&ctx, nk, r);
                    worker.run(&ctx, &mut rng, lists, len, docs, tok0, ndk, z);
                    worker.delta(nk)
                })
                .collect();
            for delta in deltas {
                for (n, d) in self.nk.iter_mut().zip(delta) {
                    *n = (*n as i64 + d) as u64;
                }
            }
        }
        self
    }

    /// tomotopy's re-estimation of alpha (module docs), over histograms of the counts: the
    /// documents with equal `n_dk` share one digamma difference.
    fn optimize_alpha(&mut self) {
        let k = self.k;
        let n_docs = self.tokens.n_docs();
        let len_hist = &self.len_hist;
        let topic_hists: Vec<Vec<(u64, u64)>> = (0..k)
            .into_par_iter()
            .map(|t| histogram((0..n_docs).map(|d| u64::from(self.ndk[d * k + t]))))
            .collect();
        let diff_sum = |hist: &[(u64, u64)], a: f64| -> f64 {
            let base = super::lda::digamma(a);
            hist.iter()
                .filter(|&&(n, _)| n > 0)
                .map(|&(n, c)| c as f64 * (super::lda::digamma(n as f64 + a) - base))
                .sum()
        };
        for _ in 0..ALPHA_ROUNDS {
            let denom = diff_sum(len_hist, self.alpha.iter().sum());
            for (t, a) in self.alpha.iter_mut().enumerate() {
                let nom = diff_sum(&topic_hists[t], *a);
                *a = (nom / denom * *a).max(MIN_ALPHA);
            }
        }
    }

    fn into_model(self, config: GibbsConfig, vocab: Vocab) -> GibbsModel {
        let (k, v) = (self.k, self.v);
        let mut nwk = vec![0u32; v * k];
        for w in 0..v {
            for &e in &self.lists[w * k..w * k + self.len[w] as usize] {
                nwk[w * k + (e & TOPIC_MASK) as usize] = (e >> TOPIC_BITS) as u32;
            }
        }
        GibbsModel {
            config,
            vocab,
            alpha: self.alpha,
            nwk,
            nk: self.nk,
            ndk: self.ndk,
        }
    }
}

/// What every worker reads and no one writes during a round.
struct Context<'a> {
    k: usize,
    eta: f64,
    v_eta: f64,
    alpha: &'a [f64],
    words: &'a [u32],
    token_cuts: &'a [usize],
    word_cuts: &'a [usize],
    p: usize,
}

/// One worker's view of the topic totals and its SparseLDA buckets.
struct Worker {
    /// Its own copy of the topic totals.
    nk: Vec<u64>,
    /// `1/(n_k + V eta)`.
    inv: Vec<f64>,
    /// `(alpha_k + n_dk)/(n_k + V eta)` for the current document.
    coef: Vec<f64>,
    /// The `q` terms of the word being sampled, in its list's order.
    q: Vec<f64>,
    /// The first word id of its range.
    first_word: usize,
    range: usize,
}

impl Worker {
    fn new(ctx: &Context, nk: &[u64], range: usize) -> Worker {
        Worker {
            nk: nk.to_vec(),
            inv: nk.iter().map(|&n| 1.0 / (n as f64 + ctx.v_eta)).collect(),
            coef: vec![0.0; ctx.k],
            q: vec![0.0; ctx.k],
            first_word: ctx.word_cuts[range],
            range,
        }
    }

    fn delta(&self, before: &[u64]) -> Vec<i64> {
        self.nk
            .iter()
            .zip(before)
            .map(|(&a, &b)| a as i64 - b as i64)
            .collect()
    }

    /// Moves one token of the current document (counts `row`) into or out of topic `t` (`add`),
    /// keeping `coef` and the bucket `sr = eta sum_k coef_k` up to date.
    #[inline(always)]
    fn update(&mut self, ctx: &Context, row: &mut [u32], sr: &mut f64, t: usize, add: bool) {
        *sr -= ctx.eta * self.coef[t];
        if add {
            row[t] += 1;
            self.nk[t] += 1;
        } else {
            row[t] -= 1;
            self.nk[t] -= 1;
        }
        self.inv[t] = 1.0 / (self.nk[t] as f64 + ctx.v_eta);
        self.coef[t] = (ctx.alpha[t] + row[t] as f64) * self.inv[t];
        *sr += ctx.eta * self.coef[t];
    }

    /// Samples the tokens of this worker's words in the documents `docs` (their counts `ndk`,
    /// their assignments `z` from token `tok0`).
    ///
    /// The buckets: `q` over the word's topics, and the smoothing and document parts together,
    /// `sr = sum_k (alpha_k + n_dk) eta/(n_k + V eta)`, walked over every topic in the rare draw
    /// that lands in it.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        ctx: &Context,
        rng: &mut Xoshiro,
        lists: &mut [u64],
        len: &mut [u16],
        docs: std::ops::Range<usize>,
        tok0: usize,
        ndk: &mut [u32],
        z: &mut [u16],
    ) {
        let k = ctx.k;
        for (j, d) in docs.clone().enumerate() {
            let cut = d * (ctx.p + 1) + self.range;
            let (a, b) = (ctx.token_cuts[cut], ctx.token_cuts[cut + 1]);
            if a == b {
                continue;
            }
            let row = &mut ndk[j * k..(j + 1) * k];
            let mut sr = 0.0;
            for ((c, (&a, &n)), &inv) in self
                .coef
                .iter_mut()
                .zip(ctx.alpha.iter().zip(row.iter()))
                .zip(&self.inv)
            {
                *c = (a + n as f64) * inv;
                sr += *c;
            }
            sr *= ctx.eta;
            for i in a..b {
                let w = ctx.words[i] as usize - self.first_word;
                let list = &mut lists[w * k..(w + 1) * k];
                let old = z[i - tok0] as usize;
                self.update(ctx, row, &mut sr, old, false);
                let mut n = list_remove(list, len[w] as usize, old as u64);

                let mut q = 0.0;
                for (e, qi) in list[..n].iter().zip(&mut self.q) {
                    let x = self.coef[(e & TOPIC_MASK) as usize] * (e >> TOPIC_BITS) as f64;
                    q += x;
                    *qi = x;
                }
                let mut u = rng.uniform() * (sr + q);
                let new;
                if u < q {
                    let mut at = n - 1;
                    for (idx, &x) in self.q[..n].iter().enumerate() {
                        u -= x;
                        if u <= 0.0 {
                            at = idx;
                            break;
                        }
                    }
                    new = (list[at] & TOPIC_MASK) as usize;
                    list_increment_at(list, at);
                } else {
                    u = (u - q) / ctx.eta;
                    let mut pick = k - 1;
                    for (t, &c) in self.coef.iter().enumerate() {
                        u -= c;
                        if u <= 0.0 {
                            pick = t;
                            break;
                        }
                    }
                    new = pick;
                    n = list_add(list, n, new as u64);
                }
                len[w] = n as u16;
                self.update(ctx, row, &mut sr, new, true);
                z[i - tok0] = new as u16;
            }
        }
    }
}

/// A random stream of its own for every (seed, stream) pair.
fn stream(seed: u64, id: u64) -> Xoshiro {
    Xoshiro::new(seed, id)
}

/// xoshiro256++ (Blackman & Vigna 2019), written here so that a seed's streams stay the same
/// whatever the `rand` version: a draw costs a few cycles, against a token's few dozen.
struct Xoshiro([u64; 4]);

impl Xoshiro {
    /// The state from SplitMix64 started at a mix of the seed and the stream number.
    fn new(seed: u64, id: u64) -> Xoshiro {
        let mut x = splitmix(seed) ^ splitmix(id ^ 0x6a09_e667_f3bc_c909);
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            splitmix(x)
        };
        Xoshiro([next(), next(), next(), next()])
    }

    #[inline(always)]
    fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let out = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    /// Uniform in [0, 1), 53 bits.
    #[inline(always)]
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; its bias, below n / 2^64, is immaterial here).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// SplitMix64's output function.
fn splitmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Cuts `0..weights.len()` into `parts` contiguous ranges of about equal weight (`parts + 1`
/// boundaries; a range may be empty only when there are fewer items than parts).
fn cuts(weights: &[u64], parts: usize) -> Vec<usize> {
    let total: u64 = weights.iter().sum();
    let mut out = vec![0];
    let mut acc = 0u64;
    for (i, &w) in weights.iter().enumerate() {
        acc += w;
        // Leave at least one item for each range still to come.
        while out.len() < parts
            && acc * parts as u64 >= total * out.len() as u64
            && weights.len() - (i + 1) >= parts - out.len()
        {
            out.push(i + 1);
        }
    }
    while out.len() < parts {
        out.push(weights.len());
    }
    out.push(weights.len());
    out
}

/// `(value, how many)` pairs of `values`.
fn histogram(values: impl Iterator<Item = u64>) -> Vec<(u64, u64)> {
    let mut v: Vec<u64> = values.collect();
    v.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for x in v {
        match out.last_mut() {
            Some((y, c)) if *y == x => *c += 1,
            _ => out.push((x, 1)),
        }
    }
    out
}

/// Writes a word's non-zero counts as a sorted list; returns its length.
fn fill_list(counts: &[u32], list: &mut [u64]) -> u16 {
    let mut n = 0;
    for (t, &c) in counts.iter().enumerate() {
        if c > 0 {
            list[n] = (u64::from(c) << TOPIC_BITS) | t as u64;
            n += 1;
        }
    }
    list[..n].sort_unstable_by(|a, b| b.cmp(a));
    n as u16
}

/// One less of `topic` in a sorted list of `n` entries (it must be there); returns the new length.
fn list_remove(list: &mut [u64], n: usize, topic: u64) -> usize {
    let mut i = list[..n]
        .iter()
        .position(|&e| e & TOPIC_MASK == topic)
        .expect("a token's topic is in its word's list");
    list[i] -= ONE;
    while i + 1 < n && list[i + 1] > list[i] {
        list.swap(i, i + 1);
        i += 1;
    }
    if list[i] >> TOPIC_BITS == 0 {
        n - 1
    } else {
        n
    }
}

/// One more of the entry at `i`, kept sorted.
fn list_increment_at(list: &mut [u64], mut i: usize) {
    list[i] += ONE;
    while i > 0 && list[i - 1] < list[i] {
        list.swap(i - 1, i);
        i -= 1;
    }
}

/// One more of `topic` (added when absent); returns the new length.
fn list_add(list: &mut [u64], n: usize, topic: u64) -> usize {
    match list[..n].iter().position(|&e| e & TOPIC_MASK == topic) {
        Some(i) => {
            list_increment_at(list, i);
            n
        }
        None => {
            list[n] = topic;
            list_increment_at(list, n);
            n + 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_stay_sorted_and_count() {
        let k = 6;
        let mut list = vec![0u64; k];
        let mut counts = [0u32; 6];
        let mut n = 0;
        let mut rng = stream(3, 0);
        for _ in 0..2000 {
            let t = rng.below(k as u64) as usize;
            if counts[t] > 0 && rng.uniform() < 0.5 {
                n = list_remove(&mut list, n, t as u64);
                counts[t] -= 1;
            } else {
                n = list_add(&mut list, n, t as u64);
                counts[t] += 1;
            }
            assert!(list[..n].windows(2).all(|w| w[0] > w[1]));
            let mut seen = [0u32; 6];
            for &e in &list[..n] {
                seen[(e & TOPIC_MASK) as usize] = (e >> TOPIC_BITS) as u32;
            }
            assert_eq!(seen, counts);
        }
    }

    #[test]
    fn streams_are_uniform_and_distinct() {
        let mut a = stream(0, 0);
        let n = 100_000;
        let mean = (0..n).map(|_| a.uniform()).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.005, "{mean}");
        let mut hist = [0u32; 7];
        for _ in 0..70_000 {
            hist[a.below(7) as usize] += 1;
        }
        assert!(
            hist.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{hist:?}"
        );
        let (mut b, mut c) = (stream(0, 1), stream(1, 0));
        assert!((0..8).all(|_| {
            let x = b.next_u64();
            x != c.next_u64()
        }));
        assert_eq!(stream(5, 9).next_u64(), stream(5, 9).next_u64());
    }

    #[test]
    fn cuts_balance_weight() {
        assert_eq!(cuts(&[1, 1, 1, 1], 2), vec![0, 2, 4]);
        assert_eq!(cuts(&[10, 1, 1, 1], 2), vec![0, 1, 4]);
        assert_eq!(cuts(&[5], 1), vec![0, 1]);
        assert_eq!(cuts(&[1, 1, 1], 3), vec![0, 1, 2, 3]);
        assert_eq!(
            histogram([3, 1, 3, 0].into_iter()),
            vec![(0, 1), (1, 1), (3, 2)]
        );
    }
}

//! ProdLDA (Srivastava & Sutton 2017, "Autoencoding variational inference for topic models"): a
//! variational autoencoder whose encoder gives a logistic-normal posterior over topic
//! proportions and whose decoder is a product of experts, with the settings the TopMost toolkit
//! trains it with (its `ProdLDA` class and `BasicTrainer` defaults), so that the crate's numbers
//! stand beside what researchers run:
//!
//! - encoder: counts (V) -> Linear(V, H) -> softplus -> Linear(H, H) -> softplus -> dropout, then
//!   two heads Linear(H, K) -> BatchNorm, the posterior mean and log-variance (H = 200, dropout
//!   0.4);
//! - theta = dropout(softmax(mu + eps sigma)) in training, softmax(mu) for evaluation;
//! - decoder: softmax(BatchNorm(theta beta)), beta K x V without bias (Xavier-uniform start);
//! - the prior: the Laplace approximation (in the softmax basis) of a Dirichlet(1) on theta, a
//!   Gaussian with mean 0 and variance 1 - 1/K in every coordinate;
//! - the loss: the multinomial reconstruction `-sum_w x_w log p_w` plus the Gaussian KL to the
//!   prior, averaged over the batch; Adam (lr 0.002), batches of 200 raw-count documents in a new
//!   order every epoch, 200 epochs.
//!
//! The BatchNorms use eps 1e-3 and momentum 1e-3 with their scale fixed at 1 and a trained shift
//! (TensorFlow's `batch_norm` defaults, as the authors' code and TopMost have them). The
//! reconstruction is computed from the log-softmax directly (TopMost adds 1e-10 to the softmax
//! before its log: the two differ only where a word's probability is below about 1e-9). Topics
//! are the rows of beta, their words ranked by weight, as TopMost's `get_beta` gives them.
//!
//! Randomness comes from the seed alone: the initial weights ([`seeded_var_builder`]), and per
//! epoch one stream (seed, epoch) for the document order, the reparameterisation noise and the
//! dropout masks. So a run resumed from a checkpoint continues exactly as an uninterrupted one,
//! and the same seed gives the same run on the CPU.
use super::{scoring, BaselineError};
use crate::corpus::{Corpus, SparseBatch, Vocab};
use crate::eval::{Evaluation, Evaluator};
use crate::model::{seeded_var_builder, trainable_vars, BatchNorm1d, Bow, Linear};
use crate::train::{Adam, EpochRecord, History, LockedRunFolder, RunSummary, TrainError};
use candle_core::{Device, Module, ModuleT, Tensor, D};
use candle_nn::{Init, VarBuilder, VarMap};
use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

/// The settings of a ProdLDA run; serialisable (a run folder's `config.json`). The defaults are
/// TopMost's.
///
/// ```
/// use gcatm::baseline::ProdLdaConfig;
/// let c = ProdLdaConfig::new(20);
/// assert_eq!((c.hidden, c.batch_size, c.learning_rate, c.dropout), (200, 200, 0.002, 0.4));
/// assert!(c.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProdLdaConfig {
    /// Number of topics K.
    pub topics: usize,
    /// Width H of the encoder's two hidden layers (200).
    pub hidden: usize,
    /// Dropout rate of the encoder's hidden output and of theta (0.4).
    pub dropout: f64,
    /// Adam's learning rate (0.002; betas 0.9 and 0.999).
    pub learning_rate: f64,
    /// Documents per batch (200); the last, smaller batch of an epoch is kept unless it holds a
    /// single document (BatchNorm needs two).
    pub batch_size: usize,
    /// Evaluate every this many epochs (0: only after the last one), for the run folder's
    /// history.
    pub eval_every: usize,
    /// Seed of the initial weights, the document order, the noise and the dropout masks.
    pub seed: u64,
    /// `cpu`, `cuda` or `cuda:N`.
    pub device: String,
}

impl ProdLdaConfig {
    /// TopMost's settings for K topics, seed 0, on the CPU.
    pub fn new(topics: usize) -> ProdLdaConfig {
        ProdLdaConfig {
            topics,
            hidden: 200,
            dropout: 0.4,
            learning_rate: 0.002,
            batch_size: 200,
            eval_every: 0,
            seed: 0,
            device: "cpu".into(),
        }
    }

    /// Checks every setting that does not depend on the corpus.
    ///
    /// ```
    /// use gcatm::baseline::{BaselineError, ProdLdaConfig};
    /// let mut c = ProdLdaConfig::new(0);
    /// assert!(matches!(c.validate(), Err(BaselineError::NoTopics)));
    /// c.topics = 5;
    /// c.dropout = 1.0;
    /// assert!(c.validate().unwrap_err().to_string().contains("dropout"));
    /// ```
    pub fn validate(&self) -> Result<(), BaselineError> {
        if self.topics == 0 {
            return Err(BaselineError::NoTopics);
        }
        let bad = |what: String| Err(BaselineError::InvalidOption(what));
        if self.hidden == 0 {
            return bad("hidden must be at least 1".into());
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!(
                "learning_rate must be a finite positive number, got {}",
                self.learning_rate
            ));
        }
        if self.batch_size < 2 {
            return bad(format!(
                "batch_size must be at least 2 (BatchNorm needs two documents), got {}",
                self.batch_size
            ));
        }
        crate::device::pick(&self.device)
            .map(|_| ())
            .or_else(|e| bad(format!("device: {e}")))
    }
}

/// The ProdLDA network: encoder to the logistic-normal posterior and the product-of-experts
/// decoder (see the module documentation), built the candle way.
///
/// ```
/// use candle_core::Device;
/// use candle_nn::VarMap;
/// use gcatm::baseline::ProdLdaNet;
/// let vm = VarMap::new();
/// let net = ProdLdaNet::new(gcatm::model::seeded_var_builder(&vm, 0, &Device::Cpu), 30, 4, 16).unwrap();
/// assert_eq!(net.beta().dims(), &[4, 30]);
/// ```
#[derive(Debug, Clone)]
pub struct ProdLdaNet {
    /// First layer, input-major (V x H), so that a sparse batch multiplies it directly.
    fc11_weight: Tensor,
    fc11_bias: Tensor,
    fc12: Linear,
    fc21: Linear,
    fc22: Linear,
    mean_bn: BatchNorm1d,
    logvar_bn: BatchNorm1d,
    /// The topics' weights, K x V.
    beta: Tensor,
    decoder_bn: BatchNorm1d,
    topics: usize,
}

/// What one batch's loss needs drawn at random: the reparameterisation noise and the two dropout
/// masks (already scaled by 1 / (1 - p), as PyTorch's dropout).
struct Noise {
    eps: Tensor,
    hidden_mask: Option<Tensor>,
    theta_mask: Option<Tensor>,
}

/// The terms of one batch's loss.
struct ProdLdaLoss {
    /// The mean over the batch of reconstruction + KL: what is minimised.
    loss: Tensor,
    /// Mean reconstruction term.
    reconstruction: f64,
    /// Mean KL term.
    kl: f64,
}

/// `log(1 + e^x)`, written so that neither large nor very negative inputs overflow.
fn softplus(x: &Tensor) -> candle_core::Result<Tensor> {
    x.relu()? + (x.abs()?.neg()?.exp()? + 1.0)?.log()?
}

/// BatchNorm as ProdLDA has it (eps and momentum 1e-3).
fn prodlda_bn(features: usize, vb: VarBuilder) -> candle_core::Result<BatchNorm1d> {
    Ok(BatchNorm1d::new(features, vb)?.with_eps_momentum(1e-3, 1e-3))
}

impl ProdLdaNet {
    /// A network for `vocab` words and `topics` topics with hidden width `hidden`; weights from
    /// `vb` (PyTorch's default initialisation of each layer, Xavier-uniform for beta). Dropout
    /// is the trainer's: its masks come with each batch.
    pub fn new(
        vb: VarBuilder,
        vocab: usize,
        topics: usize,
        hidden: usize,
    ) -> candle_core::Result<ProdLdaNet> {
        let bound = 1.0 / (vocab as f64).sqrt();
        let init = Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let xavier = (6.0 / (topics + vocab) as f64).sqrt();
        Ok(ProdLdaNet {
            fc11_weight: vb.get_with_hints((vocab, hidden), "fc11.weight", init)?,
            fc11_bias: vb.get_with_hints(hidden, "fc11.bias", init)?,
            fc12: Linear::new(hidden, hidden, vb.pp("fc12"))?,
            fc21: Linear::new(hidden, topics, vb.pp("fc21"))?,
            fc22: Linear::new(hidden, topics, vb.pp("fc22"))?,
            mean_bn: prodlda_bn(topics, vb.pp("mean_bn"))?,
            logvar_bn: prodlda_bn(topics, vb.pp("logvar_bn"))?,
            beta: vb.get_with_hints(
                (topics, vocab),
                "beta",
                Init::Uniform {
                    lo: -xavier,
                    up: xavier,
                },
            )?,
            decoder_bn: prodlda_bn(vocab, vb.pp("decoder_bn"))?,
            topics,
        })
    }

    /// The topics' weights beta, K x V: a topic's words ranked by weight are its top words.
    pub fn beta(&self) -> &Tensor {
        &self.beta
    }

    /// The posterior's mean and log-variance for a batch of counts (training mode: batch
    /// statistics, the dropout mask applied to the hidden output when given).
    fn encode(
        &self,
        x: &SparseBatch,
        train: bool,
        hidden_mask: Option<&Tensor>,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let h = Bow::Sparse(x)
            .matmul(&self.fc11_weight)?
            .broadcast_add(&self.fc11_bias)?;
        let h = softplus(&self.fc12.forward(&softplus(&h)?)?)?;
        let h = match hidden_mask {
            Some(m) => (h * m)?,
            None => h,
        };
        let mu = self.mean_bn.forward_t(&self.fc21.forward(&h)?, train)?;
        let logvar = self.logvar_bn.forward_t(&self.fc22.forward(&h)?, train)?;
        Ok((mu, logvar))
    }

    /// Topic proportions of a batch of counts for evaluation, B x K: softmax of the posterior
    /// mean, BatchNorm with its running statistics, no dropout.
    pub fn theta(&self, x: &SparseBatch) -> candle_core::Result<Tensor> {
        let (mu, _) = self.encode(x, false, None)?;
        crate::model::softmax_rows(&mu)
    }

    /// The loss of one batch of counts in training mode, with `noise` drawn by the caller.
    fn loss(&self, x: &SparseBatch, noise: &Noise) -> candle_core::Result<ProdLdaLoss> {
        let (mu, logvar) = self.encode(x, true, noise.hidden_mask.as_ref())?;
        let z = (&mu + (noise.eps.clone() * (&logvar * 0.5)?.exp()?)?)?;
        let theta = crate::model::softmax_rows(&z)?;
        let theta = match &noise.theta_mask {
            Some(m) => (theta * m)?,
            None => theta,
        };
        let recon = self
            .decoder_bn
            .train_multinomial_nll(&crate::model::linear_n(&theta, &self.beta)?, x)?;
        // KL(q || p) for the diagonal Gaussians q = N(mu, e^logvar) and the prior N(0, s2).
        let k = self.topics as f64;
        let s2 = prior_variance(self.topics);
        let kl = (((logvar.exp()? / s2)? + (mu.sqr()? / s2)?)? - logvar)?
            .sum(D::Minus1)?
            .affine(0.5, 0.5 * (k * s2.ln() - k))?;
        let recon_mean = recon.mean_all()?;
        let kl_mean = kl.mean_all()?;
        Ok(ProdLdaLoss {
            loss: (&recon_mean + &kl_mean)?,
            reconstruction: recon_mean.to_scalar::<f32>()? as f64,
            kl: kl_mean.to_scalar::<f32>()? as f64,
        })
    }
}

/// The variance of the Laplace approximation of a symmetric Dirichlet(1) prior over K topics in
/// the softmax basis: `(1 - 2/K) + K / K^2` (its mean is 0).
fn prior_variance(topics: usize) -> f64 {
    let k = topics as f64;
    (1.0 - 2.0 / k) + 1.0 / k
}

/// A ProdLDA model being trained: network, optimiser, corpus, epoch and history. Build it with
/// [`ProdLda::new`], train it with [`ProdLda::train_epoch`] or [`ProdLda::fit`] (or into a run
/// folder with [`fit_to_folder`]), and read topics, theta and scores from it.
///
/// ```
/// use gcatm::baseline::{ProdLda, ProdLdaConfig};
/// use gcatm::corpus::PlantedCorpus;
/// let planted = PlantedCorpus::builder().topics(3).docs(60).vocab_size(30).seed(1).build();
/// let config = ProdLdaConfig { hidden: 16, batch_size: 20, ..ProdLdaConfig::new(3) };
/// let mut model = ProdLda::new(config, &planted.corpus).unwrap();
/// model.fit(2, |_| {}).unwrap();
/// assert_eq!(model.epoch(), 2);
/// assert_eq!(model.top_words(5).len(), 3);
/// ```
pub struct ProdLda {
    config: ProdLdaConfig,
    varmap: VarMap,
    net: ProdLdaNet,
    adam: Adam,
    corpus: Corpus,
    device: Device,
    epoch: usize,
    history: History,
}

impl ProdLda {
    /// A fresh model for `corpus` (its values are the counts; empty documents are left out of
    /// training).
    pub fn new(config: ProdLdaConfig, corpus: &Corpus) -> Result<ProdLda, BaselineError> {
        config.validate()?;
        let v = corpus.vocab_size();
        if config.topics > v {
            return Err(BaselineError::TooManyTopics {
                topics: config.topics,
                vocab: v,
            });
        }
        let (_, _, values) = corpus.csr();
        if let Some(x) = values.iter().find(|x| !(x.is_finite() && **x >= 0.0)) {
            return Err(BaselineError::InvalidOption(format!(
                "ProdLDA models counts: the corpus holds the value {x}"
            )));
        }
        let (corpus, _) = corpus.drop_empty()?;
        if corpus.n_docs() < 2 {
            return Err(BaselineError::EmptyCorpus);
        }
        let device = crate::device::pick(&config.device)
            .map_err(|e| BaselineError::InvalidOption(format!("device: {e}")))?;
        let varmap = VarMap::new();
        let vb = seeded_var_builder(&varmap, config.seed, &device);
        let net = ProdLdaNet::new(vb, v, config.topics, config.hidden)?;
        // The BatchNorm scales stay at 1 (TensorFlow's `scale=False`, as TopMost).
        let vars = trainable_vars(&varmap)
            .into_iter()
            .filter(|(name, _)| !name.ends_with("_bn.weight"))
            .collect();
        let adam = Adam::new(vars, config.learning_rate, 0.9, 0.999)?;
        Ok(ProdLda {
            config,
            varmap,
            net,
            adam,
            corpus,
            device,
            epoch: 0,
            history: History::default(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &ProdLdaConfig {
        &self.config
    }

    /// The network.
    pub fn net(&self) -> &ProdLdaNet {
        &self.net
    }

    /// Epochs trained.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// The epochs' records (losses, seconds, and metrics where [`fit_to_folder`] evaluated).
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The vocabulary (column `w` of beta).
    pub fn vocab(&self) -> &Vocab {
        self.corpus.vocab()
    }

    /// The device the model lives on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Number of topics K.
    pub fn n_topics(&self) -> usize {
        self.config.topics
    }

    /// The documents of `docs` as a batch of counts.
    fn batch(corpus: &Corpus, docs: &[usize]) -> SparseBatch {
        let mut offsets = Vec::with_capacity(docs.len() + 1);
        offsets.push(0);
        let (mut word_ids, mut values) = (Vec::new(), Vec::new());
        for &d in docs {
            let (w, v) = corpus.doc(d);
            word_ids.extend_from_slice(w);
            values.extend_from_slice(v);
            offsets.push(word_ids.len());
        }
        SparseBatch {
            offsets,
            word_ids,
            values,
            cols: corpus.vocab_size(),
        }
    }

    fn mask(&self, rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> candle_core::Result<Tensor> {
        let p = self.config.dropout;
        let keep = (1.0 / (1.0 - p)) as f32;
        let m: Vec<f32> = (0..rows * cols)
            .map(|_| if rng.random::<f64>() < p { 0.0 } else { keep })
            .collect();
        Tensor::from_vec(m, (rows, cols), &self.device)
    }

    fn noise(&self, rng: &mut ChaCha8Rng, rows: usize) -> candle_core::Result<Noise> {
        let k = self.config.topics;
        let eps: Vec<f32> = (0..rows * k)
            .map(|_| {
                let z: f64 = StandardNormal.sample(rng);
                z as f32
            })
            .collect();
        let dropout = self.config.dropout > 0.0;
        Ok(Noise {
            eps: Tensor::from_vec(eps, (rows, k), &self.device)?,
            hidden_mask: dropout
                .then(|| self.mask(rng, rows, self.config.hidden))
                .transpose()?,
            theta_mask: dropout.then(|| self.mask(rng, rows, k)).transpose()?,
        })
    }

    /// Trains one epoch: every document once, in this epoch's order, a step per batch. A loss
    /// that is not finite stops it with [`BaselineError::Diverged`], naming the epoch.
    pub fn train_epoch(&mut self) -> Result<EpochRecord, BaselineError> {
        let start = Instant::now();
        let epoch = self.epoch + 1;
        let mut rng = ChaCha8Rng::seed_from_u64(self.config.seed);
        rng.set_stream(epoch as u64);
        let mut order: Vec<usize> = (0..self.corpus.n_docs()).collect();
        order.shuffle(&mut rng);
        let (mut sum, mut n) = (0f64, 0usize);
        for (iteration, docs) in order.chunks(self.config.batch_size).enumerate() {
            if docs.len() < 2 {
                // BatchNorm cannot normalise one document.
                continue;
            }
            let x = Self::batch(&self.corpus, docs);
            let noise = self.noise(&mut rng, docs.len())?;
            let l = self.net.loss(&x, &noise)?;
            let value = l.reconstruction + l.kl;
            if !value.is_finite() {
                return Err(BaselineError::Diverged {
                    epoch,
                    iteration,
                    value,
                });
            }
            let grads = l.loss.backward()?;
            self.adam.step(&grads)?;
            sum += value * docs.len() as f64;
            n += docs.len();
        }
        let record = EpochRecord {
            epoch,
            seconds: start.elapsed().as_secs_f64(),
            loss: Some(sum / n.max(1) as f64),
            ..Default::default()
        };
        self.epoch = epoch;
        self.history.epochs.push(record.clone());
        Ok(record)
    }

    /// Trains until `epochs` epochs are complete in total, calling `on_epoch` after each.
    pub fn fit<F: FnMut(&EpochRecord)>(
        &mut self,
        epochs: usize,
        mut on_epoch: F,
    ) -> Result<(), BaselineError> {
        while self.epoch < epochs {
            let r = self.train_epoch()?;
            on_epoch(&r);
        }
        Ok(())
    }

    /// Seconds of training so far: the sum of the epochs' times (evaluations excluded).
    pub fn fit_seconds(&self) -> f64 {
        self.history.epochs.iter().map(|e| e.seconds).sum()
    }

    /// The topics' weights beta, K x V.
    pub fn topic_word(&self) -> Result<Array2<f32>, BaselineError> {
        let (k, v) = self.net.beta.dims2()?;
        let data = self
            .net
            .beta
            .to_device(&Device::Cpu)?
            .flatten_all()?
            .to_vec1()?;
        Ok(Array2::from_shape_vec((k, v), data).expect("K x V values"))
    }

    /// Each topic's `n` words of largest weight, largest first (ties: lower word id first).
    pub fn top_words(&self, n: usize) -> Vec<Vec<String>> {
        let Ok(beta) = self.topic_word() else {
            return Vec::new();
        };
        scoring::top_words_by(beta.nrows(), self.vocab(), n, |t, w| {
            f64::from(beta[(t, w)])
        })
    }

    /// Topic proportions of documents (counts, the model's vocabulary), documents x K, rows
    /// summing to 1 ([`ProdLdaNet::theta`], in batches).
    pub fn transform(&self, corpus: &Corpus) -> Result<Array2<f64>, BaselineError> {
        if corpus.vocab() != self.vocab() {
            return Err(BaselineError::VocabMismatch {
                expected: self.vocab().len(),
                got: corpus.vocab_size(),
            });
        }
        let (n, k) = (corpus.n_docs(), self.config.topics);
        let mut out = Array2::zeros((n, k));
        let docs: Vec<usize> = (0..n).collect();
        for chunk in docs.chunks(2048) {
            let theta = self.net.theta(&Self::batch(corpus, chunk))?;
            let rows: Vec<Vec<f32>> = theta.to_device(&Device::Cpu)?.to_vec2()?;
            for (&d, row) in chunk.iter().zip(rows) {
                for (t, x) in row.into_iter().enumerate() {
                    out[(d, t)] = x as f64;
                }
            }
        }
        Ok(out)
    }

    /// Each document's most probable topic (argmax of [`ProdLda::transform`]; ties: the lower
    /// topic), for clustering scores.
    pub fn assign(&self, corpus: &Corpus) -> Result<Vec<u32>, BaselineError> {
        Ok(scoring::argmax_rows(&self.transform(corpus)?))
    }

    /// Scores the model as the crate scores its own: coherence, TD and TU of the top words, and
    /// with the evaluator's labelled test documents, purity and NMI of [`ProdLda::assign`].
    pub fn evaluate(&self, evaluator: &Evaluator) -> Result<Evaluation, BaselineError> {
        let words = self.top_words(scoring::scored_words(self.vocab()));
        scoring::evaluate(evaluator, &words, |test| self.assign(test))
    }

    /// Writes a checkpoint to the folder `dir` (weights with the BatchNorm running statistics,
    /// Adam's moments and step count, the config and the history; `weights_only` leaves the
    /// moments out, for a run folder's `best/`), swapped in whole as the adversarial trainer's
    /// are.
    pub fn save_checkpoint(&self, dir: &Path, weights_only: bool) -> Result<(), BaselineError> {
        use crate::train::files::{write_file, write_safetensors};
        crate::train::checkpoint::save_folder(dir, |tmp| {
            let tensors: Vec<(String, Tensor)> = self
                .varmap
                .data()
                .lock()
                .expect("a VarMap lock is not poisoned")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
                .collect();
            write_safetensors(&tmp.join(MODEL_FILE), tensors)?;
            if !weights_only {
                write_safetensors(
                    &tmp.join(OPTIMIZER_FILE),
                    self.adam.state().into_iter().collect(),
                )?;
            }
            let state = State {
                model: MODEL_NAME.into(),
                config: self.config.clone(),
                epoch: self.epoch,
                steps: self.adam.steps(),
                history: self.history.clone(),
                weights_only,
            };
            let path = tmp.join("state.json");
            let json = serde_json::to_vec(&state).map_err(|e| TrainError::file(&path, e))?;
            write_file(&path, &json)
        })?;
        Ok(())
    }

    /// Rebuilds a model from a checkpoint folder written by [`ProdLda::save_checkpoint`], over
    /// the same training corpus, so that training continues exactly where it stopped (a
    /// weights-only folder loads for evaluation; training it further does not continue the run).
    ///
    /// ```
    /// use gcatm::baseline::{ProdLda, ProdLdaConfig};
    /// use gcatm::corpus::PlantedCorpus;
    /// let p = PlantedCorpus::builder().topics(3).docs(60).vocab_size(30).seed(1).build();
    /// let config = ProdLdaConfig { hidden: 16, batch_size: 20, ..ProdLdaConfig::new(3) };
    /// let mut model = ProdLda::new(config, &p.corpus).unwrap();
    /// model.fit(1, |_| {}).unwrap();
    /// let dir = std::env::temp_dir().join(format!("gcatm-doc-prodlda-ckpt-{}", std::process::id()));
    /// model.save_checkpoint(&dir, false).unwrap();
    /// let mut resumed = ProdLda::load_checkpoint(&dir, &p.corpus).unwrap();
    /// model.fit(2, |_| {}).unwrap();
    /// resumed.fit(2, |_| {}).unwrap();
    /// assert_eq!(model.top_words(5), resumed.top_words(5));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn load_checkpoint(dir: &Path, corpus: &Corpus) -> Result<ProdLda, BaselineError> {
        let dir = crate::train::checkpoint::readable(dir);
        let path = dir.join("state.json");
        let bytes = std::fs::read(&path).map_err(|e| TrainError::file(&path, e))?;
        let state: State = serde_json::from_slice(&bytes)
            .map_err(|e| TrainError::file(&path, format!("not a ProdLDA checkpoint state: {e}")))?;
        if state.model != MODEL_NAME {
            return Err(TrainError::file(
                &path,
                format!("holds a {} checkpoint, not a ProdLDA one", state.model),
            )
            .into());
        }
        let mut model = ProdLda::new(state.config, corpus)?;
        let weights = dir.join(MODEL_FILE);
        model.varmap.load(&weights).map_err(|e| {
            TrainError::file(
                &weights,
                format!("cannot load weights (does the corpus match the run?): {e}"),
            )
        })?;
        if !state.weights_only {
            let opt = dir.join(OPTIMIZER_FILE);
            let moments: HashMap<String, Tensor> =
                candle_core::safetensors::load(&opt, &model.device)
                    .map_err(|e| TrainError::file(&opt, e))?;
            model
                .adam
                .load_state(&moments, state.steps)
                .map_err(|e| TrainError::file(&opt, e))?;
        }
        model.epoch = state.epoch;
        model.history = state.history;
        Ok(model)
    }
}

const MODEL_NAME: &str = "prodlda";
const MODEL_FILE: &str = "model.safetensors";
const OPTIMIZER_FILE: &str = "optimizer.safetensors";

/// A ProdLDA checkpoint's `state.json`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    model: String,
    config: ProdLdaConfig,
    epoch: usize,
    steps: u64,
    history: History,
    weights_only: bool,
}

/// Trains `model` up to `epochs` epochs in total into a run folder whose lock the caller holds,
/// writing what the adversarial runs write ([`crate::train::train_to_folder`]): `config.json`,
/// `history.jsonl` (one [`EpochRecord`] per epoch, its `loss` the negative ELBO, metrics on
/// evaluated epochs), `topics.txt`, `metrics.json` (a [`RunSummary`]), `checkpoint/` (every
/// evaluation and at the end) and `best/` (the weights with the best NPMI). With an `evaluator`
/// the model is scored every `eval_every` epochs and after the last. A folder holding a ProdLDA
/// checkpoint is continued by loading it first ([`ProdLda::load_checkpoint`]).
///
/// ```
/// use gcatm::baseline::{fit_to_folder, ProdLda, ProdLdaConfig};
/// use gcatm::corpus::PlantedCorpus;
/// use gcatm::eval::Evaluator;
/// use gcatm::train::RunFolder;
/// let p = PlantedCorpus::builder().topics(3).docs(60).vocab_size(30).seed(1).build();
/// let config = ProdLdaConfig { hidden: 16, batch_size: 20, eval_every: 1, ..ProdLdaConfig::new(3) };
/// let mut model = ProdLda::new(config, &p.corpus).unwrap();
/// let out = std::env::temp_dir().join(format!("gcatm-doc-prodlda-folder-{}", std::process::id()));
/// std::fs::create_dir_all(&out).unwrap();
/// let folder = RunFolder::new(&out).lock().unwrap();
/// let evaluator = Evaluator::new(&p.corpus, None).unwrap();
/// let summary = fit_to_folder(&mut model, 2, &folder, Some(&evaluator), |_| {}).unwrap();
/// assert_eq!(summary.epochs, 2);
/// assert_eq!(folder.checkpoint_epoch(), Some(2));
/// # drop(folder); std::fs::remove_dir_all(&out).unwrap();
/// ```
pub fn fit_to_folder<F: FnMut(&EpochRecord)>(
    model: &mut ProdLda,
    epochs: usize,
    folder: &LockedRunFolder,
    evaluator: Option<&Evaluator>,
    mut on_epoch: F,
) -> Result<RunSummary, BaselineError> {
    use crate::train::{evaluation_metrics, write_atomic, write_json};
    let start = Instant::now();
    write_json(&folder.config(), &model.config)?;
    let history_path = folder.history();
    let write_history = |h: &History| -> Result<(), BaselineError> {
        let mut lines = String::new();
        for r in &h.epochs {
            lines.push_str(
                &serde_json::to_string(r).map_err(|e| TrainError::file(&history_path, e))?,
            );
            lines.push('\n');
        }
        Ok(write_atomic(&history_path, lines.as_bytes())?)
    };
    let write_topics = |words: &[Vec<String>]| -> Result<(), BaselineError> {
        let text: String = words
            .iter()
            .map(|t| t.iter().take(10).cloned().collect::<Vec<_>>().join(" ") + "\n")
            .collect();
        Ok(write_atomic(&folder.topics(), text.as_bytes())?)
    };
    write_history(&model.history)?;
    let every = model.config.eval_every;
    let mut best = model.history.best("npmi");
    let mut last_eval = None;
    while model.epoch < epochs {
        let record = model.train_epoch()?;
        let due = every > 0 && record.epoch % every == 0;
        if let (Some(ev), true) = (evaluator, due || record.epoch == epochs) {
            let e = model.evaluate(ev)?;
            if let Some(last) = model.history.epochs.last_mut() {
                last.metrics = evaluation_metrics(&e);
                last.topics = Some(
                    e.topics
                        .iter()
                        .map(|t| t.iter().take(10).cloned().collect())
                        .collect(),
                );
            }
            if !e.npmi.mean.is_nan() && best.is_none_or(|(_, b)| e.npmi.mean > b) {
                best = Some((record.epoch, e.npmi.mean));
                model.save_checkpoint(&folder.best(), true)?;
            }
            write_topics(&e.topics)?;
            last_eval = Some(e);
        }
        write_history(&model.history)?;
        if due || record.epoch == epochs {
            model.save_checkpoint(&folder.checkpoint(), false)?;
        }
        on_epoch(model.history.epochs.last().unwrap_or(&record));
    }
    if last_eval.is_none() {
        write_topics(&model.top_words(10))?;
    }
    let mut secs: Vec<f64> = model.history.epochs.iter().map(|e| e.seconds).collect();
    secs.sort_by(f64::total_cmp);
    let summary = RunSummary {
        epochs: model.epoch,
        best_npmi: best,
        final_evaluation: last_eval,
        wall_seconds: start.elapsed().as_secs_f64(),
        median_epoch_seconds: secs.get(secs.len() / 2).copied().unwrap_or(0.0),
        device: crate::device::name(&model.device),
    };
    write_json(&folder.metrics(), &summary)?;
    Ok(summary)
}

use super::adam::Adam;
use super::history::{EpochRecord, History, IterationLosses};
use super::{Backend, CriticConstraint, TrainConfig, TrainError};
use crate::corpus::{Batch, Batcher, Corpus, Idf, InputTransform};
use crate::loss;
use crate::model::{
    balance_terms, project_spectral, seeded_var_builder, spectral_vector, trainable_vars,
    BatchStats, Bow, Critic, DirichletPrior, Encoder, EncoderPass, Generator, GeneratorOutput,
    Terms,
};
use candle_core::backprop::GradStore;
use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use std::time::Instant;

/// What the critic step computed that the generator and encoder steps of the same iteration
/// reuse: the networks they come from have not changed in between, so recomputing them would give
/// the same values.
struct Pending {
    theta_fake: Tensor,
    generated: GeneratorOutput,
    theta_real: Tensor,
    /// The fused encoder pass behind `theta_real`, for the encoder step.
    encoder_pass: Option<EncoderPass>,
    docs: Vec<usize>,
}

/// What [`Trainer::critic_sensitivity`] measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CriticSensitivity {
    /// Mean critic score of real pairs (E(bow), bow).
    pub real: f64,
    /// Mean critic score of the same theta with the batch's documents shuffled.
    pub shuffled: f64,
    /// Documents measured.
    pub documents: usize,
}

/// The losses of a generator step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeneratorLosses {
    /// `-mean D(theta_fake, G(theta_fake))`.
    pub adversarial: f32,
    /// The InfoNCE term (before its weight), if the variant has one.
    pub info_nce: Option<f32>,
}

/// Trains an encoder, a generator and a critic on a corpus, one step, one epoch or many at a time.
///
/// Each network has its own [`VarMap`] and its own [`Adam`], so that a step touches only the
/// network it trains and clipping touches only the critic.
///
/// ```
/// use gcatm::corpus::PlantedCorpus;
/// use gcatm::train::{TrainConfig, Trainer};
/// let planted = PlantedCorpus::builder().topics(3).docs(64).vocab_size(40).seed(0).build();
/// let cfg = TrainConfig { topics: 3, hidden: 16, batch_size: 16, ..TrainConfig::default() };
/// let mut trainer = Trainer::new(cfg, &planted.corpus).unwrap();
/// let record = trainer.train_epoch().unwrap();
/// assert_eq!(record.epoch, 1);
/// assert!(record.loss_d.is_finite());
/// ```
pub struct Trainer {
    config: TrainConfig,
    device: Device,
    backend: Backend,
    /// The encoder E.
    pub encoder: Encoder,
    /// The generator G (with its contrastive heads).
    pub generator: Generator,
    /// The critic D.
    pub critic: Critic,
    encoder_vars: VarMap,
    generator_vars: VarMap,
    critic_vars: VarMap,
    opt_e: Adam,
    opt_g: Adam,
    opt_d: Adam,
    prior: DirichletPrior,
    batcher: Batcher,
    /// The idf the documents are weighted with (`input: tfidf`).
    idf: Option<Idf>,
    epoch: usize,
    pending: Option<Pending>,
    /// Within [`Trainer::train_epoch`] on the fused backend: the critic's gradients whose Adam
    /// step runs at the start of the next critic step, beside the generator's pass (which does
    /// not read the critic), instead of on its own. Never left set when a public call returns.
    deferred_critic_step: Option<GradStore>,
    history: History,
}

impl Trainer {
    /// Builds the networks and optimisers for `config` on the documents of `train` (empty
    /// documents must have been dropped), on the device the config names. With `input: tfidf`
    /// the idf is fitted on `train` here.
    pub fn new(config: TrainConfig, train: &Corpus) -> Result<Self, TrainError> {
        Trainer::with_idf(config, train, None)
    }

    /// [`Trainer::new`] with a saved idf (a checkpoint's) instead of one fitted on `train`.
    pub(crate) fn with_idf(
        config: TrainConfig,
        train: &Corpus,
        idf: Option<Idf>,
    ) -> Result<Self, TrainError> {
        config.validate().map_err(TrainError::Config)?;
        let idf = match config.input {
            InputTransform::Tfidf => Some(idf.unwrap_or_else(|| Idf::fit(train))),
            InputTransform::Counts => None,
        };
        let device = crate::device::pick(&config.device)?;
        let backend = Backend::resolve(config.backend, &device).map_err(TrainError::Config)?;
        let v = train.vocab_size();
        let (k, h) = (config.topics, config.hidden);
        let (encoder_vars, generator_vars, critic_vars) =
            (VarMap::new(), VarMap::new(), VarMap::new());
        // Distinct streams per network from the one seed.
        let seed = config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let encoder = Encoder::new(
            seeded_var_builder(&encoder_vars, seed ^ 1, &device),
            v,
            k,
            h,
        )?;
        let generator = Generator::new(
            seeded_var_builder(&generator_vars, seed ^ 2, &device),
            v,
            k,
            h,
            config.variant,
            config.projection_dim,
            config.word_embedding_dim,
        )?;
        let critic = Critic::new(seeded_var_builder(&critic_vars, seed ^ 3, &device), v, k, h)?;
        let (b1, b2) = (config.beta_1, config.beta_2);
        let opt_e = Adam::new(trainable_vars(&encoder_vars), config.lr, b1, b2)?;
        let opt_g = Adam::new(
            trainable_vars(&generator_vars),
            config.generator_lr(),
            b1,
            b2,
        )?;
        let opt_d = Adam::new(
            trainable_vars(&critic_vars),
            config.lr * config.critic_lr_scale,
            b1,
            b2,
        )?;
        let opt_d = match config.critic_constraint {
            CriticConstraint::Clip => opt_d.with_clamp(config.clip),
            CriticConstraint::Spectral => {
                spectral_vector(seeded_var_builder(&critic_vars, seed ^ 5, &device), h)?;
                opt_d
            }
        };
        let prior = DirichletPrior::symmetric(k, config.alpha(), seed ^ 4)?;
        let batcher = Batcher::new(&input(idf.as_ref(), train)?, config.batch_size, &device)?
            .seed(config.seed);
        if batcher.n_batches() == 0 {
            return Err(TrainError::Config(format!(
                "{} documents make no full batch of {}",
                train.n_docs(),
                config.batch_size
            )));
        }
        Ok(Trainer {
            config,
            device,
            backend,
            encoder,
            generator,
            critic,
            encoder_vars,
            generator_vars,
            critic_vars,
            opt_e,
            opt_g,
            opt_d,
            prior,
            batcher,
            idf,
            epoch: 0,
            pending: None,
            deferred_critic_step: None,
            history: History::default(),
        })
    }

    /// The run's configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The device the networks live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// How this run computes its passes and gradients (the config's, or the device's default).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The idf the documents are weighted with, when the run's input is TF-IDF.
    pub fn idf(&self) -> Option<&Idf> {
        self.idf.as_ref()
    }

    /// `corpus` as this run's networks see it before L1: TF-IDF weighted with the run's idf, or
    /// unchanged for `input: counts`. Apply it to any documents given to the encoder by hand.
    pub fn input(&self, corpus: &Corpus) -> Result<Corpus, TrainError> {
        input(self.idf.as_ref(), corpus)
    }

    /// The batcher over the training documents (batches of epoch `e`: `batcher().epoch(e)`).
    pub fn batcher(&self) -> &Batcher {
        &self.batcher
    }

    /// The number of epochs completed.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// What was recorded so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Mutable access to the history (the run writer adds evaluation metrics to it).
    pub fn history_mut(&mut self) -> &mut History {
        &mut self.history
    }

    /// The prior theta_fake is drawn from.
    pub fn prior_mut(&mut self) -> &mut DirichletPrior {
        &mut self.prior
    }

    /// The parameter maps of (encoder, generator, critic).
    pub fn var_maps(&self) -> (&VarMap, &VarMap, &VarMap) {
        (&self.encoder_vars, &self.generator_vars, &self.critic_vars)
    }

    /// The optimisers of (encoder, generator, critic).
    pub fn optimizers(&self) -> (&Adam, &Adam, &Adam) {
        (&self.opt_e, &self.opt_g, &self.opt_d)
    }

    pub(crate) fn restore(
        &mut self,
        epoch: usize,
        history: History,
        opts: [(&std::collections::HashMap<String, Tensor>, u64); 3],
    ) -> Result<(), TrainError> {
        self.set_progress(epoch, history);
        self.opt_e.load_state(opts[0].0, opts[0].1)?;
        self.opt_g.load_state(opts[1].0, opts[1].1)?;
        self.opt_d.load_state(opts[2].0, opts[2].1)?;
        Ok(())
    }

    pub(crate) fn set_progress(&mut self, epoch: usize, history: History) {
        self.epoch = epoch;
        self.history = history;
        self.pending = None;
    }

    fn fused(&self) -> bool {
        self.backend == Backend::Fused
    }

    fn bow<'a>(&self, batch: &'a Batch) -> Bow<'a> {
        // The sparse first layers are a fused CPU kernel; the autograd path is dense, as on a GPU.
        if self.fused() {
            Bow::Sparse(&batch.sparse)
        } else {
            Bow::Dense(&batch.bow)
        }
    }

    /// The critic step: theta_real = E(bow), theta_fake ~ prior, bow_fake = G(theta_fake) (both
    /// detached), `loss_D = -mean D(theta_real, bow) + mean D(theta_fake, bow_fake)`, an Adam step
    /// on D, then every critic parameter is clamped to `[-clip, clip]`. Returns loss_D.
    pub fn critic_step(&mut self, batch: &Batch) -> Result<f32, TrainError> {
        self.critic_step_deferring(batch, false)
    }

    /// [`Trainer::critic_step`]; with `defer` (the epoch loop, fused backend) the critic's Adam
    /// step is left in `deferred_critic_step` for the next critic step to run.
    fn critic_step_deferring(&mut self, batch: &Batch, defer: bool) -> Result<f32, TrainError> {
        let b = batch.docs.len();
        let bow = self.bow(batch);
        if self.fused() {
            // The fused CPU steps, with no autograd graph of these passes. The generator's pass
            // (the prior's draws, then a large product) and the real half (the encoder's pass,
            // then the critic's forward and backward on it) are independent: they run side by
            // side, so that the small kernels of one fill the other's idle moments.
            let (prior, generator, device) = (&mut self.prior, &self.generator, &self.device);
            let (encoder, critic) = (&self.encoder, &self.critic);
            let deferred = self.deferred_critic_step.take();
            let (opt_d, critic_vars) = (&mut self.opt_d, &self.critic_vars);
            let constraint = self.config.critic_constraint;
            let (fake, real) = rayon::join(
                || -> candle_core::Result<_> {
                    let theta_fake = prior.sample(b, device)?;
                    let generated = generator.forward_host(&theta_fake)?;
                    Ok((theta_fake, generated))
                },
                || -> candle_core::Result<_> {
                    // The last critic step's update first: the critic is read from here on.
                    if let Some(grads) = deferred {
                        critic_update(opt_d, critic_vars, constraint, &grads)?;
                    }
                    let encoder_pass = encoder.pass_host(bow, true)?;
                    let theta_real = encoder_pass.theta()?;
                    let pass = critic.real_pass(&theta_real, bow)?;
                    Ok((theta_real, encoder_pass, pass))
                },
            );
            let ((theta_fake, generated), (theta_real, encoder_pass, real)) = (fake?, real?);
            let words = generated.words.detach();
            let (value, grads) = self
                .critic
                .fake_pass_and_gradients(real, (&theta_fake, Bow::Dense(&words)))?;
            let real = (theta_real, Some(encoder_pass));
            let grads = (grads, defer);
            return self.finish_critic_step(value, grads, theta_fake, generated, real, batch);
        }
        let theta_fake = self.prior.sample(b, &self.device)?;
        let generated = self.generator.forward_with_hidden(&theta_fake, true)?;
        let theta_real = self.encoder.theta(bow, true)?;
        let words = generated.words.detach();
        let real = self.critic.score(&theta_real.detach(), bow, true)?;
        let fake = self.critic.score(&theta_fake, Bow::Dense(&words), true)?;
        let loss_d = loss::critic_loss(&real, &fake)?;
        let value = loss_d.to_scalar::<f32>()?;
        let grads = (loss_d.backward()?, false);
        self.finish_critic_step(
            value,
            grads,
            theta_fake,
            generated,
            (theta_real, None),
            batch,
        )
    }

    /// The critic's Adam step (when its loss is finite), and the passes kept for the generator
    /// and encoder steps of the same iteration.
    fn finish_critic_step(
        &mut self,
        value: f32,
        (grads, defer): (GradStore, bool),
        theta_fake: Tensor,
        generated: GeneratorOutput,
        (theta_real, encoder_pass): (Tensor, Option<EncoderPass>),
        batch: &Batch,
    ) -> Result<f32, TrainError> {
        if value.is_finite() {
            if defer {
                self.deferred_critic_step = Some(grads);
            } else {
                let constraint = self.config.critic_constraint;
                critic_update(&mut self.opt_d, &self.critic_vars, constraint, &grads)?;
            }
        }
        self.pending = Some(Pending {
            theta_fake,
            generated,
            theta_real,
            encoder_pass,
            docs: batch.docs.clone(),
        });
        Ok(value)
    }

    /// The generator step on the theta_fake of the last critic step (a fresh draw if there was
    /// none): `loss_G = -mean D(theta_fake, G(theta_fake)) + w * InfoNCE(documents, topics)`.
    pub fn generator_step(&mut self) -> Result<GeneratorLosses, TrainError> {
        let (theta_fake, generated) = self.generator_input()?;
        let weight = self.config.contrastive_weight;
        let balance = self.config.balance_contrastive;
        if self.fused() {
            // One fused pass on the CPU; the same values as the autograd path below.
            let (losses, stats) = fused_generator_step(
                (&self.generator, &self.generator_vars, &mut self.opt_g),
                &self.critic,
                &self.config,
                (&theta_fake, &generated),
            )?;
            self.critic.move_running(&stats)?;
            return Ok(losses);
        }
        let fake = self
            .critic
            .frozen()
            .score(&theta_fake, Bow::Dense(&generated.words), true)?;
        let adversarial = loss::generator_loss(&fake)?;
        let mut nce = None;
        if let Some(pair) = self.generator.contrastive_pair(&theta_fake, &generated)? {
            nce = Some(loss::info_nce(
                &pair.documents,
                &pair.topics,
                self.config.temperature,
            )?);
        }
        let adv = adversarial.to_scalar::<f32>()?;
        let nce_value = nce.as_ref().map(|n| n.to_scalar::<f32>()).transpose()?;
        if adv.is_finite() && nce_value.is_none_or(f32::is_finite) {
            let grads = match nce {
                Some(nce) if balance => {
                    let vars = self.generator_vars.all_vars();
                    let (adv_grads, nce_grads) = (adversarial.backward()?, nce.backward()?);
                    balance_terms(&self.generator, &vars, adv_grads, &nce_grads, weight)?.0
                }
                Some(nce) => (adversarial + (nce * weight)?)?.backward()?,
                None => adversarial.backward()?,
            };
            self.opt_g.step(&grads)?;
        }
        Ok(GeneratorLosses {
            adversarial: adv,
            info_nce: nce_value,
        })
    }

    /// The encoder step: `loss_E = mean D(E(bow), bow)`, an Adam step on E. Returns loss_E.
    pub fn encoder_step(&mut self, batch: &Batch) -> Result<f32, TrainError> {
        let bow = self.bow(batch);
        if self.fused() {
            // One fused pass on the CPU; the same values as the autograd path below.
            let pass = self.encoder_pass(batch)?;
            let (value, stats) =
                fused_encoder_step((&self.encoder, &mut self.opt_e), &self.critic, bow, pass)?;
            self.critic.move_running(&stats)?;
            return Ok(value);
        }
        let theta = match self.pending.as_ref() {
            Some(p) if p.docs == batch.docs => p.theta_real.clone(),
            _ => self.encoder.theta(bow, true)?,
        };
        let real = self.critic.frozen().score(&theta, bow, true)?;
        let loss_e = loss::encoder_loss(&real)?;
        let value = loss_e.to_scalar::<f32>()?;
        if value.is_finite() {
            self.opt_e.step(&loss_e.backward()?)?;
        }
        Ok(value)
    }

    /// The generator step's theta and generated documents: the last critic step's (a fresh
    /// draw if there was none).
    fn generator_input(&mut self) -> Result<(Tensor, GeneratorOutput), TrainError> {
        Ok(match self.pending.as_ref() {
            Some(p) => (p.theta_fake.clone(), p.generated.clone()),
            None => {
                let theta = self.prior.sample(self.config.batch_size, &self.device)?;
                let g = if self.fused() {
                    self.generator.forward_host(&theta)?
                } else {
                    self.generator.forward_with_hidden(&theta, true)?
                };
                (theta, g)
            }
        })
    }

    /// The fused encoder step's forward pass: on the critic step's batch, that step's encoder
    /// pass (same weights); a repeat of it leaves the running statistics.
    fn encoder_pass(&mut self, batch: &Batch) -> Result<EncoderPass, TrainError> {
        let bow = self.bow(batch);
        Ok(match self.pending.as_mut() {
            Some(p) if p.docs == batch.docs => match p.encoder_pass.take() {
                Some(pass) => pass,
                None => self.encoder.pass_host(bow, false)?,
            },
            _ => self.encoder.pass_host(bow, true)?,
        })
    }

    /// [`Trainer::generator_step`] and [`Trainer::encoder_step`] on the fused backend, side by
    /// side: neither reads what the other writes, and the critic's running statistics, which
    /// both passes would move, are moved afterwards in the sequential order (generator, then
    /// encoder), so the results are those of the two steps one after the other.
    fn generator_and_encoder_steps(
        &mut self,
        batch: &Batch,
    ) -> Result<(GeneratorLosses, f32), TrainError> {
        let (theta_fake, generated) = self.generator_input()?;
        let pass = self.encoder_pass(batch)?;
        let bow = self.bow(batch);
        let (critic, config) = (&self.critic, &self.config);
        let generator = (&self.generator, &self.generator_vars, &mut self.opt_g);
        let encoder = (&self.encoder, &mut self.opt_e);
        let (g, e) = rayon::join(
            || fused_generator_step(generator, critic, config, (&theta_fake, &generated)),
            || fused_encoder_step(encoder, critic, bow, pass),
        );
        let (losses, stats) = g?;
        self.critic.move_running(&stats)?;
        let (value, stats) = e?;
        self.critic.move_running(&stats)?;
        Ok((losses, value))
    }

    /// One iteration: a critic step, and on every n_critic-th iteration of the epoch a generator
    /// and an encoder step.
    pub fn iteration(
        &mut self,
        batch: &Batch,
        index: usize,
    ) -> Result<IterationLosses, TrainError> {
        self.iteration_deferring(batch, index, false)
    }

    /// [`Trainer::iteration`]; with `defer`, the critic's Adam step of an iteration without
    /// generator and encoder steps is left to the next critic step.
    fn iteration_deferring(
        &mut self,
        batch: &Batch,
        index: usize,
        defer: bool,
    ) -> Result<IterationLosses, TrainError> {
        let steps_others = index.is_multiple_of(self.config.n_critic);
        let mut losses = IterationLosses {
            loss_d: self.critic_step_deferring(batch, defer && self.fused() && !steps_others)?,
            ..Default::default()
        };
        // A diverged critic loss ends the iteration before the other networks take a step.
        if losses.loss_d.is_finite() && steps_others {
            let (g, e) = if defer && self.fused() {
                self.generator_and_encoder_steps(batch)?
            } else {
                (self.generator_step()?, self.encoder_step(batch)?)
            };
            losses.loss_g = Some(g.adversarial);
            losses.info_nce = g.info_nce;
            losses.loss_e = Some(e);
        }
        self.pending = None;
        Ok(losses)
    }

    /// One epoch over shuffled batches (the last incomplete batch dropped). Stops with
    /// [`TrainError::Diverged`] at the first NaN or infinite loss, naming epoch and iteration; no
    /// optimiser step is taken with the failing loss (BatchNorm's running statistics may have seen
    /// the failing batch: the last good checkpoint is the state to return to).
    pub fn train_epoch(&mut self) -> Result<EpochRecord, TrainError> {
        // The epoch runs on a worker of rayon's pool, so that every parallel kernel of an
        // iteration (a product, a join) hands its other half to an idle worker directly instead
        // of parking the calling thread and waking it again when the kernel is done (on 2 cores:
        // a quarter of the context switches, 2-9% less time per epoch). The work and its order
        // are the same, and so are the results.
        rayon::scope(|_| self.epoch_on_worker())
    }

    fn epoch_on_worker(&mut self) -> Result<EpochRecord, TrainError> {
        let result = self.epoch_deferring();
        // Whatever ended the epoch, the critic holds every step taken, as without deferral; the
        // epoch's own error, if any, is the one reported.
        let flushed = match self.deferred_critic_step.take() {
            Some(grads) => {
                let constraint = self.config.critic_constraint;
                critic_update(&mut self.opt_d, &self.critic_vars, constraint, &grads)
            }
            None => Ok(()),
        };
        let record = result?;
        flushed?;
        Ok(record)
    }

    fn epoch_deferring(&mut self) -> Result<EpochRecord, TrainError> {
        let epoch = self.epoch + 1;
        let start = Instant::now();
        self.prior.reseed(epoch as u64);
        let batcher = self.batcher.clone();
        let mut sums = [0f64; 4];
        let (mut n_d, mut n_g) = (0usize, 0usize);
        for (index, batch) in batcher.epoch(epoch as u64).enumerate() {
            let batch = batch?;
            let l = self.iteration_deferring(&batch, index, true)?;
            let bad = [Some(l.loss_d), l.loss_g, l.loss_e, l.info_nce]
                .iter()
                .zip(["loss_d", "loss_g", "loss_e", "info_nce"])
                .find(|(v, _)| v.is_some_and(|v| !v.is_finite()))
                .map(|(v, name)| (name, v.unwrap_or(f32::NAN)));
            if let Some((loss, value)) = bad {
                return Err(TrainError::Diverged {
                    epoch,
                    iteration: index,
                    loss: loss.to_string(),
                    value,
                });
            }
            sums[0] += l.loss_d as f64;
            n_d += 1;
            if let (Some(g), Some(e)) = (l.loss_g, l.loss_e) {
                sums[1] += g as f64;
                sums[2] += e as f64;
                sums[3] += l.info_nce.unwrap_or(0.0) as f64;
                n_g += 1;
            }
            self.history.iterations.push(l);
        }
        let n_g = n_g.max(1) as f64;
        let record = EpochRecord {
            epoch,
            loss_d: sums[0] / n_d.max(1) as f64,
            loss_g: sums[1] / n_g,
            loss_e: sums[2] / n_g,
            info_nce: (self.config.variant != crate::model::Variant::Bat).then_some(sums[3] / n_g),
            seconds: start.elapsed().as_secs_f64(),
            loss: None,
            topics: None,
            metrics: Default::default(),
        };
        self.epoch = epoch;
        self.history.epochs.push(record.clone());
        Ok(record)
    }

    /// Trains until `epochs` epochs are complete in total, calling `on_epoch` after each one
    /// (a notebook can print, evaluate or stop there by returning an error).
    pub fn fit<F>(&mut self, epochs: usize, mut on_epoch: F) -> Result<(), TrainError>
    where
        F: FnMut(&mut Trainer, &EpochRecord) -> Result<(), TrainError>,
    {
        while self.epoch < epochs {
            let record = self.train_epoch()?;
            on_epoch(self, &record)?;
        }
        Ok(())
    }

    /// theta = E(bow) for every document of `corpus` (raw counts: the run's input transform is
    /// applied here; BatchNorm in inference mode), in order.
    pub fn theta(&self, corpus: &Corpus) -> Result<Vec<Vec<f32>>, TrainError> {
        let batcher = Batcher::new(&self.input(corpus)?, 1024, &self.device)?
            .in_order()
            .drop_last(false);
        let mut out = Vec::with_capacity(corpus.n_docs());
        for batch in batcher.epoch(0) {
            let batch = batch?;
            let t = self.encoder.theta(self.bow(&batch), false)?;
            out.extend(t.to_vec2::<f32>()?);
        }
        Ok(out)
    }

    /// How much the critic tells real pairs from mismatched ones: the mean score D(E(bow), bow)
    /// of the documents of the first `batches` batches of epoch 1, and the mean score of the same
    /// theta paired with the batch's documents in a shuffled order (seeded), both with BatchNorm
    /// in inference mode. A critic whose two means are nearly equal cannot see which document a
    /// theta came from, so its gradients barely depend on the settings being compared.
    ///
    /// ```
    /// use gcatm::corpus::PlantedCorpus;
    /// use gcatm::train::{TrainConfig, Trainer};
    /// let p = PlantedCorpus::builder().topics(3).docs(64).vocab_size(40).seed(0).build();
    /// let cfg = TrainConfig { topics: 3, hidden: 16, batch_size: 16, device: "cpu".into(), ..TrainConfig::default() };
    /// let trainer = Trainer::new(cfg, &p.corpus).unwrap();
    /// let s = trainer.critic_sensitivity(2).unwrap();
    /// assert!(s.real.is_finite() && s.shuffled.is_finite());
    /// assert_eq!(s.documents, 32);
    /// ```
    pub fn critic_sensitivity(&self, batches: usize) -> Result<CriticSensitivity, TrainError> {
        use rand::seq::SliceRandom;
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(self.config.seed ^ 0x5eed);
        let (mut real, mut shuffled, mut n) = (0f64, 0f64, 0usize);
        for batch in self.batcher.epoch(1).take(batches) {
            let batch = batch?;
            let rows = batch.docs.len();
            let theta = self.encoder.theta(self.bow(&batch), false)?;
            let mut order: Vec<u32> = (0..rows as u32).collect();
            order.shuffle(&mut rng);
            let index = Tensor::from_vec(order, rows, &self.device)?;
            let other = batch.bow.index_select(&index, 0)?;
            let sum = |t: Tensor| -> Result<f64, TrainError> {
                Ok(t.sum_all()?.to_scalar::<f32>()? as f64)
            };
            real += sum(self.critic.score(&theta, Bow::Dense(&batch.bow), false)?)?;
            shuffled += sum(self.critic.score(&theta, Bow::Dense(&other), false)?)?;
            n += rows;
        }
        if n == 0 {
            return Err(TrainError::Config(
                "no batch to measure the critic on".into(),
            ));
        }
        Ok(CriticSensitivity {
            real: real / n as f64,
            shuffled: shuffled / n as f64,
            documents: n,
        })
    }

    /// The word distributions of the topics, G(one_hot(k)) with BatchNorm in inference mode (K x V).
    pub fn topic_word_distributions(&self) -> Result<Tensor, TrainError> {
        use candle_core::ModuleT;
        let eye = Tensor::eye(self.config.topics, candle_core::DType::F32, &self.device)?;
        Ok(self.generator.forward_t(&eye, false)?)
    }
}

fn input(idf: Option<&Idf>, corpus: &Corpus) -> Result<Corpus, TrainError> {
    Ok(match idf {
        Some(idf) => idf.apply(corpus)?,
        None => corpus.clone(),
    })
}

/// The critic's Adam step, then the spectral projection under [`CriticConstraint::Spectral`];
/// clipping is fused in the step (see [`Adam::with_clamp`]).
fn critic_update(
    opt_d: &mut Adam,
    critic_vars: &VarMap,
    constraint: CriticConstraint,
    grads: &GradStore,
) -> candle_core::Result<()> {
    opt_d.step(grads)?;
    if constraint == CriticConstraint::Spectral {
        project_spectral(critic_vars)?;
    }
    Ok(())
}

/// The fused generator step (gradients, then Adam when the losses are finite) of the generator
/// `(network, variables, optimiser)` on its theta and generated documents; the critic's batch
/// statistics come back for the caller to move the running statistics with.
fn fused_generator_step(
    (generator, vars, opt_g): (&Generator, &VarMap, &mut Adam),
    critic: &Critic,
    config: &TrainConfig,
    (theta_fake, generated): (&Tensor, &GeneratorOutput),
) -> Result<(GeneratorLosses, BatchStats), TrainError> {
    let weight = config.contrastive_weight;
    let terms = if config.balance_contrastive {
        Terms::Apart
    } else {
        Terms::Summed(weight)
    };
    let step =
        generator.step_gradients(critic, theta_fake, generated, config.temperature, terms)?;
    let (adv, nce_value) = (step.adversarial, step.info_nce);
    if adv.is_finite() && nce_value.is_none_or(f32::is_finite) {
        let grads = match &step.info_nce_grads {
            Some(nce) => {
                let vars = vars.all_vars();
                balance_terms(generator, &vars, step.grads, nce, weight)?.0
            }
            None => step.grads,
        };
        opt_g.step(&grads)?;
    }
    let losses = GeneratorLosses {
        adversarial: adv,
        info_nce: nce_value,
    };
    Ok((losses, step.critic_stats))
}

/// The fused encoder step (gradients, then Adam when the loss is finite) of the encoder
/// `(network, optimiser)` from its forward pass over the batch; returns the loss and the
/// critic's batch statistics for the caller to move the running statistics with.
fn fused_encoder_step(
    (encoder, opt_e): (&Encoder, &mut Adam),
    critic: &Critic,
    bow: Bow,
    pass: EncoderPass,
) -> Result<(f32, BatchStats), TrainError> {
    let (value, grads, stats) = encoder.step_gradients(critic, bow, pass)?;
    if value.is_finite() {
        opt_e.step(&grads)?;
    }
    Ok((value, stats))
}

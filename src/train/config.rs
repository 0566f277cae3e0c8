use crate::corpus::InputTransform;
use crate::model::Variant;
use serde::{Deserialize, Serialize};

/// The optimiser of every network. The log used Adam throughout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    /// Adam (Kingma & Ba), PyTorch's semantics, no weight decay.
    #[default]
    Adam,
}

/// How the networks' passes and gradients are computed. Both give the same values up to float
/// summation order (tested side by side on the CPU).
///
/// ```
/// use gcatm::train::Backend;
/// assert_eq!("autograd".parse::<Backend>().unwrap(), Backend::Autograd);
/// assert_eq!(Backend::Fused.to_string(), "fused");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Hand-fused CPU passes with hand-written backward passes and sparse first layers (CPU only;
    /// the CPU's default: about twice as fast as the reference implementation).
    Fused,
    /// candle's autograd graph over dense batches: what a GPU runs (the default on CUDA), and
    /// selectable on the CPU to check that path.
    Autograd,
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "fused" => Ok(Backend::Fused),
            "autograd" => Ok(Backend::Autograd),
            other => Err(format!(
                "unknown backend `{other}` (expected fused or autograd)"
            )),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Fused => "fused",
            Backend::Autograd => "autograd",
        })
    }
}

impl Backend {
    /// The backend a run uses on `device`: `requested` when given, else fused on the CPU and
    /// autograd elsewhere. The fused passes exist for the CPU only.
    pub fn resolve(
        requested: Option<Backend>,
        device: &candle_core::Device,
    ) -> Result<Backend, String> {
        match (requested, device.is_cpu()) {
            (Some(Backend::Fused), false) => Err(
                "the fused backend runs on the CPU only; use --backend autograd (the default) on a GPU"
                    .into(),
            ),
            (Some(b), _) => Ok(b),
            (None, true) => Ok(Backend::Fused),
            (None, false) => Ok(Backend::Autograd),
        }
    }
}

/// Every hyper-parameter of a run. Defaults are the log's shared table (batch 256, clip 0.01,
/// lr 1e-4, betas (0.5, 0.999), n_critic 5, Adam, temperature 0.5) and the log's input (TF-IDF,
/// then L1).
///
/// ```
/// use gcatm::train::{TrainConfig, Variant};
/// let cfg = TrainConfig { topics: 50, variant: Variant::Hard, ..TrainConfig::default() };
/// let json = serde_json::to_string(&cfg).unwrap();
/// assert_eq!(serde_json::from_str::<TrainConfig>(&json).unwrap(), cfg);
/// assert_eq!(cfg.generator_lr(), 1e-4);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Number of topics K.
    pub topics: usize,
    /// Hidden width H of every network.
    pub hidden: usize,
    /// Documents per batch.
    pub batch_size: usize,
    /// Critic weights are clamped to [-clip, clip] after each critic step.
    pub clip: f64,
    /// Learning rate of the encoder and the critic (the generator's is scaled by `g_lr_scale`).
    pub lr: f64,
    /// Adam's beta_1.
    pub beta_1: f64,
    /// Adam's beta_2.
    pub beta_2: f64,
    /// The generator and the encoder are trained every n_critic-th iteration.
    pub n_critic: usize,
    /// The optimiser (Adam).
    pub optimizer: Optimizer,
    /// InfoNCE temperature tau.
    pub temperature: f64,
    /// The generator's learning rate is `lr * g_lr_scale` (0.01 is the log's "lr/100").
    pub g_lr_scale: f64,
    /// Which contrastive term the generator uses.
    pub variant: Variant,
    /// Weight of the InfoNCE term in the generator's loss.
    pub contrastive_weight: f64,
    /// Output size of the projection head (hard and mean variants).
    pub projection_dim: usize,
    /// Size of the word and topic embeddings of the word variant.
    pub word_embedding_dim: usize,
    /// Dirichlet prior concentration per topic; `None` means 1/K.
    pub alpha: Option<f64>,
    /// Number of epochs.
    pub epochs: usize,
    /// Evaluate every this many epochs (0: never during training).
    pub eval_every: usize,
    /// Top words per topic used for coherence.
    pub top_n: usize,
    /// Random seed of initialisation, prior and batch order.
    pub seed: u64,
    /// Device: `cpu`, `cuda`, `cuda:N` or `auto`.
    pub device: String,
    /// What the networks see of a document before L1: the log's TF-IDF (the default) or raw
    /// counts. A config saved before this field existed trained on counts, and reads back so.
    #[serde(default = "counts")]
    pub input: InputTransform,
    /// How passes and gradients are computed; `None`: the device's default ([`Backend::resolve`]).
    pub backend: Option<Backend>,
    /// Departs from the log (1, off): the critic's learning rate is `lr * critic_lr_scale`, two
    /// time-scale updates (Heusel et al. 2017), a critic that learns faster than the generator.
    pub critic_lr_scale: f64,
    /// Departs from the log (false, off): the log author's remedy of October 2021. At every
    /// generator step the InfoNCE term's weight becomes `contrastive_weight * ||dL_adv/dW1|| /
    /// ||dL_nce/dW1||` (W1: the generator's first Linear(K, H)), a constant for that step, so that
    /// neither term drowns the other. Costs a second backward pass through the generator.
    pub balance_contrastive: bool,
    /// How the critic is kept (nearly) Lipschitz: `clip`, the log's weight clipping to ±`clip`,
    /// or `spectral` (departs from the log): a spectral-norm projection of its layers after each
    /// step instead ([`CriticConstraint`]).
    pub critic_constraint: CriticConstraint,
}

/// How the critic is kept (nearly) Lipschitz after each of its steps.
///
/// ```
/// use gcatm::train::CriticConstraint;
/// assert_eq!("spectral".parse::<CriticConstraint>().unwrap(), CriticConstraint::Spectral);
/// assert_eq!(CriticConstraint::default().to_string(), "clip");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CriticConstraint {
    /// Every critic parameter clamped to [-clip, clip] (the log's WGAN weight clipping).
    #[default]
    Clip,
    /// Departs from the log: the first layer's largest singular value (one power-iteration step
    /// per critic step, Miyato et al. 2018) and the output layer's norm brought down to at most
    /// 1 by division, BatchNorm's scale clamped to [-1, 1]; no weight clipping.
    Spectral,
}

impl std::str::FromStr for CriticConstraint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "clip" => Ok(CriticConstraint::Clip),
            "spectral" => Ok(CriticConstraint::Spectral),
            other => Err(format!(
                "unknown critic constraint `{other}` (expected clip or spectral)"
            )),
        }
    }
}

impl std::fmt::Display for CriticConstraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CriticConstraint::Clip => "clip",
            CriticConstraint::Spectral => "spectral",
        })
    }
}

fn counts() -> InputTransform {
    InputTransform::Counts
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            topics: 20,
            hidden: 1024,
            batch_size: 256,
            clip: 0.01,
            lr: 1e-4,
            beta_1: 0.5,
            beta_2: 0.999,
            n_critic: 5,
            optimizer: Optimizer::Adam,
            temperature: 0.5,
            g_lr_scale: 1.0,
            variant: Variant::MeanWeighted,
            contrastive_weight: 1.0,
            projection_dim: 128,
            word_embedding_dim: 200,
            alpha: None,
            epochs: 100,
            eval_every: 10,
            top_n: 10,
            seed: 0,
            device: "auto".to_string(),
            input: InputTransform::Tfidf,
            backend: None,
            critic_lr_scale: 1.0,
            balance_contrastive: false,
            critic_constraint: CriticConstraint::Clip,
        }
    }
}

impl TrainConfig {
    /// The prior's concentration per topic (1/K unless set).
    pub fn alpha(&self) -> f64 {
        self.alpha.unwrap_or(1.0 / self.topics as f64)
    }

    /// The generator's learning rate.
    pub fn generator_lr(&self) -> f64 {
        self.lr * self.g_lr_scale
    }

    /// Checks the values a run cannot start with.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("topics", self.topics as f64),
            ("hidden", self.hidden as f64),
            ("batch_size", self.batch_size as f64),
            ("n_critic", self.n_critic as f64),
            ("lr", self.lr),
            ("temperature", self.temperature),
            ("g_lr_scale", self.g_lr_scale),
            ("critic_lr_scale", self.critic_lr_scale),
            ("clip", self.clip),
            ("top_n", self.top_n as f64),
        ];
        for (name, v) in positive {
            if !(v > 0.0 && v.is_finite()) {
                return Err(format!("{name} must be positive, got {v}"));
            }
        }
        if !(0.0..1.0).contains(&self.beta_1) || !(0.0..1.0).contains(&self.beta_2) {
            return Err(format!(
                "betas must lie in [0, 1), got ({}, {})",
                self.beta_1, self.beta_2
            ));
        }
        if let Some(a) = self.alpha {
            if !(a > 0.0 && a.is_finite()) {
                return Err(format!("alpha must be positive, got {a}"));
            }
        }
        if self.batch_size < 2 && self.variant != Variant::Bat {
            return Err("InfoNCE needs a batch of at least 2 documents".into());
        }
        Ok(())
    }
}

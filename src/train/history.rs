use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The losses of one iteration. The generator and encoder losses exist on every n_critic-th
/// iteration only.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct IterationLosses {
    /// The critic's loss, `-mean D(real) + mean D(fake)`.
    pub loss_d: f32,
    /// The generator's adversarial loss `-mean D(fake)` (without the InfoNCE term).
    pub loss_g: Option<f32>,
    /// The encoder's loss `mean D(E(bow), bow)`.
    pub loss_e: Option<f32>,
    /// The InfoNCE term (before its weight), when the variant has one.
    pub info_nce: Option<f32>,
}

/// One epoch: mean losses, its time, and the evaluation metrics when it was evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EpochRecord {
    /// The epoch number, from 1.
    pub epoch: usize,
    /// Mean critic loss.
    pub loss_d: f64,
    /// Mean adversarial generator loss.
    pub loss_g: f64,
    /// Mean encoder loss.
    pub loss_e: f64,
    /// Mean InfoNCE term (`None` for plain BAT).
    pub info_nce: Option<f64>,
    /// Wall-clock seconds of the epoch's training (evaluation excluded).
    pub seconds: f64,
    /// The top 10 words of each topic, on evaluated epochs: what a long run's topics were at
    /// every evaluation, not only at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topics: Option<Vec<Vec<String>>>,
    /// Evaluation metrics (`npmi`, `td`, ...) on evaluated epochs.
    #[serde(flatten)]
    pub metrics: BTreeMap<String, f64>,
}

/// Everything a run recorded: per-iteration losses and per-epoch records.
///
/// ```
/// use gcatm::train::History;
/// let h = History::default();
/// assert!(h.best("npmi").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct History {
    /// One entry per iteration, in order.
    pub iterations: Vec<IterationLosses>,
    /// One entry per epoch, in order.
    pub epochs: Vec<EpochRecord>,
}

impl History {
    /// `(epoch, value)` of `metric` on the evaluated epochs.
    pub fn metric(&self, metric: &str) -> Vec<(usize, f64)> {
        self.epochs
            .iter()
            .filter_map(|e| e.metrics.get(metric).map(|v| (e.epoch, *v)))
            .collect()
    }

    /// The epoch with the largest value of `metric`, and that value.
    pub fn best(&self, metric: &str) -> Option<(usize, f64)> {
        self.metric(metric)
            .into_iter()
            .fold(None, |best, (e, v)| match best {
                Some((_, bv)) if bv >= v => best,
                _ => Some((e, v)),
            })
    }

    /// Per-epoch means of a loss: `loss_d`, `loss_g`, `loss_e` or `info_nce`.
    pub fn loss(&self, name: &str) -> Vec<(usize, f64)> {
        self.epochs
            .iter()
            .filter_map(|e| {
                let v = match name {
                    "loss_d" => Some(e.loss_d),
                    "loss_g" => Some(e.loss_g),
                    "loss_e" => Some(e.loss_e),
                    "info_nce" => e.info_nce,
                    _ => None,
                };
                v.map(|v| (e.epoch, v))
            })
            .collect()
    }
}

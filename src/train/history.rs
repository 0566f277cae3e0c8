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
    /// The epoch number, from 1; 0 for the evaluation before training (a record with metrics
    /// and topics only: its losses and seconds are 0 and no loss curve shows them).
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
    /// Mean training objective of a model with one loss (ProdLDA's negative ELBO per document);
    /// `None` for the adversarial model, whose losses are the three above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// The top 10 words of each topic, on evaluated epochs: what a long run's topics were at
    /// every evaluation, not only at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topics: Option<Vec<Vec<String>>>,
    /// Evaluation metrics (`npmi`, `td`, ...) on evaluated epochs.
    #[serde(flatten)]
    pub metrics: BTreeMap<String, f64>,
}

/// One progress line: the epoch, its time and mean losses, and `| NPMI … C_V … TD …` when it was
/// evaluated (only the metrics for the epoch-0 record). What `gcatm train` and the notebooks print.
///
/// ```
/// use gcatm::train::EpochRecord;
/// let mut r = EpochRecord { epoch: 3, loss_d: -0.01, loss_g: 0.002, loss_e: 0.013, seconds: 1.2, ..Default::default() };
/// assert_eq!(r.to_string(), "epoch   3 (  1.2 s): D -0.0100 G +0.0020 E +0.0130");
/// r.metrics.insert("npmi".into(), 0.1234);
/// r.metrics.insert("td".into(), 0.5);
/// assert!(r.to_string().ends_with("| NPMI 0.1234 TD 0.500"));
/// ```
impl std::fmt::Display for EpochRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.epoch == 0 {
            write!(f, "epoch   0 (before training):")?;
        } else if let Some(loss) = self.loss {
            write!(
                f,
                "epoch {:>3} ({:5.1} s): loss {loss:.4}",
                self.epoch, self.seconds
            )?;
        } else {
            write!(
                f,
                "epoch {:>3} ({:5.1} s): D {:+.4} G {:+.4} E {:+.4}",
                self.epoch, self.seconds, self.loss_d, self.loss_g, self.loss_e
            )?;
            if let Some(n) = self.info_nce {
                write!(f, " InfoNCE {n:.3}")?;
            }
        }
        let mut sep = if self.epoch == 0 { " " } else { " | " };
        for (key, label, digits) in [("npmi", "NPMI", 4), ("cv", "C_V", 4), ("td", "TD", 3)] {
            if let Some(v) = self.metrics.get(key) {
                write!(f, "{sep}{label} {v:.digits$}")?;
                sep = " ";
            }
        }
        Ok(())
    }
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
    /// One entry per epoch, in order (after the epoch-0 evaluation, when the run made one).
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

    /// [`History::metric`] as chart points `(epoch, value)`.
    pub fn curve(&self, metric: &str) -> Vec<(f64, f64)> {
        points(self.metric(metric))
    }

    /// [`History::loss`] as chart points `(epoch, mean loss)`.
    pub fn loss_curve(&self, name: &str) -> Vec<(f64, f64)> {
        points(self.loss(name))
    }

    /// A loss per iteration as chart points `(iteration, loss)`: `loss_d` at every iteration,
    /// `loss_g`, `loss_e` and `info_nce` at the generator's (every n_critic-th) ones.
    ///
    /// ```
    /// use gcatm::train::{History, IterationLosses};
    /// let it = |d, g| IterationLosses { loss_d: d, loss_g: g, ..Default::default() };
    /// let h = History { iterations: vec![it(-0.5, None), it(-0.25, Some(0.5))], epochs: vec![] };
    /// assert_eq!(h.iteration_curve("loss_d"), vec![(0.0, -0.5), (1.0, -0.25)]);
    /// assert_eq!(h.iteration_curve("loss_g"), vec![(1.0, 0.5)]);
    /// ```
    pub fn iteration_curve(&self, name: &str) -> Vec<(f64, f64)> {
        self.iterations
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let v = match name {
                    "loss_d" => Some(l.loss_d),
                    "loss_g" => l.loss_g,
                    "loss_e" => l.loss_e,
                    "info_nce" => l.info_nce,
                    _ => None,
                };
                v.map(|v| (i as f64, v as f64))
            })
            .collect()
    }

    /// Per epoch, the generator's InfoNCE term divided by the magnitude of its adversarial term
    /// (`info_nce / |loss_g|`): how much more the contrastive term weighs in the generator's loss
    /// (the clipped critic's scores are small, so the ratio starts in the hundreds). Epochs
    /// without InfoNCE or with a zero adversarial term are left out.
    ///
    /// ```
    /// use gcatm::train::{EpochRecord, History};
    /// let r = EpochRecord { epoch: 1, loss_g: -0.02, info_nce: Some(6.0), ..Default::default() };
    /// let h = History { iterations: vec![], epochs: vec![r] };
    /// assert_eq!(h.generator_term_ratio(), vec![(1.0, 300.0)]);
    /// ```
    pub fn generator_term_ratio(&self) -> Vec<(f64, f64)> {
        self.epochs
            .iter()
            .filter(|e| e.epoch > 0)
            .filter_map(|e| {
                let nce = e.info_nce?;
                (e.loss_g != 0.0).then(|| (e.epoch as f64, nce / e.loss_g.abs()))
            })
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
            .filter(|e| e.epoch > 0)
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

fn points(v: Vec<(usize, f64)>) -> Vec<(f64, f64)> {
    v.into_iter().map(|(x, y)| (x as f64, y)).collect()
}

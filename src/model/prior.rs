use candle_core::{Device, Result, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma};

/// The prior over topic proportions: theta ~ Dirichlet(alpha), alpha_k = 1/K in the log.
///
/// Sampling is done in log space, `log Gamma(a) = log Gamma(a + 1) + log(U) / a`, then a softmax
/// in f64: naive Gamma(a) draws underflow to 0 for small a (K = 100 gives a = 0.01), which makes
/// rows of zeros and NaN after normalising. Rows stay finite and on the simplex for any a > 0.
///
/// ```
/// use gcatm::model::DirichletPrior;
/// let mut prior = DirichletPrior::symmetric(100, 0.01, 0).unwrap();
/// let theta = prior.sample(8, &candle_core::Device::Cpu).unwrap();
/// let sums = theta.sum(1).unwrap().to_vec1::<f32>().unwrap();
/// assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-5));
/// ```
#[derive(Debug, Clone)]
pub struct DirichletPrior {
    alpha: Vec<f64>,
    gammas: Vec<Gamma<f64>>,
    seed: u64,
    rng: ChaCha8Rng,
}

impl DirichletPrior {
    /// Dirichlet(alpha) over `alpha.len()` topics.
    pub fn new(alpha: Vec<f64>, seed: u64) -> Result<Self> {
        if alpha.is_empty() || alpha.iter().any(|a| !(*a > 0.0 && a.is_finite())) {
            candle_core::bail!("Dirichlet concentrations must be positive and finite: {alpha:?}");
        }
        let gammas = alpha
            .iter()
            .map(|&a| Gamma::new(a + 1.0, 1.0).map_err(|e| candle_core::Error::Msg(e.to_string())))
            .collect::<Result<Vec<_>>>()?;
        Ok(DirichletPrior {
            alpha,
            gammas,
            seed,
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
    }

    /// The symmetric Dirichlet(alpha, ..., alpha) over `topics` topics.
    pub fn symmetric(topics: usize, alpha: f64, seed: u64) -> Result<Self> {
        Self::new(vec![alpha; topics], seed)
    }

    /// The concentrations.
    pub fn alpha(&self) -> &[f64] {
        &self.alpha
    }

    /// Restarts the random stream at `stream` (the trainer uses the epoch), so that a resumed
    /// run draws the same samples as an uninterrupted one.
    pub fn reseed(&mut self, stream: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(self.seed);
        self.rng.set_stream(stream);
    }

    /// `batch` draws as rows of f64.
    pub fn sample_rows(&mut self, batch: usize) -> Vec<Vec<f64>> {
        (0..batch)
            .map(|_| {
                let logs: Vec<f64> = self
                    .gammas
                    .iter()
                    .zip(&self.alpha)
                    .map(|(g, &a)| {
                        // U in (0, 1]: log(U) stays finite.
                        let u = 1.0 - self.rng.random::<f64>();
                        g.sample(&mut self.rng).ln() + u.ln() / a
                    })
                    .collect();
                let m = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = logs.iter().map(|l| (l - m).exp()).collect();
                let s: f64 = e.iter().sum();
                e.iter().map(|x| x / s).collect()
            })
            .collect()
    }

    /// `batch` draws as a `batch x K` f32 tensor on `device`. Proportions below f32's smallest
    /// normal number (1.2e-38) are set to 0.
    pub fn sample(&mut self, batch: usize, device: &Device) -> Result<Tensor> {
        let k = self.alpha.len();
        // Why flush: with a = 1/K about 5% of the draws at K = 50 land in f32's subnormal range,
        // and a product with subnormal operands runs tens of times slower on x86 CPUs; such a
        // proportion changes no sum it enters.
        let flat: Vec<f32> = self
            .sample_rows(batch)
            .into_iter()
            .flatten()
            .map(|x| {
                let x = x as f32;
                if x < f32::MIN_POSITIVE {
                    0.0
                } else {
                    x
                }
            })
            .collect();
        Tensor::from_vec(flat, (batch, k), device)
    }
}

use super::layers::{block_tail, linear_t, BatchNorm1d, Bow, Linear};
use candle_core::{Module, ModuleT, Result, Tensor};
use candle_nn::{Init, VarBuilder};

/// The Wasserstein critic D: concat(theta, bow) (K + V) -> block(K + V, H) -> Linear(H, 1), no
/// sigmoid.
///
/// The first layer's weight is kept as two blocks, `theta_weight` (H x K) and `bow_weight` (V x H,
/// input-major),
/// initialised as one Linear(K + V, H) would be: the product with a real (sparse) document can
/// then skip its zeros. Mathematically it is the Linear on the concatenation.
///
/// ```
/// use candle_core::{DType, Device, Tensor};
/// use candle_nn::VarMap;
/// use gcatm::model::{seeded_var_builder, Bow, Critic};
/// let vm = VarMap::new();
/// let d = Critic::new(seeded_var_builder(&vm, 0, &Device::Cpu), 30, 4, 16).unwrap();
/// let theta = (Tensor::ones((3, 4), DType::F32, &Device::Cpu).unwrap() / 4.0).unwrap();
/// let bow = (Tensor::ones((3, 30), DType::F32, &Device::Cpu).unwrap() / 30.0).unwrap();
/// let score = d.score(&theta, Bow::Dense(&bow), true).unwrap();
/// assert_eq!(score.dims(), &[3, 1]);
/// ```
#[derive(Debug, Clone)]
pub struct Critic {
    theta_weight: Tensor,
    bow_weight: Tensor,
    bias: Tensor,
    bn: BatchNorm1d,
    out: Linear,
    topics: usize,
}

impl Critic {
    /// A critic for `vocab_size` words, `topics` topics and hidden width `hidden`.
    pub fn new(vb: VarBuilder, vocab_size: usize, topics: usize, hidden: usize) -> Result<Self> {
        let bound = 1.0 / ((topics + vocab_size) as f64).sqrt();
        let init = Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let fc1 = vb.pp("fc1");
        let theta_weight = fc1.get_with_hints((hidden, topics), "theta_weight", init)?;
        let bow_weight = fc1.get_with_hints((vocab_size, hidden), "bow_weight", init)?;
        let bias = fc1.get_with_hints(hidden, "bias", init)?;
        let bn = BatchNorm1d::new(hidden, vb.pp("bn"))?;
        let out = super::layers::Linear::new(hidden, 1, vb.pp("fc2"))?;
        Ok(Critic {
            theta_weight,
            bow_weight,
            bias,
            bn,
            out,
            topics,
        })
    }

    /// D(theta, bow): one score per row (`B x 1`), BatchNorm over this batch in training mode.
    pub fn score(&self, theta: &Tensor, bow: Bow, train: bool) -> Result<Tensor> {
        let pre = (linear_t(theta, &self.theta_weight)? + bow.matmul(&self.bow_weight)?)?;
        let pre = super::kernels::bias_add(&pre, &self.bias)?;
        let h = block_tail(&pre, &self.bn, train)?;
        self.out.forward(&h)
    }

    /// This critic with its parameters cut off from autograd: the same scores, gradients reach
    /// `theta` and `bow` only. The generator and encoder steps use it, so that they do no work for
    /// the critic's weight gradients (which they would throw away).
    pub fn frozen(&self) -> Critic {
        Critic {
            theta_weight: self.theta_weight.detach(),
            bow_weight: self.bow_weight.detach(),
            bias: self.bias.detach(),
            bn: self.bn.frozen(),
            out: self.out.frozen(),
            topics: self.topics,
        }
    }
}

impl ModuleT for Critic {
    /// Scores a `B x (K + V)` matrix whose rows are concat(theta, bow).
    fn forward_t(&self, xs: &Tensor, train: bool) -> Result<Tensor> {
        let k = self.topics;
        let v = xs.dim(1)? - k;
        let theta = xs.narrow(1, 0, k)?.contiguous()?;
        let bow = xs.narrow(1, k, v)?.contiguous()?;
        self.score(&theta, Bow::Dense(&bow), train)
    }
}

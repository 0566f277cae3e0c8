use super::layers::{block_tail, BatchNorm1d, Bow, Linear};
use candle_core::{Module, ModuleT, Result, Tensor};
use candle_nn::VarBuilder;

/// The encoder E: bow (V) -> block(V, H) -> Linear(H, K) -> softmax = theta.
///
/// ```
/// use candle_core::{DType, Device, ModuleT, Tensor};
/// use candle_nn::VarMap;
/// use gcatm::model::{seeded_var_builder, Encoder};
/// let vm = VarMap::new();
/// let enc = Encoder::new(seeded_var_builder(&vm, 0, &Device::Cpu), 30, 4, 16).unwrap();
/// let bow = (Tensor::ones((3, 30), DType::F32, &Device::Cpu).unwrap() / 30.0).unwrap();
/// let theta = enc.forward_t(&bow, true).unwrap();
/// assert_eq!(theta.dims(), &[3, 4]);
/// ```
#[derive(Debug, Clone)]
pub struct Encoder {
    /// First layer, input-major (V x H) so that a sparse document reads whole rows.
    fc1_weight: Tensor,
    fc1_bias: Tensor,
    bn: BatchNorm1d,
    fc2: Linear,
}

impl Encoder {
    /// An encoder for a vocabulary of `vocab_size` words, `topics` topics and hidden width `hidden`.
    pub fn new(vb: VarBuilder, vocab_size: usize, topics: usize, hidden: usize) -> Result<Self> {
        let bound = 1.0 / (vocab_size as f64).sqrt();
        let init = candle_nn::Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let fc1 = vb.pp("fc1");
        Ok(Encoder {
            fc1_weight: fc1.get_with_hints((vocab_size, hidden), "weight", init)?,
            fc1_bias: fc1.get_with_hints(hidden, "bias", init)?,
            bn: BatchNorm1d::new(hidden, vb.pp("bn"))?,
            fc2: Linear::new(hidden, topics, vb.pp("fc2"))?,
        })
    }

    /// theta for a dense or sparse batch; the sparse path gives the same values, faster on the CPU.
    pub fn theta(&self, bow: Bow, train: bool) -> Result<Tensor> {
        let pre = super::kernels::bias_add(&bow.matmul(&self.fc1_weight)?, &self.fc1_bias)?;
        let h = block_tail(&pre, &self.bn, train)?;
        super::kernels::softmax_rows(&self.fc2.forward(&h)?)
    }
}

impl ModuleT for Encoder {
    fn forward_t(&self, bow: &Tensor, train: bool) -> Result<Tensor> {
        self.theta(Bow::Dense(bow), train)
    }
}

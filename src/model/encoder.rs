use super::layers::{add_bias, block_tail, BatchNorm1d, Bow, Linear};
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
    fc1: Linear,
    bn: BatchNorm1d,
    fc2: Linear,
}

impl Encoder {
    /// An encoder for a vocabulary of `vocab_size` words, `topics` topics and hidden width `hidden`.
    pub fn new(vb: VarBuilder, vocab_size: usize, topics: usize, hidden: usize) -> Result<Self> {
        Ok(Encoder {
            fc1: Linear::new(vocab_size, hidden, vb.pp("fc1"))?,
            bn: BatchNorm1d::new(hidden, vb.pp("bn"))?,
            fc2: Linear::new(hidden, topics, vb.pp("fc2"))?,
        })
    }

    /// theta for a dense or sparse batch; the sparse path gives the same values, faster on the CPU.
    pub fn theta(&self, bow: Bow, train: bool) -> Result<Tensor> {
        let pre = add_bias(bow.matmul_t(self.fc1.weight())?, &self.fc1)?;
        let h = block_tail(&pre, &self.bn, train)?;
        candle_nn::ops::softmax_last_dim(&self.fc2.forward(&h)?)
    }
}

impl ModuleT for Encoder {
    fn forward_t(&self, bow: &Tensor, train: bool) -> Result<Tensor> {
        self.theta(Bow::Dense(bow), train)
    }
}

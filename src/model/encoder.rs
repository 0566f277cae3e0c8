use super::layers::{BatchStats, Block, BlockCache, Bow, Input, Linear};
use super::ops::CpuView;
use super::Critic;
use crate::kernels::{self, BlockSums, Mat};
use candle_core::backprop::GradStore;
use candle_core::{Device, Module, ModuleT, Result, Tensor};
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
    /// The first layer's bias, BatchNorm and LeakyReLU.
    block: Block,
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
            block: Block::new(fc1.get_with_hints(hidden, "bias", init)?, vb.pp("bn"))?,
            fc2: Linear::new(hidden, topics, vb.pp("fc2"))?,
        })
    }

    /// theta for a dense or sparse batch; the sparse path gives the same values, faster on the CPU.
    pub fn theta(&self, bow: Bow, train: bool) -> Result<Tensor> {
        let h = self
            .block
            .forward_t(&bow.matmul(&self.fc1_weight)?, train)?;
        super::ops::softmax_rows(&self.fc2.forward(&h)?)
    }
}

impl Encoder {
    /// The encoder step's loss `mean D(E(bow), bow)` and its gradient for every encoder
    /// parameter, on the CPU, by hand (see [`Critic`]'s fused passes), from a training-mode pass
    /// over the batch ([`Encoder::pass_host`]). The critic's batch statistics come back: the
    /// caller moves the critic's running statistics ([`Critic::move_running`]).
    pub(crate) fn step_gradients(
        &self,
        critic: &Critic,
        bow: Bow,
        pass: EncoderPass,
    ) -> Result<(f32, GradStore, BatchStats)> {
        let (v, h) = self.fc1_weight.dims2()?;
        let (k, _) = self.fc2.weight.dims2()?;
        let b = bow.rows()?;
        if b < 2 {
            candle_core::bail!("BatchNorm1d in training mode needs at least 2 rows, got {b}");
        }
        let EncoderPass { input, forward } = pass;
        if input.rows() != b {
            candle_core::bail!(
                "encoder step: a pass over {} documents for {b}",
                input.rows()
            );
        }
        let Forward {
            block,
            hidden,
            theta,
        } = forward;
        // mean D: every score's gradient is 1/B.
        let theta_t = Tensor::from_slice(&theta, (b, k), &Device::Cpu)?;
        let critic_pass = critic.input_gradients(&theta_t, bow, 1.0 / b as f32, false)?;
        let dlogits = kernels::softmax_backward(&theta, &critic_pass.d_theta, k);
        let mut grads = GradStore::default();
        let dh = self.fc2.backward_host(&hidden, &dlogits, b, &mut grads)?;
        let mut sums = BlockSums::new(h);
        let dpre = self.block.backward_host(block, &dh, &mut sums)?;
        let g_w1 = input.weight_gradient_new(&dpre, h)?;
        grads.insert(
            &self.fc1_weight,
            Tensor::from_vec(g_w1, (v, h), &Device::Cpu)?,
        );
        self.block.insert_grads(sums, &mut grads)?;
        Ok((critic_pass.mean as f32, grads, critic_pass.stats))
    }
}

impl Encoder {
    /// The training-mode pass over a batch, by hand on host buffers (the CPU steps): theta with
    /// the values of [`Encoder::theta`], BatchNorm's running statistics moved when
    /// `move_running`, no autograd graph, and what the backward pass needs. The critic step keeps
    /// it, so that the encoder step of the same iteration (same batch, same weights) does not
    /// compute it again.
    pub(crate) fn pass_host(&self, bow: Bow, move_running: bool) -> Result<EncoderPass> {
        let (v, _) = self.fc1_weight.dims2()?;
        let input = Input::new(bow, bow.rows()?, v)?;
        let forward = self.forward_host(&input, move_running)?;
        Ok(EncoderPass { input, forward })
    }

    fn forward_host(&self, input: &Input, move_running: bool) -> Result<Forward> {
        let (_, h) = self.fc1_weight.dims2()?;
        let (k, _) = self.fc2.weight.dims2()?;
        let b = input.rows();
        let xw = {
            let w1 = CpuView::new(&self.fc1_weight)?;
            input.product(w1.data(), h)?
        };
        let (block, hidden) = self.block.forward_host(xw, b, move_running)?;
        let mut logits = vec![0f32; b * k];
        {
            let w2 = CpuView::new(&self.fc2.weight)?;
            let hm = Mat {
                data: &hidden,
                rs: h,
                cs: 1,
            };
            let w2t = Mat {
                data: w2.data(),
                rs: 1,
                cs: h,
            };
            kernels::gemm_into(&mut logits, (b, k, h), hm, w2t, false)?;
        }
        kernels::add_rows_inplace(&mut logits, &self.fc2.bias.to_vec1::<f32>()?);
        let theta = kernels::softmax_forward(&logits, k);
        Ok(Forward {
            block,
            hidden,
            theta,
        })
    }
}

/// The encoder's training-mode pass over one batch ([`Encoder::pass_host`]): its input and
/// the forward pass.
pub(crate) struct EncoderPass {
    input: Input,
    forward: Forward,
}

impl EncoderPass {
    /// theta (`B x K`).
    pub(crate) fn theta(&self) -> Result<Tensor> {
        let b = self.input.rows();
        let k = self.forward.theta.len() / b.max(1);
        Tensor::from_slice(&self.forward.theta, (b, k), &Device::Cpu)
    }
}

/// The encoder's training-mode pass on host buffers, with what its backward pass needs.
struct Forward {
    /// What the block's backward pass needs.
    block: BlockCache,
    /// Block output (`B x H`).
    hidden: Vec<f32>,
    /// theta (`B x K`).
    theta: Vec<f32>,
}

impl ModuleT for Encoder {
    fn forward_t(&self, bow: &Tensor, train: bool) -> Result<Tensor> {
        self.theta(Bow::Dense(bow), train)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::SparseBatch;
    use crate::model::{seeded_var_builder, trainable_vars};
    use candle_nn::VarMap;

    #[test]
    fn fused_step_gradients_match_autograd() {
        let (v, k, h, b) = (33, 4, 20, 7);
        let dev = Device::Cpu;
        // Row r holds words r, 2r + 1 and 3r + 2 (mod V), equally weighted.
        let (mut offsets, mut word_ids, mut values) = (vec![0], vec![], vec![]);
        let mut dense = vec![0f32; b * v];
        for r in 0..b {
            let mut words = vec![r % v, (2 * r + 1) % v, (3 * r + 2) % v];
            words.sort_unstable();
            words.dedup();
            for &w in &words {
                word_ids.push(w as u32);
                values.push(1.0 / words.len() as f32);
                dense[r * v + w] = 1.0 / words.len() as f32;
            }
            offsets.push(word_ids.len());
        }
        let sparse = SparseBatch {
            offsets,
            word_ids,
            values,
            cols: v,
        };
        let dense = Tensor::from_vec(dense, (b, v), &dev).unwrap();
        let (em, cm) = (VarMap::new(), VarMap::new());
        let enc = Encoder::new(seeded_var_builder(&em, 5, &dev), v, k, h).unwrap();
        let critic = Critic::new(seeded_var_builder(&cm, 6, &dev), v, k, h).unwrap();
        let theta = enc.theta(Bow::Dense(&dense), true).unwrap();
        let real = critic
            .frozen()
            .score(&theta, Bow::Dense(&dense), true)
            .unwrap();
        let loss = crate::loss::encoder_loss(&real).unwrap();
        let want_loss = loss.to_scalar::<f32>().unwrap();
        let want = loss.backward().unwrap();
        for bow in [Bow::Sparse(&sparse), Bow::Dense(&dense)] {
            let host = enc.pass_host(bow, true).unwrap().theta().unwrap();
            let d = (&host - &theta)
                .unwrap()
                .abs()
                .unwrap()
                .flatten_all()
                .unwrap();
            assert!(d.max(0).unwrap().to_scalar::<f32>().unwrap() < 1e-6);
            let pass = enc.pass_host(bow, false).unwrap();
            let (got_loss, got, _) = enc.step_gradients(&critic, bow, pass).unwrap();
            assert!(
                (got_loss - want_loss).abs() < 1e-5,
                "{got_loss} against {want_loss}"
            );
            let vars = trainable_vars(&em);
            assert_eq!(vars.len(), 6);
            for (name, var) in &vars {
                let w = want.get(var.as_tensor()).unwrap().flatten_all().unwrap();
                let g = got.get(var.as_tensor()).unwrap().flatten_all().unwrap();
                let scale = w.abs().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap();
                let diff = (g - &w).unwrap().abs().unwrap().max(0).unwrap();
                let diff = diff.to_scalar::<f32>().unwrap();
                // The first layer's bias feeds BatchNorm, so its gradient is zero up to
                // rounding: an absolute floor covers that noise.
                assert!(
                    diff <= 1e-4 * scale.max(1e-2),
                    "{name}: max difference {diff} (largest gradient {scale})"
                );
            }
        }
    }
}

use super::layers::LEAKY_SLOPE as SLOPE;
use super::layers::{linear_t, BatchStats, Block, Bow, Input, Linear};
use super::ops::CpuView;
use crate::kernels::{self, Mat};
use candle_core::backprop::GradStore;
use candle_core::{Device, Module, ModuleT, Result, Tensor, Var};
use candle_nn::{Init, VarBuilder, VarMap};

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
    /// The first layer's bias, BatchNorm and LeakyReLU.
    block: Block,
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
        let block = Block::new(fc1.get_with_hints(hidden, "bias", init)?, vb.pp("bn"))?;
        let out = super::layers::Linear::new(hidden, 1, vb.pp("fc2"))?;
        Ok(Critic {
            theta_weight,
            bow_weight,
            block,
            out,
            topics,
        })
    }

    /// D(theta, bow): one score per row (`B x 1`), BatchNorm over this batch in training mode.
    pub fn score(&self, theta: &Tensor, bow: Bow, train: bool) -> Result<Tensor> {
        let pre = (linear_t(theta, &self.theta_weight)? + bow.matmul(&self.bow_weight)?)?;
        let h = self.block.forward_t(&pre, train)?;
        self.out.forward(&h)
    }

    /// The critic's loss `-mean D(theta_real, bow_real) + mean D(theta_fake, bow_fake)` and its
    /// gradient for every critic parameter, computed on the CPU in one fused pass (forward, then
    /// backward by hand) instead of through candle's autograd, which allocates a zeroed gradient
    /// and a sum for every node of the graph. BatchNorm's running statistics move as in two
    /// [`Critic::score`] calls in training mode, real half first. The values are those of
    /// `loss::critic_loss` on the two scores and its `backward()`, up to summation order. (The
    /// critic step runs its two parts itself.)
    #[cfg(test)]
    pub(crate) fn loss_and_gradients(
        &self,
        real: (&Tensor, Bow),
        fake: (&Tensor, Bow),
    ) -> Result<(f32, GradStore)> {
        let real = self.real_pass(real.0, real.1)?;
        self.fake_pass_and_gradients(real, fake)
    }

    /// The real half of [`Critic::loss_and_gradients`]: forward and backward through the head,
    /// running statistics moved. It needs nothing of the generator, so the critic step runs it
    /// beside the generator's pass.
    pub(crate) fn real_pass(&self, theta: &Tensor, bow: Bow) -> Result<RealPass> {
        let pr = self.params()?;
        let theta = theta.contiguous()?;
        let input = Input::new(bow, theta.dim(0)?, pr.v)?;
        let mut sums = HeadSums::new(pr.h);
        let (mean, dpre) = self.half(&pr, &theta, &input, -1.0, &mut sums)?;
        Ok(RealPass {
            theta,
            input,
            mean,
            dpre,
            sums,
        })
    }

    /// The fake half after [`Critic::real_pass`], then every parameter's gradient of the loss.
    pub(crate) fn fake_pass_and_gradients(
        &self,
        real: RealPass,
        fake: (&Tensor, Bow),
    ) -> Result<(f32, GradStore)> {
        let pr = self.params()?;
        let (h, k) = (pr.h, pr.k);
        let RealPass {
            theta: theta_real,
            input: input_real,
            mean: mean_real,
            dpre: dpre_real,
            mut sums,
        } = real;
        let theta_fake = fake.0.contiguous()?;
        let input_fake = Input::new(fake.1, theta_fake.dim(0)?, pr.v)?;
        let (mean_fake, dpre_fake) = self.half(&pr, &theta_fake, &input_fake, 1.0, &mut sums)?;
        // Weight gradients: the fake half's product fills a fresh buffer (no zeroing), the
        // real half's is added to it in place.
        let theta_grad = |theta: &Tensor, dpre: &[f32], acc: Option<&mut Vec<f32>>| -> Result<_> {
            let b = theta.dim(0)?;
            let tv = CpuView::new(theta)?;
            let dm = Mat {
                data: dpre,
                rs: 1,
                cs: h,
            };
            let tm = Mat {
                data: tv.data(),
                rs: k,
                cs: 1,
            };
            match acc {
                Some(g) => Ok(kernels::gemm_into(g, (h, k, b), dm, tm, true).map(|_| None)?),
                None => Ok(kernels::gemm_new((h, k, b), dm, tm).map(Some)?),
            }
        };
        let mut g_wt = theta_grad(&theta_fake, &dpre_fake, None)?.unwrap_or_default();
        theta_grad(&theta_real, &dpre_real, Some(&mut g_wt))?;
        let mut g_wb = input_fake.weight_gradient_new(&dpre_fake, h)?;
        input_real.weight_gradient(&dpre_real, h, &mut g_wb, true)?;
        let dev = Device::Cpu;
        let mut grads = GradStore::default();
        grads.insert(&self.theta_weight, Tensor::from_vec(g_wt, (h, k), &dev)?);
        grads.insert(&self.bow_weight, Tensor::from_vec(g_wb, (pr.v, h), &dev)?);
        sums.insert_into(&mut grads, self)?;
        Ok(((mean_fake - mean_real) as f32, grads))
    }

    /// One half of the critic's loss, `sign * mean D(theta, x)`: the mean score and the gradient
    /// of its first layer's output (every score's gradient is sign / B), head gradients added
    /// into `sums`.
    fn half(
        &self,
        pr: &Params,
        theta: &Tensor,
        input: &Input,
        sign: f64,
        sums: &mut HeadSums,
    ) -> Result<(f64, Vec<f32>)> {
        let b = input.rows();
        let pre = {
            let tv = CpuView::new(theta)?;
            let wt = CpuView::new(&self.theta_weight)?;
            let wb = CpuView::new(&self.bow_weight)?;
            self.first_layer(pr, wt.data(), wb.data(), tv.data(), input)?
        };
        let (mean, dpre, stats) = self.head_pass(pr, pre, b, (sign / b as f64) as f32, sums)?;
        self.move_running(&stats)?;
        Ok((mean, dpre))
    }

    /// Moves the running statistics of the critic's BatchNorm towards a batch's statistics (a
    /// pass of [`Critic::input_gradients`] leaves that to its caller).
    pub(crate) fn move_running(&self, stats: &BatchStats) -> Result<()> {
        self.block.bn.move_running(stats)
    }

    /// The mean score `mean D(theta, bow)` (BatchNorm in training mode) and the gradients of
    /// `d * sum D(theta, bow)` with respect to theta (`B x K`) and, when `want_bow`, to a dense
    /// bow (`B x V`), on the CPU: what the generator and encoder steps need of the critic, which
    /// they do not train. The running statistics are left alone: the batch statistics come back,
    /// for [`Critic::move_running`] (the two steps can then run side by side).
    pub(crate) fn input_gradients(
        &self,
        theta: &Tensor,
        bow: Bow,
        d: f32,
        want_bow: bool,
    ) -> Result<InputGradients> {
        let pr = self.params()?;
        let (h, k, v) = (pr.h, pr.k, pr.v);
        let wt = CpuView::new(&self.theta_weight)?;
        let wb = CpuView::new(&self.bow_weight)?;
        let theta = theta.contiguous()?;
        let tv = CpuView::new(&theta)?;
        let input = Input::new(bow, theta.dim(0)?, v)?;
        let b = input.rows();
        let pre = self.first_layer(&pr, wt.data(), wb.data(), tv.data(), &input)?;
        let (mean, dpre, stats) = self.head_pass(&pr, pre, b, d, &mut HeadSums::new(h))?;
        let dm = Mat {
            data: &dpre,
            rs: h,
            cs: 1,
        };
        let mut d_theta = vec![0f32; b * k];
        let wtm = Mat {
            data: wt.data(),
            rs: k,
            cs: 1,
        };
        kernels::gemm_into(&mut d_theta, (b, k, h), dm, wtm, false)?;
        let d_bow = if want_bow {
            Some(kernels::gemm_nt_new((b, v, h), &dpre, wb.data())?)
        } else {
            None
        };
        Ok(InputGradients {
            mean,
            d_theta,
            d_bow,
            stats,
        })
    }

    fn params(&self) -> Result<Params> {
        let (h, k) = self.theta_weight.dims2()?;
        let (v, _) = self.bow_weight.dims2()?;
        let b2 = self.out.bias.flatten_all()?.to_vec1::<f32>()?;
        Ok(Params {
            h,
            k,
            v,
            w2: self.out.weight.flatten_all()?.to_vec1()?,
            b2: b2.first().copied().unwrap_or(0.0),
        })
    }

    /// The first layer's product `bow Wb + theta Wt^T` (`B x H`; the block adds the bias).
    fn first_layer(
        &self,
        pr: &Params,
        wt: &[f32],
        wb: &[f32],
        theta: &[f32],
        input: &Input,
    ) -> Result<Vec<f32>> {
        let (h, k, b) = (pr.h, pr.k, input.rows());
        let mut pre = input.product(wb, h)?;
        let tm = Mat {
            data: theta,
            rs: k,
            cs: 1,
        };
        let wtm = Mat {
            data: wt,
            rs: 1,
            cs: k,
        };
        kernels::gemm_into(&mut pre, (b, h, k), tm, wtm, true)?;
        Ok(pre)
    }

    /// The block (bias, BatchNorm in training mode, LeakyReLU) and Linear(H, 1) on the first
    /// layer's product `xw`, then the backward pass with gradient `d` on every score: returns the
    /// mean score, the gradient of `xw` and the batch statistics (the running statistics are
    /// not moved here), adding the parameter gradients into `sums`.
    fn head_pass(
        &self,
        pr: &Params,
        xw: Vec<f32>,
        b: usize,
        d: f32,
        sums: &mut HeadSums,
    ) -> Result<(f64, Vec<f32>, BatchStats)> {
        let h = pr.h;
        let (block, stats) = self.block.cache_host_and_stats(xw, b)?;
        let (mut scores, mut act_sums) = (vec![0f32; b], vec![0f64; h]);
        let (pre, p) = (&block.pre, &block.p);
        kernels::head_forward(pre, p, (&pr.w2, pr.b2), SLOPE, &mut scores, &mut act_sums);
        let mean_score = scores.iter().map(|&s| s as f64).sum::<f64>() / b as f64;
        for (g, a) in sums.w2.iter_mut().zip(&act_sums) {
            *g += d as f64 * a;
        }
        sums.b2 += d as f64 * b as f64;
        // The gradient reaching the activations is d * w2 in every row.
        let dyc: Vec<f32> = pr.w2.iter().map(|&w| d * w).collect();
        // Row by row with a block copy (an element-wise iterator took a third of a millisecond).
        let mut dh = Vec::with_capacity(b * h);
        for _ in 0..b {
            dh.extend_from_slice(&dyc);
        }
        let dpre = self.block.backward_host(block, &dh, &mut sums.bn)?;
        Ok((mean_score, dpre, stats))
    }
    /// This critic with its parameters cut off from autograd: the same scores, gradients reach
    /// `theta` and `bow` only. The generator and encoder steps use it, so that they do no work for
    /// the critic's weight gradients (which they would throw away).
    pub fn frozen(&self) -> Critic {
        Critic {
            theta_weight: self.theta_weight.detach(),
            bow_weight: self.bow_weight.detach(),
            block: self.block.frozen(),
            out: self.out.frozen(),
            topics: self.topics,
        }
    }
}

/// What [`Critic::input_gradients`] returns: the mean score, the gradients at theta and (when
/// asked) at the documents, and the batch statistics its BatchNorm has not yet moved its running
/// statistics towards.
pub(crate) struct InputGradients {
    pub(crate) mean: f64,
    pub(crate) d_theta: Vec<f32>,
    pub(crate) d_bow: Option<Vec<f32>>,
    pub(crate) stats: BatchStats,
}

/// The critic's parameters that the fused passes read as host copies (all of size H or less).
struct Params {
    h: usize,
    k: usize,
    v: usize,
    w2: Vec<f32>,
    b2: f32,
}

/// The critic step's real half, computed before its fake half (see [`Critic::real_pass`]).
pub(crate) struct RealPass {
    theta: Tensor,
    input: Input,
    mean: f64,
    dpre: Vec<f32>,
    sums: HeadSums,
}

/// Gradient sums of the parameters after the first layer's products (f64, added over halves).
struct HeadSums {
    bn: kernels::BlockSums,
    w2: Vec<f64>,
    b2: f64,
}

impl HeadSums {
    fn new(h: usize) -> Self {
        HeadSums {
            bn: kernels::BlockSums::new(h),
            w2: vec![0.0; h],
            b2: 0.0,
        }
    }

    fn insert_into(self, grads: &mut GradStore, c: &Critic) -> Result<()> {
        let dev = Device::Cpu;
        let h = self.w2.len();
        c.block.insert_grads(self.bn, grads)?;
        let w2: Vec<f32> = self.w2.into_iter().map(|a| a as f32).collect();
        grads.insert(&c.out.weight, Tensor::from_vec(w2, (1, h), &dev)?);
        grads.insert(
            &c.out.bias,
            Tensor::from_vec(vec![self.b2 as f32], 1, &dev)?,
        );
        Ok(())
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

/// Name of the spectral constraint's power-iteration vector among the critic's variables: a
/// buffer, not a parameter ([`super::trainable_vars`] leaves it out).
pub(crate) const SPECTRAL_U: &str = "spectral_u";

/// Creates the spectral constraint's power-iteration vector `u` (H, standard normal) in the
/// critic's variables, under `fc1.spectral_u`; it is saved with the weights, so a resumed run
/// continues its iteration exactly.
pub(crate) fn spectral_vector(vb: VarBuilder, hidden: usize) -> Result<Tensor> {
    vb.pp("fc1").get_with_hints(
        hidden,
        SPECTRAL_U,
        Init::Randn {
            mean: 0.0,
            stdev: 1.0,
        },
    )
}

/// The spectral constraint (departs from the log, which clamps every critic weight to ±clip):
/// after each critic step, the largest singular value sigma of the first layer's weight
/// `[theta_weight | bow_weight^T]` (H x (K + V)) is estimated by one power-iteration step from
/// the stored `u` (Miyato et al. 2018's estimate), and both blocks are divided by sigma when it
/// exceeds 1; the output layer's weight (1 x H) is divided by its norm when that exceeds 1, and
/// BatchNorm's scale is clamped to [-1, 1]. A projection after the step (as weight clipping is),
/// not Miyato's reparametrisation: the gradients are the log's. Returns sigma before the
/// projection. Device-agnostic tensor operations, so both backends run this one function.
pub(crate) fn project_spectral(vars: &VarMap) -> Result<f64> {
    let data = vars.data().lock().expect("var map lock poisoned");
    let get = |name: &str| -> Result<Var> {
        data.get(name)
            .cloned()
            .ok_or_else(|| candle_core::Error::Msg(format!("critic variable `{name}` missing")))
    };
    let (tw, bw, u) = (
        get("fc1.theta_weight")?,
        get("fc1.bow_weight")?,
        get(&format!("fc1.{SPECTRAL_U}"))?,
    );
    let (w2, gamma) = (get("fc2.weight")?, get("bn.weight")?);
    let norm = super::ops::l2_norm;
    let (t, b) = (tw.as_tensor(), bw.as_tensor());
    let u_col = u.as_tensor().unsqueeze(1)?;
    // v = W^T u / |W^T u|, W^T u = [theta_weight^T u; bow_weight u].
    let (vt, vb) = (t.t()?.matmul(&u_col)?, b.matmul(&u_col)?);
    let nv = (norm(&vt)?.powi(2) + norm(&vb)?.powi(2)).sqrt().max(1e-12);
    let (vt, vb) = ((vt / nv)?, (vb / nv)?);
    // W v = theta_weight v_theta + bow_weight^T v_bow; sigma = |W v|, u = W v / sigma.
    let wv = (t.matmul(&vt)? + b.t()?.matmul(&vb)?)?;
    let sigma = norm(&wv)?.max(1e-12);
    u.set(&(wv.squeeze(1)? / sigma)?)?;
    if sigma > 1.0 {
        tw.set(&(t / sigma)?)?;
        bw.set(&(b / sigma)?)?;
    }
    let n2 = norm(w2.as_tensor())?;
    if n2 > 1.0 {
        w2.set(&(w2.as_tensor() / n2)?)?;
    }
    gamma.set(&gamma.as_tensor().clamp(-1f32, 1f32)?)?;
    Ok(sigma)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::corpus::SparseBatch;
    use crate::model::{seeded_var_builder, trainable_vars};
    use candle_nn::VarMap;

    /// Rows on the simplex: a sparse batch (a few words per row) and dense rows.
    fn batch(b: usize, v: usize, seed: u64) -> (SparseBatch, Tensor) {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        let (mut offsets, mut word_ids, mut values) = (vec![0], vec![], vec![]);
        let mut dense = vec![0f32; b * v];
        for r in 0..b {
            let mut words: Vec<u32> = (0..1 + next() % 6).map(|_| (next() % v) as u32).collect();
            words.sort_unstable();
            words.dedup();
            for &w in &words {
                word_ids.push(w);
                values.push(1.0 / words.len() as f32);
                dense[r * v + w as usize] = 1.0 / words.len() as f32;
            }
            offsets.push(word_ids.len());
        }
        let sparse = SparseBatch {
            offsets,
            word_ids,
            values,
            cols: v,
        };
        (
            sparse,
            Tensor::from_vec(dense, (b, v), &Device::Cpu).unwrap(),
        )
    }

    /// Rows on the simplex, deterministic for a seed.
    pub(crate) fn softmax_rows(b: usize, n: usize, seed: u64) -> Tensor {
        let x: Vec<f32> = (0..b * n)
            .map(|i| {
                let z = (i as u64 + 1)
                    .wrapping_mul(2654435761)
                    .wrapping_add(seed * 97)
                    % 1000;
                (z as f32 / 1000.0 - 0.5) * 4.0
            })
            .collect();
        let t = Tensor::from_vec(x, (b, n), &Device::Cpu).unwrap();
        candle_nn::ops::softmax(&t, 1).unwrap()
    }

    #[test]
    fn fused_loss_and_gradients_match_autograd() {
        let (v, k, h, b) = (37, 5, 24, 9);
        let dev = Device::Cpu;
        let vm = VarMap::new();
        let critic = Critic::new(seeded_var_builder(&vm, 7, &dev), v, k, h).unwrap();
        let (sparse, dense_real) = batch(b, v, 3);
        let theta_real = softmax_rows(b, k, 1);
        let theta_fake = softmax_rows(b, k, 2);
        let bow_fake = softmax_rows(b, v, 4);
        // Autograd on the same critic: the running statistics move twice, which the
        // training-mode scores do not read.
        let real = critic
            .score(&theta_real, Bow::Dense(&dense_real), true)
            .unwrap();
        let fake = critic
            .score(&theta_fake, Bow::Dense(&bow_fake), true)
            .unwrap();
        let loss = crate::loss::critic_loss(&real, &fake).unwrap();
        let expected = loss.backward().unwrap();
        let vars = trainable_vars(&vm);
        for real_bow in [Bow::Sparse(&sparse), Bow::Dense(&dense_real)] {
            let (value, grads) = critic
                .loss_and_gradients(
                    (&theta_real, real_bow),
                    (&theta_fake, Bow::Dense(&bow_fake)),
                )
                .unwrap();
            let want = loss.to_scalar::<f32>().unwrap();
            assert!((value - want).abs() < 1e-5, "loss {value} against {want}");
            assert_eq!(vars.len(), 7);
            for (name, var) in &vars {
                let got = grads.get(var.as_tensor()).unwrap().flatten_all().unwrap();
                let want = expected
                    .get(var.as_tensor())
                    .unwrap()
                    .flatten_all()
                    .unwrap();
                let scale = want
                    .abs()
                    .unwrap()
                    .max(0)
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap();
                let diff = (got - &want)
                    .unwrap()
                    .abs()
                    .unwrap()
                    .max(0)
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap();
                // The first layer's bias feeds BatchNorm, so its gradient is zero up to
                // rounding: an absolute floor covers that noise.
                assert!(
                    diff <= 1e-4 * scale.max(1e-2),
                    "{name}: max difference {diff} (largest gradient {scale})"
                );
            }
        }
    }

    #[test]
    fn fused_running_statistics_match_two_scores() {
        let (v, k, h, b) = (30, 4, 16, 8);
        let dev = Device::Cpu;
        let (vm_a, vm_b) = (VarMap::new(), VarMap::new());
        let a = Critic::new(seeded_var_builder(&vm_a, 1, &dev), v, k, h).unwrap();
        let c = Critic::new(seeded_var_builder(&vm_b, 1, &dev), v, k, h).unwrap();
        let (sparse, dense) = batch(b, v, 9);
        let (tr, tf, bf) = (
            softmax_rows(b, k, 1),
            softmax_rows(b, k, 2),
            softmax_rows(b, v, 3),
        );
        a.loss_and_gradients((&tr, Bow::Sparse(&sparse)), (&tf, Bow::Dense(&bf)))
            .unwrap();
        c.score(&tr, Bow::Dense(&dense), true).unwrap();
        c.score(&tf, Bow::Dense(&bf), true).unwrap();
        for name in ["bn.running_mean", "bn.running_var"] {
            let get = |vm: &VarMap| {
                vm.data().lock().unwrap()[name]
                    .as_tensor()
                    .to_vec1::<f32>()
                    .unwrap()
            };
            for (x, y) in get(&vm_a).iter().zip(get(&vm_b)) {
                assert!((x - y).abs() < 1e-6, "{name}: {x} against {y}");
            }
        }
    }

    /// The spectral projection, repeated, brings the first layer's largest singular value (300
    /// power-iteration steps in f64 on the whole H x (K + V) matrix) down to 1 from about 3, the
    /// output layer's norm to 1, BatchNorm's scale into [-1, 1]; weights already inside stay.
    #[test]
    fn spectral_projection_bounds_the_layers() {
        use candle_core::DType;
        let (v, k, h) = (37, 5, 16);
        let vm = VarMap::new();
        let _critic = Critic::new(seeded_var_builder(&vm, 4, &Device::Cpu), v, k, h).unwrap();
        spectral_vector(seeded_var_builder(&vm, 5, &Device::Cpu), h).unwrap();
        let data = vm.data().lock().unwrap().clone();
        let scale = |name: &str, by: f64| {
            let t = data[name].as_tensor();
            data[name].set(&(t * by).unwrap()).unwrap();
        };
        scale("fc1.theta_weight", 6.0);
        scale("fc1.bow_weight", 6.0);
        scale("fc2.weight", 6.0);
        scale("bn.weight", 3.0);
        let sigma = || {
            let t = data["fc1.theta_weight"]
                .as_tensor()
                .to_dtype(DType::F64)
                .unwrap();
            let b = data["fc1.bow_weight"]
                .as_tensor()
                .to_dtype(DType::F64)
                .unwrap();
            let w = Tensor::cat(&[t, b.t().unwrap()], 1).unwrap();
            let mut u = Tensor::ones((h, 1), DType::F64, &Device::Cpu).unwrap();
            let mut s = 0.0;
            for _ in 0..300 {
                let y = w.matmul(&w.t().unwrap().matmul(&u).unwrap()).unwrap();
                let n = crate::model::ops::l2_norm(&y).unwrap();
                s = n.sqrt();
                u = (y / n).unwrap();
            }
            s
        };
        let before = sigma();
        assert!(before > 2.0, "largest singular value {before} before");
        let first = project_spectral(&vm).unwrap();
        assert!(
            first > 1.0 && first <= before * (1.0 + 1e-9),
            "estimate {first}"
        );
        for _ in 0..30 {
            project_spectral(&vm).unwrap();
        }
        let after = sigma();
        assert!(
            (after - 1.0).abs() < 1e-3,
            "largest singular value {after} after"
        );
        let w2 = data["fc2.weight"]
            .as_tensor()
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap();
        assert!((w2.to_scalar::<f32>().unwrap().sqrt() - 1.0).abs() < 1e-5);
        let gamma = data["bn.weight"].as_tensor().to_vec1::<f32>().unwrap();
        assert!(gamma.iter().all(|g| g.abs() <= 1.0));
        // Inside the bounds, nothing moves but the iteration vector.
        let bias = data["fc1.bias"].as_tensor().to_vec1::<f32>().unwrap();
        project_spectral(&vm).unwrap();
        assert_eq!(data["fc1.bias"].as_tensor().to_vec1::<f32>().unwrap(), bias);
    }
}

use crate::corpus::SparseBatch;
use candle_core::{
    CpuStorage, CustomOp1, CustomOp2, Device, Layout, Module, ModuleT, Result, Shape, Tensor, Var,
};
use candle_nn::{Init, VarBuilder};
use rayon::prelude::*;
use std::sync::Arc;

/// A linear layer `y = x W^T + b` with PyTorch's default initialisation: weight and bias uniform
/// in `[-1/sqrt(fan_in), 1/sqrt(fan_in)]` (what the logged experiments started from). Its product
/// computes in the backward pass only the gradients that are needed ([`linear_t`]).
#[derive(Debug, Clone)]
pub(crate) struct Linear {
    weight: Tensor,
    bias: Tensor,
}

impl Linear {
    pub(crate) fn new(fan_in: usize, fan_out: usize, vb: VarBuilder) -> Result<Self> {
        let bound = 1.0 / (fan_in as f64).sqrt();
        let init = Init::Uniform {
            lo: -bound,
            up: bound,
        };
        Ok(Linear {
            weight: vb.get_with_hints((fan_out, fan_in), "weight", init)?,
            bias: vb.get_with_hints(fan_out, "bias", init)?,
        })
    }

    /// The same layer with its parameters cut off from autograd: gradients reach the input only.
    /// Used where a network is a path for another network's gradients (the critic in the
    /// generator and encoder steps), so that no work is spent on its own weight gradients.
    pub(crate) fn frozen(&self) -> Self {
        Linear {
            weight: self.weight.detach(),
            bias: self.bias.detach(),
        }
    }
}

impl Module for Linear {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        super::kernels::bias_add(&linear_t(xs, &self.weight)?, &self.bias)
    }
}

/// `x @ w^T` whose backward pass computes the gradient of an input only when that input needs
/// one, and the weight's gradient directly in the weight's layout. candle's own matmul backward
/// always computes both input gradients and then adds a transposed one, which costs about three
/// times the useful work for a layer whose input is data. Other devices use candle's matmul.
pub(crate) fn linear_t(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    if !x.device().is_cpu() {
        return x.matmul(&w.t()?);
    }
    let y = x.detach().matmul(&w.detach().t()?)?;
    if !(x.track_op() || w.track_op()) {
        return Ok(y);
    }
    x.apply_op2(w, LeanLinear { y })
}

struct LeanLinear {
    y: Tensor,
}

impl CustomOp2 for LeanLinear {
    fn name(&self) -> &'static str {
        "lean-linear"
    }

    fn cpu_fwd(
        &self,
        _s1: &CpuStorage,
        _l1: &Layout,
        _s2: &CpuStorage,
        _l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        // The product was computed before the op was recorded; hand it over.
        let (storage, layout) = self.y.storage_and_layout();
        match &*storage {
            candle_core::Storage::Cpu(s)
                if layout.is_contiguous() && layout.start_offset() == 0 =>
            {
                Ok((s.clone(), layout.shape().clone()))
            }
            _ => candle_core::bail!("lean-linear: expected a contiguous CPU product"),
        }
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let gx = if x.track_op() {
            Some(grad.matmul(&w.detach())?)
        } else {
            None
        };
        let gw = if w.track_op() {
            Some(grad.t()?.matmul(&x.detach())?)
        } else {
            None
        };
        Ok((gx, gw))
    }
}

/// LeakyReLU with negative slope 0.01, as the blocks use.
pub(crate) fn leaky_relu(xs: &Tensor) -> Result<Tensor> {
    super::kernels::leaky_relu(xs, 0.01)
}

/// BatchNorm1d as PyTorch has it: batch statistics in training mode (biased variance for the
/// normalisation, unbiased for the running estimate, momentum 0.1, eps 1e-5), running statistics
/// in inference mode. The running statistics live in the same [`candle_nn::VarMap`] (so checkpoints
/// hold them) under `running_mean` / `running_var`, which optimisers and clipping skip.
#[derive(Debug, Clone)]
pub struct BatchNorm1d {
    weight: Tensor,
    bias: Tensor,
    running_mean: Var,
    running_var: Var,
    eps: f64,
    momentum: f64,
}

impl BatchNorm1d {
    /// A BatchNorm1d over `features` channels: scale 1, shift 0, running mean 0, running variance 1.
    pub fn new(features: usize, vb: VarBuilder) -> Result<Self> {
        let weight = vb.get_with_hints(features, "weight", Init::Const(1.0))?;
        let bias = vb.get_with_hints(features, "bias", Init::Const(0.0))?;
        let running_mean =
            Var::from_tensor(&vb.get_with_hints(features, "running_mean", Init::Const(0.0))?)?;
        let running_var =
            Var::from_tensor(&vb.get_with_hints(features, "running_var", Init::Const(1.0))?)?;
        Ok(BatchNorm1d {
            weight,
            bias,
            running_mean,
            running_var,
            eps: 1e-5,
            momentum: 0.1,
        })
    }

    /// The same layer with scale and shift cut off from autograd (see the critic's frozen pass).
    pub(crate) fn frozen(&self) -> Self {
        BatchNorm1d {
            weight: self.weight.detach(),
            bias: self.bias.detach(),
            ..self.clone()
        }
    }
}

impl ModuleT for BatchNorm1d {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Result<Tensor> {
        if train && xs.device().is_cpu() {
            let n = xs.dim(0)?;
            if n < 2 {
                candle_core::bail!("BatchNorm1d in training mode needs at least 2 rows, got {n}");
            }
            let (y, mean, var) =
                super::kernels::batch_norm_train(xs, &self.weight, &self.bias, self.eps)?;
            let m = self.momentum;
            let dev = xs.device();
            let f = |v: Vec<f64>| {
                Tensor::from_vec(
                    v.into_iter().map(|a| a as f32).collect::<Vec<f32>>(),
                    mean.len(),
                    dev,
                )
            };
            let unbiased: Vec<f64> = var
                .iter()
                .map(|v| v * n as f64 / (n as f64 - 1.0))
                .collect();
            let new_mean =
                ((self.running_mean.as_tensor() * (1.0 - m))? + (f(mean.clone())? * m)?)?;
            let new_var = ((self.running_var.as_tensor() * (1.0 - m))? + (f(unbiased)? * m)?)?;
            self.running_mean.set(&new_mean)?;
            self.running_var.set(&new_var)?;
            return Ok(y);
        }
        let (mean, var) = if train {
            let n = xs.dim(0)?;
            if n < 2 {
                candle_core::bail!("BatchNorm1d in training mode needs at least 2 rows, got {n}");
            }
            let mean = xs.mean_keepdim(0)?;
            let centred = xs.broadcast_sub(&mean)?;
            let var = centred.sqr()?.mean_keepdim(0)?;
            // Running statistics are buffers: updated outside the autograd graph.
            let m = self.momentum;
            let unbiased = (var.detach() * (n as f64 / (n as f64 - 1.0)))?.squeeze(0)?;
            let new_mean =
                ((self.running_mean.as_tensor() * (1.0 - m))? + (mean.detach().squeeze(0)? * m)?)?;
            let new_var = ((self.running_var.as_tensor() * (1.0 - m))? + (unbiased * m)?)?;
            self.running_mean.set(&new_mean)?;
            self.running_var.set(&new_var)?;
            (mean, var)
        } else {
            (
                self.running_mean.as_tensor().unsqueeze(0)?,
                self.running_var.as_tensor().unsqueeze(0)?,
            )
        };
        let normed = xs
            .broadcast_sub(&mean)?
            .broadcast_div(&(var + self.eps)?.sqrt()?)?;
        normed
            .broadcast_mul(&self.weight.unsqueeze(0)?)?
            .broadcast_add(&self.bias.unsqueeze(0)?)
    }
}

/// A batch of documents as a network's input: dense, or sparse (CSR) for the first layers that can
/// exploit it on the CPU (real documents are about 96% zeros).
#[derive(Debug, Clone, Copy)]
pub enum Bow<'a> {
    /// A dense `B x V` tensor.
    Dense(&'a Tensor),
    /// The same rows in CSR form.
    Sparse(&'a SparseBatch),
}

impl Bow<'_> {
    /// `bow @ weight` for an input-major `(V x out)` weight: a sparse product on the CPU, dense
    /// elsewhere.
    pub(crate) fn matmul(&self, weight: &Tensor) -> Result<Tensor> {
        match self {
            Bow::Dense(x) => linear_n(x, weight),
            Bow::Sparse(x) => sparse_matmul(x, weight),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> Result<usize> {
        match self {
            Bow::Dense(x) => x.dim(0),
            Bow::Sparse(x) => Ok(x.rows()),
        }
    }
}

/// `x @ w` for an input-major `(in x out)` weight, with the lean gradients of [`linear_t`].
pub(crate) fn linear_n(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    if !x.device().is_cpu() {
        return x.matmul(w);
    }
    let y = x.detach().matmul(&w.detach())?;
    if !(x.track_op() || w.track_op()) {
        return Ok(y);
    }
    x.apply_op2(w, LeanLinearN { y })
}

struct LeanLinearN {
    y: Tensor,
}

impl CustomOp2 for LeanLinearN {
    fn name(&self) -> &'static str {
        "lean-linear-n"
    }

    fn cpu_fwd(
        &self,
        _s1: &CpuStorage,
        _l1: &Layout,
        _s2: &CpuStorage,
        _l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        hand_over(&self.y)
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let gx = if x.track_op() {
            Some(grad.matmul(&w.detach().t()?)?)
        } else {
            None
        };
        let gw = if w.track_op() {
            Some(x.detach().t()?.matmul(grad)?)
        } else {
            None
        };
        Ok((gx, gw))
    }
}

/// A product computed before its op was recorded, handed over as the op's output.
fn hand_over(y: &Tensor) -> Result<(CpuStorage, Shape)> {
    let (storage, layout) = y.storage_and_layout();
    match &*storage {
        candle_core::Storage::Cpu(s) if layout.is_contiguous() && layout.start_offset() == 0 => {
            Ok((s.clone(), layout.shape().clone()))
        }
        _ => candle_core::bail!("expected a contiguous CPU product"),
    }
}

/// `x @ weight` for a sparse `B x V` batch and a dense input-major `(V x out)` weight, giving
/// `B x out`, with the weight's gradient `x^T grad` computed sparsely too. Costs O(nnz * out)
/// instead of O(B * V * out). On a non-CPU device it falls back to the dense product.
///
/// ```
/// use candle_core::{Device, Tensor};
/// use gcatm::corpus::SparseBatch;
/// let x = SparseBatch { offsets: vec![0, 1, 3], word_ids: vec![2, 0, 1], values: vec![1.0, 0.5, 0.5], cols: 3 };
/// let w = Tensor::new(&[[1f32, 4.], [2., 5.], [3., 6.]], &Device::Cpu).unwrap();
/// let y = gcatm::model::sparse_matmul(&x, &w).unwrap();
/// assert_eq!(y.to_vec2::<f32>().unwrap(), vec![vec![3.0, 6.0], vec![1.5, 4.5]]);
/// ```
pub fn sparse_matmul(x: &SparseBatch, weight: &Tensor) -> Result<Tensor> {
    let (v, _out) = weight.dims2()?;
    if v != x.cols {
        candle_core::bail!(
            "sparse batch has {} columns but the weight has {v} inputs",
            x.cols
        );
    }
    match weight.device() {
        Device::Cpu => weight.contiguous()?.apply_op1(SparseMatmul {
            x: Arc::new(x.clone()),
        }),
        d => x
            .to_dense(d)
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?
            .matmul(weight),
    }
}

struct SparseMatmul {
    x: Arc<SparseBatch>,
}

impl CustomOp1 for SparseMatmul {
    fn name(&self) -> &'static str {
        "sparse-matmul"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let w = match storage {
            CpuStorage::F32(w) => w,
            _ => candle_core::bail!("sparse-matmul: only f32 weights"),
        };
        let (_v, out) = layout.shape().dims2()?;
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("sparse-matmul: the weight must be contiguous")
        };
        let w = &w[start..end];
        let x = &self.x;
        let rows = x.rows();
        // Blocks of BLOCK output units: a block's slice of the weight (V x BLOCK) stays in L2
        // while every non-zero of the batch adds one BLOCK-wide piece of a row (SIMD-friendly).
        // Each output is written by one thread, in a fixed order: deterministic sums.
        let blocks: Vec<Vec<f32>> = (0..out.div_ceil(BLOCK))
            .into_par_iter()
            .map(|blk| {
                let o0 = blk * BLOCK;
                let bw = BLOCK.min(out - o0);
                let mut yb = vec![0f32; rows * bw];
                for (r, acc) in yb.chunks_exact_mut(bw).enumerate() {
                    for i in x.offsets[r]..x.offsets[r + 1] {
                        let val = x.values[i];
                        let t = &w[x.word_ids[i] as usize * out + o0..][..bw];
                        for (a, b) in acc.iter_mut().zip(t) {
                            *a += val * b;
                        }
                    }
                }
                yb
            })
            .collect();
        let mut y = vec![0f32; rows * out];
        for (blk, yb) in blocks.iter().enumerate() {
            let o0 = blk * BLOCK;
            let bw = BLOCK.min(out - o0);
            for r in 0..rows {
                y[r * out + o0..r * out + o0 + bw].copy_from_slice(&yb[r * bw..(r + 1) * bw]);
            }
        }
        Ok((CpuStorage::F32(y), Shape::from((rows, out))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        let (v, out) = arg.dims2()?;
        let g: Vec<f32> = grad_res
            .to_device(&Device::Cpu)?
            .contiguous()?
            .flatten_all()?
            .to_vec1()?;
        let x = &self.x;
        // grad_W[j, :] = sum over the non-zeros x[r, j] of x[r, j] * grad[r, :]: index the
        // non-zeros by word so that each row of grad_W is written by one thread.
        let mut by_word: Vec<Vec<(u32, f32)>> = vec![Vec::new(); v];
        for r in 0..x.rows() {
            for i in x.offsets[r]..x.offsets[r + 1] {
                by_word[x.word_ids[i] as usize].push((r as u32, x.values[i]));
            }
        }
        let mut gw = vec![0f32; v * out];
        gw.par_chunks_mut(out)
            .zip(by_word.par_iter())
            .for_each(|(row, entries)| {
                for &(r, val) in entries {
                    let gr = &g[r as usize * out..][..out];
                    for (a, b) in row.iter_mut().zip(gr) {
                        *a += val * b;
                    }
                }
            });
        Ok(Some(Tensor::from_vec(gw, (v, out), arg.device())?))
    }
}

/// Output units per block of the sparse product: a V x 64 slice (~480 KB for V = 1883) fits in L2.
const BLOCK: usize = 64;

/// A block: Linear -> BatchNorm1d -> LeakyReLU(0.01), applied after a first linear map computed by
/// the caller (dense or sparse).
pub(crate) fn block_tail(pre: &Tensor, bn: &BatchNorm1d, train: bool) -> Result<Tensor> {
    leaky_relu(&bn.forward_t(pre, train)?)
}

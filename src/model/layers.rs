use crate::corpus::SparseBatch;
use candle_core::{CpuStorage, CustomOp1, Device, Layout, ModuleT, Result, Shape, Tensor, Var};
use candle_nn::{Init, Linear, VarBuilder};
use rayon::prelude::*;
use std::sync::Arc;

/// A linear layer with PyTorch's default initialisation: weight and bias uniform in
/// `[-1/sqrt(fan_in), 1/sqrt(fan_in)]` (what the logged experiments started from).
pub(crate) fn linear(fan_in: usize, fan_out: usize, vb: VarBuilder) -> Result<Linear> {
    let bound = 1.0 / (fan_in as f64).sqrt();
    let init = Init::Uniform {
        lo: -bound,
        up: bound,
    };
    let w = vb.get_with_hints((fan_out, fan_in), "weight", init)?;
    let b = vb.get_with_hints(fan_out, "bias", init)?;
    Ok(Linear::new(w, Some(b)))
}

/// LeakyReLU with negative slope 0.01, as the blocks use.
pub(crate) fn leaky_relu(xs: &Tensor) -> Result<Tensor> {
    candle_nn::ops::leaky_relu(xs, 0.01)
}

/// The same linear layer with its weights cut off from autograd: gradients reach the input only.
/// Used where a network is a path for another network's gradients (the critic in the generator
/// and encoder steps), so that no work is spent on its own weight gradients.
pub(crate) fn frozen_linear(l: &Linear) -> Linear {
    Linear::new(l.weight().detach(), l.bias().map(|b| b.detach()))
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
    /// `bow @ weight^T` for a `(out x V)` weight: a sparse product on the CPU, dense elsewhere.
    pub(crate) fn matmul_t(&self, weight: &Tensor) -> Result<Tensor> {
        match self {
            Bow::Dense(x) => x.matmul(&weight.t()?),
            Bow::Sparse(x) => sparse_matmul_t(x, weight),
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

/// `x @ weight^T` for a sparse `B x V` batch and a dense `(out x V)` weight, giving `B x out`, with
/// the weight's gradient `grad^T x` computed sparsely too. Costs O(nnz * out) instead of
/// O(B * V * out). On a non-CPU device it falls back to the dense product.
///
/// ```
/// use candle_core::{Device, Tensor};
/// use gcatm::corpus::SparseBatch;
/// let x = SparseBatch { offsets: vec![0, 1, 3], word_ids: vec![2, 0, 1], values: vec![1.0, 0.5, 0.5], cols: 3 };
/// let w = Tensor::new(&[[1f32, 2., 3.], [4., 5., 6.]], &Device::Cpu).unwrap();
/// let y = gcatm::model::sparse_matmul_t(&x, &w).unwrap();
/// assert_eq!(y.to_vec2::<f32>().unwrap(), vec![vec![3.0, 6.0], vec![1.5, 4.5]]);
/// ```
pub fn sparse_matmul_t(x: &SparseBatch, weight: &Tensor) -> Result<Tensor> {
    let (_out, v) = weight.dims2()?;
    if v != x.cols {
        candle_core::bail!(
            "sparse batch has {} columns but the weight has {v} inputs",
            x.cols
        );
    }
    match weight.device() {
        Device::Cpu => weight.apply_op1(SparseMatmulT {
            x: Arc::new(x.clone()),
        }),
        d => x
            .to_dense(d)
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?
            .matmul(&weight.t()?),
    }
}

struct SparseMatmulT {
    x: Arc<SparseBatch>,
}

impl CustomOp1 for SparseMatmulT {
    fn name(&self) -> &'static str {
        "sparse-matmul-t"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let w = match storage {
            CpuStorage::F32(w) => w,
            _ => candle_core::bail!("sparse-matmul-t: only f32 weights"),
        };
        let (out, v) = layout.shape().dims2()?;
        let [s0, s1] = <[usize; 2]>::try_from(layout.stride())
            .map_err(|_| candle_core::Error::Msg("sparse-matmul-t: weight must be 2-D".into()))?;
        let start = layout.start_offset();
        // Transposed copy (V x out) so that each non-zero reads one contiguous row.
        let mut wt = vec![0f32; v * out];
        wt.par_chunks_mut(out).enumerate().for_each(|(j, row)| {
            for (o, r) in row.iter_mut().enumerate() {
                *r = w[start + o * s0 + j * s1];
            }
        });
        let x = &self.x;
        let rows = x.rows();
        let mut y = vec![0f32; rows * out];
        // Rows are independent: parallel over rows keeps the sums in a fixed order (deterministic).
        y.par_chunks_mut(out).enumerate().for_each(|(r, acc)| {
            for i in x.offsets[r]..x.offsets[r + 1] {
                let val = x.values[i];
                let wr = &wt[x.word_ids[i] as usize * out..][..out];
                for (a, b) in acc.iter_mut().zip(wr) {
                    *a += val * b;
                }
            }
        });
        Ok((CpuStorage::F32(y), Shape::from((rows, out))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        let (out, v) = arg.dims2()?;
        let g = grad_res.to_device(&Device::Cpu)?.contiguous()?;
        let g: Vec<f32> = g.flatten_all()?.to_vec1()?;
        let x = &self.x;
        // grad_W^T (V x out): row j gathers the rows of grad_res whose document holds word j.
        // Build a column index first so that each output row is written by one thread.
        let mut by_word: Vec<Vec<(u32, f32)>> = vec![Vec::new(); v];
        for r in 0..x.rows() {
            for i in x.offsets[r]..x.offsets[r + 1] {
                by_word[x.word_ids[i] as usize].push((r as u32, x.values[i]));
            }
        }
        let mut gt = vec![0f32; v * out];
        gt.par_chunks_mut(out)
            .zip(by_word.par_iter())
            .for_each(|(row, entries)| {
                for &(r, val) in entries {
                    let gr = &g[r as usize * out..][..out];
                    for (a, b) in row.iter_mut().zip(gr) {
                        *a += val * b;
                    }
                }
            });
        let gt = Tensor::from_vec(gt, (v, out), arg.device())?;
        Ok(Some(gt.t()?.contiguous()?))
    }
}

/// A block: Linear -> BatchNorm1d -> LeakyReLU(0.01), applied after a first linear map computed by
/// the caller (dense or sparse).
pub(crate) fn block_tail(pre: &Tensor, bn: &BatchNorm1d, train: bool) -> Result<Tensor> {
    leaky_relu(&bn.forward_t(pre, train)?)
}

/// Applies a [`Linear`]'s bias to a pre-activation computed without it.
pub(crate) fn add_bias(pre: Tensor, l: &Linear) -> Result<Tensor> {
    match l.bias() {
        Some(b) => pre.broadcast_add(b),
        None => Ok(pre),
    }
}

use crate::corpus::SparseBatch;
use crate::kernels::{self, BlockSums, BnConsts};
use candle_core::backprop::GradStore;
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
    pub(crate) weight: Tensor,
    pub(crate) bias: Tensor,
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

    /// The backward pass of `y = x W^T + b` on host buffers (the fused CPU steps): from the
    /// input `x` (rows x in) and the gradient at the output `d_out` (rows x out), inserts
    /// dW = d_out^T x and db (column sums) into `grads` and returns dx = d_out W (rows x in).
    pub(crate) fn backward_host(
        &self,
        x: &[f32],
        d_out: &[f32],
        rows: usize,
        grads: &mut GradStore,
    ) -> Result<Vec<f32>> {
        let (n, h) = self.weight.dims2()?;
        let g_w = kernels::gemm_new(
            (n, h, rows),
            kernels::Mat {
                data: d_out,
                rs: 1,
                cs: n,
            },
            kernels::Mat {
                data: x,
                rs: h,
                cs: 1,
            },
        )?;
        let g_b: Vec<f32> = kernels::col_sums(d_out, n)
            .into_iter()
            .map(|a| a as f32)
            .collect();
        let w = super::ops::CpuView::new(&self.weight)?;
        let dx = kernels::gemm_new(
            (rows, h, n),
            kernels::Mat {
                data: d_out,
                rs: n,
                cs: 1,
            },
            kernels::Mat {
                data: w.data(),
                rs: h,
                cs: 1,
            },
        )?;
        drop(w);
        grads.insert(&self.weight, Tensor::from_vec(g_w, (n, h), &Device::Cpu)?);
        grads.insert(&self.bias, Tensor::from_vec(g_b, n, &Device::Cpu)?);
        Ok(dx)
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
        super::ops::bias_add(&linear_t(xs, &self.weight)?, &self.bias)
    }
}

/// `x @ w^T` whose backward pass computes the gradient of an input only when that input needs
/// one, and the weight's gradient directly in the weight's layout. candle's own matmul backward
/// always computes both input gradients and then adds a transposed one, which costs about three
/// times the useful work for a layer whose input is data. Other devices use candle's matmul.
pub(crate) fn linear_t(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    lean_product(x, w, true)
}

/// `x @ w` (`w^T` when `transposed`) with the lean gradients of [`linear_t`].
fn lean_product(x: &Tensor, w: &Tensor, transposed: bool) -> Result<Tensor> {
    let wt = if transposed { w.t()? } else { w.clone() };
    if !super::ops::on_host(x) {
        return x.matmul(&wt);
    }
    let y = x.detach().matmul(&wt.detach())?;
    if !(x.track_op() || w.track_op()) {
        return Ok(y);
    }
    x.apply_op2(w, LeanProduct { y, transposed })
}

/// The product recorded by [`lean_product`]: its value was computed before the op was recorded.
struct LeanProduct {
    y: Tensor,
    transposed: bool,
}

impl CustomOp2 for LeanProduct {
    fn name(&self) -> &'static str {
        "lean-product"
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
        // y = x w^T: dx = g w, dw = g^T x. y = x w: dx = g w^T, dw = x^T g.
        let gx = if x.track_op() {
            let w = w.detach();
            Some(grad.matmul(&if self.transposed { w } else { w.t()? })?)
        } else {
            None
        };
        let gw = if w.track_op() {
            let x = x.detach();
            Some(if self.transposed {
                grad.t()?.matmul(&x)?
            } else {
                x.t()?.matmul(grad)?
            })
        } else {
            None
        };
        Ok((gx, gw))
    }
}

/// The negative slope of every LeakyReLU of the networks (PyTorch's default, as the log's code had
/// it); the fused passes use it too.
pub(crate) const LEAKY_SLOPE: f32 = 0.01;

/// LeakyReLU with negative slope [`LEAKY_SLOPE`], as the blocks use.
pub(crate) fn leaky_relu(xs: &Tensor) -> Result<Tensor> {
    super::ops::leaky_relu(xs, LEAKY_SLOPE)
}

/// A batch's statistics for a BatchNorm's running estimates: the column means and biased
/// variances over `rows` rows.
#[derive(Debug, Clone)]
pub(crate) struct BatchStats {
    mean: Vec<f64>,
    var: Vec<f64>,
    rows: usize,
}

/// BatchNorm1d as PyTorch has it: batch statistics in training mode (biased variance for the
/// normalisation, unbiased for the running estimate, momentum 0.1, eps 1e-5), running statistics
/// in inference mode. The running statistics live in the same [`candle_nn::VarMap`] (so checkpoints
/// hold them) under `running_mean` / `running_var`, which optimisers and clipping skip.
#[derive(Debug, Clone)]
pub struct BatchNorm1d {
    pub(crate) weight: Tensor,
    pub(crate) bias: Tensor,
    running_mean: Var,
    running_var: Var,
    pub(crate) eps: f64,
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

    /// This layer with another `eps` (added to the variance) and `momentum` (of the running
    /// statistics) than PyTorch's defaults 1e-5 and 0.1: ProdLDA uses 1e-3 and 1e-3, TensorFlow's
    /// `batch_norm` defaults, as its authors' code did.
    ///
    /// ```
    /// use candle_core::{Device, Module, ModuleT, Tensor};
    /// use candle_nn::VarMap;
    /// let vm = VarMap::new();
    /// let vb = gcatm::model::seeded_var_builder(&vm, 0, &Device::Cpu);
    /// let bn = gcatm::model::BatchNorm1d::new(2, vb).unwrap().with_eps_momentum(1e-3, 1e-3);
    /// let x = Tensor::new(&[[1f32, 2.], [3., 6.]], &Device::Cpu).unwrap();
    /// let y = bn.forward_t(&x, true).unwrap().to_vec2::<f32>().unwrap();
    /// assert!((y[0][0] + 1.0).abs() < 1e-3 && (y[1][1] - 1.0).abs() < 1e-3);
    /// ```
    pub fn with_eps_momentum(mut self, eps: f64, momentum: f64) -> Self {
        self.eps = eps;
        self.momentum = momentum;
        self
    }

    /// This layer in training mode on `pre` followed by the multinomial negative
    /// log-likelihood of the counts `x` under the softmax of its output (ProdLDA's decoder):
    /// one loss per row. The running statistics move as [`ModuleT::forward_t`] moves them. On
    /// the CPU the two run as one op; elsewhere they are composed of candle's ops.
    pub(crate) fn train_multinomial_nll(&self, pre: &Tensor, x: &SparseBatch) -> Result<Tensor> {
        let n = pre.dim(0)?;
        if n < 2 {
            candle_core::bail!("BatchNorm1d in training mode needs at least 2 rows, got {n}");
        }
        if !super::ops::on_host(pre) {
            return super::ops::multinomial_nll(&self.forward_t(pre, true)?, x);
        }
        let (loss, mean, var) =
            super::ops::batch_norm_nll(pre, &self.weight, &self.bias, self.eps, x)?;
        self.update_running(&mean, &var, n)?;
        Ok(loss)
    }

    /// Moves the running statistics towards a batch's mean and biased variance (over `n` rows):
    /// `running = (1 - momentum) * running + momentum * batch`, the variance made unbiased first.
    pub(crate) fn update_running(&self, mean: &[f64], var: &[f64], n: usize) -> Result<()> {
        let m = self.momentum;
        let dev = self.running_mean.device();
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
        let new_mean = ((self.running_mean.as_tensor() * (1.0 - m))? + (f(mean.to_vec())? * m)?)?;
        let new_var = ((self.running_var.as_tensor() * (1.0 - m))? + (f(unbiased)? * m)?)?;
        self.running_mean.set(&new_mean)?;
        self.running_var.set(&new_var)
    }

    /// The training-mode constants of this layer for a host batch `pre` (row-major, `rows` rows):
    /// its batch statistics with the current scale and shift. The running statistics are left
    /// alone: the batch's statistics come back, for [`BatchNorm1d::move_running`] (passes that
    /// run side by side move them afterwards, in their sequential order).
    pub(crate) fn train_consts(
        &self,
        pre: &[f32],
        rows: usize,
    ) -> Result<(crate::kernels::BnConsts, BatchStats)> {
        let n = pre.len() / rows.max(1);
        let (mean, var) = crate::kernels::column_stats(pre, n);
        let gamma: Vec<f32> = self.weight.to_vec1()?;
        let beta: Vec<f32> = self.bias.to_vec1()?;
        let p = crate::kernels::BnConsts::new(&mean, &var, self.eps, &gamma, &beta);
        Ok((p, BatchStats { mean, var, rows }))
    }

    /// Moves the running statistics towards a batch's statistics.
    pub(crate) fn move_running(&self, stats: &BatchStats) -> Result<()> {
        self.update_running(&stats.mean, &stats.var, stats.rows)
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
        if train && super::ops::on_host(xs) {
            let n = xs.dim(0)?;
            if n < 2 {
                candle_core::bail!("BatchNorm1d in training mode needs at least 2 rows, got {n}");
            }
            let (y, mean, var) =
                super::ops::batch_norm_train(xs, &self.weight, &self.bias, self.eps)?;
            self.update_running(&mean, &var, n)?;
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
    lean_product(x, w, false)
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
            x: Arc::new(ByWord::new(x)),
        }),
        d => x
            .to_dense(d)
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?
            .matmul(weight),
    }
}

/// A batch of documents for the fused passes: grouped by word (sparse) or a contiguous dense
/// tensor.
pub(crate) enum Input {
    Sparse(ByWord),
    Dense(Tensor),
}

impl Input {
    pub(crate) fn new(bow: Bow, rows: usize, v: usize) -> Result<Input> {
        let input = match bow {
            Bow::Sparse(x) => {
                if x.cols != v {
                    candle_core::bail!("a batch of {} words for V = {v}", x.cols);
                }
                Input::Sparse(ByWord::new(x))
            }
            Bow::Dense(x) => {
                if x.dims2()? != (rows, v) {
                    candle_core::bail!("bow is {:?}, expected ({rows}, {v})", x.dims());
                }
                Input::Dense(x.contiguous()?)
            }
        };
        if input.rows() != rows {
            candle_core::bail!("{} documents for {rows} rows of theta", input.rows());
        }
        Ok(input)
    }

    pub(crate) fn rows(&self) -> usize {
        match self {
            Input::Sparse(bw) => bw.rows,
            Input::Dense(x) => x.dims().first().copied().unwrap_or(0),
        }
    }

    /// `x @ w` for a row-major `(V x out)` weight.
    pub(crate) fn product(&self, w: &[f32], out: usize) -> Result<Vec<f32>> {
        match self {
            Input::Sparse(bw) => Ok(sparse_product(bw, w, out)),
            Input::Dense(x) => {
                let (b, v) = x.dims2()?;
                let xv = super::ops::CpuView::new(x)?;
                let xm = crate::kernels::Mat {
                    data: xv.data(),
                    rs: v,
                    cs: 1,
                };
                let wm = crate::kernels::Mat {
                    data: w,
                    rs: out,
                    cs: 1,
                };
                Ok(crate::kernels::gemm_new((b, out, v), xm, wm)?)
            }
        }
    }

    /// The weight gradient `x^T g` (`V x out`) in a fresh buffer.
    pub(crate) fn weight_gradient_new(&self, g: &[f32], out: usize) -> Result<Vec<f32>> {
        match self {
            Input::Sparse(bw) => {
                // Added onto calloc's zeros: one zeroing, not two.
                let mut gw = vec![0f32; bw.cols * out];
                self.weight_gradient(g, out, &mut gw, true)?;
                Ok(gw)
            }
            Input::Dense(x) => dense_gradient(x, g, out, |dims, xt, gm| {
                Ok(crate::kernels::gemm_new(dims, xt, gm)?)
            }),
        }
    }

    /// The weight gradient `x^T g` (`V x out`) written over `gw`, or added to it when
    /// `accumulate`.
    pub(crate) fn weight_gradient(
        &self,
        g: &[f32],
        out: usize,
        gw: &mut [f32],
        accumulate: bool,
    ) -> Result<()> {
        match self {
            Input::Sparse(bw) => {
                if g.len() != bw.rows * out || gw.len() != bw.cols * out {
                    candle_core::bail!("sparse weight gradient: sizes do not match");
                }
                sparse_weight_gradient(bw, g, out, gw, accumulate);
                Ok(())
            }
            Input::Dense(x) => dense_gradient(x, g, out, |dims, xt, gm| {
                Ok(crate::kernels::gemm_into(gw, dims, xt, gm, accumulate)?)
            }),
        }
    }
}

/// Calls `product` with the dimensions and operands of a dense batch's weight gradient `x^T g`
/// (`V x out`): the one place that lays them out for both forms of [`Input::weight_gradient`].
fn dense_gradient<R>(
    x: &Tensor,
    g: &[f32],
    out: usize,
    product: impl FnOnce((usize, usize, usize), crate::kernels::Mat, crate::kernels::Mat) -> Result<R>,
) -> Result<R> {
    let (b, v) = x.dims2()?;
    let xv = super::ops::CpuView::new(x)?;
    let xt = crate::kernels::Mat {
        data: xv.data(),
        rs: 1,
        cs: v,
    };
    let gm = crate::kernels::Mat {
        data: g,
        rs: out,
        cs: 1,
    };
    product((v, out, b), xt, gm)
}

/// The non-zeros of a sparse batch grouped by word (compressed sparse columns).
///
/// Both products then walk the weight (or its gradient) row by row, in memory order: each weight
/// row is read once per product instead of once per non-zero, and the rows of the small B x out
/// side stay in cache. (A row-by-row walk over the batch read random weight rows, 4 KB apart,
/// which collide in the same cache sets.)
pub(crate) struct ByWord {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    /// `cols + 1` offsets into `doc` / `value`.
    offsets: Vec<usize>,
    doc: Vec<u32>,
    value: Vec<f32>,
}

impl ByWord {
    pub(crate) fn new(x: &SparseBatch) -> ByWord {
        let nnz = x.values.len();
        let mut offsets = vec![0usize; x.cols + 1];
        for &w in &x.word_ids {
            offsets[w as usize + 1] += 1;
        }
        for j in 0..x.cols {
            offsets[j + 1] += offsets[j];
        }
        let mut next = offsets.clone();
        let (mut doc, mut value) = (vec![0u32; nnz], vec![0f32; nnz]);
        for r in 0..x.rows() {
            for i in x.offsets[r]..x.offsets[r + 1] {
                let slot = &mut next[x.word_ids[i] as usize];
                doc[*slot] = r as u32;
                value[*slot] = x.values[i];
                *slot += 1;
            }
        }
        ByWord {
            rows: x.rows(),
            cols: x.cols,
            offsets,
            doc,
            value,
        }
    }

    fn entries(&self, word: usize) -> impl Iterator<Item = (usize, f32)> + '_ {
        let range = self.offsets[word]..self.offsets[word + 1];
        self.doc[range.clone()]
            .iter()
            .zip(&self.value[range])
            .map(|(&r, &v)| (r as usize, v))
    }
}

struct SparseMatmul {
    x: Arc<ByWord>,
}

/// `acc += a * b`, element-wise (vectorised by the compiler, inlined into its caller's
/// instruction set).
#[inline(always)]
fn axpy(acc: &mut [f32], a: f32, b: &[f32]) {
    for (y, x) in acc.iter_mut().zip(b) {
        *y += a * x;
    }
}

crate::simd::multiversion! {
    /// Columns `o0..o0 + bw` of `x @ w` for the `v x out` weight `w`, as a `rows x bw` block.
    fn product_block(x: &ByWord, w: &[f32], out: usize, o0: usize, bw: usize) -> Vec<f32> {
        // Zeros written (not calloc'ed): a read of untouched calloc pages maps the shared zero
        // page, and the first write then costs a copy-on-write fault and a TLB flush on every core.
        let mut yb = Vec::with_capacity(x.rows * bw);
        yb.resize(x.rows * bw, 0f32);
        for word in 0..x.cols {
            let wr = &w[word * out + o0..][..bw];
            for (r, val) in x.entries(word) {
                axpy(&mut yb[r * bw..][..bw], val, wr);
            }
        }
        yb
    }
}

crate::simd::multiversion! {
    /// Rows `word0..` of the weight gradient `x^T g` into `rows` (a whole number of `out`-wide
    /// rows), overwriting them.
    fn gradient_rows(x: &ByWord, g: &[f32], out: usize, word0: usize, rows: &mut [f32], accumulate: bool) {
        // Written before read (see `product_block`): fresh pages fault once, without a
        // copy-on-write of the zero page.
        if !accumulate {
            rows.fill(0.0);
        }
        for (i, row) in rows.chunks_exact_mut(out).enumerate() {
            for (r, val) in x.entries(word0 + i) {
                axpy(row, val, &g[r * out..][..out]);
            }
        }
    }
}

/// `x @ w` for the `v x out` weight `w` (row-major), as a `rows x out` row-major matrix.
pub(crate) fn sparse_product(x: &ByWord, w: &[f32], out: usize) -> Vec<f32> {
    let rows = x.rows;
    // One slice of output columns per thread, so that its B x width block of the output
    // stays in that core's L2. Every output is summed by one thread in word order:
    // deterministic.
    let width = out
        .div_ceil(rayon::current_num_threads().max(1))
        .next_multiple_of(16)
        .min(out);
    let slice = |o0: usize| product_block(x, w, out, o0, width.min(out - o0));
    if width == out {
        return slice(0);
    }
    let slices: Vec<Vec<f32>> = (0..out.div_ceil(width))
        .into_par_iter()
        .map(|c| slice(c * width))
        .collect();
    // Row by row, slice after slice: every value written once, with no zeroing first.
    let mut y = Vec::with_capacity(rows * out);
    for r in 0..rows {
        for yb in &slices {
            let bw = yb.len() / rows;
            y.extend_from_slice(&yb[r * bw..(r + 1) * bw]);
        }
    }
    y
}

/// The weight gradient `x^T g` (`cols x out`, row-major) of a sparse product, written over `gw`
/// (added to it when `accumulate`).
pub(crate) fn sparse_weight_gradient(
    x: &ByWord,
    g: &[f32],
    out: usize,
    gw: &mut [f32],
    accumulate: bool,
) {
    // grad_W[j, :] = sum over the non-zeros x[r, j] of x[r, j] * grad[r, :]: each row of
    // grad_W is written by one thread, its terms added in document order.
    const WORDS: usize = 32;
    gw.par_chunks_mut(out * WORDS)
        .enumerate()
        .for_each(|(c, rows)| gradient_rows(x, g, out, c * WORDS, rows, accumulate));
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
        let (v, out) = layout.shape().dims2()?;
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("sparse-matmul: the weight must be contiguous")
        };
        let w = &w[start..end];
        if v != self.x.cols {
            candle_core::bail!(
                "sparse-matmul: the weight has {v} rows for {} words",
                self.x.cols
            )
        }
        let y = sparse_product(&self.x, w, out);
        Ok((CpuStorage::F32(y), Shape::from((self.x.rows, out))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        let (v, out) = arg.dims2()?;
        let grad_res = grad_res.to_device(&Device::Cpu)?.contiguous()?;
        let (gs, gl) = grad_res.storage_and_layout();
        let g = match (&*gs, gl.contiguous_offsets()) {
            (candle_core::Storage::Cpu(CpuStorage::F32(g)), Some((a, b))) => &g[a..b],
            _ => candle_core::bail!("sparse-matmul: expected an f32 CPU gradient"),
        };
        let mut gw = vec![0f32; v * out];
        sparse_weight_gradient(&self.x, g, out, &mut gw, false);
        drop(gs);
        Ok(Some(Tensor::from_vec(gw, (v, out), arg.device())?))
    }
}

/// LeakyReLU(BatchNorm(pre)) in autograd, `pre` the first layer's output with its bias.
fn block_tail(pre: &Tensor, bn: &BatchNorm1d, train: bool) -> Result<Tensor> {
    leaky_relu(&bn.forward_t(pre, train)?)
}

/// The hidden block of every network, Linear -> BatchNorm1d -> LeakyReLU(0.01), after its first
/// layer's product. The product is the network's own (a sparse document against an input-major
/// weight in the encoder, the critic's two inputs, theta in the generator); the block owns the rest:
/// the first layer's bias, the BatchNorm and the activation, with their forward pass for autograd
/// ([`Block::forward_t`]) and, for the fused CPU steps, a forward pass that keeps what its backward
/// pass needs ([`BlockCache`]) and that backward pass. The math is the kernels' (`crate::kernels`).
#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// The first layer's bias (`H`).
    pub(crate) bias: Tensor,
    /// The BatchNorm over the `H` features.
    pub(crate) bn: BatchNorm1d,
}

/// What the fused backward pass of a [`Block`] needs of its forward pass: the first layer's output
/// (bias included) and this batch's BatchNorm constants.
pub(crate) struct BlockCache {
    /// First-layer output, `B x H`; the backward pass writes its gradient over it.
    pub(crate) pre: Vec<f32>,
    /// This batch's BatchNorm constants.
    pub(crate) p: BnConsts,
}

impl Block {
    /// The block after a first layer whose bias is `bias` (`H`), with a BatchNorm over `H`
    /// features from `bn_vb`.
    pub(crate) fn new(bias: Tensor, bn_vb: VarBuilder) -> Result<Block> {
        let features = bias.dim(0)?;
        Ok(Block {
            bias,
            bn: BatchNorm1d::new(features, bn_vb)?,
        })
    }

    /// `LeakyReLU(BatchNorm(xw + bias))` for the first layer's product `xw`, through autograd.
    pub(crate) fn forward_t(&self, xw: &Tensor, train: bool) -> Result<Tensor> {
        block_tail(&super::ops::bias_add(xw, &self.bias)?, &self.bn, train)
    }

    /// The fused pass's forward without the activations: adds the bias into `xw` (the first
    /// layer's product, `rows x H`) and takes this batch's BatchNorm constants, moving the
    /// running statistics when `move_running`. (The critic's head computes the activations fused
    /// with its output layer.)
    pub(crate) fn cache_host(
        &self,
        xw: Vec<f32>,
        rows: usize,
        move_running: bool,
    ) -> Result<BlockCache> {
        let (cache, stats) = self.cache_host_and_stats(xw, rows)?;
        if move_running {
            self.bn.move_running(&stats)?;
        }
        Ok(cache)
    }

    /// [`Block::cache_host`] with the running statistics left alone: this batch's statistics
    /// come back, for [`BatchNorm1d::move_running`] later.
    pub(crate) fn cache_host_and_stats(
        &self,
        mut xw: Vec<f32>,
        rows: usize,
    ) -> Result<(BlockCache, BatchStats)> {
        if rows < 2 {
            candle_core::bail!("BatchNorm1d in training mode needs at least 2 rows, got {rows}");
        }
        kernels::add_rows_inplace(&mut xw, &self.bias.to_vec1::<f32>()?);
        let (p, stats) = self.bn.train_consts(&xw, rows)?;
        Ok((BlockCache { pre: xw, p }, stats))
    }

    /// The fused pass's forward: [`Block::cache_host`], then the block's output (`rows x H`).
    pub(crate) fn forward_host(
        &self,
        xw: Vec<f32>,
        rows: usize,
        move_running: bool,
    ) -> Result<(BlockCache, Vec<f32>)> {
        let cache = self.cache_host(xw, rows, move_running)?;
        let out = kernels::block_forward(&cache.pre, &cache.p, LEAKY_SLOPE);
        Ok((cache, out))
    }

    /// The fused backward pass for the output gradient `dh`: returns the gradient of the first
    /// layer's product (written over the cache's buffer) and adds the bias's and BatchNorm's
    /// gradients into `sums` (two halves of a batch, as the critic's, add into the same sums).
    pub(crate) fn backward_host(
        &self,
        cache: BlockCache,
        dh: &[f32],
        sums: &mut BlockSums,
    ) -> Result<Vec<f32>> {
        let BlockCache { mut pre, p } = cache;
        kernels::block_backward(&mut pre, &p, dh, LEAKY_SLOPE, sums)?;
        Ok(pre)
    }

    /// Stores `sums` as the gradients of the bias and of the BatchNorm's scale and shift.
    pub(crate) fn insert_grads(&self, sums: BlockSums, grads: &mut GradStore) -> Result<()> {
        super::ops::insert_block_sums(sums, grads, &self.bias, &self.bn)
    }

    /// The same block with its parameters cut off from autograd.
    pub(crate) fn frozen(&self) -> Block {
        Block {
            bias: self.bias.detach(),
            bn: self.bn.frozen(),
        }
    }
}

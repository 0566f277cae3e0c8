//! candle custom ops over the slice kernels of [`crate::kernels`]: bias, LeakyReLU, BatchNorm in
//! training mode and softmax, each with its backward pass, so that candle's autograd computes on
//! the CPU with the same math as the fused steps. Composed from candle's generic ops, each of
//! these would cost several passes and, in the backward pass, strided reductions over the batch;
//! tensors on a GPU take candle's own ops, which compute the same values.
use crate::kernels::{self, BnConsts, ShapeError};
use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};

impl From<ShapeError> for candle_core::Error {
    fn from(e: ShapeError) -> Self {
        candle_core::Error::Msg(e.0)
    }
}

/// The Euclidean norm of every element of `t`, summed in f64 (on any device).
pub(crate) fn l2_norm(t: &Tensor) -> Result<f64> {
    Ok(t.to_dtype(candle_core::DType::F64)?
        .sqr()?
        .sum_all()?
        .to_scalar::<f64>()?
        .sqrt())
}

/// Where an op's implementation is chosen by where its data lives: tensors in host memory take the
/// slice kernels of this module (wrapped as candle custom ops), tensors on a GPU take candle's own
/// ops, which compute the same math. Which model math runs is the trainer's [`crate::train::Backend`].
pub(crate) fn on_host(x: &Tensor) -> bool {
    x.device().is_cpu()
}

fn slice<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
    let data = match s {
        CpuStorage::F32(d) => d,
        _ => candle_core::bail!("fused kernels take f32 tensors"),
    };
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => candle_core::bail!("fused kernels take contiguous tensors"),
    }
}

/// Runs `f` on the f32 data of a contiguous CPU tensor, without copying it.
fn with_data<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> Result<R>) -> Result<R> {
    let t = t.contiguous()?;
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        candle_core::Storage::Cpu(s) => f(slice(s, layout)?),
        _ => candle_core::bail!("fused kernels run on the CPU"),
    }
}

/// `x + b` with `b` broadcast over the rows of a `B x n` matrix.
pub(crate) fn bias_add(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    if !on_host(x) {
        return x.broadcast_add(b);
    }
    x.contiguous()?.apply_op2(&b.contiguous()?, BiasAdd)
}

struct BiasAdd;

impl CustomOp2 for BiasAdd {
    fn name(&self) -> &'static str {
        "bias-add"
    }
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, b) = (slice(s1, l1)?, slice(s2, l2)?);
        let y = kernels::bias_add_rows(x, b);
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }
    fn bwd(
        &self,
        x: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let gx = x.track_op().then(|| grad.clone());
        let gb = if b.track_op() {
            let n = b.dim(0)?;
            let s: Vec<f32> = with_data(grad, |g| Ok(kernels::col_sums(g, n)))?
                .into_iter()
                .map(|v| v as f32)
                .collect();
            Some(Tensor::from_vec(s, n, b.device())?)
        } else {
            None
        };
        Ok((gx, gb))
    }
}

/// LeakyReLU: `x` where positive, `slope * x` elsewhere.
pub(crate) fn leaky_relu(x: &Tensor, slope: f32) -> Result<Tensor> {
    if !on_host(x) {
        return candle_nn::ops::leaky_relu(x, slope as f64);
    }
    x.contiguous()?.apply_op1(LeakyRelu(slope))
}

struct LeakyRelu(f32);

impl CustomOp1 for LeakyRelu {
    fn name(&self) -> &'static str {
        "leaky-relu"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = slice(s, l)?;
        let y = kernels::leaky_relu_map(x, x, self.0);
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }
    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let g = with_data(x, |xv| {
            with_data(grad, |gv| Ok(kernels::leaky_relu_map(xv, gv, self.0)))
        })?;
        Ok(Some(Tensor::from_vec(g, x.shape(), x.device())?))
    }
}

/// BatchNorm in training mode on a `B x n` matrix: returns the output and the batch mean and
/// biased variance per column (for the running statistics).
pub(crate) fn batch_norm_train(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
) -> Result<(Tensor, Vec<f64>, Vec<f64>)> {
    let (_, n) = x.dims2()?;
    let x = x.contiguous()?;
    let (mean, var) = with_data(&x, |xv| Ok(kernels::column_stats(xv, n)))?;
    let op = BatchNorm {
        mean: mean.clone(),
        var: var.clone(),
        eps,
    };
    let y = x.apply_op3(&gamma.contiguous()?, &beta.contiguous()?, op)?;
    Ok((y, mean, var))
}

/// BatchNorm in training mode with this batch's statistics; its constants and both passes are
/// the block kernels' ([`BnConsts`], [`kernels::batch_norm_forward`] and
/// [`kernels::batch_norm_backward`]).
struct BatchNorm {
    mean: Vec<f64>,
    var: Vec<f64>,
    eps: f64,
}

impl BatchNorm {
    fn consts(&self, gamma: &[f32], beta: &[f32]) -> BnConsts {
        BnConsts::new(&self.mean, &self.var, self.eps, gamma, beta)
    }
}

impl CustomOp3 for BatchNorm {
    fn name(&self) -> &'static str {
        "batch-norm-train"
    }
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, g, b) = (slice(s1, l1)?, slice(s2, l2)?, slice(s3, l3)?);
        let y = kernels::batch_norm_forward(x, &self.consts(g, b));
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }
    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (rows, n) = x.dims2()?;
        let p = self.consts(&gamma.to_vec1::<f32>()?, &beta.to_vec1::<f32>()?);
        let (dx, dgamma, dbeta) = with_data(x, |xv| {
            with_data(grad, |gv| Ok(kernels::batch_norm_backward(xv, &p, gv)?))
        })?;
        let to_t = |v: Vec<f64>| {
            Tensor::from_vec(
                v.into_iter().map(|a| a as f32).collect::<Vec<f32>>(),
                n,
                x.device(),
            )
        };
        let dx = match x.track_op() {
            true => Some(Tensor::from_vec(dx, (rows, n), x.device())?),
            false => None,
        };
        let dgamma = match gamma.track_op() {
            true => Some(to_t(dgamma)?),
            false => None,
        };
        let dbeta = match beta.track_op() {
            true => Some(to_t(dbeta)?),
            false => None,
        };
        Ok((dx, dgamma, dbeta))
    }
}

/// Softmax over the last dimension of a `B x n` matrix, with its backward pass
/// (`dx = y * (dy - sum(dy * y))` per row). candle-nn's fused `softmax_last_dim` records no
/// gradient, which would cut the adversarial gradient off from the generator and the encoder.
pub(crate) fn softmax_rows(x: &Tensor) -> Result<Tensor> {
    if !on_host(x) {
        return candle_nn::ops::softmax(x, candle_core::D::Minus1);
    }
    x.contiguous()?.apply_op1(SoftmaxRows)
}

struct SoftmaxRows;

impl CustomOp1 for SoftmaxRows {
    fn name(&self) -> &'static str {
        "softmax-rows"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = slice(s, l)?;
        let n = *l.dims().last().unwrap_or(&1);
        let y = kernels::softmax_forward(x, n);
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }
    fn bwd(&self, x: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let n = x.dim(candle_core::D::Minus1)?;
        let dx = with_data(res, |y| {
            with_data(grad, |g| Ok(kernels::softmax_backward(y, g, n)))
        })?;
        Ok(Some(Tensor::from_vec(dx, x.shape(), x.device())?))
    }
}

/// The f32 data of a contiguous CPU tensor, borrowed in place (a read lock on its storage).
pub(crate) struct CpuView<'a> {
    guard: candle_core::StorageRef<'a>,
    start: usize,
    end: usize,
}

impl<'a> CpuView<'a> {
    pub(crate) fn new(t: &'a Tensor) -> Result<Self> {
        let (guard, layout) = t.storage_and_layout();
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("fused kernels take contiguous tensors")
        };
        if !matches!(&*guard, candle_core::Storage::Cpu(CpuStorage::F32(_))) {
            candle_core::bail!("fused kernels take f32 CPU tensors")
        }
        Ok(CpuView { guard, start, end })
    }

    pub(crate) fn data(&self) -> &[f32] {
        match &*self.guard {
            candle_core::Storage::Cpu(CpuStorage::F32(d)) => &d[self.start..self.end],
            _ => &[],
        }
    }
}
/// Stores a block's gradient sums as the gradients of its first layer's `bias` and of its
/// BatchNorm's scale and shift.
pub(crate) fn insert_block_sums(
    sums: kernels::BlockSums,
    grads: &mut candle_core::backprop::GradStore,
    bias: &Tensor,
    bn: &super::BatchNorm1d,
) -> Result<()> {
    let dev = candle_core::Device::Cpu;
    let n = sums.bias.len();
    let t = |v: Vec<f64>| {
        Tensor::from_vec(
            v.into_iter().map(|a| a as f32).collect::<Vec<f32>>(),
            n,
            &dev,
        )
    };
    grads.insert(bias, t(sums.bias)?);
    grads.insert(&bn.weight, t(sums.gamma)?);
    grads.insert(&bn.bias, t(sums.beta)?);
    Ok(())
}

/// The multinomial negative log-likelihood of the counts `x` (sparse rows) under the row-wise
/// softmax of `logits` (`B x V`): one loss per row, `-sum_j x_j log softmax(logits)_j`, with its
/// gradient at the logits. On the host the counts stay sparse ([`kernels::multinomial_nll`]);
/// elsewhere candle's `log_softmax` times the dense counts computes the same.
pub(crate) fn multinomial_nll(logits: &Tensor, x: &crate::corpus::SparseBatch) -> Result<Tensor> {
    if !on_host(logits) {
        let dense = x
            .to_dense(logits.device())
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        let logp = candle_nn::ops::log_softmax(logits, candle_core::D::Minus1)?;
        return (logp * dense)?.sum(1)?.neg();
    }
    logits.contiguous()?.apply_op1(MultinomialNll {
        x: x.clone(),
        softmax: std::sync::Mutex::new(None),
    })
}

struct MultinomialNll {
    x: crate::corpus::SparseBatch,
    /// The forward pass's softmax, for the backward pass.
    softmax: std::sync::Mutex<Option<Vec<f32>>>,
}

impl MultinomialNll {
    fn rows(&self) -> kernels::SparseRows<'_> {
        kernels::SparseRows {
            offsets: &self.x.offsets,
            ids: &self.x.word_ids,
            values: &self.x.values,
        }
    }
}

impl CustomOp1 for MultinomialNll {
    fn name(&self) -> &'static str {
        "multinomial-nll"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let z = slice(s, l)?;
        let (rows, n) = l.shape().dims2()?;
        if rows != self.x.rows() || n != self.x.cols {
            candle_core::bail!(
                "logits are {rows} x {n} but the counts are {} x {}",
                self.x.rows(),
                self.x.cols
            );
        }
        let (loss, y) = kernels::multinomial_nll(z, n, &self.rows());
        *self.softmax.lock().expect("softmax cache lock") = Some(y);
        Ok((CpuStorage::F32(loss), Shape::from(rows)))
    }
    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let n = x.dim(1)?;
        let cached = self.softmax.lock().expect("softmax cache lock").take();
        let y = match cached {
            Some(y) => y,
            None => with_data(x, |z| Ok(kernels::multinomial_nll(z, n, &self.rows()).1))?,
        };
        let dz = with_data(grad, |g| {
            Ok(kernels::multinomial_nll_backward(&y, n, &self.rows(), g))
        })?;
        Ok(Some(Tensor::from_vec(dz, x.shape(), x.device())?))
    }
}

/// BatchNorm in training mode on `pre` (`B x V`) followed by the multinomial negative
/// log-likelihood of the counts `x` under the softmax of its output: one loss per row, the
/// output never a node of the graph (a `B x V` tensor fewer, and its gradient, per step). Both
/// passes are the kernels of [`batch_norm_train`] and [`multinomial_nll`], one after the other.
/// Returns the losses and the batch mean and biased variance per column (for the running
/// statistics). Host tensors only; other devices compose the two ops.
pub(crate) fn batch_norm_nll(
    pre: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
    x: &crate::corpus::SparseBatch,
) -> Result<(Tensor, Vec<f64>, Vec<f64>)> {
    let (_, n) = pre.dims2()?;
    let pre = pre.contiguous()?;
    let (mean, var) = with_data(&pre, |xv| Ok(kernels::column_stats(xv, n)))?;
    let op = BatchNormNll {
        bn: BatchNorm {
            mean: mean.clone(),
            var: var.clone(),
            eps,
        },
        nll: MultinomialNll {
            x: x.clone(),
            softmax: std::sync::Mutex::new(None),
        },
    };
    let loss = pre.apply_op3(&gamma.contiguous()?, &beta.contiguous()?, op)?;
    Ok((loss, mean, var))
}

struct BatchNormNll {
    bn: BatchNorm,
    nll: MultinomialNll,
}

impl CustomOp3 for BatchNormNll {
    fn name(&self) -> &'static str {
        "batch-norm-multinomial-nll"
    }
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, g, b) = (slice(s1, l1)?, slice(s2, l2)?, slice(s3, l3)?);
        let y = kernels::batch_norm_forward(x, &self.bn.consts(g, b));
        let layout = Layout::contiguous(l1.shape());
        self.nll.cpu_fwd(&CpuStorage::F32(y), &layout)
    }
    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (rows, n) = x.dims2()?;
        let y = self.nll.softmax.lock().expect("softmax cache lock").take();
        let Some(y) = y else {
            candle_core::bail!("batch-norm-multinomial-nll: backward before forward")
        };
        let dy = with_data(grad, |g| {
            Ok(kernels::multinomial_nll_backward(
                &y,
                n,
                &self.nll.rows(),
                g,
            ))
        })?;
        let dy = Tensor::from_vec(dy, (rows, n), x.device())?;
        self.bn.bwd(x, gamma, beta, &dy, &dy)
    }
}

#[cfg(test)]
mod tests {
    use super::batch_norm_nll;
    use crate::corpus::SparseBatch;
    use candle_core::{Device, Tensor, Var};

    /// `sum_i g_i loss_i` of the fused BatchNorm + multinomial NLL, and its gradients at the
    /// input and the shift, against central differences (f32, so a step of 1e-2 and a tolerance
    /// of 2 % of the largest gradient: rounding of the losses' sums, about 1e-6 relative, over
    /// the step).
    #[test]
    fn batch_norm_nll_gradients_match_central_differences() {
        let (b, v) = (5, 7);
        let pre: Vec<f32> = (0..b * v)
            .map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.3)
            .collect();
        let shift: Vec<f32> = (0..v).map(|j| (j as f32 - 3.0) * 0.2).collect();
        let x = SparseBatch {
            offsets: vec![0, 2, 3, 6, 7, 9],
            word_ids: vec![0, 3, 6, 1, 2, 5, 4, 0, 6],
            values: vec![2.0, 1.0, 3.0, 1.0, 1.0, 4.0, 2.0, 1.0, 1.0],
            cols: v,
        };
        let g = Tensor::new(&[1f32, 0.5, -0.3, 2.0, 0.7], &Device::Cpu).unwrap();
        let gamma = Tensor::ones(v, candle_core::DType::F32, &Device::Cpu).unwrap();
        let objective = |p: &[f32], s: &[f32]| -> f64 {
            let pt = Tensor::from_slice(p, (b, v), &Device::Cpu).unwrap();
            let st = Tensor::from_slice(s, v, &Device::Cpu).unwrap();
            let (loss, _, _) = batch_norm_nll(&pt, &gamma, &st, 1e-3, &x).unwrap();
            (loss * &g)
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap() as f64
        };
        let pv = Var::from_slice(&pre, (b, v), &Device::Cpu).unwrap();
        let sv = Var::from_slice(&shift, v, &Device::Cpu).unwrap();
        let (loss, _, _) =
            batch_norm_nll(pv.as_tensor(), &gamma, sv.as_tensor(), 1e-3, &x).unwrap();
        let grads = (loss * &g).unwrap().sum_all().unwrap().backward().unwrap();
        let dp: Vec<f32> = grads
            .get(pv.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let ds: Vec<f32> = grads.get(sv.as_tensor()).unwrap().to_vec1().unwrap();
        let h = 1e-2f32;
        let scale = dp.iter().chain(&ds).fold(0f32, |m, a| m.max(a.abs())) as f64;
        for i in 0..pre.len() {
            let (mut up, mut down) = (pre.clone(), pre.clone());
            up[i] += h;
            down[i] -= h;
            let num = (objective(&up, &shift) - objective(&down, &shift)) / (2.0 * h as f64);
            assert!(
                (num - dp[i] as f64).abs() < 0.02 * scale,
                "pre[{i}]: {num} vs {}",
                dp[i]
            );
        }
        for j in 0..v {
            let (mut up, mut down) = (shift.clone(), shift.clone());
            up[j] += h;
            down[j] -= h;
            let num = (objective(&pre, &up) - objective(&pre, &down)) / (2.0 * h as f64);
            assert!(
                (num - ds[j] as f64).abs() < 0.02 * scale,
                "shift[{j}]: {num} vs {}",
                ds[j]
            );
        }
        // The loss itself: N lse(y) - sum x y for the normalised y.
        let (loss, mean, var) = batch_norm_nll(
            &Tensor::from_slice(&pre, (b, v), &Device::Cpu).unwrap(),
            &gamma,
            &Tensor::from_slice(&shift, v, &Device::Cpu).unwrap(),
            1e-3,
            &x,
        )
        .unwrap();
        let loss: Vec<f32> = loss.to_vec1().unwrap();
        for r in 0..b {
            let y: Vec<f64> = (0..v)
                .map(|j| {
                    (pre[r * v + j] as f64 - mean[j]) / (var[j] + 1e-3).sqrt() + shift[j] as f64
                })
                .collect();
            let lse = y.iter().map(|a| a.exp()).sum::<f64>().ln();
            let mut want = 0.0;
            for i in x.offsets[r]..x.offsets[r + 1] {
                want += x.values[i] as f64 * (lse - y[x.word_ids[i] as usize]);
            }
            assert!(
                (loss[r] as f64 - want).abs() < 1e-4 * want.max(1.0),
                "{} vs {want}",
                loss[r]
            );
        }
    }
}

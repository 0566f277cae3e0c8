//! Fused CPU kernels with hand-written gradients for the per-element and per-column work of the
//! blocks (bias, BatchNorm, LeakyReLU). Composed from candle's generic ops, each of these costs
//! several passes and, in the backward pass, reductions over the batch dimension, which candle
//! runs on a slow strided path; together they took more time than the matrix products. Other
//! devices use candle's ops, which compute the same values.
use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};

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

fn to_vec(t: &Tensor) -> Result<Vec<f32>> {
    t.contiguous()?.flatten_all()?.to_vec1::<f32>()
}

/// Column sums of a row-major `rows x cols` matrix, accumulated row by row (cache friendly).
fn col_sums(x: &[f32], cols: usize) -> Vec<f64> {
    let mut s = vec![0f64; cols];
    for row in x.chunks_exact(cols) {
        for (a, &v) in s.iter_mut().zip(row) {
            *a += v as f64;
        }
    }
    s
}

/// `x + b` with `b` broadcast over the rows of a `B x n` matrix.
pub(crate) fn bias_add(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    if !x.device().is_cpu() {
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
        let n = b.len();
        let mut y = x.to_vec();
        for row in y.chunks_exact_mut(n) {
            for (a, &c) in row.iter_mut().zip(b) {
                *a += c;
            }
        }
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
            let s: Vec<f32> = col_sums(&to_vec(grad)?, n)
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
    if !x.device().is_cpu() {
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
        let y: Vec<f32> = slice(s, l)?
            .iter()
            .map(|&v| if v > 0.0 { v } else { self.0 * v })
            .collect();
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }
    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let (xv, gv) = (to_vec(x)?, to_vec(grad)?);
        let g: Vec<f32> = xv
            .iter()
            .zip(&gv)
            .map(|(&v, &g)| if v > 0.0 { g } else { self.0 * g })
            .collect();
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
    let (rows, n) = x.dims2()?;
    let xv = to_vec(x)?;
    let mean: Vec<f64> = col_sums(&xv, n)
        .into_iter()
        .map(|s| s / rows as f64)
        .collect();
    let mut var = vec![0f64; n];
    for row in xv.chunks_exact(n) {
        for ((a, &v), m) in var.iter_mut().zip(row).zip(&mean) {
            let d = v as f64 - m;
            *a += d * d;
        }
    }
    for v in &mut var {
        *v /= rows as f64;
    }
    let op = BatchNorm {
        mean: mean.clone(),
        inv_std: var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect(),
    };
    let y = x
        .contiguous()?
        .apply_op3(&gamma.contiguous()?, &beta.contiguous()?, op)?;
    Ok((y, mean, var))
}

struct BatchNorm {
    mean: Vec<f64>,
    inv_std: Vec<f64>,
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
        let n = g.len();
        let mut y = vec![0f32; x.len()];
        for (yr, xr) in y.chunks_exact_mut(n).zip(x.chunks_exact(n)) {
            for j in 0..n {
                let xhat = (xr[j] as f64 - self.mean[j]) * self.inv_std[j];
                yr[j] = (xhat * g[j] as f64 + b[j] as f64) as f32;
            }
        }
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
        let (xv, gv, gam) = (to_vec(x)?, to_vec(grad)?, to_vec(gamma)?);
        // dbeta = sum dy, dgamma = sum dy * xhat; dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat)).
        let mut sum_dy = vec![0f64; n];
        let mut sum_dy_xhat = vec![0f64; n];
        for (xr, gr) in xv.chunks_exact(n).zip(gv.chunks_exact(n)) {
            for j in 0..n {
                let xhat = (xr[j] as f64 - self.mean[j]) * self.inv_std[j];
                sum_dy[j] += gr[j] as f64;
                sum_dy_xhat[j] += gr[j] as f64 * xhat;
            }
        }
        let dx = if x.track_op() {
            let r = rows as f64;
            let mut dx = vec![0f32; xv.len()];
            for ((dr, xr), gr) in dx
                .chunks_exact_mut(n)
                .zip(xv.chunks_exact(n))
                .zip(gv.chunks_exact(n))
            {
                for j in 0..n {
                    let xhat = (xr[j] as f64 - self.mean[j]) * self.inv_std[j];
                    let v = gr[j] as f64 - sum_dy[j] / r - xhat * sum_dy_xhat[j] / r;
                    dr[j] = (gam[j] as f64 * self.inv_std[j] * v) as f32;
                }
            }
            Some(Tensor::from_vec(dx, (rows, n), x.device())?)
        } else {
            None
        };
        let to_t = |v: Vec<f64>| {
            Tensor::from_vec(
                v.into_iter().map(|a| a as f32).collect::<Vec<f32>>(),
                n,
                x.device(),
            )
        };
        let dgamma = if gamma.track_op() {
            Some(to_t(sum_dy_xhat)?)
        } else {
            None
        };
        let dbeta = if beta.track_op() {
            Some(to_t(sum_dy)?)
        } else {
            None
        };
        Ok((dx, dgamma, dbeta))
    }
}

/// Softmax over the last dimension of a `B x n` matrix, with its backward pass
/// (`dx = y * (dy - sum(dy * y))` per row). candle-nn's fused `softmax_last_dim` records no
/// gradient, which would cut the adversarial gradient off from the generator and the encoder.
pub(crate) fn softmax_rows(x: &Tensor) -> Result<Tensor> {
    if !x.device().is_cpu() {
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
        let mut y = vec![0f32; x.len()];
        for (yr, xr) in y.chunks_exact_mut(n).zip(x.chunks_exact(n)) {
            let m = xr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0f32;
            for (a, &v) in yr.iter_mut().zip(xr) {
                *a = (v - m).exp();
                sum += *a;
            }
            for a in yr.iter_mut() {
                *a /= sum;
            }
        }
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }
    fn bwd(&self, x: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let n = x.dim(candle_core::D::Minus1)?;
        let (y, g) = (to_vec(res)?, to_vec(grad)?);
        let mut dx = vec![0f32; y.len()];
        for ((dr, yr), gr) in dx
            .chunks_exact_mut(n)
            .zip(y.chunks_exact(n))
            .zip(g.chunks_exact(n))
        {
            let dot: f32 = yr.iter().zip(gr).map(|(a, b)| a * b).sum();
            for ((d, &yv), &gv) in dr.iter_mut().zip(yr).zip(gr) {
                *d = yv * (gv - dot);
            }
        }
        Ok(Some(Tensor::from_vec(dx, x.shape(), x.device())?))
    }
}

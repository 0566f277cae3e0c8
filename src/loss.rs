//! The losses, as plain functions on tensors.
//!
//! Wasserstein losses over critic scores `D(theta, bow)` (`B x 1` or `B`):
//! - critic: `-mean D(real) + mean D(fake)`;
//! - generator (adversarial part): `-mean D(fake)`;
//! - encoder: `mean D(real)` (the encoder's pairs play the part of the "real" side).
//!
//! and [`info_nce`], the NT-Xent loss of SimCLR.

use candle_core::{DType, Device, Result, Tensor, D};

/// The critic's loss: `-mean(real) + mean(fake)`.
///
/// ```
/// use candle_core::{Device, Tensor};
/// let real = Tensor::new(&[1f32, 3.0], &Device::Cpu).unwrap();
/// let fake = Tensor::new(&[0.5f32, 0.5], &Device::Cpu).unwrap();
/// let l = gcatm::loss::critic_loss(&real, &fake).unwrap().to_scalar::<f32>().unwrap();
/// assert_eq!(l, -1.5);
/// ```
pub fn critic_loss(real_scores: &Tensor, fake_scores: &Tensor) -> Result<Tensor> {
    fake_scores.mean_all()? - real_scores.mean_all()?
}

/// The generator's adversarial loss: `-mean(fake)`.
pub fn generator_loss(fake_scores: &Tensor) -> Result<Tensor> {
    fake_scores.mean_all()?.neg()
}

/// The encoder's loss: `mean(real)`.
pub fn encoder_loss(real_scores: &Tensor) -> Result<Tensor> {
    real_scores.mean_all()
}

/// Rows divided by their L2 norm (at least 1e-12, as PyTorch's `F.normalize`).
pub fn l2_normalize(x: &Tensor) -> Result<Tensor> {
    let norm = x
        .sqr()?
        .sum_keepdim(D::Minus1)?
        .sqrt()?
        .clamp(1e-12, f64::MAX)?;
    x.broadcast_div(&norm)
}

/// NT-Xent (InfoNCE as in SimCLR) between two `B x d` matrices.
///
/// Rows are L2-normalised; `z = [z_i; z_j]` (`2B x d`), `s = z z^T / tau`. Row `r`'s positive is
/// its partner `r ± B`; the candidates are the other `2B - 1` rows (the diagonal is excluded).
/// The loss is the mean over the `2B` rows of `-log softmax(s_r)[partner]` (the rows of
/// [`info_nce_parts`]).
///
/// When all rows are the same vector every candidate scores `1/tau`, so the loss is exactly
/// `ln(2B - 1)`, chance level.
///
/// ```
/// use candle_core::{Device, Tensor};
/// let z = Tensor::ones((4, 3), candle_core::DType::F32, &Device::Cpu).unwrap();
/// let l = gcatm::loss::info_nce(&z, &z, 0.5).unwrap().to_scalar::<f32>().unwrap();
/// assert!((l - 7f32.ln()).abs() < 1e-5);
/// ```
pub fn info_nce(z_i: &Tensor, z_j: &Tensor, temperature: f64) -> Result<Tensor> {
    info_nce_parts(z_i, z_j, temperature)?.row_loss.mean_all()
}

/// The pieces of [`info_nce`] for one batch, to look at: what the loss compares and how much each
/// row contributes.
#[derive(Debug, Clone)]
pub struct InfoNceParts {
    /// `s = z z^T / tau` (`2B x 2B`) for the stacked, L2-normalised rows `z = [z_i; z_j]`, with
    /// the diagonal (a row against itself, never a candidate) as computed.
    pub similarity: Tensor,
    /// Each row's positive: `partner[r] = (r + B) mod 2B`.
    pub partner: Vec<usize>,
    /// Each row's loss `-log softmax(s_r)[partner[r]]` over the `2B - 1` other rows (`2B`).
    pub row_loss: Tensor,
}

/// The similarity matrix, the positives and the per-row losses of [`info_nce`]; the loss is the
/// mean of `row_loss`. Errors when the sides differ in rows or have fewer than 2.
///
/// ```
/// use candle_core::{Device, Tensor};
/// let z_i = Tensor::new(&[[1f32, 0.0], [0.0, 1.0]], &Device::Cpu).unwrap();
/// let parts = gcatm::loss::info_nce_parts(&z_i, &z_i, 1.0).unwrap();
/// assert_eq!(parts.partner, vec![2, 3, 0, 1]);
/// // Row 0's candidates score 0 (row 1), 1 (row 2, its partner) and 0 (row 3).
/// let want = -(1f32.exp() / (2.0 + 1f32.exp())).ln();
/// let rows = parts.row_loss.to_vec1::<f32>().unwrap();
/// assert!((rows[0] - want).abs() < 1e-6);
/// ```
pub fn info_nce_parts(z_i: &Tensor, z_j: &Tensor, temperature: f64) -> Result<InfoNceParts> {
    let (b, _d) = z_i.dims2()?;
    if z_j.dims2()?.0 != b {
        candle_core::bail!("info_nce: {} rows against {} rows", b, z_j.dims2()?.0);
    }
    if b < 2 {
        candle_core::bail!("info_nce needs at least 2 rows per side, got {b}");
    }
    let z = Tensor::cat(&[l2_normalize(z_i)?, l2_normalize(z_j)?], 0)?;
    let similarity = (z.matmul(&z.t()?)? / temperature)?;
    let n = 2 * b;
    // A large finite negative on the diagonal: exp() gives exactly 0 and no inf enters the graph.
    let mask = diagonal_mask(n, similarity.device())?.to_dtype(similarity.dtype())?;
    let log_p = candle_nn::ops::log_softmax(&(&similarity + mask)?, D::Minus1)?;
    let partner: Vec<usize> = (0..n).map(|r| (r + b) % n).collect();
    let index: Vec<u32> = partner.iter().map(|&p| p as u32).collect();
    let index = Tensor::from_vec(index, (n, 1), similarity.device())?;
    let row_loss = log_p.gather(&index, 1)?.squeeze(1)?.neg()?;
    Ok(InfoNceParts {
        similarity,
        partner,
        row_loss,
    })
}

fn diagonal_mask(n: usize, device: &Device) -> Result<Tensor> {
    let mut m = vec![0f32; n * n];
    for i in 0..n {
        m[i * n + i] = -1e9;
    }
    Tensor::from_vec(m, (n, n), device)?.to_dtype(DType::F32)
}

/// [`info_nce`] and its gradients on host rows, for the fused CPU generator step: returns the
/// loss and `weight` times its gradients with respect to `x_i` and `x_j` (`B x d` each,
/// row-major). The same definition (L2-normalised rows, norms at least 1e-12, the diagonal
/// excluded); the log-sum-exp of each row is taken in f64.
pub(crate) fn info_nce_host(
    x_i: &[f32],
    x_j: &[f32],
    d: usize,
    temperature: f64,
    weight: f64,
) -> Result<(f32, Vec<f32>, Vec<f32>)> {
    use crate::kernels::{gemm_into, Mat};
    use rayon::prelude::*;
    if d == 0 || x_i.len() != x_j.len() || !x_i.len().is_multiple_of(d) {
        candle_core::bail!(
            "info_nce: sides of {} and {} values in rows of {d}",
            x_i.len(),
            x_j.len()
        );
    }
    let b = x_i.len() / d;
    if b < 2 {
        candle_core::bail!("info_nce needs at least 2 rows per side, got {b}");
    }
    let n = 2 * b;
    // Stacked, normalised rows z and their norms.
    let mut z = Vec::with_capacity(n * d);
    z.extend_from_slice(x_i);
    z.extend_from_slice(x_j);
    let mut norms = vec![0f32; n];
    for (row, norm) in z.chunks_exact_mut(d).zip(norms.iter_mut()) {
        *norm = row.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        for v in row.iter_mut() {
            *v /= *norm;
        }
    }
    let mut s = vec![0f32; n * n];
    let zm = Mat {
        data: &z,
        rs: d,
        cs: 1,
    };
    let zt = Mat {
        data: &z,
        rs: 1,
        cs: d,
    };
    gemm_into(&mut s, (n, n, d), zm, zt, false)?;
    let inv_tau = (1.0 / temperature) as f32;
    // ds[r][c] = (softmax over c != r of s[r] - [c is r's partner]) / n, rows in parallel; the
    // rows' loss terms are then added in row order, as a sequential loop would.
    let mut ds = vec![0f32; n * n];
    let terms: Vec<f64> = ds
        .par_chunks_mut(n)
        .zip(s.par_chunks(n))
        .enumerate()
        .map(|(r, (out, row))| info_nce_row(row, r, (r + b) % n, inv_tau, out))
        .collect();
    let loss = terms.iter().fold(0f64, |loss, t| loss + t) / n as f64;
    // s = z z^T / tau, so dz = (ds + ds^T) z / tau.
    let mut sym = crate::kernels::transpose(&ds, n, n);
    sym.par_chunks_mut(n)
        .zip(ds.par_chunks(n))
        .for_each(|(sym, ds)| scaled_sum(sym, ds, inv_tau));
    let mut dz = vec![0f32; n * d];
    gemm_into(
        &mut dz,
        (n, d, n),
        Mat {
            data: &sym,
            rs: n,
            cs: 1,
        },
        zm,
        false,
    )?;
    // Through the normalisation: dx = (dz - z (z . dz)) / norm (just dz / norm where clamped).
    let w = weight as f32;
    for ((g, zr), &norm) in dz.chunks_exact_mut(d).zip(z.chunks_exact(d)).zip(&norms) {
        let dot: f32 = if norm > 1e-12 {
            g.iter().zip(zr).map(|(a, b)| a * b).sum()
        } else {
            0.0
        };
        for (a, &zv) in g.iter_mut().zip(zr) {
            *a = w * (*a - zv * dot) / norm;
        }
    }
    let d_j = dz.split_off(b * d);
    Ok((loss as f32, dz, d_j))
}

crate::simd::multiversion! {
    /// Row `r` of InfoNCE's softmax over the similarities `row` (every column but `r`), written
    /// into `out` as `(softmax - [c is the partner]) / n`; returns the row's loss term.
    fn info_nce_row(row: &[f32], r: usize, partner: usize, inv_tau: f32, out: &mut [f32]) -> f64 {
        use crate::kernels::exp_nonpositive;
        let n = row.len();
        let m = row
            .iter()
            .enumerate()
            .filter(|&(c, _)| c != r)
            .fold(f32::NEG_INFINITY, |m, (_, &v)| m.max(v * inv_tau));
        for (o, &v) in out.iter_mut().zip(row) {
            *o = exp_nonpositive((v * inv_tau - m).min(0.0));
        }
        out[r] = 0.0;
        let sum: f64 = out.iter().map(|&v| v as f64).sum();
        let term = m as f64 + sum.ln() - (row[partner] * inv_tau) as f64;
        let scale = (1.0 / (sum * n as f64)) as f32;
        for o in out.iter_mut() {
            *o *= scale;
        }
        out[partner] -= 1.0 / n as f32;
        term
    }
}

crate::simd::multiversion! {
    /// `acc = (acc + x) * scale`, element-wise.
    fn scaled_sum(acc: &mut [f32], x: &[f32], scale: f32) {
        for (a, &v) in acc.iter_mut().zip(x) {
            *a = (v + *a) * scale;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    #[test]
    fn host_info_nce_matches_autograd() {
        let (b, d, tau, w) = (6, 5, 0.3, 0.7);
        let vals = |seed: usize| -> Vec<f32> {
            (0..b * d)
                .map(|i| (((i + 1) * 7919 + seed * 104729) % 1000) as f32 / 250.0 - 2.0)
                .collect()
        };
        let (xi, xj) = (vals(1), vals(2));
        let (value, gi, gj) = info_nce_host(&xi, &xj, d, tau, w).unwrap();
        let dev = Device::Cpu;
        let vi = Var::from_vec(xi, (b, d), &dev).unwrap();
        let vj = Var::from_vec(xj, (b, d), &dev).unwrap();
        let l = info_nce(vi.as_tensor(), vj.as_tensor(), tau).unwrap();
        let want = l.to_scalar::<f32>().unwrap();
        assert!((value - want).abs() < 1e-5, "{value} against {want}");
        let grads = (l * w).unwrap().backward().unwrap();
        for (got, var) in [(gi, &vi), (gj, &vj)] {
            let want = grads.get(var.as_tensor()).unwrap().flatten_all().unwrap();
            for (a, b) in got.iter().zip(want.to_vec1::<f32>().unwrap()) {
                assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} against {b}");
            }
        }
    }
}

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
/// The loss is the mean over the `2B` rows of `-log softmax(s_r)[partner]`.
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
    let (b, _d) = z_i.dims2()?;
    if z_j.dims2()?.0 != b {
        candle_core::bail!("info_nce: {} rows against {} rows", b, z_j.dims2()?.0);
    }
    if b < 2 {
        candle_core::bail!("info_nce needs at least 2 rows per side, got {b}");
    }
    let z = Tensor::cat(&[l2_normalize(z_i)?, l2_normalize(z_j)?], 0)?;
    let s = (z.matmul(&z.t()?)? / temperature)?;
    let n = 2 * b;
    // A large finite negative on the diagonal: exp() gives exactly 0 and no inf enters the graph.
    let mask = diagonal_mask(n, s.device())?.to_dtype(s.dtype())?;
    let s = (s + mask)?;
    let log_p = candle_nn::ops::log_softmax(&s, D::Minus1)?;
    let partner: Vec<u32> = (0..n).map(|r| ((r + b) % n) as u32).collect();
    let partner = Tensor::from_vec(partner, (n, 1), s.device())?;
    log_p.gather(&partner, 1)?.mean_all()?.neg()
}

fn diagonal_mask(n: usize, device: &Device) -> Result<Tensor> {
    let mut m = vec![0f32; n * n];
    for i in 0..n {
        m[i * n + i] = -1e9;
    }
    Tensor::from_vec(m, (n, n), device)?.to_dtype(DType::F32)
}

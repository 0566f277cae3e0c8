//! Kernels on plain slices: the math of the networks' layers written once, with no candle type.
//! The fused CPU steps call them on host buffers, and [`crate::model`]'s candle custom ops wrap
//! them (so that the autograd backend computes the same values on the CPU): bias, BatchNorm in
//! training mode (statistics, forward and backward), LeakyReLU, softmax (forward and backward),
//! the block (Linear -> BatchNorm -> LeakyReLU) passes and the critic's head, column sums, and
//! dense matrix products ([`gemm_into`], [`gemm_new`]).
use rayon::prelude::*;

/// Rows per block of work. The column reductions add per-block partial sums in block order, so
/// that f64 partials stay short and the result does not depend on which thread ran a block.
pub(crate) const ROWS: usize = 16;

/// A shape that does not fit a kernel: a bug in the caller, reported as an error instead of a
/// panic.
#[derive(Debug)]
pub(crate) struct ShapeError(pub(crate) String);

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ShapeError {}

/// `Result` of the kernels that check shapes.
pub(crate) type Result<T> = std::result::Result<T, ShapeError>;

macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(ShapeError(format!($($arg)*)))
    };
}

/// LeakyReLU of `y` (`slope` for `y <= 0`): the activation of every block.
#[inline(always)]
pub(crate) fn leaky(y: f32, slope: f32) -> f32 {
    if y > 0.0 {
        y
    } else {
        slope * y
    }
}

/// LeakyReLU's backward: the gradient `g` of the output at pre-activation `y`.
#[inline(always)]
pub(crate) fn leaky_grad(y: f32, g: f32, slope: f32) -> f32 {
    if y > 0.0 {
        g
    } else {
        slope * g
    }
}

/// An output buffer. The kernels only write it (never read before writing), so fresh calloc'ed
/// pages fault in once each, with no copy-on-write of the shared zero page.
fn buffer(n: usize) -> Vec<f32> {
    vec![0f32; n]
}

crate::simd::multiversion! {
    /// Adds the rows of `x` (`cols` wide) into the f64 column sums `s`.
    fn add_col_sums(x: &[f32], cols: usize, s: &mut [f64]) {
        for row in x.chunks_exact(cols) {
            for (a, &v) in s.iter_mut().zip(row) {
                *a += v as f64;
            }
        }
    }
}

/// Column sums of a row-major `rows x cols` matrix in f64, over fixed row chunks summed in order.
pub(crate) fn col_sums(x: &[f32], cols: usize) -> Vec<f64> {
    let parts: Vec<Vec<f64>> = x
        .par_chunks(cols * ROWS)
        .map(|chunk| {
            let mut s = vec![0f64; cols];
            add_col_sums(chunk, cols, &mut s);
            s
        })
        .collect();
    let mut s = vec![0f64; cols];
    for p in parts {
        for (a, b) in s.iter_mut().zip(p) {
            *a += b;
        }
    }
    s
}

crate::simd::multiversion! {
    /// `y = x + b` per row.
    fn bias_rows(x: &[f32], b: &[f32], y: &mut [f32]) {
        let n = b.len();
        for (yr, xr) in y.chunks_exact_mut(n).zip(x.chunks_exact(n)) {
            for ((a, &v), &c) in yr.iter_mut().zip(xr).zip(b) {
                *a = v + c;
            }
        }
    }
}

crate::simd::multiversion! {
    /// `y = g` where `x > 0`, else `slope * g` (the forward pass is the case `g = x`).
    fn leaky_rows(x: &[f32], g: &[f32], slope: f32, y: &mut [f32]) {
        for ((a, &v), &d) in y.iter_mut().zip(x).zip(g) {
            *a = leaky_grad(v, d, slope);
        }
    }
}

/// LeakyReLU's forward (`g = x`) or backward (`g` the output's gradient) on a whole buffer:
/// `g` where `x > 0`, else `slope * g`, over fixed chunks.
pub(crate) fn leaky_relu_map(x: &[f32], g: &[f32], slope: f32) -> Vec<f32> {
    const CHUNK: usize = 1 << 14;
    let mut y = buffer(x.len());
    y.chunks_mut(CHUNK)
        .zip(x.chunks(CHUNK).zip(g.chunks(CHUNK)))
        .for_each(|(yc, (xc, gc))| leaky_rows(xc, gc, slope, yc));
    y
}

/// `x + b` with `b` added to every row of `x` (rows of `b.len()`), in a new buffer.
pub(crate) fn bias_add_rows(x: &[f32], b: &[f32]) -> Vec<f32> {
    let n = b.len().max(1);
    let mut y = buffer(x.len());
    y.chunks_mut(n * ROWS)
        .zip(x.chunks(n * ROWS))
        .for_each(|(yc, xc)| bias_rows(xc, b, yc));
    y
}

/// Per-column mean and biased variance of a row-major `rows x n` matrix, in f64 (BatchNorm's
/// batch statistics).
pub(crate) fn column_stats(xv: &[f32], n: usize) -> (Vec<f64>, Vec<f64>) {
    let rows = xv.len() / n.max(1);
    let mean: Vec<f64> = col_sums(xv, n)
        .into_iter()
        .map(|s| s / rows as f64)
        .collect();
    let mean32: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
    // Centred second moment about the f32-rounded mean, corrected for the rounding.
    let parts: Vec<Vec<f64>> = xv
        .par_chunks(n * ROWS)
        .map(|c| {
            let mut s = vec![0f64; n];
            add_sq_dev(c, &mean32, &mut s);
            s
        })
        .collect();
    let mut var = vec![0f64; n];
    for p in parts {
        for (a, b) in var.iter_mut().zip(p) {
            *a += b;
        }
    }
    for ((v, &m), &m32) in var.iter_mut().zip(&mean).zip(&mean32) {
        let d = m - m32 as f64;
        *v = (*v / rows as f64 - d * d).max(0.0);
    }
    (mean, var)
}

crate::simd::multiversion! {
    /// Adds `(x - m)^2` per column into `s`.
    fn add_sq_dev(x: &[f32], m: &[f32], s: &mut [f64]) {
        for row in x.chunks_exact(m.len()) {
            for ((a, &v), &mj) in s.iter_mut().zip(row).zip(m) {
                let d = (v - mj) as f64;
                *a += d * d;
            }
        }
    }
}

/// `e^x` for `x <= 0` (softmax after subtracting the row maximum), within 2 ulp of the exact
/// value, as straight-line arithmetic that vectorises (the C library's `expf` is a call per
/// element). Cody-Waite reduction `x = n ln2 + r`, `|r| <= ln2 / 2`, then Cephes' degree-7
/// polynomial for `e^r`, scaled by `2^n` through the exponent bits. Below -87 the result is
/// clamped to about 1.6e-38 (the smallest normal floats), which a softmax row sum cannot
/// tell from 0. NaN stays NaN.
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // NaN fails the comparison and passes through.
    let x = if x < -87.0 { -87.0 } else { x };
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let e_r = p * (r * r) + r + 1.0;
    // n is in [-126, 0] here (NaN casts to 0 and stays NaN through e_r).
    e_r * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

crate::simd::multiversion! {
    fn softmax_fwd_rows(x: &[f32], n: usize, y: &mut [f32]) {
        for (yr, xr) in y.chunks_exact_mut(n).zip(x.chunks_exact(n)) {
            let m = max8(xr);
            // The exponentials first, then their sum in eight interleaved partial sums: a
            // running sum in the same loop would keep it from vectorising.
            for (a, &v) in yr.iter_mut().zip(xr) {
                *a = exp_nonpositive(v - m);
            }
            let inv = 1.0 / sum8(yr);
            for a in yr.iter_mut() {
                *a *= inv;
            }
        }
    }
}

crate::simd::multiversion! {
    fn softmax_bwd_rows(y: &[f32], g: &[f32], n: usize, dx: &mut [f32]) {
        for ((dr, yr), gr) in dx.chunks_exact_mut(n).zip(y.chunks_exact(n)).zip(g.chunks_exact(n)) {
            let dot = dot8(yr, gr);
            for ((d, &yv), &gv) in dr.iter_mut().zip(yr).zip(gr) {
                *d = yv * (gv - dot);
            }
        }
    }
}

/// A matrix operand of [`gemm_into`]: its data and the strides of its rows and columns (a
/// transposed view swaps them).
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    pub(crate) data: &'a [f32],
    pub(crate) rs: usize,
    pub(crate) cs: usize,
}

/// `dst = a b` (or `dst += a b` when `accumulate`) for `a` m x k, `b` k x n and a row-major
/// `dst` m x n, with the matrix-product kernel and thread count candle uses. Accumulating in
/// place is what candle's products cannot do: a gradient with two sources (the critic's real and
/// fake halves) is summed without a temporary.
pub(crate) fn gemm_into(
    dst: &mut [f32],
    (m, n, k): (usize, usize, usize),
    a: Mat,
    b: Mat,
    accumulate: bool,
) -> Result<()> {
    if dst.len() < m * n {
        bail!("gemm: a destination of {} for a {m}x{n} product", dst.len());
    }
    // SAFETY: `dst` holds m x n initialised values and is borrowed mutably, so it aliases
    // neither operand.
    unsafe { gemm_raw(dst.as_mut_ptr(), (m, n, k), a, b, accumulate) }
}

/// `a b` (`a` m x k, `b` k x n) in a fresh row-major m x n buffer, written by the product
/// without zeroing it first: the large gradients and outputs of the fused steps would otherwise
/// cost a memset each.
pub(crate) fn gemm_new((m, n, k): (usize, usize, usize), a: Mat, b: Mat) -> Result<Vec<f32>> {
    let mut out = Vec::with_capacity(m * n);
    // SAFETY: the product writes all m x n entries (without reading them, `accumulate` is
    // false) into the spare capacity, which nothing else refers to; only then is the length set.
    unsafe {
        gemm_raw(out.as_mut_ptr(), (m, n, k), a, b, false)?;
        out.set_len(m * n);
    }
    Ok(out)
}

/// `a b^T` for row-major `a` (m x k) and `b` (n x k), in a fresh row-major m x n buffer: the
/// product of a batch with a weight stored output-major (the generator's output layer) or read
/// transposed (the critic's input gradient).
///
/// `gemm` packs a column-major right operand element by element, which made these products about
/// 40% slower than the same product with a row-major one. So the product is computed the other
/// way round, `(b a^T)^T`, with `a^T` (the small side) transposed first and the m x n result
/// transposed back: two copies of the batch side, and the same sums in the same order (every
/// output is the same k-term dot product, blocked the same way), so that at the sizes training
/// uses the values are bit for bit those of the direct product (a unit test checks B x V x H and
/// larger; tiny products, which `gemm` hands to another kernel, may round differently).
pub(crate) fn gemm_nt_new(
    (m, n, k): (usize, usize, usize),
    a: &[f32],
    b: &[f32],
) -> Result<Vec<f32>> {
    if a.len() < m * k || b.len() < n * k {
        bail!("gemm: operands too small for a {m}x{k} by ({n}x{k})^T product");
    }
    let at = transpose(&a[..m * k], m, k);
    let bm = Mat {
        data: b,
        rs: k,
        cs: 1,
    };
    let atm = Mat {
        data: &at,
        rs: m,
        cs: 1,
    };
    let ct = gemm_new((n, m, k), bm, atm)?;
    Ok(transpose(&ct, n, m))
}

/// The transpose (`cols x rows`, row-major) of a row-major `rows x cols` matrix, in blocks that
/// stay in L1, one band of output rows per task. Written into uninitialised memory: a zeroed
/// buffer (the heap reuses freed blocks, so calloc has to clear them) cost as much as the copy.
pub(crate) fn transpose(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    use std::mem::MaybeUninit;
    const BLOCK: usize = 16;
    let len = rows * cols;
    assert!(
        x.len() >= len,
        "transpose: {} values for {rows} x {cols}",
        x.len()
    );
    let mut out: Vec<f32> = Vec::with_capacity(len);
    if len == 0 {
        return out;
    }
    out.spare_capacity_mut()[..len]
        .par_chunks_mut(rows * BLOCK)
        .enumerate()
        .for_each(|(band, dst): (usize, &mut [MaybeUninit<f32>])| {
            let c0 = band * BLOCK;
            let width = dst.len() / rows;
            for r0 in (0..rows).step_by(BLOCK) {
                for r in r0..(r0 + BLOCK).min(rows) {
                    let src = &x[r * cols + c0..][..width];
                    for (c, &v) in src.iter().enumerate() {
                        dst[c * rows + r] = MaybeUninit::new(v);
                    }
                }
            }
        });
    // SAFETY: the bands cover the first `len` slots (`rows * BLOCK` each, the last one shorter
    // by whole rows of the output), and every band writes all of its `width x rows` slots.
    unsafe { out.set_len(len) };
    out
}

/// The product behind [`gemm_into`] and [`gemm_new`].
///
/// # Safety
/// `dst` must be valid for writes of m x n values (and reads too when `accumulate`), and must
/// not overlap either operand.
unsafe fn gemm_raw(
    dst: *mut f32,
    (m, n, k): (usize, usize, usize),
    a: Mat,
    b: Mat,
    accumulate: bool,
) -> Result<()> {
    let extent = |x: &Mat, r: usize, c: usize| {
        if r == 0 || c == 0 {
            0
        } else {
            (r - 1) * x.rs + (c - 1) * x.cs + 1
        }
    };
    if a.data.len() < extent(&a, m, k) || b.data.len() < extent(&b, k, n) {
        bail!("gemm: operands too small for a {m}x{k} by {k}x{n} product");
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        if !accumulate {
            // SAFETY: the caller guarantees m x n writable values at `dst`.
            unsafe { std::ptr::write_bytes(dst, 0, m * n) };
        }
        return Ok(());
    }
    // The pool this runs in (candle's `get_num_threads` reads /proc/cpuinfo on every call).
    let threads = rayon::current_num_threads();
    let parallelism = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the extents checked above keep every index the kernel reads in bounds; the
    // caller guarantees the destination.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
    Ok(())
}

/// Per-column constants of a BatchNorm in training mode followed by LeakyReLU, for the fused
/// critic: `y = pre * a + c` (BatchNorm's output), `xhat = (pre - m) * k` (the normalised input).
pub(crate) struct BnConsts {
    pub(crate) a: Vec<f32>,
    pub(crate) c: Vec<f32>,
    pub(crate) m: Vec<f32>,
    pub(crate) k: Vec<f32>,
}

impl BnConsts {
    /// From the batch statistics (f64) and BatchNorm's scale and shift, as the BatchNorm kernel
    /// computes them.
    pub(crate) fn new(mean: &[f64], var: &[f64], eps: f64, gamma: &[f32], beta: &[f32]) -> Self {
        let inv_std: Vec<f64> = var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
        let n = mean.len();
        BnConsts {
            a: (0..n)
                .map(|j| (gamma[j] as f64 * inv_std[j]) as f32)
                .collect(),
            c: (0..n)
                .map(|j| (beta[j] as f64 - mean[j] * gamma[j] as f64 * inv_std[j]) as f32)
                .collect(),
            m: mean.iter().map(|&v| v as f32).collect(),
            k: inv_std.iter().map(|&v| v as f32).collect(),
        }
    }
}

crate::simd::multiversion! {
    /// Adds `b` to every row of `x` in place.
    fn add_rows_chunk(x: &mut [f32], b: &[f32]) {
        for row in x.chunks_exact_mut(b.len()) {
            for (v, &c) in row.iter_mut().zip(b) {
                *v += c;
            }
        }
    }
}

/// The largest element (NaN ignored, as `f32::max` does), in eight interleaved maxima.
#[inline(always)]
fn max8(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 8];
    let xc = x.chunks_exact(8);
    let rest = xc
        .remainder()
        .iter()
        .copied()
        .fold(f32::NEG_INFINITY, f32::max);
    for a in xc {
        for l in 0..8 {
            acc[l] = if a[l] > acc[l] { a[l] } else { acc[l] };
        }
    }
    acc.iter().copied().fold(rest, f32::max)
}

/// Adds `b` to every row of `x` in place (row blocks on the thread pool).
pub(crate) fn add_rows_inplace(x: &mut [f32], b: &[f32]) {
    if b.is_empty() {
        return;
    }
    x.par_chunks_mut(b.len() * ROWS)
        .for_each(|c| add_rows_chunk(c, b));
}

/// A sum in eight interleaved f32 partial sums (vectorisable; a fixed order, so deterministic).
#[inline(always)]
fn sum8(x: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let xc = x.chunks_exact(8);
    let rest: f32 = xc.remainder().iter().sum();
    for a in xc {
        for l in 0..8 {
            acc[l] += a[l];
        }
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + rest
}

/// A dot product in eight interleaved f32 partial sums (vectorisable; a fixed order, so
/// deterministic).
#[inline(always)]
fn dot8(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (a, b) in xc.zip(yc) {
        for l in 0..8 {
            acc[l] += a[l] * b[l];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (a, b) in xr.iter().zip(yr) {
        s += a * b;
    }
    s
}

crate::simd::multiversion! {
    /// The critic's head on pre-activations `pre` (rows of `p.a.len()`): per row the score
    /// `LeakyReLU(BatchNorm(pre)) . w + bias` into `scores`, and the column sums of the
    /// activations into `act_sums`.
    fn head_rows(pre: &[f32], p: &BnConsts, w: &[f32], bias: f32, slope: f32, scores: &mut [f32], act_sums: &mut [f64]) {
        let n = p.a.len();
        let mut act = vec![0f32; n];
        // Every slice cut to n up front, so that the loops run without bounds checks (and
        // vectorise).
        let (a, c, w, act, act_sums) = (&p.a[..n], &p.c[..n], &w[..n], &mut act[..], &mut act_sums[..n]);
        for (row, s) in pre.chunks_exact(n).zip(scores.iter_mut()) {
            for j in 0..n {
                let v = leaky(row[j] * a[j] + c[j], slope);
                act[j] = v;
                act_sums[j] += v as f64;
            }
            *s = dot8(act, w) + bias;
        }
    }
}

crate::simd::multiversion! {
    /// BatchNorm's gradient sums for the backward pass of a block whose output gradient is `dh`
    /// (LeakyReLU's slope applied where `y <= 0`): adds `dy` into `s` and `dy * xhat` into `sx`.
    fn block_grad_sums(pre: &[f32], p: &BnConsts, dh: &[f32], slope: f32, s: &mut [f64], sx: &mut [f64]) {
        let n = p.a.len();
        // Every slice cut to n up front, so that the loops run without bounds checks (and
        // vectorise).
        let (a, c, m, k) = (&p.a[..n], &p.c[..n], &p.m[..n], &p.k[..n]);
        let (s, sx) = (&mut s[..n], &mut sx[..n]);
        for (row, g) in pre.chunks_exact(n).zip(dh.chunks_exact(n)) {
            for j in 0..n {
                let dy = leaky_grad(row[j] * a[j] + c[j], g[j], slope);
                let xhat = (row[j] - m[j]) * k[j];
                s[j] += dy as f64;
                sx[j] += (dy * xhat) as f64;
            }
        }
    }
}

crate::simd::multiversion! {
    /// The gradient of a block's pre-activations, written over `pre`, with its column sums (the
    /// first layer's bias gradient) added into `bias_sums`: `dpre = a * (dy - c1 - xhat * c2)`.
    fn block_dpre(pre: &mut [f32], p: &BnConsts, dh: &[f32], slope: f32, c1: &[f32], c2: &[f32], bias_sums: &mut [f64]) {
        let n = p.a.len();
        let (a, c, m, k) = (&p.a[..n], &p.c[..n], &p.m[..n], &p.k[..n]);
        let (c1, c2, bias_sums) = (&c1[..n], &c2[..n], &mut bias_sums[..n]);
        for (row, g) in pre.chunks_exact_mut(n).zip(dh.chunks_exact(n)) {
            for j in 0..n {
                let x = row[j];
                let dy = leaky_grad(x * a[j] + c[j], g[j], slope);
                let xhat = (x - m[j]) * k[j];
                let d = a[j] * (dy - c1[j] - xhat * c2[j]);
                row[j] = d;
                bias_sums[j] += d as f64;
            }
        }
    }
}

/// The critic's head on pre-activations `pre`: per row the score
/// `LeakyReLU(BatchNorm(pre)) . w + bias` into `scores`, and the column sums of the activations
/// added into `act_sums`. Row blocks run on the thread pool; their partial sums are added in
/// block order (deterministic).
pub(crate) fn head_forward(
    pre: &[f32],
    p: &BnConsts,
    (w, bias): (&[f32], f32),
    slope: f32,
    scores: &mut [f32],
    act_sums: &mut [f64],
) {
    let n = p.a.len();
    let parts: Vec<Vec<f64>> = pre
        .par_chunks(n * ROWS)
        .zip(scores.par_chunks_mut(ROWS))
        .map(|(x, s)| {
            let mut sums = vec![0f64; n];
            head_rows(x, p, w, bias, slope, s, &mut sums);
            sums
        })
        .collect();
    for part in parts {
        for (a, b) in act_sums.iter_mut().zip(part) {
            *a += b;
        }
    }
}

/// Gradient sums (f64) of a block's first-layer bias and BatchNorm scale and shift.
pub(crate) struct BlockSums {
    pub(crate) bias: Vec<f64>,
    pub(crate) gamma: Vec<f64>,
    pub(crate) beta: Vec<f64>,
}

impl BlockSums {
    pub(crate) fn new(n: usize) -> Self {
        BlockSums {
            bias: vec![0.0; n],
            gamma: vec![0.0; n],
            beta: vec![0.0; n],
        }
    }
}

/// The backward pass of a block (first-layer output `pre` -> BatchNorm in training mode with
/// constants `p` -> LeakyReLU) for the output gradient `dh`: the gradient of `pre` is written
/// over `pre`, the bias, scale and shift gradients are added into `sums`.
pub(crate) fn block_backward(
    pre: &mut [f32],
    p: &BnConsts,
    dh: &[f32],
    slope: f32,
    sums: &mut BlockSums,
) -> Result<()> {
    let n = p.a.len();
    if n == 0 || pre.len() != dh.len() || !pre.len().is_multiple_of(n) {
        bail!(
            "block backward: {} gradients for {} values",
            dh.len(),
            pre.len()
        );
    }
    let rows = (pre.len() / n) as f64;
    // Row blocks on the thread pool; partial sums added in block order (deterministic).
    let parts: Vec<(Vec<f64>, Vec<f64>)> = pre
        .par_chunks(n * ROWS)
        .zip(dh.par_chunks(n * ROWS))
        .map(|(x, g)| {
            let (mut s, mut sx) = (vec![0f64; n], vec![0f64; n]);
            block_grad_sums(x, p, g, slope, &mut s, &mut sx);
            (s, sx)
        })
        .collect();
    let (mut s, mut sx) = (vec![0f64; n], vec![0f64; n]);
    for (ps, psx) in parts {
        for j in 0..n {
            s[j] += ps[j];
            sx[j] += psx[j];
        }
    }
    let c1: Vec<f32> = s.iter().map(|v| (v / rows) as f32).collect();
    let c2: Vec<f32> = sx.iter().map(|v| (v / rows) as f32).collect();
    for j in 0..n {
        sums.gamma[j] += sx[j];
        sums.beta[j] += s[j];
    }
    let parts: Vec<Vec<f64>> = pre
        .par_chunks_mut(n * ROWS)
        .zip(dh.par_chunks(n * ROWS))
        .map(|(x, g)| {
            let mut b = vec![0f64; n];
            block_dpre(x, p, g, slope, &c1, &c2, &mut b);
            b
        })
        .collect();
    for part in parts {
        for (a, b) in sums.bias.iter_mut().zip(part) {
            *a += b;
        }
    }
    Ok(())
}

/// BatchNorm in training mode (constants `p` of this batch) on its own, without the activation:
/// a block whose LeakyReLU has slope 1, which is the identity (`1 * y == y` exactly), so that
/// BatchNorm's math exists once, in the block's kernels.
pub(crate) fn batch_norm_forward(x: &[f32], p: &BnConsts) -> Vec<f32> {
    block_forward(x, p, 1.0)
}

/// The backward pass of [`batch_norm_forward`] for the output gradient `dy`: the input's
/// gradient, and the sums (f64) of the scale's and shift's gradients.
pub(crate) fn batch_norm_backward(
    x: &[f32],
    p: &BnConsts,
    dy: &[f32],
) -> Result<(Vec<f32>, Vec<f64>, Vec<f64>)> {
    let mut dx = x.to_vec();
    let mut sums = BlockSums::new(p.a.len());
    block_backward(&mut dx, p, dy, 1.0, &mut sums)?;
    Ok((dx, sums.gamma, sums.beta))
}

/// The input gradient of a row-wise softmax: `dx = y * (dy - sum(dy * y))` per row of `n`, for
/// host slices (the fused steps).
pub(crate) fn softmax_backward(y: &[f32], dy: &[f32], n: usize) -> Vec<f32> {
    let mut dx = buffer(y.len());
    dx.par_chunks_mut(n * ROWS)
        .zip(y.par_chunks(n * ROWS).zip(dy.par_chunks(n * ROWS)))
        .for_each(|(dc, (yc, gc))| softmax_bwd_rows(yc, gc, n, dc));
    dx
}

crate::simd::multiversion! {
    /// A block's output `LeakyReLU(pre * a + c)` (BatchNorm in training mode with constants `p`).
    fn block_rows(pre: &[f32], p: &BnConsts, slope: f32, out: &mut [f32]) {
        let n = p.a.len();
        let (a, c) = (&p.a[..n], &p.c[..n]);
        for (o, x) in out.chunks_exact_mut(n).zip(pre.chunks_exact(n)) {
            for j in 0..n {
                o[j] = leaky(x[j] * a[j] + c[j], slope);
            }
        }
    }
}

/// A block's output from its first-layer output `pre` (host slices, the fused steps).
pub(crate) fn block_forward(pre: &[f32], p: &BnConsts, slope: f32) -> Vec<f32> {
    let n = p.a.len().max(1);
    let mut out = buffer(pre.len());
    out.par_chunks_mut(n * ROWS)
        .zip(pre.par_chunks(n * ROWS))
        .for_each(|(o, x)| block_rows(x, p, slope, o));
    out
}

crate::simd::multiversion! {
    fn softmax_bias_rows(x: &mut [f32], bias: &[f32], n: usize) {
        for xr in x.chunks_exact_mut(n) {
            for (a, &c) in xr.iter_mut().zip(bias) {
                *a += c;
            }
            let m = max8(xr);
            for a in xr.iter_mut() {
                *a = exp_nonpositive(*a - m);
            }
            let inv = 1.0 / sum8(xr);
            for a in xr.iter_mut() {
                *a *= inv;
            }
        }
    }
}

/// Row-wise `softmax(x + bias)` of host rows of `n`, in place (the generator's output layer).
pub(crate) fn softmax_bias_inplace(x: &mut [f32], bias: &[f32], n: usize) {
    x.par_chunks_mut(n * ROWS)
        .for_each(|xc| softmax_bias_rows(xc, bias, n));
}

/// Row-wise softmax of host rows of `n` (the fused steps).
pub(crate) fn softmax_forward(x: &[f32], n: usize) -> Vec<f32> {
    let mut y = buffer(x.len());
    y.par_chunks_mut(n * ROWS)
        .zip(x.par_chunks(n * ROWS))
        .for_each(|(yc, xc)| softmax_fwd_rows(xc, n, yc));
    y
}

/// Sparse rows of counts (CSR): what a reconstruction loss reads of a batch.
pub(crate) struct SparseRows<'a> {
    pub(crate) offsets: &'a [usize],
    pub(crate) ids: &'a [u32],
    pub(crate) values: &'a [f32],
}

crate::simd::multiversion! {
    /// Row-wise softmax of `z` into `y` and each row's `log(sum exp z)`.
    fn softmax_lse_rows(z: &[f32], n: usize, y: &mut [f32], lse: &mut [f64]) {
        for ((yr, zr), l) in y.chunks_exact_mut(n).zip(z.chunks_exact(n)).zip(lse.iter_mut()) {
            let m = max8(zr);
            for (a, &v) in yr.iter_mut().zip(zr) {
                *a = exp_nonpositive(v - m);
            }
            let s = sum8(yr);
            let inv = 1.0 / s;
            for a in yr.iter_mut() {
                *a *= inv;
            }
            *l = m as f64 + (s as f64).ln();
        }
    }
}

/// The multinomial negative log-likelihood of sparse counts `x` under the row-wise softmax of
/// logits `z` (rows of `n`): per row `-sum_j x_j log softmax(z)_j = N lse(z) - sum_j x_j z_j`
/// (N the row's total count), computed without a dense copy of `x`. Returns the per-row losses
/// and the softmax, which the backward pass ([`multinomial_nll_backward`]) reads.
pub(crate) fn multinomial_nll(z: &[f32], n: usize, x: &SparseRows) -> (Vec<f32>, Vec<f32>) {
    let rows = z.len() / n.max(1);
    let mut y = buffer(z.len());
    let mut lse = vec![0f64; rows];
    y.par_chunks_mut(n * ROWS)
        .zip(z.par_chunks(n * ROWS))
        .zip(lse.par_chunks_mut(ROWS))
        .for_each(|((yc, zc), lc)| softmax_lse_rows(zc, n, yc, lc));
    let loss = (0..rows)
        .map(|r| {
            let span = x.offsets[r]..x.offsets[r + 1];
            let mut total = 0f64;
            let mut dot = 0f64;
            for (&j, &c) in x.ids[span.clone()].iter().zip(&x.values[span]) {
                total += c as f64;
                dot += c as f64 * z[r * n + j as usize] as f64;
            }
            (total * lse[r] - dot) as f32
        })
        .collect();
    (loss, y)
}

crate::simd::multiversion! {
    fn scaled_rows(y: &[f32], n: usize, scale: &[f32], out: &mut [f32]) {
        for ((o, yr), &s) in out.chunks_exact_mut(n).zip(y.chunks_exact(n)).zip(scale) {
            for (a, &v) in o.iter_mut().zip(yr) {
                *a = s * v;
            }
        }
    }
}

/// The gradient at the logits of [`multinomial_nll`] from the gradient `g` at each row's loss:
/// `dz_j = g (N softmax(z)_j - x_j)`.
pub(crate) fn multinomial_nll_backward(y: &[f32], n: usize, x: &SparseRows, g: &[f32]) -> Vec<f32> {
    let rows = y.len() / n.max(1);
    let scale: Vec<f32> = (0..rows)
        .map(|r| {
            let total: f64 = x.values[x.offsets[r]..x.offsets[r + 1]]
                .iter()
                .map(|&c| c as f64)
                .sum();
            (g[r] as f64 * total) as f32
        })
        .collect();
    let mut dz = buffer(y.len());
    dz.par_chunks_mut(n * ROWS)
        .zip(y.par_chunks(n * ROWS))
        .zip(scale.par_chunks(ROWS))
        .for_each(|((dc, yc), sc)| scaled_rows(yc, n, sc, dc));
    for r in 0..rows {
        for i in x.offsets[r]..x.offsets[r + 1] {
            dz[r * n + x.ids[i] as usize] -= g[r] * x.values[i];
        }
    }
    dz
}

#[cfg(test)]
mod tests {
    use super::{exp_nonpositive, gemm_new, gemm_nt_new, transpose, Mat};

    /// Deterministic values of mixed sign and magnitude.
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ((x >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 3.0
            })
            .collect()
    }

    #[test]
    fn transpose_moves_every_element() {
        // Sizes that are and are not multiples of the 16-wide bands.
        for (rows, cols) in [(37, 53), (16, 32), (1, 5), (5, 1), (256, 20)] {
            let x = values(rows * cols, 3);
            let t = transpose(&x, rows, cols);
            assert_eq!(t.len(), rows * cols);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(t[c * rows + r].to_bits(), x[r * cols + c].to_bits());
                }
            }
        }
    }

    #[test]
    fn the_transposed_route_gives_the_direct_products_bits() {
        // a (m x k) times b^T for b (n x k) row-major, directly (b read column-major) and by
        // gemm_nt_new: the same sums in the same order, so equal bit for bit.
        // Training's sizes (B x V x H, and larger vocabularies and batches) and a small one.
        let sizes = [
            (256, 1883, 1024),
            (256, 5000, 1024),
            (1024, 1883, 1024),
            (64, 100, 300),
        ];
        for (m, n, k) in sizes {
            let (a, b) = (values(m * k, 1), values(n * k, 2));
            let direct = gemm_new(
                (m, n, k),
                Mat {
                    data: &a,
                    rs: k,
                    cs: 1,
                },
                Mat {
                    data: &b,
                    rs: 1,
                    cs: k,
                },
            )
            .unwrap();
            let routed = gemm_nt_new((m, n, k), &a, &b).unwrap();
            let same = direct
                .iter()
                .zip(&routed)
                .filter(|(x, y)| x.to_bits() == y.to_bits())
                .count();
            assert_eq!(same, m * n, "{m} x {n} x {k}");
            assert!(gemm_nt_new((m, n, k + 1), &a, &b).is_err());
        }
        // Tiny products go through another of gemm's kernels: the same values up to rounding.
        let (m, n, k) = (7, 33, 20);
        let (a, b) = (values(m * k, 1), values(n * k, 2));
        let routed = gemm_nt_new((m, n, k), &a, &b).unwrap();
        for i in 0..m {
            for j in 0..n {
                let exact: f64 = (0..k)
                    .map(|t| a[i * k + t] as f64 * b[j * k + t] as f64)
                    .sum();
                assert!((routed[i * n + j] as f64 - exact).abs() < 1e-5 * (1.0 + exact.abs()));
            }
        }
    }

    #[test]
    fn exp_is_within_two_ulp_on_the_softmax_range() {
        let mut worst = 0f64;
        for i in 0..=2_000_000u32 {
            let x = -87.0 * i as f32 / 2_000_000.0;
            let exact = (x as f64).exp();
            let rel = ((exp_nonpositive(x) as f64 - exact) / exact).abs();
            worst = worst.max(rel);
        }
        // 2 ulp of f32 is 2^-22 relative at worst.
        assert!(worst < 2.4e-7, "largest relative error {worst}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert!(exp_nonpositive(f32::NAN).is_nan());
        assert!(exp_nonpositive(f32::NEG_INFINITY) < 1e-37);
        assert!(exp_nonpositive(-1000.0) >= 0.0);
    }
}

//! The numeric building blocks: dot products, linear layers, RMSNorm, RoPE, SwiGLU.
//!
//! Every output element is computed by the same sequence of f32 operations whatever the batch (number of
//! token rows), so a chunked prefill, a token-by-token decode and a speculative verify pass produce
//! bit-identical numbers for the same position. The exactness tests of the sparse policies and of
//! speculative decoding rely on this.

use crate::config::RopeScaling;
use ndarray::{Array2, ArrayView2, ArrayViewMut1};
use rayon::prelude::*;

/// Lanes of the dot-product accumulator; fixed so results do not depend on the call site.
const LANES: usize = 8;

#[inline]
fn reduce(acc: &[f32; LANES]) -> f32 {
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// A `chunks_exact(LANES)` item as a fixed-size array, so the lane loops compile without bounds checks.
#[inline(always)]
fn lanes(c: &[f32]) -> &[f32; LANES] {
    c.try_into().unwrap_or(&[0.0; LANES])
}

/// Round to nearest even bf16, kept in an f32 (NaN and infinities pass through): what a value
/// becomes when a bf16 GPU tensor stores it.
pub fn round_bf16(x: f32) -> f32 {
    if !x.is_finite() {
        return x;
    }
    let u = x.to_bits();
    f32::from_bits(u.wrapping_add(0x7fff + ((u >> 16) & 1)) & 0xffff_0000)
}

/// Multiplies every element by 1 + `eps`·u, u uniform in [-1, 1) from a generator seeded by
/// `seed`: a stand-in for another fp32 summation order (eps ≈ 1e-7 is one fp32 ulp), to measure
/// how far two correct implementations that round the same activations to bf16 can part.
pub fn jitter<'a>(xs: impl IntoIterator<Item = &'a mut f32>, eps: f32, seed: u64) {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for x in xs {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let u = (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
        *x *= 1.0 + eps * u;
    }
}

/// [`round_bf16`] of every element.
pub fn round_bf16_all<'a>(xs: impl IntoIterator<Item = &'a mut f32>) {
    xs.into_iter().for_each(|x| *x = round_bf16(*x));
}

/// `a · b` with 8 interleaved partial sums (lane l holds indices ≡ l mod 8), reduced pairwise, then the
/// tail added in order. `a` and `b` must have the same length (the shorter one bounds the loop).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        let (x, y) = (lanes(x), lanes(y));
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    let mut s = reduce(&acc);
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        s += x * y;
    }
    s
}

/// [`dot`], through AVX2 when the CPU has it (bit-identical either way).
#[inline]
pub fn dot_fast(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: AVX2 support was detected at run time.
        return unsafe { avx2::dot(a, b) };
    }
    dot(a, b)
}

/// Four dot products against one shared `w` (all slices of equal length), each bit-identical to [`dot`];
/// shares the loads of `w`.
#[inline(always)]
fn dot4(x: [&[f32]; 4], w: &[f32]) -> [f32; 4] {
    let mut acc = [[0f32; LANES]; 4];
    let mut cw = w.chunks_exact(LANES);
    let mut c0 = x[0].chunks_exact(LANES);
    let mut c1 = x[1].chunks_exact(LANES);
    let mut c2 = x[2].chunks_exact(LANES);
    let mut c3 = x[3].chunks_exact(LANES);
    for ((((wc, a), b), c), d) in (&mut cw)
        .zip(&mut c0)
        .zip(&mut c1)
        .zip(&mut c2)
        .zip(&mut c3)
    {
        let (wc, a, b, c, d) = (lanes(wc), lanes(a), lanes(b), lanes(c), lanes(d));
        for l in 0..LANES {
            acc[0][l] += a[l] * wc[l];
            acc[1][l] += b[l] * wc[l];
            acc[2][l] += c[l] * wc[l];
            acc[3][l] += d[l] * wc[l];
        }
    }
    let tails = [
        c0.remainder(),
        c1.remainder(),
        c2.remainder(),
        c3.remainder(),
    ];
    let mut out = [0f32; 4];
    for r in 0..4 {
        let mut s = reduce(&acc[r]);
        for (xv, wv) in tails[r].iter().zip(cw.remainder()) {
            s += xv * wv;
        }
        out[r] = s;
    }
    out
}

/// Output rows of `w` per parallel task.
const ROWS_PER_TASK: usize = 16;

/// One task of [`linear`]: output rows `o0..o0 + rows` for every input row, into `block` (`[rows, T]`).
/// `tile` computes a 4 × 2 tile (4 input rows × 2 weight rows); it must be bit-identical to [`dot`].
#[inline(always)]
fn linear_block(
    xs: &[f32],
    ws: &[f32],
    n_in: usize,
    t: usize,
    o0: usize,
    block: &mut [f32],
    tile: impl Fn([&[f32]; 4], &[f32], &[f32]) -> [[f32; 4]; 2],
) {
    let rows = block.len() / t.max(1);
    let xrow = |r: usize| &xs[r * n_in..(r + 1) * n_in];
    let wrow = |j: usize| &ws[(o0 + j) * n_in..(o0 + j + 1) * n_in];
    let mut r = 0;
    while r + 4 <= t {
        let xr = [xrow(r), xrow(r + 1), xrow(r + 2), xrow(r + 3)];
        let mut j = 0;
        while j + 2 <= rows {
            let [y0, y1] = tile(xr, wrow(j), wrow(j + 1));
            block[j * t + r..j * t + r + 4].copy_from_slice(&y0);
            block[(j + 1) * t + r..(j + 1) * t + r + 4].copy_from_slice(&y1);
            j += 2;
        }
        if j < rows {
            let y = dot4(xr, wrow(j));
            block[j * t + r..j * t + r + 4].copy_from_slice(&y);
        }
        r += 4;
    }
    for r in r..t {
        for j in 0..rows {
            block[j * t + r] = dot_fast(xrow(r), wrow(j));
        }
    }
}

/// AVX2 versions of the dot products: the same per-lane multiply, then add (two roundings, no FMA), the
/// same lane reduction and tail, so results are bit-identical to the portable code.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{reduce, LANES};
    use std::arch::x86_64::*;

    #[inline(always)]
    unsafe fn lanes(v: __m256) -> [f32; LANES] {
        let mut a = [0f32; LANES];
        _mm256_storeu_ps(a.as_mut_ptr(), v);
        a
    }

    /// [`super::dot`] with 256-bit registers.
    #[target_feature(enable = "avx2")]
    pub unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let full = n / LANES * LANES;
        let mut acc = _mm256_setzero_ps();
        let mut i = 0;
        while i < full {
            acc = _mm256_add_ps(
                acc,
                _mm256_mul_ps(
                    _mm256_loadu_ps(a.as_ptr().add(i)),
                    _mm256_loadu_ps(b.as_ptr().add(i)),
                ),
            );
            i += LANES;
        }
        let mut s = reduce(&lanes(acc));
        for j in full..n {
            s += a[j] * b[j];
        }
        s
    }

    /// 4 × 2 tile: `out[c][r] = dot(x[r], w_c)`. All slices have the same length.
    #[target_feature(enable = "avx2")]
    pub unsafe fn tile4x2(x: [&[f32]; 4], w0: &[f32], w1: &[f32]) -> [[f32; 4]; 2] {
        let n = w0.len();
        let full = n / LANES * LANES;
        let mut acc = [[_mm256_setzero_ps(); 4]; 2];
        let mut i = 0;
        while i < full {
            let wa = _mm256_loadu_ps(w0.as_ptr().add(i));
            let wb = _mm256_loadu_ps(w1.as_ptr().add(i));
            for r in 0..4 {
                let xv = _mm256_loadu_ps(x[r].as_ptr().add(i));
                acc[0][r] = _mm256_add_ps(acc[0][r], _mm256_mul_ps(xv, wa));
                acc[1][r] = _mm256_add_ps(acc[1][r], _mm256_mul_ps(xv, wb));
            }
            i += LANES;
        }
        let mut out = [[0f32; 4]; 2];
        for (c, w) in [w0, w1].into_iter().enumerate() {
            for r in 0..4 {
                let mut s = reduce(&lanes(acc[c][r]));
                for j in full..n {
                    s += x[r][j] * w[j];
                }
                out[c][r] = s;
            }
        }
        out
    }
}

#[inline(always)]
fn tile4x2_portable(x: [&[f32]; 4], w0: &[f32], w1: &[f32]) -> [[f32; 4]; 2] {
    [dot4(x, w0), dot4(x, w1)]
}

fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVX2: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVX2.get_or_init(|| {
            std::is_x86_feature_detected!("avx2") && std::env::var_os("SDEC_NO_SIMD").is_none()
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `y = x Wᵀ`: `x` is `[T, in]`, `w` is `[out, in]` (both standard layout), `y` is `[T, out]`.
/// Parallel over blocks of output features.
pub fn linear(x: ArrayView2<f32>, w: ArrayView2<f32>) -> Array2<f32> {
    let (t, n_in) = x.dim();
    let n_out = w.nrows();
    debug_assert_eq!(w.ncols(), n_in);
    let xs = x.as_standard_layout();
    let ws = w.as_standard_layout();
    let (xs, ws) = (xs.as_slice().unwrap_or(&[]), ws.as_slice().unwrap_or(&[]));
    let avx2 = has_avx2();
    // [out, T] layout so each task writes a contiguous block.
    let mut yt = vec![0f32; n_out * t];
    yt.par_chunks_mut(ROWS_PER_TASK * t.max(1))
        .enumerate()
        .for_each(|(task, block)| {
            let o0 = task * ROWS_PER_TASK;
            #[cfg(target_arch = "x86_64")]
            if avx2 {
                // SAFETY: AVX2 support was detected at run time; all slices passed have length n_in.
                linear_block(xs, ws, n_in, t, o0, block, |x, a, b| unsafe {
                    avx2::tile4x2(x, a, b)
                });
                return;
            }
            let _ = avx2;
            linear_block(xs, ws, n_in, t, o0, block, tile4x2_portable);
        });
    if t == 1 {
        return Array2::from_shape_vec((1, n_out), yt)
            .unwrap_or_else(|_| Array2::zeros((1, n_out)));
    }
    let yt = Array2::from_shape_vec((n_out, t), yt).unwrap_or_else(|_| Array2::zeros((n_out, t)));
    yt.t().as_standard_layout().into_owned()
}

/// RMSNorm of one vector in place: `x ← x / √(mean(x²) + eps) · w`.
pub fn rmsnorm_inplace(x: &mut [f32], w: &[f32], eps: f32) {
    let ms = dot(x, x) / x.len().max(1) as f32;
    let inv = 1.0 / (ms + eps).sqrt();
    for (v, g) in x.iter_mut().zip(w) {
        *v = (*v * inv) * g;
    }
}

/// RMSNorm of every row of `[T, n]`.
pub fn rmsnorm_rows(x: ArrayView2<f32>, w: &[f32], eps: f32) -> Array2<f32> {
    let mut y = x.as_standard_layout().into_owned();
    for mut row in y.rows_mut() {
        if let Some(r) = row.as_slice_mut() {
            rmsnorm_inplace(r, w, eps);
        }
    }
    y
}

/// RoPE inverse frequencies `θ^(-2i/d)` for i < d/2, with Llama 3.1 scaling when given:
/// wavelengths longer than `original_context / low_freq_factor` are slowed by `factor`, those shorter than
/// `original_context / high_freq_factor` are kept, and the band between interpolates linearly in
/// `original_context / wavelength`.
pub fn rope_inv_freq(head_dim: usize, theta: f64, scaling: Option<&RopeScaling>) -> Vec<f64> {
    let half = head_dim / 2;
    (0..half)
        .map(|i| {
            let f = theta.powf(-((2 * i) as f64) / head_dim as f64);
            let Some(s) = scaling else { return f };
            let wavelen = 2.0 * std::f64::consts::PI / f;
            let low_wavelen = s.original_context as f64 / s.low_freq_factor;
            let high_wavelen = s.original_context as f64 / s.high_freq_factor;
            if wavelen < high_wavelen {
                f
            } else if wavelen > low_wavelen {
                f / s.factor
            } else {
                let smooth = (s.original_context as f64 / wavelen - s.low_freq_factor)
                    / (s.high_freq_factor - s.low_freq_factor);
                (1.0 - smooth) * f / s.factor + smooth * f
            }
        })
        .collect()
}

/// Rotate-half RoPE (HF convention: pairs (i, i + d/2)) of one head vector at position `pos`.
/// Angles in f64, then cos/sin rounded to f32.
pub fn rope_inplace(x: &mut [f32], pos: usize, inv_freq: &[f64]) {
    let half = inv_freq.len();
    for (i, f) in inv_freq.iter().enumerate() {
        let a = pos as f64 * f;
        let (s, c) = (a.sin() as f32, a.cos() as f32);
        let (x1, x2) = (x[i], x[i + half]);
        x[i] = x1 * c - x2 * s;
        x[i + half] = x2 * c + x1 * s;
    }
}

#[inline]
pub fn silu(x: f32) -> f32 {
    x / (1.0 + (-x).exp())
}

/// `silu(gate) * up`, elementwise into `gate`.
pub fn swiglu_inplace(mut gate: ArrayViewMut1<f32>, up: &[f32]) {
    for (g, u) in gate.iter_mut().zip(up) {
        *g = silu(*g) * u;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn linear_rows_equal_single_row_bitwise() {
        let x = Array2::from_shape_fn((7, 37), |(i, j)| {
            ((i * 31 + j * 7) % 13) as f32 * 0.37 - 2.0
        });
        let w = Array2::from_shape_fn((45, 37), |(i, j)| {
            ((i * 17 + j * 5) % 11) as f32 * 0.21 - 1.0
        });
        let y = linear(x.view(), w.view());
        for t in 0..7 {
            let yt = linear(x.slice(ndarray::s![t..t + 1, ..]), w.view());
            for o in 0..45 {
                assert_eq!(y[[t, o]].to_bits(), yt[[0, o]].to_bits());
                let naive: f64 = (0..37).map(|k| x[[t, k]] as f64 * w[[o, k]] as f64).sum();
                assert!((y[[t, o]] as f64 - naive).abs() < 1e-4 * (1.0 + naive.abs()));
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_tile_is_bit_identical_to_portable() {
        if !std::is_x86_feature_detected!("avx2") {
            println!("skipped: no AVX2");
            return;
        }
        for n in [1, 7, 8, 37, 64, 577] {
            let v = |k: usize| {
                (0..n)
                    .map(|i| (((i + 3 * k) * 2654435761usize) % 1000) as f32 / 333.0 - 1.5)
                    .collect::<Vec<f32>>()
            };
            let (x0, x1, x2, x3, w0, w1) = (v(0), v(1), v(2), v(3), v(4), v(5));
            let x = [&x0[..], &x1[..], &x2[..], &x3[..]];
            // SAFETY: AVX2 detected above.
            let a = unsafe { avx2::tile4x2(x, &w0, &w1) };
            let b = tile4x2_portable(x, &w0, &w1);
            assert_eq!(a, b, "n = {n}");
            assert_eq!(a[1][2].to_bits(), dot(&x2, &w1).to_bits());
            // SAFETY: as above.
            assert_eq!(
                unsafe { avx2::dot(&x3, &w0) }.to_bits(),
                dot(&x3, &w0).to_bits()
            );
        }
    }

    #[test]
    fn rmsnorm_unit_rms() {
        let mut x = vec![3.0, -4.0, 0.0, 1.0];
        rmsnorm_inplace(&mut x, &[1.0; 4], 0.0);
        let ms: f32 = x.iter().map(|v| v * v).sum::<f32>() / 4.0;
        assert!((ms - 1.0).abs() < 1e-6);
    }

    #[test]
    fn rope_rotates_pairs_and_keeps_norm() {
        let inv = rope_inv_freq(4, 10000.0, None);
        assert_eq!(inv, vec![1.0, 0.01]);
        let mut x = vec![1.0, 0.0, 0.0, 0.0];
        rope_inplace(&mut x, 1, &inv);
        assert!((x[0] - 1f32.cos()).abs() < 1e-7 && (x[2] - 1f32.sin()).abs() < 1e-7);
        // relative property: <rope(q,m), rope(k,n)> depends on m-n only
        let q = [0.3f32, -1.2, 0.7, 2.0];
        let k = [1.1f32, 0.4, -0.5, 0.9];
        let score = |m: usize, n: usize| {
            let (mut a, mut b) = (q.to_vec(), k.to_vec());
            rope_inplace(&mut a, m, &inv);
            rope_inplace(&mut b, n, &inv);
            dot(&a, &b)
        };
        assert!((score(10, 3) - score(107, 100)).abs() < 1e-4);
    }

    #[test]
    fn llama3_rope_scaling_hand_computed() {
        // Llama 3.1 8B: θ = 500000, d = 128, factor 8, low 1, high 4, original 8192.
        let s = RopeScaling {
            factor: 8.0,
            low_freq_factor: 1.0,
            high_freq_factor: 4.0,
            original_context: 8192,
        };
        let f = rope_inv_freq(128, 500000.0, Some(&s));
        // i = 0: wavelength 2π < 2048 → unchanged.
        assert_eq!(f[0], 1.0);
        // i = 63: 500000^(-126/128) ≈ 2.4e-6, wavelength ≫ 8192 → divided by 8.
        let raw63 = 500000f64.powf(-126.0 / 128.0);
        assert!((f[63] - raw63 / 8.0).abs() < 1e-18);
        // i = 32: raw = 500000^(-1/2) = 1/707.10678 = 1.41421356e-3, wavelength 2π·707.10678 = 4442.8829
        // lies in (2048, 8192): smooth = (8192/4442.8829 - 1)/3 = 0.2812826;
        // scaled = raw·((1 - smooth)/8 + smooth) = 1.41421356e-3 · 0.3711223 = 5.248462e-4.
        assert!((f[32] - 5.248462e-4).abs() < 1e-9, "{}", f[32]);
    }
}

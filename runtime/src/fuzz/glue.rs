//! Fuzzing of the glue kernels against `sdec_kernels::glue::reference`. bf16 outputs allow
//! rtol 2^-7 (twice the rounding) plus a tiny atol; kv append and argmax are exact.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sdec_kernels::glue::{reference, Argmax, ArgmaxConfig, KvAppend, KvAppendConfig, RmsNorm, RmsNormConfig, Rope, RopeConfig, RowShape, Swiglu, SwigluConfig};

use super::inputs::{bf16_bits_to_f32, bf16_normal, compare, f32_normal, POISON_BF16, POISON_I32};
use super::{Check, FuzzFamily};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::launch::glue::{self, ArgmaxScratch, GlueKernel};
use crate::launch::{download, upload};

const RTOL: f32 = 1.0 / 128.0;

fn rows_and_width(rng: &mut ChaCha8Rng) -> (u32, u32) {
    let rows = [1, rng.gen_range(1..=16)][rng.gen_range(0..2)];
    let n = match rng.gen_range(0..4) {
        0 => rng.gen_range(1..64),
        1 => [576, 1536, 4096, 14336][rng.gen_range(0..4)],
        _ => rng.gen_range(64..20_000),
    };
    (rows, n)
}

impl FuzzFamily for RmsNorm {
    fn size(shape: &Self::Shape) -> u64 {
        shape.rows as u64 * shape.n as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> RowShape {
        let (rows, n) = rows_and_width(rng);
        RowShape { rows, n, head_dim: 0, capacity: 0 }
    }

    fn run_case(gpu: &Gpu, config: &RmsNormConfig, shape: &RowShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernel = GlueKernel::new::<RmsNorm>(gpu, config, shape)?;
        let (rows, n) = (shape.rows as usize, shape.n as usize);
        let x = f32_normal(rng, rows * n, 2.0);
        let (w_bits, w) = bf16_normal(rng, n, 1.0);
        let mut y = upload(gpu, &vec![POISON_BF16; rows * n], "rmsnorm output")?;
        glue::rmsnorm(gpu, &kernel, &upload(gpu, &x, "x")?, &upload(gpu, &w_bits, "weight")?, &mut y, n as i32, 1e-5)?;
        let got = bf16_bits_to_f32(&download(&gpu.stream, &y, "rmsnorm output")?);
        Ok(Box::new(move || compare("rmsnorm", &got, &reference::rmsnorm(&x, &w, n, 1e-5), 1e-6, RTOL)))
    }
}

impl FuzzFamily for Rope {
    fn size(shape: &Self::Shape) -> u64 {
        shape.rows as u64 * shape.n as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> RowShape {
        let head_dim = [16, 32, 64, 128, 64, 128][rng.gen_range(0..6)];
        RowShape { rows: rng.gen_range(1..=16), n: head_dim * rng.gen_range(1..=32), head_dim, capacity: 0 }
    }

    fn run_case(gpu: &Gpu, config: &RopeConfig, shape: &RowShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernel = GlueKernel::new::<Rope>(gpu, config, shape)?;
        let (rows, n, d) = (shape.rows as usize, shape.n as usize, shape.head_dim as usize);
        let (x_bits, x) = bf16_normal(rng, rows * n, 1.0);
        let pos: Vec<i32> = (0..rows).map(|_| rng.gen_range(0..131_072)).collect();
        let inv_freq: Vec<f64> = (0..d / 2).map(|i| 500_000f64.powf(-2.0 * i as f64 / d as f64)).collect();
        let mut dx = upload(gpu, &x_bits, "rope input")?;
        glue::rope(gpu, &kernel, &mut dx, &upload(gpu, &pos, "positions")?, &upload(gpu, &inv_freq, "inv_freq")?, (n / d) as i32, d as i32)?;
        let got = bf16_bits_to_f32(&download(&gpu.stream, &dx, "rope output")?);
        // Angles reach 1.3e5 rad; the kernel forms them and their sine and cosine in fp64 as the
        // reference does, so what differs is the fp32 rotation and the output's bf16 rounding.
        Ok(Box::new(move || compare("rope", &got, &reference::rope(&x, &pos, &inv_freq, n / d, d), 1e-3, RTOL)))
    }
}

impl FuzzFamily for Swiglu {
    fn size(shape: &Self::Shape) -> u64 {
        shape.rows as u64 * shape.n as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> RowShape {
        let (rows, n) = rows_and_width(rng);
        RowShape { rows, n, head_dim: 0, capacity: 0 }
    }

    fn run_case(gpu: &Gpu, config: &SwigluConfig, shape: &RowShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernel = GlueKernel::new::<Swiglu>(gpu, config, shape)?;
        let (rows, n) = (shape.rows as usize, shape.n as usize);
        let (gu_bits, gu) = bf16_normal(rng, rows * 2 * n, 2.0);
        let mut out = upload(gpu, &vec![POISON_BF16; rows * n], "swiglu output")?;
        glue::swiglu(gpu, &kernel, &upload(gpu, &gu_bits, "gate/up")?, &mut out, n as i32)?;
        let got = bf16_bits_to_f32(&download(&gpu.stream, &out, "swiglu output")?);
        Ok(Box::new(move || compare("swiglu", &got, &reference::swiglu(&gu, n), 1e-6, RTOL)))
    }
}

impl FuzzFamily for KvAppend {
    fn size(shape: &Self::Shape) -> u64 {
        shape.rows as u64 * shape.capacity as u64 * shape.head_dim as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> RowShape {
        let head_dim = [16, 32, 64, 128, 64, 128][rng.gen_range(0..6)];
        RowShape { rows: rng.gen_range(1..=8) * rng.gen_range(1..=8), n: head_dim, head_dim, capacity: rng.gen_range(1..5000) }
    }

    fn run_case(gpu: &Gpu, config: &KvAppendConfig, shape: &RowShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernel = GlueKernel::new::<KvAppend>(gpu, config, shape)?;
        // rows = batch * kv_heads; pick a batch that divides it.
        let divisors: Vec<u32> = (1..=shape.rows).filter(|b| shape.rows % b == 0).collect();
        let batch = divisors[rng.gen_range(0..divisors.len())] as usize;
        let kv_heads = shape.rows as usize / batch;
        let (d, cap) = (shape.head_dim as usize, shape.capacity as usize);
        let (k_bits, _) = bf16_normal(rng, shape.rows as usize * d, 1.0);
        let (v_bits, _) = bf16_normal(rng, shape.rows as usize * d, 1.0);
        let (cache_bits, _) = bf16_normal(rng, shape.rows as usize * cap * d, 1.0);
        let pos: Vec<i32> = (0..batch).map(|_| rng.gen_range(0..cap as i32)).collect();
        let mut kc = upload(gpu, &cache_bits, "K cache")?;
        let mut vc = upload(gpu, &cache_bits, "V cache")?;
        glue::kv_append(gpu, &kernel, &upload(gpu, &k_bits, "k")?, &upload(gpu, &v_bits, "v")?, &mut kc, &mut vc, &upload(gpu, &pos, "positions")?, kv_heads as i32, cap as i32, d as i32)?;
        let (got_k, got_v) = (download(&gpu.stream, &kc, "K cache")?, download(&gpu.stream, &vc, "V cache")?);
        let (mut want_k, mut want_v) = (cache_bits.clone(), cache_bits);
        for bh in 0..shape.rows as usize {
            let dst = (bh * cap + pos[bh / kv_heads] as usize) * d;
            want_k[dst..dst + d].copy_from_slice(&k_bits[bh * d..(bh + 1) * d]);
            want_v[dst..dst + d].copy_from_slice(&v_bits[bh * d..(bh + 1) * d]);
        }
        let verdict = (got_k != want_k || got_v != want_v).then(|| "cache differs from the expected append".to_string());
        Ok(Box::new(move || verdict))
    }
}

impl FuzzFamily for Argmax {
    fn size(shape: &Self::Shape) -> u64 {
        shape.rows as u64 * shape.n as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> RowShape {
        let rows = rng.gen_range(1..=8);
        let n = [1, rng.gen_range(2..1000), 49_152, 128_256, 151_936][rng.gen_range(0..5)];
        RowShape { rows, n, head_dim: 0, capacity: 0 }
    }

    fn run_case(gpu: &Gpu, config: &ArgmaxConfig, shape: &RowShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernel = GlueKernel::new::<Argmax>(gpu, config, shape)?;
        let (rows, n) = (shape.rows as usize, shape.n as usize);
        // Two launches on fresh logits through the same scratch: the second finds the row
        // counters as the first left them. Coarse values make ties frequent (within and across
        // the CTAs' slices): the smallest index must win.
        let mut scratch = ArgmaxScratch::new(gpu, rows)?;
        let mut runs = Vec::new();
        for _ in 0..2 {
            let logits: Vec<f32> = (0..rows * n).map(|_| rng.gen_range(0..50) as f32).collect();
            let mut out = upload(gpu, &vec![POISON_I32; rows], "argmax output")?;
            glue::argmax(gpu, &kernel, &upload(gpu, &logits, "logits")?, &mut out, n as i32, &mut scratch)?;
            runs.push((logits, download(&gpu.stream, &out, "argmax output")?));
        }
        Ok(Box::new(move || {
            runs.iter().enumerate().find_map(|(run, (logits, got))| {
                let want = reference::argmax(logits, n);
                (*got != want).then(|| format!("argmax launch {run}: {got:?}, expected {want:?}"))
            })
        }))
    }
}

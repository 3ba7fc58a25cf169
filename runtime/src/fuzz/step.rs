//! Fuzzing of the decode loop's own kernels: embed, advance, rope_append and synth_weights (glue.cu),
//! LycheeDecode's index kernels (lychee.cu) and the linear layers (linear.cu). All but linear are
//! exact: embed copies bf16 into fp32, advance adds one, synth_weights must equal sdec-model's
//! generator bit for bit, and the index kernels move integers.

use cudarc::driver::PushKernelArg;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sdec_kernels::glue::reference::{self as glue_ref};
use sdec_kernels::glue::{reference, Advance, AdvanceConfig, Embed, EmbedConfig, RopeAppend, RopeAppendConfig, RowShape, Spin, SpinConfig, SynthWeights, SynthWeightsConfig};
use sdec_kernels::linear::{reference as linear_ref, Linear, LinearConfig, LinearIn, LinearOut, LinearShape, MAX_BATCH};
use sdec_kernels::lychee::{reference as lychee_ref, LycheeIndex, LycheeIndexConfig, LycheeIndexShape};
use sdec_kernels::KernelFamily;
use sdec_model::synthetic::weight_value;

use super::inputs::{bf16_bits_to_f32, bf16_normal, compare, rope_inv_freq, POISON_BF16, POISON_F32, POISON_I32};
use super::{Check, FuzzFamily};
use crate::error::{CudaContextExt, Result};
use crate::gpu::Gpu;
use crate::launch::glue::{self, GlueKernel, SynthOut, SynthRange};
use crate::launch::linear::{LinearDst, LinearKernel, LinearSrc, RopeDst};
use crate::launch::{download, launch_config, spec, upload, validate};

impl FuzzFamily for Embed {
    fn size(shape: &Self::Shape) -> u64 {
        shape.rows as u64 * shape.n as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> RowShape {
        RowShape { rows: rng.gen_range(1..=8), n: [64, 576, 4096, rng.gen_range(1..3000)][rng.gen_range(0..4)], head_dim: 0, capacity: 0 }
    }

    fn run_case(gpu: &Gpu, config: &EmbedConfig, shape: &RowShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernel = GlueKernel::new::<Embed>(gpu, config, shape)?;
        let (rows, n) = (shape.rows as usize, shape.n as usize);
        let vocab = rng.gen_range(1..500);
        let (bits, table) = bf16_normal(rng, vocab * n, 1.0);
        let tokens: Vec<i32> = (0..rows).map(|_| rng.gen_range(0..vocab as i32)).collect();
        let mut x = upload(gpu, &vec![POISON_F32; rows * n], "embed output")?;
        glue::embed(gpu, &kernel, &upload(gpu, &bits, "table")?, &upload(gpu, &tokens, "tokens")?, &mut x, n as i32)?;
        let got = download(&gpu.stream, &x, "embed output")?;
        Ok(Box::new(move || {
            let want = reference::embed(&table, &tokens, n);
            (got.iter().map(|v| v.to_bits()).ne(want.iter().map(|v| v.to_bits()))).then(|| "embed differs from the table rows".to_string())
        }))
    }
}

impl FuzzFamily for Advance {
    fn size(shape: &Self::Shape) -> u64 {
        shape.n as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> RowShape {
        RowShape { rows: rng.gen_range(1..=4), n: rng.gen_range(1..=2000), head_dim: 0, capacity: 0 }
    }

    fn run_case(gpu: &Gpu, config: &AdvanceConfig, shape: &RowShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernel = GlueKernel::new::<Advance>(gpu, config, shape)?;
        let pos: Vec<i32> = (0..shape.n).map(|_| rng.gen_range(0..1 << 20)).collect();
        let mut d = upload(gpu, &pos, "positions")?;
        glue::advance(gpu, &kernel, &mut d, shape.n as i32)?;
        let got = download(&gpu.stream, &d, "positions")?;
        Ok(Box::new(move || got.iter().zip(&pos).any(|(g, p)| *g != p + 1).then(|| "a position did not move by one".to_string())))
    }
}

/// The spin waits at least the nanoseconds asked for (`n`), and not absurdly longer.
impl FuzzFamily for Spin {
    fn size(shape: &Self::Shape) -> u64 {
        shape.n as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> RowShape {
        RowShape { rows: 1, n: rng.gen_range(1_000..=100_000), head_dim: 0, capacity: 0 }
    }

    fn run_case(gpu: &Gpu, config: &SpinConfig, shape: &RowShape, _rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernel = GlueKernel::new::<Spin>(gpu, config, shape)?;
        let mut waited = upload(gpu, &[u64::MAX], "spin timer")?;
        glue::spin(gpu, &kernel, &mut waited, shape.n as u64)?;
        let got = download(&gpu.stream, &waited, "spin timer")?[0];
        let want = shape.n as u64;
        Ok(Box::new(move || (got < want || got > want + 1_000_000).then(|| format!("asked to wait {want} ns, waited {got} ns"))))
    }
}

impl FuzzFamily for SynthWeights {
    fn size(shape: &Self::Shape) -> u64 {
        shape.n as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> RowShape {
        RowShape { rows: rng.gen_range(1..=64), n: rng.gen_range(1..200_000), head_dim: 0, capacity: 0 }
    }

    fn run_case(gpu: &Gpu, config: &SynthWeightsConfig, shape: &RowShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernel = GlueKernel::new::<SynthWeights>(gpu, config, shape)?;
        let n = shape.n as usize;
        let (seed, id, index0): (u64, u64, u64) = (rng.gen(), rng.gen_range(0..600), rng.gen_range(0..1 << 34));
        let (offset, scale) = ([0.0f32, 1.0, 1.75][rng.gen_range(0..3)], rng.gen_range(0.001f32..3.0));
        // Plain, or rows of row_len placed 2·row_len apart (the gate/up interleave).
        let row_len = if rng.gen_bool(0.5) { n } else { rng.gen_range(1..=n.min(5000)) };
        let stride = if row_len == n { n } else { 2 * row_len };
        let at = move |i: usize| i / row_len * stride + i % row_len;
        let len = at(n - 1) + 1;
        let mut out = upload(gpu, &vec![POISON_F32; len], "synthetic weights")?;
        let mut view = out.slice_mut(0..len);
        let range = SynthRange { seed, tensor_id: id, index0, n: n as u64, row_len: row_len as u64, out_stride: stride as u64 };
        glue::synth_weights(gpu, &kernel, SynthOut::F32(&mut view), range, offset, scale)?;
        let got = download(&gpu.stream, &out, "synthetic weights")?;
        Ok(Box::new(move || {
            let want = |i: usize| weight_value(seed, id, index0 + i as u64, offset, scale);
            (0..n).find(|&i| got[at(i)].to_bits() != want(i).to_bits()).map(|i| format!("element {i}: {} on the GPU, {} from sdec-model", got[at(i)], want(i)))
        }))
    }
}

impl FuzzFamily for LycheeIndex {
    fn size(shape: &Self::Shape) -> u64 {
        shape.rows as u64 * shape.entries() as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> LycheeIndexShape {
        let kv_heads = rng.gen_range(1..=8);
        LycheeIndexShape {
            rows: kv_heads * rng.gen_range(1..=4),
            kv_heads,
            k: rng.gen_range(1..=80),
            block: [16, 32, 64, 128][rng.gen_range(0..4)],
            sink: [0, 4, 16, 128][rng.gen_range(0..4)],
            recent: [0, 32, 256, rng.gen_range(1..300)][rng.gen_range(0..4)],
        }
    }

    fn run_case(gpu: &Gpu, config: &LycheeIndexConfig, s: &LycheeIndexShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        validate::<LycheeIndex>(gpu, config, s)?;
        let kernels = gpu.module::<LycheeIndex>(config, s)?;
        let specs = LycheeIndex::launches(config, s, &gpu.limits());
        let (rows, k) = (s.rows as usize, s.k as usize);
        let context = rng.gen_range(1..(s.k * s.block * 2 + s.sink + s.recent + 2)) as i32;
        let blocks = (context as u32).div_ceil(s.block) as i32;
        // Distinct block ids per row (as top-k gives them), some rows padded with -1.
        let index: Vec<i32> = (0..rows)
            .flat_map(|_| {
                let mut ids = rand::seq::index::sample(rng, blocks.max(1) as usize, (blocks as usize).min(k)).into_vec();
                ids.sort_unstable();
                let mut row: Vec<i32> = ids.into_iter().map(|b| b as i32).collect();
                row.resize(k, -1);
                row
            })
            .collect();
        let k_valid = rng.gen_range(1..=k);
        let picks: Vec<i32> = (0..rows * k_valid).map(|_| rng.gen_range(0..blocks.max(1))).collect();
        let retrieval: Vec<i32> = (0..s.kv_heads).map(|_| rng.gen_bool(0.4) as i32).collect();
        let d_index = upload(gpu, &index, "index")?;
        let mut tokens = upload(gpu, &vec![POISON_I32 - 1; rows * s.entries() as usize], "token lists")?;
        let (kk, block, sink, recent) = (s.k as i32, s.block as i32, s.sink as i32, s.recent as i32);
        let f = kernels.function("lychee_tokens")?;
        unsafe {
            gpu.stream.launch_builder(&f).arg(&d_index).arg(&mut tokens).arg(&kk).arg(&block).arg(&sink).arg(&recent).arg(&context)
                .launch(launch_config(spec(&specs, "lychee_tokens")?))
        }
        .during("lychee_tokens")?;
        // The update rewrites the retrieval rows' index and token lists; other rows' lists keep
        // what they held (here the first kernel's output).
        let mut d_index2 = upload(gpu, &index, "index")?;
        let mut tokens2 = gpu.stream.clone_dtod(&tokens).during("copying token lists")?;
        let (kvh, kv) = (s.kv_heads as i32, k_valid as i32);
        let f = kernels.function("lychee_update")?;
        unsafe {
            gpu.stream.launch_builder(&f).arg(&upload(gpu, &picks, "picks")?).arg(&upload(gpu, &retrieval, "retrieval")?).arg(&mut d_index2)
                .arg(&mut tokens2).arg(&kvh).arg(&kk).arg(&kv).arg(&block).arg(&sink).arg(&recent).arg(&context)
                .launch(launch_config(spec(&specs, "lychee_update")?))
        }
        .during("lychee_update")?;
        let got_tokens = download(&gpu.stream, &tokens, "token lists")?;
        let got_index = download(&gpu.stream, &d_index2, "index")?;
        let got_tokens2 = download(&gpu.stream, &tokens2, "token lists after the update")?;
        let s = s.clone();
        Ok(Box::new(move || {
            let want_tokens: Vec<i32> = index.chunks(k).flat_map(|row| lychee_ref::tokens_row(&s, row, context)).collect();
            if got_tokens != want_tokens {
                let i = got_tokens.iter().zip(&want_tokens).position(|(a, b)| a != b).unwrap_or(0);
                return Some(format!("token slot {i}: {} on the GPU, {} expected (context {context})", got_tokens[i], want_tokens[i]));
            }
            let want_index = lychee_ref::update(&s, &picks, &retrieval, &index, k_valid);
            if got_index != want_index {
                return Some("lychee_update's index differs".to_string());
            }
            let want_tokens2: Vec<i32> = want_index.chunks(k).flat_map(|row| lychee_ref::tokens_row(&s, row, context)).collect();
            (got_tokens2 != want_tokens2).then(|| "lychee_update's token lists differ from its new index's".to_string())
        }))
    }
}

/// bf16 products of up to 14336 terms, accumulated in fp32 in another order than the f64
/// reference: the accumulation error (≲ 2^-22·√in·Σ|w x|) is far below the bf16 output's
/// rounding, so bf16 outputs get rtol 2^-7 (twice their rounding) and fp32 ones rtol 1e-4, with
/// atol 2e-3 (outputs are O(1): weights scaled by 1/√in).
impl FuzzFamily for Linear {
    fn size(shape: &Self::Shape) -> u64 {
        shape.out_dim as u64 * shape.in_dim as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> LinearShape {
        let input = [LinearIn::Bf16, LinearIn::F32, LinearIn::RmsNorm][rng.gen_range(0..3)];
        let rope = LinearOut::RopeAppend { head_dim: [16, 32, 64, 128][rng.gen_range(0..4)], kv_heads: rng.gen_range(1..=4) };
        let out = [LinearOut::Bf16, LinearOut::F32, LinearOut::AddF32, LinearOut::SwiGlu, rope][rng.gen_range(0..5)];
        let dims = [8, 64, 576, 1536, 4096, 14336];
        let out_dim: u32 = if rng.gen_bool(0.5) { dims[rng.gen_range(0..dims.len())] } else { rng.gen_range(1..6000) };
        let out_dim = match out {
            LinearOut::SwiGlu => 2 * out_dim.div_ceil(2),
            // q heads: a GQA group of 1-8 per KV head.
            LinearOut::RopeAppend { head_dim, kv_heads } => (kv_heads * rng.gen_range(1..=8) + 2 * kv_heads) * head_dim,
            _ => out_dim,
        };
        let in_dim = if rng.gen_bool(0.5) { dims[rng.gen_range(0..dims.len())] } else { 8 * rng.gen_range(1..800) };
        LinearShape { batch: [1, 1, 2, rng.gen_range(1..=8), rng.gen_range(9..=MAX_BATCH)][rng.gen_range(0..5)], out_dim, in_dim, input, out }
    }

    fn run_case(gpu: &Gpu, config: &LinearConfig, s: &LinearShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernel = LinearKernel::new(gpu, *config, s.clone())?;
        let (b, o, i) = (s.batch as usize, s.out_dim as usize, s.in_dim as usize);
        let (w_bits, w) = bf16_normal(rng, o * i, 1.0 / (i as f32).sqrt());
        let dw = upload(gpu, &w_bits, "weights")?;
        // The given input: bf16 rows, gate|up rows, or fp32 residual rows with norm weights.
        let (x_bits, x_bf16) = bf16_normal(rng, b * i, 1.5);
        let x_f32: Vec<f32> = x_bf16.iter().map(|v| v * 3.0 + 0.5).collect();
        let (gamma_bits, gamma) = bf16_normal(rng, i, 1.0);
        let (dx_bits, dx_f32, dgamma) = (upload(gpu, &x_bits, "activations")?, upload(gpu, &x_f32, "residual")?, upload(gpu, &gamma_bits, "norm weights")?);
        let src = match s.input {
            LinearIn::Bf16 => LinearSrc::Bf16(&dx_bits),
            LinearIn::F32 => LinearSrc::F32(&dx_f32),
            LinearIn::RmsNorm => LinearSrc::RmsNorm { x: &dx_f32, gamma: &dgamma, eps: 1e-5 },
        };
        if let LinearOut::RopeAppend { head_dim, kv_heads } = s.out {
            return rope_append_case(gpu, &kernel, &dw, src, (w, x_bf16, x_f32, gamma), (head_dim as usize, kv_heads as usize), rng);
        }
        let y0: Vec<f32> = (0..b * o).map(|_| rng.gen_range(-2.0..2.0)).collect();
        let got = match s.out {
            LinearOut::Bf16 => {
                let mut y = upload(gpu, &vec![POISON_BF16; b * o], "output")?;
                kernel.launch(gpu, &dw, src, LinearDst::Bf16(&mut y))?;
                bf16_bits_to_f32(&download(&gpu.stream, &y, "output")?)
            }
            LinearOut::SwiGlu => {
                let mut y = upload(gpu, &vec![POISON_F32; b * o / 2], "output")?;
                kernel.launch(gpu, &dw, src, LinearDst::F32(&mut y))?;
                download(&gpu.stream, &y, "output")?
            }
            LinearOut::F32 | LinearOut::AddF32 => {
                let mut y = upload(gpu, &if s.out == LinearOut::F32 { vec![POISON_F32; b * o] } else { y0.clone() }, "output")?;
                kernel.launch(gpu, &dw, src, LinearDst::F32(&mut y))?;
                download(&gpu.stream, &y, "output")?
            }
            LinearOut::RopeAppend { .. } => unreachable!("handled above"),
        };
        let (input, out) = (s.input, s.out);
        Ok(Box::new(move || {
            let given = if input == LinearIn::Bf16 { &x_bf16 } else { &x_f32 };
            let rows = linear_ref::input_rows(input, given, i, &gamma, 1e-5);
            let mut want = linear_ref::linear(&w, &rows, o, i, (out == LinearOut::AddF32).then_some(&y0[..]));
            if out == LinearOut::SwiGlu {
                want = linear_ref::swiglu_pairs(&want);
            }
            // A normed input stays fp32 (its norm factor differs from the f64 reference's by
            // ~1e-7 relative): inside the fp32 accumulation error.
            let rtol = if out == LinearOut::Bf16 { 1.0 / 128.0 } else { 1e-4 };
            compare("linear", &got, &want, 2e-3, rtol)
        }))
    }
}

/// `linear`'s q|k|v product with RoPE and the KV append (`LinearOut::RopeAppend`): a random
/// product in rotation-pair order, rows at random positions of one or several sequences, q
/// poisoned and the caches random. Against the f64 product rounded to bf16 and rotated in f64:
/// each rotated value r mixes two bf16 products that the GPU's fp32 sum may round one ulp (at most
/// |a|/128) the other way, and is itself rounded to bf16 (half an ulp: at most |r|/256), so q and
/// k get 2e-3 + (|a| + |b|)/128 + |r|/256 for the pair (a, b) it comes from (seed 2413 case 99
/// needs the last term: a one-ulp flip of a ≈ 4.6 plus the rounding of r ≈ 4.45); v gets the bf16
/// product's 1/128; every other cache entry must be untouched.
fn rope_append_case(
    gpu: &Gpu,
    kernel: &LinearKernel,
    dw: &cudarc::driver::CudaSlice<u16>,
    src: LinearSrc,
    (w, x_bf16, x_f32, gamma): (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>),
    (d, kv_heads): (usize, usize),
    rng: &mut ChaCha8Rng,
) -> Result<Check> {
    let s = kernel.shape.clone();
    let (rows, o, i) = (s.batch as usize, s.out_dim as usize, s.in_dim as usize);
    let kv_dim = kv_heads * d;
    let q_dim = o - 2 * kv_dim;
    let per_seq = if rows > 1 && rng.gen_bool(0.5) { rows } else { 1 };
    let seqs = rows / per_seq;
    let cap = rng.gen_range(per_seq..per_seq + 40);
    let pos = chunk_positions(rng, seqs, per_seq, cap);
    let inv_freq = rope_inv_freq(d, 500_000.0);
    let (cache_bits, _) = bf16_normal(rng, seqs * kv_dim * cap, 1.0);
    let mut q = upload(gpu, &vec![POISON_BF16; rows * q_dim], "q")?;
    let (mut kc, mut vc) = (upload(gpu, &cache_bits, "K cache")?, upload(gpu, &cache_bits, "V cache")?);
    let (dpos, dfreq) = (upload(gpu, &pos, "positions")?, upload(gpu, &inv_freq, "inv_freq")?);
    let dst = RopeDst { q: &mut q, k_cache: &mut kc, v_cache: &mut vc, pos: &dpos, inv_freq: &dfreq, capacity: cap, rows_per_seq: per_seq };
    kernel.launch(gpu, dw, src, LinearDst::RopeAppend(dst))?;
    let got_q = bf16_bits_to_f32(&download(&gpu.stream, &q, "q")?);
    let (got_k, got_v) = (bf16_bits_to_f32(&download(&gpu.stream, &kc, "K cache")?), bf16_bits_to_f32(&download(&gpu.stream, &vc, "V cache")?));
    let input = s.input;
    Ok(Box::new(move || {
        let given = if input == LinearIn::Bf16 { &x_bf16 } else { &x_f32 };
        let x = linear_ref::input_rows(input, given, i, &gamma, 1e-5);
        let y: Vec<f32> = linear_ref::linear(&w, &x, o, i, None).iter().map(|&v| half::bf16::from_f32(v).to_f32()).collect();
        let cache = bf16_bits_to_f32(&cache_bits);
        let (mut want_q, mut want_k, mut want_v) = (Vec::new(), cache.clone(), cache);
        let (mut bound_q, mut bound_k) = (Vec::new(), vec![0.0f32; want_k.len()]);
        for (b, row) in y.chunks(o).enumerate() {
            let (rq, rk, rv) = linear_ref::rope_append_row(row, pos[b], &inv_freq, d, kv_heads);
            // The bound of a rotated value from its pair's inputs (natural order: dims j, j + d/2).
            let natural = glue_ref::from_rotation_pairs(&row[..q_dim + kv_dim], 1, d);
            let bounds: Vec<f32> = natural
                .chunks(d)
                .flat_map(|head| {
                    let (lo, hi) = head.split_at(d / 2);
                    let pair: Vec<f32> = lo.iter().zip(hi).map(|(a, c)| 2e-3 + (a.abs() + c.abs()) / 128.0).collect();
                    [pair.clone(), pair].concat()
                })
                .collect();
            let with_rounding = |bound: &f32, r: &f32| bound + r.abs() / 256.0;
            want_q.extend_from_slice(&rq);
            bound_q.extend(bounds[..q_dim].iter().zip(&rq).map(|(bound, r)| with_rounding(bound, r)));
            for h in 0..kv_heads {
                let at = ((b / per_seq * kv_heads + h) * cap + pos[b] as usize) * d;
                want_k[at..at + d].copy_from_slice(&rk[h * d..(h + 1) * d]);
                let head = q_dim + h * d..q_dim + (h + 1) * d;
                for (j, (bound, r)) in bounds[head].iter().zip(&rk[h * d..(h + 1) * d]).enumerate() {
                    bound_k[at + j] = with_rounding(bound, r);
                }
                want_v[at..at + d].copy_from_slice(&rv[h * d..(h + 1) * d]);
            }
        }
        within("rope q", &got_q, &want_q, &bound_q)
            .or_else(|| within("K cache", &got_k, &want_k, &bound_k))
            .or_else(|| compare("V cache", &got_v, &want_v, 2e-3, 1.0 / 128.0))
    }))
}

/// Positions of `seqs` sequences of `per_seq` consecutive rows each (a chunk), at random places of
/// a cache of `cap` (≥ per_seq).
fn chunk_positions(rng: &mut ChaCha8Rng, seqs: usize, per_seq: usize, cap: usize) -> Vec<i32> {
    (0..seqs)
        .flat_map(|_| {
            let first = rng.gen_range(0..=(cap - per_seq) as i32);
            first..first + per_seq as i32
        })
        .collect()
}

/// The first value of `got` farther from `want` than its own `bound` (0: must be equal), if any.
fn within(what: &str, got: &[f32], want: &[f32], bound: &[f32]) -> Option<String> {
    let bad: Vec<usize> = (0..got.len()).filter(|&j| got[j].is_nan() || (got[j] - want[j]).abs() > bound[j]).collect();
    bad.first().map(|&j| format!("{what}: {} of {} values out of tolerance; first at {j}: got {} want {} (bound {})", bad.len(), got.len(), got[j], want[j], bound[j]))
}

/// RoPE + append against the rope reference and a plain copy: rotated values carry one bf16
/// rounding each (as the `rope` family's check), the rest of the cache must be untouched. Half the
/// cases normalise q and k heads first (Qwen3), against sdec-model's `rmsnorm_inplace`.
impl FuzzFamily for RopeAppend {
    fn size(shape: &Self::Shape) -> u64 {
        shape.rows as u64 * shape.capacity as u64 * shape.head_dim as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> RowShape {
        let head_dim = [16, 32, 64, 128][rng.gen_range(0..4)];
        let kv_heads = rng.gen_range(1..=8);
        let heads = kv_heads * rng.gen_range(1..=8);
        RowShape { rows: rng.gen_range(1..=8), n: (heads + 2 * kv_heads) * head_dim, head_dim, capacity: rng.gen_range(1..3000) }
    }

    fn run_case(gpu: &Gpu, config: &RopeAppendConfig, s: &RowShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let kernel = GlueKernel::new::<RopeAppend>(gpu, config, s)?;
        let (rows, d, cap) = (s.rows as usize, s.head_dim as usize, s.capacity as usize);
        // Rows are tokens of `rows / per_seq` sequences (a chunk: consecutive positions of one).
        let per_seq = *[1, rows].get(rng.gen_range(0..2)).unwrap_or(&1);
        let per_seq = if per_seq > cap { 1 } else { per_seq };
        let batch = rows / per_seq;
        // n = (heads + 2·kv_heads)·d: pick the split the shape was drawn with (any valid one works).
        let units = s.n as usize / d;
        let kv_heads = (1..=units / 3).rev().find(|kv| (units - 2 * kv) % kv == 0).unwrap_or(1);
        let heads = units - 2 * kv_heads;
        let (qkv_bits, qkv) = bf16_normal(rng, rows * units * d, 1.0);
        let (cache_bits, _) = bf16_normal(rng, batch * kv_heads * cap * d, 1.0);
        let pos = chunk_positions(rng, batch, per_seq, cap);
        let inv_freq = rope_inv_freq(d, 10_000.0);
        // Half the cases carry Qwen3's q/k norm (weights around its synthetic 1.75, in bf16).
        let with_norms = rng.gen_bool(0.5);
        let mut norm_weights = || {
            let (_, w) = bf16_normal(rng, d, 0.5);
            let bits: Vec<u16> = w.iter().map(|&x| half::bf16::from_f32(x + 1.75).to_bits()).collect();
            let values: Vec<f32> = bits.iter().map(|&b| half::bf16::from_bits(b).to_f32()).collect();
            (bits, values)
        };
        let norms = if with_norms { Some((norm_weights(), norm_weights())) } else { None };
        let eps = 1e-6f32;
        let norm_bufs = match &norms {
            Some(((qb, _), (kb, _))) => Some((upload(gpu, qb, "q_norm")?, upload(gpu, kb, "k_norm")?)),
            None => None,
        };
        let mut q = upload(gpu, &vec![POISON_BF16; rows * heads * d], "q")?;
        let (mut kc, mut vc) = (upload(gpu, &cache_bits, "K cache")?, upload(gpu, &cache_bits, "V cache")?);
        let dims = (heads as i32, kv_heads as i32, d as i32, cap as i32);
        let qk_norm = norm_bufs.as_ref().map(|(qn, kn)| (qn, kn, eps));
        glue::rope_append(gpu, &kernel, &upload(gpu, &qkv_bits, "qkv")?, &mut q, &mut kc, &mut vc, &upload(gpu, &pos, "positions")?, &upload(gpu, &inv_freq, "inv_freq")?, dims, per_seq as i32, qk_norm)?;
        let got_q = bf16_bits_to_f32(&download(&gpu.stream, &q, "q")?);
        let (got_k, got_v) = (bf16_bits_to_f32(&download(&gpu.stream, &kc, "K cache")?), bf16_bits_to_f32(&download(&gpu.stream, &vc, "V cache")?));
        Ok(Box::new(move || {
            let cache = bf16_bits_to_f32(&cache_bits);
            let (mut want_q, mut want_k, mut want_v) = (Vec::new(), cache.clone(), cache);
            for b in 0..rows {
                let row = &qkv[b * units * d..(b + 1) * units * d];
                let mut qk = glue_ref::from_rotation_pairs(&row[..(heads + kv_heads) * d], 1, d);
                if let Some(((_, qn), (_, kn))) = &norms {
                    for (h, head) in qk.chunks_exact_mut(d).enumerate() {
                        sdec_model::ops::rmsnorm_inplace(head, if h < heads { qn } else { kn }, eps);
                    }
                }
                let rotated = reference::rope(&qk, &[pos[b]], &inv_freq, heads + kv_heads, d);
                want_q.extend_from_slice(&rotated[..heads * d]);
                for h in 0..kv_heads {
                    let at = ((b / per_seq * kv_heads + h) * cap + pos[b] as usize) * d;
                    want_k[at..at + d].copy_from_slice(&rotated[(heads + h) * d..(heads + h + 1) * d]);
                    want_v[at..at + d].copy_from_slice(&row[(heads + kv_heads + h) * d..(heads + kv_heads + h + 1) * d]);
                }
            }
            // Angles in fp64 on both sides: what differs is the fp32 rotation and the bf16 rounding.
            compare("rope q", &got_q, &want_q, 1e-3, 1.0 / 128.0)
                .or_else(|| compare("K cache", &got_k, &want_k, 1e-3, 1.0 / 128.0))
                .or_else(|| (got_v != want_v).then(|| "V cache differs".to_string()))
        }))
    }
}

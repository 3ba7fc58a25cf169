//! Fuzzing of `decode_attention`, `gather_attention` and `chunk_attention` against
//! `sdec_kernels::attention::reference`.
//!
//! Tolerance: outputs are bf16, so each element carries up to half an ulp (2^-8 relative) of
//! rounding; we allow rtol = 2^-7 plus atol = 5e-4 for fp32 accumulation over long contexts
//! (V is unit normal). Block scores are fp32 dot products: atol 1e-3, rtol 1e-4.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sdec_kernels::attention::{reference, AttentionShape, ChunkAttention, ChunkAttentionConfig, ChunkShape, DecodeAttention, DecodeAttentionConfig, GatherAttention, GatherAttentionConfig, GatherShape};
use sdec_kernels::logit_codes;

use super::inputs::{bf16_bits_to_f32, bf16_normal, compare, POISON_BF16, POISON_CODE, POISON_F32};
use super::{Check, FuzzFamily};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::launch::attention::{AttentionInputs, ChunkKernel, DecodeKernel, GatherKernel};
use crate::launch::{download, upload};

const RTOL: f32 = 1.0 / 128.0;
const ATOL: f32 = 5e-4;
/// Largest K cache of a case, in elements.
const MAX_KV_ELEMENTS: u64 = 4 << 20;

/// Heads, dims and a context with the edge cases: 1 token, tile remainders, long.
fn draw_heads(rng: &mut ChaCha8Rng) -> (u32, u32, u32, u32, u32, u32) {
    let batch = if rng.gen_bool(0.2) { rng.gen_range(5..=8) } else { rng.gen_range(1..=4) };
    let kv_heads = rng.gen_range(1..=3);
    let group = [1, 4, 7, 8, rng.gen_range(1..=8)][rng.gen_range(0..5)];
    let head_dim = [16, 32, 64, 128, 64, 128][rng.gen_range(0..6)];
    let context = match rng.gen_range(0..10) {
        0 => 1,
        1..=5 => rng.gen_range(2..1500),
        6..=8 => rng.gen_range(1500..6000),
        _ => rng.gen_range(6000..20_000),
    };
    let capacity = context + [0, 1, rng.gen_range(0..300)][rng.gen_range(0..3)];
    // Keep K (and V) within MAX_KV_ELEMENTS so inputs and the reference stay quick.
    let per_head = capacity as u64 * head_dim as u64;
    let kv_heads = kv_heads.min((MAX_KV_ELEMENTS / per_head).max(1) as u32);
    let batch = batch.min((MAX_KV_ELEMENTS / (per_head * kv_heads as u64)).max(1) as u32);
    (batch, kv_heads, group, head_dim, context, capacity)
}

struct HostInputs {
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    scale: f32,
}

/// bf16 NaN: what the gather cases store in the cache rows past the context, which a kernel must
/// never let into its sums (the TMA path's boxes read such rows and mask them).
const NAN_BF16: u16 = 0x7fc0;

/// q, K, V with random values; `nan_from`: the cache rows of each head from there to the
/// capacity hold NaN (the reference never reads them).
fn make_inputs(
    gpu: &Gpu, rng: &mut ChaCha8Rng, batch: u32, kv_heads: u32, group: u32, head_dim: u32, capacity: u32, nan_from: u32,
) -> Result<(HostInputs, [cudarc::driver::CudaSlice<u16>; 3])> {
    let (b, h, g, d, cap) = (batch as usize, kv_heads as usize, group as usize, head_dim as usize, capacity as usize);
    // A larger query scale makes attention peaky, a small one near uniform; both must pass.
    let q_scale = [0.5, 1.0, 4.0][rng.gen_range(0..3)];
    let (q_bits, q) = bf16_normal(rng, b * h * g * d, q_scale);
    let (mut k_bits, k) = bf16_normal(rng, b * h * cap * d, 1.0);
    let (mut v_bits, v) = bf16_normal(rng, b * h * cap * d, 1.0);
    for head in 0..b * h {
        let past = (head * cap + nan_from as usize) * d..(head + 1) * cap * d;
        k_bits[past.clone()].fill(NAN_BF16);
        v_bits[past].fill(NAN_BF16);
    }
    let dev = [upload(gpu, &q_bits, "q")?, upload(gpu, &k_bits, "K cache")?, upload(gpu, &v_bits, "V cache")?];
    Ok((HostInputs { q, k, v, scale: 1.0 / (head_dim as f32).sqrt() }, dev))
}

impl FuzzFamily for DecodeAttention {
    fn size(shape: &Self::Shape) -> u64 {
        (shape.batch * shape.kv_heads) as u64 * shape.capacity as u64 * shape.head_dim as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> AttentionShape {
        let (batch, kv_heads, group, head_dim, context, capacity) = draw_heads(rng);
        AttentionShape { batch, kv_heads, group, head_dim, context, capacity, emit_scores: rng.gen_bool(0.5), score_block: [16, 32, 64, 128][rng.gen_range(0..4)] }
    }

    fn run_case(gpu: &Gpu, config: &DecodeAttentionConfig, shape: &AttentionShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let mut kernel = DecodeKernel::new(gpu, *config, shape.clone())?;
        let (host, [q, k, v]) = make_inputs(gpu, rng, shape.batch, shape.kv_heads, shape.group, shape.head_dim, shape.capacity, shape.capacity)?;
        let out_len = (shape.batch * shape.kv_heads * shape.group * shape.head_dim) as usize;
        let n_scores = (shape.batch * shape.kv_heads * shape.n_blocks()) as usize;
        let mut out = upload(gpu, &vec![POISON_BF16; out_len], "attention output")?;
        let mut scores = upload(gpu, &vec![POISON_F32; n_scores], "block scores")?;
        kernel.launch(gpu, &AttentionInputs { q: &q, k: &k, v: &v, scale: host.scale }, &mut out, &mut scores)?;
        let got = bf16_bits_to_f32(&download(&gpu.stream, &out, "attention output")?);
        let got_scores = download(&gpu.stream, &scores, "block scores")?;
        let shape = shape.clone();
        Ok(Box::new(move || {
            let want = reference::decode(&shape, &host.q, &host.k, &host.v, host.scale);
            compare("output", &got, &want, ATOL, RTOL).or_else(|| {
                shape.emit_scores.then(|| {
                    let s = &shape;
                    let want = reference::block_scores(s.batch, s.kv_heads, s.group, s.head_dim, s.context, s.capacity, s.score_block, &host.q, &host.k);
                    compare("block scores", &got_scores, &want, 1e-3, 1e-4)
                })?
            })
        }))
    }
}

impl FuzzFamily for GatherAttention {
    fn size(shape: &Self::Shape) -> u64 {
        (shape.batch * shape.kv_heads) as u64 * shape.capacity as u64 * shape.head_dim as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> GatherShape {
        let (batch, kv_heads, group, head_dim, context, capacity) = draw_heads(rng);
        let gather_block = [1, 1, 16, 64][rng.gen_range(0..4)];
        let units = context.div_ceil(gather_block);
        let entries = match rng.gen_range(0..6) {
            0 => units,
            1 => 1,
            _ => rng.gen_range(0..=units.min(4096)),
        };
        let dense = (0..kv_heads).map(|_| rng.gen_bool(0.3)).collect();
        let (emit_scores, score_block) = (rng.gen_bool(0.3), [16, 32, 64, 128][rng.gen_range(0..4)]);
        GatherShape { batch, kv_heads, group, head_dim, context, capacity, gather_block, entries, dense, emit_scores, score_block, runs: false }
    }

    fn run_case(gpu: &Gpu, config: &GatherAttentionConfig, shape: &GatherShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let mut kernel = GatherKernel::new(gpu, *config, shape.clone())?;
        let (host, [q, k, v]) = make_inputs(gpu, rng, shape.batch, shape.kv_heads, shape.group, shape.head_dim, shape.capacity, shape.context)?;
        // Each sparse head lists distinct units (tokens or blocks), scattered or in runs; some
        // padding.
        let units = shape.context.div_ceil(shape.gather_block);
        let heads = (shape.batch * shape.kv_heads) as usize;
        let runs = rng.gen_bool(0.5);
        let mut entries = Vec::with_capacity(heads * shape.entries as usize);
        for _ in 0..heads {
            let mut ids = if runs { runs_list(rng, units, shape.entries) } else { scattered_list(rng, units, shape.entries) };
            for id in ids.iter_mut() {
                if rng.gen_bool(0.02) {
                    *id = -1;
                }
            }
            entries.extend(ids);
        }
        let d_entries = upload(gpu, &entries, "gather entries")?;
        let out_len = (shape.batch * shape.kv_heads * shape.group * shape.head_dim) as usize;
        let mut out = upload(gpu, &vec![POISON_BF16; out_len], "attention output")?;
        let n_scores = (shape.batch * shape.kv_heads * shape.n_blocks()) as usize;
        let mut scores = upload(gpu, &vec![POISON_F32; n_scores], "block scores")?;
        let inputs = AttentionInputs { q: &q, k: &k, v: &v, scale: host.scale };
        kernel.launch_at(gpu, &inputs, &d_entries.slice(..), shape.context, &mut out, shape.emit_scores.then_some(&mut scores))?;
        let got = bf16_bits_to_f32(&download(&gpu.stream, &out, "attention output")?);
        let got_scores = download(&gpu.stream, &scores, "block scores")?;
        let shape = shape.clone();
        Ok(Box::new(move || {
            let want = reference::gather(&shape, &host.q, &host.k, &host.v, &entries, host.scale);
            compare("output", &got, &want, ATOL, RTOL).or_else(|| {
                shape.emit_scores.then(|| dense_head_scores_mismatch(&shape, &host, &got_scores))?
            })
        }))
    }
}

/// `entries` distinct ids of 0..units in random order.
fn scattered_list(rng: &mut ChaCha8Rng, units: u32, entries: u32) -> Vec<i32> {
    let mut ids: Vec<i32> = (0..units as i32).collect();
    ids.shuffle(rng);
    ids.truncate(entries as usize);
    ids
}

/// `entries` slots of runs of consecutive ids (as LycheeDecode's index: sink, window, blocks),
/// of any length and start, so that some runs straddle the kernels' 32-entry units and some
/// units hold two; an id that a run repeats is -1, as the index marks overlaps.
fn runs_list(rng: &mut ChaCha8Rng, units: u32, entries: u32) -> Vec<i32> {
    let mut seen = vec![false; units as usize];
    let mut ids = Vec::with_capacity(entries as usize);
    while ids.len() < entries as usize {
        let len = [rng.gen_range(1..=40), 32, 64][rng.gen_range(0..3)];
        let start = rng.gen_range(0..units);
        for id in start..(start + len).min(units) {
            if ids.len() == entries as usize {
                break;
            }
            ids.push(if std::mem::replace(&mut seen[id as usize], true) { -1 } else { id as i32 });
        }
    }
    ids
}

/// Block scores of the dense heads only (sparse heads' rows are not written, and stay poisoned).
fn dense_head_scores_mismatch(s: &GatherShape, host: &HostInputs, got: &[f32]) -> Option<String> {
    let want = reference::block_scores(s.batch, s.kv_heads, s.group, s.head_dim, s.context, s.capacity, s.score_block, &host.q, &host.k);
    let n_blocks = s.n_blocks() as usize;
    let rows = (s.batch * s.kv_heads) as usize;
    let dense_rows: Vec<usize> = (0..rows).filter(|r| s.dense[r % s.kv_heads as usize]).collect();
    let pick = |v: &[f32]| dense_rows.iter().flat_map(|r| v[r * n_blocks..(r + 1) * n_blocks].to_vec()).collect::<Vec<f32>>();
    compare("dense-head block scores", &pick(got), &pick(&want), 1e-3, 1e-4)
}

/// The unit maxes are fp32 tensor-core sums of bf16 products (≤ 128 terms) against the f64
/// reference: a few fp32 ulps, far inside this (relative to 1 + |logit|).
const LOGITS_TOL: f32 = 1e-3;

/// Each row's first `context` logits as the codes give them back (sdec_kernels::logit_codes):
/// every unit's max within tolerance of the reference's; each token's code within half a step
/// (1/32 log2) of its logit, plus the tolerance of both ends; the largest code where the
/// reference masks, and otherwise only where the logit is 255 steps or more below the max.
fn codes_mismatch(s: &ChunkShape, codes: &[u8], want: &[f32]) -> Option<String> {
    use logit_codes::{offsets, unit_max, value, CLAMP, STEPS_PER_LOG2, UNIT};
    let (rows, cap, ctx) = (s.rows() as usize, s.capacity as usize, s.context as usize);
    let tol = |x: f32| LOGITS_TOL * (1.0 + x.abs());
    for seq in 0..(s.batch * s.kv_heads) as usize {
        for rho in 0..rows {
            for (u, unit) in want[(seq * rows + rho) * ctx..][..ctx].chunks(UNIT).enumerate() {
                let t0 = u * UNIT;
                let at = format!("set {seq} (batch × KV head), row {rho}, tokens {t0}..");
                let want_max = unit.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let got_max = unit_max(codes, rows, cap, seq, rho, t0);
                if want_max.is_finite() && !((got_max - want_max).abs() <= tol(want_max)) {
                    return Some(format!("logit codes: unit max {got_max}, expected {want_max} ({at})"));
                }
                for (i, &logit) in unit.iter().enumerate() {
                    let code = codes[offsets(rows, cap, seq, rho, t0 + i).0];
                    let ok = if logit == f32::NEG_INFINITY {
                        code == CLAMP
                    } else if code == CLAMP {
                        logit <= got_max - (CLAMP as f32 - 0.5) / STEPS_PER_LOG2 + 2.0 * tol(logit)
                    } else {
                        (value(got_max, code) - logit).abs() <= 0.5 / STEPS_PER_LOG2 + 2.0 * tol(logit)
                    };
                    if !ok {
                        return Some(format!("logit codes: token {} has code {code} against the unit max {got_max}; its logit is {logit} ({at})", t0 + i));
                    }
                }
            }
        }
    }
    None
}

/// P goes through the tensor cores as two bf16 parts (hi + lo, 16 bits), so the output carries
/// the decode family's error (its bf16 rounding: RTOL, ATOL); the log2-sum-exp is an fp32 sum of
/// fp32 weights, off by float rounding only.
const CHUNK_ATOL: f32 = ATOL;
const CHUNK_LSE_ATOL: f32 = 1e-4;

impl FuzzFamily for ChunkAttention {
    fn size(shape: &Self::Shape) -> u64 {
        (shape.batch * shape.kv_heads) as u64 * shape.capacity as u64 * shape.head_dim as u64
    }

    fn draw_shape(rng: &mut ChaCha8Rng) -> ChunkShape {
        let (batch, kv_heads, group, head_dim, context, capacity) = draw_heads(rng);
        let qrows = [1, 7, 8, rng.gen_range(1..=8)][rng.gen_range(0..4)].min(context);
        ChunkShape { batch, kv_heads, group, head_dim, qrows, context, capacity, logits: rng.gen_bool(0.5) }
    }

    fn run_case(gpu: &Gpu, config: &ChunkAttentionConfig, shape: &ChunkShape, rng: &mut ChaCha8Rng) -> Result<Check> {
        let mut kernel = ChunkKernel::new(gpu, *config, shape.clone())?;
        // q holds qrows rows per sequence: draw it as `qrows` times the group.
        let (host, [q, k, v]) = make_inputs(gpu, rng, shape.batch, shape.kv_heads, shape.group * shape.qrows, shape.head_dim, shape.capacity, shape.capacity)?;
        let rows = (shape.batch * shape.qrows * shape.kv_heads * shape.group) as usize;
        let mut out = upload(gpu, &vec![POISON_BF16; rows * shape.head_dim as usize], "chunk attention output")?;
        let mut lse = upload(gpu, &vec![POISON_F32; rows], "chunk log-sum-exp")?;
        let codes_len = logit_codes::bytes((shape.batch * shape.kv_heads) as usize, shape.rows() as usize, shape.capacity as usize);
        let mut codes = upload(gpu, &vec![POISON_CODE; if shape.logits { codes_len } else { 1 }], "chunk logit codes")?;
        let inputs = AttentionInputs { q: &q, k: &k, v: &v, scale: host.scale };
        kernel.launch_at(gpu, &inputs, shape.context, &mut out, &mut lse.slice_mut(..), shape.logits.then(|| codes.slice_mut(..)).as_mut())?;
        let got = bf16_bits_to_f32(&download(&gpu.stream, &out, "chunk attention output")?);
        let got_lse = download(&gpu.stream, &lse, "chunk log-sum-exp")?;
        let got_codes = if shape.logits { download(&gpu.stream, &codes, "chunk logit codes")? } else { Vec::new() };
        let shape = shape.clone();
        Ok(Box::new(move || {
            let (want, want_lse) = reference::chunk(&shape, &host.q, &host.k, &host.v, host.scale);
            compare("output", &got, &want, CHUNK_ATOL, RTOL)
                .or_else(|| compare("log2-sum-exp", &got_lse, &want_lse, CHUNK_LSE_ATOL, 1e-6))
                .or_else(|| shape.logits.then(|| codes_mismatch(&shape, &got_codes, &reference::chunk_logits(&shape, &host.q, &host.k, host.scale)))?)
        }))
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    /// Runs lists: `entries` slots of ids in 0..units, each id at most once (repeats are -1),
    /// and mostly consecutive, so the TMA path's boxes are exercised.
    #[test]
    fn runs_lists_hold_each_id_once_in_consecutive_runs() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for (units, entries) in [(1, 1), (7, 7), (100, 37), (5000, 4096), (64, 0)] {
            let list = runs_list(&mut rng, units, entries);
            assert_eq!(list.len(), entries as usize);
            let ids: Vec<i32> = list.iter().copied().filter(|&i| i >= 0).collect();
            assert!(ids.iter().all(|&i| (i as u32) < units), "{units}: {ids:?}");
            let mut distinct = ids.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), ids.len(), "an id listed twice");
            if entries >= 64 {
                let steps = list.windows(2).filter(|w| w[0] >= 0 && w[1] == w[0] + 1).count();
                assert!(steps * 2 > list.len(), "{steps} consecutive steps in {}", list.len());
            }
        }
        let scattered = scattered_list(&mut rng, 5000, 4096);
        assert_eq!(scattered.len(), 4096);
        assert!(scattered.windows(2).filter(|w| w[1] == w[0] + 1).count() < 64, "scattered lists are not runs");
    }
}

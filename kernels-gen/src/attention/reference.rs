//! References of the attention families, in f64 over the bf16 inputs (given here as f32 holding
//! bf16 values). Layouts as in [`super::AttentionShape`].

use rayon::prelude::*;

use super::{AttentionShape, GatherShape};

/// softmax(scale · q·K_t) · V over `tokens` of one KV head; zeros when `tokens` is empty.
pub fn attend_one(q: &[f32], k_head: &[f32], v_head: &[f32], head_dim: usize, tokens: &[usize], scale: f32) -> Vec<f32> {
    let mut out = vec![0.0f64; head_dim];
    if tokens.is_empty() {
        return vec![0.0; head_dim];
    }
    let logits: Vec<f64> = tokens
        .iter()
        .map(|&t| {
            let k = &k_head[t * head_dim..(t + 1) * head_dim];
            scale as f64 * q.iter().zip(k).map(|(&a, &b)| a as f64 * b as f64).sum::<f64>()
        })
        .collect();
    let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = weights.iter().sum();
    for (&t, w) in tokens.iter().zip(&weights) {
        let v = &v_head[t * head_dim..(t + 1) * head_dim];
        for (o, &x) in out.iter_mut().zip(v) {
            *o += w / total * x as f64;
        }
    }
    out.into_iter().map(|x| x as f32).collect()
}

/// Runs `tokens_of(batch*kv_heads + h)` for every head and attends all its query heads.
fn attend_all(
    batch: u32, kv_heads: u32, group: u32, head_dim: u32, capacity: u32,
    q: &[f32], k: &[f32], v: &[f32], scale: f32, tokens_of: impl Fn(usize) -> Vec<usize> + Sync,
) -> Vec<f32> {
    let (d, g, cap) = (head_dim as usize, group as usize, capacity as usize);
    let heads = (batch * kv_heads) as usize;
    let tokens: Vec<Vec<usize>> = (0..heads).into_par_iter().map(&tokens_of).collect();
    // Each query head on its own thread: the tuner's verification shapes have two KV heads, and
    // descent checks one configuration at a time.
    (0..heads * g)
        .into_par_iter()
        .flat_map_iter(|qhead| {
            let head = qhead / g;
            let k_head = &k[head * cap * d..(head + 1) * cap * d];
            let v_head = &v[head * cap * d..(head + 1) * cap * d];
            attend_one(&q[qhead * d..(qhead + 1) * d], k_head, v_head, d, &tokens[head], scale)
        })
        .collect()
}

/// Dense decode attention: out [batch][kv_heads*group][head_dim].
pub fn decode(shape: &AttentionShape, q: &[f32], k: &[f32], v: &[f32], scale: f32) -> Vec<f32> {
    let all: Vec<usize> = (0..shape.context as usize).collect();
    attend_all(shape.batch, shape.kv_heads, shape.group, shape.head_dim, shape.capacity, q, k, v, scale, |_| all.clone())
}

/// LycheeDecode block scores: [batch*kv_heads][ceil(context/block)], max over each block of
/// (group-mean q)·k, unscaled.
pub fn block_scores(
    batch: u32, kv_heads: u32, group: u32, head_dim: u32, context: u32, capacity: u32, block: u32,
    q: &[f32], k: &[f32],
) -> Vec<f32> {
    let (d, g, cap, ctx, bs) = (head_dim as usize, group as usize, capacity as usize, context as usize, block as usize);
    (0..(batch * kv_heads) as usize)
        .into_par_iter()
        .flat_map_iter(|head| {
            let qbar: Vec<f64> = (0..d).map(|i| (0..g).map(|j| q[(head * g + j) * d + i] as f64).sum::<f64>() / g as f64).collect();
            let k_head = &k[head * cap * d..];
            (0..ctx.div_ceil(bs))
                .map(|b| {
                    (b * bs..((b + 1) * bs).min(ctx))
                        .map(|t| qbar.iter().zip(&k_head[t * d..(t + 1) * d]).map(|(a, &x)| a * x as f64).sum::<f64>())
                        .fold(f64::NEG_INFINITY, f64::max) as f32
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The tokens a head of the gather family reads: its whole context if dense, else its list
/// expanded by `gather_block`, skipping negative ids and tokens at or past the context.
pub fn gather_tokens(shape: &GatherShape, entries: &[i32], head: usize) -> Vec<usize> {
    let kv_head = head % shape.kv_heads as usize;
    if shape.dense[kv_head] {
        return (0..shape.context as usize).collect();
    }
    let n = shape.entries as usize;
    let gb = shape.gather_block as usize;
    entries[head * n..(head + 1) * n]
        .iter()
        .filter(|&&e| e >= 0)
        .flat_map(|&e| (0..gb).map(move |i| e as usize * gb + i))
        .filter(|&t| t < shape.context as usize)
        .collect()
}

/// Gather attention: out [batch][kv_heads*group][head_dim]; `entries` [batch*kv_heads][entries].
pub fn gather(shape: &GatherShape, q: &[f32], k: &[f32], v: &[f32], entries: &[i32], scale: f32) -> Vec<f32> {
    attend_all(shape.batch, shape.kv_heads, shape.group, shape.head_dim, shape.capacity, q, k, v, scale, |head| {
        gather_tokens(shape, entries, head)
    })
}

/// Chunk attention ([`super::ChunkShape`]): out [batch][qrows][kv_heads*group][head_dim] and
/// each row's log2-sum-exp of `scale·q·k` over the tokens it sees (`0..=context − qrows + r`).
pub fn chunk(shape: &super::ChunkShape, q: &[f32], k: &[f32], v: &[f32], scale: f32) -> (Vec<f32>, Vec<f32>) {
    let (d, g, cap, kvh, rows) = (shape.head_dim as usize, shape.group as usize, shape.capacity as usize, shape.kv_heads as usize, shape.qrows as usize);
    let n_heads = kvh * g;
    let per_row: Vec<(Vec<f32>, f32)> = (0..shape.batch as usize * rows * n_heads)
        .into_par_iter()
        .map(|i| {
            let (b, r, h) = (i / (rows * n_heads), i / n_heads % rows, i % n_heads);
            let head = b * kvh + h / g;
            let k_head = &k[head * cap * d..(head + 1) * cap * d];
            let v_head = &v[head * cap * d..(head + 1) * cap * d];
            let tokens: Vec<usize> = (0..=shape.context as usize - rows + r).collect();
            let qh = &q[i * d..(i + 1) * d];
            let logits = tokens.iter().map(|&t| scale as f64 * qh.iter().zip(&k_head[t * d..(t + 1) * d]).map(|(&a, &b)| a as f64 * b as f64).sum::<f64>());
            let max = logits.clone().fold(f64::NEG_INFINITY, f64::max);
            let lse2 = (max + logits.map(|l| (l - max).exp()).sum::<f64>().ln()) * std::f64::consts::LOG2_E;
            (attend_one(qh, k_head, v_head, d, &tokens, scale), lse2 as f32)
        })
        .collect();
    let lse = per_row.iter().map(|(_, l)| *l).collect();
    (per_row.into_iter().flat_map(|(o, _)| o).collect(), lse)
}

/// The logits `chunk_attention` writes with `logits`: [batch][kv_heads][group·qrows][context] (the
/// kernel's rows are `capacity` long; only the first `context` are written), scale·log2(e)·q·k for
/// the tokens a row sees, −inf for the later ones.
pub fn chunk_logits(shape: &super::ChunkShape, q: &[f32], k: &[f32], scale: f32) -> Vec<f32> {
    let (d, g, cap, kvh, rows, ctx) = (shape.head_dim as usize, shape.group as usize, shape.capacity as usize, shape.kv_heads as usize, shape.qrows as usize, shape.context as usize);
    let n_heads = kvh * g;
    (0..shape.batch as usize * kvh * rows * g)
        .into_par_iter()
        .flat_map_iter(|i| {
            let (b, h, rho) = (i / (kvh * rows * g), i / (rows * g) % kvh, i % (rows * g));
            let (r, gi) = (rho / g, rho % g);
            let qh = &q[((b * rows + r) * n_heads + h * g + gi) * d..][..d];
            let k_head = &k[(b * kvh + h) * cap * d..];
            let limit = ctx - rows + r;
            (0..ctx).map(move |t| {
                if t > limit {
                    return f32::NEG_INFINITY;
                }
                let dot: f64 = qh.iter().zip(&k_head[t * d..(t + 1) * d]).map(|(&a, &b)| a as f64 * b as f64).sum();
                (scale as f64 * std::f64::consts::LOG2_E * dot) as f32
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_token_returns_its_value_and_uniform_keys_average() {
        let d = 64;
        let q = vec![0.5f32; d];
        let k = vec![1.0f32; 3 * d];
        let v: Vec<f32> = (0..3 * d).map(|i| (i / d) as f32).collect();
        let one = attend_one(&q, &k, &v, d, &[2], 0.1);
        assert!(one.iter().all(|&x| x == 2.0));
        let all = attend_one(&q, &k, &v, d, &[0, 1, 2], 0.1);
        assert!(all.iter().all(|&x| (x - 1.0).abs() < 1e-6));
    }

    #[test]
    fn block_scores_pick_the_block_maximum() {
        // One head, group 2, head dim 64, 5 tokens, blocks of 2: k_t = t * e0, q = (1, 3) on dim 0.
        let d = 64;
        let mut q = vec![0.0f32; 2 * d];
        q[0] = 1.0;
        q[d] = 3.0;
        let mut k = vec![0.0f32; 5 * d];
        for t in 0..5 {
            k[t * d] = t as f32 - 2.0;
        }
        let s = block_scores(1, 1, 2, 64, 5, 5, 2, &q, &k);
        assert_eq!(s, vec![-2.0, 2.0, 4.0]); // mean q = 2: max(-4,-2), max(0,2), 4
    }

    /// Row r of a chunk sees one token more than row r − 1; with equal keys its log2-sum-exp is
    /// log2 of the count and its output the mean of the values it sees.
    #[test]
    fn chunk_rows_are_causal() {
        let d = 16;
        let shape = super::super::ChunkShape { batch: 1, kv_heads: 1, group: 1, head_dim: 16, qrows: 3, context: 5, capacity: 6, logits: false };
        let q = vec![0.25f32; 3 * d];
        let k = vec![1.0f32; 6 * d];
        let v: Vec<f32> = (0..6 * d).map(|i| (i / d) as f32).collect();
        let (out, lse) = chunk(&shape, &q, &k, &v, 0.5);
        for (r, seen) in [3usize, 4, 5].into_iter().enumerate() {
            assert!((lse[r] as f64 - (seen as f64).log2() - 0.5 * 0.25 * 16.0 * std::f64::consts::LOG2_E).abs() < 1e-5);
            let mean = (0..seen).sum::<usize>() as f32 / seen as f32;
            assert!(out[r * d..(r + 1) * d].iter().all(|&x| (x - mean).abs() < 1e-6));
        }
    }
}

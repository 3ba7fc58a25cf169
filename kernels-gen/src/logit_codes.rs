//! SpecAttn's verify logits in 8 bits: what `chunk_attention` writes with `logits` and
//! `spec_score_logits` reads back instead of K.
//!
//! Writing them in fp16 cost the verification 0.96 ms a round at 128K (1.9 GB; docs/results/
//! decode.md section 35), and the selection only ranks tokens by probability. So each row's
//! logits (log2 units) are coded per unit of [`UNIT`] tokens against the unit's max m: token t
//! gets `min(255, round(16 · (m − logit_t)))`, a 1/16 step in log2, so a decoded probability is
//! within 2^(±1/32) (±2.2%) of the true one. [`CLAMP`] stands for 255 steps below m or more: it
//! decodes as 255 steps below, a probability of at most 2^-15.9 of the unit's largest where the
//! true one may be less. Masked tokens code as [`CLAMP`] too; the reader knows which they are
//! (a verify row sees the positions up to its own), and a unit a row sees none of has m = −inf.
//!
//! Layout: blocks of [`BLOCK`] tokens (four units), `[seqs = batch · kv_heads][blocks][block]`, a
//! block holding the codes `[rows][BLOCK]` (row ρ = r · group + g, as the logits were), then the
//! rows' unit maxes `[rows][4]` (f32). The selection's warp reads a row's 128 tokens as one
//! 128-byte line and their four maxes as 16 bytes (with a block of one unit, its loads touched
//! eight lines each and it ran slower than on fp16 logits: decode.md section 36); the verify
//! pass's warp writes a unit's 16 rows as 32-byte pieces of one block.

/// Tokens of a unit: one max per (row, unit).
pub const UNIT: usize = 32;
/// Tokens of a block.
pub const BLOCK: usize = 128;
/// Code steps per log2 unit.
pub const STEPS_PER_LOG2: f32 = 16.0;
/// The largest code: 255 steps below the unit's max or more, or a masked token.
pub const CLAMP: u8 = 255;

/// Blocks of a row of `capacity` tokens (the last may be partial).
pub fn blocks(capacity: usize) -> usize {
    capacity.div_ceil(BLOCK)
}

/// Bytes of one block for `rows` rows: codes and maxes (a multiple of 16).
pub fn block_bytes(rows: usize) -> usize {
    rows * (BLOCK + 4 * (BLOCK / UNIT))
}

/// Bytes of the codes of `seqs` (batch · KV heads) sets of `rows` rows over `capacity` tokens.
pub fn bytes(seqs: usize, rows: usize, capacity: usize) -> usize {
    seqs * blocks(capacity) * block_bytes(rows)
}

/// A logit's code against its unit's max (as the kernel rounds: to nearest, clamped at
/// [`CLAMP`]; −inf codes as [`CLAMP`]).
pub fn code(max: f32, logit: f32) -> u8 {
    let steps = (max - logit) * STEPS_PER_LOG2;
    // NaN (max and logit both −inf) and +inf both clamp.
    if steps.is_nan() || steps >= CLAMP as f32 {
        CLAMP
    } else {
        steps.round_ties_even().max(0.0) as u8
    }
}

/// The logit a code stands for (−inf in a unit whose max is −inf).
pub fn value(max: f32, code: u8) -> f32 {
    max - code as f32 / STEPS_PER_LOG2
}

/// Where row `rho`'s code of token `t` and its unit's max lie in the blocks of set `seq`.
pub fn offsets(rows: usize, capacity: usize, seq: usize, rho: usize, t: usize) -> (usize, usize) {
    let block = (seq * blocks(capacity) + t / BLOCK) * block_bytes(rows);
    (block + rho * BLOCK + t % BLOCK, block + rows * BLOCK + 4 * (rho * (BLOCK / UNIT) + t % BLOCK / UNIT))
}

/// Codes `logits` [seqs][rows][capacity] (log2 units, −inf where masked) into the block layout.
pub fn encode(rows: usize, capacity: usize, logits: &[f32]) -> Vec<u8> {
    let seqs = logits.len() / (rows * capacity).max(1);
    let mut out = vec![0u8; bytes(seqs, rows, capacity)];
    for seq in 0..seqs {
        for rho in 0..rows {
            let row = &logits[(seq * rows + rho) * capacity..][..capacity];
            for (u, unit) in row.chunks(UNIT).enumerate() {
                let max = unit.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let t0 = u * UNIT;
                let (_, at_max) = offsets(rows, capacity, seq, rho, t0);
                out[at_max..at_max + 4].copy_from_slice(&max.to_le_bytes());
                for (i, &logit) in unit.iter().enumerate() {
                    out[offsets(rows, capacity, seq, rho, t0 + i).0] = code(max, logit);
                }
                // A partial last unit: the tokens past capacity code as masked (a partial
                // block's units wholly past it are never read).
                for i in unit.len()..UNIT {
                    out[offsets(rows, capacity, seq, rho, t0).0 + i] = CLAMP;
                }
            }
        }
    }
    out
}

/// The unit max of row `rho`, unit of token `t`, in set `seq` of `codes`.
pub fn unit_max(codes: &[u8], rows: usize, capacity: usize, seq: usize, rho: usize, t: usize) -> f32 {
    let at = offsets(rows, capacity, seq, rho, t).1;
    f32::from_le_bytes([codes[at], codes[at + 1], codes[at + 2], codes[at + 3]])
}

/// The logits `codes` stand for, [seqs][rows][capacity] (masked tokens as [`CLAMP`] decodes).
pub fn decode(rows: usize, capacity: usize, codes: &[u8]) -> Vec<f32> {
    let seqs = codes.len() / (blocks(capacity) * block_bytes(rows)).max(1);
    (0..seqs * rows * capacity)
        .map(|i| {
            let (seq, rho, t) = (i / (rows * capacity), i / capacity % rows, i % capacity);
            value(unit_max(codes, rows, capacity, seq, rho, t), codes[offsets(rows, capacity, seq, rho, t).0])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_whole_16_byte_pieces() {
        assert_eq!(block_bytes(28), 4032, "Llama's 4 × 7 verify rows: 3584 code bytes + 448 of maxes");
        assert_eq!(block_bytes(21) % 16, 0, "SmolLM2's 3 × 7");
        assert_eq!(bytes(8, 28, 131072), 8 * 1024 * 4032);
        assert_eq!(blocks(129), 2);
    }

    #[test]
    fn codes_round_to_sixteenths_of_log2_and_clamp_at_zero_probability() {
        assert_eq!(code(3.0, 3.0), 0);
        assert_eq!(code(3.0, 3.0 - 1.0 / 16.0), 1);
        assert_eq!(code(3.0, 3.0 - 1.2 / 16.0), 1);
        assert_eq!(code(3.0, 3.0 - 254.4 / 16.0), 254);
        assert_eq!(code(3.0, 3.0 - 254.6 / 16.0), CLAMP);
        assert_eq!(code(3.0, 3.0 - 300.0 / 16.0), CLAMP);
        assert_eq!(code(3.0, f32::NEG_INFINITY), CLAMP);
        assert_eq!(code(f32::NEG_INFINITY, f32::NEG_INFINITY), CLAMP);
        assert_eq!(value(3.0, 16), 2.0);
        assert_eq!(value(3.0, CLAMP), 3.0 - 255.0 / 16.0);
        assert_eq!(value(f32::NEG_INFINITY, CLAMP), f32::NEG_INFINITY);
    }

    #[test]
    fn decoding_is_within_half_a_step_and_masked_tokens_clamp() {
        let (rows, capacity) = (3, 70);  // a partial last unit
        let logits: Vec<f32> = (0..2 * rows * capacity)
            .map(|i| if i % capacity > 60 && i % 7 == 0 { f32::NEG_INFINITY } else { ((i as f32 * 0.73).sin() * 6.0).round() / 8.0 + (i % 5) as f32 * 0.01 })
            .collect();
        let codes = encode(rows, capacity, &logits);
        assert_eq!(codes.len(), bytes(2, rows, capacity));
        let back = decode(rows, capacity, &codes);
        for (i, (&want, &got)) in logits.iter().zip(&back).enumerate() {
            if want == f32::NEG_INFINITY {
                assert_eq!(codes[offsets(rows, capacity, i / (rows * capacity), i / capacity % rows, i % capacity).0], CLAMP, "masked token {i}");
            } else {
                assert!((got - want).abs() <= 0.5 / STEPS_PER_LOG2 + 1e-6, "token {i}: {got} for {want}");
            }
        }
        // Each unit's max is exact: its own token codes as 0.
        assert_eq!(unit_max(&codes, rows, capacity, 1, 2, 65), logits[(rows + 2) * capacity + 64..(rows + 3) * capacity].iter().copied().fold(f32::NEG_INFINITY, f32::max));
    }
}

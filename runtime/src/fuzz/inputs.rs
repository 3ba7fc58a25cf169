//! Random inputs and poisoned outputs for the fuzzer.

use half::bf16;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rand_distr::{Distribution, StandardNormal};

/// Values are drawn in chunks of this many, each chunk from its own stream seeded by the caller's
/// generator: the same values on any number of threads, and a large case (the tuner verifies
/// attention on up to 20K tokens of K and V, ten million values) drawn on every core instead of
/// one. Smaller draws take the caller's stream directly.
const CHUNK: usize = 1 << 16;

/// `len` values of `draw`, in parallel chunks where `len` exceeds [`CHUNK`].
fn draw_many<T: Send>(rng: &mut ChaCha8Rng, len: usize, draw: impl Fn(&mut ChaCha8Rng) -> T + Sync) -> Vec<T> {
    if len <= CHUNK {
        return (0..len).map(|_| draw(rng)).collect();
    }
    let seeds: Vec<u64> = (0..len.div_ceil(CHUNK)).map(|_| rng.gen()).collect();
    let draw = &draw;
    seeds
        .par_iter()
        .enumerate()
        .flat_map_iter(|(c, &seed)| {
            let mut chunk_rng = ChaCha8Rng::seed_from_u64(seed);
            (0..CHUNK.min(len - c * CHUNK)).map(move |_| draw(&mut chunk_rng))
        })
        .collect()
}

/// Normal(0, scale) values rounded to bf16: (raw bits for the device, f32 values for the reference).
pub fn bf16_normal(rng: &mut ChaCha8Rng, len: usize, scale: f32) -> (Vec<u16>, Vec<f32>) {
    let values = draw_many(rng, len, |r| {
        let x: f32 = StandardNormal.sample(r);
        bf16::from_f32(x * scale)
    });
    (values.par_iter().map(|v| v.to_bits()).collect(), values.par_iter().map(|v| v.to_f32()).collect())
}

pub fn f32_normal(rng: &mut ChaCha8Rng, len: usize, scale: f32) -> Vec<f32> {
    draw_many(rng, len, |r| {
        let x: f32 = StandardNormal.sample(r);
        x * scale
    })
}

/// Scores with many exact ties (few distinct values), to exercise tie-breaking.
pub fn f32_with_ties(rng: &mut ChaCha8Rng, len: usize, distinct: u32) -> Vec<f32> {
    draw_many(rng, len, |r| r.gen_range(0..distinct) as f32 * 0.25 - 1.0)
}

/// bf16 NaN (all ones): what every output holds before a run, so an unwritten element fails.
pub const POISON_BF16: u16 = 0xffff;
/// f32 NaN with all bits set.
pub const POISON_F32: f32 = f32::from_bits(0xffff_ffff);
pub const POISON_I32: i32 = -1;
/// The poison of 8-bit logit codes (sdec_kernels::logit_codes): code 90 where a code should be,
/// 1.5e16 read as a unit max, which no check lets pass.
pub const POISON_CODE: u8 = 0x5a;

/// RoPE's inverse frequencies θ^(-2i/d), i < d/2.
pub fn rope_inv_freq(d: usize, theta: f64) -> Vec<f64> {
    (0..d / 2).map(|i| theta.powf(-2.0 * i as f64 / d as f64)).collect()
}

pub fn bf16_bits_to_f32(bits: &[u16]) -> Vec<f32> {
    bits.iter().map(|&b| bf16::from_bits(b).to_f32()).collect()
}

/// Largest violation of |got - want| <= atol + rtol * |want|, as a message; NaN always fails.
pub fn compare(what: &str, got: &[f32], want: &[f32], atol: f32, rtol: f32) -> Option<String> {
    if got.len() != want.len() {
        return Some(format!("{what}: {} values, expected {}", got.len(), want.len()));
    }
    let mut worst: Option<(usize, f32)> = None;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let excess = (g - w).abs() - (atol + rtol * w.abs());
        if g.is_nan() || excess > 0.0 {
            let e = if g.is_nan() { f32::INFINITY } else { excess };
            if worst.is_none_or(|(_, x)| e > x) {
                worst = Some((i, e));
            }
        }
    }
    worst.map(|(i, _)| {
        let bad = got.iter().zip(want).filter(|(g, w)| g.is_nan() || (**g - **w).abs() > atol + rtol * w.abs()).count();
        format!("{what}: {bad} of {} values out of tolerance; worst at {i}: got {} want {}", got.len(), got[i], want[i])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_draws_do_not_depend_on_the_thread_count() {
        let len = 3 * CHUNK + 5;
        let draw = || bf16_normal(&mut ChaCha8Rng::seed_from_u64(7), len, 2.0);
        let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(draw);
        let (bits, values) = draw();
        assert_eq!(bits, one_thread.0);
        assert_eq!(values.len(), len);
        // Chunks come from distinct streams: no chunk repeats the first.
        assert_ne!(values[..CHUNK], values[CHUNK..2 * CHUNK]);
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / len as f64;
        let var = values.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / len as f64;
        assert!(mean.abs() < 0.02 && (var.sqrt() - 2.0).abs() < 0.02, "mean {mean}, sd {}", var.sqrt());
    }

    #[test]
    fn small_draws_take_the_callers_stream() {
        let mut a = ChaCha8Rng::seed_from_u64(3);
        let mut b = ChaCha8Rng::seed_from_u64(3);
        let direct: Vec<f32> = (0..100).map(|_| StandardNormal.sample(&mut b)).collect();
        assert_eq!(f32_normal(&mut a, 100, 1.0), direct);
    }
}

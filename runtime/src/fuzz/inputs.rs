//! Random inputs and poisoned outputs for the fuzzer.

use half::bf16;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Normal(0, scale) values rounded to bf16: (raw bits for the device, f32 values for the reference).
pub fn bf16_normal(rng: &mut ChaCha8Rng, len: usize, scale: f32) -> (Vec<u16>, Vec<f32>) {
    let values: Vec<bf16> = (0..len)
        .map(|_| {
            let x: f32 = StandardNormal.sample(rng);
            bf16::from_f32(x * scale)
        })
        .collect();
    (values.iter().map(|v| v.to_bits()).collect(), values.iter().map(|v| v.to_f32()).collect())
}

pub fn f32_normal(rng: &mut ChaCha8Rng, len: usize, scale: f32) -> Vec<f32> {
    (0..len).map(|_| StandardNormal.sample(rng)).map(|x: f32| x * scale).collect()
}

/// Scores with many exact ties (few distinct values), to exercise tie-breaking.
pub fn f32_with_ties(rng: &mut ChaCha8Rng, len: usize, distinct: u32) -> Vec<f32> {
    (0..len).map(|_| rng.gen_range(0..distinct) as f32 * 0.25 - 1.0).collect()
}

/// bf16 NaN (all ones): what every output holds before a run, so an unwritten element fails.
pub const POISON_BF16: u16 = 0xffff;
/// f32 NaN with all bits set.
pub const POISON_F32: f32 = f32::from_bits(0xffff_ffff);
pub const POISON_I32: i32 = -1;

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

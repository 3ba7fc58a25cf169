//! bf16 helpers shared by the references: the same rounding as the kernels' `float_to_bf16`.

use half::bf16;

/// Rounds to bf16 and back, as a kernel that stores bf16 does.
pub fn round(x: f32) -> f32 {
    bf16::from_f32(x).to_f32()
}

pub fn to_f32(v: &[bf16]) -> Vec<f32> {
    v.iter().map(|x| x.to_f32()).collect()
}

pub fn from_f32(v: &[f32]) -> Vec<bf16> {
    v.iter().map(|&x| bf16::from_f32(x)).collect()
}

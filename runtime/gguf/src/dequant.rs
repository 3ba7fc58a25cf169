//! Dequantization of ggml tensor data to f32.
//!
//! Block layouts (little-endian, 32 elements per quantized block):
//! - `Q8_0`: `f16 d, i8 q[32]`; `x[i] = d * q[i]`.
//! - `Q4_0`: `f16 d, u8 qs[16]`; `x[j] = d * ((qs[j] & 0xF) - 8)`,
//!   `x[j + 16] = d * ((qs[j] >> 4) - 8)` for `j < 16`.
//! - `Q4_1`: `f16 d, f16 m, u8 qs[16]`; `x[j] = d * (qs[j] & 0xF) + m`,
//!   `x[j + 16] = d * (qs[j] >> 4) + m`.
//!
//! So in the Q4 types the low nibbles hold the first half of the block and the
//! high nibbles the second half (not interleaved pairs).
//! `BF16` is the upper 16 bits of an f32; `F16` is IEEE half.

use half::f16;

use crate::error::{GgufError, Result};
use crate::ggml_type::GgmlType;

/// Dequantizes `bytes` holding exactly `n_elements` values of `ty`.
/// `name` is only used in error messages.
pub fn dequantize(ty: GgmlType, bytes: &[u8], n_elements: usize, name: &str) -> Result<Vec<f32>> {
    let unsupported = || GgufError::UnsupportedTensorType {
        name: name.to_string(),
        ggml_type: ty.name(),
    };
    let (block_elems, block_bytes) = ty.block_layout().ok_or_else(unsupported)?;
    let (block_elems, block_bytes) = (block_elems as usize, block_bytes as usize);
    let bad = |reason: String| GgufError::BadTensor {
        name: name.to_string(),
        reason,
    };
    if !n_elements.is_multiple_of(block_elems) {
        return Err(bad(format!(
            "{n_elements} elements is not a whole number of {ty} blocks"
        )));
    }
    let expected = (n_elements / block_elems)
        .checked_mul(block_bytes)
        .ok_or_else(|| bad("byte size overflows".into()))?;
    if bytes.len() != expected {
        return Err(bad(format!(
            "{} data bytes, expected {expected} for {n_elements} {ty} elements",
            bytes.len()
        )));
    }

    let mut out = Vec::with_capacity(n_elements);
    match ty {
        GgmlType::F32 => out.extend(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        ),
        GgmlType::F16 => out.extend(
            bytes
                .chunks_exact(2)
                .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32()),
        ),
        GgmlType::BF16 => out.extend(
            bytes
                .chunks_exact(2)
                .map(|b| f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16)),
        ),
        GgmlType::Q8_0 => {
            for block in bytes.chunks_exact(34) {
                let d = f16::from_le_bytes([block[0], block[1]]).to_f32();
                out.extend(block[2..].iter().map(|&q| d * (q as i8) as f32));
            }
        }
        GgmlType::Q4_0 => {
            for block in bytes.chunks_exact(18) {
                let d = f16::from_le_bytes([block[0], block[1]]).to_f32();
                let qs = &block[2..];
                out.extend(qs.iter().map(|&q| d * ((q & 0x0F) as i32 - 8) as f32));
                out.extend(qs.iter().map(|&q| d * ((q >> 4) as i32 - 8) as f32));
            }
        }
        GgmlType::Q4_1 => {
            for block in bytes.chunks_exact(20) {
                let d = f16::from_le_bytes([block[0], block[1]]).to_f32();
                let m = f16::from_le_bytes([block[2], block[3]]).to_f32();
                let qs = &block[4..];
                out.extend(qs.iter().map(|&q| d * (q & 0x0F) as f32 + m));
                out.extend(qs.iter().map(|&q| d * (q >> 4) as f32 + m));
            }
        }
        _ => return Err(unsupported()),
    }
    Ok(out)
}

/// Test-only quantizers following ggml's reference rounding, used to build
/// synthetic files; not part of the public API.
#[cfg(test)]
pub(crate) mod quantize {
    use half::f16;

    pub fn q8_0(x: &[f32]) -> Vec<u8> {
        let mut out = Vec::new();
        for block in x.chunks_exact(32) {
            let amax = block.iter().fold(0f32, |a, v| a.max(v.abs()));
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
            out.extend(block.iter().map(|v| (v * id).round() as i8 as u8));
        }
        out
    }

    pub fn q4_0(x: &[f32]) -> Vec<u8> {
        let mut out = Vec::new();
        for block in x.chunks_exact(32) {
            // Signed max-magnitude value maps to -8, as in ggml.
            let max = block
                .iter()
                .fold(0f32, |m, &v| if v.abs() > m.abs() { v } else { m });
            let d = max / -8.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
            let q = |v: f32| ((v * id + 8.5) as i32).clamp(0, 15) as u8;
            for j in 0..16 {
                out.push(q(block[j]) | (q(block[j + 16]) << 4));
            }
        }
        out
    }

    pub fn q4_1(x: &[f32]) -> Vec<u8> {
        let mut out = Vec::new();
        for block in x.chunks_exact(32) {
            let min = block.iter().copied().fold(f32::INFINITY, f32::min);
            let max = block.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let d = (max - min) / 15.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
            out.extend_from_slice(&f16::from_f32(min).to_le_bytes());
            let q = |v: f32| (((v - min) * id + 0.5) as i32).clamp(0, 15) as u8;
            for j in 0..16 {
                out.push(q(block[j]) | (q(block[j + 16]) << 4));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
            .collect()
    }

    #[test]
    fn q4_nibble_order_low_first_half() {
        // One Q4_1 block with d = 1, m = 0: byte j = (lo = j % 16) | (hi = 15 - j % 16) << 4.
        let mut block = vec![];
        block.extend_from_slice(&f16::from_f32(1.0).to_le_bytes());
        block.extend_from_slice(&f16::from_f32(0.0).to_le_bytes());
        for j in 0..16u8 {
            block.push(j | ((15 - j) << 4));
        }
        let x = dequantize(GgmlType::Q4_1, &block, 32, "t").unwrap();
        for j in 0..16 {
            assert_eq!(x[j], j as f32);
            assert_eq!(x[j + 16], (15 - j) as f32);
        }
    }

    #[test]
    fn q8_0_within_half_step() {
        let x = sample(128);
        let y = dequantize(GgmlType::Q8_0, &quantize::q8_0(&x), 128, "t").unwrap();
        for (b, (xs, ys)) in x.chunks(32).zip(y.chunks(32)).enumerate() {
            let amax = xs.iter().fold(0f32, |a, v| a.max(v.abs()));
            let d = f16::from_f32(amax / 127.0).to_f32();
            for (a, b2) in xs.iter().zip(ys) {
                // Half a step of rounding plus the f16 error of the scale times |q| <= 127.
                let tol = 0.5 * d + 127.0 * (amax / 127.0 - d).abs() + 1e-6;
                assert!((a - b2).abs() <= tol, "block {b}: {a} vs {b2}");
            }
        }
    }

    #[test]
    fn q4_0_and_q4_1_within_format_error() {
        let x = sample(96);
        let y0 = dequantize(GgmlType::Q4_0, &quantize::q4_0(&x), 96, "t").unwrap();
        let y1 = dequantize(GgmlType::Q4_1, &quantize::q4_1(&x), 96, "t").unwrap();
        for (xs, (a, b)) in x.chunks(32).zip(y0.chunks(32).zip(y1.chunks(32))) {
            let amax = xs.iter().fold(0f32, |a, v| a.max(v.abs()));
            let range = xs.iter().copied().fold(f32::MIN, f32::max)
                - xs.iter().copied().fold(f32::MAX, f32::min);
            for i in 0..32 {
                // Q4_0: levels -8..=7 times d = max/-8, so the largest-magnitude
                // sign gets half-step rounding but the other end clips at 7|d|:
                // error <= |d| = amax/8 (+ f16 rounding slack).
                let step = amax / 8.0;
                let inside = xs[i].abs() <= 7.0 * step;
                let tol = if inside { step / 2.0 } else { step };
                assert!((xs[i] - a[i]).abs() <= tol * 1.01 + 1e-3, "q4_0 {i}");
                // Q4_1: step range/15, error <= half a step (+ f16 rounding slack).
                assert!(
                    (xs[i] - b[i]).abs() <= range / 30.0 * 1.01 + 1e-2,
                    "q4_1 {i}"
                );
            }
        }
    }

    #[test]
    fn float_types_exact() {
        let x = [1.5f32, -2.25, 0.0, 65504.0];
        let f32_bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(dequantize(GgmlType::F32, &f32_bytes, 4, "t").unwrap(), x);
        let f16_bytes: Vec<u8> = x
            .iter()
            .flat_map(|&v| f16::from_f32(v).to_le_bytes())
            .collect();
        assert_eq!(dequantize(GgmlType::F16, &f16_bytes, 4, "t").unwrap(), x);
        let bf16_bytes: Vec<u8> = [1.5f32, -2.25, 0.0, 3.0e38]
            .iter()
            .flat_map(|v| ((v.to_bits() >> 16) as u16).to_le_bytes())
            .collect();
        let y = dequantize(GgmlType::BF16, &bf16_bytes, 4, "t").unwrap();
        assert_eq!(&y[..3], &[1.5, -2.25, 0.0]);
        assert!((y[3] - 3.0e38).abs() / 3.0e38 < 1e-2);
    }

    #[test]
    fn unsupported_type_names_type_and_tensor() {
        let e = dequantize(GgmlType::Q4K, &[0; 144], 256, "blk.0.ffn_up.weight")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Q4_K") && e.contains("blk.0.ffn_up.weight"),
            "{e}"
        );
        let e = dequantize(GgmlType::Other(39), &[], 0, "w")
            .unwrap_err()
            .to_string();
        assert!(e.contains("type#39") && e.contains("\"w\""), "{e}");
    }

    #[test]
    fn wrong_byte_count_is_error() {
        assert!(dequantize(GgmlType::Q8_0, &[0; 33], 32, "t").is_err());
        assert!(dequantize(GgmlType::Q8_0, &[0; 34], 31, "t").is_err());
    }
}
